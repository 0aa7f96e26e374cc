"""``spamlab run``: execute the analysis notebooks into ``reports/<name>/``.

Without ``--data`` the Rustock story runs (notebooks 01-04) into
``reports/rustock/``. With ``--data FILE`` notebooks 02, 04 and 05 run on your
daily series into ``reports/<name>/``. Parameters are checked before any
notebook starts; each notebook is converted from its jupytext source, executed
with papermill on this environment's ``python3`` kernel, saved as ``.ipynb`` and
HTML, and the notebooks' result fragments are merged into ``results.json``.

Examples
--------
>>> from spamlab.cli import main
>>> main(["run"])  # doctest: +SKIP
0
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from spamlab import paths, report, series
from spamlab.errors import ParameterError, SpamlabError

STORY_NOTEBOOKS: tuple[str, ...] = (
    "01-published-figures", "02-rustock-its", "03-the-missing-5-billion", "04-robustness",
)
YOUR_DATA_NOTEBOOKS: tuple[str, ...] = ("02-rustock-its", "04-robustness", "05-your-data")
DEFAULT_NAME = "rustock"
KERNEL = "python3"


class NotebookFailed(SpamlabError):
    """A notebook raised an error; the message names the notebook, the cell and the error."""


@dataclass(frozen=True)
class RunPlan:
    """Everything a run needs, checked before any notebook starts.

    Attributes
    ----------
    name : run name, the folder under the reports root
    out_dir : ``<reports root>/<name>``
    notebooks : notebook names in execution order
    parameters : values injected into every notebook's ``parameters`` cell
    notebooks_dir : folder of the jupytext ``.py`` sources
    timeout : seconds allowed per cell (None: no limit)
    html : also export each executed notebook as HTML
    planned : every notebook of this kind of run; results.json merges the fragments of
        all of them present on disk, so a rerun with ``--only`` updates it without loss
    """

    name: str
    out_dir: Path
    notebooks: tuple[str, ...]
    parameters: Mapping[str, Any]
    notebooks_dir: Path
    timeout: int | None = 600
    html: bool = True
    planned: tuple[str, ...] = ()


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the ``run`` options to ``parser``."""
    parser.add_argument("--data", type=Path, help="your daily series (CSV or Parquet); "
                        "omit to run the Rustock story on the published figures")
    parser.add_argument("--date-col", default="date", help="date column of --data (default: date)")
    parser.add_argument("--value-col", default="count",
                        help="count/volume column of --data (default: count)")
    parser.add_argument("--interruption", help="with --data (required): timestamp of the "
                        "intervention, e.g. '2024-03-01 09:30', read in --tz unless it has an "
                        "offset; without --data the Rustock takedown (16 Mar 2011 14:45 UTC)")
    parser.add_argument("--tz", default="UTC", help="time zone of --data dates and "
                        "--interruption when they carry none (default: UTC)")
    parser.add_argument("--name", help="run name, the folder under reports/ "
                        "(default: rustock, or the data file's stem)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--reports-dir", type=Path, help="where runs go (default: reports/)")
    parser.add_argument("-p", "--parameter", action="append", default=[], metavar="KEY=VALUE",
                        help="extra notebook parameter (VALUE read as JSON, else as text); "
                        "repeatable, e.g. -p n_draws=2000")
    parser.add_argument("--only", nargs="+", metavar="NOTEBOOK",
                        help="run only these of the planned notebooks (name or number, e.g. 03)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    parser.add_argument("--no-html", action="store_true", help="skip the HTML export")


def run_command(args: argparse.Namespace) -> int:
    """Check the parameters, execute the notebooks, write results.json; return 0."""
    plan = plan_run(args)
    execute_plan(plan)
    return 0


def plan_run(args: argparse.Namespace) -> RunPlan:
    """Turn parsed arguments into a checked :class:`RunPlan` (raises ``ParameterError``).

    Examples
    --------
    >>> parser = argparse.ArgumentParser()
    >>> configure_parser(parser)
    >>> plan_run(parser.parse_args([])).notebooks[0]
    '01-published-figures'
    """
    check_kernel()
    extra_parameters = parse_parameters(args.parameter)
    if args.data is None:
        _refuse_data_options(args)
        name = args.name or DEFAULT_NAME
        notebooks, data_parameters = STORY_NOTEBOOKS, story_parameters()
    else:
        name = args.name or Path(args.data).stem
        notebooks = YOUR_DATA_NOTEBOOKS
        data_parameters = user_data_parameters(
            args.data, args.date_col, args.value_col, args.interruption, args.tz
        )
    planned, notebooks = notebooks, select_notebooks(notebooks, args.only)
    out_dir = report.run_dir(name, args.reports_dir)
    parameters = {
        **data_parameters, "seed": args.seed, "run_name": name,
        "reports_dir": str(out_dir.parent), **extra_parameters,
    }
    notebooks_dir = paths.notebooks()
    missing = [nb for nb in notebooks if not (notebooks_dir / f"{nb}.py").is_file()]
    if missing:
        raise ParameterError(f"notebook source(s) {missing} not found in {notebooks_dir}")
    declared = set().union(*(notebook_parameters(notebooks_dir / f"{nb}.py") for nb in notebooks))
    unknown = sorted(set(extra_parameters) - declared)
    if unknown:
        raise ParameterError(
            f"--parameter {unknown}: no notebook of this run has such a parameter; "
            f"known: {sorted(declared)}"
        )
    return RunPlan(name, out_dir, notebooks, parameters, notebooks_dir,
                   timeout=args.timeout, html=not args.no_html, planned=planned)


def _refuse_data_options(args: argparse.Namespace) -> None:
    given = [opt for opt, value, default in (
        ("--interruption", args.interruption, None), ("--date-col", args.date_col, "date"),
        ("--value-col", args.value_col, "count"), ("--tz", args.tz, "UTC"),
    ) if value != default]
    if given:
        raise ParameterError(f"{', '.join(given)} only make sense with --data FILE")


def select_notebooks(planned: Sequence[str], only: Sequence[str] | None) -> tuple[str, ...]:
    """The planned notebooks named in ``only`` (full name or leading number), in planned order.

    Examples
    --------
    >>> select_notebooks(STORY_NOTEBOOKS, ["03", "01-published-figures"])
    ('01-published-figures', '03-the-missing-5-billion')
    """
    if not only:
        return tuple(planned)
    unknown = [n for n in only if not any(nb == n or nb.split("-")[0] == n for nb in planned)]
    if unknown:
        raise ParameterError(f"--only {unknown}: not among this run's notebooks {list(planned)}")
    return tuple(nb for nb in planned if any(nb == n or nb.split("-")[0] == n for n in only))


def parse_parameters(items: Sequence[str]) -> dict[str, Any]:
    """``["k=v", ...]`` -> ``{k: v}``, each value parsed as JSON when it is JSON, else text.

    Examples
    --------
    >>> parse_parameters(["n_placebo=10", "label=my server"])
    {'n_placebo': 10, 'label': 'my server'}
    """
    parsed: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.isidentifier():
            raise ParameterError(f"--parameter {item!r}: expected KEY=VALUE with KEY a Python name")
        try:
            parsed[key] = json.loads(text)
        except json.JSONDecodeError:
            parsed[key] = text
    return parsed


def story_parameters() -> dict[str, Any]:
    """Notebook parameters of the default Rustock run (the scenario stands in for data)."""
    from spamlab import events

    pause = events.get("rustock_holiday_pause")
    return {"data": None, "date_col": "date", "value_col": "count", "tz": "UTC",
            "interruption": events.get("rustock_takedown").start.isoformat(),
            "pause_interruptions": [pause.start.isoformat(), pause.end.isoformat()]}


def user_data_parameters(
    data: str | Path, date_col: str, value_col: str, interruption: str | None, tz: str
) -> dict[str, Any]:
    """Check a user's series and intervention before any notebook starts.

    Reads and bins the file exactly as the notebooks will
    (:func:`spamlab.report.daily_input`, which names unknown columns and bad
    rows), then checks that the interruption falls inside the data with enough
    observed days on both sides for a fit.

    Raises
    ------
    ParameterError
        Missing file, no ``--interruption``, an unparseable timestamp or one
        outside the data (or too close to either end).
    DataError
        From :func:`spamlab.series.read`: unknown column, bad rows.
    """
    path = Path(data).expanduser().resolve()
    if not path.is_file():
        raise ParameterError(f"--data {data}: file not found")
    if interruption is None:
        raise ParameterError("--interruption is required with --data (e.g. '2011-03-16 14:45')")
    frame = report.daily_input(path, date_col, value_col, tz).frame
    moment = parse_timestamp(interruption, tz)
    first, end = frame.index[0], frame.index[-1] + pd.Timedelta(days=1)
    if not first < moment < end:
        raise ParameterError(
            f"--interruption {interruption} ({moment.isoformat()}) is outside the data of "
            f"{path.name}, which covers {first.isoformat()} to {end.isoformat()} (end excluded)"
        )
    _check_segments(frame, moment, interruption)
    return {"data": str(path), "date_col": date_col, "value_col": value_col, "tz": tz,
            "interruption": moment.isoformat(), "pause_interruptions": [],
            "takedown_window": [None, None]}


def _check_segments(frame: pd.DataFrame, moment: pd.Timestamp, given: str) -> None:
    """Enough observed days before and after ``moment``, by the ITS fit's own rule."""
    from spamlab.its import data as its_data

    try:
        its_data.prepare(frame, "volume", [moment])
    except ParameterError as exc:
        raise ParameterError(f"--interruption {given}: {exc}") from None


def parse_timestamp(text: str, tz: str) -> pd.Timestamp:
    """``text`` as a UTC timestamp; a naive one is read in time zone ``tz``.

    Examples
    --------
    >>> parse_timestamp("2011-03-16 10:45", "America/New_York").isoformat()
    '2011-03-16T14:45:00+00:00'
    """
    zone = series.check_timezone(tz, "--tz")
    return series.as_timestamp(text, "--interruption", zone).tz_convert("UTC")


def notebook_parameters(source: Path) -> set[str]:
    """Names assigned in the cell tagged ``parameters`` of a jupytext notebook source.

    Examples
    --------
    >>> sorted(notebook_parameters(paths.notebooks() / "01-published-figures.py"))[:3]
    ['data', 'date_col', 'interruption']
    """
    import ast

    import jupytext

    for cell in jupytext.read(source).cells:
        if "parameters" in cell.metadata.get("tags", []):
            tree = ast.parse(cell.source)
            return {
                target.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
                for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
                if isinstance(target, ast.Name)
            }
    raise ParameterError(f"{source}: no cell tagged 'parameters'")


def check_kernel(name: str = KERNEL) -> None:
    """Fail unless Jupyter kernel ``name`` starts this environment's Python.

    jupyter_client starts kernels whose command is a bare ``python``/``python3``
    with the current interpreter, so the venv's own kernel spec qualifies; a
    user-level spec pointing at another interpreter would silently run the
    notebooks without spamlab's pinned dependencies.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise ParameterError(
            f"no Jupyter kernel {name!r}: run `{sys.executable} -m ipykernel install --sys-prefix`"
        ) from None
    command = spec.argv[0] if spec.argv else ""
    bare = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}
    if command in bare or Path(command).absolute() == Path(sys.executable).absolute():
        return
    raise ParameterError(
        f"Jupyter kernel {name!r} ({spec.resource_dir}) starts {command}, not this environment's "
        f"{sys.executable}; remove that kernel spec or run "
        f"`{sys.executable} -m ipykernel install --sys-prefix`"
    )


def execute_plan(plan: RunPlan, stream: Any = None) -> dict[str, Any]:
    """Execute the plan's notebooks in order, then write ``results.json``; return it."""
    stream = stream if stream is not None else sys.stderr
    seconds: dict[str, float] = {}
    total = len(plan.notebooks)
    for notebook in plan.notebooks:  # a failed notebook must not leave an old result behind
        (plan.out_dir / "fragments" / f"{notebook}.json").unlink(missing_ok=True)
    for number, notebook in enumerate(plan.notebooks, start=1):
        print(f"spamlab run: [{number}/{total}] {notebook} ...", file=stream, flush=True)
        started = time.perf_counter()
        executed = execute_notebook(plan.notebooks_dir / f"{notebook}.py", plan.out_dir,
                                    plan.parameters, plan.timeout)
        if plan.html:
            report.export_html(executed)
        seconds[notebook] = round(time.perf_counter() - started, 1)
        print(f"spamlab run: [{number}/{total}] {notebook} done in {seconds[notebook]:.1f} s",
              file=stream, flush=True)
    run_info = {"run": plan.name, "parameters": dict(plan.parameters),
                "notebooks_run": list(plan.notebooks),
                "figures": sorted(p.name for p in (plan.out_dir / "figures").glob("*.png"))}
    results = report.write_results(plan.out_dir, plan.planned or plan.notebooks, extra=run_info)
    log = {"seconds": seconds, "total_seconds": round(sum(seconds.values()), 1)}
    (plan.out_dir / "run_log.json").write_text(json.dumps(log, indent=2) + "\n", encoding="utf-8")
    print(f"spamlab run: {total} notebook(s) in {log['total_seconds']:.1f} s -> "
          f"{plan.out_dir / 'results.json'}", file=stream, flush=True)
    return results


def execute_notebook(
    source: Path, out_dir: Path, parameters: Mapping[str, Any], timeout: int | None = 600
) -> Path:
    """Convert a jupytext ``.py`` source and execute it with papermill into ``out_dir``.

    Returns the executed ``.ipynb``. A failing cell raises :class:`NotebookFailed`
    naming the notebook, the cell (index and first line) and the error; the
    partially executed notebook is kept for inspection.
    """
    import jupytext
    import papermill
    from papermill.exceptions import PapermillExecutionError

    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {
        "name": KERNEL, "display_name": "Python 3 (ipykernel)", "language": "python"
    }
    target = out_dir / f"{source.stem}.ipynb"
    with tempfile.TemporaryDirectory(prefix="spamlab-run-") as tmp:
        converted = Path(tmp) / target.name
        jupytext.write(notebook, converted)
        declared = notebook_parameters(source)
        try:
            papermill.execute_notebook(
                str(converted), str(target), kernel_name=KERNEL, config=_kernel_config(),
                parameters={k: v for k, v in parameters.items() if k in declared},
                progress_bar=False, cwd=str(out_dir), execution_timeout=timeout,
            )
        except PapermillExecutionError as exc:
            raise NotebookFailed(describe_failure(source.stem, exc, target)) from None
    return target


def _kernel_config() -> Any:
    """Kernel settings: local IPC sockets where the OS has them (no open TCP ports, no warning).

    The kernel's own log is limited to critical messages: jupyter_client interrupts
    every kernel before shutting it down, which an idle ipykernel may log as an
    alarming but harmless "KeyboardInterrupt caught in kernel". Errors in cells
    reach the user through :class:`NotebookFailed`, not through this log.
    """
    import os

    from traitlets.config import Config

    config = Config()
    config.NotebookClient.extra_arguments = ["--IPKernelApp.log_level=CRITICAL"]
    if os.name == "posix":
        config.KernelManager.transport = "ipc"
    return config


def describe_failure(notebook: str, exc: Any, saved: Path) -> str:
    """One readable paragraph about a papermill execution error.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> err = SimpleNamespace(cell_index=4, exec_count=3, source="x = 1/0",
    ...                       ename="ZeroDivisionError", evalue="division by zero")
    >>> print(describe_failure("05-your-data", err, Path("r/05-your-data.ipynb")))
    notebook 05-your-data failed in cell 4 (In [3]: x = 1/0): ZeroDivisionError: division by zero
      the partly executed notebook is r/05-your-data.ipynb
    """
    first_line = next((line for line in str(exc.source).splitlines() if line.strip()), "")
    return (
        f"notebook {notebook} failed in cell {exc.cell_index} (In [{exc.exec_count}]: "
        f"{first_line.strip()}): {exc.ename}: {exc.evalue}\n"
        f"  the partly executed notebook is {saved}"
    )
