"""Fixtures for the ITS tests; helpers live in its_support.py (put on sys.path here)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from its_support import daily_series


@pytest.fixture
def daily() -> pd.DataFrame:
    return daily_series()
