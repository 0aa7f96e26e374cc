"""The ingestion pipeline: plan the tasks, run them, merge, judge, account, write.

1. :func:`spamlab.mail.containers.discover` and ``plan_tasks`` cut the inputs
   into tasks (slices of message files, byte ranges of an mbox, whole archives).
2. :func:`spamlab.ingest.parse.parse_task` turns each task into one row per
   message; an engine (:mod:`spamlab.ingest.engines`) runs the tasks, and each
   finished task is saved as a checkpoint shard (:mod:`spamlab.ingest.checkpoints`).
3. The shards are merged in task order (:func:`combine`), judged by the date-range
   and duplicate rules (:mod:`spamlab.ingest.rules`), counted per day, accounted
   for in the report (:func:`build_report`: seen = counted + rejected +
   duplicates + out_of_range, always), and written (:mod:`spamlab.ingest.outputs`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa

from spamlab.errors import ParameterError
from spamlab.ingest.checkpoints import CHECKPOINT_DIR, run_with_checkpoints
from spamlab.ingest.engines import ENGINES
from spamlab.ingest.outputs import (
    OPEN_END,
    check_output,
    daily_counts,
    day_labels,
    output_lock,
    span_times,
    write_outputs,
)
from spamlab.ingest.parse import TEXT_COLUMNS, TaskResult, shard_schema
from spamlab.ingest.rules import (
    DISAGREEMENT,
    ISOLATION_COUNT,
    ISOLATION_DAYS,
    ISOLATION_SHARE,
    TIME_SOURCES,
    choose_arrival,
    classify,
    isolated_arrivals,
)
from spamlab.mail import containers as mc
from spamlab.mail.headers import HEADER_LIMIT

__all__ = [
    "ISOLATED_LISTED",
    "REJECT_REASONS",
    "IngestOptions",
    "IngestResult",
    "build_report",
    "combine",
    "concat_shards",
    "finish",
    "ingest",
    "isolated_summary",
    "with_chosen_times",
]

#: Every reason a message can be rejected for, in the order the report lists them.
REJECT_REASONS = ("empty", "unreadable", "member_too_large", "not_a_regular_file",
                  "symlink_inside_input", "symlink_outside_input", "unsafe_member_name",
                  "overlapping_member", "nested_archive", "header_too_large", "not_a_message", "no_timestamp",
                  "before_1990", "in_future")
#: Text columns that the date rules, duplicates, counts and report need.
_RULE_COLUMNS = ("reason", "message_id", "time_source", "tz_flag", "stamp_source")
#: Text columns with a few constant values, kept as (Arrow-backed) pandas strings.
_FLAG_COLUMNS = ("time_source", "tz_flag", "stamp_source")


@dataclass(frozen=True)
class IngestOptions:
    """Parameters of an ingestion run (all recorded in the report).

    Attributes
    ----------
    tz
        IANA zone for the day boundaries of the daily counts; ``None`` = UTC.
    duplicate_window
        Seconds: a message with the same Message-ID as an earlier counted one
        arriving within this window is a duplicate.
    header_limit, member_limit
        Largest header block and largest archive member, in bytes.
    not_after
        Epoch seconds; later arrivals are rejected as ``in_future``. ``None``
        means the time of the run (not written to any output).
    files_per_task, mbox_bytes_per_task
        Task sizes for parallel work.
    time_source
        ``"auto"`` (topmost Received date, else the delivery agent's stamp: the Unix
        time in the file name or the date on the mbox ``From_`` line, else Date),
        ``"received"`` (stamps ignored) or ``"filename"`` (the stamp, else Received,
        else Date); see :func:`spamlab.ingest.rules.choose_arrival`.
    first_day, last_day
        ``YYYY-MM-DD``, inclusive, in ``tz``: only these days are counted (either
        may be ``None``: open). Members whose name or ``YYYY/MM/`` folder places them
        outside are not parsed; all outside messages are counted as ``out_of_range``.
    isolation_days, isolation_share, isolation_count
        The rule for isolated arrivals (:func:`spamlab.ingest.rules.isolated_arrivals`):
        a group of a container's arrivals cut off from the others by more than
        ``isolation_days`` days without arrivals, holding at most ``isolation_share``
        of them or at most ``isolation_count``, is counted but does not extend the
        container's recorded span; it is listed in the report.
    """

    tz: str | None = None
    duplicate_window: int = 86400
    header_limit: int = HEADER_LIMIT
    member_limit: int = mc.MEMBER_LIMIT
    not_after: int | None = None
    files_per_task: int = 2000
    mbox_bytes_per_task: int = 8 * 1024 * 1024
    time_source: str = "auto"
    first_day: str | None = None
    last_day: str | None = None
    isolation_days: float = ISOLATION_DAYS
    isolation_share: float = ISOLATION_SHARE
    isolation_count: int = ISOLATION_COUNT

    @property
    def window(self) -> tuple[int, int] | None:
        """``[start, end)`` epoch seconds of the requested days, or ``None`` (all days).

        Examples
        --------
        >>> IngestOptions(first_day="2011-03-01", last_day="2011-03-31").window
        (1298937600, 1301616000)
        """
        if self.first_day is None and self.last_day is None:
            return None
        start = _day_start(self.first_day, self.tz, "first_day") if self.first_day else 0
        end = (_day_start(self.last_day, self.tz, "last_day", 1) if self.last_day
               else OPEN_END)
        return start, end

    @property
    def skip_window(self) -> tuple[int, int] | None:
        """:attr:`window` widened by a day on each side, except with ``time_source="filename"``.

        Members are skipped by their name time; unless that time is the one used,
        a message whose chosen time lies in the window may carry a name time up to
        a day outside it (more only when the two disagree by over a day).
        """
        window = self.window
        if window is None or self.time_source == "filename":
            return window
        return (max(window[0] - _SKIP_MARGIN, 0), min(window[1] + _SKIP_MARGIN, OPEN_END))


#: Seconds of slack around the requested days when skipping by name (see ``skip_window``).
_SKIP_MARGIN = 86400


def _day_start(day: str, tz: str | None, name: str, offset: int = 0) -> int:
    """Epoch seconds of the start of ``day`` (+ ``offset`` days) in ``tz``."""
    try:
        moment = pd.Timestamp(date.fromisoformat(day)) if len(str(day)) == 10 else None
    except (TypeError, ValueError):
        moment = None
    if moment is None:
        raise ParameterError(f"{name}: {day!r} is not a day (use YYYY-MM-DD)")
    local = (moment + pd.Timedelta(days=offset)).tz_localize(
        tz or "UTC", nonexistent="shift_forward", ambiguous=False)
    return int(local.timestamp())


@dataclass(frozen=True)
class IngestResult:
    """What :func:`ingest` wrote: the output folder, the report and the daily counts."""

    out: Path
    report: dict[str, Any]
    daily: pd.DataFrame = field(repr=False)


def ingest(paths: Sequence[str | Path], out: str | Path, *, engine: str = "local",
           workers: int | None = None, scheduler: str | Any | None = None,
           options: IngestOptions | None = None, progress: bool = False) -> IngestResult:
    """Ingest raw mail into events, daily counts and a report in ``out``.

    Parameters
    ----------
    paths
        Files and folders: mbox, maildir, folders of message files, archives.
    out
        Output folder (created). Checkpoint shards live in ``out/.spamlab-checkpoints``
        and let an interrupted run resume; shards of inputs no longer given are pruned.
    engine
        ``"local"`` (worker processes) or ``"dask"`` (a ``distributed`` cluster).
    workers
        Local worker processes; default all cores. ``1`` runs in-process.
    scheduler
        For ``engine="dask"``: a scheduler address (``tcp://host:8786``) or a
        ``distributed.Client``. Workers must see the input paths.
    options
        :class:`IngestOptions`.
    progress
        Show a tqdm bar with messages/s.

    Returns
    -------
    IngestResult

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from spamlab import testing
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> truth = testing.write_corpus(folder / "trap", n_messages=30, formats=("tree",), seed=1)
    >>> result = ingest([folder / "trap"], folder / "out", workers=1)
    >>> result.report["messages_seen"] == truth.n_messages
    True

    Raises
    ------
    ParameterError
        For an unknown engine, a missing scheduler or bad limits; for ``out``
        naming a file or lying inside an input folder.
    DataError
        For a missing input path; for ``out/events`` holding files spamlab did
        not write (nothing is deleted); for ``out`` being written by another
        ingestion (``out/.spamlab-lock``, naming its process).
    """
    options = options or IngestOptions()
    _check_arguments(engine, workers, scheduler, options)
    out = Path(out)
    check_output(out, paths)
    with output_lock(out):
        tasks = mc.plan_tasks(
            mc.discover(paths), files_per_task=options.files_per_task,
            mbox_bytes_per_task=options.mbox_bytes_per_task, header_limit=options.header_limit,
            member_limit=options.member_limit, window=options.skip_window,
            archive_parts=workers or os.cpu_count() or 1,
        )
        shards = run_with_checkpoints(tasks, out / CHECKPOINT_DIR, engine=engine,
                                      workers=workers, scheduler=scheduler, progress=progress)
        return finish(shards, out, options)


def _check_arguments(engine: str, workers: int | None, scheduler: object,
                     options: IngestOptions) -> None:
    if engine not in ENGINES:
        raise ParameterError(f"engine must be one of {ENGINES}, got {engine!r}")
    if engine == "dask" and scheduler is None:
        raise ParameterError("engine 'dask' needs scheduler (an address such as "
                             "tcp://127.0.0.1:8786, or a distributed.Client)")
    if workers is not None and workers < 1:
        raise ParameterError(f"workers must be at least 1, got {workers}")
    if options.duplicate_window < 0:
        raise ParameterError(f"duplicate_window must be >= 0 seconds, got {options.duplicate_window}")
    if options.tz is not None:
        _check_timezone(options.tz)
    if options.time_source not in TIME_SOURCES:
        raise ParameterError(f"time_source must be one of {tuple(TIME_SOURCES)}, "
                             f"got {options.time_source!r}")
    if not options.isolation_days > 0:
        raise ParameterError(f"isolation_days must be > 0 days, got {options.isolation_days}")
    if not 0 <= options.isolation_share < 0.5:
        raise ParameterError(f"isolation_share must be in [0, 0.5), got {options.isolation_share}")
    if options.isolation_count < 0:
        raise ParameterError(f"isolation_count must be >= 0, got {options.isolation_count}")
    window = options.window
    if window is not None and window[0] >= window[1]:
        raise ParameterError(f"first_day {options.first_day} is after last_day "
                             f"{options.last_day}")


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParameterError(f"tz: unknown time zone {name!r} (use an IANA name such as "
                             "'Europe/London')") from None


def finish(shards: Sequence[TaskResult], out: Path, options: IngestOptions) -> IngestResult:
    """Merge task results, apply date rules and duplicates, and write all outputs.

    The report is written last, so its presence marks a complete run.
    """
    table = concat_shards(shards)
    not_after = options.not_after if options.not_after is not None else int(time.time())
    frame = choose_arrival(combine(shards, table, _RULE_COLUMNS), options.time_source,
                           not_after)
    frame = classify(frame, not_after=not_after, duplicate_window=options.duplicate_window,
                     window=options.window)
    frame["isolated"] = isolated_arrivals(
        span_times(frame), frame["container"].to_numpy(), days=options.isolation_days,
        share=options.isolation_share, count=options.isolation_count)
    daily = daily_counts(frame, options.tz, options.window)
    report = build_report(shards, frame, daily, options)
    report["isolated_arrivals"] = isolated_summary(frame, table, options)
    inside = (frame["status"] != "out_of_range").to_numpy()
    write_outputs(out, frame[inside].reset_index(drop=True), daily, report,
                  with_chosen_times(table, frame).filter(pa.array(inside)))
    return IngestResult(out, report, daily)


#: Isolated arrivals listed one by one in the report, at most (all are counted in ``messages``).
ISOLATED_LISTED = 1000


def isolated_summary(frame: pd.DataFrame, table: pa.Table,
                     options: IngestOptions) -> dict[str, Any]:
    """The report's ``isolated_arrivals``: the rule, how many, their days, and each one.

    Only counted and duplicate messages are listed (out-of-range ones are not in the
    daily counts). Each entry names the container, the member (file, or mbox
    ``@offset``), the UTC arrival time, the day (in ``tz``) and the time source.
    """
    rows = np.flatnonzero((frame["isolated"].to_numpy() >= 0)
                          & frame["status"].isin(["counted", "duplicate"]).to_numpy())
    arrival = frame["arrival"].to_numpy(dtype="float64", na_value=np.nan)[rows]
    days = day_labels(arrival, options.tz)
    members = table.column("member").take(pa.array(rows[:ISOLATED_LISTED])).to_pylist()
    listed = [{"container": frame["container"].iat[row], "member": member,
               "arrival": pd.Timestamp(int(arrival[i]), unit="s", tz="UTC").isoformat(),
               "day": days[i], "time_source": str(frame["time_source"].iat[row]),
               "status": frame["status"].iat[row]}
              for i, (row, member) in enumerate(zip(rows, members))]
    return {
        "rule": (f"a group of a container's arrivals cut off from the others by more than "
                 f"{options.isolation_days:g} days without arrivals, other than the largest "
                 f"group and holding at most max({options.isolation_count}, "
                 f"{options.isolation_share:g} x the container's arrivals): counted on its "
                 "day, but the container's recorded span does not reach it (the days between "
                 "are gaps)"),
        "messages": len(rows),
        "days": sorted(set(days)),
        "listed": listed,
    }


def with_chosen_times(table: pa.Table, frame: pd.DataFrame) -> pa.Table:
    """``table`` with ``arrival``, ``time_source`` and ``tz_flag`` as chosen in ``frame``.

    The shards hold the header times; :func:`~spamlab.ingest.rules.choose_arrival`
    may have taken the file-name time instead. Unchanged columns are kept as they are.
    """
    if not frame["time_source"].isin(["filename", "from_line"]).any():
        return table
    columns = {
        "arrival": pa.array(frame["arrival"].astype("float64").to_numpy(), from_pandas=True
                            ).cast(pa.int64()),
        "time_source": pa.array(frame["time_source"].to_numpy(dtype=object), pa.string()),
        "tz_flag": pa.array(frame["tz_flag"].to_numpy(dtype=object), pa.string()),
    }
    for name, values in columns.items():
        table = table.set_column(table.schema.get_field_index(name), name, values)
    return table


def concat_shards(shards: Sequence[TaskResult]) -> pa.Table:
    """All task results as one Arrow table (:func:`shard_schema`), in task order."""
    if not shards:
        return shard_schema().empty_table()
    return pa.concat_tables([shard.table for shard in shards])


def combine(shards: Sequence[TaskResult], table: pa.Table | None = None,
            text_columns: Sequence[str] = TEXT_COLUMNS) -> pd.DataFrame:
    """One DataFrame of all messages in task order, with ``container`` and ``kind`` columns.

    Text columns hold Python ``str``/``None`` (object dtype), ``arrival`` is
    ``Int64`` and ``truncated`` bool. ``table`` is :func:`concat_shards` of
    ``shards`` when the caller already has it; ``text_columns`` limits the text
    columns converted to Python objects.
    """
    if not shards:
        return _empty_frame()
    table = concat_shards(shards) if table is None else table
    sizes = [shard.n_messages for shard in shards]
    # Object Series on purpose: pandas 3 would otherwise re-encode every text column as
    # Arrow strings (a full copy), and the rules below work on Python objects.
    columns: dict[str, Any] = {
        "container": pd.Series(np.repeat(np.array([s.container for s in shards], dtype=object),
                                         sizes), dtype=object),
        "kind": pd.Series(np.repeat(np.array([s.kind for s in shards], dtype=object), sizes),
                          dtype=object),
    }
    for name in text_columns:
        if name in _FLAG_COLUMNS:  # only compared with constants: Arrow strings, no copy
            columns[name] = table.column(name).to_pandas()
        else:
            columns[name] = pd.Series(table.column(name).to_numpy(zero_copy_only=False),
                                      dtype=object)
    columns["truncated"] = table.column("truncated").to_numpy(zero_copy_only=False).astype(bool)
    for name in ("arrival", "name_time"):
        values = table.column(name)
        columns[name] = pd.arrays.IntegerArray(
            values.fill_null(0).to_numpy().astype("int64"), values.is_null().to_numpy())
    return pd.DataFrame(columns)


def _empty_frame() -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series([], dtype=object)
                          for name in ("container", "kind", *TEXT_COLUMNS)})
    frame["arrival"] = pd.array([], dtype="Int64")
    frame["name_time"] = pd.array([], dtype="Int64")
    frame["truncated"] = pd.Series([], dtype=bool)
    return frame


def build_report(shards: Sequence[TaskResult], frame: pd.DataFrame, daily: pd.DataFrame,
                 options: IngestOptions) -> dict[str, Any]:
    """The ``ingest_report.json`` content: every message accounted for.

    Raises
    ------
    AssertionError
        If seen != counted + rejected + duplicates + out_of_range (a bug, never bad input).
    """
    status = frame["status"]
    counted = status == "counted"
    rejected = frame.loc[status == "rejected", "reason"].value_counts()
    outside = status == "out_of_range"
    report: dict[str, Any] = {
        "format": "spamlab-ingest-report-1",
        "identity": "messages_seen = messages_counted + rejected_total + duplicates + out_of_range",
        "files_read": sum(shard.files_read for shard in shards),
        "messages_seen": len(frame),
        "messages_counted": int(counted.sum()),
        "duplicates": int((status == "duplicate").sum()),
        "rejected_total": int((status == "rejected").sum()),
        "rejected": {reason: int(rejected.get(reason, 0)) for reason in REJECT_REASONS},
        "out_of_range": int(outside.sum()),
        "out_of_range_unparsed": int((outside & frame["arrival"].isna()).sum()),
        **_time_summary(frame, counted),
        "timezone_assumed_utc": {
            flag: int((counted & (frame["tz_flag"] == flag)).sum()) for flag in ("missing", "absurd")
        },
        "truncated_counted": int((counted & frame["truncated"]).sum()),
        "days": _day_summary(daily, options.tz),
        "containers": _container_summary(shards, frame),
        "errors": sorted({shard.error for shard in shards if shard.error}),
        "parameters": _parameters(options),
    }
    parts = (report["messages_counted"] + report["rejected_total"] + report["duplicates"]
             + report["out_of_range"])
    assert report["messages_seen"] == parts, "ingest accounting identity violated"
    return report


def _time_summary(frame: pd.DataFrame, counted: pd.Series) -> dict[str, Any]:
    """Counted messages by time source, and how often file-name and Received times disagree."""
    source = frame["time_source"]
    both = counted.to_numpy() & ~np.isnan(frame["name_gap"].to_numpy(dtype="float64"))
    apart = int((np.abs(frame["name_gap"].to_numpy(dtype="float64")[both]) > DISAGREEMENT).sum())
    return {
        "timestamp_source": {
            "received": int((counted & (source == "received")).sum()),
            "filename": int((counted & (source == "filename")).sum()),
            "from_line": int((counted & (source == "from_line")).sum()),
            "date_header": int((counted & (source == "date")).sum()),
        },
        "filename_vs_received": {
            "among": ("counted messages with both a Received date and a delivery stamp "
                      "(file-name time or mbox From_ line)"),
            "messages_with_both": int(both.sum()),
            "apart_over_seconds": DISAGREEMENT,
            "apart": apart,
            "share_apart": round(apart / int(both.sum()), 6) if both.any() else None,
        },
    }


def _day_summary(daily: pd.DataFrame, tz: str | None) -> dict[str, Any]:
    covered = daily["covered"].to_numpy(dtype="float64") if len(daily) else np.zeros(0)
    return {
        "timezone": tz or "UTC",
        "first": daily["date"].iloc[0] if len(daily) else None,
        "last": daily["date"].iloc[-1] if len(daily) else None,
        "listed": len(daily),
        "covered": int((covered > 0).sum()),
        "partly_covered": int(((covered > 0) & (covered < 1)).sum()),
        "covered_days": round(float(covered.sum()), 6),
        "gaps": int((covered == 0).sum()),
    }


def _container_summary(shards: Sequence[TaskResult],
                       frame: pd.DataFrame) -> list[dict[str, Any]]:
    files: dict[tuple[str, str], int] = {}
    errors: dict[tuple[str, str], str] = {}
    for shard in shards:
        key = (shard.container, shard.kind)
        files[key] = files.get(key, 0) + shard.files_read
        if shard.error:
            errors[key] = shard.error
    tally = pd.crosstab([frame["container"], frame["kind"]], frame["status"])
    rows = []
    for (name, kind), n_files in sorted(files.items()):
        counts = tally.loc[(name, kind)] if (name, kind) in tally.index else {}
        rows.append({
            "name": name, "kind": kind, "files_read": n_files,
            "counted": int(counts.get("counted", 0)), "duplicates": int(counts.get("duplicate", 0)),
            "rejected": int(counts.get("rejected", 0)),
            "out_of_range": int(counts.get("out_of_range", 0)), "error": errors.get((name, kind), ""),
        })
    return rows


def _parameters(options: IngestOptions) -> dict[str, Any]:
    return {
        "timezone": options.tz or "UTC",
        "duplicate_window_seconds": options.duplicate_window,
        "header_limit_bytes": options.header_limit,
        "member_limit_bytes": options.member_limit,
        "earliest": "1990-01-01T00:00:00Z",
        "not_after": "time of the run" if options.not_after is None else options.not_after,
        "time_source": options.time_source,
        "first_day": options.first_day,
        "last_day": options.last_day,
        "isolation_days": options.isolation_days,
        "isolation_share": options.isolation_share,
        "isolation_count": options.isolation_count,
    }

