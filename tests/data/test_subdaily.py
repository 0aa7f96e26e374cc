"""Sub-daily exports: missing hours are missing, not zeros (issue 21, item 2).

An hourly (or 15-minute) export is summed into days; each day's ``covered`` is the share of
its native bins that were logged, and enters count models as exposure. The truths below are
written down by hand (hours kept, bins in a daylight-saving day) or simulated, never taken
from the functions under test.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spamlab import clean, inputs, its
from spamlab.cli import main
from spamlab.errors import ParameterError

START = pd.Timestamp("2011-01-01", tz="UTC")
CUT = START + pd.Timedelta(days=70)
#: notebook 05's default model
NB05 = {"family": "quasipoisson", "errors": "hac", "seasonality": "dow", "slope_change": False}


def _write(path: Path, stamps: pd.DatetimeIndex, counts: object, **extra: object) -> Path:
    """A CSV ``time,count[,extra...]`` with ISO timestamps carrying their UTC offset."""
    frame = pd.DataFrame({"time": stamps.map(pd.Timestamp.isoformat), "count": counts, **extra})
    frame.to_csv(path, index=False)
    return path


def _issue_export(tmp_path: Path, freq: str = "1h", seed: int = 1) -> Path:
    """The issue's case: a constant rate of 1000 per hour for 120 days, every other bin
    unlogged (rows absent) from day 70 on. The truth: no change at all."""
    stamps = pd.date_range(START, periods=120 * 24 * pd.Timedelta("1h") // pd.Timedelta(freq),
                           freq=freq)
    keep = (stamps < CUT) | (np.arange(len(stamps)) % 2 == 0)
    per_bin = 1000 * pd.Timedelta(freq) / pd.Timedelta("1h")
    counts = np.random.default_rng(seed).poisson(per_bin, int(keep.sum()))
    return _write(tmp_path / f"export-{freq}.csv", stamps[keep], counts)


def _read(path: Path, **options: object) -> tuple[inputs.DailyInput, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        inp = inputs.read_daily(path, date_col="time", value_col="count", **options)
    return inp, [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


@pytest.mark.parametrize("freq", ["1h", "15min"])
def test_every_other_bin_unlogged_is_no_fall_with_the_notebook_model(tmp_path, freq):
    inp, said = _read(_issue_export(tmp_path, freq))
    spec = its.Specification(**NB05, exposure=inp.exposure_for(NB05["family"]))
    effect = its.fit(inp.frame, y=inp.y, interruptions=[CUT.isoformat()],
                     spec=spec).effects.iloc[0]
    assert effect["ci_low"] < 1 < effect["ci_high"]  # before: 0.500 (0.497-0.503)
    assert effect["ci_high"] - effect["ci_low"] < 0.05
    assert inp.exposure == "exposure"
    assert len(said) == 1 and "50 of 120 days are only partly covered" in said[0]
    assert "lowest 0.500" in said[0]


@pytest.mark.parametrize(("family", "transform"), [("gaussian", "log"), ("gaussian", None)])
def test_gaussian_models_do_not_read_half_covered_days_as_a_fall(tmp_path, family, transform):
    inp, _ = _read(_issue_export(tmp_path))
    spec = its.Specification(family=family, transform=transform, errors="hac", seasonality="dow",
                             slope_change=False, exposure=inp.exposure_for(family, transform))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y = inp.y_for(family, transform)
    assert y == ("volume" if transform == "log" else "volume_scaled")
    assert len(caught) == (0 if transform == "log" else 1)  # identity scale: scaled, with a warning
    effect = its.fit(inp.frame, y=y, interruptions=[CUT.isoformat()], spec=spec).effects.iloc[0]
    no_change = 1.0 if transform == "log" else 0.0
    assert effect["ci_low"] < no_change < effect["ci_high"]
    # fitted without exposure (breakpoints, power studies): the scaled volume, same answer on log
    if transform == "log":
        alone = its.Specification(family=family, transform=transform, errors="hac",
                                  seasonality="dow", slope_change=False)
        other = its.fit(inp.frame, y=inp.y_for(family, transform, exposure=False),
                        interruptions=[CUT.isoformat()], spec=alone).effects.iloc[0]
        assert other["estimate"] == pytest.approx(effect["estimate"], rel=1e-9)


def test_a_day_with_12_of_24_hours_is_half_covered_and_keeps_its_count(tmp_path):
    hours = pd.date_range("2011-03-14", periods=72, freq="h", tz="UTC")
    keep = hours[(hours.day != 15) | (hours.hour < 12)]  # 15 March: hours 0-11 only
    inp, said = _read(_write(tmp_path / "h.csv", keep, 10))
    frame = inp.frame
    assert frame["covered"].tolist() == [1.0, 0.5, 1.0]
    assert frame["volume"].tolist() == [240.0, 120.0, 240.0]  # the count as logged
    assert frame["exposure"].tolist() == [1.0, 0.5, 1.0]
    assert frame["volume_scaled"].tolist() == [240.0, 240.0, 240.0]
    assert not frame["is_gap"].any()
    assert said and "1 of 3 days" in said[0] and "2011-03-15" in said[0] and "12 of 24" in said[0]
    summary = inputs.cleaning_summary(frame).set_index("what")["count"]
    assert summary["days only partly observed (exposure below 1)"] == 1


def test_empty_values_are_unlogged_hours_and_first_and_last_days_count_what_they_hold(tmp_path):
    hours = pd.date_range("2011-03-14 06:00", "2011-03-16 17:00", freq="h", tz="UTC")
    counts = pd.Series(5.0, index=hours)
    counts[(hours.day == 15) & (hours.hour >= 18)] = np.nan  # rows present, value empty
    inp, _ = _read(_write(tmp_path / "h.csv", hours, counts.to_numpy()))
    assert inp.frame["covered"].tolist() == [18 / 24, 18 / 24, 18 / 24]
    assert inp.frame["volume"].tolist() == [90.0, 90.0, 90.0]


@pytest.mark.parametrize(("day", "bins"), [("2011-03-27", 23), ("2011-10-30", 25)])
def test_a_daylight_saving_day_in_berlin_has_its_own_number_of_hours(tmp_path, day, bins):
    local = pd.Timestamp(day, tz="Europe/Berlin")
    hours = pd.date_range(local - pd.DateOffset(days=1), local + pd.DateOffset(days=2),
                          freq="h", inclusive="left").tz_convert("UTC")
    inp, said = _read(_write(tmp_path / "full.csv", hours, 1), tz="Europe/Berlin")
    assert inp.frame["covered"].tolist() == [1.0, 1.0, 1.0] and not said
    assert inp.frame["volume"].tolist() == [24.0, float(bins), 24.0]
    gone = hours.drop(hours[(hours.tz_convert("Europe/Berlin").normalize() == local)][:3])
    inp, said = _read(_write(tmp_path / "gappy.csv", gone, 1), tz="Europe/Berlin")
    assert inp.frame["covered"].tolist() == [1.0, pytest.approx((bins - 3) / bins), 1.0]
    assert len(said) == 1 and f"{bins - 3} of {bins} bins" in said[0]
    assert str(inp.frame.index.tz) == "Europe/Berlin"
    naive = pd.DataFrame({"time": hours.tz_convert("Europe/Berlin").strftime("%Y-%m-%d %H:%M"),
                          "count": 1})  # local wall-clock times, 02:00-02:59 twice in October
    naive.to_csv(tmp_path / "local.csv", index=False)
    inp, said = _read(tmp_path / "local.csv", tz="Europe/Berlin", ambiguous="infer")
    assert inp.frame["covered"].tolist() == [1.0, 1.0, 1.0] and not said
    assert inp.frame["volume"].tolist() == [24.0, float(bins), 24.0]


def test_a_15_minute_export_counts_quarter_hours_and_low_days_become_gaps(tmp_path):
    quarters = pd.date_range("2011-03-14", periods=4 * 96, freq="15min", tz="UTC")
    day = quarters.normalize()
    keep = ((day != pd.Timestamp("2011-03-15", tz="UTC")) | (np.arange(len(quarters)) % 4 == 0)) & (
        (day != pd.Timestamp("2011-03-16", tz="UTC")) | (np.arange(len(quarters)) % 96 < 10))
    inp, said = _read(_write(tmp_path / "q.csv", quarters[keep], 3))
    frame = inp.frame
    assert frame["covered"].tolist() == [1.0, 0.25, 10 / 96, 1.0]
    assert frame["is_gap"].tolist() == [False, False, True, False]  # 10/96 < min_coverage 0.25
    assert np.isnan(frame["volume"].iloc[2]) and frame["volume"].iloc[1] == 24 * 3
    assert "15-minute" in said[0] and "1 day(s) under min_coverage=0.25 are gaps" in said[0]
    summary = inputs.cleaning_summary(frame).set_index("what")["count"]
    assert summary["of the gaps, days observed under min_coverage (counts set aside)"] == 1
    kept, _ = _read(tmp_path / "q.csv", min_coverage=0)
    assert kept.frame["volume"].iloc[2] == 30 and not kept.frame["is_gap"].iloc[2]
    with pytest.raises(ParameterError, match=r"min_coverage=1.5: give a share of the day"):
        inputs.read_daily(tmp_path / "q.csv", date_col="time", min_coverage=1.5)


def test_an_hourly_file_with_a_covered_column_counts_each_rows_share_once(tmp_path):
    hours = pd.date_range("2011-03-14", periods=48, freq="h", tz="UTC")
    first, second = hours[:24], hours[24:][::2]  # day 1: every hour half logged; day 2: 12 hours
    stamps = first.append(second)
    share = [0.5] * 24 + [1.0] * 12
    inp, _ = _read(_write(tmp_path / "h.csv", stamps, 7, covered=share))
    # not the mean of the rows' shares (0.5, 1.0), nor the product with the hours (0.25, 0.5)
    assert inp.frame["covered"].tolist() == [0.5, 0.5]
    assert inp.exposure == "exposure"


def test_daily_input_is_read_as_before(tmp_path):
    days = pd.date_range("2011-03-01", periods=20, freq="D", tz="UTC").delete([4, 5])
    inp, said = _read(_write(tmp_path / "d.csv", days, np.arange(18) + 100))
    assert not said and inp.exposure is None and "covered" not in inp.frame
    assert inp.y_for("gaussian") == "volume"
    assert inp.frame["is_gap"].sum() == 2 and inp.frame["volume"].iloc[0] == 100
    with_column, said = _read(_write(tmp_path / "c.csv", days, 100, covered=[1.0] * 17 + [0.6]))
    assert not said and with_column.frame["covered"].iloc[-1] == 0.6
    assert with_column.frame["volume"].iloc[-1] == 100.0  # kept as counted, exposure 0.6


def test_native_spacing_is_none_for_daily_and_irregular_timestamps():
    assert clean.native_spacing(pd.date_range("2011-03-01", periods=30, freq="D", tz="UTC")) is None
    rng = np.random.default_rng(0)
    arrivals = pd.to_datetime(np.sort(rng.uniform(0, 5e5, 300)), unit="s", utc=True)
    assert clean.native_spacing(pd.DatetimeIndex(arrivals)) is None  # single messages
    berlin = pd.date_range("2011-03-26", "2011-03-29", freq="h", tz="Europe/Berlin")
    assert clean.native_spacing(berlin.delete([3, 9])) == pd.Timedelta("1h")


def test_sources_of_an_hourly_file_enter_the_additive_accounting_as_whole_days(tmp_path):
    hours = pd.date_range("2011-03-14", periods=72, freq="h", tz="UTC")
    keep = hours[(hours.day != 16) | (hours.hour % 2 == 0)]  # 16 March: every other hour
    path = _write(tmp_path / "panel.csv", keep, 30, a=10, b=20)
    with pytest.warns(UserWarning, match="1 of 3 days are only partly covered"):
        inp = inputs.read_sources(path, date_col="time", value_col="count", sources=["a", "b"],
                                  target="a")
    assert inp.frame[["count", "a", "b"]].to_numpy().tolist() == [[720.0, 240.0, 480.0]] * 3


def test_covered_share_counts_an_offset_grid_in_its_own_days():
    # hourly rows at half past (a +05:30 zone's whole hours), days of Asia/Kolkata
    hours = pd.date_range("2011-03-13 18:30", periods=72, freq="h", tz="UTC")
    raw = pd.DataFrame({"volume": 1.0}, index=hours.delete([30, 31, 32]))
    share = clean.covered_share(raw, pd.Timedelta("1h"), tz="Asia/Kolkata")
    assert share.tolist() == [1.0, 21 / 24, 1.0]
    every_two = pd.DataFrame({"volume": 1.0}, index=hours[::2].delete(15))  # 2-hourly, one gone
    two = clean.covered_share(every_two, pd.Timedelta("2h"), tz="Asia/Kolkata")
    assert two.tolist() == [1.0, 11 / 12, 1.0]


def test_sub_daily_times_on_no_grid_are_summed_with_a_warning(tmp_path):
    rng = np.random.default_rng(3)
    seconds = np.sort(rng.choice(3 * 86400, 200, replace=False))
    arrivals = pd.Timestamp("2011-03-14", tz="UTC") + pd.to_timedelta(seconds, unit="s")
    with pytest.warns(UserWarning, match=r"finer than a day but on no regular grid"):
        inp = inputs.read_daily(_write(tmp_path / "events.csv", arrivals, 1), date_col="time")
    assert inp.frame["volume"].sum() == 200 and inp.exposure is None


@pytest.mark.notebook
def test_spamlab_run_on_the_issues_hourly_export_reports_no_fall(tmp_path):
    """The issue's command: ``spamlab run --data FILE --date-col time --value-col count
    --interruption ... --only 05``; before, 0.500 (0.497-0.503) with no warning."""
    path = _issue_export(tmp_path)
    # the command's own check of the file stays quiet: the warning ends the run, listed once
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code = main(["run", "--data", str(path), "--date-col", "time", "--value-col", "count",
                     "--interruption", CUT.isoformat(), "--only", "05", "--name", "hourly",
                     "--reports-dir", str(tmp_path / "reports")])
    assert code == 0
    results = json.loads((tmp_path / "reports" / "hourly" / "results.json").read_text())
    level = results["notebooks"]["05-your-data"]["level_change"]
    assert level["ci_low"] < 1 < level["ci_high"]
    assert any("50 of 120 days are only partly covered" in w["message"]
               and w["notebook"] == "05-your-data" for w in results["warnings"])
