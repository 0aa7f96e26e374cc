"""spamlab.report's tables (its_summary, effects_side_by_side, stack) and the story plots."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from spamlab import figures, its, plots, report
from spamlab.errors import ParameterError


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_its_summary_takes_the_named_interruption():
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


def test_stack_labels_its_blocks():
    stacked = report.stack({"a": pd.DataFrame({"x": [1]}), "b": pd.DataFrame({"x": [2, 3]})}, "fit")
    assert stacked.columns.tolist() == ["fit", "x"]
    assert stacked["fit"].tolist() == ["a", "b", "b"] and stacked["x"].tolist() == [1, 2, 3]


def _effects(rows: list[tuple]) -> pd.DataFrame:
    columns = ["interruption", "kind", "estimate", "ci_low", "ci_high", "p_value", "scale"]
    return pd.DataFrame(rows, columns=columns)


def test_effects_side_by_side_keeps_one_kind_per_fit_in_order():
    first = SimpleNamespace(model="AR(1)", effects=_effects([
        ("pause", "level_change", 0.5, 0.4, 0.7, 0.001, "ratio"),
        ("pause", "slope_change", 1.01, 1.0, 1.02, 0.2, "ratio"),
        ("takedown", "level_change", 0.6, 0.5, 0.8, 0.01, "ratio"),
    ]))
    second = SimpleNamespace(model="iid", effects=_effects([
        ("takedown", "level_change", 0.62, 0.58, 0.66, 0.0001, "ratio"),
        ("takedown", "slope_change", 0.99, 0.97, 1.01, 0.5, "ratio"),
    ]))
    table = report.effects_side_by_side({"whole": first, "window": second})
    expected = pd.DataFrame({
        "fit": ["whole", "whole", "window"], "interruption": ["pause", "takedown", "takedown"],
        "estimate": [0.5, 0.6, 0.62], "ci_low": [0.4, 0.5, 0.58], "ci_high": [0.7, 0.8, 0.66],
        "ci_width": [0.3, 0.3, 0.08], "p_value": [0.001, 0.01, 0.0001],
        "scale": ["ratio"] * 3, "model": ["AR(1)", "AR(1)", "iid"]})
    pd.testing.assert_frame_equal(table, expected)
    slopes = report.effects_side_by_side({"whole": first, "window": second}, kind="slope_change")
    assert slopes["estimate"].tolist() == [1.01, 0.99] and slopes["fit"].tolist() == ["whole", "window"]


def test_effects_side_by_side_of_real_fits_matches_each_fits_own_level_change():
    days = pd.date_range("2024-01-01", periods=80, freq="D", tz="UTC")
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"volume": 1000 * np.where(days >= "2024-02-20", 0.7, 1.0)
                          * np.exp(rng.normal(0, 0.03, 80))}, index=days)
    fits = {errors: its.fit(frame, y="volume", interruptions=["2024-02-20"], transform="log",
                            errors=errors) for errors in ("iid", "hac")}
    table = report.effects_side_by_side(fits).set_index("fit")
    for label, res in fits.items():
        level = res.level_change("2024-02-20")
        for column in ("estimate", "ci_low", "ci_high", "p_value"):
            assert table.loc[label, column] == pytest.approx(float(level[column]))
        assert table.loc[label, "ci_width"] == pytest.approx(level["ci_high"] - level["ci_low"])
    assert table.loc["iid", "estimate"] == pytest.approx(table.loc["hac", "estimate"])  # same fit
    assert table.loc["iid", "ci_low"] < 0.7 < table.loc["iid", "ci_high"]


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
    fig = plots.plot_published_periods(table, "botnet_output_per_day", entity="Rustock")
    labels = " ".join(t.get_text() for t in fig.axes[0].texts)
    shown = plots.published_rows(table, "botnet_output_per_day", "Rustock", "billion_per_day")
    assert all(f"#{i}" in labels.split() for i in shown["id"])


def test_daily_series_refuses_unknown_columns():
    frame = pd.DataFrame({"a": [1.0, 2.0]}, index=pd.date_range("2024-01-01", periods=2, tz="UTC"))
    with pytest.raises(ParameterError, match=r"columns \['b'\] not in the frame; it has \['a'\]"):
        plots.plot_daily_series(frame, ["b"])
    assert plots.plot_daily_series(frame, ["a"]).axes[0].get_xlabel() == "date (UTC)"


def test_placebo_dates_draws_the_real_interruption_apart():
    table = pd.DataFrame({"interruption": ["2011-03-01", "2011-03-02", "2011-03-16T14:45:00+00:00"],
                          "estimate": [1.0, 0.98, 0.7], "ci_low": [0.9, 0.9, 0.6],
                          "ci_high": [1.1, 1.05, 0.8], "scale": ["ratio"] * 3,
                          "is_real": [False, False, True]})
    ax = plots.plot_placebo_dates(table).axes[0]
    _, labels = ax.get_legend_handles_labels()
    assert labels == ["placebo date (no intervention)", "the real interruption"]
    assert ax.get_ylabel() == "level change (ratio)"


def _takedown_fit(**model) -> its.ITSResult:
    days = pd.date_range("2011-01-10", "2011-04-30", freq="D", tz="UTC")
    rng = np.random.default_rng(5)
    volume = 60 * np.where(days >= "2011-03-17", 0.65, 1.0) * np.exp(rng.normal(0, 0.05, len(days)))
    frame = pd.DataFrame({"volume": volume}, index=days)
    return its.fit(frame, y="volume", interruptions=["2011-03-16T14:45:00+00:00"], **model)


def _outside_figure(fig) -> list[str]:
    """Axis labels, titles and tick labels whose drawn box leaves the figure (clipped on screen)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [fig._suptitle] if fig._suptitle is not None else []
    for axis in fig.axes:
        texts += [axis.xaxis.label, axis.yaxis.label, axis.title]
        for ticks in (axis.xaxis, axis.yaxis):  # the labels of ticks inside the limits are drawn
            low, high = sorted(ticks.get_view_interval())
            texts += [tick.label1 for tick in ticks.get_major_ticks() + ticks.get_minor_ticks()
                      if low <= tick.get_loc() <= high]
    box = fig.bbox
    return [t.get_text() for t in texts if t.get_text() and t.get_visible()
            and not (box.x0 - 0.5 <= (b := t.get_window_extent(renderer)).x0 and b.x1 <= box.x1 + 0.5
                     and box.y0 - 0.5 <= b.y0 and b.y1 <= box.y1 + 0.5)]


def test_the_counterfactual_figure_keeps_its_cumulative_label_inside():
    fig = _takedown_fit(transform="log").plot(ylabel="billion messages per day")
    twin = fig.axes[2]
    assert twin.get_ylabel() == "cumulative effect\n(billion messages)"
    assert _outside_figure(fig) == []
    assert fig.axes[1].get_xlabel() == "date (UTC)"


def test_plot_diagnostics_draws_the_log_residuals_and_their_acf():
    res = _takedown_fit(transform="log", errors="ar1")
    fig = plots.plot_diagnostics(res, ylabel="billion messages per day")
    over_time, acf_axis, scatter = fig.axes
    table = res.counterfactual
    resid = np.log(table["observed"].to_numpy() / table["fitted"].to_numpy())
    np.testing.assert_allclose(over_time.lines[0].get_ydata(), resid)
    assert np.isnan(resid[0]) and not np.isnan(resid[1:]).any()  # ar1 conditions on day one
    centred = resid[1:] - resid[1:].mean()
    expected = [centred[:-k] @ centred[k:] / (centred @ centred) for k in range(1, 21)]
    np.testing.assert_allclose(acf_axis.lines[0].get_ydata(), expected, atol=1e-10)
    band = acf_axis.collections[0].get_paths()[0].vertices[:, 1]
    assert band.max() == pytest.approx(1.959964 / np.sqrt(len(centred)), rel=1e-5)
    whitened = [line for line in acf_axis.lines if line.get_label().startswith("after the error")]
    np.testing.assert_allclose(whitened[0].get_ydata(), res.diagnostics["acf"][1:21])
    assert "Ljung-Box p = " in acf_axis.get_title() and acf_axis.get_xlabel() == "lag (days)"
    assert scatter.get_xlabel() == "fitted (billion messages per day)"
    points = np.vstack([c.get_offsets() for c in scatter.collections])
    assert len(points) in (len(table), len(table) - 1) and over_time.get_xlabel() == "date (UTC)"
    assert _outside_figure(fig) == []


def test_plot_diagnostics_of_a_linear_model_draws_differences_without_the_whitened_acf():
    fig = plots.plot_diagnostics(_takedown_fit(errors="hac"), ylabel="billion messages per day")
    over_time, acf_axis, _ = fig.axes
    assert over_time.get_ylabel() == "observed - fitted\n(billion messages per day)"
    drawn = [line.get_label() for line in acf_axis.lines if not line.get_label().startswith("_")]
    assert drawn == ["observed - fitted"]


def test_published_by_vendor_draws_one_panel_per_vendor_on_its_own_scale():
    table = figures.load()
    fig = plots.plot_published_by_vendor(table, "spam_volume_per_day", since="2010-01-01",
                                    marks=[("2011-03-16T14:45:00+00:00", "Rustock takedown")])
    rows = plots.published_rows(table, "spam_volume_per_day")
    rows = rows[rows["period_end"] >= "2010-01-01"]
    counts = rows["vendor"].value_counts()
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == f"Symantec ({counts['Symantec']} figures)"
    assert sorted(t.split(" (")[0] for t in titles) == sorted(counts.index)
    mcafee = fig.axes[titles.index("McAfee (3 figures)")]
    low, high = mcafee.get_ylim()
    assert mcafee.get_yscale() == "log" and low < 1.5 and high > 1500  # #240 and #241 both shown
    assert 10 < fig.axes[0].get_ylim()[0] < 30  # Symantec's own scale, not McAfee's
    assert "ending before 2010-01-01 not shown" in fig._suptitle.get_text()
    assert _outside_figure(fig) == []


def test_the_theme_is_seaborn_whitegrid_with_the_colourblind_palette():
    import matplotlib as mpl
    import seaborn as sns
    with mpl.rc_context():  # theme() changes the settings for good: undone after the test
        plots.theme()
        assert mpl.rcParams["axes.grid"] and mpl.rcParams["savefig.bbox"] == "tight"
        cycle = [mpl.colors.to_hex(c) for c in mpl.rcParams["axes.prop_cycle"].by_key()["color"]]
        theme = {key: mpl.rcParams[key] for key in plots.style.theme_settings()}
    assert cycle == sns.color_palette("colorblind").as_hex()
    assert theme == {key: mpl.rcParams.validate[key](value)  # the same settings as plots use
                     for key, value in plots.style.theme_settings().items()}
