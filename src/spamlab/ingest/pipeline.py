"""The ingestion pipeline: plan the tasks, run them, merge, judge, account, write.

1. :func:`spamlab.mail.containers.discover` and ``plan_tasks`` cut the inputs
   into tasks (slices of message files, byte ranges of an mbox, whole archives).
2. :func:`spamlab.ingest.parse.parse_task` turns each task into one row per
   message; an engine (:mod:`spamlab.ingest.engines`) runs the tasks, and each
   finished task is saved as a checkpoint shard (:mod:`spamlab.ingest.checkpoints`).
3. The shards are merged in task order (:func:`combine`), judged by the date-range
   and duplicate rules (:mod:`spamlab.ingest.rules`), counted per day, accounted
   for in the report (:func:`build_report`: seen = counted + rejected +
   duplicates, always), and written (:mod:`spamlab.ingest.outputs`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa

from spamlab.errors import ParameterError
from spamlab.ingest.checkpoints import CHECKPOINT_DIR, run_with_checkpoints
from spamlab.ingest.engines import ENGINES
from spamlab.ingest.outputs import daily_counts, write_outputs
from spamlab.ingest.parse import TEXT_COLUMNS, TaskResult, shard_schema
from spamlab.ingest.rules import classify
from spamlab.mail import containers as mc
from spamlab.mail.headers import HEADER_LIMIT

#: Every reason a message can be rejected for, in the order the report lists them.
REJECT_REASONS = ("empty", "unreadable", "member_too_large", "not_a_regular_file",
                  "header_too_large", "not_a_message", "no_timestamp", "before_1990",
                  "in_future")
#: Text columns that the date rules, duplicates, counts and report need.
_RULE_COLUMNS = ("reason", "message_id", "time_source", "tz_flag")
#: Text columns with a few constant values, kept as (Arrow-backed) pandas strings.
_FLAG_COLUMNS = ("time_source", "tz_flag")


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
    """

    tz: str | None = None
    duplicate_window: int = 86400
    header_limit: int = HEADER_LIMIT
    member_limit: int = mc.MEMBER_LIMIT
    not_after: int | None = None
    files_per_task: int = 2000
    mbox_bytes_per_task: int = 8 * 1024 * 1024


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
        For an unknown engine, a missing scheduler or bad limits.
    DataError
        For a missing input path.
    """
    options = options or IngestOptions()
    _check_arguments(engine, workers, scheduler, options)
    out = Path(out)
    tasks = mc.plan_tasks(
        mc.discover(paths), files_per_task=options.files_per_task,
        mbox_bytes_per_task=options.mbox_bytes_per_task, header_limit=options.header_limit,
        member_limit=options.member_limit,
    )
    shards = run_with_checkpoints(tasks, out / CHECKPOINT_DIR, engine=engine, workers=workers,
                                  scheduler=scheduler, progress=progress)
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
    frame = classify(combine(shards, table, _RULE_COLUMNS), not_after=not_after,
                     duplicate_window=options.duplicate_window)
    daily = daily_counts(frame, options.tz)
    report = build_report(shards, frame, daily, options)
    write_outputs(out, frame, daily, report, table)
    return IngestResult(out, report, daily)


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
    arrival = table.column("arrival")
    columns["arrival"] = pd.arrays.IntegerArray(
        arrival.fill_null(0).to_numpy().astype("int64"), arrival.is_null().to_numpy())
    return pd.DataFrame(columns)


def _empty_frame() -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series([], dtype=object)
                          for name in ("container", "kind", *TEXT_COLUMNS)})
    frame["arrival"] = pd.array([], dtype="Int64")
    frame["truncated"] = pd.Series([], dtype=bool)
    return frame


def build_report(shards: Sequence[TaskResult], frame: pd.DataFrame, daily: pd.DataFrame,
                 options: IngestOptions) -> dict[str, Any]:
    """The ``ingest_report.json`` content: every message accounted for.

    Raises
    ------
    AssertionError
        If seen != counted + rejected + duplicates (a bug, never bad input).
    """
    status = frame["status"]
    counted = status == "counted"
    rejected = frame.loc[status == "rejected", "reason"].value_counts()
    report: dict[str, Any] = {
        "format": "spamlab-ingest-report-1",
        "identity": "messages_seen = messages_counted + rejected_total + duplicates",
        "files_read": sum(shard.files_read for shard in shards),
        "messages_seen": len(frame),
        "messages_counted": int(counted.sum()),
        "duplicates": int((status == "duplicate").sum()),
        "rejected_total": int((status == "rejected").sum()),
        "rejected": {reason: int(rejected.get(reason, 0)) for reason in REJECT_REASONS},
        "timestamp_source": {
            "received": int((counted & (frame["time_source"] == "received")).sum()),
            "date_header": int((counted & (frame["time_source"] == "date")).sum()),
        },
        "timezone_assumed_utc": {
            flag: int((counted & (frame["tz_flag"] == flag)).sum()) for flag in ("missing", "absurd")
        },
        "truncated_counted": int((counted & frame["truncated"]).sum()),
        "days": _day_summary(daily, options.tz),
        "containers": _container_summary(shards, frame),
        "errors": sorted({shard.error for shard in shards if shard.error}),
        "parameters": _parameters(options),
    }
    parts = report["messages_counted"] + report["rejected_total"] + report["duplicates"]
    assert report["messages_seen"] == parts, "ingest accounting identity violated"
    return report


def _day_summary(daily: pd.DataFrame, tz: str | None) -> dict[str, Any]:
    covered = daily["covered"].astype(bool) if len(daily) else daily.get("covered", [])
    return {
        "timezone": tz or "UTC",
        "first": daily["date"].iloc[0] if len(daily) else None,
        "last": daily["date"].iloc[-1] if len(daily) else None,
        "listed": len(daily),
        "covered": int(sum(covered)),
        "gaps": int(len(daily) - sum(covered)),
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
            "rejected": int(counts.get("rejected", 0)), "error": errors.get((name, kind), ""),
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
    }

