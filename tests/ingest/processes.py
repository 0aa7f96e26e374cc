"""Processes seen through /proc, for the tests that kill ingest runs (Linux only)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["alive", "children", "group", "wait_for"]


def _live(field: int, value: int) -> list[int]:
    """Live (not zombie) processes whose /proc stat field ``field`` (after the state:
    0 state, 1 parent, 2 process group) equals ``value``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[field]) == value and fields[0] not in ("Z", "X"):
                found.append(int(entry.name))
    return found


def children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid``."""
    return _live(1, pid)


def group(pgid: int) -> list[int]:
    """Live processes of process group ``pgid``."""
    return _live(2, pgid)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def wait_for(condition: Callable[[], object], seconds: float) -> bool:
    """Poll ``condition`` every 50 ms for up to ``seconds``; its last truth value."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())
