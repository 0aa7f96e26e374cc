"""The library, tests, notebooks and benchmarks pass ruff, and the library passes mypy
(the same checks as `make lint`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run_tool(name: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which(name, path=str(Path(sys.executable).parent))
    if tool is None:
        pytest.skip(f"{name} is not installed in this environment")
    return subprocess.run([tool, *arguments], cwd=ROOT, capture_output=True, text=True,
                          check=False)


def test_ruff_finds_nothing() -> None:
    done = _run_tool("ruff", "check", "--no-cache", "src", "tests", "notebooks", "benchmarks",
                     "tools")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_nothing_in_the_library() -> None:
    # the files and options come from [tool.mypy] in pyproject.toml
    done = _run_tool("mypy", "--cache-dir", "/dev/null")
    assert done.returncode == 0, done.stdout + done.stderr
