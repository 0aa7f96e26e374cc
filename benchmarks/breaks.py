"""Coverage and size of break-date confidence sets; cost of the structural intervals.

Break dates (``its.breakpoints``): synthetic series of n = 120 points with one
level shift at position 60 (the first post observation), shifts of 1 and 2
innovation standard deviations, noise iid N(0, 1) or stationary AR(1) with
phi = 0.5 and unit innovations; common regressors none (``trend=False``) or a
linear trend (``trend=True``, the default of ``breakpoints``). For each cell the
script prints the coverage of the true date (%, with its MC SE) and the mean set
size (number of dates in the set, of 85 admissible; the hull ``ci_low..ci_high``
is at least as long) for ``interval="inverted"`` and ``interval="bai"`` with
``errors="hac"`` (and ``"iid"`` for iid noise), all on the same replicates; the
AR(1) cells with a trend are run with two seeds. The inverted sets are computed
for all replicates at once (:func:`spamlab.its.breakset.inverted_set`, which
``break_search`` calls per series); Bai's by ``its.breakpoints`` per series. Last,
the CPU seconds of one ``its.breakpoints`` call (inverted set, ``errors="hac"``,
trend) at n = 120 and n = 365.

Structural intervals (``method="structural"``): local level with
sigma_eta 0.05 / 0.1, noise 1, n = 100, level shift 3 at the midpoint; coverage
of the 95% interval for the level change with the variance-parameter
uncertainty (``small_sample=True``, default) and without (``False``), and the
seconds per fit of each.

Run: ``.venv/bin/python benchmarks/breaks.py [--reps 400] [--structural-reps 150]``
(0 skips that part).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd
from statsmodels.tsa.arima_process import ArmaProcess

from spamlab import its
from spamlab.its.breakset import inverted_set

N, BREAK = 120, 60


def noise(rng: np.random.Generator, reps: int, n: int, phi: float) -> np.ndarray:
    """``(reps, n)`` AR(1) paths with unit innovations (200 burn-in; iid when phi = 0)."""
    return ArmaProcess([1.0, -phi]).generate_sample((reps, n), axis=1, burnin=200,
                                                    distrvs=rng.standard_normal)


def break_cell(phi: float, shift: float, trend: bool, reps: int, seed: int) -> dict[str, str]:
    """Coverage (MC SE) and mean set size per method for one design cell."""
    rng = np.random.default_rng(seed)
    values = noise(rng, reps, N, phi) + shift * (np.arange(N) >= BREAK)
    common = np.arange(1.0, N + 1)[:, None] if trend else np.empty((N, 0))
    size = max(math.ceil(0.15 * N), common.shape[1] + 2)
    out = {}
    for errors in ("hac", "iid") if phi == 0 else ("hac",):
        sets = inverted_set(values, common, size, errors, None, 0.05)
        out[f"inverted {errors}"] = _summary(sets[:, BREAK], sets.sum(axis=1))
        hits, sizes = [], []
        for row in values:
            table = its.breakpoints(pd.DataFrame({"v": row}), y="v", trend=trend,
                                    errors=errors, interval="bai")
            hits.append(table["ci_low"].iloc[0] <= BREAK <= table["ci_high"].iloc[0])
            sizes.append(table["set_size"].iloc[0])
        out[f"bai {errors}"] = _summary(np.array(hits), np.array(sizes))
    return out


def seconds_per_set(n: int, calls: int = 5) -> float:
    """CPU seconds of one ``its.breakpoints`` call (inverted set, ``errors="hac"``, trend)
    on an AR(1) series of ``n`` points with a 1-sd shift mid-series."""
    rng = np.random.default_rng(n)
    frames = [pd.DataFrame({"v": row + (np.arange(n) >= n // 2)})
              for row in noise(rng, calls, n, 0.5)]
    start = time.process_time()
    for frame in frames:
        its.breakpoints(frame, y="v", errors="hac")
    return (time.process_time() - start) / calls


def _summary(hits: np.ndarray, sizes: np.ndarray) -> str:
    cover = hits.mean()
    return (f"{100 * cover:5.1f} (SE {100 * math.sqrt(cover * (1 - cover) / len(hits)):.1f}),"
            f" size {sizes.mean():5.1f}")


def structural_cell(sigma_eta: float, reps: int, seed: int) -> dict[str, str]:
    """Coverage of the structural level-change interval with and without the
    variance-parameter uncertainty, and seconds per fit."""
    rng = np.random.default_rng(seed)
    n = 100
    out = {}
    frames = []
    for _ in range(reps):
        level = 10 + np.cumsum(rng.normal(0, sigma_eta, n)) + 3.0 * (np.arange(n) >= n // 2)
        frames.append(pd.DataFrame({"v": level + rng.normal(0, 1, n)}))
    for small_sample in (True, False):
        hits, start = [], time.process_time()
        for frame in frames:
            row = its.fit(frame, y="v", interruptions=[n // 2], method="structural",
                          trend=False, slope_change=False, small_sample=small_sample
                          ).level_change()
            hits.append(row["ci_low"] <= 3.0 <= row["ci_high"])
        seconds = (time.process_time() - start) / reps
        out[f"small_sample={small_sample}"] = (_summary(np.array(hits), np.zeros(1))
                                               .split(",")[0] + f", {seconds:.2f} s CPU/fit")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=400)
    parser.add_argument("--structural-reps", type=int, default=150)
    args = parser.parse_args()
    if args.reps:
        print(f"Break-date sets, n = {N}, break at {BREAK}, {args.reps} replications per cell: "
              "coverage % (MC SE), mean set size (dates)")
    for trend in (False, True) if args.reps else ():
        for phi in (0.0, 0.5):
            for shift in (1.0, 2.0):
                base = int(10 * phi + shift)
                for seed in (base, base + 100) if phi and trend else (base,):
                    cell = break_cell(phi, shift, trend, args.reps, seed)
                    for method, text in cell.items():
                        print(f"  trend={trend!s:5} phi={phi} shift={shift:.0f} seed={seed:<3} "
                              f"{method:13} {text}", flush=True)
    if args.reps:
        for n in (120, 365):
            print(f"  one inverted set (errors='hac', trend), n = {n}: "
                  f"{seconds_per_set(n):.2f} s CPU", flush=True)
    if args.structural_reps:
        print(f"Structural level change, n = 100, shift 3, noise sd 1, "
              f"{args.structural_reps} replications per cell")
        for sigma_eta in (0.05, 0.1):
            for method, text in structural_cell(sigma_eta, args.structural_reps, 1).items():
                print(f"  sigma_eta={sigma_eta}  {method:19} {text}", flush=True)


if __name__ == "__main__":
    main()
