"""Simulated series and hand-built designs shared by the ITS tests (all synthetic).

Kept independent of spamlab's own design code on purpose.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DOW_EFFECT = np.array([0.0, 1.0, 1.5, 1.0, 0.5, -2.0, -2.0])


def ar1_noise(rng: np.random.Generator, n: int, phi: float, sigma: float = 1.0) -> np.ndarray:
    """Stationary AR(1) noise, independent of the code under test."""
    e = np.empty(n)
    e[0] = rng.normal(0, sigma / np.sqrt(1 - phi**2))
    shocks = rng.normal(0, sigma, n)
    for i in range(1, n):
        e[i] = phi * e[i - 1] + shocks[i]
    return e


def daily_series(seed: int = 0, n: int = 150, drop: float = -10.0, cut: str = "2011-03-16",
                 phi: float = 0.5, tz: str | None = "UTC") -> pd.DataFrame:
    """Synthetic daily volume: level 50, small trend, weekly cycle, level drop, AR(1) noise."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2011-01-01", periods=n, tz=tz)
    post = np.asarray(days >= pd.Timestamp(cut, tz=tz))
    volume = (50 + 0.02 * np.arange(n) + DOW_EFFECT[days.day_of_week] + drop * post
              + ar1_noise(rng, n, phi))
    counts = rng.poisson(np.exp(3 + 0.3 * ~post + 0.1 * DOW_EFFECT[days.day_of_week]))
    overdispersed = rng.poisson(rng.gamma(5.0, np.exp(3 + 0.3 * ~post) / 5.0))
    return pd.DataFrame({"volume": volume, "count": counts, "nb_count": overdispersed,
                         "mailboxes": rng.integers(50, 150, n)}, index=days)


CUT = "2011-03-16 18:00"  # 3/4 of that day is after the interruption


def hand_design(frame: pd.DataFrame, slope: bool = False) -> pd.DataFrame:
    n = len(frame)
    position = np.arange(1, n + 1, dtype=float)
    cut_day = list(frame.index.strftime("%Y-%m-%d")).index("2011-03-16")
    level = np.where(position > cut_day + 1, 1.0, 0.0)
    level[cut_day] = 0.25
    columns = {"const": np.ones(n), "trend": position, "level": level}
    if slope:
        # elapsed days since 18:00 on the cut day, at the start of each day
        columns["slope"] = np.where(position > cut_day + 1, position - (cut_day + 1) - 0.75, 0.0)
    days = frame.index.day_of_week
    for d in range(1, 7):
        columns[f"d{d}"] = (days == d).astype(float)
    return pd.DataFrame(columns, index=frame.index)


def level_row(res) -> pd.Series:
    """The level-change row: contract columns of ``effects`` plus ``coef, std_err, df``."""
    row = res.effects.set_index("kind").loc["level_change"]
    extra = res.inference.set_index("kind").loc["level_change", ["coef", "std_err", "df"]]
    return pd.concat([row, extra])


def ar1_matrix(rng: np.random.Generator, reps: int, n: int, phi: float) -> np.ndarray:
    """``(reps, n)`` stationary AR(1) paths with unit innovations (vectorised over reps)."""
    paths = np.empty((reps, n))
    paths[:, 0] = rng.normal(0, 1 / np.sqrt(1 - phi**2), reps)
    for t in range(1, n):
        paths[:, t] = phi * paths[:, t - 1] + rng.normal(0, 1, reps)
    return paths
