"""Break-date confidence sets side by side; cost of the structural intervals.

Break dates (``its.breakpoints``, issue 28): synthetic series of n = 120 points
with one level shift at position 70 (the first observation of the new regime),
stationary AR(1) noise with phi = 0.5 and unit marginal sd, shifts of 1 and 2
(marginal) sd; every candidate is computed on the same replicates with
``errors="hac"`` or its own autocorrelation-robust variant:

* ``bai-iid``, ``bai-hac``: Bai (1997), ``k_hat -/+ (floor(c / L) + 1)`` with
  ``L = shift^2 / variance``, mean-shift model, the residual variance or a long-run
  variance (AR(1)-prewhitened quadratic-spectral kernel with Andrews' bandwidth)
  written out here (:func:`bai_interval`), not the library's;
* ``inverted``: the Elliott-Müller-type inverted test (the library's sets until
  issue 28; ``interval="inverted"``), mean-shift model and with a trend (the old
  default);
* ``date-bootstrap``: a parametric bootstrap of the date under the fitted model
  (least-squares date and shift, AR(1) errors with the REML ``rho`` of the
  library, innovation variance from the residuals): the set is ``k_hat -/+`` the
  95% point of ``|k* - k_hat|`` (:func:`date_bootstrap_interval`);
* ``lr``: the library's default, the likelihood-ratio test inverted with bootstrap
  critical values (``interval="lr"``), with the mean-shift model (``trend=False``),
  the defaults (``trend="auto"``: a trend only when the BIC prefers it; the share
  of replicates that used one is printed) and a trend forced (``trend=True``).

For each it prints the coverage of the true date by the set and by its hull
``ci_low..ci_high`` (%, with the MC SE), the mean number of dates in the set and
the mean length of the hull (dates). Last, the CPU seconds of one default
``its.breakpoints`` call at n = 120 and n = 365.

Structural intervals (``method="structural"``): local level with
sigma_eta 0.05 / 0.1, noise 1, n = 100, level shift 3 at the midpoint; coverage
of the 95% interval for the level change with the variance-parameter
uncertainty (``small_sample=True``, default) and without (``False``), and the
seconds per fit of each.

Run: ``.venv/bin/python benchmarks/breaks.py [--reps 200] [--structural-reps 150]``
(0 skips that part).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd
from scipy import integrate, optimize, stats

from spamlab import its
from spamlab.its.breakset import integrated_rho, inverted_set

N, BREAK, PHI, SIZE = 120, 70, 0.5, 18
SHIFTS: tuple[float, ...] = (1.0, 2.0)


def ar1_noise(rng: np.random.Generator, reps: int, n: int, phi: float) -> np.ndarray:
    """``(reps, n)`` stationary AR(1) paths with unit marginal sd."""
    paths = np.empty((reps, n))
    paths[:, 0] = rng.standard_normal(reps)
    for t in range(1, n):
        paths[:, t] = phi * paths[:, t - 1] + math.sqrt(1 - phi**2) * rng.standard_normal(reps)
    return paths


def design_series(shift: float, reps: int, seed: int) -> np.ndarray:
    """``(reps, N)`` series of the benchmark design: AR(1) noise plus ``shift`` from ``BREAK``."""
    return ar1_noise(np.random.default_rng(seed), reps, N, PHI) + shift * (np.arange(N) >= BREAK)


def mean_shift_fit(y: np.ndarray, size: int) -> tuple[int, float, np.ndarray]:
    """Least-squares date (first post observation), shift and residuals of one mean shift."""
    n = len(y)
    dates = np.arange(size, n - size + 1)
    before = np.cumsum(y)[dates - 1] / dates
    after = (y.sum() - np.cumsum(y)[dates - 1]) / (n - dates)
    ssr = [np.sum((y[:k] - a) ** 2) + np.sum((y[k:] - b) ** 2)
           for k, a, b in zip(dates, before, after, strict=True)]
    i = int(np.argmin(ssr))
    k = int(dates[i])
    return k, float(after[i] - before[i]), y - np.where(np.arange(n) < k, before[i], after[i])


def qs_long_run_variance(e: np.ndarray) -> float:
    """Long-run variance of ``e``: AR(1) prewhitening, quadratic-spectral kernel with
    Andrews' (1991) AR(1) plug-in bandwidth, recoloured (Andrews & Monahan 1992)."""
    rho = float(e[1:] @ e[:-1] / (e[:-1] @ e[:-1]))
    v = e[1:] - rho * e[:-1]
    r = float(v[1:] @ v[:-1] / (v[:-1] @ v[:-1]))
    bandwidth = 1.3221 * (4 * r**2 / (1 - r) ** 4 * len(v)) ** 0.2
    x = 6 * np.pi * np.arange(1, len(v)) / bandwidth / 5
    kernel = 3 / x**2 * (np.sin(x) / x - np.cos(x))
    gamma = np.array([v[j:] @ v[: len(v) - j] for j in range(len(v))]) / len(v)
    return float((gamma[0] + 2 * kernel @ gamma[1:]) / (1 - rho) ** 2)


def argmax_half_width(alpha: float = 0.05) -> float:
    """``c`` with ``P(|argmax_s W(s) - |s|/2| > c) = alpha`` by numerical integration of
    the density of Bai (1997) (the library uses the closed-form distribution function)."""
    def density(x: float) -> float:
        return (1.5 * math.exp(x + stats.norm.logcdf(-1.5 * math.sqrt(x)))
                - 0.5 * stats.norm.cdf(-0.5 * math.sqrt(x)))

    def tail(c: float) -> float:
        return 2 * float(integrate.quad(density, c, 1000.0, limit=400)[0])

    return float(optimize.brentq(lambda c: tail(c) - alpha, 1.0, 50.0, xtol=1e-10))


def bai_interval(y: np.ndarray, size: int, hac: bool, half_width: float) -> np.ndarray:
    """Bai's (1997) interval for the mean-shift model as a mask over positions
    ``1..n-1``: ``k_hat -/+ (floor(half_width / L) + 1)``, ``L = shift^2 / variance``."""
    k, shift, resid = mean_shift_fit(y, size)
    variance = qs_long_run_variance(resid) if hac else float(resid @ resid / (len(y) - 2))
    half = math.floor(half_width * variance / shift**2) + 1
    inside = np.zeros(len(y), dtype=bool)
    inside[max(k - half, 1): min(k + half, len(y) - 1) + 1] = True
    return inside


def date_bootstrap_interval(y: np.ndarray, size: int, rho: float, draws: int = 400,
                            seed: int = 0, alpha: float = 0.05) -> np.ndarray:
    """``k_hat -/+ q`` with ``q`` the ``1 - alpha`` point of ``|k* - k_hat|`` over series
    simulated from the fitted mean-shift model with AR(1) errors (``rho``, innovation
    variance of the whitened residuals)."""
    n = len(y)
    k, shift, resid = mean_shift_fit(y, size)
    innovations = np.r_[resid[0] * math.sqrt(1 - rho**2), resid[1:] - rho * resid[:-1]]
    scale = math.sqrt(innovations @ innovations / (n - 3))
    rng = np.random.default_rng(seed)
    noise = np.empty((draws, n))
    noise[:, 0] = rng.standard_normal(draws) * scale / math.sqrt(1 - rho**2)
    for t in range(1, n):
        noise[:, t] = rho * noise[:, t - 1] + scale * rng.standard_normal(draws)
    series = noise + shift * (np.arange(n) >= k)
    dates = np.arange(size, n - size + 1)
    sums = np.cumsum(series, axis=1)[:, dates - 1]
    # SSR = total - (sum before)^2 / k - (sum after)^2 / (n - k): maximise the last two
    fit = sums**2 / dates + (series.sum(axis=1)[:, None] - sums) ** 2 / (n - dates)
    spread = np.abs(dates[np.argmax(fit, axis=1)] - k)
    half = int(np.ceil(np.quantile(spread, 1 - alpha)))
    inside = np.zeros(n, dtype=bool)
    inside[max(k - half, size): min(k + half, n - size) + 1] = True
    return inside


def library_sets(values: np.ndarray, **options: object) -> tuple[np.ndarray, int]:
    """Masks of the sets of ``its.break_search(..., errors="hac", **options)`` for each
    row, and how many of the searches used a trend."""
    sets, trends = np.zeros(values.shape, dtype=bool), 0
    for i, row in enumerate(values):
        result = its.break_search(pd.DataFrame({"v": row}), y="v", errors="hac", **options)
        sets[i, np.asarray(result.sets[0], dtype=int)] = True
        trends += result.trend
    return sets, trends


def describe(sets: np.ndarray) -> dict[str, float]:
    """Coverage of ``BREAK`` by the sets and by their hulls, mean set size and hull length."""
    first = sets.argmax(axis=1)
    last = sets.shape[1] - 1 - sets[:, ::-1].argmax(axis=1)
    return {"cover": float(sets[:, BREAK].mean()),
            "hull_cover": float(((first <= BREAK) & (BREAK <= last)).mean()),
            "size": float(sets.sum(axis=1).mean()), "hull": float((last - first + 1).mean())}


def break_cell(shift: float, reps: int, seed: int) -> dict[str, dict[str, float]]:
    """Every candidate on the same ``reps`` replicates of one cell."""
    values = design_series(shift, reps, seed)
    c = argmax_half_width()
    none, trend = np.empty((N, 0)), np.arange(1.0, N + 1)[:, None]
    rho = integrated_rho(values, none, np.arange(SIZE, N - SIZE + 1))
    out = {
        "bai-iid": describe(np.array([bai_interval(r, SIZE, False, c) for r in values])),
        "bai-hac": describe(np.array([bai_interval(r, SIZE, True, c) for r in values])),
        "inverted, mean shift": describe(inverted_set(values, none, SIZE, "hac", None, 0.05)),
        "inverted, trend (old default)": describe(inverted_set(values, trend, SIZE, "hac", None,
                                                               0.05)),
        "date-bootstrap, mean shift": describe(np.array(
            [date_bootstrap_interval(r, SIZE, float(p)) for r, p in zip(values, rho,
                                                                         strict=True)])),
    }
    for label, option in (("lr, mean shift", False), ("lr, defaults (auto trend)", "auto"),
                          ("lr, trend", True)):
        sets, trends = library_sets(values, trend=option)
        out[label] = {**describe(sets), "trend_share": trends / reps}
    return out


def seconds_per_call(n: int, calls: int = 5) -> float:
    """CPU seconds of one default ``its.breakpoints`` call (``errors="hac"``) on an AR(1)
    series of ``n`` points with a 1-sd shift mid-series."""
    rng = np.random.default_rng(n)
    frames = [pd.DataFrame({"v": row + (np.arange(n) >= n // 2)})
              for row in ar1_noise(rng, calls, n, PHI)]
    start = time.process_time()
    for frame in frames:
        its.breakpoints(frame, y="v", errors="hac")
    return (time.process_time() - start) / calls


def _summary(hits: np.ndarray, sizes: np.ndarray) -> str:
    cover = hits.mean()
    return (f"{100 * cover:5.1f} (SE {100 * math.sqrt(cover * (1 - cover) / len(hits)):.1f}),"
            f" size {sizes.mean():5.1f}")


def _row(name: str, shift: float, cell: dict[str, float], reps: int) -> str:
    se = math.sqrt(max(cell["cover"] * (1 - cell["cover"]), 0.0025 * 0.9975) / reps)
    share = f"  trend in {100 * cell['trend_share']:.0f}%" if "trend_share" in cell else ""
    return (f"| {shift:.0f} sd | {name} | {100 * cell['cover']:.1f} ({100 * se:.1f}) | "
            f"{100 * cell['hull_cover']:.1f} | {cell['size']:.1f} | {cell['hull']:.1f} |{share}")


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
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=28)
    parser.add_argument("--structural-reps", type=int, default=150)
    args = parser.parse_args()
    if args.reps:
        print(f"Break-date sets, n = {N}, shift at {BREAK}, AR(1) phi {PHI} (unit marginal sd), "
              f"{args.reps} replications per cell, seed {args.seed}: coverage % (MC SE) of the "
              "set, of its hull, mean set size, mean hull length (dates)")
        print("| shift | method | covers (set) | covers (hull) | set size | hull |")
        print("|---|---|---|---|---|---|")
        for shift in SHIFTS if args.reps else ():
            for name, cell in break_cell(shift, args.reps, args.seed + int(shift)).items():
                print(_row(name, shift, cell, args.reps), flush=True)
        for n in (120, 365):
            print(f"  one default its.breakpoints call (errors='hac'), n = {n}: "
                  f"{seconds_per_call(n):.2f} s CPU", flush=True)
    if args.structural_reps:
        print(f"Structural level change, n = 100, shift 3, noise sd 1, "
              f"{args.structural_reps} replications per cell")
        for sigma_eta in (0.05, 0.1):
            for method, text in structural_cell(sigma_eta, args.structural_reps, 1).items():
                print(f"  sigma_eta={sigma_eta}  {method:19} {text}", flush=True)


if __name__ == "__main__":
    main()
