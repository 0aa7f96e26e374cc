"""Fitted values and counterfactuals with autocorrelated errors carry the errors forward.

The bug this guards against: with AR(1) errors and rho near 1 the GLS mean ``X b`` is
weakly identified; a ``fitted`` column and a counterfactual built from ``X b`` alone
sat far from the data (3.8 times the observed value, a mean pre-period "effect" of -80
on notebook 02's synthetic series) although the level change was sound. The reference
predictions here are Gaussian conditional expectations computed with dense covariance
matrices (AR(1): ``rho^|s-t| / (1 - rho^2)``; ARMA: from the MA(infinity) weights),
independent of the Markov shortcut and of the Kalman filter in spamlab.its.prediction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spamlab import its
from spamlab.its.prediction import ArmaErrors


def dense_predictions(cov: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E[e_t | available e_s, s < t] and its variance, by explicit conditioning."""
    n = len(values)
    mean, variance = np.zeros(n), np.zeros(n)
    available = ~np.isnan(values)
    for t in range(n):
        given = np.flatnonzero(available[:t])
        if len(given) == 0:
            mean[t], variance[t] = 0.0, cov[t, t]
            continue
        weights = np.linalg.solve(cov[np.ix_(given, given)], cov[given, t])
        mean[t] = weights @ values[given]
        variance[t] = cov[t, t] - weights @ cov[given, t]
    return mean, variance


def arma_cov(ar: float, ma: float, sigma2: float, n: int) -> np.ndarray:
    """ARMA(1,1) autocovariance matrix from 2000 MA(infinity) weights."""
    psi = np.r_[1.0, (ar + ma) * ar ** np.arange(1999)]
    gamma = sigma2 * np.array([psi[: len(psi) - h] @ psi[h:] for h in range(n)])
    return gamma[np.abs(np.subtract.outer(np.arange(n), np.arange(n)))]


def test_predictions_match_dense_conditioning_with_gaps_and_a_withheld_tail():
    rng = np.random.default_rng(11)
    values = rng.normal(size=40)
    values[[3, 4, 17]] = np.nan  # gaps
    values[30:] = np.nan  # withheld: forecast from row 29
    lags = np.abs(np.subtract.outer(np.arange(40), np.arange(40)))
    cases = [(ArmaErrors((0.7,), (), 2.0), 2.0 * 0.7**lags / (1 - 0.49)),
             (ArmaErrors((0.6,), (0.3,), 1.5), arma_cov(0.6, 0.3, 1.5, 40))]
    for process, cov in cases:
        mean, variance = process.predict(values)
        ref_mean, ref_variance = dense_predictions(cov, values)
        np.testing.assert_allclose(mean, ref_mean, atol=1e-8)
        np.testing.assert_allclose(variance, ref_variance, rtol=1e-6)
    columns, _ = cases[0][0].predict(np.c_[values, 2 * values])  # columns share the pattern
    np.testing.assert_allclose(columns[:, 1], 2 * columns[:, 0])


def test_conditional_fit_does_not_predict_its_first_observation():
    mean, variance = ArmaErrors((0.5,), (), 1.0, conditional=True).predict(
        np.array([np.nan, 1.0, 2.0]))
    assert np.isnan(mean[:2]).all() and np.isnan(variance[:2]).all()
    assert mean[2] == 0.5 and variance[2] == 1.0


def drifting_series(seed: int = 5, n: int = 150, cut: int = 100) -> tuple[pd.DataFrame, np.ndarray]:
    """AR(1) noise (rho 0.95) plus a random-walk-like drift, a level change of -3 at ``cut``;
    returns the data and the outcome without the change (the true counterfactual)."""
    rng = np.random.default_rng(seed)
    noise = np.zeros(n)
    noise[0] = rng.normal(0, 1 / np.sqrt(1 - 0.95**2))
    for t in range(1, n):
        noise[t] = 0.95 * noise[t - 1] + rng.normal()
    drift = np.cumsum(rng.normal(0, 0.3, n))
    untreated = 20 + 0.05 * np.arange(n) + drift + noise
    observed = untreated - 3.0 * (np.arange(n) >= cut)
    days = pd.date_range("2011-01-01", periods=n, tz="UTC")
    return pd.DataFrame({"v": observed}, index=days), untreated


@pytest.mark.parametrize("errors", ["ar1", "reml"])
def test_fitted_tracks_the_data_and_the_pre_period_effect_is_zero_when_rho_is_near_one(errors):
    frame, untreated = drifting_series()
    res = its.fit(frame, y="v", interruptions=["2011-04-11"], errors=errors)
    table = res.counterfactual
    observed = table["observed"].to_numpy()
    line = res.params.to_numpy() @ its.design.build(
        its.data.prepare(frame, "v", ["2011-04-11"])).matrix[res.params.index].to_numpy().T
    off_line = np.sqrt(np.mean((observed - line) ** 2))
    assert off_line > 2.5, "the scenario must make X b a poor description of the data"
    miss = observed - table["fitted"].to_numpy()
    assert np.sqrt(np.nanmean(miss**2)) < 1.5  # innovation sd 1 (plus a little drift)
    pre = table.index < "2011-04-11"
    effect = table.loc[pre, "effect"].dropna()
    assert abs(effect.mean()) < 3 * effect.std() / np.sqrt(len(effect))
    np.testing.assert_allclose(table.loc[pre, "counterfactual"], table.loc[pre, "fitted"])
    # after the cut: the counterfactual forecasts from the last pre-period error, so its
    # first days are near the true untreated path, inside the band
    first = slice(100, 107)
    truth = untreated[first]
    assert np.all(np.abs(table["counterfactual"].to_numpy()[first] - truth) < 3.5)
    assert np.all((table["counterfactual_low"].to_numpy()[first] <= truth)
                  & (truth <= table["counterfactual_high"].to_numpy()[first]))
    np.testing.assert_allclose(table["cumulative_effect"].iloc[-1],
                               table.loc[~pre, "effect"].sum())


def test_counterfactual_bands_carry_the_last_pre_period_error():
    """After the cut the counterfactual is ``X_t b_cf + rho^h e_T``; its mean band has the
    variance of ``(X_t - rho^h X_T) b`` and the observation band adds
    ``sigma2 (1 - rho^(2h)) / (1 - rho^2)`` (written out here by hand)."""
    frame, _ = drifting_series()
    res = its.fit(frame, y="v", interruptions=["2011-04-11"], errors="reml")
    x = its.design.build(its.data.prepare(frame, "v", ["2011-04-11"])).matrix[res.params.index]
    x_cf = x.to_numpy().copy()
    x_cf[:, [list(x.columns).index(c) for _, _, c in res.terms]] = 0.0
    rho, sigma2, b = res.rho, float(res.model_result.sigma2[0]) * res.unit**2, res.params.to_numpy()
    last = 99
    h = np.arange(150)[last + 1:] - last
    e_last = frame["v"].iloc[last] - x.to_numpy()[last] @ b
    z = x_cf[last + 1:] - rho ** h[:, None] * x.to_numpy()[last]
    se = np.sqrt(np.einsum("ij,jk,ik->i", z, res.cov.to_numpy(), z))
    noise = sigma2 * (1 - rho ** (2 * h)) / (1 - rho**2)
    crit = stats.t.ppf(0.975, res.df_resid)
    table = res.counterfactual.iloc[last + 1:]
    band = res.mean_band.iloc[last + 1:]
    np.testing.assert_allclose(table["counterfactual"], x_cf[last + 1:] @ b + rho**h * e_last)
    np.testing.assert_allclose(band["counterfactual_mean_high"] - table["counterfactual"],
                               crit * se, rtol=1e-8)
    np.testing.assert_allclose(table["counterfactual_high"] - table["counterfactual"],
                               crit * np.sqrt(se**2 + noise), rtol=1e-8)
