"""Shared pytest configuration for spamlab's tests."""

from __future__ import annotations

import os

import matplotlib

# Tests never open windows.
matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")
