"""Fixtures for the ingest tests; the archive server is archive_server.py (put on sys.path)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from archive_server import ArchiveServer


@pytest.fixture()
def archive_server(tmp_path: Path) -> Iterator[ArchiveServer]:
    """A local archive server over an empty folder ``tmp_path/served``; put files in
    ``archive_server.folder`` (the index page lists them)."""
    folder = tmp_path / "served"
    folder.mkdir()
    server = ArchiveServer(folder)
    yield server
    server.close()
