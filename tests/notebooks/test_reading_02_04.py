"""Issue 24, notebooks 02 and 04: every result is read by a sentence whose numbers are the
results', the counterfactual is drawn no further than the data defend it, the scenario no
further than its calibration, no raw dict is shown, and the glossary terms are linked."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import jupytext
import matplotlib
import matplotlib.dates
import matplotlib.figure
import matplotlib.lines
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection

from spamlab import figures, inputs, its, paths, scenario, tables
from spamlab.cli import main
from spamlab.plots.its import defended_horizon, plot_its

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("reading_02_04")]

TAKEDOWN = "2011-03-16T14:45:00+00:00"
MOMENTS = ["2010-12-25T00:00:00+00:00", "2011-01-10T00:00:00+00:00", TAKEDOWN]
GLOSSARY = paths.project_root() / "docs" / "glossary.md"


# ---------------------------------------------------------------- fixtures: the two notebooks run


@pytest.fixture(scope="session")  # once per worker, whatever the order of tests
def run(tmp_path_factory) -> Path:
    """02 and 04 executed by `spamlab run`, as the reports are made."""
    reports = tmp_path_factory.mktemp("reports")
    assert main(["run", "--only", "02", "04", "--name", "reading", "--reports-dir", str(reports)]) == 0
    return reports / "reading"


@pytest.fixture(scope="session")  # once per worker, whatever the order of tests
def sample_run(tmp_path_factory) -> Path:
    """05 executed on the shipped sample export, as `make analysis` renders it."""
    reports = tmp_path_factory.mktemp("reports")
    sample = paths.project_root() / "data" / "sample" / "mailserver_daily.csv"
    assert main(["run", "--data", str(sample), "--date-col", "Date", "--value-col", "Total",
                 "--interruption", "2011-03-16 14:45", "--only", "05", "--name", "sample",
                 "--reports-dir", str(reports)]) == 0
    return reports / "sample"


def _outputs(run: Path, notebook: str) -> list[str]:
    """Every output text of an executed notebook (streams and text/plain)."""
    cells = json.loads((run / f"{notebook}.ipynb").read_text(encoding="utf-8"))["cells"]
    texts = []
    for cell in cells:
        for out in cell.get("outputs", []):
            text = out.get("text") or out.get("data", {}).get("text/plain")
            if text:
                texts.append("".join(text))
    return texts


def _line(texts: list[str], start: str) -> str:
    found = [line for text in texts for line in text.splitlines() if line.startswith(start)]
    assert found, f"no output line starts with {start!r}"
    return found[0]


@pytest.fixture(scope="session")  # once per worker, whatever the order of tests
def window_fit() -> its.ITSResult:
    """The takedown-window fit, refitted here from the notebook's default parameters."""
    frame = inputs.synthetic_daily().frame.loc["2011-01-10":"2011-04-30"]
    return its.fit(frame, y="total_synthetic", interruptions=[TAKEDOWN], family="gaussian",
                   transform="log", seasonality="dow", errors="ar1", slope_change=True)


@pytest.fixture(scope="session")  # once per worker, whatever the order of tests
def figures_02(tmp_path_factory) -> dict[str, matplotlib.figure.Figure]:
    """Notebook 02's figures, by the name each is saved under, from its code run in-process."""
    namespace: dict = {}
    saved: dict = {}
    for cell in jupytext.read(paths.notebooks() / "02-rustock-its.py").cells:
        if cell.cell_type != "code":
            continue
        exec(cell.source, namespace)  # noqa: S102 - our own notebook
        if "parameters" in cell.metadata.get("tags", []):
            namespace["reports_dir"] = str(tmp_path_factory.mktemp("inprocess"))
        named = re.search(r'run\.save\(fig, "([a-z-]+)"\)', cell.source)
        if named:
            saved[named.group(1)] = namespace["fig"]
    return saved


# ---------------------------------------------------------------- 02: the counterfactual's horizon


def _last_x(line: matplotlib.lines.Line2D) -> pd.Timestamp:
    """The rightmost x of a line drawn on a date axis, as a UTC timestamp."""
    x = np.asarray(line.get_xdata())
    numbers = x if np.issubdtype(x.dtype, np.number) else matplotlib.dates.date2num(x)
    return pd.Timestamp(matplotlib.dates.num2date(float(np.max(numbers))))


def _first_day_inside_band(table: pd.DataFrame) -> pd.Timestamp:
    """Independently of spamlab.plots.its: the first day touching or after the takedown whose
    observation lies inside the counterfactual band."""
    takedown = pd.Timestamp(TAKEDOWN)
    for day, row in table.iterrows():
        if day + pd.Timedelta(days=1) <= takedown or np.isnan(row["observed"]):
            continue
        if row["counterfactual_low"] <= row["observed"] <= row["counterfactual_high"]:
            return day
    raise AssertionError("the observed never re-enters the band")


def test_02_counterfactual_is_drawn_no_further_than_the_data_defend(figures_02, window_fit):
    inside = _first_day_inside_band(window_fit.counterfactual)
    fig = figures_02["counterfactual"]
    top, bottom = fig.axes[0], fig.axes[1]
    drawn = [line for axis in fig.axes for line in axis.lines
             if line.get_label().startswith(("counterfactual (", "pointwise", "cumulative"))]
    assert len(drawn) == 3
    for line in drawn:
        assert _last_x(line) < inside, (line.get_label(), _last_x(line), inside)
    band = [c for c in top.collections if isinstance(c, PolyCollection)]
    xmax = max(path.vertices[:, 0].max() for c in band for path in c.get_paths())
    assert xmax < matplotlib.dates.date2num(inside)
    # the observed and the fit are still drawn to the end of the window
    observed = next(line for line in top.lines if line.get_label() == "observed")
    assert len(observed.get_xdata()) == len(window_fit.counterfactual)
    assert bottom.get_xlim() == top.get_xlim()


def test_02_sign_change_sentence_has_the_fits_numbers(run, window_fit):
    table = window_fit.counterfactual
    inside = _first_day_inside_band(table)
    post = table[table.index + pd.Timedelta(days=1) > pd.Timestamp(TAKEDOWN)]
    defended = post[post.index < inside]
    texts = _outputs(run, "02-rustock-its")
    shown = _line(texts, f"Shown up to {defended.index[-1]:%d %b %Y}: ")
    assert f": the {len(defended)} days from {post.index[0]:%d %b %Y} lie outside" in shown
    assert f"adds up to {defended['effect'].sum():.0f} billion messages" in shown
    hidden = _line(texts, "Not shown: ")
    positive = post[(post.index >= inside) & (post["effect"] > 0)].index[0]
    assert f"turns positive on {positive:%d %b %Y}" in hidden
    assert f"ends at {post['effect'].sum():+.0f} billion messages" in hidden
    assert f"to {post['counterfactual'].iloc[-1]:.1f}," in hidden
    assert f"rho = {window_fit.rho:.2f}" in hidden


def test_02_says_which_fit_is_the_headline_with_both_estimates(run):
    results = json.loads((run / "results.json").read_text())
    texts = _outputs(run, "02-rustock-its")
    line = _line(texts, "The headline is the takedown window's fit")
    head, whole = results["level_change"], results["whole_series"]["level_change"]
    assert f"a level change of {head['estimate']:.3f} (95% CI {head['ci_low']:.3f}" in line
    assert f"{round(100 * (1 - head['estimate']))}% below the counterfactual" in line
    assert f"whole-series fit's {whole['estimate']:.3f}" in line


def test_02_cumulative_effect_is_given_with_its_unit(run):
    summary = next(text for text in _outputs(run, "02-rustock-its")
                   if "Cumulative effect over the post period:" in text)
    bare = re.search(r"Cumulative effect over the post period: (\S+) ", summary).group(1)
    assert f"{bare} billion messages, the daily effects (billion messages per day) summed" in summary


# ---------------------------------------------------------------- 02: the scenario's display


def _calibration_end_from_the_csv(cal: scenario.Calibration) -> pd.Timestamp:
    fitted = set(cal.constraints.loc[cal.constraints["fitted"], "figure_id"].astype(int))
    with paths.figures_csv().open(encoding="utf-8") as handle:
        ends = [row["period_end"] for row in csv.DictReader(handle) if int(row["id"]) in fitted]
    return max(pd.Timestamp(end) for end in ends)


def test_02_scenario_is_shown_only_as_far_as_it_is_calibrated(figures_02, run):
    cal = scenario.calibrate("combined", seed=0)
    end = _calibration_end_from_the_csv(cal)
    line = figures_02["daily-volume"].axes[0].lines[0]
    assert _last_x(line).tz_localize(None).normalize() == end
    # the sentence compares the scenario's June with Symantec's June (#251)
    sentence = _line(_outputs(run, "02-rustock-its"), "Shown up to 30 Apr 2011")
    june = re.search(r"June 2011 is ([\d.]+) billion messages per day against ([\d.]+) published "
                     r"\(#251", sentence)
    assert june, sentence
    assert float(june.group(2)) == figures.value(figures.load(), 251)
    assert float(june.group(1)) == pytest.approx(cal.series.loc["2011-06", "total_synthetic"].mean(),
                                                 abs=0.15)


# ---------------------------------------------------------------- no raw dicts; tables with units


def test_no_raw_dict_is_shown_and_the_power_table_has_its_unit(run):
    for notebook in ("02-rustock-its", "04-robustness"):
        for text in _outputs(run, notebook):
            assert not text.lstrip().startswith("{"), f"{notebook} shows a raw dict: {text[:80]}"
    cells = json.loads((run / "04-robustness.ipynb").read_text(encoding="utf-8"))["cells"]
    html = ["".join(out["data"]["text/html"]) for cell in cells for out in cell.get("outputs", [])
            if "text/html" in out.get("data", {})]
    power = next(table for table in html
                 if "smallest fall found 80% of the time (billion messages per day)" in table)
    fragment = json.loads((run / "fragments" / "04-robustness.json").read_text())
    for days, fall in fragment["minimum_detectable_drop"]["by_post_days"].items():
        assert re.search(rf"<td>{days}</td>\s*<td>{fall:.1f}</td>", power), (days, fall, power)


def test_05_shows_no_raw_dict_and_says_how_far_its_counterfactual_is_drawn(sample_run):
    texts = _outputs(sample_run, "05-your-data")
    assert not [text for text in texts if text.lstrip().startswith("{")]
    assert any(line.startswith(("Counterfactual shown up to ", "The first day after the "))
               for text in texts for line in text.splitlines())


# ---------------------------------------------------------------- 04: a sentence under each result


def test_04_sentences_carry_the_results_numbers(run, window_fit):
    texts = _outputs(run, "04-robustness")
    fragment = json.loads((run / "fragments" / "04-robustness.json").read_text())
    placebo = fragment["placebo"]
    reading = _line(texts, "Reading: none of the") if placebo["real_rank"] == 1 else _line(
        texts, f"Reading: {placebo['real_rank'] - 1} of the")
    assert f"of the {placebo['n_placebo']} fake dates" in reading
    assert f"probability {placebo['real_rank'] / (placebo['n_placebo'] + 1):.3f}" in reading
    # the sensitivity grid: AR(1) against HAC/OLS, and the fit's rho
    rows = {row["setting"]: row["estimate"] for row in fragment["sensitivity"]["rows"]}
    errors = _line(texts, "Reading: the estimate depends on the error model")
    assert f"{100 * (rows['errors=ar1'] - 1):+.0f}% with AR(1) errors" in errors
    assert f"{100 * (rows['errors=hac'] - 1):+.0f}% with HAC errors" in errors
    assert f"rho = {window_fit.rho:.2f}" in errors
    # the break table: one sentence per search, with the nearest break and its confidence set
    day = pd.Timestamp(TAKEDOWN).normalize()
    breaks = pd.DataFrame(fragment["breakpoints"]["rows"])
    for search, part in breaks.groupby("search"):
        at = pd.to_datetime(part["break_at"], utc=True)
        nearest = part.loc[(at - day).abs().idxmin()]
        line = _line(texts, f"{search}: ")
        assert f"is on {pd.Timestamp(nearest['break_at']):%d %b}" in line
        assert f"confidence set of {nearest['set_size']} days" in line
    # the power results: the smallest fall and why a longer post-period does not help
    falls = {int(k): v for k, v in fragment["minimum_detectable_drop"]["by_post_days"].items()}
    best = min(falls, key=falls.__getitem__)
    power = _line(texts, "Reading: with ")
    assert power.startswith(f"Reading: with {best} days after the interruption a fall of "
                            f"{falls[best]:.1f} billion messages per day")
    if best != max(falls):
        assert "autocorrelated" in power and "grows with the distance" in power


# ---------------------------------------------------------------- glossary links


@pytest.mark.parametrize(("notebook", "anchors"), [
    ("02-rustock-its", {"its", "counterfactual", "ar1", "ljung-box", "placebo"}),
    ("04-robustness", {"placebo", "bai-perron", "hac", "ar1", "power", "reml", "satterthwaite"}),
])
def test_glossary_terms_link_to_anchors_that_exist_from_the_report_folder(notebook, anchors):
    markdown = "\n".join(cell.source for cell in jupytext.read(paths.notebooks() / f"{notebook}.py").cells
                         if cell.cell_type == "markdown")
    links = set(re.findall(r"\]\((\.\./\.\./docs/glossary\.md)#([a-z0-9-]+)\)", markdown))
    assert anchors <= {anchor for _, anchor in links}
    ids = set(re.findall(r'<a id="([a-z0-9-]+)"></a>', GLOSSARY.read_text(encoding="utf-8")))
    assert {anchor for _, anchor in links} <= ids
    report_folder = paths.project_root() / "reports" / "any-run"  # two levels below the root
    assert (report_folder / "../../docs/glossary.md").resolve() == GLOSSARY.resolve()


# ---------------------------------------------------------------- the helpers, on simulated truth


def test_defended_horizon_ends_where_a_simulated_temporary_fall_ends():
    """A fall of 40% lasting exactly 12 days on a flat, noisy series: the horizon is its last day."""
    rng = np.random.default_rng(7)
    days = pd.date_range("2024-01-01", periods=90, freq="D", tz="UTC")
    truth = np.where((np.arange(90) >= 60) & (np.arange(90) < 72), 0.6, 1.0)
    frame = pd.DataFrame({"v": 100 * truth * np.exp(rng.normal(0, 0.03, 90))}, index=days)
    res = its.fit(frame, y="v", interruptions=["2024-03-01"], slope_change=False, transform="log")
    assert defended_horizon(res) == days[71]
    fig = plot_its(res, until=defended_horizon(res))
    drawn = [line for axis in fig.axes for line in axis.lines
             if line.get_label().startswith(("counterfactual (", "pointwise", "cumulative"))]
    assert len(drawn) == 3 and all(_last_x(line) == days[71] for line in drawn)


def test_labelled_table_keeps_every_key_and_value_under_its_headers():
    mapping = {3: 16.94, 7: 16.04, 28: 20.09}
    table = tables.labelled(mapping, key="days", value="fall (bn/day)")
    assert list(table.columns) == ["days", "fall (bn/day)"]
    assert dict(zip(table["days"], table["fall (bn/day)"])) == mapping
    with pytest.raises(ValueError, match="value=''"):
        tables.labelled(mapping, key="days", value="")
