"""Partial exposure, several interruptions, and the result object (words, figure, JSON)."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from spamlab import its
from spamlab.errors import ParameterError
from spamlab.its import data as its_data
from spamlab.its import design as its_design


def test_partial_day_fraction_and_ramp():
    days = pd.DataFrame({"v": np.arange(20.0)}, index=pd.date_range("2011-03-06", periods=20))
    matrix = its_design.build(its_data.prepare(days, "v", ["2011-03-16 14:45"]),
                              slope_change=True).matrix
    level = matrix["level[2011-03-16 14:45]"].to_numpy()
    slope = matrix["slope[2011-03-16 14:45]"].to_numpy()
    after = (24 * 60 - (14 * 60 + 45)) / (24 * 60)  # share of 16 March after 14:45
    np.testing.assert_allclose(level[:10], 0.0)
    np.testing.assert_allclose(level[10], after)
    np.testing.assert_allclose(level[11:], 1.0)
    np.testing.assert_allclose(slope[:11], 0.0)
    np.testing.assert_allclose(slope[11:], np.arange(9) + after)  # days since 14:45 at each midnight
    np.testing.assert_allclose(matrix["trend"], np.arange(1, 21))


def test_partial_exposure_recovers_a_mid_day_drop():
    """A drop at 18:00 removes 1/4 of that day's volume: the fraction must absorb it exactly."""
    days = pd.date_range("2011-02-01", periods=60)
    exposure = np.clip((days + pd.Timedelta(days=1) - pd.Timestamp("2011-03-16 18:00"))
                       / pd.Timedelta(days=1), 0, 1)
    volume = 40 + 0.1 * np.arange(60) - 8 * exposure
    res = its.fit(pd.DataFrame({"v": volume}, index=days), y="v",
                  interruptions=["2011-03-16 18:00"], slope_change=False)
    np.testing.assert_allclose(res.effects["estimate"].iloc[0], -8.0, atol=1e-9)


def test_two_interruptions_in_one_model():
    rng = np.random.default_rng(4)
    days = pd.date_range("2010-12-01", periods=150)
    truth = -6 * (days >= "2010-12-25") + 6 * (days >= "2011-01-10") - 15 * (days >= "2011-03-16")
    frame = pd.DataFrame({"v": 60 + truth + rng.normal(0, 1, 150)}, index=days)
    res = its.fit(frame, y="v", interruptions=["2010-12-25", "2011-01-10", "2011-03-16"], slope_change=False)
    np.testing.assert_allclose(res.effects["estimate"], [-6, 6, -15], atol=1.2)
    assert list(res.effects["interruption"]) == ["2010-12-25", "2011-01-10", "2011-03-16"]
    with pytest.raises(ParameterError, match="distinct and in time order"):
        its.fit(frame, y="v", interruptions=["2011-03-16", "2010-12-25"], slope_change=False)


def test_monthly_trend_counts_periods():
    months = pd.DataFrame({"v": np.arange(24.0) * 2}, index=pd.date_range("2010-01-01",
                                                                         periods=24, freq="MS"))
    res = its.fit(months, y="v", interruptions=["2011-01-01"], slope_change=False)
    np.testing.assert_allclose(res.params["trend"], 2.0, atol=1e-10)  # per month, not per day


@pytest.fixture
def result(daily):
    gaps = daily.copy()
    gaps.iloc[[20, 21], 0] = np.nan
    return its.fit(gaps, y="volume", interruptions=["2011-03-16"], seasonality="dow", errors="iid", slope_change=False)


def test_summary_in_words(result):
    text = result.summary()
    row = result.level_change()
    assert f"the level of volume fell by {abs(row['estimate']):.4g}" in text
    assert f"95% CI {row['ci_low']:.4g} to {row['ci_high']:.4g}" in text
    assert "Model: gaussian, OLS, iid errors" in text
    assert "residual autocorrelation remains" in text  # AR(1) noise fitted as iid
    assert "gaps in the data: 2 missing outcome value(s)" in text


def test_summary_warns_about_few_pre_points():
    days = pd.date_range("2011-03-01", periods=40)
    frame = pd.DataFrame({"v": np.random.default_rng(0).normal(0, 1, 40)}, index=days)
    res = its.fit(frame, y="v", interruptions=["2011-03-11"], slope_change=False)
    assert any("too few pre-period points: 10 observed" in w for w in res.warnings)
    assert "too few pre-period points" in res.summary()


def test_ratio_words_and_scale(daily):
    res = its.fit(daily, y="count", interruptions=["2011-03-16"], family="quasipoisson", slope_change=False)
    row = res.level_change()
    assert row["scale"] == "ratio" and 0 < row["ci_low"] < row["estimate"] < row["ci_high"]
    assert f"fell by {100 * (1 - row['estimate']):.3g}% (ratio" in res.summary()


def test_to_dict_is_json_ready(result):
    payload = json.loads(json.dumps(result.to_dict()))
    assert set(payload) == {"level_change", "interruption", "model", "n_pre", "n_post", "warnings",
                            "effects"}
    assert set(payload["level_change"]) == {"estimate", "ci_low", "ci_high", "scale"}
    assert payload["n_pre"] == 72 and payload["n_post"] == 76  # 74 pre days minus 2 gaps
    assert payload["effects"][0]["kind"] == "level_change"
    np.testing.assert_allclose(payload["level_change"]["estimate"], result.level_change()["estimate"])


def test_to_dict_picks_the_requested_interruption():
    days = pd.date_range("2010-12-01", periods=120)
    values = 30 - 3 * (days >= "2010-12-25") - 9 * (days >= "2011-03-16") + np.sin(np.arange(120))
    res = its.fit(pd.DataFrame({"v": values}, index=days), y="v",
                  interruptions=["2010-12-25", "2011-03-16"], slope_change=False)
    by_label = res.to_dict("2011-03-16")["level_change"]["estimate"]
    assert by_label == res.to_dict(-1)["level_change"]["estimate"] == res.effects["estimate"].iloc[1]
    assert res.to_dict()["level_change"]["estimate"] == res.effects["estimate"].iloc[0]


def test_to_dict_counts_the_observations_around_the_requested_interruption():
    days = pd.date_range("2010-12-01", periods=120)
    values = 30 - 3 * (days >= "2010-12-25") - 9 * (days >= "2011-03-16") + np.sin(np.arange(120))
    values[[3, 40, 110]] = np.nan  # a gap before the first, between the two, after the second
    res = its.fit(pd.DataFrame({"v": values}, index=days), y="v",
                  interruptions=["2010-12-25", "2011-03-16"], slope_change=False)
    observed = ~np.isnan(values)
    first, second = pd.Timestamp("2010-12-25"), pd.Timestamp("2011-03-16")
    between = observed & (days >= first) & (days < second)
    assert res.to_dict(0)["n_pre"] == int((observed & (days < first)).sum()) == 23
    assert res.to_dict(0)["n_post"] == int(between.sum()) == 80  # up to the second only
    assert res.to_dict(1)["n_pre"] == int((observed & (days < second)).sum()) == 103
    assert res.to_dict("2011-03-16")["n_post"] == int((observed & (days >= second)).sum()) == 14
    assert res.to_dict(1)["interruption"] == "2011-03-16"


def test_observations_count_a_partly_exposed_period_after_the_moment():
    days = pd.date_range("2011-01-01", periods=40, tz="UTC")
    frame = pd.DataFrame({"v": np.sin(np.arange(40.0)) + 5 * (days >= "2011-01-21")}, index=days)
    res = its.fit(frame, y="v", interruptions=["2011-01-20 12:00"])
    assert res.observations("2011-01-20 12:00") == (19, 21)  # 20 January is partly after
    assert (res.n_pre, res.n_post) == res.observations(0)


def test_the_result_carries_the_design_it_was_fitted_with():
    days = pd.date_range("2011-01-01", periods=60)
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": rng.normal(1000, 100, 60)}, index=days)
    frame["v"] = 50 + 0.01 * frame["x"] - 8 * (days >= "2011-02-15") + rng.normal(0, 1, 60)
    res = its.fit(frame, y="v", interruptions=["2011-02-15"], covariates=["x"])
    assert res.design is not None and list(res.design.matrix.columns) == list(res.params.index)
    np.testing.assert_allclose(res.design.matrix["x"], frame["x"])  # in the data's unit
    # fitted values are the design times the coefficients, independently of the fit's code
    np.testing.assert_allclose(res.design.matrix.to_numpy() @ res.params.to_numpy(),
                               res.counterfactual["fitted"], rtol=1e-9)
    assert res.series is not None and res.series.labels == ("2011-02-15",)


def test_counterfactual_columns_and_cumulative(result):
    table = result.counterfactual
    assert list(table.columns) == ["observed", "fitted", "counterfactual", "counterfactual_low",
                                   "counterfactual_high", "effect", "cumulative_effect"]
    assert list(result.effects.columns) == ["interruption", "kind", "estimate", "ci_low",
                                            "ci_high", "p_value", "scale"]
    assert table.index.equals(result.counterfactual.index)
    post = table.index >= "2011-03-16"
    assert (table.loc[~post, "cumulative_effect"] == 0).all()
    expected = (table.loc[post, "observed"] - table.loc[post, "counterfactual"]).sum()
    np.testing.assert_allclose(table["cumulative_effect"].iloc[-1], expected)
    assert (table["counterfactual_low"] < result.mean_band["counterfactual_mean_low"]).all()
    assert result.mean_band.index.equals(table.index)


@pytest.mark.parametrize("family", ["poisson", "quasipoisson", "negbin"])
def test_count_counterfactual_never_negative(family):
    days = pd.date_range("2011-01-01", periods=90)
    rng = np.random.default_rng(2)
    mean = np.where(days >= "2011-03-01", 0.5, 2.0)
    counts = rng.poisson(rng.gamma(2.0, mean / 2.0))  # overdispersed (negative binomial)
    res = its.fit(pd.DataFrame({"n": counts}, index=days), y="n", interruptions=["2011-03-01"],
                  family=family, slope_change=False)
    table = res.counterfactual
    assert (table[["counterfactual", "counterfactual_low"]] >= 0).all().all()
    assert (res.mean_band["counterfactual_mean_low"] >= 0).all()


def test_plot_has_labelled_panels(result):
    fig = result.plot()
    assert isinstance(fig, Figure)
    top, bottom = fig.axes[:2]
    assert top.get_ylabel() == "volume" and bottom.get_xlabel()
    assert "Interrupted time series of volume" in fig._suptitle.get_text()
    labels = [t.get_text() for t in top.get_legend().get_texts()]
    assert {"observed", "model fit", "counterfactual (no interruption)"} <= set(labels)
    assert any("prediction band" in label for label in labels)
    plt.close(fig)


def test_negbin_without_overdispersion_is_a_clear_error():
    days = pd.date_range("2011-01-01", periods=90)
    counts = np.random.default_rng(2).poisson(np.where(days >= "2011-03-01", 0.5, 2.0))
    frame = pd.DataFrame({"n": counts}, index=days)
    with pytest.raises(ParameterError, match=r"no usable covariance .*use family='poisson'"):
        its.fit(frame, y="n", interruptions=["2011-03-01"], family="negbin", slope_change=False)


@pytest.mark.parametrize("errors", ["hac", "reml", "arma(1,0)", "arma(1,1)"])
def test_exact_fit_is_flagged_not_diagnosed(errors):
    # reml and arma used to test standardized innovations (rounding noise divided by a
    # rounding-noise sigma), which look like data: no exact-fit warning, a Ljung-Box one
    days = pd.date_range("2011-01-01", periods=30)
    frame = pd.DataFrame({"v": 5.0 - 2 * (np.arange(30) >= 20)}, index=days)
    res = its.fit(frame, y="v", interruptions=["2011-01-21"], errors=errors, slope_change=False)
    message = ("the model fits the data exactly (residuals are rounding noise): "
               "intervals and diagnostics are meaningless")
    assert message in res.warnings and not any("Ljung-Box" in w for w in res.warnings)
    assert res.diagnostics == {"exact_fit": True}
    np.testing.assert_allclose(res.level_change()["estimate"], -2.0)
    assert "Ljung-Box" not in res.summary()


def test_plot_labels_axes_with_the_unit_given() -> None:
    index = pd.date_range("2011-01-01", periods=60, freq="D", tz="UTC")
    noise = np.random.default_rng(3).normal(0, 1, 60)
    frame = pd.DataFrame({"volume": 50 + noise - 10 * (np.arange(60) >= 30)}, index=index)
    res = its.fit(frame, y="volume", interruptions=[index[30]], slope_change=False)
    fig = res.plot(ylabel="billion messages per day")
    labels = [axis.get_ylabel() for axis in fig.axes]
    plt.close(fig)
    assert labels[0] == "billion messages per day"
    assert "billion messages per day" in labels[1] and "cumulative" in labels[2]
    default = res.plot()
    assert default.axes[0].get_ylabel() == "volume"
    plt.close(default)


def test_level_change_of_a_date_that_is_not_an_interruption(result):
    with pytest.raises(ParameterError, match=r"interruption='2011-03-17' is not an interruption "
                                             r"of this fit; its interruptions are \['2011-03-16'\]"):
        result.level_change("2011-03-17")
    with pytest.raises(ParameterError, match=r"interruption=3: this fit has 1 interruption"):
        result.to_dict(3)
    assert result.level_change("2011-03-16")["estimate"] == result.effects["estimate"].iloc[0]


def test_short_repr_and_compact_html(result):
    text = repr(result)
    row = result.effects.iloc[0]
    assert text.startswith("ITSResult of 'volume': gaussian, OLS, iid errors")
    assert f"level_change at 2011-03-16: {row['estimate']:.4g}" in text
    assert len(text.splitlines()) == 3
    page = result._repr_html_()
    assert page.count("<table") == 1 and page.count("<tr") == len(result.effects) + 1
    assert "gaussian, OLS, iid errors" in page and len(page) < 1500


def test_result_keeps_the_model_it_fitted(result):
    assert result.spec == its.Specification(seasonality="dow", errors="iid", slope_change=False)
    assert result.alpha == 0.05 and result.interruptions == ["2011-03-16"]
    ols = result.model_result  # the statsmodels fit of volume / unit, for experts
    assert result.unit == result.counterfactual["observed"].median()  # gaps left out
    np.testing.assert_allclose(ols.params.to_numpy() * result.unit, result.params.to_numpy())
    assert result.df_resid == ols.df_resid == result.n_pre + result.n_post - len(result.params)


def test_one_specification_serves_fit_and_keywords_override_it(daily):
    model = its.Specification(seasonality="dow", errors="hac", slope_change=False)
    by_spec = its.fit(daily, y="volume", interruptions=["2011-03-16"], spec=model)
    by_keywords = its.fit(daily, y="volume", interruptions=["2011-03-16"], seasonality="dow",
                          errors="hac", slope_change=False)
    pd.testing.assert_frame_equal(by_spec.effects, by_keywords.effects)
    iid = its.fit(daily, y="volume", interruptions=["2011-03-16"], spec=model, errors="iid")
    assert iid.spec.errors == "iid" and iid.spec.seasonality == "dow"
    assert "OLS, iid errors" in iid.model
    with pytest.raises(TypeError):
        its.fit(daily, "volume", ["2011-03-16"], slope_change=False)  # everything after data is keyword-only
