"""Placebo, breakpoints and sensitivity: batched scans against naive loops, known answers."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from its_support import daily_series
from scipy import stats

from spamlab import its, plots
from spamlab.errors import ParameterError
from spamlab.its.breaks import argmax_quantile, argmax_tail, optimal_breaks, scan_one_break
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


def nile() -> pd.DataFrame:
    table = sm.datasets.nile.load_pandas().data
    return table.assign(year=table["year"].astype(int))


def test_nile_break_is_1899():
    result = its.break_search(nile(), y="volume", time="year", trend=False)
    row = result.table.iloc[0]
    assert row["break_at"] == 1899  # first year of the lower regime
    assert row["ci_low"] < 1899 < row["ci_high"] and row["ci_high"] - row["ci_low"] <= 10
    assert row["shift"] < -200
    assert result.sup_f > 20  # far beyond the 5% critical value (about 9)
    values = nile()["volume"].to_numpy(float)
    assert result.ssr == pytest.approx(((values[:28] - values[:28].mean()) ** 2).sum()
                                       + ((values[28:] - values[28:].mean()) ** 2).sum())
    assert (result.min_size, result.n_missing) == (15, 0) and "1899" in repr(result)


def test_two_step_drop_found():
    rng = np.random.default_rng(5)
    days = pd.date_range("2011-01-01", periods=180)
    steps = -6 * (np.arange(180) >= 70) - 6 * (np.arange(180) >= 120)
    weekly = np.array([0.0, 1.0, 1.5, 1.0, 0.5, -2.0, -2.0])[days.day_of_week]
    frame = pd.DataFrame({"v": 40 + steps + weekly + rng.normal(0, 1.5, 180)}, index=days)
    table = its.breakpoints(frame, y="v", n_breaks=2, seasonality="dow", trend=False)
    truth = [days[70], days[120]]
    for (_, row), moment in zip(table.iterrows(), truth):
        assert row["ci_low"] <= moment <= row["ci_high"]
        assert abs((row["break_at"] - moment).days) <= 2
    np.testing.assert_allclose(table["shift"], [-6, -6], atol=1)


def test_one_break_scan_batched_equals_statsmodels_loop():
    data = daily_series(n=180)
    dummies = pd.get_dummies(data.index.day_of_week, drop_first=True).to_numpy(float)
    y = data["volume"].to_numpy()
    fast = scan_one_break(y, dummies, 27)
    slow = scan_one_break(y, dummies, 27, batch=False)
    np.testing.assert_allclose(fast, slow, rtol=1e-10)
    assert np.isnan(fast[:27]).all() and np.isfinite(fast[27:154]).all()


def test_dynamic_programme_equals_brute_force():
    rng = np.random.default_rng(2)
    values = np.r_[np.zeros(25), np.full(20, 3.0), np.full(25, 1.0)] + rng.normal(0, 1, 70)
    best, where = np.inf, None
    for i in range(8, 70):
        for j in range(i + 8, 70 - 7):
            parts = (values[:i], values[i:j], values[j:])
            ssr = sum(((p - p.mean()) ** 2).sum() for p in parts)
            if ssr < best:
                best, where = ssr, [i, j]
    assert optimal_breaks(values, 2, 8) == where


def test_argmax_distribution_against_simulation():
    # Bai (1997) tabulates 11.0 for 95%; check the closed form by simulating argmax W(s) - |s|/2
    assert argmax_quantile(0.05) == pytest.approx(11.03, abs=0.01)
    rng = np.random.default_rng(0)
    step, half = 0.05, 4000
    drift = -0.5 * step * np.arange(1, half + 1)
    right = np.cumsum(rng.normal(0, np.sqrt(step), (4000, half)), axis=1) + drift
    left = np.cumsum(rng.normal(0, np.sqrt(step), (4000, half)), axis=1) + drift
    best_right, best_left = right.max(axis=1), left.max(axis=1)
    where = np.where(best_right > np.maximum(best_left, 0), (right.argmax(axis=1) + 1) * step,
                     np.where(best_left > 0, -(left.argmax(axis=1) + 1) * step, 0.0))
    for x in (1.0, 4.0, 11.03):
        expected = argmax_tail(x)
        observed = np.mean(where > x)
        assert abs(observed - expected) < 4 * np.sqrt(expected * (1 - expected) / 4000) + 0.01


def test_breakpoint_input_errors():
    with pytest.raises(ParameterError, match="cannot hold 3 segments of min_size=40"):
        its.breakpoints(nile(), y="volume", time="year", n_breaks=2, min_size=40)
    with pytest.raises(ParameterError, match="n_breaks=0 must be at least 1"):
        its.breakpoints(nile(), y="volume", time="year", n_breaks=0)
    with pytest.raises(ParameterError, match="transform='log': breakpoints searches level shifts"):
        its.breakpoints(nile(), y="volume", time="year", spec=its.Specification(transform="log"))


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


@pytest.mark.slow
def test_break_date_sets_cover_under_ar1_noise_with_hac():
    from its_support import ar1_matrix

    rng = np.random.default_rng(3)
    n, reps = 180, 300
    days = pd.date_range("2011-01-01", periods=n)
    noise = ar1_matrix(rng, reps, n, 0.5)
    hits = {"iid": 0, "hac": 0}
    for k in range(reps):
        frame = pd.DataFrame({"v": 20 - 2.5 * (np.arange(n) >= 100) + noise[k]}, index=days)
        for errors in hits:
            row = its.breakpoints(frame, y="v", errors=errors, trend=False).iloc[0]
            hits[errors] += row["ci_low"] <= days[100] <= row["ci_high"]
    assert hits["hac"] / reps >= 0.91  # nominal 95%; Bai's set with the long-run variance
    assert hits["iid"] < hits["hac"]  # the iid variance ignores the autocorrelation
    with pytest.raises(ParameterError, match="breakpoints supports 'iid', 'hac' or 'hac\\(LAGS\\)'"):
        its.breakpoints(frame, y="v", errors="ar1")
