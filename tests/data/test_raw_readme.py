"""data/raw/README.md documents every raw file with its SHA-256; a changed or undocumented file fails."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from spamlab import figures, paths

CHECKSUM_LINE = re.compile(r"^([0-9a-f]{64}) [ *](\S+)$")
NOT_DATA = {"README.md", ".gitkeep"}


def _documented(readme: Path) -> dict[str, str]:
    """File name -> SHA-256 from the README's fenced ```sha256 block (sha256sum format)."""
    text = readme.read_text(encoding="utf-8")
    block = re.search(r"^```sha256\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)
    assert block, f"{readme} has no ```sha256 block"
    entries = {}
    for line in block.group(1).splitlines():
        match = CHECKSUM_LINE.match(line.strip())
        assert match, f"{readme}: malformed checksum line {line!r}"
        entries[match.group(2)] = match.group(1)
    return entries


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_raw_file_is_documented_and_unchanged():
    raw = paths.data_raw()
    documented = _documented(raw / "README.md")
    present = {p.name for p in raw.iterdir() if p.is_file() and p.name not in NOT_DATA}
    assert present == set(documented), (
        f"undocumented: {sorted(present - set(documented))}; missing: {sorted(set(documented) - present)}")
    changed = {name: _sha256(raw / name) for name, digest in documented.items() if _sha256(raw / name) != digest}
    assert not changed, f"raw files differ from data/raw/README.md: {changed}"
    assert documented["published_figures.csv"] == (
        "7329bfbd7ab63c1224d3adec3f589019f57d9ee01bae225a9c3a67a15b3bc1af")


def test_checker_notices_a_changed_file(tmp_path):
    (tmp_path / "a.csv").write_text("x\n1\n")
    (tmp_path / "README.md").write_text(f"```sha256\n{'0' * 64}  a.csv\n```\n")
    documented = _documented(tmp_path / "README.md")
    assert _sha256(tmp_path / "a.csv") != documented["a.csv"]
    (tmp_path / "README.md").write_text("no block here\n")
    with pytest.raises(AssertionError, match="no ```sha256 block"):
        _documented(tmp_path / "README.md")


def test_every_column_of_the_figures_table_is_described():
    text = (paths.data_raw() / "README.md").read_text(encoding="utf-8")
    undocumented = [c for c in figures.COLUMNS if f"`{c}`" not in text]
    assert not undocumented
    units = [u for u in figures.load()["unit"].unique() if f"`{u}`" not in text]
    assert not units, f"units not explained in data/raw/README.md: {units}"
