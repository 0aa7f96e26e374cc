"""Awkward but plausible input that used to fail silently or with an unclear message.

Each case was found by driving ``its.fit`` over unlucky data (adjacent or last-day
interruptions, repeated seasonal terms, long HAC lags, counts in the billions, a flat
pre-period, tiny series); the expected numbers come from hand computations, not from
the function under test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spamlab import its
from spamlab.errors import DataError, ParameterError


def noisy(n: int = 120, cut: int = 80, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return pd.DataFrame({"v": 10 + 0.01 * t - 3 * (t >= cut) + rng.normal(0, 1, n)},
                        index=pd.date_range("2011-01-01", periods=n))


@pytest.mark.parametrize("errors", ["iid", "hac", "ar1", "reml", "arma(1,0)"])
def test_slope_change_at_the_last_observed_period_is_refused(errors):
    # was: iid slope change 0 +- 0, hac NaN interval, reml/arma LinAlgError
    data = noisy()
    with pytest.raises(ParameterError, match=r"slope\[2011-04-30\] is 0 on every observed row"):
        its.fit(data, y="v", interruptions=["2011-04-30"], errors=errors, min_post=1)


@pytest.mark.parametrize("errors", ["iid", "reml", "arma(1,1)"])
def test_interruptions_on_adjacent_days_with_slope_change_are_refused(errors):
    # slope[a] - slope[b] equals level[b] when b is one period after a: was LinAlgError
    # (reml) or effects of 1e14 with 1e-27 df (arma)
    data = noisy()
    with pytest.raises(ParameterError, match=r"not identified.*slope\[2011-03-23\]"):
        its.fit(data, y="v", interruptions=["2011-03-22", "2011-03-23"], errors=errors,
                min_post=1)


def test_adjacent_interruptions_without_slope_change_still_fit():
    data = noisy()
    res = its.fit(data, y="v", interruptions=["2011-03-22", "2011-03-23"], min_post=1,
                  slope_change=False)
    t = np.arange(len(data))
    x = np.column_stack([np.ones_like(t), t + 1, t >= 80, t >= 81]).astype(float)
    beta = np.linalg.lstsq(x, data["v"].to_numpy(), rcond=None)[0]
    assert res.effects["estimate"].to_numpy() == pytest.approx(beta[2:], abs=1e-9)


def test_single_pre_period_point_with_slope_change_is_refused():
    with pytest.raises(ParameterError, match=r"slope\[2011-01-02\] is a linear combination"):
        its.fit(noisy(), y="v", interruptions=["2011-01-02"], min_pre=1)


@pytest.mark.parametrize(("seasonality", "named"), [
    (["fourier:7:3", "dow"], r"dow\[Tue\], dow\[Wed\]"),  # the same weekly space twice
    ("fourier:365.25:10", r"cos\(365.25,10\)"),          # a yearly cycle on 120 days
])
def test_seasonal_terms_the_data_cannot_separate_are_named(seasonality, named):
    # was: statsmodels' rank-deficient pseudo-inverse and NaN counterfactual bands
    with pytest.raises(ParameterError, match=named):
        its.fit(noisy(), y="v", interruptions=["2011-03-22"], seasonality=seasonality)


def test_more_regressors_than_observed_rows_is_refused():
    with pytest.raises(ParameterError, match=r"204 regressors .* only 120 observed rows"):
        its.fit(noisy(), y="v", interruptions=["2011-03-22"], seasonality="fourier:240:100")


@pytest.mark.parametrize("family", ["gaussian", "quasipoisson"])
def test_hac_lags_beyond_the_observed_rows_are_refused(family):
    # was: ValueError "could not broadcast input array from shape (1,15) into shape (1,0)"
    data = noisy(n=20, cut=10).reset_index(drop=True)
    with pytest.raises(ParameterError, match=r"errors='hac\(25\)'.* there are 20"):
        its.fit(data, y="v", interruptions=[10], errors="hac(25)", family=family)
    gappy = data.assign(v=data["v"].where(np.arange(20) % 2 == 0))  # 10 observed rows
    with pytest.raises(ParameterError, match=r"errors='hac\(12\)'.* there are 10"):
        its.fit(gappy, y="v", interruptions=[10], errors="hac(12)", min_pre=3)


def test_overdispersed_poisson_is_warned_with_its_pearson_dispersion():
    # billions of messages a day: Poisson iid gave 0.747119 to 0.747122 without a word
    rng = np.random.default_rng(2)
    t = np.arange(120)
    data = pd.DataFrame({"v": np.round(2e11 * np.exp(-0.3 * (t >= 80) + rng.normal(0, 0.03, 120)))},
                        index=pd.date_range("2011-01-01", periods=120))
    res = its.fit(data, y="v", interruptions=["2011-03-22"], family="poisson")
    y, mu = data["v"].to_numpy(), res.counterfactual["fitted"].to_numpy()
    dispersion = np.sum((y - mu) ** 2 / mu) / (120 - 4)
    [note] = [w for w in res.warnings if w.startswith("overdispersion")]
    assert f"{dispersion:.3g}" in note
    plain = data.assign(v=rng.poisson(200 * np.exp(-0.3 * (t >= 80))))
    quiet = its.fit(plain, y="v", interruptions=["2011-03-22"], family="poisson")
    assert not any(w.startswith("overdispersion") for w in quiet.warnings)


def test_constant_pre_period_is_warned_and_hac_bands_stay_finite():
    # was: RuntimeWarning "invalid value encountered in sqrt" and NaN counterfactual bands
    data = noisy()
    data.iloc[:80, 0] = 5.0
    res = its.fit(data, y="v", interruptions=["2011-03-22"], errors="hac")
    assert any("constant before the first interruption (all 80 observed values are 5)" in w
               for w in res.warnings)
    bands = res.counterfactual[["counterfactual_low", "counterfactual_high"]].to_numpy()
    assert np.isfinite(bands).all()
    # in the pre-period the line has (robust) variance about 0, so the band there is the
    # noise alone: t(116) quantile times the OLS residual standard deviation
    t = np.arange(120)
    x = np.column_stack([np.ones(120), t + 1, t >= 80, np.maximum(t - 80, 0)])
    resid = data["v"].to_numpy() - x @ np.linalg.lstsq(x, data["v"].to_numpy(), rcond=None)[0]
    half = stats.t.ppf(0.975, 116) * np.sqrt(resid @ resid / 116)
    assert bands[10] == pytest.approx([5.0 - half, 5.0 + half], rel=1e-6)


def test_effect_at_and_window_effect_warn_on_few_df():
    # the fit warned only for the level and slope terms; effect_at(5) had 1.8 df silently
    data = noisy(n=20, cut=10, seed=5).reset_index(drop=True)
    res = its.fit(data, y="v", interruptions=[10], errors="hac(15)")
    with pytest.warns(UserWarning, match=r"1 level\[10\] \+ 5 slope\[10\] has 1\.\d df"):
        row = res.effect_at(5).iloc[0]
    assert row["df"] < 3
    with pytest.warns(UserWarning, match="few degrees of freedom"):
        res.window_effect(0, 5)


def test_structural_model_is_equivariant_to_the_unit_of_y():
    # tens of thousands of messages a day: the level change of about -28,000 came out as -216
    # (standard error 995, the approximate diffuse prior's), silently
    data = noisy()
    unit = its.fit(data, y="v", interruptions=["2011-03-22"], method="structural",
                   small_sample=False, slope_change=False)
    big = its.fit(data.assign(v=1e4 * data["v"]), y="v", interruptions=["2011-03-22"],
                  method="structural", small_sample=False, slope_change=False)
    row = big.level_change()
    assert row["ci_low"] < -3e4 < row["ci_high"]  # the simulated drop
    assert row["estimate"] == pytest.approx(1e4 * unit.level_change()["estimate"], rel=1e-4)
    assert row["std_err"] == pytest.approx(1e4 * unit.level_change()["std_err"], rel=1e-3)


def test_structural_model_refuses_a_constant_series_and_unidentified_terms():
    data = noisy()
    with pytest.raises(DataError, match=r"every observed value .* is 5; a constant series"):
        its.fit(data.assign(v=5.0), y="v", interruptions=["2011-03-22"], method="structural")
    with pytest.raises(ParameterError, match=r"slope\[2011-04-30\] is 0 on every observed row"):
        its.fit(data, y="v", interruptions=["2011-04-30"], method="structural", min_post=1)


def test_breakpoints_refuse_a_constant_series_and_inseparable_seasonal_terms():
    # was: a "break" at 2011-01-19 with shift -1.8e-15; and, with 20 near-collinear yearly
    # Fourier terms on 120 days, a break 8 weeks early with a 59-day confidence set
    data = noisy()
    with pytest.raises(DataError, match="constant series has no break to find"):
        its.breakpoints(data.assign(v=5.0), y="v")
    with pytest.raises(ParameterError, match=r"cos\(365.25,10\)"):
        its.breakpoints(data, y="v", seasonality="fourier:365.25:10")
    found = its.breakpoints(data, y="v").iloc[0]
    assert found["break_at"] == pd.Timestamp("2011-03-22")  # the simulated date still found


@pytest.mark.parametrize("horizon", [-3, np.nan, np.inf, [0, np.nan]])
def test_effect_at_refuses_horizons_that_are_not_periods_after_the_interruption(horizon):
    # was: level - 3 x slope for h = -3 (window_effect refuses negative starts), and
    # estimate NaN with p-value 0.0 for NaN
    res = its.fit(noisy(), y="v", interruptions=["2011-03-22"])
    with pytest.raises(ParameterError, match="horizon"):
        res.effect_at(horizon)


@pytest.mark.parametrize("weight", [np.nan, np.inf, None])
def test_contrast_refuses_weights_that_are_not_finite_numbers(weight):
    # was: NaN estimate with p-value 0.0 (TypeError for None)
    res = its.fit(noisy(), y="v", interruptions=["2011-03-22"])
    with pytest.raises(ParameterError, match=r"contrast weight for 'trend'"):
        res.contrast({"trend": weight})
    beta = np.linalg.lstsq(res.model_result.model.exog, res.model_result.model.endog,
                           rcond=None)[0]
    assert res.contrast({"trend": "2"})["coef"] == pytest.approx(2 * beta[1] * res.unit)
