"""Likelihood-ratio break-date sets (``interval="lr"``, the default) and the trend choice:
the bootstrap critical values against a brute-force simulation, the BIC against a dense
gaussian likelihood, and (slow) coverage and width on the design of issue 28 against an
independent Bai (1997) interval with a HAC variance (``benchmarks/breaks.py``)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from its_support import ar1_matrix
from scipy import stats

from spamlab import its
from spamlab.errors import ParameterError
from spamlab.its.breaks import trend_bic
from spamlab.its.breakset import DRAWS, SEED, likelihood_ratio_set

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "breaks.py"


def benchmark_module():
    spec = importlib.util.spec_from_file_location("breaks_benchmark", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ar1_cholesky_whitener(n: int, rho: float) -> np.ndarray:
    lag = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    return np.linalg.inv(np.linalg.cholesky(rho**lag / (1 - rho**2)))


@pytest.mark.parametrize("rho_sd", [0.0, 0.1])
def test_bootstrap_critical_values_against_brute_force_simulation(rho_sd):
    """Each date's test written out: GLS fit with the break there, series simulated from
    it (the library's seeded draws; with ``rho_sd`` AR(1) errors by the dense Cholesky
    factor of each drawn coefficient's covariance, whitened at ``rho``), every date
    refitted by least squares on the whitened data, the 95% point of the statistic."""
    rng = np.random.default_rng(6)
    n, size, rho = 40, 8, 0.4
    t = np.arange(n)
    common = (t + 1.0)[:, None]
    values = 0.1 * t + 3.0 * (t >= 22) + ar1_matrix(rng, 1, n, rho)[0]
    whitener = ar1_cholesky_whitener(n, rho)
    dates = np.arange(size, n - size + 1)
    designs = [whitener @ np.column_stack([np.ones(n), t >= k, common]).astype(float)
               for k in dates]
    makers = [np.eye(n) - x @ np.linalg.pinv(x) for x in designs]
    dof = n - 3
    draws = np.random.default_rng(SEED)
    noise = draws.standard_normal((DRAWS, n))
    if rho_sd:
        coefs = np.clip(rho + rho_sd * draws.standard_normal(DRAWS), -0.98, 0.98)
        lag = np.abs(np.subtract.outer(t, t))
        noise = np.stack([whitener @ np.linalg.cholesky(c**lag / (1 - c**2)) @ z
                          for c, z in zip(coefs, noise, strict=True)])
    yw = whitener @ values

    def statistic(ssr: np.ndarray, i: int) -> np.ndarray:
        return (ssr[..., i] - ssr.min(axis=-1)) / (ssr.min(axis=-1) / dof)

    observed = np.array([yw @ m @ yw for m in makers])
    expected = np.zeros(n, dtype=bool)
    for i, x in enumerate(designs):
        beta = np.linalg.lstsq(x, yw, rcond=None)[0]
        scale = math.sqrt(observed[i] / dof)
        simulated = x @ beta + scale * noise  # (DRAWS, n); the statistic is scale-free
        ssr = np.stack([np.einsum("bn,bn->b", simulated @ m, simulated) for m in makers], 1)
        expected[dates[i]] = statistic(observed, i) <= np.quantile(statistic(ssr, i), 0.95)
    expected[dates[np.argmin(observed)]] = True
    got, date = likelihood_ratio_set(values, common, size, rho, 0.05, rho_sd=rho_sd)
    np.testing.assert_array_equal(got, expected)
    assert date == dates[np.argmin(observed)]
    assert 1 < got.sum() < len(dates)  # a set that says something either way


def test_trend_bic_against_dense_gaussian_likelihood():
    """BIC of each model from the multivariate normal density of its residuals under the
    AR(1) covariance (dense), the breaks found by brute force here."""
    rng = np.random.default_rng(9)
    n, size = 60, 9
    t = np.arange(n)
    values = 0.03 * t - 1.0 * (t >= 35) + ar1_matrix(rng, 1, n, 0.5)[0]
    got = trend_bic(values, np.empty((n, 0)), (t + 1.0)[:, None], 1, size, iid=False)
    lag = np.abs(np.subtract.outer(t, t))
    for name, columns in (("no_trend", []), ("trend", [t + 1.0])):
        best = None
        for k in range(size, n - size + 1):
            x = np.column_stack([t < k, t >= k, *columns]).astype(float)
            resid = values - x @ np.linalg.lstsq(x, values, rcond=None)[0]
            if best is None or resid @ resid < best @ best:
                best = resid
        rho = (best[1:] @ best[:-1]) / (best[:-1] @ best[:-1])
        correlation = rho**lag / (1 - rho**2)
        variance = best @ np.linalg.solve(correlation, best) / n  # innovation variance (MLE)
        loglik = stats.multivariate_normal(np.zeros(n), variance * correlation).logpdf(best)
        params = 2 + 1 + len(columns) + 1 + 1
        expected = -2 * loglik + params * math.log(n) - n * (1 + math.log(2 * math.pi))
        assert got[name] == pytest.approx(expected, rel=1e-9, abs=1e-8), name


def test_trend_is_used_only_when_the_data_support_it():
    rng = np.random.default_rng(4)
    n = 150
    t = np.arange(n)
    noise = ar1_matrix(rng, 1, n, 0.5)[0]
    flat = its.break_search(pd.DataFrame({"v": noise - 3 * (t >= 80)}), y="v", errors="hac")
    sloped = its.break_search(pd.DataFrame({"v": noise - 3 * (t >= 80) + 0.08 * t}), y="v",
                              errors="hac")
    assert not flat.trend and flat.trend_selection["no_trend"] < flat.trend_selection["trend"]
    assert sloped.trend and sloped.trend_selection["trend"] < sloped.trend_selection["no_trend"]
    assert "without a common linear trend (chosen by BIC" in flat.summary()
    # an explicit trend is obeyed and not tested
    forced = its.break_search(pd.DataFrame({"v": noise - 3 * (t >= 80)}), y="v", trend=True)
    assert forced.trend and forced.trend_selection is None
    assert forced.to_dict()["trend"] is True and forced.interval == "lr"


def test_sets_are_reported_as_sets_with_their_hull():
    rng = np.random.default_rng(3)
    days = pd.date_range("2011-01-01", periods=120)
    frame = pd.DataFrame({"v": ar1_matrix(rng, 1, 120, 0.5)[0] + 1.2 * (np.arange(120) >= 70)},
                         index=days)
    result = its.break_search(frame, y="v", errors="hac", trend=False)
    row, members = result.table.iloc[0], result.sets[0]
    assert len(members) == row["set_size"] and row["break_at"] in members
    assert (min(members), max(members)) == (row["ci_low"], row["ci_high"])
    assert set(members) <= set(days[18:103])  # admissible dates only


def test_lr_option_errors():
    frame = pd.DataFrame({"v": np.r_[np.zeros(40), np.ones(40)] + np.sin(np.arange(80))})
    with pytest.raises(ParameterError, match="interval='lr' with errors='hac\\(4\\)'"):
        its.breakpoints(frame, y="v", errors="hac(4)", interval="lr")
    with pytest.raises(ParameterError, match="trend='maybe': use True, False or 'auto'"):
        its.breakpoints(frame, y="v", trend="maybe")
    assert its.break_search(frame, y="v", errors="hac(4)").interval == "inverted"


@pytest.mark.slow
def test_coverage_and_width_on_the_issue_28_design():
    """n = 120, shift at 70, AR(1) noise (phi 0.5, unit marginal sd), shifts of 1 and 2 sd,
    errors="hac"; REPS replications per cell. Coverage must reach 0.93 less 2 MC SE (the
    MC SE of a 95% coverage with REPS replications); the mean set size at most 1.1 x the
    mean length of Bai's interval with a HAC variance (computed in benchmarks/breaks.py,
    not by the library) for the mean-shift model and 1.3 x for the defaults (trend chosen
    by BIC), on the same replicates. The defaults' sets are the mean-shift model's
    wherever the BIC declines the trend, so the mean-shift search is rerun only where
    it does not."""
    bench = benchmark_module()
    reps = 200
    margin = 2 * math.sqrt(0.95 * 0.05 / reps)  # 2 MC SE: 0.031
    half_width = bench.argmax_half_width()
    for shift, seed in ((1.0, 281), (2.0, 282)):
        values = bench.design_series(shift, reps, seed)
        bai = np.array([bench.bai_interval(r, 18, True, half_width).sum() for r in values])
        default_sets, mean_shift_sets = np.zeros(values.shape, bool), np.zeros(values.shape, bool)
        for i, row in enumerate(values):
            frame = pd.DataFrame({"v": row})
            result = its.break_search(frame, y="v", errors="hac")
            default_sets[i, result.sets[0]] = True
            if result.trend:
                result = its.break_search(frame, y="v", errors="hac", trend=False)
            mean_shift_sets[i, result.sets[0]] = True
        for label, sets, factor in (("mean shift", mean_shift_sets, 1.1),
                                    ("defaults", default_sets, 1.3)):
            cover, width = sets[:, 70].mean(), sets.sum(axis=1).mean()
            message = (f"{shift:.0f} sd, {label}: coverage {cover:.3f} (MC SE "
                       f"{math.sqrt(cover * (1 - cover) / reps):.3f}), mean size {width:.1f}, "
                       f"Bai-HAC {bai.mean():.1f}")
            print(message)  # shown with pytest -s
            assert cover >= 0.93 - margin, message
            assert width <= factor * bai.mean(), message
