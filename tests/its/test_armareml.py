"""errors="arma(p,q)": REML, Kackar-Harville variance and Satterthwaite df (spamlab.its.armareml).

References: the AR(1) REML estimator of spamlab.its.reml (a different parametrization,
search and whitening, analytic derivatives), a dense brute-force ARMA(1,1) REML fit and
dense Kackar-Harville formulas (arma_reference.py), and a Monte Carlo on the Turner et al.
(2021) design with the coverage target of issue 14.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from arma_reference import brute_force, dense_kackar_harville
from its_support import ar1_noise
from statsmodels.tsa.statespace.sarimax import SARIMAX

from spamlab import its
from spamlab.its import armareml, reml


def turner_design(n: int) -> np.ndarray:
    """Turner et al. (2021): ``1, t, D_t, (t - n/2) D_t``, ``D_t = 1`` for ``t > n/2``."""
    t = np.arange(1, n + 1, dtype=float)
    post = (t > n / 2).astype(float)
    return np.column_stack([np.ones(n), t, post, (t - n / 2) * post])


def arma_noise(rng: np.random.Generator, n: int, phi: float, theta: float) -> np.ndarray:
    """ARMA(1,1) noise with a burn-in of 500 periods."""
    w = rng.normal(size=n + 501)
    e = np.zeros(n + 501)
    for t in range(1, n + 501):
        e[t] = phi * e[t - 1] + w[t] + theta * w[t - 1]
    return e[501:]


CASES = [(24, 0.8, False), (48, 0.4, False), (100, 0.8, False), (60, 0.6, True)]


@pytest.mark.parametrize(("n", "rho", "gaps"), CASES)
def test_ar1_is_the_reml_estimator(n, rho, gaps):
    """arma(1,0) by armareml = errors="reml" (reml.py): same rho, SE and df for level and slope."""
    rng = np.random.default_rng(n)
    x, y = turner_design(n), ar1_noise(rng, n, rho)
    times = np.arange(n, dtype=float)
    if gaps:  # drop rows 10-12 and 40: the correlation across a gap of d periods is rho^d
        keep = ~np.isin(np.arange(n), [10, 11, 12, 40])
        x, y, times = x[keep], y[keep], times[keep]
    ref = reml.fit_reml(x, y[None], times)
    fit = armareml.fit_arma_reml(x, y, times, (1, 0))
    assert fit.coef[0] == pytest.approx(ref.rho[0], abs=1e-4)
    for c in ([0, 0, 1.0, 0], [0, 0, 0, 1.0], [0, 0, 1.0, 1.0]):
        mine = armareml.kackar_harville(fit, np.array(c))
        theirs = reml.kackar_harville(ref, np.array(c))
        np.testing.assert_allclose(mine.estimate, theirs.estimate, rtol=1e-4, atol=1e-8)
        np.testing.assert_allclose(mine.std_err, theirs.std_err, rtol=1e-3)
        np.testing.assert_allclose(mine.df, theirs.df, rtol=1e-3)


def test_its_fit_arma10_equals_reml_errors():
    """Through its.fit (seasonality, log scale): effects, df and counterfactual as errors="reml"."""
    rng = np.random.default_rng(3)
    days = pd.date_range("2020-01-01", periods=90)
    y = np.exp(3 + 0.2 * (np.arange(90) >= 50) + 0.1 * ar1_noise(rng, 90, 0.5))
    frame = pd.DataFrame({"v": y}, index=days)
    kw = {"y": "v", "interruptions": ["2020-02-20"], "seasonality": "dow", "transform": "log",
          "slope_change": True}
    arma, ref = its.fit(frame, errors="arma(1,0)", **kw), its.fit(frame, errors="reml", **kw)
    cols = ["estimate", "ci_low", "ci_high", "p_value"]
    np.testing.assert_allclose(arma.effects[cols], ref.effects[cols], rtol=1e-3)
    np.testing.assert_allclose(arma.counterfactual["counterfactual_low"],
                               ref.counterfactual["counterfactual_low"], rtol=1e-4)
    assert arma.rho == pytest.approx(ref.rho, abs=1e-4)
    assert "ARMA(1,0) errors by REML" in arma.model


@pytest.mark.parametrize("gaps", [False, True])
def test_arma11_matches_brute_force_reml_and_dense_kackar_harville(gaps):
    rng = np.random.default_rng(11)
    n = 80
    x = turner_design(n)
    y = x @ [5.0, 0.1, -2.0, 0.05] + arma_noise(rng, n, 0.6, 0.3)
    times = np.arange(n, dtype=float)
    if gaps:
        keep = ~np.isin(np.arange(n), [5, 30, 31, 60])
        x, y, times = x[keep], y[keep], times[keep]
    expected = brute_force(x, y, times, 2)
    fit = armareml.fit_arma_reml(x, y, times, (1, 1))
    np.testing.assert_allclose(fit.coef, expected, atol=1e-4)
    for c in (np.array([0, 0, 1.0, 0]), np.array([0, 0, 1.0, 5.0])):
        estimate, se, df = dense_kackar_harville(x, y, times, fit.coef, c)
        test = armareml.kackar_harville(fit, c)
        np.testing.assert_allclose(test.estimate[0], estimate, rtol=1e-6)
        np.testing.assert_allclose(test.std_err[0], se, rtol=1e-4)
        np.testing.assert_allclose(test.df[0], df, rtol=1e-3)


def test_partial_autocorrelations_round_trip_and_bound_the_roots():
    rng = np.random.default_rng(0)
    for order in [(1, 0), (2, 1), (3, 2)]:
        pacf = rng.uniform(-0.99, 0.99, sum(order))
        coef = armareml.from_pacf(pacf, order)
        np.testing.assert_allclose(armareml.to_pacf(coef, order), pacf, atol=1e-10)
        ar = np.r_[1, -coef[:order[0]]]
        ma = np.r_[1, coef[order[0]:]]
        for poly in (ar, ma):  # roots of the lag polynomials outside the unit circle
            assert np.all(np.abs(np.roots(poly[::-1])) > 1)


@pytest.mark.slow
def test_arma10_covers_on_the_hardest_turner_cell():
    """n = 24, rho = 0.8: the cell where exact ML with observed information covered 85%."""
    reps, n = 300, 24
    rng = np.random.default_rng(2024)
    covered = 0
    for _ in range(reps):
        frame = pd.DataFrame({"y": ar1_noise(rng, n, 0.8)}, index=pd.RangeIndex(1, n + 1))
        level = its.fit(frame, y="y", interruptions=[n // 2 + 1], errors="arma(1,0)",
                        slope_change=True, min_pre=0).level_change()
        covered += level["ci_low"] <= 0 <= level["ci_high"]
    coverage = covered / reps
    se = np.sqrt(0.93 * 0.07 / reps)
    assert coverage >= 0.91, (f"coverage {coverage:.3f} of the 95% interval for the level change "
                              f"({reps} replications, Monte Carlo SE {se:.3f} at 93%): more than "
                              "1.4 SE below the 93% target")


def test_long_series_fall_back_to_exact_ml(monkeypatch):
    """Beyond DENSE_MAX observed rows: SARIMAX exact ML, said in the notes."""
    monkeypatch.setattr(armareml, "DENSE_MAX", 50)
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"v": 10 + ar1_noise(rng, 80, 0.5) - 2.0 * (np.arange(80) >= 40)},
                         index=pd.date_range("2020-01-01", periods=80))
    res = its.fit(frame, y="v", interruptions=["2020-02-10"], errors="arma(1,0)",
                  slope_change=False)
    x = np.c_[np.ones(80), np.arange(80.0), np.arange(80) >= 40]
    # its.fit fits v / res.unit (spamlab.its.scaling); SARIMAX's optimizer is not scale-free
    # on this flat likelihood (v itself gives -1.421, v / 8 gives 8 x -0.1827 = -1.461)
    assert res.unit == np.median(np.abs(frame["v"]))
    ref = SARIMAX(frame["v"].to_numpy() / res.unit, exog=x, order=(1, 0, 0), trend="n").fit(
        disp=False)
    np.testing.assert_allclose(res.effects["estimate"].iloc[0], res.unit * ref.params[2],
                               rtol=1e-3)
    assert "exact ML" in res.model and any("instead of REML" in w for w in res.warnings)
