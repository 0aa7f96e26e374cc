"""Tests of the synthetic scenario: generator, constraints and calibration."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spamlab import figures, scenario
from spamlab.errors import DataError, ParameterError
from spamlab.scenario import Params, generate
from spamlab.scenario.calibration import HYPOTHESES, constraints_for
from spamlab.scenario.model import ar1_noise, sources, volume_arrays


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return figures.load()


@pytest.fixture(scope="module")
def calibrations(table) -> dict[str, scenario.Calibration]:
    return scenario.calibrate_all(seed=0, table=table)


def test_series_is_labelled_synthetic_and_adds_up():
    frame = generate(Params(), seed=3)
    assert all(c.endswith("_synthetic") for c in frame.columns)
    assert frame.attrs["synthetic"] and "SYNTHETIC" in frame.attrs["note"]
    assert frame.index[0] == pd.Timestamp("2010-12-01") and frame.index[-1] == pd.Timestamp("2011-06-30")
    parts = frame.drop(columns="total_synthetic").sum(axis=1)
    np.testing.assert_allclose(parts, frame["total_synthetic"])


def test_takedown_day_holds_the_hours_before_the_stop():
    p = Params(rustock_level=12.0, takedown_hour=14.75)
    rustock = generate(p, seed=None)["rustock_synthetic"]
    # 16 March 2011 is a Wednesday (weekday factor 1): 14.75 of 24 hours at 12 bn/day.
    assert rustock["2011-03-16"] == pytest.approx(12.0 * 14.75 / 24)
    assert rustock["2011-03-15"] == pytest.approx(12.0)
    assert (rustock["2011-03-17":] == 0).all()
    hourly = generate(p, seed=None, freq="h")["rustock_synthetic"]
    assert hourly["2011-03-16 14:00"] == pytest.approx(12.0 / 24 * 0.75)
    assert hourly["2011-03-16 15:00"] == 0


def test_holiday_pause_and_december_level_come_from_the_figures():
    rustock = generate(Params(), seed=None)["rustock_synthetic"]
    assert rustock["2010-12-22"] == pytest.approx(44.1)  # row 7, a Wednesday
    assert rustock["2010-12-29"] == pytest.approx(0.5)  # row 53, a Wednesday
    assert rustock["2011-01-12"] == pytest.approx(13.82)  # back after 10 January (row 54)


def test_hourly_volumes_add_up_to_the_days():
    p = Params(day_offset_hours=0.0, second_drop=3.0, collateral=0.2)
    daily = generate(p, seed=5)
    hourly = generate(p, seed=5, freq="h")
    summed = hourly.resample("D").sum()
    np.testing.assert_allclose(summed.to_numpy(), daily.to_numpy(), rtol=1e-9, atol=1e-9)


def test_vendor_days_shift_the_takedown_share():
    p = Params(rustock_level=10.0, others_level=0.0, bagle_level=0.0, nonbot_level=0.0)
    shifted = volume_arrays(sources(p), offset_hours=8.0)["rustock"]
    day16 = (pd.Timestamp("2011-03-16") - pd.Timestamp("2010-12-01")).days
    assert shifted[day16] == pytest.approx(10.0 * (14.75 - 8.0) / 24)


def test_ar1_noise_has_the_stated_sd_and_autocorrelation():
    p = Params(noise_sd=0.1, noise_ar1=0.6)
    draws = np.array([ar1_noise(p, seed)["bagle"] for seed in range(60)])
    assert draws.std() == pytest.approx(0.1, rel=0.08)
    lag1 = np.mean([np.corrcoef(row[:-1], row[1:])[0, 1] for row in draws])
    assert lag1 == pytest.approx(0.6, abs=0.06)
    assert np.exp(draws).mean() == pytest.approx(1.0, abs=0.01)


def test_seeds_reproduce_and_differ():
    a, b, c = (generate(Params(), seed=s) for s in (1, 1, 2))
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a.to_numpy(), c.to_numpy())


def test_constraints_match_an_independent_pandas_computation(table):
    p = Params(second_drop=2.0, march_trend=-0.01)
    frame = generate(p, seed=None)
    fitted, diagnostic = constraints_for(HYPOTHESES["baseline"], table)
    arrays = volume_arrays(sources(p), 0.0)
    total = frame["total_synthetic"]
    hand = {
        5: total["2011-03-08":"2011-03-15"].mean(),
        4: total["2011-03-17":"2011-03-23"].mean(),
        3: 100 * (total["2011-03-17"] / total["2011-03-15"] - 1),
        30: 100 * (total["2011-03-17"] / total["2011-03-10"] - 1),
        8: frame["bagle_synthetic"]["2011-01-01":"2011-03-31"].mean(),
        38: total["2010-12-24"],
        9: 100 * (1 - frame["non_botnet_synthetic"]["2011-03"].sum() / total["2011-03"].sum()),
        236: 100 * (total["2011-03"].mean() / total["2011-02"].mean() - 1),
    }
    by_id = {c.figure_id: c for c in fitted + diagnostic}
    for figure_id, expected in hand.items():
        assert by_id[figure_id].evaluate(arrays) == pytest.approx(expected), figure_id


def test_every_hypothesis_fits_within_2_percent_or_is_flagged(calibrations):
    for name, cal in calibrations.items():
        fitted = cal.constraints[cal.constraints["fitted"]]
        within = bool((fitted["rel_error"].abs() <= 0.02).all())
        assert cal.consistent == within, name
        assert set(fitted["figure_id"]) >= {3, 4, 5, 8, 9, 28, 29, 30, 38, 39}
        np.testing.assert_allclose(fitted["rel_error"], fitted["achieved"] / fitted["target"] - 1)


def test_required_figures_are_constraints_in_the_tables(calibrations):
    for cal in calibrations.values():
        assert {1, 3, 4, 5, 8, 9, 28, 29, 30, 38, 39} <= set(cal.constraints["figure_id"])
        assert cal.series.attrs["synthetic"] and cal.series.attrs["hypothesis"] == cal.hypothesis


def test_hypotheses_read_the_figures_differently(calibrations):
    def definition(name, figure_id):
        cons = calibrations[name].constraints
        return cons.loc[cons["figure_id"] == figure_id, "definition"].iloc[0]

    assert "2011-03-17..2011-03-20" in definition("weekday_window", 4)
    assert "2011-03-16..2011-03-23" in definition("partial_day", 4)
    diff = calibrations["different_bases"].constraints.set_index("figure_id")
    assert diff.loc[2, "fitted"] and not diff.loc[1, "fitted"]
    assert calibrations["partial_day"].params.takedown_hour == 15.5  # row 130


def test_recovery_of_a_known_second_source(table):
    truth = replace(Params(), rustock_level=14.5, others_level=22.0, bagle_level=7.5, nonbot_level=7.0,
                    winter_trend=-0.002, post_growth=0.012, holiday_depth=0.25,
                    day_offset_hours=6.0, second_drop=4.5)
    fitted, _ = constraints_for(HYPOTHESES["second_source"], table)
    arrays = volume_arrays(sources(truth), truth.day_offset_hours)
    fake = table.copy()
    for c in fitted:
        value = c.evaluate(arrays)
        fake.loc[c.figure_id, ["value", "value_low", "value_high", "value_mid"]] = value
    cal = scenario.calibrate("second_source", table=fake)
    assert cal.consistent and cal.max_rel_error < 0.005
    assert cal.params.second_drop == pytest.approx(4.5, rel=0.1)
    assert cal.params.rustock_level == pytest.approx(14.5, rel=0.05)


def test_calibration_is_deterministic_and_seed_only_moves_the_noise(table):
    a = scenario.calibrate("other_botnets", seed=1, table=table)
    b = scenario.calibrate("other_botnets", seed=1, table=table)
    c = scenario.calibrate("other_botnets", seed=2, table=table)
    pd.testing.assert_frame_equal(a.series, b.series)
    assert a.params == c.params
    assert not np.allclose(a.series.to_numpy(), c.series.to_numpy())


def test_summary_has_one_row_per_hypothesis(calibrations):
    out = scenario.summary(calibrations)
    assert out["hypothesis"].tolist() == list(HYPOTHESES)
    assert (out["max_rel_error"] >= 0).all()


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: scenario.calibrate("aliens"), ParameterError, "hypothesis='aliens'"),
        (lambda: scenario.calibrate("baseline", tolerance=0), ParameterError, "tolerance=0"),
        (lambda: Params(others_level=-1), ParameterError, "others_level"),
        (lambda: Params(collateral=1.5), ParameterError, "collateral"),
        (lambda: Params(noise_ar1=1.0), ParameterError, "noise_ar1"),
        (lambda: Params(weekend_factor=0), ParameterError, "weekend_factor"),
        (lambda: Params(takedown_hour=25), ParameterError, "takedown_hour"),
        (lambda: Params(noise_sd=float("nan")), ParameterError, "noise_sd"),
        (lambda: generate(Params(), freq="W"), ParameterError, "freq='W'"),
    ],
)
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_missing_period_or_figure_is_named(table):
    no_period = table.copy()
    no_period.loc[5, "period_start"] = pd.NaT
    with pytest.raises(DataError, match="id 5: period_start/period_end"):
        scenario.calibrate("baseline", table=no_period)
    with pytest.raises(DataError, match="id 30 is missing"):
        scenario.calibrate("baseline", table=table.drop(index=30))


@settings(max_examples=20, deadline=None)
@given(
    level=st.floats(0, 60), others=st.floats(0, 60), hour=st.floats(0, 23.99),
    collateral=st.floats(0, 1), drop=st.floats(0, 10), trend=st.floats(-0.03, 0.03),
    seed=st.integers(0, 1000),
)
def test_property_volumes_nonnegative_and_additive(level, others, hour, collateral, drop, trend, seed):
    p = Params(rustock_level=level, others_level=others, takedown_hour=hour, collateral=collateral,
               second_drop=drop, march_trend=trend)
    frame = generate(p, seed=seed)
    assert (frame.to_numpy() >= -1e-12).all()
    np.testing.assert_allclose(frame.drop(columns="total_synthetic").sum(axis=1), frame["total_synthetic"])
    assert (frame.loc["2011-03-17":, "rustock_synthetic"] == 0).all()


def test_excluded_figures_are_reported_but_not_fitted(table):
    cal = scenario.calibrate("second_source", table=table, exclude=(30,))
    row = cal.constraints.set_index("figure_id").loc[30]
    assert not row["fitted"]
    assert cal.series.attrs["excluded_figure_ids"] == [30]
    with pytest.raises(ParameterError, match="exclude=\\(77,\\)"):
        scenario.calibrate("baseline", table=table, exclude=(77,))


def test_param_table_names_the_basis_of_every_parameter(calibrations):
    from dataclasses import fields

    out = scenario.param_table(calibrations["partial_day"]).set_index("parameter")
    assert set(out.index) == {f.name for f in fields(Params)}
    assert out.loc["rustock_level", "basis"] == "fitted"
    assert out.loc["takedown_hour", "basis"] == "set by hypothesis 'partial_day'"
    assert out.loc["takedown_hour", "value"] == 15.5
    assert out.loc["noise_sd", "basis"] == "assumption"
