"""spamlab.inputs: what the notebooks read (your file, or the labelled-synthetic scenario)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spamlab import inputs, its
from spamlab.errors import DataError, ParameterError


def test_a_file_keeps_gaps_empty_and_counts_everything(tmp_path):
    days = pd.date_range("2024-01-01", periods=40, freq="D")
    counts = np.full(40, 1000.0)
    counts[20] = 50000.0  # an outlier, to be flagged and kept
    frame = pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "count": counts}).drop(index=[10, 11])
    frame.loc[5, "count"] = np.nan  # an empty cell
    path = tmp_path / "My Server 2024.csv"
    frame.to_csv(path, index=False)
    inp = inputs.read_daily(path)
    assert not inp.synthetic and inp.y == "volume" and inp.slug == "my-server-2024"
    assert len(inp.frame) == 40  # the two missing days are rows, not dropped
    assert inp.frame["is_gap"].sum() == 3 and inp.frame["volume"].isna().sum() == 3  # 2 gaps + empty
    assert bool(inp.frame["is_outlier"].iloc[20]) and inp.frame["volume"].iloc[20] == 50000.0
    summary = inputs.cleaning_summary(inp.frame).set_index("what")["count"]
    assert summary["rows read from the file"] == 38
    assert summary["rows with an empty value"] == 1
    assert summary["days without data (gaps, left empty)"] == 3
    assert summary["days flagged as outliers (kept)"] == 1
    assert inp.figure_name("counterfactual") == "my-server-2024-counterfactual"


def test_scenario_input_is_labelled_synthetic_everywhere():
    inp = inputs.synthetic_daily(seed=0)
    assert inp.synthetic and inp.y == "total_synthetic" and "SYNTHETIC" in inp.label
    assert inp.figure_name("counterfactual") == "rustock-counterfactual-synthetic"
    assert "SYNTHETIC" in inp.title_tag and str(inp.frame.index.tz) == "UTC"
    assert all(c.endswith("_synthetic") for c in inp.frame.columns if c.startswith("total"))


def test_columns_and_time_zone_reach_the_reader(tmp_path):
    days = pd.date_range("2024-03-25", periods=14, freq="D")
    path = tmp_path / "berlin.csv"
    pd.DataFrame({"Tag": days.strftime("%Y-%m-%d"), "Spam": np.arange(14) + 10}).to_csv(
        path, index=False)
    inp = inputs.read_daily(path, date_col="Tag", value_col="Spam", tz="Europe/Berlin")
    assert str(inp.frame.index.tz) == "Europe/Berlin"  # Berlin days, not UTC ones
    assert inp.frame.index[0] == pd.Timestamp("2024-03-25", tz="Europe/Berlin")
    assert inp.frame["volume"].tolist() == list(np.arange(14.0) + 10)
    with pytest.raises(DataError, match=r"value column 'count' not found.*\['Tag', 'Spam'\]"):
        inputs.read_daily(path, date_col="Tag", tz="Europe/Berlin")


def test_power_runs_on_a_file_with_missing_days_before_the_interruption(tmp_path):
    """Notebook 04's minimum detectable effect on an export with gaps (issue 13, bug 1)."""
    rng = np.random.default_rng(5)
    days = pd.date_range("2024-01-01", periods=90, freq="D")
    frame = pd.DataFrame({"date": days.strftime("%Y-%m-%d"),
                          "count": rng.normal(1000, 30, 90).round()}).drop(index=[20, 21, 40])
    path = tmp_path / "gappy.csv"
    frame.to_csv(path, index=False)
    inp = inputs.read_daily(path)
    assert inp.frame["is_gap"].sum() == 3  # the three missing days are rows with NaN
    spec = its.Specification(family="gaussian", seasonality="dow", slope_change=False,
                             errors="hac", seed=0)
    batched = its.minimum_detectable_effect(inp.frame, y="volume", post_days=14,
                                            interruptions="2024-03-20", n_sims=60, spec=spec)
    one_by_one = its.minimum_detectable_effect(inp.frame, y="volume", post_days=14,
                                               interruptions="2024-03-20", n_sims=60, spec=spec,
                                               batch=False)
    assert batched == pytest.approx(one_by_one)  # the same studies, fitted two ways
    assert -120 < batched < -10  # a drop of a few noise sd (30) is what 14 days can detect


def test_the_default_scenario_is_the_one_consistent_with_the_published_figures():
    from spamlab import scenario

    cal = scenario.calibrate(inputs.DEFAULT_HYPOTHESIS, seed=0)
    assert cal.consistent  # 'baseline' is not: it reaches 47 -> 31 bn/day, not 52 -> 33
    total = cal.series["total_synthetic"]
    before, after = total.loc["2011-03-09":"2011-03-15"].mean(), total.loc["2011-03-17":"2011-03-23"].mean()
    assert before == pytest.approx(52, rel=0.05) and after == pytest.approx(33, rel=0.05)


def test_moments_sorts_converts_and_refuses_dst_gaps():
    assert inputs.moments("2024-03-01 09:30", "Europe/Berlin") == ["2024-03-01T08:30:00+00:00"]
    assert inputs.moments(["2024-03-02", "2024-03-01T12:00Z"]) == [
        "2024-03-01T12:00:00+00:00", "2024-03-02T00:00:00+00:00"]
    with pytest.raises(ParameterError, match="interruptions='2024-03-31 02:30' is a nonexistent"):
        inputs.moments(["2024-03-31 02:30"], "Europe/Berlin")
    with pytest.raises(ParameterError, match="at least one moment"):
        inputs.moments([])


def test_a_semicolon_export_with_german_dates_reads_without_options(tmp_path):
    path = tmp_path / "Export März.csv"
    path.write_text("Datum;Spam\n01.03.2011;1.200\n02.03.2011;\n04.03.2011;1.100,5\n",
                    encoding="utf-8")
    inp = inputs.read_daily(path, date_col="Datum", value_col="Spam")
    assert inp.frame["volume"].tolist()[:1] == [1200.0] and inp.frame["volume"].iloc[3] == 1100.5
    summary = inputs.cleaning_summary(inp.frame).set_index("what")["count"]
    assert summary["rows with a date only, read as UTC days (no tz given)"] == 3
    assert summary["days without data (gaps, left empty)"] == 2  # the empty cell and the missing day
    assert str(inp.frame.index.tz) == "UTC" and inp.slug == "export-marz"


def test_last_segment_starts_at_the_previous_interruption_unless_told():
    days = pd.date_range("2024-01-01", periods=30, freq="D", tz="UTC")
    frame = pd.DataFrame({"volume": np.arange(30.0)}, index=days)
    moments = ["2024-01-10T00:00:00+00:00", "2024-01-20T12:00:00+00:00"]
    assert inputs.last_segment(frame, moments).index[0] == days[9]
    assert inputs.last_segment(frame, moments[1:]).index[0] == days[0]
    assert len(inputs.last_segment(frame, moments, ["2024-01-05", "2024-01-25"])) == 21
