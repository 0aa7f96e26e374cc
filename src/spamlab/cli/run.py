"""``spamlab run``: execute the analysis notebooks into ``reports/<name>/``.

Without ``--data`` the Rustock story runs (notebooks 01-04) into
``reports/rustock/``. With ``--data FILE`` notebooks 02, 04 and 05 run on your
daily series into ``reports/<name>/``. This module turns the options into a
checked :class:`spamlab.notebooks.RunPlan` before any notebook starts (a missing
file, an unknown column, an interruption outside the data stop the run with one
line); :func:`spamlab.notebooks.execute_plan` then executes it.

Examples
--------
>>> from spamlab.cli import main
>>> main(["run"])  # doctest: +SKIP
0
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from spamlab import events, inputs, notebooks, paths, report, series
from spamlab.errors import ParameterError

#: run name (folder under reports/) of the default run
DEFAULT_NAME = "rustock"


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
    notebooks.execute_plan(plan_run(args))
    return 0


def plan_run(args: argparse.Namespace) -> notebooks.RunPlan:
    """Turn parsed arguments into a checked :class:`~spamlab.notebooks.RunPlan`.

    Raises
    ------
    ParameterError
        For any option that cannot work (see :func:`user_data_parameters`), an
        unknown ``--only`` notebook or ``-p`` name, or a foreign Jupyter kernel.

    Examples
    --------
    >>> parser = argparse.ArgumentParser()
    >>> configure_parser(parser)
    >>> plan_run(parser.parse_args([])).notebooks[0]
    '01-published-figures'
    """
    notebooks.check_kernel()
    extra_parameters = parse_parameters(args.parameter)
    if args.data is None:
        _refuse_data_options(args)
        name = args.name or DEFAULT_NAME
        planned, data_parameters = notebooks.STORY, story_parameters()
    else:
        name = args.name or Path(args.data).stem
        planned = notebooks.YOUR_DATA
        data_parameters = user_data_parameters(
            args.data, args.date_col, args.value_col, args.interruption, args.tz
        )
    selected = select_notebooks(planned, args.only)
    out_dir = report.run_dir(name, args.reports_dir or paths.reports())
    parameters = {
        **data_parameters, "seed": args.seed, "run_name": name,
        "reports_dir": str(out_dir.parent), **extra_parameters,
    }
    notebooks_dir = paths.notebooks()
    _check_declared(notebooks_dir, selected, extra_parameters)
    return notebooks.RunPlan(name, out_dir, selected, parameters, notebooks_dir,
                             timeout=args.timeout, html=not args.no_html, planned=planned)


def _refuse_data_options(args: argparse.Namespace) -> None:
    given = [opt for opt, value, default in (
        ("--interruption", args.interruption, None), ("--date-col", args.date_col, "date"),
        ("--value-col", args.value_col, "count"), ("--tz", args.tz, "UTC"),
    ) if value != default]
    if given:
        raise ParameterError(f"{', '.join(given)} only make sense with --data FILE")


def _check_declared(folder: Path, selected: Sequence[str], extra: dict[str, Any]) -> None:
    """Every selected notebook has a source, and every ``-p`` name is declared by one of them."""
    missing = [nb for nb in selected if not (folder / f"{nb}.py").is_file()]
    if missing:
        raise ParameterError(f"notebook source(s) {missing} not found in {folder}")
    declared = set().union(*(notebooks.declared_parameters(folder / f"{nb}.py") for nb in selected))
    unknown = sorted(set(extra) - declared)
    if unknown:
        raise ParameterError(
            f"--parameter {unknown}: no notebook of this run has such a parameter; "
            f"known: {sorted(declared)}"
        )


def select_notebooks(planned: Sequence[str], only: Sequence[str] | None) -> tuple[str, ...]:
    """The planned notebooks named in ``only`` (full name or leading number), in planned order.

    Examples
    --------
    >>> select_notebooks(notebooks.STORY, ["03", "01-published-figures"])
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
    pause = events.get("rustock_holiday_pause")
    pause_moments = [moment for moment in (pause.start, pause.end) if moment is not None]
    return {"data": None, "date_col": "date", "value_col": "count", "tz": "UTC",
            "interruption": events.get("rustock_takedown").start.isoformat(),
            "pause_interruptions": [moment.isoformat() for moment in pause_moments]}


def user_data_parameters(
    data: str | Path, date_col: str, value_col: str, interruption: str | None, tz: str
) -> dict[str, Any]:
    """Check a user's series and intervention before any notebook starts.

    Reads and bins the file exactly as the notebooks will
    (:func:`spamlab.inputs.read_daily`, which names unknown columns and bad
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
    frame = inputs.read_daily(path, date_col=date_col, value_col=value_col, tz=tz).frame
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
    # Imported here on purpose: spamlab.its takes seconds to load (statsmodels), and only a
    # run on --data needs it in this process; the story's notebooks fit in their kernels.
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
