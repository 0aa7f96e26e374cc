"""Effects a statistician asks for (issue 14, item 4) against independent computations.

Horizon effects, window averages/sums and arbitrary contrasts are checked against
statsmodels' own ``t_test`` on a hand-built design, and their small-sample df
(AR(1) Satterthwaite, Bell-McCaffrey HAC) against dense n x n formulas and
finite differences written here, not with spamlab's smallsample module.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from its_support import CUT, hand_design
from scipy import optimize
from statsmodels.regression.linear_model import yule_walker

from spamlab import its
from spamlab.errors import DataError, ParameterError

HORIZONS = (0.0, 7.0, 30.5)


def contrast_vector(x: pd.DataFrame, weights: dict[str, float]) -> np.ndarray:
    return np.array([weights.get(c, 0.0) for c in x.columns])


def dense_rho(x: np.ndarray, resid: np.ndarray) -> float:
    """Bias-corrected AR(1) coefficient by brute force: solve E[lag-1 ratio of M e] = rho_hat."""
    n = len(resid)
    rho_hat = yule_walker(resid, order=1, method="adjusted", demean=True, result_object=False)[0][0]
    m = np.eye(n) - x @ np.linalg.pinv(x)
    gaps = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))

    def gap(rho: float) -> float:
        a = m @ (rho**gaps / (1 - rho**2)) @ m
        return (np.trace(a, offset=1) / (n - 1)) / (np.trace(a) / n) - rho_hat

    return optimize.brentq(gap, -0.95, 0.97, xtol=1e-14)


def test_default_model_has_level_and_slope_change(daily):
    res = its.fit(daily, y="volume", interruptions=[CUT], seasonality="dow")
    assert its.Specification().slope_change is True
    assert list(res.effects["kind"]) == ["level_change", "slope_change"]


def test_horizon_effects_match_ols_t_test(daily):
    x = hand_design(daily, slope=True)
    ref = sm.OLS(daily["volume"], x).fit()
    res = its.fit(daily, y="volume", interruptions=[CUT], seasonality="dow")
    table = res.effect_at(HORIZONS)
    assert list(table["horizon"]) == [0, 7, 30.5]
    for h, (_, row) in zip(HORIZONS, table.iterrows()):
        test = ref.t_test(contrast_vector(x, {"level": 1.0, "slope": h}))
        low, high = test.conf_int(alpha=0.05)[0]
        np.testing.assert_allclose([row["estimate"], row["std_err"], row["ci_low"], row["ci_high"],
                                    row["p_value"]],
                                   [test.effect[0], test.sd[0, 0], low, high, test.pvalue],
                                   rtol=1e-6)
        assert row["df"] == ref.df_resid and row["scale"] == "difference"


def test_window_average_and_cumulative_match_ols_t_test(daily):
    x = hand_design(daily, slope=True)
    ref = sm.OLS(daily["volume"], x).fit()
    res = its.fit(daily, y="volume", interruptions=[CUT], seasonality="dow")
    table = res.window_effect(3, 16).set_index("statistic")
    h = np.arange(3, 17)
    for name, weights in [("average", {"level": 1.0, "slope": h.mean()}),
                          ("cumulative", {"level": float(len(h)), "slope": float(h.sum())})]:
        test = ref.t_test(contrast_vector(x, weights))
        np.testing.assert_allclose([table.loc[name, "estimate"], table.loc[name, "std_err"]],
                                   [test.effect[0], test.sd[0, 0]], rtol=1e-6)
    with pytest.raises(ParameterError, match="0 <= start <= stop"):
        res.window_effect(5, 2)


def test_ratio_scale_window_gives_a_geometric_mean_ratio_and_no_sum(daily):
    x = hand_design(daily, slope=True)
    ref = sm.OLS(np.log(daily["volume"]), x).fit()
    res = its.fit(daily, y="volume", interruptions=[CUT], seasonality="dow", transform="log")
    table = res.window_effect(0, 9)
    assert list(table["statistic"]) == ["average"] and table["scale"].iloc[0] == "ratio"
    test = ref.t_test(contrast_vector(x, {"level": 1.0, "slope": 4.5}))
    low, high = test.conf_int(alpha=0.05)[0]
    np.testing.assert_allclose(table[["estimate", "ci_low", "ci_high"]].iloc[0],
                               np.exp([test.effect[0], low, high]), rtol=1e-6)


def test_contrast_of_named_coefficients_and_its_errors(daily):
    x = hand_design(daily, slope=True)
    ref = sm.OLS(daily["volume"], x).fit()
    res = its.fit(daily, y="volume", interruptions=[CUT], seasonality="dow")
    names = {"level": f"level[{CUT}]", "slope": f"slope[{CUT}]", "trend": "trend"}
    row = res.contrast({names["slope"]: 1.0, names["trend"]: 1.0})  # post-period trend
    test = ref.t_test(contrast_vector(x, {"slope": 1.0, "trend": 1.0}))
    np.testing.assert_allclose([row["estimate"], row["std_err"]], [test.effect[0], test.sd[0, 0]],
                               rtol=1e-6)
    with pytest.raises(ParameterError, match="coefficients among"):
        res.contrast({"nope": 1.0})
    with pytest.raises(ParameterError, match="not an interruption of this fit"):
        res.effect_at(3, interruption="2011-03-17")


def test_ar1_contrast_df_is_satterthwaite_for_that_contrast(daily):
    """The df of level + 10 x slope under FGLS: finite differences of log Var(c'b) in rho."""
    x = hand_design(daily, slope=True)
    xv, y = x.to_numpy(), daily["volume"].to_numpy()
    n = len(y)
    rho = dense_rho(xv, sm.OLS(y, xv).fit().resid)
    ref = sm.GLSAR(y, xv, rho=rho).fit()
    c = contrast_vector(x, {"level": 1.0, "slope": 10.0})

    def log_var(r: float) -> float:
        wx = xv[1:] - r * xv[:-1]
        return np.log(c @ np.linalg.inv(wx.T @ wx) @ c)

    slope = (log_var(rho + 1e-5) - log_var(rho - 1e-5)) / 2e-5
    df = 2 / (slope**2 * (1 - rho**2) / n + 2 / ref.df_resid)
    res = its.fit(daily, y="volume", interruptions=[CUT], seasonality="dow", errors="ar1")
    row = res.effect_at(10).iloc[0]
    np.testing.assert_allclose(row["coef"], c @ ref.params, rtol=1e-6)
    np.testing.assert_allclose(row["std_err"], np.sqrt(c @ ref.cov_params() @ c), rtol=1e-6)
    np.testing.assert_allclose(row["df"], df, rtol=1e-5)
    level = res.level_change()
    assert row["df"] != pytest.approx(level["df"], rel=1e-3)  # its own df, not the level's


@pytest.mark.parametrize("lags", [None, 1])
def test_hac_contrast_gets_its_own_bell_mccaffrey_factor(daily, lags):
    x = hand_design(daily, slope=True)
    xv, y = x.to_numpy(), daily["volume"].to_numpy()
    n, p = xv.shape
    lag = int(np.floor(4 * (n / 100) ** (2 / 9))) if lags is None else lags
    ols = sm.OLS(y, xv).fit(cov_type="HAC", cov_kwds={"maxlags": lag, "use_correction": True})
    rho = dense_rho(xv, ols.resid)
    gaps = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    s = rho**gaps / (1 - rho**2)
    m = np.eye(n) - xv @ np.linalg.pinv(xv)
    weights = contrast_vector(x, {"level": 1.0, "slope": 7.0})
    c = weights @ np.linalg.pinv(xv)
    w = np.outer(c, c) * np.clip(1 - gaps / (lag + 1), 0, None)
    a = m @ s @ m
    correction = n / (n - p)
    expected = np.sum(w * a) * correction
    factor = expected / (c @ s @ c)
    df = expected**2 / (np.trace(w @ a @ w @ a) * correction**2)
    errors = "hac" if lags is None else f"hac({lags})"
    res = its.fit(daily, y="volume", interruptions=[CUT], seasonality="dow", errors=errors)
    row = res.effect_at(7).iloc[0]
    np.testing.assert_allclose(row["std_err"],
                               np.sqrt(weights @ ols.cov_params() @ weights / factor), rtol=1e-6)
    np.testing.assert_allclose(row["df"], df, rtol=1e-6)
    assert f"({lag} lags" in res.model


def test_hac_lag_option_matches_statsmodels_newey_west(daily):
    x = hand_design(daily)
    ref = sm.OLS(daily["volume"], x).fit(cov_type="HAC",
                                         cov_kwds={"maxlags": 1, "use_correction": True})
    res = its.fit(daily, y="volume", interruptions=[CUT], seasonality="dow", errors="hac(1)",
                  small_sample=False, slope_change=False)
    np.testing.assert_allclose(res.level_change()["std_err"], ref.bse["level"], rtol=1e-8)
    assert its.Specification(errors="hac(1)").hac_lags == 1
    assert its.Specification(errors="hac").hac_lags is None
    with pytest.raises(ParameterError, match="hac\\(LAGS\\)"):
        its.Specification(errors="hac(x)")


def test_breakpoints_hac_lags_and_slope_change_option(daily):
    """Breakpoints take 'hac(L)' (wider sets with more lags here) and ignore slope_change."""
    base = its.breakpoints(daily, y="volume", seasonality="dow", errors="hac(1)")
    assert base.equals(its.breakpoints(daily, y="volume", seasonality="dow", errors="hac(1)",
                                       slope_change=False))
    many = its.breakpoints(daily, y="volume", seasonality="dow", errors="hac(12)")
    assert many["break_at"].iloc[0] == base["break_at"].iloc[0]
    assert (many["ci_high"] - many["ci_low"]).iloc[0] >= (base["ci_high"] - base["ci_low"]).iloc[0]


def monthly(n: int = 36, cut: int = 5, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = pd.date_range("2005-01-01", periods=n, freq="MS")
    season = 3 * np.sin(2 * np.pi * np.arange(n) / 12) + np.where(months.month == 12, 4.0, 0.0)
    values = 20 + 0.1 * np.arange(n) + season - 5 * (np.arange(n) >= cut) + rng.normal(0, 1, n)
    return pd.DataFrame({"v": values}, index=months)


def test_short_monthly_pre_period_warns_instead_of_refusing():
    data = monthly(cut=5)
    res = its.fit(data, y="v", interruptions=["2005-06-01"])
    assert res.n_pre == 5 and any("very short pre-period" in w for w in res.warnings)
    with pytest.raises(ParameterError, match="down to 3"):
        its.fit(data, y="v", interruptions=["2005-03-01"])
    days = pd.DataFrame({"v": np.arange(30.0)}, index=pd.date_range("2011-01-01", periods=30))
    with pytest.raises(ParameterError, match="at least min_pre=8"):
        its.fit(days, y="v", interruptions=["2011-01-06"])


def test_full_monthly_fourier_set_spans_the_month_dummies():
    data = monthly(n=48, cut=30)
    month = data.index.month.to_numpy()
    t = np.arange(48, dtype=float)
    x = np.column_stack([np.ones(48), t + 1, (t >= 30).astype(float), np.clip(t - 30, 0, None)]
                        + [(month == m).astype(float) for m in range(2, 13)])
    ref = sm.OLS(data["v"].to_numpy(), x).fit()
    res = its.fit(data, y="v", interruptions=["2007-07-01"], seasonality="fourier:12:6")
    assert "sin(12,6)" not in res.params.index and "cos(12,6)" in res.params.index
    assert len(res.params) == x.shape[1]
    np.testing.assert_allclose(res.level_change()["estimate"], ref.params[2], rtol=1e-8)
    np.testing.assert_allclose(res.counterfactual["fitted"], ref.fittedvalues, rtol=1e-8)
    with pytest.raises(ParameterError, match="ORDER <= PERIOD/2"):
        its.Specification(seasonality="fourier:12:7")


@pytest.mark.parametrize("family", ["poisson", "quasipoisson", "negbin"])
def test_count_models_refuse_all_zero_series_and_segments(daily, family):
    zeros = daily.assign(count=0)
    with pytest.raises(DataError, match="every observed value of y is 0"):
        its.fit(zeros, y="count", interruptions=[CUT], family=family)
    dropped = daily.assign(count=np.where(daily.index >= "2011-03-17", 0, daily["count"]))
    with pytest.raises(DataError, match=r"y is 0 in all \d+ observed period\(s\) from"):
        its.fit(dropped, y="count", interruptions=["2011-03-17"], family=family, errors="hac")
    rising = daily.assign(count=np.where(daily.index < "2011-03-17", 0, daily["count"]))
    with pytest.raises(DataError, match="y is 0 in all 75 observed period\\(s\\) before"):
        its.fit(rising, y="count", interruptions=["2011-03-17"], family=family)
