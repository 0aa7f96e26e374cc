"""The small-sample corrections against dense, textbook matrix formulas.

Each quantity is recomputed here with explicit n x n matrices (residual maker M,
AR(1) covariance S, Bartlett weights K) and root finding by scipy, independent of
the recursions and fixed-point iteration in spamlab.its.smallsample.
"""

from __future__ import annotations

import numpy as np
import statsmodels.api as sm
from its_support import CUT, hand_design, level_row
from scipy import optimize, stats
from statsmodels.regression.linear_model import yule_walker

from spamlab import its


def ar1_cov(rho: float, n: int) -> np.ndarray:
    lags = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    return rho**lags / (1 - rho**2)


def dense_corrected_rho(x: np.ndarray, resid: np.ndarray) -> float:
    n = len(resid)
    rho_hat = yule_walker(resid, order=1, method="adjusted", demean=True, result_object=False)[0][0]
    resid_maker = np.eye(n) - x @ np.linalg.pinv(x)

    def gap(rho: float) -> float:
        a = resid_maker @ ar1_cov(rho, n) @ resid_maker
        return (np.trace(a, offset=1) / (n - 1)) / (np.trace(a) / n) - rho_hat

    return optimize.brentq(gap, -0.95, 0.97, xtol=1e-14)


def test_ar1_small_sample_matches_dense_formulas(daily):
    x = hand_design(daily)
    y = daily["volume"].to_numpy()
    rho = dense_corrected_rho(x.to_numpy(), sm.OLS(y, x).fit().resid.to_numpy())
    ref = sm.GLSAR(y, x, rho=rho).fit()
    n = len(y)

    def log_var(r: float) -> float:
        wx = x.to_numpy()[1:] - r * x.to_numpy()[:-1]
        return np.log(np.linalg.inv(wx.T @ wx)[2, 2])

    slope = (log_var(rho + 1e-5) - log_var(rho - 1e-5)) / 2e-5
    df = 2 / (slope**2 * (1 - rho**2) / n + 2 / ref.df_resid)
    res = its.fit(daily, y="volume", interruptions=[CUT], seasonality="dow", errors="ar1", slope_change=False)
    row = level_row(res)
    np.testing.assert_allclose(row["coef"], ref.params["level"], rtol=1e-6)
    np.testing.assert_allclose(row["std_err"], ref.bse["level"], rtol=1e-6)
    np.testing.assert_allclose(row["df"], df, rtol=1e-5)
    np.testing.assert_allclose(res.rho, rho, rtol=1e-8)  # the rho the fit used, exposed
    half = stats.t.ppf(0.975, df) * ref.bse["level"]
    np.testing.assert_allclose([row["ci_low"], row["ci_high"]],
                               [ref.params["level"] - half, ref.params["level"] + half], rtol=1e-5)


def test_hac_small_sample_matches_bell_mccaffrey_dense(daily):
    x = hand_design(daily).to_numpy()
    y = daily["volume"].to_numpy()
    n, p = x.shape
    lags = int(np.floor(4 * (n / 100) ** (2 / 9)))
    ols = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True})
    rho = dense_corrected_rho(x, ols.resid)
    s = ar1_cov(rho, n)
    resid_maker = np.eye(n) - x @ np.linalg.pinv(x)
    a = resid_maker @ s @ resid_maker
    c = np.linalg.pinv(x)[2]
    weights = np.clip(1 - np.abs(np.subtract.outer(np.arange(n), np.arange(n))) / (lags + 1), 0, None)
    w = np.outer(c, c) * weights
    correction = n / (n - p)
    expected = np.sum(w * a) * correction
    variance = 2 * np.trace(w @ a @ w @ a) * correction**2
    factor = expected / (c @ s @ c)
    df = 2 * expected**2 / variance
    se = np.sqrt(ols.cov_params()[2, 2] / factor)
    res = its.fit(daily, y="volume", interruptions=[CUT], seasonality="dow", errors="hac", slope_change=False)
    row = level_row(res)
    np.testing.assert_allclose(row["std_err"], se, rtol=1e-6)
    np.testing.assert_allclose(row["df"], df, rtol=1e-6)
    assert factor < 1, "Newey-West is biased down under positive autocorrelation"


def dense_hac_adjustment(x: np.ndarray, rho: float, lags: int, column: int) -> tuple[float, float]:
    """Bell-McCaffrey factor and df for one design with explicit n x n matrices."""
    n, p = x.shape
    s = ar1_cov(rho, n)
    resid_maker = np.eye(n) - x @ np.linalg.pinv(x)
    a = resid_maker @ s @ resid_maker
    c = np.linalg.pinv(x)[column]
    weights = np.clip(1 - np.abs(np.subtract.outer(np.arange(n), np.arange(n))) / (lags + 1), 0, None)
    w = np.outer(c, c) * weights
    correction = n / (n - p)
    expected = np.sum(w * a) * correction
    return expected / (c @ s @ c), 2 * expected**2 / (2 * np.trace(w @ a @ w @ a) * correction**2)


def dense_lag1_ratio(x: np.ndarray, rho: float) -> float:
    n = x.shape[0]
    resid_maker = np.eye(n) - x @ np.linalg.pinv(x)
    a = resid_maker @ ar1_cov(rho, n) @ resid_maker
    return (np.trace(a, offset=1) / (n - 1)) / (np.trace(a) / n)


def test_stacked_corrections_match_dense_formulas_per_problem():
    """Distinct designs (a scan) and one broadcast design (a simulation) against dense algebra."""
    from spamlab.its import smallsample

    rng = np.random.default_rng(7)
    n = 60
    base = np.c_[np.ones(n), np.arange(n), rng.normal(size=(n, 3))]
    scan = np.stack([np.insert(base, 2, np.arange(n) >= cut, axis=1) for cut in (15, 30, 44)])
    shared = np.broadcast_to(scan[1], (4, n, 6))
    for x, rho in [(scan, np.array([0.6, -0.3, 0.2])), (shared, np.array([0.1, 0.5, 0.85, -0.4]))]:
        factors, dfs = smallsample.hac_adjustment(x, rho, 3, np.eye(6)[[2, 4]])
        rho_hat = np.minimum(rho, 0.5)  # g(0.98) caps what a short series can reach
        fitted = smallsample.bias_corrected_rho(x, rho_hat)
        for k in range(len(rho)):
            for j, column in enumerate([2, 4]):
                np.testing.assert_allclose([factors[k, j], dfs[k, j]],
                                           dense_hac_adjustment(x[k], rho[k], 3, column),
                                           rtol=1e-10)
            assert abs(fitted[k]) < smallsample.RHO_LIMIT
            np.testing.assert_allclose(dense_lag1_ratio(x[k], fitted[k]), rho_hat[k], atol=1e-11)
