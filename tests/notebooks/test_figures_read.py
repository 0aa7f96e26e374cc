"""Figures a reader can read: measured on the figure as saved, not on its settings.

Each kind of fault found in the reports (issue 24) has a test that measures it:

- a label cut off: every text drawn lies inside the PNG that ``report.save_figure`` writes
  (the figure is drawn at the saved resolution and its crop read back from the PNG);
- overprinted labels: the boxes of the ``#id`` labels of a chart do not overlap;
- lines that cannot be told apart: no two lines of an overlay share colour and style;
- a coloured mark without a legend entry: every bar colour of the waterfall is in its legend;
- a figure the text cites but the report does not show: in the executed notebook, every cell
  that saves a figure has an image among its outputs (slow: runs notebooks 01, 03 and 06).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import matplotlib.colors as mcolors
import matplotlib.image as mimage
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

from spamlab import attribution, figures, paths, plots, report, residual
from spamlab.errors import ParameterError

TAKEDOWN = [("2011-03-16T14:45:00+00:00", "Rustock takedown")]
DPI = 120  # report.save_figure's resolution


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _drawn_texts(fig: Figure, renderer) -> list[Text]:
    """Every non-empty visible text the figure draws (tick labels only inside the axis limits,
    annotations only where their point is drawn)."""
    hidden: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not low - 1e-9 * abs(high - low) <= tick.get_loc() <= high + 1e-9 * abs(high - low):
                    hidden.update((id(tick.label1), id(tick.label2)))
    texts = []
    for text in fig.findobj(Text):
        if id(text) in hidden or not text.get_text().strip() or not text.get_visible():
            continue
        if isinstance(text, Annotation) and not text._check_xy(renderer):  # its point is off the axes
            continue
        parent = text.axes
        if parent is not None and not parent.get_visible():
            continue
        texts.append(text)
    return texts


def texts_outside_the_saved_png(fig: Figure, folder: Path) -> list[str]:
    """Texts whose drawn box leaves the PNG ``report.save_figure`` writes of ``fig``.

    The figure is saved as the notebooks save it; its crop is read back from the PNG's size:
    the whole figure (constrained layout, ``savefig.bbox="standard"``) or the tight box of
    everything drawn (``"tight"``). Each text is then measured at the saved resolution.
    """
    saved = report.save_figure(fig, folder, "measured", dpi=DPI)
    height, width = mimage.imread(saved.path).shape[:2]
    FigureCanvasAgg(fig)
    fig.set_dpi(DPI)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    whole = fig.bbox
    if abs(whole.width - width) <= 2 and abs(whole.height - height) <= 2:
        shown = whole
    else:  # cropped tight: the tight box of the figure, padded, in pixels
        pad = plt.rcParams["savefig.pad_inches"]
        tight = fig.get_tightbbox(renderer).padded(pad)
        shown = Bbox.from_extents(*(np.array(tight.extents) * DPI))
        assert abs(shown.width - width) <= 3 and abs(shown.height - height) <= 3, (
            "the saved PNG is neither the whole figure nor its tight box")
    outside = []
    for text in _drawn_texts(fig, renderer):
        box = _text_box(text, renderer)
        if not (shown.x0 - 1 <= box.x0 and box.x1 <= shown.x1 + 1
                and shown.y0 - 1 <= box.y0 and box.y1 <= shown.y1 + 1):
            outside.append(text.get_text())
    return outside


def _text_box(text: Text, renderer) -> Bbox:
    """The drawn box of a text alone (an annotation's leader line left out)."""
    if isinstance(text, Annotation):
        text.update_positions(renderer)
    return Text.get_window_extent(text, renderer)


def overlapping_labels(fig: Figure, pattern: str = r"^#\d+") -> list[tuple[str, str]]:
    """Pairs of texts matching ``pattern`` (the ``#id`` labels) whose drawn boxes overlap."""
    FigureCanvasAgg(fig)
    fig.set_dpi(DPI)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in _drawn_texts(fig, renderer) if re.match(pattern, t.get_text())]
    boxes = [_text_box(t, renderer) for t in labels]
    return [(labels[i].get_text(), labels[j].get_text())
            for i in range(len(labels)) for j in range(i + 1, len(labels))
            if labels[i].axes is labels[j].axes and boxes[i].overlaps(boxes[j])]


# --- the measurements can fail ---------------------------------------------------------------

def test_a_label_longer_than_its_figure_is_found_outside(tmp_path):
    fig = Figure(figsize=(4, 3), layout="constrained")
    ax = fig.subplots()
    ax.set_xlabel("a label far longer than a four inch wide figure can hold, so its end is cut "
                  "off in the saved image")
    ax.set_ylabel("short")
    assert texts_outside_the_saved_png(fig, tmp_path) == [ax.get_xlabel()]


def test_labels_drawn_on_top_of_each_other_are_found():
    fig = Figure(figsize=(4, 3))
    ax = fig.subplots()
    ax.annotate("#4", (0.5, 0.5))
    ax.annotate("#5", (0.5, 0.5), xytext=(3, 2), textcoords="offset points")
    ax.annotate("#9", (0.1, 0.1))
    assert overlapping_labels(fig) == [("#4", "#5")]


# --- 06: the residual figure ------------------------------------------------------------------

def _accounting() -> tuple[attribution.SourceAccounting, pd.DataFrame]:
    days = pd.date_range("2011-02-14", "2011-04-10", tz="UTC")
    rng = np.random.default_rng(3)
    after = (days >= "2011-03-17").astype(float)
    data = pd.DataFrame({"stopper": 100 * (1 - after) + rng.normal(0, 8, len(days)).clip(0),
                         "rest": 140 - 15 * after + rng.normal(0, 10, len(days))}, index=days)
    data["total"] = data["stopper"] + data["rest"]
    acc = attribution.account_by_source(data, total="total", sources=["stopper", "rest"], target="stopper",
                              interruption="2011-03-16T14:45:00+00:00")
    return acc, data


def test_the_residual_figure_keeps_its_axis_label_inside_the_saved_png(tmp_path):
    acc, _ = _accounting()
    fig = plots.plot_attribution(acc, unit="messages per day",
                              title="The fall, the target's share and the residual (SYNTHETIC)")
    assert texts_outside_the_saved_png(fig, tmp_path) == []
    label = fig.axes[0].get_xlabel()
    assert "messages per day" in label and "fall (counterfactual - observed)" in label
    assert acc.residual["window"] in label


def test_the_attribution_panels_keep_every_label_inside(tmp_path):
    acc, data = _accounting()
    fig = plots.plot_sources(acc, data, ylabel="messages per day", title="Each series (SYNTHETIC)")
    assert texts_outside_the_saved_png(fig, tmp_path) == []


def test_the_truth_check_states_one_true_residual_in_its_words_and_its_table():
    acc, _ = _accounting()
    truth_falls = {"stopper": 100.0, "rest": 15.0, "total": 115.0}  # what the data were made with
    truth = SimpleNamespace(target="stopper", fall=lambda first, last: truth_falls)
    words, residuals, sources = plots.attribution.truth_check(acc, acc, truth, "messages per day")
    true_residual = truth_falls["total"] - truth_falls["stopper"]
    first = residuals.iloc[0]
    assert first["what"].startswith("true residual") and first.iloc[1] == pytest.approx(true_residual)
    assert f"the true residual is {true_residual:.1f} messages per day" in words
    assert residuals.iloc[1, 1] == pytest.approx(acc.residual["estimate"])
    assert f"the estimate is {acc.residual['estimate']:.1f}" in words
    by_name = sources.set_index("source")
    assert by_name["true fall"].to_dict() == truth_falls
    assert by_name["estimated fall"].to_dict() == pytest.approx(
        acc.sources.set_index("source")["fall"].to_dict())
    held = (by_name["fall_low"] <= by_name["true fall"]) & (by_name["true fall"]
                                                           <= by_name["fall_high"])
    assert by_name["interval holds the truth"].tolist() == held.tolist()


def test_the_residual_reads_in_the_unit_of_the_data():
    acc, data = _accounting()
    assert acc.residual["unit"] == "per day"  # what the accounting knows without a unit
    named = attribution.account_by_source(data, total="total", sources=["stopper", "rest"],
                                target="stopper", interruption="2011-03-16T14:45:00+00:00",
                                unit="messages per day")
    assert named.residual["unit"] == "messages per day"
    assert named.residual["estimate"] == acc.residual["estimate"]
    text = attribution.describe(named)
    assert text.count("messages per day") >= 2 and " per day" not in text.replace(
        "messages per day", "")
    table = plots.attribution.residual_table(named, data="x.csv").set_index("what")["value"]
    assert table.iloc[0] == f"{acc.residual['estimate']:.4g} messages per day"
    with pytest.raises(ParameterError, match="unit=''"):
        attribution.account_by_source(data, total="total", sources=["stopper", "rest"], target="stopper",
                            interruption="2011-03-16T14:45:00+00:00", unit="")


# --- 03: waterfall, collateral curve, the overlay of hypotheses -------------------------------

@pytest.fixture(scope="module")
def residual_accounting():
    return residual.account_from_figures(n_draws=2000, seed=0)


def test_every_bar_colour_of_the_waterfall_has_a_legend_entry(residual_accounting):
    fig = plots.plot_waterfall(residual_accounting)
    ax = fig.axes[0]
    bar_colours = {mcolors.to_hex(p.get_facecolor()) for p in ax.patches}
    legend = ax.get_legend()
    assert legend is not None
    legend_colours = {mcolors.to_hex(h.get_facecolor()) for h in legend.legend_handles
                      if isinstance(h, Rectangle)}
    assert bar_colours <= legend_colours, bar_colours - legend_colours


def test_the_waterfall_names_its_bars_in_words(residual_accounting):
    fig = plots.plot_waterfall(residual_accounting)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert len(ticks) == len(residual_accounting.table[residual_accounting.table["kind"]
                                                       == "adjustment"]) + 2
    assert not any("_" in t for t in ticks), ticks  # no code names (different_bases)
    readings = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert len(readings) == len(residual_accounting.by_reading)
    assert not any("_" in t for t in readings), readings  # no code names (stated_output)


def test_the_residual_figures_keep_every_label_inside(tmp_path, residual_accounting):
    for fig in (plots.plot_waterfall(residual_accounting),
                plots.plot_collateral(residual.collateral_curve(residual_accounting))):
        assert texts_outside_the_saved_png(fig, tmp_path) == []


def test_no_two_lines_of_the_hypothesis_overlay_look_alike():
    idx = pd.date_range("2011-02-20", "2011-04-10", freq="D")
    names = ["baseline", "different_bases", "partial_day", "weekday_window", "pre_trend",
             "other_botnets", "second_source", "combined"]
    calibrations = {name: type("Cal", (), {"series": pd.DataFrame(
        {"total_synthetic": np.linspace(50, 30, len(idx)) + i}, index=idx)})() for i, name
        in enumerate(names)}
    fig = plots.plot_hypotheses_side_by_side(calibrations, marks=TAKEDOWN)
    lines = [line for line in fig.axes[0].lines if not line.get_label().startswith("_")]
    assert len(lines) == len(names)
    looks = [(mcolors.to_hex(line.get_color()), line.get_linestyle()) for line in lines]
    for i in range(len(looks)):
        for j in range(i + 1, len(looks)):
            same_style = looks[i][1] == looks[j][1]
            distance = np.abs(np.array(mcolors.to_rgb(looks[i][0]))
                              - np.array(mcolors.to_rgb(looks[j][0]))).sum()
            assert not same_style or distance > 0.45, (lines[i].get_label(), lines[j].get_label())


# --- 01: the published figures ----------------------------------------------------------------

def test_the_id_labels_of_the_volume_chart_do_not_overprint(tmp_path):
    table = figures.load()
    fig = plots.plot_published_periods(table, "spam_volume_per_day", unit="billion_per_day",
                                  since="2010-01-01", marks=TAKEDOWN)
    labels = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "#4" in labels.split() and "#5" in labels.split()
    assert overlapping_labels(fig) == []
    assert texts_outside_the_saved_png(fig, tmp_path) == []


def test_the_id_labels_of_the_rustock_chart_do_not_overprint(tmp_path):
    fig = plots.plot_published_periods(figures.load(), "botnet_output_per_day", entity="Rustock",
                                  marks=TAKEDOWN)
    assert overlapping_labels(fig) == []
    assert texts_outside_the_saved_png(fig, tmp_path) == []


def test_the_volume_chart_legend_says_source_not_vendor():
    fig = plots.plot_published_periods(figures.load(), "spam_volume_per_day", since="2010-01-01")
    title = fig.axes[0].get_legend().get_title().get_text()
    assert title.startswith("source") and "vendor" not in title.split()[0]


# --- glossary links -------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["01-published-figures", "03-the-missing-5-billion",
                                  "06-what-vanished"])
def test_glossary_links_reach_an_anchor_from_the_html_report(name):
    source = (paths.project_root() / "notebooks" / f"{name}.py").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)]*glossary\.md)#([^)]+)\)", source)
    assert links, f"{name} links no term to the glossary"
    report_dir = paths.project_root() / "reports" / "NAME"  # where the HTML report is written
    glossary = paths.project_root() / "docs" / "glossary.md"
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', glossary.read_text(encoding="utf-8")))
    for target, anchor in links:
        assert (report_dir / target).resolve() == glossary.resolve(), target
        assert anchor in anchors, f"{name}: #{anchor} is not an anchor of docs/glossary.md"


# --- every figure a notebook saves is shown ---------------------------------------------------

@pytest.mark.slow
def test_every_saved_figure_is_displayed_in_the_executed_notebooks(tmp_path):
    command = [sys.executable, "-m", "spamlab.cli", "run", "--only", "01", "03", "06",
               "--name", "shown", "--reports-dir", str(tmp_path)]
    subprocess.run(command, check=True, capture_output=True, cwd=paths.project_root(), timeout=300)
    missing = []
    for notebook in sorted((tmp_path / "shown").glob("0[136]-*.ipynb")):
        for cell in json.loads(notebook.read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code" and "report.save_figure(" in source:
                images = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
                if not images:
                    missing.append(f"{notebook.name}: {source.splitlines()[0]}")
    assert missing == []
