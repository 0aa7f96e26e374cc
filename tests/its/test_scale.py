"""Scale-free fits (issue 21, item 8): the same series in any unit gives the same relative answer.

Before: on values of 1e160 the level change's interval was (-inf, inf) with p = 1, at
1e-200 of zero width with p = 0, errors="hac" gave NaN, errors="reml" raised numpy's
LinAlgError already at 1e+-100, the structural model reported a level change of 2e15
at 1e-100, and count models overflowed or raised ValueErrors from numpy's samplers.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from its_support import ar1_noise
from scipy import stats

from spamlab import its
from spamlab.errors import DataError, ParameterError
from spamlab.its.model import check_finite

SCALES = (1e-200, 1e-100, 1.0, 1e100, 1e160)
CUT = "2011-03-16"
MODELS = [
    *({"errors": e} for e in ("iid", "hac", "hac(3)", "ar1", "reml", "arma(1,0)")),
    {"method": "structural", "trend": False},
]
CASES = ([("gaussian", None, m) for m in MODELS] + [("gaussian", "log", m) for m in MODELS]
         + [("quasipoisson", None, {"errors": e}) for e in ("iid", "hac", "hac(3)")])


def series(scale: float = 1.0, counts: bool = False) -> pd.DataFrame:
    """120 days at about 100 (or 1000 counts), a 30% drop on 16 March, AR(1) noise (phi 0.5)
    on the log scale, times ``scale``."""
    rng = np.random.default_rng(21)
    days = pd.date_range("2011-01-01", periods=120, tz="UTC")
    post = np.asarray(days >= pd.Timestamp(CUT, tz="UTC"))
    level = 100 * np.exp(np.log(0.7) * post + 0.05 * ar1_noise(rng, 120, 0.5))
    values = np.round(10 * level) if counts else level
    return pd.DataFrame({"v": values * scale}, index=days)


def fit(scale: float, family: str, transform: str | None, model: dict) -> its.ITSResult:
    return its.fit(series(scale, family != "gaussian"), y="v", interruptions=[CUT],
                   family=family, transform=transform, **model)


def relative(res: its.ITSResult, scale: float) -> dict[str, np.ndarray]:
    """Every number of the result divided by the data's scale where it is in the data's unit."""
    ratio = res.spec.log_scale
    per = 1.0 if ratio else scale
    effects = res.effects[["estimate", "ci_low", "ci_high"]].to_numpy(float) / per
    horizons = res.effect_at([0, 10])[["estimate", "ci_low", "ci_high", "std_err"]]
    window = res.window_effect(0, 27)[["estimate", "ci_low", "ci_high", "std_err"]]
    contrast = res.contrast({res.terms[0][2]: 1.0, "trend": 2.0} if "trend" in res.params
                            else {res.terms[0][2]: 2.0})
    return {
        "effects": effects,
        "-log p": -np.log(res.effects["p_value"].to_numpy(float)),
        "std_err": res.inference["std_err"].to_numpy(float) / per,
        "counterfactual": res.counterfactual.to_numpy(float) / scale,
        "mean_band": res.mean_band.to_numpy(float) / scale,
        "effect_at": horizons.to_numpy(float) / np.array([per, per, per, per]),
        "window": window.to_numpy(float) / per,
        "contrast": contrast[["estimate", "ci_low", "ci_high", "std_err"]].to_numpy(float) / per,
    }


@pytest.mark.parametrize(("family", "transform", "model"), CASES,
                         ids=[f"{f}-{t}-{'-'.join(map(str, m.values()))}" for f, t, m in CASES])
def test_any_scale_of_the_data_gives_the_same_relative_answer(family, transform, model):
    """Agreement to 1e-6 (p-values as -log p: they are about 1e-11 here); the structural
    model, whose likelihood search stops within its own tolerance (inputs equal to 1e-16
    give effects equal to 2e-5), to 1e-4. The counterfactual table (whose pointwise effect is a small difference of two
    values near the level) to that share of the level (about 100, 1000 for counts)."""
    reference = fit(1.0, family, transform, model)
    expected = relative(reference, 1.0)
    loose = model.get("method") == "structural"
    for scale in SCALES:
        res = fit(scale, family, transform, model)
        got = relative(res, scale)
        for key, values in expected.items():
            assert np.isfinite(got[key][~np.isnan(values)]).all(), (scale, key)
            tol = 1e-4 if loose else 1e-6
            level = 1000.0 if key in ("counterfactual", "mean_band") else 0.0
            np.testing.assert_allclose(got[key], values, rtol=tol, atol=tol * level,
                                       err_msg=f"{key} at scale {scale:g}")
        assert res.warnings == reference.warnings, scale
        words = res.summary()
        assert "inf" not in words and "nan" not in words
        row = res.effects.iloc[0]
        assert f"{row['ci_low']:.4g} to {row['ci_high']:.4g}" in words
    low, high = (0.6, 0.8) if reference.spec.log_scale else (-40, -20)  # truth 0.7 and -30
    assert low < reference.level_change()["estimate"] < high


def test_a_covariate_in_any_unit_gives_the_same_answer():
    """Before: a control series times 1e-200 was 'x is 0 on every observed row', times
    1e-100 moved the level change from -21.8 to -26.4, times 1e100 made it 1.7e-202 with a
    zero-width interval. The answer is OLS with the covariate as given (statsmodels, here)."""
    frame = series()
    control = frame["v"].to_numpy() * 0.5 + np.random.default_rng(0).normal(0, 5, len(frame))
    x = np.column_stack([_hand_design(frame), control])
    ref = sm.OLS(frame["v"].to_numpy(), x).fit()
    for scale in SCALES:
        res = its.fit(frame.assign(x=control * scale), y="v", interruptions=[CUT],
                      covariates=["x"])
        np.testing.assert_allclose(res.inference["coef"], ref.params[2:4], rtol=1e-8)
        np.testing.assert_allclose(res.inference["std_err"], ref.bse[2:4], rtol=1e-8)
        np.testing.assert_allclose(res.params["x"] * scale, ref.params[4], rtol=1e-8)
        per_control = res.contrast({"x": scale})  # the coefficient per unit of control
        np.testing.assert_allclose(per_control[["coef", "std_err"]].to_numpy(float),
                                   [ref.params[4], ref.bse[4]], rtol=1e-8)


def _hand_design(frame: pd.DataFrame) -> np.ndarray:
    t = np.arange(len(frame), dtype=float)
    after = np.asarray(frame.index >= pd.Timestamp(CUT, tz="UTC"))
    return np.column_stack([np.ones(len(t)), t + 1, after, np.where(after, t - t[after][0], 0)])


@pytest.mark.parametrize("transform", [None, "log"])
def test_the_scale_one_answer_is_ols_and_gls_computed_here(transform):
    """OLS (statsmodels, hand-built design) and, for errors='reml', the GLS estimate under
    the fitted AR(1) correlation, written out with numpy."""
    frame = series()
    x = _hand_design(frame)
    response = np.log(frame["v"].to_numpy()) if transform else frame["v"].to_numpy()
    ols = sm.OLS(response, x).fit()
    res = its.fit(frame, y="v", interruptions=[CUT], transform=transform)
    np.testing.assert_allclose(res.params.to_numpy(), ols.params, rtol=1e-8)
    np.testing.assert_allclose(res.inference["std_err"], ols.bse[2:], rtol=1e-8)
    gls = its.fit(frame, y="v", interruptions=[CUT], transform=transform, errors="reml")
    lags = np.abs(np.subtract.outer(np.arange(120), np.arange(120)))
    inverse = np.linalg.inv(gls.rho ** lags)
    beta = np.linalg.solve(x.T @ inverse @ x, x.T @ inverse @ response)
    np.testing.assert_allclose(gls.params.to_numpy(), beta, rtol=1e-8)


def test_the_scale_one_quasipoisson_answer_is_statsmodels_glm():
    frame = series(counts=True)
    x = _hand_design(frame)
    glm = sm.GLM(frame["v"].to_numpy(), x, family=sm.families.Poisson()).fit(scale="X2")
    res = its.fit(frame, y="v", interruptions=[CUT], family="quasipoisson")
    np.testing.assert_allclose(res.params.to_numpy(), glm.params, rtol=1e-8)
    np.testing.assert_allclose(res.inference["std_err"], glm.bse[2:], rtol=1e-6)
    crit = stats.t.ppf(0.975, glm.df_resid)
    np.testing.assert_allclose(res.level_change()["ci_high"],
                               np.exp(glm.params[2] + crit * glm.bse[2]), rtol=1e-6)


@pytest.mark.parametrize("family", ["poisson", "negbin"])
@pytest.mark.parametrize(("scale", "message"), [
    (1e-200, r"a non-integer value \(1.\d+e-197 at row 0\)"),
    (0.37, r"a non-integer value \(\d+\.\d+ at row 0\)"),
    (1e160, r"a value above 2\*\*53 \(1.\d+e\+163 at row 0; the largest is"),
])
def test_count_models_need_counts(family, scale, message):
    """Poisson and NB2 intervals depend on the unit (their variance is mu, mu + alpha mu^2):
    on values that are not counts they are refused, with quasipoisson suggested."""
    with pytest.raises(DataError, match=rf"family='{family}' models counts, but column 'v' "
                                        rf"holds .*{message}.*family='quasipoisson'"):
        its.fit(series(scale, counts=True), y="v", interruptions=[CUT], family=family)
    counts = its.fit(series(counts=True), y="v", interruptions=[CUT], family=family)
    assert counts.unit == 1.0 and 0.6 < counts.level_change()["estimate"] < 0.8


def test_values_below_the_smallest_normal_float_are_refused():
    with pytest.raises(DataError, match=r"column 'v': values as small as \d.\d+e-311 are below "
                                        r"the smallest normal float"):
        its.fit(series(1e-312), y="v", interruptions=[CUT])


def test_a_result_that_is_not_a_number_is_refused_and_an_infinite_interval_warned():
    res = its.fit(series(), y="v", interruptions=[CUT], transform="log")
    wide = res.effects.assign(ci_high=[np.inf, 1.0])
    warned = check_finite(dataclasses.replace(res, effects=wide))
    assert any(w.startswith("the level_change at 2011-03-16 has an interval that is not "
                            "finite (0.") and "to inf)" in w for w in warned.warnings)
    assert "interval that is not finite" in warned.summary()
    broken = res.effects.assign(ci_low=[np.nan, 1.0])
    with pytest.raises(ParameterError, match=r"gave NaN for an effect"):
        check_finite(dataclasses.replace(res, effects=broken))


def test_break_dates_do_not_depend_on_the_unit():
    """Before: the break in this series was found at 2011-03-16 as given, but at 2011-01-01
    (its first day) times 1e160 and 2011-01-19 times 1e-200, silently."""
    found = {scale: its.break_search(series(scale), y="v") for scale in (1.0, 1e-200, 1e160)}
    for scale, result in found.items():
        row = result.table.iloc[0]
        assert (row["break_at"], row["ci_low"], row["ci_high"]) == (
            pd.Timestamp(CUT, tz="UTC"), pd.Timestamp(CUT, tz="UTC"),
            pd.Timestamp(CUT, tz="UTC")), scale
        assert row["shift"] / scale == pytest.approx(found[1.0].table["shift"].iloc[0], rel=1e-9)
        assert result.sup_f == pytest.approx(found[1.0].sup_f, rel=1e-9)


def test_a_contrast_that_is_not_finite_is_warned():
    res = its.fit(series(), y="v", interruptions=[CUT], transform="log")
    with pytest.warns(UserWarning, match=r"1e\+08 slope\[2011-03-16\]: the estimate or its "
                                         r"interval is not finite \(0, 0 to inf\)"):
        res.contrast({res.terms[1][2]: 1e8})  # exp(slope change x 1e8 days): 0 to inf
