"""Time spamlab's robustness suite, batched vs the naive one-fit-per-date loop.

The suite on one synthetic daily series of 180 points (weekly cycle, AR(1)
noise, a level drop on day 121):

* placebo in time: every admissible fake date in the pre-period;
* interruption-date scan: the level change at every admissible date +-30 days
  around the real one;
* unknown break: the one-break least-squares scan with day-of-week terms;
* power: 400 simulated no-effect series of 120 pre + 30 post days, each fitted
  (the minimum detectable effect and the power at any effect follow from them).

Each error model is run twice, batched (``batch=True``) and as the naive loop of
single statsmodels fits (``batch=False``); the script prints both wall times, their
ratio, and the largest absolute difference between the two sets of numbers
(estimates, intervals, p-values, SSRs), which must stay below 1e-8.

Run: ``.venv/bin/python benchmarks/robustness.py`` (``make bench``).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from spamlab import its
from spamlab.its.breaks import scan_one_break
from spamlab.its.scan import scan_dates
from spamlab.its.simulation import simulate

NUMBERS = ["estimate", "ci_low", "ci_high", "p_value", "coef", "std_err", "df"]


def synthetic_series(n: int = 180, seed: int = 0) -> pd.DataFrame:
    """Synthetic daily volume (labelled so): weekly cycle, AR(1) noise, drop on day 121."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2011-01-01", periods=n, tz="UTC")
    noise = np.zeros(n)
    for t in range(1, n):
        noise[t] = 0.5 * noise[t - 1] + rng.normal()
    weekly = np.array([0.0, 1.0, 1.5, 1.0, 0.5, -2.0, -2.0])[days.day_of_week]
    volume = 50 + weekly - 10 * (np.arange(n) >= 120) + noise
    return pd.DataFrame({"synthetic_volume": volume}, index=days)


def suite(data: pd.DataFrame, batch: bool, errors: str) -> list[np.ndarray]:
    """Run the three scans; return their numbers for comparison."""
    model = its.Specification(seasonality="dow", errors=errors, slope_change=False)
    y, cut = "synthetic_volume", data.index[120]
    placebo = its.placebo(data, y=y, interruptions=[cut], spec=model, batch=batch)
    dates = [d.strftime("%Y-%m-%d") for d in data.index[90:151]]
    scan = scan_dates(data, dates, y=y, spec=model, batch=batch)
    dummies = pd.get_dummies(data.index.day_of_week, drop_first=True).to_numpy(float)
    ssr = scan_one_break(data[y].to_numpy(), dummies, 27, batch=batch)
    sims = simulate(data, y=y, spec=model, post_days=30, interruptions=cut, n_sims=400,
                    batch=batch)
    return [placebo.table[NUMBERS].to_numpy(float), scan[NUMBERS].to_numpy(float), ssr,
            np.column_stack([sims.estimate, sims.std_err, sims.critical])]


def timed(data: pd.DataFrame, batch: bool, errors: str, repeat: int) -> tuple[float, list]:
    best, out = np.inf, []
    for _ in range(repeat):
        start = time.perf_counter()
        out = suite(data, batch, errors)
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    data = synthetic_series()
    print(f"robustness suite on {len(data)} synthetic daily points "
          "(placebo + date scan + one-break scan + power simulation)")
    print(f"{'errors':8s} {'naive loop s':>12s} {'batched s':>10s} {'ratio':>7s} {'max |diff|':>11s}")
    for errors in ("iid", "hac", "ar1"):
        naive, reference = timed(data, False, errors, repeat=1)
        fast, numbers = timed(data, True, errors, repeat=3)
        diff = max(float(np.nanmax(np.abs(a - b))) for a, b in zip(numbers, reference))
        print(f"{errors:8s} {naive:12.3f} {fast:10.3f} {naive / fast:7.1f} {diff:11.2e}")
        if diff > 1e-8:
            raise SystemExit(f"batched and naive results differ by {diff:.2e} (> 1e-8)")


if __name__ == "__main__":
    main()
