"""report.daily_input / cleaning_summary / its_summary / stack and the story plots."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from spamlab import figures, plots, report
from spamlab.errors import ParameterError


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_daily_input_keeps_gaps_empty_and_counts_everything(tmp_path):
    days = pd.date_range("2024-01-01", periods=40, freq="D")
    counts = np.full(40, 1000.0)
    counts[20] = 50000.0  # an outlier, to be flagged and kept
    frame = pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "count": counts}).drop(index=[10, 11])
    frame.loc[5, "count"] = np.nan  # an empty cell
    path = tmp_path / "My Server 2024.csv"
    frame.to_csv(path, index=False)
    inp = report.daily_input(path)
    assert not inp.synthetic and inp.y == "volume" and inp.slug == "my-server-2024"
    assert len(inp.frame) == 40  # the two missing days are rows, not dropped
    assert inp.frame["is_gap"].sum() == 3 and inp.frame["volume"].isna().sum() == 3  # 2 gaps + empty
    assert bool(inp.frame["is_outlier"].iloc[20]) and inp.frame["volume"].iloc[20] == 50000.0
    summary = report.cleaning_summary(inp.frame).set_index("what")["count"]
    assert summary["rows read from the file"] == 38
    assert summary["rows with an empty value"] == 1
    assert summary["days without data (gaps, left empty)"] == 3
    assert summary["days flagged as outliers (kept)"] == 1
    assert inp.figure_name("counterfactual") == "my-server-2024-counterfactual"


def test_scenario_input_is_labelled_synthetic_everywhere():
    inp = report.daily_input(None, seed=0)
    assert inp.synthetic and inp.y == "total_synthetic" and "SYNTHETIC" in inp.label
    assert inp.figure_name("counterfactual") == "rustock-counterfactual-synthetic"
    assert "SYNTHETIC" in inp.title_tag and str(inp.frame.index.tz) == "UTC"
    assert all(c.endswith("_synthetic") for c in inp.frame.columns if c.startswith("total"))


def test_its_summary_takes_the_named_interruption():
    from spamlab import its

    days = pd.date_range("2024-01-01", periods=90, freq="D", tz="UTC")
    level = np.where(days >= "2024-02-01", 0.5, 1.0) * np.where(days >= "2024-03-01", 0.8, 1.0)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"volume": 1000 * level * np.exp(rng.normal(0, 0.02, 90))}, index=days)
    res = its.fit(frame, interruptions=["2024-02-01", "2024-03-01"], transform="log")
    summary = report.its_summary(res, "2024-03-01", data="x.csv")
    row = res.effects[(res.effects["kind"] == "level_change")
                      & (res.effects["interruption"] == "2024-03-01")].iloc[0]
    assert summary["level_change"]["estimate"] == pytest.approx(float(row["estimate"]))
    assert summary["level_change"]["ci_low"] < 0.8 < summary["level_change"]["ci_high"]
    assert summary["interruption"] == "2024-03-01" and summary["data"] == "x.csv"


def test_stack_and_side_by_side_label_their_blocks():
    stacked = report.stack({"a": pd.DataFrame({"x": [1]}), "b": pd.DataFrame({"x": [2]})}, "fit")
    assert stacked.columns.tolist() == ["fit", "x"] and stacked["fit"].tolist() == ["a", "b"]


def test_published_rows_select_by_metric_entity_and_unit():
    table = figures.load()
    rows = plots.published_rows(table, "spam_volume_per_day", unit="billion_per_day")
    expected = table[(table["metric"] == "spam_volume_per_day") & table["unit"].eq("billion_per_day")
                     & table["entity"].str.match(r"^global( \(|$)") & table["period_start"].notna()]
    assert sorted(rows["id"]) == sorted(expected["id"])
    assert {5: "Symantec", 326: "Commtouch", 83: "Cisco"}.items() <= dict(
        zip(rows["id"], rows["vendor"], strict=True)).items()
    with pytest.raises(ParameterError, match="no dated rows with metric='nope'"):
        plots.published_rows(table, "nope")


def test_published_periods_labels_every_figure_id():
    table = figures.load()
    fig = plots.published_periods(table, "botnet_output_per_day", entity="Rustock")
    labels = " ".join(t.get_text() for t in fig.axes[0].texts)
    shown = plots.published_rows(table, "botnet_output_per_day", "Rustock", "billion_per_day")
    assert all(f"#{i}" in labels.split() for i in shown["id"])


def test_daily_series_refuses_unknown_columns():
    frame = pd.DataFrame({"a": [1.0, 2.0]}, index=pd.date_range("2024-01-01", periods=2, tz="UTC"))
    with pytest.raises(ParameterError, match=r"columns \['b'\] not in the frame; it has \['a'\]"):
        plots.daily_series(frame, ["b"])
    assert plots.daily_series(frame, ["a"]).axes[0].get_xlabel() == "date (UTC)"


def test_placebo_dates_draws_the_real_interruption_apart():
    table = pd.DataFrame({"interruption": ["2011-03-01", "2011-03-02", "2011-03-16T14:45:00+00:00"],
                          "estimate": [1.0, 0.98, 0.7], "ci_low": [0.9, 0.9, 0.6],
                          "ci_high": [1.1, 1.05, 0.8], "scale": ["ratio"] * 3,
                          "is_real": [False, False, True]})
    ax = plots.placebo_dates(table).axes[0]
    _, labels = ax.get_legend_handles_labels()
    assert labels == ["placebo date (no intervention)", "the real interruption"]
    assert ax.get_ylabel() == "level change (ratio)"
