"""``spamlab run``: execute the analysis notebooks into ``reports/<name>/``.

Without ``--data`` the Rustock story runs (notebooks 01-04, and 06 on a synthetic
spam trap) into ``reports/rustock/``. With ``--data FILE`` notebooks 02, 04 and 05
run on your daily series into ``reports/<name>/``, followed by 06 when ``--sources``
and ``--target`` name the file's source columns; ``--events DIR`` runs 06 alone on
the mail that ``spamlab ingest`` read into ``DIR``. This module turns the options into a
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
import contextlib
import json
import re
import unicodedata
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import Field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from spamlab import events, inputs, kernels, moments, notebooks, paths, series
from spamlab.errors import ParameterError, SpamlabError

__all__ = [
    "DEFAULT_NAME",
    "INTERACTIVE_NAME",
    "READING",
    "command_line_spelling",
    "configure_parser",
    "default_name",
    "events_parameters",
    "notebook_reading",
    "options_named_as_on_the_command_line",
    "parse_parameters",
    "parse_timestamp",
    "plan_run",
    "reading_note",
    "run_command",
    "select_notebooks",
    "sources_parameters",
    "story_parameters",
    "user_data_parameters",
    "warm_modules",
]

#: run name (folder under reports/) of the default run
DEFAULT_NAME = "rustock"
#: the run folder of notebooks run by hand (their parameters cells' ``run_name``), never a run's
INTERACTIVE_NAME = "lab"


#: observed days a run on --data needs before the first interruption and after the last one
MIN_DAYS_BEFORE, MIN_DAYS_AFTER = 14, 7
#: how --data is read: option name -> (notebook parameter, default): the fields of
#: spamlab.series.ReadOptions, and the exposure column of spamlab.inputs.read_daily
READING: dict[str, tuple[str, Any]] = {
    **{option.name: (option.name, option.default) for option in fields(series.ReadOptions)},
    "exposure_col": ("exposure_col", None),
    "min_coverage": ("min_coverage", inputs.MIN_COVERAGE),
}
#: notebook parameters that have their own option (a -p for them is refused)
_OWN_OPTIONS: dict[str, str] = {
    "data": "--data", "date_col": "--date-col", "value_col": "--value-col", "tz": "--tz",
    "interruption": "--interruption", "interruptions": "--interruption", "seed": "--seed",
    "run_name": "--name", "reports_dir": "--reports-dir",
    "sources": "--sources", "target": "--target", "events": "--events",
    **{name: "--" + name.replace("_", "-") for name in READING},
    "reading": "--sep, --decimal, --date-format, ... (the reading options)",
}


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the ``run`` options to ``parser``."""
    parser.add_argument("--data", type=Path, help="your daily series (CSV or Parquet); "
                        "omit to run the Rustock story on the published figures")
    parser.add_argument("--date-col", default="date", help="date column of --data (default: date)")
    parser.add_argument("--value-col", default="count",
                        help="count/volume column of --data (default: count)")
    parser.add_argument("--interruption", action="append", help="with --data (required): "
                        "timestamp of the intervention, e.g. '2024-03-01 09:30', read in --tz "
                        "unless it has an offset; repeat for several (the last one is the one "
                        "reported, earlier ones are modelled); without --data the Rustock "
                        "takedown (16 Mar 2011 14:45 UTC)")
    parser.add_argument("--tz", help="time zone of --data dates and --interruption when they "
                        "carry none, and of the days (default: UTC; date-only values need none)")
    reading = parser.add_argument_group("reading --data (see spamlab.series.read)")
    for option in fields(series.ReadOptions):
        _add_reading_option(reading, option)
    reading.add_argument("--exposure-col", help="column with the fraction of each day observed, "
                         "the exposure of count models (default: 'covered' when the file has it, "
                         "as spamlab ingest writes; days with 0 are gaps)")
    reading.add_argument("--min-coverage", type=float, default=inputs.MIN_COVERAGE,
                         metavar="SHARE", help="days observed less than this share (of their "
                         "hours in an hourly export, or by the covered column) are gaps "
                         f"(default: {inputs.MIN_COVERAGE:g}; 0 keeps every day with data)")
    sources = parser.add_argument_group("what vanished (notebook 06, spamlab.attribution)")
    sources.add_argument("--sources", type=_names, help="with --data: the columns of the "
                         "sources the total (--value-col) is made of, e.g. rustock,bagle,other; "
                         "adds notebook 06 to the run")
    sources.add_argument("--target", help="with --sources: the source whose disappearance "
                         "is accounted for, e.g. rustock")
    sources.add_argument("--events", type=Path, help="instead of --data: a `spamlab ingest` "
                         "output folder; notebook 06 finds the fingerprint groups that "
                         "stopped at --interruption (-p by=helo for another fingerprint)")
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


def _add_reading_option(group: Any, option: Field[Any]) -> None:
    """``--name`` for a field of :class:`spamlab.series.ReadOptions`, with its default,
    choices and help (the library's ``on_bad_rows='drop'`` spelt ``--on-bad-rows drop``)."""
    choices = option.metadata["choices"]
    group.add_argument("--" + option.name.replace("_", "-"), default=option.default,
                       choices=list(choices) if choices else None,
                       type=float if isinstance(option.default, float) else None,
                       help=command_line_spelling(option.metadata["help"]).replace("%", "%%"))


def run_command(args: argparse.Namespace) -> int:
    """Check the parameters, execute the notebooks, write results.json; return 0.

    The kernels start first, in the background (:class:`spamlab.kernels.KernelPool`),
    so they import spamlab on the other cores while this process reads the data and
    checks the options; a refused run shuts them down again.
    """
    notebooks.check_kernel()
    at_most = len(args.only) if args.only else len(notebooks.STORY)  # the plan is not made yet
    warm = kernels.warm_code(warm_modules(args))
    with kernels.KernelPool(notebooks.kernel_count(at_most), notebooks.KERNEL, warm) as pool:
        notebooks.execute_plan(plan_run(args), pool=pool)
    return 0


def warm_modules(args: argparse.Namespace) -> tuple[str, ...]:
    """The modules the kernels import before the run's first notebook: all of
    :data:`spamlab.kernels.WARM_MODULES`, except ``spamlab.attribution`` for a run on
    ``--data`` without ``--sources``/``--target`` (no notebook 06; 0.15 s per kernel).

    Examples
    --------
    >>> parser = argparse.ArgumentParser()
    >>> configure_parser(parser)
    >>> "spamlab.attribution" in warm_modules(parser.parse_args(["--data", "x.csv"]))
    False
    >>> "spamlab.attribution" in warm_modules(parser.parse_args([]))
    True
    """
    attribution = args.data is None or bool(args.sources or args.target)
    return tuple(module for module in kernels.WARM_MODULES
                 if attribution or module != "spamlab.attribution")


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
    if args.events is not None:
        name = args.name or default_name(Path(args.events))
        planned = notebooks.ATTRIBUTION
        data_parameters = events_parameters(args)
    elif args.data is None:
        _refuse_data_options(args)
        name = args.name or DEFAULT_NAME
        planned, data_parameters = notebooks.STORY, story_parameters()
    else:
        name = args.name or default_name(Path(args.data))
        planned = notebooks.YOUR_DATA
        reading = {key: getattr(args, key) for key in READING}
        with options_named_as_on_the_command_line():
            data_parameters = user_data_parameters(
                args.data, args.date_col, args.value_col, args.interruption, args.tz, **reading
            )
            if args.sources or args.target:
                planned = notebooks.YOUR_DATA + notebooks.ATTRIBUTION
                data_parameters.update(sources_parameters(args, reading))
    selected = select_notebooks(planned, args.only)
    if name == INTERACTIVE_NAME:
        raise ParameterError(f"--name {name}: that folder is where the notebooks write when run "
                             f"by hand in JupyterLab; choose another --name")
    # Imported here on purpose: spamlab.report loads matplotlib's pyplot, which would delay
    # the start of the kernels (run_command) if this module imported it.
    from spamlab import report

    root = (args.reports_dir or paths.reports()).expanduser().resolve()
    out_dir = root / report.check_run_name(name)
    parameters = {
        **data_parameters, "seed": args.seed, "run_name": name,
        "reports_dir": str(root), **extra_parameters,
    }
    notebooks_dir = paths.notebooks()
    _check_declared(notebooks_dir, selected, extra_parameters)
    read = [Path(p).resolve() for p in (args.data, args.events) if p is not None]
    return notebooks.RunPlan(name, out_dir, selected, parameters, notebooks_dir,
                             timeout=args.timeout, html=not args.no_html, planned=planned,
                             inputs=notebooks.fingerprint([paths.figures_csv(), *read]))


def _names(text: str) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]`` (the ``--sources`` list).

    Examples
    --------
    >>> _names("rustock, bagle,other")
    ['rustock', 'bagle', 'other']
    """
    return [name.strip() for name in text.split(",") if name.strip()]


def sources_parameters(args: argparse.Namespace, reading: dict[str, Any]) -> dict[str, Any]:
    """Check ``--sources``/``--target`` against the ``--data`` file before any notebook starts.

    Raises
    ------
    ParameterError
        ``--target`` without ``--sources`` or not among them, a source named twice or
        equal to the total.
    DataError
        A source column the file does not have (the available ones are listed).
    """
    if not args.sources:
        raise ParameterError("--target needs --sources (the columns the total is made of)")
    if not args.target:
        raise ParameterError(f"--sources {','.join(args.sources)} needs --target (the source "
                             f"whose disappearance is accounted for, e.g. {args.sources[0]})")
    if args.target not in args.sources:
        raise ParameterError(f"--target {args.target} is not among --sources "
                             f"{','.join(args.sources)}")
    with warnings.catch_warnings():  # as in user_data_parameters: 06's warnings end the run
        warnings.simplefilter("ignore")
        inputs.read_sources(args.data, date_col=args.date_col, value_col=args.value_col,
                            sources=args.sources, target=args.target, tz=args.tz, **reading)
    return {"sources": list(args.sources), "target": args.target, "events": None}


def events_parameters(args: argparse.Namespace) -> dict[str, Any]:
    """The parameters of notebook 06 on a ``spamlab ingest`` output folder (``--events``).

    Raises
    ------
    ParameterError
        ``--events`` with ``--data`` or ``--sources``, a folder without ``events/``,
        no ``--interruption``, or one outside the days of ``daily_counts.csv``.
    """
    if args.data is not None or args.sources or args.target:
        raise ParameterError("--events (ingested mail) and --data/--sources/--target (daily "
                             "counts by source) are two ways to feed notebook 06: give one")
    folder = Path(args.events).expanduser().resolve()
    if not (folder / "events").is_dir():
        raise ParameterError(f"--events {args.events}: no events/ folder in it (give the "
                             f"--out folder of `spamlab ingest`)")
    if not args.interruption:
        raise ParameterError("--interruption is required with --events (e.g. "
                             "'2011-03-16 14:45')")
    moment = max(parse_timestamp(text, args.tz) for text in args.interruption)
    counts = folder / "daily_counts.csv"
    if counts.is_file():
        days = pd.to_datetime(pd.read_csv(counts, usecols=["date"])["date"], utc=True)
        first, end = days.min(), days.max() + pd.Timedelta(days=1)
        if not first < moment < end:
            raise ParameterError(f"--interruption {moment.isoformat()} is outside the mail in "
                                 f"{args.events}, which covers {first.isoformat()} to "
                                 f"{end.isoformat()} (end excluded)")
    return {"data": None, "events": str(folder), "tz": args.tz, "sources": [], "target": None,
            "interruption": moment.isoformat(), "interruptions": [moment.isoformat()]}


def default_name(data: Path) -> str:
    """The run name of ``--data`` without ``--name``: the file's stem as a folder name.

    Examples
    --------
    >>> default_name(Path("/exports/Spam März 2011.csv"))
    'Spam-Marz-2011'
    """
    ascii_stem = unicodedata.normalize("NFKD", data.stem).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_stem).strip("-.") or "your-data"


def _refuse_data_options(args: argparse.Namespace) -> None:
    defaults = {"interruption": None, "date_col": "date", "value_col": "count", "tz": None,
                "sources": None, "target": None,
                **{key: default for key, (_, default) in READING.items()}}
    given = ["--" + key.replace("_", "-") for key, default in defaults.items()
             if getattr(args, key) != default]
    if given:
        listed = " and ".join([", ".join(given[:-1]), given[-1]] if len(given) > 1 else given)
        verb = "makes" if len(given) == 1 else "make"
        raise ParameterError(f"{listed} only {verb} sense with --data FILE")


def _check_declared(folder: Path, selected: Sequence[str], extra: dict[str, Any]) -> None:
    """Every selected notebook has a source, and every ``-p`` name is declared by one of them
    (and has no option of its own)."""
    own = sorted(f"{key} (use {_OWN_OPTIONS[key]})" for key in extra if key in _OWN_OPTIONS)
    if own:
        raise ParameterError(f"--parameter {', '.join(own)}: these have their own option, which "
                             f"also checks them and places every output in one run folder")
    missing = [nb for nb in selected if not (folder / f"{nb}.py").is_file()]
    if missing:
        raise ParameterError(f"notebook source(s) {missing} not found in {folder}")
    if not extra:  # nothing to check: reading the sources (jupytext) would only cost time
        return
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
            text.encode("utf-8")
        except UnicodeEncodeError:  # an undecodable byte of argv, carried as a lone surrogate
            raise ParameterError(f"--parameter {key}: the value is not valid UTF-8 text") from None
        try:
            parsed[key] = json.loads(text)
        except json.JSONDecodeError:
            parsed[key] = text
    return parsed


def story_parameters() -> dict[str, Any]:
    """Notebook parameters of the default Rustock run (the scenario stands in for data)."""
    pause = events.get("rustock_holiday_pause")
    takedown = events.get("rustock_takedown").start.isoformat()
    moments = [moment.isoformat() for moment in (pause.start, pause.end) if moment is not None]
    return {"data": None, "date_col": "date", "value_col": "count", "tz": None,
            "interruption": takedown, "interruptions": [*moments, takedown]}


def user_data_parameters(
    data: str | Path, date_col: str, value_col: str, interruption: str | list[str] | None,
    tz: str | None, **reading: Any,
) -> dict[str, Any]:
    """Check a user's series and interruptions before any notebook starts.

    Reads and bins the file exactly as the notebooks will
    (:func:`spamlab.inputs.read_daily`, which names unknown columns and bad
    rows, with the ``reading`` options of :data:`READING`), then checks that every
    interruption falls inside the data with at least :data:`MIN_DAYS_BEFORE` observed
    days before the first and :data:`MIN_DAYS_AFTER` after each.

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
    if not interruption:
        raise ParameterError("--interruption is required with --data (e.g. '2011-03-16 14:45')")
    given = interruption if isinstance(interruption, list) else [interruption]
    with warnings.catch_warnings():
        # the notebooks read the file again: their warnings end the run, listed once
        warnings.simplefilter("ignore")
        frame = inputs.read_daily(path, date_col=date_col, value_col=value_col, tz=tz,
                                  **reading).frame
    note = reading_note(path.name, frame.attrs)
    if note:
        print(f"spamlab run: {note}")
    moments = [parse_timestamp(text, tz) for text in given]
    first, end = frame.index[0], frame.index[-1] + pd.Timedelta(days=1)
    for text, moment in zip(given, moments, strict=True):
        if not first < moment < end:
            raise ParameterError(
                f"--interruption {text} ({moment.isoformat()}) is outside the data of "
                f"{path.name}, which covers {first.isoformat()} to {end.isoformat()} "
                f"(end excluded)")
    _check_segments(frame, sorted(moments), " ".join(given))
    ordered = [moment.isoformat() for moment in sorted(moments)]
    return {"data": str(path), "date_col": date_col, "value_col": value_col, "tz": tz,
            "interruption": ordered[-1], "interruptions": ordered,
            "takedown_window": [None, None], **notebook_reading(reading)}


def notebook_reading(reading: dict[str, Any]) -> dict[str, Any]:
    """The notebooks' parameters for the :data:`READING` options given: ``reading`` (the
    :class:`spamlab.series.ReadOptions` fields that differ from their defaults, checked),
    ``exposure_col`` and ``min_coverage`` (options of :func:`spamlab.inputs.read_daily`).

    Examples
    --------
    >>> notebook_reading({"sep": ";", "encoding": "utf-8", "exposure_col": None})
    {'reading': {'sep': ';'}, 'exposure_col': None, 'min_coverage': 0.25}
    """
    own = ("exposure_col", "min_coverage")
    options = {key: value for key, value in reading.items() if key not in own}
    chosen = series.read_options(**options).as_dict()
    defaults = series.ReadOptions().as_dict()
    return {"reading": {key: value for key, value in chosen.items() if value != defaults[key]},
            "exposure_col": reading.get("exposure_col"),
            "min_coverage": reading.get("min_coverage", inputs.MIN_COVERAGE)}


def reading_note(name: str, attrs: dict[str, Any]) -> str:
    """One line saying what reading the file rejected, merged or skipped ("" when nothing).

    Examples
    --------
    >>> reading_note("x.csv", {"n_rows": 62, "rejections": {"date could not be parsed": 1},
    ...                        "rejected_lines": {"date could not be parsed": [62]}})
    'read x.csv: 62 rows; 1 rejected (date could not be parsed: 1, line 62)'
    """
    rejected = attrs.get("rejections") or {}
    parts = []
    if rejected:
        lines = attrs.get("rejected_lines") or {}
        reasons = "; ".join(f"{reason}: {count}, line{'s' if count > 1 else ''} "
                            f"{', '.join(str(n) for n in lines.get(reason, [])[:5])}"
                            f"{' ...' if count > 5 else ''}" for reason, count in rejected.items())
        parts.append(f"{sum(rejected.values())} rejected ({reasons})")
    if attrs.get("n_aggregated"):
        parts.append(f"{attrs['n_aggregated']} merged into rows of the same timestamp "
                     f"(--aggregate {attrs.get('aggregate')})")
    if attrs.get("n_preamble_lines"):
        parts.append(f"{attrs['n_preamble_lines']} blank or comment lines above the header skipped")
    return f"read {name}: {attrs.get('n_rows')} rows; " + "; ".join(parts) if parts else ""


#: names of reading options in spamlab's messages, which the command line spells --name
_API_NAMES = sorted([*READING, "tz", "date_col", "value_col"], key=len, reverse=True)
_API_OPTION = re.compile(rf"\b({'|'.join(_API_NAMES)})=('[^']*')?")


def command_line_spelling(message: str) -> str:
    """``message`` with the library's ``on_bad_rows='drop'`` spelt ``--on-bad-rows drop``.

    Examples
    --------
    >>> command_line_spelling("pass on_bad_rows='drop' or date_format= (e.g. '%d/%m/%Y')")
    "pass --on-bad-rows drop or --date-format (e.g. '%d/%m/%Y')"
    """
    def spelt(match: re.Match[str]) -> str:
        value = match.group(2)
        if value is not None and re.fullmatch(r"'[\w./:+-]+'", value):
            value = value.strip("'")
        return f"--{match.group(1).replace('_', '-')}" + (f" {value}" if value else "")

    return _API_OPTION.sub(spelt, message)


@contextlib.contextmanager
def options_named_as_on_the_command_line() -> Iterator[None]:
    """Re-raise spamlab's errors with the options spelt as ``spamlab run`` takes them."""
    try:
        yield
    except SpamlabError as exc:
        raise type(exc)(command_line_spelling(str(exc))) from None


def _check_segments(frame: pd.DataFrame, moments: list[pd.Timestamp], given: str) -> None:
    """Enough observed days before the first moment and after each, by the ITS fit's own rule."""
    # Imported here on purpose: spamlab.its takes seconds to load (statsmodels), and only a
    # run on --data needs it in this process; the story's notebooks fit in their kernels.
    from spamlab.its import data as its_data

    try:
        its_data.prepare(frame, "volume", moments, min_pre=MIN_DAYS_BEFORE,
                         min_post=MIN_DAYS_AFTER)
    except ParameterError as exc:
        raise ParameterError(f"--interruption {given}: {exc} (a run needs "
                             f"{MIN_DAYS_BEFORE} observed days before and "
                             f"{MIN_DAYS_AFTER} after)") from None


def parse_timestamp(text: str, tz: str | None) -> pd.Timestamp:
    """``text`` as a UTC timestamp; a naive one is read in time zone ``tz`` (UTC if None).

    Examples
    --------
    >>> parse_timestamp("2011-03-16 10:45", "America/New_York").isoformat()
    '2011-03-16T14:45:00+00:00'
    """
    return moments.to_utc(text, "--interruption", tz, tz_parameter="--tz")
