"""Recovery: simulated daily series with a known level drop, weekly cycle and AR(1) noise.

Replications are fitted in one batch by ``spamlab.its.scan.level_tests``, the
engine of the placebo scans; the first test proves it returns what ``its.fit``
returns, replication by replication, so the coverage checks are checks of ``its.fit``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from its_support import DOW_EFFECT, ar1_matrix

from spamlab import its
from spamlab.its import data as its_data
from spamlab.its.scan import level_tests, stacked_designs

N_DAYS, CUT, DROP, PHI, REPS = 180, "2011-05-01", -10.0, 0.5, 400


def simulated(reps: int, seed: int) -> tuple[pd.DatetimeIndex, np.ndarray]:
    days = pd.date_range("2011-01-01", periods=N_DAYS, tz="UTC")
    baseline = 50 + 0.02 * np.arange(N_DAYS) + DOW_EFFECT[days.day_of_week]
    step = DROP * np.asarray(days >= pd.Timestamp(CUT, tz="UTC"))
    return days, baseline + step + ar1_matrix(np.random.default_rng(seed), reps, N_DAYS, PHI)


def batch_fit(errors: str, reps: int = REPS, seed: int = 20110316) -> dict[str, np.ndarray]:
    days, y = simulated(reps, seed)
    series = its_data.prepare(pd.DataFrame({"v": y[0]}, index=days), "v", [CUT])
    x, _, column = stacked_designs(series, its.Specification(seasonality="dow", slope_change=False))
    return level_tests(x[0], y, column, its.Specification(errors=errors, slope_change=False))


@pytest.mark.parametrize("errors", ["iid", "hac", "ar1"])
def test_batch_equals_its_fit(errors):
    days, y = simulated(3, seed=1)
    batch = batch_fit(errors, reps=3, seed=1)
    for k in range(3):
        row = its.fit(pd.DataFrame({"v": y[k]}, index=days), y="v", interruptions=[CUT],
                      seasonality="dow", errors=errors, slope_change=False).level_change()
        for key in ("estimate", "ci_low", "ci_high", "p_value", "std_err", "df"):
            np.testing.assert_allclose(batch[key][k], row[key], rtol=1e-8, atol=1e-12)


def coverage(result: dict[str, np.ndarray]) -> float:
    return float(np.mean((result["ci_low"] <= DROP) & (DROP <= result["ci_high"])))


@pytest.mark.slow
@pytest.mark.parametrize("errors", ["hac", "ar1"])
def test_unbiased_and_95_percent_coverage(errors):
    result = batch_fit(errors)
    bias = result["estimate"].mean() - DROP
    mc_error = result["estimate"].std(ddof=1) / np.sqrt(REPS)
    assert abs(bias) < 3 * mc_error, f"bias {bias:.3f} vs Monte Carlo error {mc_error:.3f}"
    assert 0.93 <= coverage(result) <= 0.97, coverage(result)


@pytest.mark.slow
def test_iid_intervals_under_cover_with_ar1_noise():
    result = batch_fit("iid")
    assert coverage(result) < 0.85  # nominal 95%: naive intervals ignore the autocorrelation


@pytest.mark.slow
def test_plain_newey_west_under_covers_without_small_sample_correction():
    days, y = simulated(REPS, 20110316)
    series = its_data.prepare(pd.DataFrame({"v": y[0]}, index=days), "v", [CUT])
    x, _, column = stacked_designs(series, its.Specification(seasonality="dow", slope_change=False))
    plain = level_tests(x[0], y, column, its.Specification(errors="hac", small_sample=False, slope_change=False))
    assert coverage(plain) < 0.93 <= coverage(batch_fit("hac"))


@pytest.mark.slow
def test_poisson_ratio_recovered():
    rng = np.random.default_rng(7)
    days = pd.date_range("2011-01-01", periods=120)
    truth = 0.6
    mean = 200 * np.exp(0.1 * DOW_EFFECT[days.day_of_week]) * np.where(days >= "2011-03-16", truth, 1)
    estimates, hits = [], []
    for _ in range(100):
        frame = pd.DataFrame({"n": rng.poisson(mean)}, index=days)
        row = its.fit(frame, y="n", interruptions=["2011-03-16"], family="poisson",
                      seasonality="dow", slope_change=False).level_change()
        estimates.append(np.log(row["estimate"]))
        hits.append(row["ci_low"] <= truth <= row["ci_high"])
    assert abs(np.mean(estimates) - np.log(truth)) < 3 * np.std(estimates) / 10
    assert np.mean(hits) >= 0.88


@pytest.mark.slow
def test_structural_recovers_drop_with_gaps():
    rng = np.random.default_rng(11)
    days = pd.date_range("2011-01-01", periods=150)
    level = 50 + np.cumsum(rng.normal(0, 0.05, 150))
    volume = level + DOW_EFFECT[days.day_of_week] - 10 * (days >= "2011-03-16") + rng.normal(0, 1, 150)
    volume[[30, 31, 100]] = np.nan
    res = its.fit(pd.DataFrame({"v": volume}, index=days), y="v", interruptions=["2011-03-16"],
                  method="structural", seasonality="dow", trend=False, slope_change=False)
    row = res.level_change()
    assert row["ci_low"] <= -10 <= row["ci_high"] and row["ci_high"] - row["ci_low"] < 4
    assert np.isnan(res.counterfactual["observed"].iloc[30])
    assert np.isfinite(res.counterfactual["counterfactual"]).all()
    assert any("gaps in the data: 3" in w for w in res.warnings)


def _count_coverage(family: str, n_days: int, reps: int, seed: int) -> dict[bool, float]:
    """Coverage of the 95% ratio interval, with and without the small-sample adjustment.

    Counts around 1,000 a day with a weekly cycle, a drop to 70% after two thirds
    of the days and AR(1) log-scale noise (phi 0.5, sd 0.1); for ``negbin`` also
    gamma-Poisson overdispersion (shape 20).
    """
    rng = np.random.default_rng(seed)
    days = pd.date_range("2011-01-01", periods=n_days, tz="UTC")
    cut, truth = days[2 * n_days // 3], 0.7
    noise = 0.1 * ar1_matrix(rng, reps, n_days, 0.5) * np.sqrt(1 - 0.5**2)
    hits: dict[bool, list[bool]] = {True: [], False: []}
    for k in range(reps):
        mean = 1000 * np.exp(0.05 * DOW_EFFECT[days.day_of_week] + noise[k]) \
            * np.where(days >= cut, truth, 1.0)
        if family == "negbin":
            mean = mean * rng.gamma(20.0, 1 / 20.0, n_days)
        frame = pd.DataFrame({"n": rng.poisson(mean)}, index=days)
        for small_sample, found in hits.items():
            row = its.fit(frame, y="n", interruptions=[str(cut)], family=family,
                          seasonality="dow", errors="hac",
                          small_sample=small_sample, slope_change=False).level_change()
            found.append(row["ci_low"] <= truth <= row["ci_high"])
    return {key: float(np.mean(value)) for key, value in hits.items()}


@pytest.mark.slow
@pytest.mark.parametrize(("family", "n_days", "reps"), [("quasipoisson", 120, 300),
                                                        ("negbin", 90, 120)])
def test_count_hac_covers_with_small_sample_adjustment(family, n_days, reps):
    cover = _count_coverage(family, n_days, reps, seed=2011)
    assert 0.92 <= cover[True] <= 0.98, cover
    assert cover[False] < 0.92 and cover[False] < cover[True] - 0.03, cover
