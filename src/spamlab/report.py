"""What the notebooks write: figures, result fragments, results.json, HTML, versions, tables.

A *run* is one folder, ``reports/<name>/``, holding the executed notebooks, their
HTML, ``figures/`` and ``results.json``. Each notebook writes its own result
*fragment* (``fragments/<notebook>.json``); :func:`write_results` merges the
fragments into ``results.json`` once every notebook has run. :func:`its_summary`,
:func:`effects_side_by_side` and :func:`stack` shape results into the tables and
dictionaries the notebooks show and record.

What the notebooks *read* is :mod:`spamlab.inputs`.

Examples
--------
>>> import tempfile, matplotlib.pyplot as plt
>>> from spamlab import report
>>> run = report.run_dir("demo", tempfile.mkdtemp())
>>> fig, ax = plt.subplots()
>>> _ = report.save_figure(fig, run, "empty-axes")
>>> sorted(p.name for p in (run / "figures").iterdir())
['empty-axes.png']
>>> _ = report.write_fragment(run, "02-rustock-its", {"model": "segmented", "synthetic": True})
>>> report.write_results(run)["model"]
'segmented'
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.layout_engine import ConstrainedLayoutEngine

from spamlab import claims, results_protocol, warnlog
from spamlab.errors import DataError, ParameterError

__all__ = [
    "PARAMETERS_APPENDIX",
    "VERSIONED_PACKAGES",
    "WIDGET_VIEW",
    "Run",
    "SavedFigure",
    "calibration_fit",
    "check_run_name",
    "effects_side_by_side",
    "export_html",
    "findings_cell_text",
    "headline",
    "its_summary",
    "jsonable",
    "label_blocks",
    "merge_fragments",
    "notebook_findings",
    "notebook_title",
    "notebook_warnings",
    "observations_around",
    "recovery_line",
    "run_dir",
    "save_figure",
    "stack",
    "versions",
    "warnings_cell_text",
    "warnings_lines",
    "write_fragment",
    "write_results",
]

#: packages whose versions every notebook records in its closing cell
VERSIONED_PACKAGES: tuple[str, ...] = (
    "spamlab", "numpy", "pandas", "scipy", "statsmodels", "matplotlib", "seaborn",
    "papermill", "jupytext", "nbconvert", "ipykernel",
)
_FIGURE_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
#: nbconvert's lab template without the scripts it would fetch from a CDN
_OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block extra_css -%}
<style>
details.spamlab-code > summary { cursor: pointer; color: #555; font-size: 0.85em;
  padding: 2px 0 2px 8px; }
.jp-RenderedHTMLCommon table { display: block; max-width: 100%; overflow-x: auto; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { white-space: normal;
  overflow-wrap: break-word; max-width: 40em; }
</style>
{%- endblock extra_css -%}
{%- block input_group -%}
<details class="spamlab-code"><summary>code</summary>
{{ super() }}
</details>
{%- endblock input_group -%}
"""
#: the heading of the appendix that holds a run's parameter values in its HTML
PARAMETERS_APPENDIX = "## Appendix: the parameters of this run"


def its_summary(res: Any, interruption: int | str = 0, **extra: Any) -> dict[str, Any]:
    """``res.to_dict(interruption)`` (its label, observation counts around it, ...) plus
    ``extra`` entries, converted by :func:`jsonable`.

    With a pause before the takedown the headline is a later interruption;
    ``interruption`` is a position or the label it was given to ``its.fit``.
    """
    return {**res.to_dict(interruption), **jsonable(extra)}


def observations_around(res: Any, label: str) -> tuple[int, int]:
    """Observed periods before interruption ``label`` of a fit, and at or after it
    (:meth:`spamlab.its.ITSResult.observations`).

    *Before* means the whole period ends by the moment; *at or after* runs from the
    period holding the moment (a partly exposed day) to the next interruption of the
    fit, or the end.

    Examples
    --------
    >>> import numpy as np
    >>> from spamlab import its
    >>> days = pd.date_range("2024-01-01", periods=40, freq="D", tz="UTC")
    >>> frame = pd.DataFrame({"v": np.arange(40.0) % 7}, index=days)
    >>> fit = its.fit(frame, y="v", interruptions=["2024-01-15 12:00", "2024-01-30"])
    >>> observations_around(fit, "2024-01-15 12:00")
    (14, 15)
    """
    return res.observations(label)


def effects_side_by_side(results: Mapping[str, Any], kind: str = "level_change") -> pd.DataFrame:
    """The ``kind`` effects of several fits, one block of rows per labelled fit.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> e = pd.DataFrame({"interruption": ["t"], "kind": ["level_change"], "estimate": [0.6],
    ...                   "ci_low": [0.5], "ci_high": [0.7], "p_value": [0.01], "scale": ["ratio"]})
    >>> effects_side_by_side({"ar1": SimpleNamespace(effects=e)})["fit"].tolist()
    ['ar1']
    """
    blocks = [
        res.effects.loc[res.effects["kind"] == kind].assign(fit=label, model=getattr(res, "model", ""))
        for label, res in results.items()
    ]
    table = pd.concat(blocks, ignore_index=True)
    table["ci_width"] = table["ci_high"] - table["ci_low"]
    front = ["fit", "interruption", "estimate", "ci_low", "ci_high", "ci_width", "p_value", "scale"]
    return table[front + [c for c in ("model",) if c in table.columns]]


def stack(tables: Mapping[str, pd.DataFrame], label: str = "case") -> pd.DataFrame:
    """Several tables one under the other, each row tagged with its table's name in ``label``.

    Examples
    --------
    >>> a, b = pd.DataFrame({"x": [1]}), pd.DataFrame({"x": [2, 3]})
    >>> stack({"first": a, "second": b})["case"].tolist()
    ['first', 'second', 'second']
    """
    parts = [table.assign(**{label: name}) for name, table in tables.items()]
    stacked = pd.concat(parts, ignore_index=True)
    return stacked[[label] + [c for c in stacked.columns if c != label]]


def calibration_fit(constraints: pd.DataFrame, tolerance: float) -> dict[str, Any]:
    """What a calibrated (synthetic) scenario matches of the published figures, and what it misses.

    Parameters
    ----------
    constraints
        A calibration's table (:attr:`spamlab.scenario.Calibration.constraints`):
        ``figure_id``, ``target``, ``achieved``, ``rel_error``, ``fitted``.
    tolerance
        Largest relative error that counts as a match.

    Returns
    -------
    ``matched`` and ``missed``: rows (``figure_id``, ``target``, ``achieved``,
    ``rel_error``, ``fitted``), the misses largest first; ``in_words``: a sentence
    built from them; ``tolerance``; ``synthetic``: True.

    Examples
    --------
    >>> table = pd.DataFrame({"figure_id": [5, 2], "target": [52.0, 28.5],
    ...                       "achieved": [52.5, 15.2], "rel_error": [0.0096, -0.4667],
    ...                       "fitted": [True, False]})
    >>> print(calibration_fit(table, 0.02)["in_words"])
    The SYNTHETIC scenario matches, within 2%, 1 of the 1 figures it was fitted to (row 5); it misses 1 by more: row 2 by 47% (28.5 published, 15.2 in the scenario).
    """
    columns = ["figure_id", "target", "achieved", "rel_error", "fitted"]
    table = constraints[columns].assign(size=constraints["rel_error"].abs())
    matched = table[table["size"] <= tolerance].sort_values("figure_id")
    missed = table[table["size"] > tolerance].sort_values("size", ascending=False)

    def rows(part: pd.DataFrame) -> str:
        return f"row{'s' * (len(part) != 1)} " + ", ".join(str(int(i)) for i in part["figure_id"])

    fitted, other = matched[matched["fitted"]], matched[~matched["fitted"]]
    words = (f"The SYNTHETIC scenario matches, within {tolerance:.0%}, {len(fitted)} of the "
             f"{int(table['fitted'].sum())} figures it was fitted to ({rows(fitted)})")
    if len(other):
        words += f" and {len(other)} it was not fitted to ({rows(other)})"
    if len(missed):
        misses = "; ".join(f"row {int(r.figure_id)} by {r.size:.0%} ({r.target:.3g} published, "
                           f"{r.achieved:.3g} in the scenario{', fitted' if r.fitted else ''})"
                           for r in missed.itertuples())
        words += f"; it misses {len(missed)} by more: {misses}"
    return {"tolerance": tolerance, "matched": matched[columns], "missed": missed[columns],
            "in_words": words + ".", "synthetic": True}


def run_dir(name: str, reports_root: str | Path) -> Path:
    """The folder of run ``name`` (``<reports_root>/<name>/``), created if missing.

    Parameters
    ----------
    name
        Run name: letters, digits, ``.``, ``_`` and ``-``; no path separators.
    reports_root
        Parent folder; the notebooks and ``spamlab run`` pass
        :func:`spamlab.paths.reports` unless told otherwise.

    Examples
    --------
    >>> import tempfile
    >>> run_dir("rustock", tempfile.mkdtemp()).name
    'rustock'
    """
    folder = Path(reports_root) / check_run_name(name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def check_run_name(name: str) -> str:
    """``name`` if it can be a run folder's name, else a ParameterError.

    Examples
    --------
    >>> check_run_name("rustock-2011")
    'rustock-2011'
    """
    if not isinstance(name, str) or not _RUN_NAME.fullmatch(name):
        raise ParameterError(
            f"run name {name!r} is not usable as a folder name: use letters, digits, '.', '_', '-'"
        )
    if re.search(r"\.failed(-\d+)?$", name):
        raise ParameterError(f"run name {name!r}: names ending in '.failed' are where a failed "
                             f"run keeps its partial notebooks; choose another name")
    return name


def headline(results: Mapping[str, Any], folder: str | Path) -> str:
    """The few lines ``spamlab run`` ends with: the level change, the residual, the reports.

    Examples
    --------
    >>> print(headline({"interruption": "2011-03-16T14:45:00+00:00", "level_change": {
    ...     "estimate": 0.68, "ci_low": 0.65, "ci_high": 0.71, "scale": "ratio"}}, "reports/x"))
    level change at 2011-03-16T14:45:00+00:00: 0.68 (95% interval 0.65 to 0.71), a ratio: observed / counterfactual
    reports: reports/x/*.html, results in reports/x/results.json
    warnings: none
    >>> print(headline({"residual_bn_per_day": {"median": 5.02, "low": -4.13, "high": 11.36,
    ...                                         "p_below_zero": 0.158}}, "reports/x").splitlines()[0])
    unexplained fall after the takedown: -4.1 to 11.4 bn/day (90% sensitivity range under stated priors, not a confidence interval; median 5.0; 16% below zero)
    >>> print(headline({"attribution": {"target": "rustock", "residual": {"estimate": 410.0,
    ...     "ci_low": 350.0, "ci_high": 470.0, "unit": "messages per day"}}}, "r").splitlines()[0])
    fall not explained by rustock: 410 messages per day (95% interval 350 to 470)
    """
    lines = []
    level = results.get("level_change")
    if level:
        scale = ("a ratio: observed / counterfactual" if level.get("scale") == "ratio"
                 else f"a difference, in {results.get('unit', 'the units of the data')}")
        made_up = "file" if "as its header says" in str(results.get("data", "")) else "scenario"
        synthetic = f" [synthetic {made_up}, not data]" if level.get("synthetic") else ""
        fit = f" [{results['fit']}]" if results.get("fit") else ""
        lines.append(f"level change at {results.get('interruption')}: {level['estimate']:.3g} "
                     f"(95% interval {level['ci_low']:.3g} to {level['ci_high']:.3g}), "
                     f"{scale}{synthetic}{fit}")
    residual = results.get("residual_bn_per_day")
    if residual:
        below = (f"; {residual['p_below_zero']:.0%} below zero"
                 if residual.get("p_below_zero") is not None else "")
        lines.append(f"unexplained fall after the takedown: {residual['low']:.1f} to "
                     f"{residual['high']:.1f} bn/day (90% sensitivity range under stated priors, "
                     f"not a confidence interval; median {residual['median']:.1f}{below})")
    accounting = (results.get("attribution") or {}).get("residual")
    if accounting:
        synthetic = " [synthetic trap, not data]" if results["attribution"].get("synthetic") else ""
        lines.append(f"fall not explained by {results['attribution'].get('target')}: "
                     f"{accounting['estimate']:.3g} {accounting.get('unit', '')} (95% interval "
                     f"{accounting['ci_low']:.3g} to {accounting['ci_high']:.3g}){synthetic}")
    recovery = (results.get("after_takedown") or {}).get("recovery")
    if recovery:
        lines.append(recovery_line(recovery))
    lines.append(f"reports: {Path(folder)}/*.html, results in {Path(folder) / 'results.json'}")
    return "\n".join(lines + warnings_lines(results.get("warnings") or []))


def recovery_line(recovery: Mapping[str, Any]) -> str:
    """The headline's line on how long the fall lasted (notebook 07's ``recovery`` block).

    Examples
    --------
    >>> recovery_line({"share": 0.5, "estimate": 64.1, "ci_low": 56.0, "ci_high": None,
    ...                "unit": "days", "bounded": False, "synthetic": True})
    'time until 50% of the fall had come back: 64.1 days (95% set 56 days to never: not recovering within the data) [synthetic trap, not data]'
    """
    high = recovery.get("ci_high")
    upper = f"{high:.3g} {recovery['unit']}" if high is not None else "never"
    note = "" if recovery.get("bounded") else ": not recovering within the data"
    synthetic = " [synthetic trap, not data]" if recovery.get("synthetic") else ""
    low = recovery.get("ci_low")
    lower = f"{low:.3g} {recovery['unit']}" if low is not None else "0"
    return (f"time until {recovery['share']:.0%} of the fall had come back: "
            f"{recovery['estimate']:.3g} {recovery['unit']} (95% set {lower} to {upper}{note})"
            f"{synthetic}")


def warnings_lines(entries: Iterable[Mapping[str, str]]) -> list[str]:
    """The end of ``spamlab run``'s output: the run's warnings, or that there were none.

    Examples
    --------
    >>> warnings_lines([{"notebook": "02", "category": "result", "message": "fragile fit"}])
    ['warnings (1); read them before quoting a number above:', '  [02] fragile fit']
    >>> warnings_lines([])
    ['warnings: none']
    """
    entries = list(entries)
    if not entries:
        return ["warnings: none"]
    return [f"warnings ({len(entries)}); read them before quoting a number above:",
            *warnlog.as_lines(entries)]


@dataclass(frozen=True)
class SavedFigure:
    """A figure saved as a PNG, shown as that PNG by Jupyter (and in the HTML reports).

    Attributes
    ----------
    figure : the :class:`matplotlib.figure.Figure` (closed: pyplot no longer shows it)
    path : the PNG file
    """

    figure: Any
    path: Path

    def _repr_png_(self) -> bytes:
        """The saved PNG: a notebook cell ending in ``report.save_figure(...)`` shows it once,
        whatever matplotlib backend the kernel has (or a figure made without pyplot)."""
        return self.path.read_bytes()

    def __repr__(self) -> str:
        return f"SavedFigure({str(self.path)!r})"


def save_figure(fig: Any, run: str | Path, name: str, dpi: int = 120) -> SavedFigure:
    """Save a matplotlib figure as ``<run>/figures/<name>.png``; the result displays as it.

    The figure is detached from pyplot, and what a notebook cell ending in
    ``report.save_figure(...)`` shows is the saved PNG itself: exactly once, in
    JupyterLab and in the HTML report, also for a figure built without pyplot.

    Parameters
    ----------
    fig
        A :class:`matplotlib.figure.Figure`.
    run
        The run folder (from :func:`run_dir`).
    name
        What the figure shows, lowercase words joined by hyphens, e.g.
        ``"rustock-counterfactual-synthetic"``; no extension.
    dpi
        Resolution of the PNG.

    Examples
    --------
    >>> import tempfile, matplotlib.pyplot as plt
    >>> folder = tempfile.mkdtemp()
    >>> saved = save_figure(plt.figure(), folder, "blank")
    >>> saved.path == Path(folder) / "figures" / "blank.png", saved.path.is_file()
    (True, True)
    """
    if not isinstance(name, str) or not _FIGURE_NAME.fullmatch(name):
        raise ParameterError(
            f"figure name {name!r}: use lowercase words joined by hyphens, without extension"
        )
    folder = Path(run) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    with matplotlib.rc_context({"savefig.bbox": _bbox(fig)}):
        fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return SavedFigure(fig, path)


@dataclass(frozen=True)
class Run:
    """A run folder and the data its figures show: saves figures under their names, tags titles.

    A notebook makes one (:meth:`start`) and saves each figure with :meth:`save` instead of
    ``save_figure(fig, run, inp.figure_name(what))``, and titles it with :meth:`title`
    instead of pasting ``inp.title_tag``. A ``Run`` is path-like: the other functions of
    this module take it where they take the run folder, and ``run / "file.csv"`` is a path
    inside it.

    Attributes
    ----------
    folder
        The run folder (:func:`run_dir`).
    data
        What the figures show: a :class:`spamlab.inputs.DailyInput` (its figure names
        ``<slug>-<what>[-synthetic]``, its title tag), or None for figures of the published
        figures (names as given, no tag).

    Examples
    --------
    >>> import tempfile, matplotlib.pyplot as plt
    >>> from spamlab.inputs import DailyInput
    >>> scenario = DailyInput(pd.DataFrame(), "scenario", True, "bn/day", "rustock")
    >>> run = Run.start("demo", tempfile.mkdtemp(), data=scenario)
    >>> run.save(plt.figure(), "counterfactual").path.name
    'rustock-counterfactual-synthetic.png'
    >>> run.title("Daily volume")
    'Daily volume (SYNTHETIC scenario, not data)'
    >>> Run(run.folder).save(plt.figure(), "published-shares").path.name
    'published-shares.png'
    """

    folder: Path
    data: Any = None

    @classmethod
    def start(cls, name: str, reports_root: str | Path, data: Any = None) -> Run:
        """The run ``name`` under ``reports_root`` (created, as :func:`run_dir` does)."""
        return cls(run_dir(name, reports_root), data)

    def with_data(self, data: Any) -> Run:
        """The same folder, for figures of ``data`` (a :class:`spamlab.inputs.DailyInput`)."""
        return Run(self.folder, data)

    @property
    def tag(self) -> str:
        """What titles and sentences about the data end with (``" (SYNTHETIC scenario,
        not data)"``, ``" (<file>)"``); ``""`` without data."""
        return "" if self.data is None else str(self.data.title_tag)

    def title(self, text: str) -> str:
        """``text`` followed by :attr:`tag`."""
        return f"{text}{self.tag}"

    def figure_name(self, what: str) -> str:
        """The file name (no extension) of a figure showing ``what``: the data's
        ``<slug>-<what>[-synthetic]``, or ``what`` itself without data."""
        return what if self.data is None else str(self.data.figure_name(what))

    def save(self, fig: Any, what: str, dpi: int = 120) -> SavedFigure:
        """Save ``fig`` as ``<folder>/figures/<figure_name(what)>.png`` (:func:`save_figure`)."""
        return save_figure(fig, self.folder, self.figure_name(what), dpi=dpi)

    def __fspath__(self) -> str:
        return str(self.folder)

    def __truediv__(self, other: str | Path) -> Path:
        return self.folder / other

    def __str__(self) -> str:
        return str(self.folder)


def _bbox(fig: Any) -> str:
    """How to crop a saved figure (``savefig.bbox``): ``"standard"`` (as laid out) when
    constrained layout placed everything inside it already, else ``"tight"`` (nothing
    clipped). Cropping "tight" draws the figure twice, which costs a quarter to a third
    of a second per figure.
    """
    return "standard" if isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine) else "tight"


def jsonable(obj: Any) -> Any:
    """``obj`` converted to plain JSON types (numpy scalars, timestamps, NaN -> None, frames):
    :func:`spamlab.results_protocol.jsonable`, the conversion every result uses.

    Examples
    --------
    >>> import numpy as np
    >>> jsonable({"x": np.float64(1.5), "y": float("nan"), "t": pd.Timestamp("2011-03-16")})
    {'x': 1.5, 'y': None, 't': '2011-03-16T00:00:00'}
    """
    return results_protocol.jsonable(obj)


def write_fragment(run: str | Path, notebook: str, results: Mapping[str, Any]) -> Path:
    """Write one notebook's results as ``<run>/fragments/<notebook>.json``.

    Every block says whether its numbers come from synthetic data
    (:func:`label_blocks`): the fragment states ``synthetic`` (True or False), each
    block (a mapping among its entries) inherits that flag unless it states its own,
    and a fragment without the flag is refused.

    Parameters
    ----------
    run
        The run folder.
    notebook
        The notebook's name, e.g. ``"02-rustock-its"``.
    results
        JSON-like mapping with ``synthetic`` (bool); numpy, pandas and NaN values are
        converted by :func:`jsonable`.

    Examples
    --------
    >>> import tempfile
    >>> write_fragment(tempfile.mkdtemp(), "03-x", {"synthetic": False, "a": 1}).name
    '03-x.json'
    """
    labelled = label_blocks(notebook, jsonable(dict(results)))
    folder = Path(run) / "fragments"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{notebook}.json"
    target.write_text(json.dumps(labelled, indent=2) + "\n", encoding="utf-8")
    return target


def label_blocks(notebook: str, results: Mapping[str, Any]) -> dict[str, Any]:
    """A notebook's results with ``synthetic`` (True or False) on the fragment and every block.

    A *block* is each mapping among the fragment's entries (``level_change``,
    ``placebo``, ``attribution``, ...): it keeps its own ``synthetic`` flag when it
    states one, else it takes the fragment's. Tables (lists of rows) and single values
    are covered by the fragment's flag (under ``notebooks`` in ``results.json``).

    Raises
    ------
    ParameterError
        When the fragment states no ``synthetic`` flag, or a flag is not True or False.

    Examples
    --------
    >>> label_blocks("04", {"synthetic": True, "placebo": {"real_rank": 1}})
    {'synthetic': True, 'placebo': {'real_rank': 1, 'synthetic': True}}
    >>> label_blocks("03", {"residual": {"median": 5.0}})
    Traceback (most recent call last):
    ...
    spamlab.errors.ParameterError: results of notebook '03': no 'synthetic' flag; state whether its numbers come from synthetic data ("synthetic": True or False; a block that differs states its own)
    """
    flag = results.get("synthetic")
    if not isinstance(flag, bool):
        what = "no 'synthetic' flag" if flag is None else f"'synthetic' is {flag!r}, not True or False"
        raise ParameterError(f"results of notebook {notebook!r}: {what}; state whether its numbers "
                             f"come from synthetic data (\"synthetic\": True or False; a block "
                             f"that differs states its own)")
    labelled: dict[str, Any] = {}
    for key, value in results.items():
        if isinstance(value, Mapping):
            own = value.get("synthetic", flag)
            if not isinstance(own, bool):
                raise ParameterError(f"results of notebook {notebook!r}, block {key!r}: "
                                     f"'synthetic' is {own!r}, not True or False")
            value = {**value, "synthetic": own}
        labelled[key] = value
    return labelled


def merge_fragments(fragments: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """Merge ``(notebook, results)`` pairs into one results dictionary.

    Top-level keys of later notebooks replace those of earlier ones (in a run on
    your data, 05-your-data has the last word); every fragment is also kept whole
    under ``"notebooks"``, so nothing is lost. Each fragment is labelled by
    :func:`label_blocks` (one without a ``synthetic`` flag is refused), so every
    block carries its own flag; the fragments' flags stay with them under
    ``"notebooks"``, and none is copied to the top level, where it would sit beside
    blocks of other notebooks.

    Examples
    --------
    >>> merge_fragments([("02", {"synthetic": True, "a": 1, "b": 1}),
    ...                  ("03", {"synthetic": False, "a": 2})])
    {'a': 2, 'b': 1, 'notebooks': {'02': {'synthetic': True, 'a': 1, 'b': 1}, '03': {'synthetic': False, 'a': 2}}}
    """
    merged: dict[str, Any] = {}
    per_notebook: dict[str, Any] = {}
    for notebook, results in fragments:
        labelled = label_blocks(notebook, results)
        merged.update({key: value for key, value in labelled.items() if key != "synthetic"})
        per_notebook[notebook] = labelled
    merged["notebooks"] = per_notebook
    return merged


def write_results(
    run: str | Path, notebooks: Iterable[str] | None = None, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Merge the run's fragments (in ``notebooks`` order) into ``<run>/results.json``.

    Parameters
    ----------
    run
        The run folder.
    notebooks
        Notebook names in execution order; default: every fragment, sorted by name.
    extra
        Run-level entries added at the top (name, data file, timings, versions).

    Returns
    -------
    The dictionary written. Its ``warnings`` lists every warning of the run
    (:func:`spamlab.warnlog.of_run`): those raised while the notebooks ran and those
    their results carry, each with its notebook.
    """
    folder = Path(run) / "fragments"
    names = list(notebooks) if notebooks is not None else sorted(
        p.stem for p in folder.glob("*.json")
    )
    pairs = [
        (name, json.loads((folder / f"{name}.json").read_text(encoding="utf-8")))
        for name in names
        if (folder / f"{name}.json").is_file()
    ]
    results = {**jsonable(dict(extra or {})), **merge_fragments(pairs)}
    # every warning of the run, by notebook (a fit's own list stays in its notebook's block)
    results["warnings"] = warnlog.of_run(run, pairs)
    results["claims"] = _claims_or_warning(results)
    (Path(run) / "results.json").write_text(
        json.dumps(results, indent=2) + "\n", encoding="utf-8"
    )
    return results


def _claims_or_warning(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's claims (:func:`spamlab.claims.claims`); a block they cannot be read from
    becomes a warning of the run, not the end of a run whose notebooks all succeeded."""
    try:
        return [dict(row) for row in claims.claims(results)]
    except DataError as exc:
        results["warnings"].append({"notebook": "claims", "category": "DataError",
                                    "message": f"no claims table: {exc}"})
        return []


def versions(packages: Iterable[str] = VERSIONED_PACKAGES) -> pd.DataFrame:
    """Python, platform and package versions of the running interpreter, one row each.

    Examples
    --------
    >>> "pandas" in set(versions()["package"])
    True
    """
    rows = [
        ("python", platform.python_version()),
        ("platform", platform.platform()),
        ("executable", sys.executable),
    ]
    for package in packages:
        try:
            rows.append((package, importlib.metadata.version(package)))
        except importlib.metadata.PackageNotFoundError:
            rows.append((package, "not installed"))
    return pd.DataFrame(rows, columns=["package", "version"])


def notebook_warnings(run: str | Path, notebook: str) -> list[dict[str, str]]:
    """The warnings of one notebook of a run: recorded while it ran, and in its fragment.

    Examples
    --------
    >>> import tempfile
    >>> run = Path(tempfile.mkdtemp())
    >>> _ = write_fragment(run, "05-your-data", {"synthetic": False, "warnings": ["only 9 days before"]})
    >>> [w["message"] for w in notebook_warnings(run, "05-your-data")]
    ['only 9 days before']
    """
    fragment = Path(run) / "fragments" / f"{notebook}.json"
    carried = (warnlog.in_fragment(notebook, json.loads(fragment.read_text(encoding="utf-8")))
               if fragment.is_file() else [])
    return warnlog.unique(warnlog.recorded(run, [notebook]) + carried)


def warnings_cell_text(entries: Iterable[Mapping[str, str]]) -> str:
    """The Markdown that heads an HTML report: the notebook's warnings, or that there were none.

    Examples
    --------
    >>> print(warnings_cell_text([{"notebook": "02", "category": "UserWarning",
    ...                            "message": "a *fragile* fit"}]))
    > **1 warning** was raised while this notebook ran. Read it before quoting a number from this report; it is also shown where it arose.
    >
    > - (UserWarning) a \\*fragile\\* fit
    >>> warnings_cell_text([])
    '> No warnings were raised while this notebook ran.'
    """
    entries = list(entries)
    if not entries:
        return "> No warnings were raised while this notebook ran."
    many = len(entries) != 1
    head = (f"> **{len(entries)} warning{'s' if many else ''}** {'were' if many else 'was'} raised "
            f"while this notebook ran. Read {'them' if many else 'it'} before quoting a number from "
            f"this report; {'each is' if many else 'it is'} also shown where it arose.")
    items = [f"> - ({_markdown_text(warnlog.origin(e, notebook=False))}) "
             f"{_markdown_text(e.get('message', ''))}" for e in entries]
    return "\n".join([head, ">"] + items)


def _markdown_text(text: str) -> str:
    """``text`` on one line with Markdown's and HTML's special characters escaped."""
    flat = " ".join(str(text).split())
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_{}\[\]#|~])", r"\\\1", flat)


def notebook_findings(run: str | Path, notebook: str) -> list[str]:
    """What one report shows, in sentences: the leading claim of each question its results
    answer (:func:`spamlab.claims.claims`, :func:`spamlab.index_page.lead_claims`), in
    Markdown, with its numbers, unit, interval and kind; empty without a readable fragment.

    Examples
    --------
    >>> import tempfile
    >>> run = Path(tempfile.mkdtemp())
    >>> _ = write_fragment(run, "01-published-figures", {"synthetic": False,
    ...     "headline_figures_bn_per_day": {"before_week_average": {"value": 52.0, "figure_id": 5},
    ...     "after_days": {"value": 33.0, "figure_id": 4},
    ...     "rustock_output": {"value": 13.82, "figure_id": 1}}})
    >>> print(notebook_findings(run, "01-published-figures")[0])
    **How much did spam fall?** Fall from the week before to the days after (before - after): 19 bn/day (derived from figures \\#5, \\#4).
    """
    from spamlab import index_page

    fragment = Path(run) / "fragments" / f"{notebook}.json"
    if not fragment.is_file():
        return []
    results = {"notebooks": {notebook: json.loads(fragment.read_text(encoding="utf-8"))}}
    try:
        rows = claims.claims(results)
    except DataError:  # the run's warnings say so (write_results); the report shows no finding
        return []
    return [f"**{_markdown_text(question)}** "
            f"{_markdown_text(index_page.claim_sentence(lead))}"
            + (" **SYNTHETIC**" if lead["kind"] == "synthetic" else "")
            for question, lead in index_page.lead_claims(rows)]


def findings_cell_text(findings: Sequence[str]) -> str:
    """The Markdown of a report's "What this shows" section, right under its title."""
    items = "\n".join(f"- {line}" for line in findings)
    return (f"## What this shows\n\n{items}\n\nAll the numbers of this run, each with its kind "
            "(published, derived, synthetic, your data), are in its [index](index.html).")


def export_html(notebook: str | Path, warnings: Iterable[Mapping[str, str]] | None = None,
                findings: Sequence[str] | None = None) -> Path:
    """Render an executed ``.ipynb`` as a standalone HTML file next to it.

    In a notebook run with injected parameters (papermill's ``injected-parameters``
    cell) the notebook's default ``parameters`` cell is left out of the HTML, so a
    reader sees the values the run used, not defaults such as ``data = None``. The
    page loads nothing from the network (no require.js, no MathJax: the notebooks
    write no formulas, and figures are embedded PNGs). With ``warnings`` (a run's
    :func:`notebook_warnings`) the page opens with them (:func:`warnings_cell_text`).

    Examples
    --------
    >>> export_html("reports/rustock/01-published-figures.ipynb")  # doctest: +SKIP
    PosixPath('reports/rustock/01-published-figures.html')
    """
    # Imported here on purpose: nbconvert takes seconds to load, and every notebook imports
    # this module in its own kernel, where nothing is exported.
    import nbformat
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    source = Path(notebook)
    node = nbformat.read(source, as_version=4)
    exporter = HTMLExporter(extra_loaders=[DictLoader({"spamlab.html.j2": _OFFLINE_TEMPLATE})],
                            template_file="spamlab.html.j2")
    _drop_widgets(node)
    after_title = _split_after_title(node)
    opening = []
    if findings:
        opening.append(nbformat.v4.new_markdown_cell(findings_cell_text(findings)))
    if warnings is not None:
        opening.append(nbformat.v4.new_markdown_cell(warnings_cell_text(warnings)))
    node.cells[after_title:after_title] = opening
    if any("injected-parameters" in cell.metadata.get("tags", []) for cell in node.cells):
        exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={"parameters"}),
                                       enabled=True)
    _parameters_to_appendix(node)
    node.metadata["title"] = notebook_title(node.cells) or source.stem
    body, _ = exporter.from_notebook_node(node)
    target = source.with_suffix(".html")
    target.write_text(body, encoding="utf-8")
    return target


def notebook_title(cells: Iterable[Any]) -> str | None:
    """The text of the first markdown H1 (``# Title``) among ``cells``, for the page title.

    Examples
    --------
    >>> from types import SimpleNamespace as C
    >>> notebook_title([C(cell_type="code", source="x = 1"),
    ...                 C(cell_type="markdown", source="# The missing 5 billion\\nText")])
    'The missing 5 billion'
    """
    for cell in cells:
        if cell.cell_type != "markdown":
            continue
        for line in str(cell.source).splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return None


def _split_after_title(node: Any) -> int:
    """Split the cell holding the notebook's H1 after that line; the index just after it
    (0 when there is no H1), where a report's opening sections go."""
    import nbformat

    for index, cell in enumerate(node.cells):
        if cell.cell_type != "markdown":
            continue
        lines = str(cell.source).splitlines()
        heading = next((i for i, line in enumerate(lines) if line.startswith("# ")), None)
        if heading is None:
            continue
        rest = "\n".join(lines[heading + 1:]).strip()
        cell.source = "\n".join(lines[:heading + 1])
        if rest:
            node.cells.insert(index + 1, nbformat.v4.new_markdown_cell(rest))
        return index + 1
    return 0


def _parameters_to_appendix(node: Any) -> None:
    """Move the run's parameter values (papermill's injected cell) to an appendix at the end,
    before the versions cell, so the page opens with what it shows."""
    import nbformat

    injected = [c for c in node.cells if "injected-parameters" in c.metadata.get("tags", [])]
    if not injected:
        return
    node.cells = [c for c in node.cells if c not in injected]
    node.cells.extend([nbformat.v4.new_markdown_cell(
        f"{PARAMETERS_APPENDIX}\n\nThe values `spamlab run` gave this notebook's parameters "
        "(the notebook's own defaults are not shown)."), *injected])


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _drop_widgets(node: Any) -> int:
    """Remove the widget views and the saved widget state of an executed notebook, so that
    its HTML shows each output's text or HTML form and loads no widget library from the
    network (a static report cannot run a widget); return how many views went.

    Examples
    --------
    >>> import nbformat
    >>> cell = nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
    ...     "display_data", {WIDGET_VIEW: {"model_id": "m1"}, "text/plain": "explorer"})])
    >>> node = nbformat.v4.new_notebook(cells=[cell], metadata={"widgets": {}})
    >>> _drop_widgets(node), sorted(cell.outputs[0]["data"]), "widgets" in node.metadata
    (1, ['text/plain'], False)
    """
    node.metadata.pop("widgets", None)
    dropped = 0
    for cell in node.cells:
        for output in cell.get("outputs", []):
            if output.get("data", {}).pop(WIDGET_VIEW, None) is not None:
                dropped += 1
    return dropped
