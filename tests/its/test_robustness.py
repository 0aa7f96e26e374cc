"""Placebo and sensitivity: batched scans against naive loops, known answers
(breakpoints: test_breaks.py)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import statsmodels.api as sm
from its_support import daily_series
from scipy import stats

from spamlab import its, plots
from spamlab.errors import ParameterError
from spamlab.its.scan import SCAN_COLUMNS, can_batch, scan_dates

NUMBERS = ["estimate", "ci_low", "ci_high", "p_value", "coef", "std_err", "df"]


@pytest.mark.parametrize("options", [
    {"errors": "iid"}, {"errors": "hac", "seasonality": "dow"}, {"errors": "ar1"},
    {"errors": "ar1", "small_sample": False}, {"errors": "hac", "transform": "log", "slope_change": True},
])
def test_batched_placebo_identical_to_refit_loop(options):
    data = daily_series(n=120, cut="2011-04-01")
    fast = its.placebo(data, y="volume", interruptions=["2011-04-01"], **options)
    slow = its.placebo(data, y="volume", interruptions=["2011-04-01"], batch=False, **options)
    assert list(fast.table["interruption"]) == list(slow.table["interruption"])
    np.testing.assert_allclose(fast.table[NUMBERS].to_numpy(float),
                               slow.table[NUMBERS].to_numpy(float), rtol=1e-8, atol=1e-8)
    assert (fast.real_rank, fast.n_placebo) == (slow.real_rank, slow.n_placebo)


def test_placebo_dates_and_rank():
    data = daily_series(n=150, cut="2011-03-16")
    result = its.placebo(data, y="volume", interruptions=["2011-03-16"], min_pre=14, min_post=7, slope_change=False)
    table = result.table
    placebos = table[~table["is_real"]]
    # 74 pre days; a fake date needs 14 days before and 7 days (in the pre-period) after it
    assert len(placebos) == 74 - 14 - 7 + 1 == result.n_placebo
    assert placebos["interruption"].iloc[0] == "2011-01-15"
    assert placebos["interruption"].iloc[-1] == "2011-03-09"
    assert result.real_rank == 1 and result.rank_p_value == pytest.approx(1 / 55)
    assert result.to_dict() == {"real_rank": 1, "n_placebo": 54, "rank_p_value": 1 / 55}
    assert "ranks 1 of 55" in repr(result) and "<table" in result._repr_html_()


def test_placebo_of_a_null_effect_is_not_extreme():
    data = daily_series(n=150, drop=0.0, phi=0.0, seed=3)
    assert its.placebo(data, y="volume", interruptions=["2011-03-16"], slope_change=False).real_rank > 3


def test_placebo_needs_a_long_enough_pre_period():
    data = daily_series(n=60, cut="2011-01-11")
    with pytest.raises(ParameterError, match="too short for any placebo date"):
        its.placebo(data, y="volume", interruptions=["2011-01-11"], slope_change=False)


def test_scan_dates_for_counts_falls_back_to_one_fit_per_date():
    data = daily_series(n=90)
    dates = ["2011-02-20", "2011-03-01", "2011-03-10"]
    spec = its.Specification(family="poisson", errors="hac", slope_change=False)
    assert not can_batch(spec)
    table = scan_dates(data, dates, y="count", spec=spec)
    for date, (_, row) in zip(dates, table.iterrows()):
        res = its.fit(data, y="count", interruptions=date, family="poisson", errors="hac", slope_change=False)
        level = res.effects.iloc[0]
        assert row["interruption"] == date and level["kind"] == "level_change"
        np.testing.assert_allclose(row[["estimate", "ci_low", "ci_high", "p_value"]].to_numpy(float),
                                   level[["estimate", "ci_low", "ci_high", "p_value"]].to_numpy(float))
        np.testing.assert_allclose(np.exp(row["coef"]), level["estimate"])
    assert list(table.columns) == list(SCAN_COLUMNS)


def test_sensitivity_table_and_figure():
    data = daily_series(n=150)
    result = its.sensitivity(data, y="volume", interruptions=["2011-03-16"], seasonality="dow",
                             errors="hac", shifts=(-2, 0, 2), pre_windows=[74, 40], slope_change=False)
    table = result.table
    assert set(table["varied"]) == {"interruption", "pre_window", "specification"}
    assert list(table.columns) == ["varied", "setting", "interruption", "estimate", "ci_low",
                                   "ci_high", "p_value", "scale"]
    dates = table[table["varied"] == "interruption"]
    assert list(dates["interruption"]) == ["2011-03-14", "2011-03-16", "2011-03-18"]
    real = its.fit(data, y="volume", interruptions=["2011-03-16"], seasonality="dow", errors="hac", slope_change=False)
    np.testing.assert_allclose(dates["estimate"].iloc[1], real.level_change()["estimate"])
    window = table[table["setting"] == "40 pre periods"].iloc[0]
    short = its.fit(data.iloc[34:], y="volume", interruptions=["2011-03-16"], seasonality="dow",
                    errors="hac", slope_change=False)
    np.testing.assert_allclose(window["estimate"], short.level_change()["estimate"])
    assert "log(y) + hac" in set(table["setting"])
    fig = plots.plot_sensitivity(table)
    assert len(fig.axes) == 4 and all(ax.get_xlabel() for ax in fig.axes)
    plt.close(fig)


def test_sensitivity_interval_matches_t_quantile():
    data = daily_series(n=150)
    table = its.sensitivity(data, y="volume", interruptions=["2011-03-16"], shifts=(0,),
                            pre_windows=[74], specifications={"iid": {"errors": "iid"}}, slope_change=False).table
    row = table[table["varied"] == "specification"].iloc[0]
    ref = sm.OLS(data["volume"].to_numpy(), np.column_stack(
        [np.ones(150), np.arange(1, 151), data.index >= "2011-03-16"]).astype(float)).fit()
    half = stats.t.ppf(0.975, ref.df_resid) * ref.bse[2]
    np.testing.assert_allclose([row["ci_low"], row["ci_high"]],
                               [ref.params[2] - half, ref.params[2] + half], rtol=1e-8)


def test_sensitivity_keeps_time_of_day_and_reports_skipped_shifts():
    data = daily_series(n=90, cut="2011-03-16")
    result = its.sensitivity(data, y="volume", interruptions=["2011-03-16 14:45"],
                             shifts=(-80, -1, 0, 1, 40), pre_windows=[74], specifications={}, slope_change=False)
    dates = result.table[result.table["varied"] == "interruption"]
    assert list(dates["interruption"]) == ["2011-03-15 14:45:00", "2011-03-16 14:45",
                                           "2011-03-17 14:45:00"]
    assert result.skipped_shifts == (-80, 40) and "shifts skipped: [-80, 40]" in repr(result)


@pytest.mark.parametrize("family", ["quasipoisson", "poisson"])
def test_sensitivity_of_a_count_model_compares_only_specifications_its_family_allows(family):
    # a count baseline with the default specifications used to stop at "errors='ar1' is
    # available for family='gaussian' only"
    data = daily_series(n=90)
    result = its.sensitivity(data, y="count", interruptions=["2011-03-16"], family=family,
                             errors="hac", seasonality="dow", shifts=(0,), pre_windows=[60])
    rows = result.table[result.table["varied"] == "specification"].set_index("setting")
    assert list(rows.index) == ["errors=iid", "errors=hac", "dow + hac", "no seasonality + hac",
                                "log(y) + hac"]
    direct = its.fit(data, y="count", interruptions=["2011-03-16"], family=family, errors="iid",
                     seasonality="dow").level_change()
    np.testing.assert_allclose(rows.loc["errors=iid", ["estimate", "ci_low", "ci_high"]].to_numpy(float),
                               [direct["estimate"], direct["ci_low"], direct["ci_high"]], rtol=1e-6)


def test_sensitivity_of_a_gaussian_model_includes_reml():
    data = daily_series(n=90)
    table = its.sensitivity(data, y="volume", interruptions=["2011-03-16"], shifts=(0,),
                            pre_windows=[60]).table
    row = table[table["setting"] == "errors=reml"].iloc[0]
    direct = its.fit(data, y="volume", interruptions=["2011-03-16"], errors="reml").level_change()
    np.testing.assert_allclose([row["ci_low"], row["ci_high"]],
                               [direct["ci_low"], direct["ci_high"]], rtol=1e-8)
