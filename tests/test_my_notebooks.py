"""`make my-notebooks`: the user's own copies of the notebooks, ignored by git, never overwritten."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copy(ROOT / ".gitignore", tmp_path / ".gitignore")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks",
                    ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    return tmp_path


def _make(folder: Path) -> str:
    return subprocess.run(["make", "-s", "my-notebooks"], cwd=folder, check=True,
                          capture_output=True, text=True).stdout


def test_copies_every_notebook_once_and_keeps_the_users_edits(checkout: Path) -> None:
    sources = sorted(path.name for path in (checkout / "notebooks").glob("[0-9]*.py"))
    first = _make(checkout)
    assert sorted(path.name for path in (checkout / "my-notebooks").glob("*.py")) == sources
    assert first.count("copied ") == len(sources)
    mine = checkout / "my-notebooks" / sources[-1]
    mine.write_text(mine.read_text().replace("data = None", "data = 'my_counts.csv'"))
    second = _make(checkout)
    assert second.count("kept ") == len(sources) and "copied" not in second
    assert "data = 'my_counts.csv'" in mine.read_text()


def test_the_copies_are_ignored_by_git(checkout: Path) -> None:
    _make(checkout)
    ignored = subprocess.run(["git", "check-ignore", "my-notebooks/05-your-data.py"], check=False,
                             cwd=checkout, capture_output=True, text=True)
    assert ignored.returncode == 0, "my-notebooks/ is not ignored by git"
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                            cwd=checkout, capture_output=True, text=True, check=True).stdout
    assert "my-notebooks" not in status
