"""Debian's Chromium for the browser tests: its path, or a skip (a failure under CI)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium() -> str:
    """Path of Debian's Chromium; skip without it, or fail under CI."""
    for candidate in (*CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    reason = ("no Chromium at /usr/bin/chromium (apt-get install chromium); "
              "the browser tests need a real browser")
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI is set but {reason}")
    pytest.skip(reason)
