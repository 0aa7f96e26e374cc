"""Shared pytest configuration for spamlab's tests (doc_pages.py is put on sys.path here)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

# Tests never open windows.
matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).parent))
