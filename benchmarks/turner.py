"""Coverage and width of ITS intervals on the simulation design of Turner et al. (2021).

Design (Turner, Forbes, Karahalios, Taljaard & McKenzie 2021, BMC Med Res Methodol
21:181): ``Y_t = b0 + b1 t + b2 D_t + b3 (t - T_I) D_t + e_t``, ``t = 1..n``, one
interruption at ``T_I = n/2`` (``D_t = 1`` for ``t > T_I``), stationary AR(1) errors
``e_t = rho e_(t-1) + w_t``, ``w_t ~ N(0, 1)``; ``n`` in 24/48/100, ``rho`` in 0/0.4/0.8.
Every method below is equivariant in ``b`` and the noise scale, so the true
coefficients are set to 0 and ``sigma_w = 1`` without loss of generality.

For the level change ``b2`` and the slope change ``b3`` the script prints, per
cell, the coverage of nominal 95% intervals (%), their mean and median width, for
the methods computed on the same replicates:

* ``OLS``: ordinary least squares, t on n - 4 df;
* ``NW(1)``: Newey-West with lag 1 (n/(n-p) corrected), t on n - 4 df;
* ``PW``: Prais-Winsten FGLS, rho iterated from the GLS residuals, t on n - 4 df;
* ``REML-S``: REML rho, Satterthwaite df (the method Turner et al. recommend);
* ``ar1``, ``hac``: spamlab's ``errors="ar1"`` / ``"hac"`` (batched path of ``its.fit``);
* ``reml``: spamlab's ``errors="reml"``: REML rho, Kackar-Harville variance, Satterthwaite df;
* ``KR``: REML rho with Kenward-Roger variance and df (for comparison).

Each entry: coverage % (mean width / REML-S's mean width, median width / REML-S's).

Monte Carlo standard error of a coverage near 95% with ``R`` replications is
``sqrt(0.95 * 0.05 / R)`` (0.7 points for R = 1000).

Run: ``.venv/bin/python benchmarks/turner.py [REPS]`` (default 1000; about a minute
on a 2-core machine, most of it the dense REML information at n = 100).
``benchmarks/turner.py --arma REPS`` instead fits ``errors="arma(1,0)"`` (REML,
Kackar-Harville variance, Satterthwaite df: :mod:`spamlab.its.armareml`) with ``its.fit``
on the first REPS replicates of each cell, next to REML-Satterthwaite and ``reml`` on the
same replicates (one optimizer run per series: use a few hundred).
"""

from __future__ import annotations

import sys
import time

import _smallsample
import numpy as np
import pandas as pd
from scipy import stats

from spamlab import its
from spamlab.its import batched, reml
from spamlab.its.scan import level_tests
from spamlab.its.specification import Specification

SIZES: tuple[int, ...] = (24, 48, 100)
RHOS: tuple[float, ...] = (0.0, 0.4, 0.8)
TERMS: dict[str, int] = {"level": 2, "slope": 3}


def turner_design(n: int) -> np.ndarray:
    """Columns ``1, t, D_t, (t - T_I) D_t`` with ``T_I = n / 2``."""
    t = np.arange(1, n + 1, dtype=float)
    post = (t > n / 2).astype(float)
    return np.column_stack([np.ones(n), t, post, (t - n / 2) * post])


def ar1_paths(rng: np.random.Generator, reps: int, n: int, rho: float) -> np.ndarray:
    """``(reps, n)`` stationary AR(1) series with unit innovations."""
    paths = np.empty((reps, n))
    paths[:, 0] = rng.normal(0, 1 / np.sqrt(1 - rho**2), reps)
    shocks = rng.normal(size=(reps, n))
    for t in range(1, n):
        paths[:, t] = rho * paths[:, t - 1] + shocks[:, t]
    return paths


def intervals(x: np.ndarray, y: np.ndarray, column: int, fitted: reml.RemlFit,
              pieces: dict) -> dict[str, tuple[np.ndarray, ...]]:
    """``method -> (estimate, half width)`` for coefficient ``column`` of every replicate
    (``fitted``, ``pieces``: the REML fits of ``y`` and their :func:`reml.information`)."""
    n, p = x.shape
    crit = stats.t.ppf(0.975, n - p)
    fit = batched.ols(x, y)
    out = {"OLS": (fit.params[:, column], crit * np.sqrt(batched.cov_iid(fit)[:, column, column])),
           "NW(1)": (fit.params[:, column],
                     crit * np.sqrt(batched.cov_hac(fit, 1)[:, column, column]))}
    out["PW"] = _prais_winsten(x, y, column, crit)
    contrast = np.eye(p)[column]
    for name, method in (("REML-S", _smallsample.satterthwaite), ("reml", reml.kackar_harville),
                         ("KR", _smallsample.kenward_roger)):
        test = method(fitted, contrast, pieces)
        out[name] = (test.estimate, stats.t.ppf(0.975, test.df) * test.std_err)
    for errors in ("ar1", "hac"):
        tests = level_tests(x, y, column, Specification(errors=errors))
        out[errors] = (tests["estimate"], tests["estimate"] - tests["ci_low"])
    return out


def _prais_winsten(x: np.ndarray, y: np.ndarray, column: int, crit: float,
                   steps: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Iterated Prais-Winsten: rho = lag-1 autocorrelation of the GLS residuals."""
    times = np.arange(x.shape[0], dtype=float)
    rho = np.zeros(y.shape[0])
    for _ in range(steps):
        fit = reml.gls_at(x, y, times, rho)
        resid = y - fit.params @ x.T
        rho = np.clip(np.sum(resid[:, 1:] * resid[:, :-1], axis=1) / np.sum(resid**2, axis=1),
                      -reml.RHO_MAX, reml.RHO_MAX)
    fit = reml.gls_at(x, y, times, rho)
    se = np.sqrt(fit.sigma2 * fit.unscaled[:, column, column])
    return fit.params[:, column], crit * se


def cell(n: int, rho: float, reps: int, seed: int) -> dict[str, dict[str, tuple[float, ...]]]:
    """``term -> method -> (coverage %, mean width, median width)`` for one cell."""
    rng = np.random.default_rng(seed)
    x = turner_design(n)
    y = ar1_paths(rng, reps, n, rho)
    fitted = reml.fit_reml(x, y)
    pieces = reml.information(fitted)
    table = {}
    for term, column in TERMS.items():
        rows = {}
        for method, (estimate, half) in intervals(x, y, column, fitted, pieces).items():
            rows[method] = (100 * float(np.mean(np.abs(estimate) <= half)),
                            float(np.mean(2 * half)), float(np.median(2 * half)))
        table[term] = rows
    return table


ITS_CONTRASTS: dict[str, np.ndarray] = {"level": np.array([0.0, 0.0, 1.0, 1.0]),
                                         "slope": np.array([0.0, 0.0, 0.0, 1.0])}
"""``its.fit``'s level change (at its interruption ``n/2 + 1``, the first post period) and
slope change as contrasts of :func:`turner_design`'s coefficients: ``b2 + b3`` and ``b3``."""


def arma_cell(n: int, rho: float, reps: int, seed: int
              ) -> tuple[dict[str, dict[str, tuple[float, ...]]], float]:
    """``term -> method -> (coverage %, mean width, median width)`` of ``its.fit(errors=
    "arma(1,0)")`` and, on the same replicates (the first ``reps`` of :func:`cell`'s draws
    with 1000), REML-Satterthwaite and ``reml`` for the same contrasts; and the mean
    seconds per ``its.fit`` call."""
    y = ar1_paths(np.random.default_rng(seed), 1000, n, rho)[:reps]
    found: dict[str, list[tuple[float, float]]] = {term: [] for term in ITS_CONTRASTS}
    start = time.perf_counter()
    for row in y:
        frame = pd.DataFrame({"y": row}, index=pd.RangeIndex(1, n + 1))
        effects = its.fit(frame, y="y", interruptions=[n // 2 + 1], errors="arma(1,0)",
                          slope_change=True, min_pre=0).effects.set_index("kind")
        for term in ITS_CONTRASTS:
            found[term].append(tuple(effects.loc[f"{term}_change", ["ci_low", "ci_high"]]))
    seconds = (time.perf_counter() - start) / reps
    fitted = reml.fit_reml(turner_design(n), y)
    pieces = reml.information(fitted)
    table = {}
    for term, c in ITS_CONTRASTS.items():
        low, high = np.array(found[term]).T
        rows = {"arma(1,0)": _coverage(low, high)}
        for name, method in (("REML-S", _smallsample.satterthwaite), ("reml", reml.kackar_harville)):
            test = method(fitted, c, pieces)
            half = stats.t.ppf(0.975, test.df) * test.std_err
            rows[name] = _coverage(test.estimate - half, test.estimate + half)
        table[term] = rows
    return table, seconds


def _coverage(low: np.ndarray, high: np.ndarray) -> tuple[float, float, float]:
    """Coverage % of 0 (the true value), mean and median width."""
    return (100 * float(np.mean((low <= 0) & (0 <= high))), float(np.mean(high - low)),
            float(np.median(high - low)))


def main(reps: int = 1000) -> None:
    """Print the coverage/width table of every cell."""
    print(f"Turner et al. (2021) design, {reps} replications per cell; Monte Carlo SE of a "
          f"95% coverage {100 * np.sqrt(0.95 * 0.05 / reps):.2f} points")
    for n in SIZES:
        for k, rho in enumerate(RHOS):
            start = time.perf_counter()
            result = cell(n, rho, reps, seed=1000 * n + k)
            for term, rows in result.items():
                _, mean, median = rows["REML-S"]
                text = "  ".join(f"{m} {c:5.1f} ({w / mean:4.2f}, {md / median:4.2f})"
                                 for m, (c, w, md) in rows.items())
                print(f"n={n:3d} rho={rho:.1f} {term:5s} {text}  [REML-S mean width {mean:.2f}]")
            print(f"    [{time.perf_counter() - start:.1f} s]", flush=True)
    print("Each entry: coverage % (mean width / REML-S's mean width, median / REML-S's median).")


def main_arma(reps: int) -> None:
    """Print ``arma(1,0)`` coverage and widths per cell next to REML-Satterthwaite's and
    ``reml``'s on the same replicates (level and slope change; Monte Carlo SE stated)."""
    print(f"errors='arma(1,0)' (its.fit), {reps} replications per cell; Monte Carlo SE of a "
          f"95% coverage {100 * np.sqrt(0.95 * 0.05 / reps):.2f} points, of 93% "
          f"{100 * np.sqrt(0.93 * 0.07 / reps):.2f}")
    for n in SIZES:
        for k, rho in enumerate(RHOS):
            table, seconds = arma_cell(n, rho, reps, seed=1000 * n + k)
            for term, rows in table.items():
                text = "  ".join(f"{m} {c:5.1f} (mean {w:5.2f}, md {md:5.2f})"
                                 for m, (c, w, md) in rows.items())
                print(f"n={n:3d} rho={rho:.1f} {term:5s} {text}")
            print(f"    [{seconds * 1000:.0f} ms per its.fit]", flush=True)
    print("Each entry: coverage % (mean width, median width); level change at the first "
          "post period (b2 + b3), as its.fit defines it.")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--arma":
        main_arma(int(sys.argv[2]))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
