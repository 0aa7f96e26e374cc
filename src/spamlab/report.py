"""Reports: where a run's outputs go, figures, result fragments, results.json, HTML, versions.

A *run* is one folder, ``reports/<name>/``, holding the executed notebooks, their
HTML, ``figures/`` and ``results.json``. Each notebook writes its own result
*fragment* (``fragments/<notebook>.json``); :func:`write_results` merges the
fragments into ``results.json`` once every notebook has run.

Examples
--------
>>> import tempfile, matplotlib.pyplot as plt
>>> from spamlab import report
>>> run = report.run_dir("demo", reports_root=tempfile.mkdtemp())
>>> fig, ax = plt.subplots()
>>> _ = report.save_figure(fig, run, "empty-axes")
>>> sorted(p.name for p in (run / "figures").iterdir())
['empty-axes.png']
>>> _ = report.write_fragment(run, "02-rustock-its", {"model": "segmented"})
>>> report.write_results(run)["model"]
'segmented'
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import math
import platform
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spamlab import paths
from spamlab.errors import ParameterError

#: packages whose versions every notebook records in its closing cell
VERSIONED_PACKAGES: tuple[str, ...] = (
    "spamlab", "numpy", "pandas", "scipy", "statsmodels", "matplotlib", "seaborn",
    "papermill", "jupytext", "nbconvert", "ipykernel",
)
_FIGURE_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class DailyInput:
    """The daily series a notebook analyses, with what it is.

    Attributes
    ----------
    frame : regular daily frame: ``volume``, ``n_obs``, ``n_missing``, ``is_gap``,
        ``is_outlier`` (flagged, never removed)
    label : where the numbers come from, for titles and text
    synthetic : True for the calibrated scenario (a model, not data about 2011)
    unit : unit of ``volume`` in words
    slug : short name starting every figure file name (``rustock``, or the file's stem)
    y : the outcome column (``volume``; ``total_synthetic`` for the scenario)
    """

    frame: pd.DataFrame
    label: str
    synthetic: bool
    unit: str
    slug: str
    y: str = "volume"

    def figure_name(self, what: str) -> str:
        """File name of a figure showing ``what``: ``<slug>-<what>[-synthetic]``.

        Examples
        --------
        >>> DailyInput(pd.DataFrame(), "scenario", True, "bn", "rustock").figure_name("counterfactual")
        'rustock-counterfactual-synthetic'
        """
        return f"{self.slug}-{what}{self.suffix}"

    @property
    def suffix(self) -> str:
        """``"-synthetic"`` for the scenario, else ``""``: appended to figure names."""
        return "-synthetic" if self.synthetic else ""

    @property
    def title_tag(self) -> str:
        """``" (SYNTHETIC scenario)"`` for the scenario, else ``" (<label>)"``: appended to titles."""
        return " (SYNTHETIC scenario, not data)" if self.synthetic else f" ({self.label})"


def daily_input(
    data: str | Path | None = None, date_col: str = "date", value_col: str = "count",
    tz: str = "UTC", seed: int = 0, hypothesis: str = "baseline",
) -> DailyInput:
    """The notebooks' daily series: your file, or the synthetic scenario when ``data`` is None.

    A file is read with :func:`spamlab.series.read`, binned into days of time
    zone ``tz`` with :func:`spamlab.clean.regularize` (gaps stay NaN, flagged
    ``is_gap``) and checked with :func:`spamlab.clean.flag_outliers` (weekly
    phase; flagged, not removed). Without a file the total of
    :func:`spamlab.scenario.calibrate` is used and labelled synthetic.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "counts.csv"
    >>> days = pd.date_range("2024-01-01", periods=30, freq="D").strftime("%Y-%m-%d")
    >>> pd.DataFrame({"date": days, "count": range(30)}).to_csv(path, index=False)
    >>> inp = daily_input(path)
    >>> len(inp.frame), inp.synthetic, inp.suffix
    (30, False, '')
    """
    if data is None:
        return _scenario_input(seed, hypothesis)
    from spamlab import clean, series

    raw = series.read(data, date=date_col, value=value_col, tz=tz)
    daily = clean.flag_outliers(clean.regularize(raw, freq="D", tz=tz, how="sum"), "volume",
                                period=7, window=5)
    slug = re.sub(r"[^a-z0-9]+", "-", Path(data).stem.lower()).strip("-") or "your-data"
    return DailyInput(daily, Path(data).name, False, "messages per day", slug)


def _scenario_input(seed: int, hypothesis: str) -> DailyInput:
    """The calibrated scenario's daily series (UTC days), labelled synthetic."""
    from spamlab import clean, scenario

    cal = scenario.calibrate(hypothesis, seed=seed)
    frame = cal.series.tz_localize("UTC") if cal.series.index.tz is None else cal.series.copy()
    frame = clean.flag_outliers(frame, "total_synthetic", period=7, window=5)
    frame["is_gap"] = frame["total_synthetic"].isna()
    frame.attrs.update(cal.series.attrs)
    label = f"SYNTHETIC scenario '{hypothesis}', calibrated to published figures"
    return DailyInput(frame, label, True, str(frame.attrs.get("units", "billion messages per day")),
                      "rustock", "total_synthetic")


def its_summary(res: Any, interruption: int | str = 0, **extra: Any) -> dict[str, Any]:
    """``res.to_dict(interruption)`` plus the interruption's label and ``extra`` entries.

    With a pause before the takedown the headline is a later interruption;
    ``interruption`` is a position or the label it was given to ``its.fit``.
    """
    summary = res.to_dict(interruption)
    summary["interruption"] = str(res.level_change(interruption)["interruption"])
    return {**summary, **jsonable(extra)}


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


def cleaning_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """What reading and cleaning did to a :func:`daily_input` frame, one row per count.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC")
    >>> f = pd.DataFrame({"volume": [1.0, float("nan"), 3.0], "is_gap": [False, True, False],
    ...                   "is_outlier": [False, False, True]}, index=idx)
    >>> cleaning_summary(f).set_index("what")["count"].to_dict()["days without data (gaps, left empty)"]
    1
    """
    rejected = frame.attrs.get("rejections", {}) or {}
    rows = [
        ("rows read from the file", frame.attrs.get("n_rows", len(frame))),
        ("rows rejected (by reason: see attrs)", sum(rejected.values())),
        ("rows with an empty value", frame.attrs.get("n_missing", 0)),
        ("rows merged into one per timestamp", frame.attrs.get("n_aggregated", 0)),
        ("days in the series", len(frame)),
        ("days without data (gaps, left empty)", int(frame.get("is_gap", pd.Series(dtype=bool)).sum())),
        ("days flagged as outliers (kept)", int(frame.get("is_outlier", pd.Series(dtype=bool)).sum())),
    ]
    return pd.DataFrame(rows, columns=["what", "count"])


def run_dir(name: str, reports_root: str | Path | None = None) -> Path:
    """The folder of run ``name`` (``reports/<name>/``), created if missing.

    Parameters
    ----------
    name
        Run name: letters, digits, ``.``, ``_`` and ``-``; no path separators.
    reports_root
        Parent folder; defaults to :func:`spamlab.paths.reports`.

    Examples
    --------
    >>> import tempfile
    >>> run_dir("rustock", tempfile.mkdtemp()).name
    'rustock'
    """
    if not isinstance(name, str) or not _RUN_NAME.match(name):
        raise ParameterError(
            f"run name {name!r} is not usable as a folder name: use letters, digits, '.', '_', '-'"
        )
    root = Path(reports_root) if reports_root is not None else paths.reports()
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_figure(fig: Any, run: str | Path, name: str, dpi: int = 120) -> Any:
    """Save a matplotlib figure as ``<run>/figures/<name>.png`` and hand it back for display.

    The figure is detached from pyplot, so a notebook cell ending in
    ``report.save_figure(...)`` shows it exactly once.

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
    >>> _ = save_figure(plt.figure(), folder, "blank")
    >>> (Path(folder) / "figures" / "blank.png").is_file()
    True
    """
    import matplotlib.pyplot as plt

    if not _FIGURE_NAME.match(name):
        raise ParameterError(
            f"figure name {name!r}: use lowercase words joined by hyphens, without extension"
        )
    folder = Path(run) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    fig.savefig(folder / f"{name}.png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return fig


def jsonable(obj: Any) -> Any:
    """``obj`` converted to plain JSON types (numpy scalars, timestamps, NaN -> None, frames).

    Examples
    --------
    >>> jsonable({"x": np.float64(1.5), "y": float("nan"), "t": pd.Timestamp("2011-03-16")})
    {'x': 1.5, 'y': None, 't': '2011-03-16T00:00:00'}
    """
    if isinstance(obj, Mapping):
        return {str(key): jsonable(val) for key, val in obj.items()}
    if isinstance(obj, pd.DataFrame):
        return jsonable(obj.to_dict(orient="records"))
    if isinstance(obj, pd.Series):
        return jsonable(obj.to_dict())
    if isinstance(obj, (list, tuple, set, np.ndarray)):
        return [jsonable(item) for item in obj]
    if isinstance(obj, (pd.Timestamp, dt.datetime, dt.date)):
        return obj.isoformat()
    if isinstance(obj, (pd.Timedelta, dt.timedelta)):
        return str(obj)
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is pd.NaT or obj is pd.NA:
        return None
    return obj


def write_fragment(run: str | Path, notebook: str, results: Mapping[str, Any]) -> Path:
    """Write one notebook's results as ``<run>/fragments/<notebook>.json``.

    Parameters
    ----------
    run
        The run folder.
    notebook
        The notebook's name, e.g. ``"02-rustock-its"``.
    results
        JSON-like mapping; numpy, pandas and NaN values are converted by :func:`jsonable`.

    Examples
    --------
    >>> import tempfile
    >>> write_fragment(tempfile.mkdtemp(), "03-x", {"a": 1}).name
    '03-x.json'
    """
    folder = Path(run) / "fragments"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{notebook}.json"
    target.write_text(json.dumps(jsonable(dict(results)), indent=2) + "\n", encoding="utf-8")
    return target


def merge_fragments(fragments: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """Merge ``(notebook, results)`` pairs into one results dictionary.

    Top-level keys of later notebooks replace those of earlier ones (in a run on
    your data, 05-your-data has the last word); every fragment is also kept whole
    under ``"notebooks"``, so nothing is lost.

    Examples
    --------
    >>> merge_fragments([("02", {"a": 1, "b": 1}), ("05", {"a": 2})])
    {'a': 2, 'b': 1, 'notebooks': {'02': {'a': 1, 'b': 1}, '05': {'a': 2}}}
    """
    merged: dict[str, Any] = {}
    per_notebook: dict[str, Any] = {}
    for notebook, results in fragments:
        merged.update(results)
        per_notebook[notebook] = dict(results)
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
    The dictionary written.
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
    (Path(run) / "results.json").write_text(
        json.dumps(results, indent=2) + "\n", encoding="utf-8"
    )
    return results


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


def export_html(notebook: str | Path) -> Path:
    """Render an executed ``.ipynb`` as a standalone HTML file next to it.

    Examples
    --------
    >>> export_html("reports/rustock/01-published-figures.ipynb")  # doctest: +SKIP
    PosixPath('reports/rustock/01-published-figures.html')
    """
    import nbformat
    from nbconvert import HTMLExporter

    source = Path(notebook)
    body, _ = HTMLExporter().from_notebook_node(nbformat.read(source, as_version=4))
    target = source.with_suffix(".html")
    target.write_text(body, encoding="utf-8")
    return target
