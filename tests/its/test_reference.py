"""Reference tests: every family/error option against a direct statsmodels computation.

The design matrix is rebuilt here by hand (not with spamlab's design module), so a
wrong trend, indicator, partial-day fraction or dummy coding makes these fail.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from arma_reference import brute_force, dense_kackar_harville
from its_support import CUT, hand_design, level_row
from scipy import stats

from spamlab import its


def check(res, coef: float, se: float, crit: float, log_scale: bool) -> None:
    row = level_row(res)
    back = np.exp if log_scale else (lambda v: v)
    np.testing.assert_allclose(row["coef"], coef, rtol=1e-6)
    np.testing.assert_allclose(row["std_err"], se, rtol=1e-6)
    np.testing.assert_allclose(row["estimate"], back(coef), rtol=1e-6)
    np.testing.assert_allclose([row["ci_low"], row["ci_high"]],
                               back(np.array([coef - crit * se, coef + crit * se])), rtol=1e-6)
    assert row["scale"] == ("ratio" if log_scale else "difference")


def nw_lags(n: int) -> int:
    return int(np.floor(4 * (n / 100) ** (2 / 9)))


@pytest.mark.parametrize("errors", ["iid", "hac"])
@pytest.mark.parametrize("transform", [None, "log"])
def test_gaussian_matches_ols(daily, errors, transform):
    x = hand_design(daily)
    response = np.log(daily["volume"]) if transform else daily["volume"]
    model = sm.OLS(response, x)
    ref = model.fit() if errors == "iid" else model.fit(
        cov_type="HAC", cov_kwds={"maxlags": nw_lags(len(x)), "use_correction": True}, use_t=True)
    res = its.fit(daily, y="volume", interruptions=[CUT], seasonality="dow", errors=errors,
                  transform=transform, small_sample=False, slope_change=False)
    crit = stats.t.ppf(0.975, ref.df_resid)
    check(res, ref.params["level"], ref.bse["level"], crit, transform == "log")
    np.testing.assert_allclose(level_row(res)["p_value"], ref.pvalues["level"], rtol=1e-6)
    np.testing.assert_allclose(res.params.to_numpy(), ref.params.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(res.cov.to_numpy(), ref.cov_params().to_numpy(), rtol=1e-8)
    assert res.df_resid == ref.df_resid == len(x) - x.shape[1] and res.rho is None


def test_slope_change_matches_ols(daily):
    x = hand_design(daily, slope=True)
    ref = sm.OLS(daily["volume"], x).fit()
    res = its.fit(daily, y="volume", interruptions=[CUT], seasonality="dow", slope_change=True)
    slope = res.effects.set_index("kind").loc["slope_change"]
    np.testing.assert_allclose(slope["estimate"], ref.params["slope"], rtol=1e-6)
    np.testing.assert_allclose(level_row(res)["estimate"], ref.params["level"], rtol=1e-6)


def test_ar1_matches_glsar(daily):
    x = hand_design(daily)
    model = sm.GLSAR(daily["volume"], x, rho=1)
    ref = model.iterative_fit(maxiter=100, rtol=1e-10)
    res = its.fit(daily, y="volume", interruptions=[CUT], seasonality="dow", errors="ar1",
                  small_sample=False, slope_change=False)
    check(res, ref.params["level"], ref.bse["level"], stats.t.ppf(0.975, ref.df_resid), False)
    assert res.rho == pytest.approx(float(model.rho[0]), rel=1e-10)
    assert res.df_resid == ref.df_resid


def test_arma_is_reml_with_kackar_harville_variance_and_satterthwaite_df(daily):
    """arma(1,1): REML coefficients by a dense brute-force search, Kackar-Harville SE and
    Satterthwaite df from dense formulas (arma_reference.py, independent of spamlab)."""
    x = hand_design(daily).to_numpy()
    y = daily["volume"].to_numpy()
    times = np.arange(len(y), dtype=float)
    params = brute_force(x, y, times, 2)
    c = np.eye(x.shape[1])[list(hand_design(daily).columns).index("level")]
    coef, se, df = dense_kackar_harville(x, y, times, params, c)
    res = its.fit(daily, y="volume", interruptions=[CUT], seasonality="dow", errors="arma(1,1)",
                  slope_change=False)
    np.testing.assert_allclose(res.model_result.coef, params, atol=1e-4)
    row = level_row(res)
    np.testing.assert_allclose(row["df"], df, rtol=1e-3)
    crit = stats.t.ppf(0.975, row["df"])
    np.testing.assert_allclose([row["coef"], row["std_err"]], [coef, se], rtol=1e-4)
    np.testing.assert_allclose([row["ci_low"], row["ci_high"]],
                               [coef - crit * se, coef + crit * se], rtol=1e-4)
    assert "ARMA(1,1) errors by REML" in res.model


@pytest.mark.parametrize("errors", ["iid", "hac"])
def test_poisson_with_exposure_matches_glm(daily, errors):
    x = hand_design(daily)
    model = sm.GLM(daily["count"], x, family=sm.families.Poisson(),
                   offset=np.log(daily["mailboxes"].to_numpy()))
    ref = model.fit() if errors == "iid" else model.fit(
        cov_type="HAC", cov_kwds={"maxlags": nw_lags(len(x))})
    res = its.fit(daily, y="count", interruptions=[CUT], seasonality="dow", family="poisson",
                  exposure="mailboxes", errors=errors, small_sample=False, slope_change=False)
    check(res, ref.params["level"], ref.bse["level"], stats.norm.ppf(0.975), True)


def test_quasipoisson_uses_pearson_dispersion(daily):
    x = hand_design(daily)
    glm = sm.GLM(daily["count"], x, family=sm.families.Poisson()).fit()
    dispersion = glm.pearson_chi2 / glm.df_resid  # R: summary(glm(..., quasipoisson))$dispersion
    se = glm.bse["level"] * np.sqrt(dispersion)
    res = its.fit(daily, y="count", interruptions=[CUT], seasonality="dow", family="quasipoisson", slope_change=False)
    check(res, glm.params["level"], se, stats.t.ppf(0.975, glm.df_resid), True)


def test_negbin_matches_discrete_nb2(daily):
    x = hand_design(daily)
    ref = sm.NegativeBinomial(daily["nb_count"], x, loglike_method="nb2").fit(
        disp=False, maxiter=100, method="newton")
    assert ref.mle_retvals["converged"]
    res = its.fit(daily, y="nb_count", interruptions=[CUT], seasonality="dow", family="negbin", slope_change=False)
    check(res, ref.params["level"], ref.bse["level"], stats.norm.ppf(0.975), True)


def test_fourier_terms_match_hand_built(daily):
    n = len(daily)
    t = np.arange(n, dtype=float)
    x = hand_design(daily)[["const", "trend", "level"]].assign(
        s1=np.sin(2 * np.pi * t / 7), c1=np.cos(2 * np.pi * t / 7),
        s2=np.sin(4 * np.pi * t / 7), c2=np.cos(4 * np.pi * t / 7))
    ref = sm.OLS(daily["volume"], x).fit()
    res = its.fit(daily, y="volume", interruptions=[CUT], seasonality="fourier:7:2", slope_change=False)
    np.testing.assert_allclose(level_row(res)["estimate"], ref.params["level"], rtol=1e-6)


def test_counterfactual_band_matches_ols_prediction(daily):
    x = hand_design(daily)
    ref = sm.OLS(daily["volume"], x).fit()
    res = its.fit(daily, y="volume", interruptions=[CUT], seasonality="dow", slope_change=False)
    pred = ref.get_prediction(x.assign(level=0.0)).summary_frame(alpha=0.05)
    table = res.counterfactual
    np.testing.assert_allclose(table["counterfactual"], pred["mean"], rtol=1e-8)
    np.testing.assert_allclose(res.mean_band["counterfactual_mean_low"], pred["mean_ci_lower"],
                               rtol=1e-8)
    np.testing.assert_allclose(table["counterfactual_low"], pred["obs_ci_lower"], rtol=1e-8)
    np.testing.assert_allclose(table["counterfactual_high"], pred["obs_ci_upper"], rtol=1e-8)
    np.testing.assert_allclose(table["fitted"], ref.fittedvalues, rtol=1e-8)
    post = table.index >= "2011-03-16"
    expected = np.cumsum(np.where(post, daily["volume"] - pred["mean"], 0.0))
    np.testing.assert_allclose(table["cumulative_effect"], expected, rtol=1e-8, atol=1e-8)


def test_quasipoisson_hac_is_the_poisson_sandwich(daily):
    x = hand_design(daily)
    ref = sm.GLM(daily["count"], x, family=sm.families.Poisson()).fit(
        cov_type="HAC", cov_kwds={"maxlags": nw_lags(len(x))})
    res = its.fit(daily, y="count", interruptions=[CUT], seasonality="dow", family="quasipoisson",
                  errors="hac", small_sample=False, slope_change=False)
    check(res, ref.params["level"], ref.bse["level"], stats.norm.ppf(0.975), True)


def test_negbin_hac_matches_discrete_nb2(daily):
    x = hand_design(daily)
    ref = sm.NegativeBinomial(daily["nb_count"], x, loglike_method="nb2").fit(
        disp=False, maxiter=100, method="newton", cov_type="HAC",
        cov_kwds={"maxlags": nw_lags(len(x))})
    res = its.fit(daily, y="nb_count", interruptions=[CUT], seasonality="dow", family="negbin",
                  errors="hac", small_sample=False, slope_change=False)
    check(res, ref.params["level"], ref.bse["level"], stats.norm.ppf(0.975), True)


def test_seasonality_list_combines_dummies_and_fourier(daily):
    t = np.arange(len(daily), dtype=float)
    x = hand_design(daily).assign(s1=np.sin(2 * np.pi * t / 30.5), c1=np.cos(2 * np.pi * t / 30.5))
    ref = sm.OLS(daily["volume"], x).fit()
    res = its.fit(daily, y="volume", interruptions=[CUT], seasonality=["dow", "fourier:30.5:1"], slope_change=False)
    np.testing.assert_allclose(level_row(res)["estimate"], ref.params["level"], rtol=1e-6)


def _dense_hac_adjustment(working: np.ndarray, rho: float, lags: int, column: int
                          ) -> tuple[float, float]:
    """Bias factor and Satterthwaite df of a Newey-West variance (no n/(n-p)), with n x n matrices.

    Under AR(1) errors with correlation ``S``, residuals ``M e`` and ``c`` the
    coefficient's row of ``pinv(X)``: ``V_NW = e'M D K D M e`` with ``D = diag(c)``
    and ``K`` the Bartlett weights, so ``E = tr(D K D M S M)``, ``Var = 2 tr((D K D M S M)^2)``
    and the true variance is ``c'Sc``.
    """
    n = len(working)
    gaps = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    s = rho**gaps
    k = np.where(gaps <= lags, 1 - gaps / (lags + 1), 0.0)
    pinv = np.linalg.pinv(working)
    m = np.eye(n) - working @ pinv
    d = np.diag(pinv[column])
    a = d @ k @ d @ m @ s @ m
    expected = np.trace(a)
    return expected / (pinv[column] @ s @ pinv[column]), expected**2 / np.trace(a @ a)


@pytest.mark.parametrize("family", ["quasipoisson", "negbin"])
def test_count_hac_small_sample_is_the_working_linear_model_adjustment(daily, family):
    """Poisson/NB2 HAC: the OLS adjustment on sqrt(w) X and Pearson residuals, computed densely."""
    from spamlab.its.batched import yule_walker_ar1
    from spamlab.its.smallsample import bias_corrected_rho

    x = hand_design(daily)
    lags = nw_lags(len(x))
    if family == "quasipoisson":
        y = daily["count"].to_numpy(dtype=float)
        ref = sm.GLM(y, x, family=sm.families.Poisson()).fit(cov_type="HAC",
                                                             cov_kwds={"maxlags": lags})
        mu = np.asarray(ref.mu)
        weights, pearson = mu, (y - mu) / np.sqrt(mu)
    else:
        y = daily["nb_count"].to_numpy(dtype=float)
        ref = sm.NegativeBinomial(y, x, loglike_method="nb2").fit(
            disp=False, maxiter=100, method="newton", cov_type="HAC", cov_kwds={"maxlags": lags})
        alpha = ref.params["alpha"]
        mu = np.exp(x.to_numpy() @ ref.params[x.columns].to_numpy())
        weights, pearson = mu / (1 + alpha * mu), (y - mu) / np.sqrt(mu + alpha * mu**2)
    working = x.to_numpy() * np.sqrt(weights)[:, None]
    rho = bias_corrected_rho(working[None], yule_walker_ar1(pearson[None]))[0]
    factor, df = _dense_hac_adjustment(working, rho, lags, list(x.columns).index("level"))
    assert factor < 1  # positive autocorrelation: plain Newey-West is too small
    res = its.fit(daily, y="count" if family == "quasipoisson" else "nb_count",
                  interruptions=[CUT], seasonality="dow", family=family, errors="hac", slope_change=False)
    row = level_row(res)
    np.testing.assert_allclose(row["std_err"], ref.bse["level"] / np.sqrt(factor), rtol=1e-6)
    np.testing.assert_allclose(row["df"], df, rtol=1e-6)
    crit = stats.t.ppf(0.975, df)
    coef = ref.params["level"]
    np.testing.assert_allclose([row["ci_low"], row["ci_high"]],
                               np.exp([coef - crit * row["std_err"], coef + crit * row["std_err"]]),
                               rtol=1e-6)
    assert "small-sample adjusted" in res.model
