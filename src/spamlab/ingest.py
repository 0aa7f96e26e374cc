"""Raw mail -> per-message events -> daily counts, on local processes or a Dask cluster.

The pipeline has three stages:

1. :func:`spamlab.mail.containers.discover` and ``plan_tasks`` cut the inputs
   into tasks (slices of message files, byte ranges of an mbox, whole archives).
2. :func:`parse_task` reads the header block of every message of a task and
   returns one row per message (a :class:`TaskResult`). Tasks run in worker
   processes (``engine="local"``) or on a Dask cluster (``engine="dask"``); each
   finished task is saved as a checkpoint shard, so an interrupted run resumes.
3. The shards are merged in task order: out-of-range dates are rejected,
   duplicates (same Message-ID, arrivals within ``duplicate_window``) marked,
   and the outputs written atomically (temp file + rename):

   - ``daily_counts.csv``: ``date,count,covered,from_received,from_date_header,duplicates``
   - ``events/month=YYYY-MM/part-0.parquet`` (``month=none`` for undated rejects)
   - ``ingest_report.json``: seen = counted + rejected + duplicates, always.

Every output is sorted and free of run timestamps, so a rerun on the same input
gives byte-identical files whatever the engine or the number of workers.

Daily counts list every day from the first to the last counted day. A day is
*covered* when it lies between the first and the last counted message of some
container (an archive, an mbox, a maildir, a folder of files); a covered day
without messages has ``count`` 0. A day outside every container's span is a gap:
``count`` is empty and ``covered`` false (never zero-filled).

Examples
--------
>>> import tempfile, pathlib
>>> from spamlab import testing
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> truth = testing.write_corpus(folder / "trap", n_messages=30, formats=("tree",), seed=1)
>>> result = ingest([folder / "trap"], folder / "out", workers=1)
>>> result.report["messages_seen"] == truth.n_messages
True
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spamlab.errors import DataError, ParameterError
from spamlab.mail import containers as mc
from spamlab.mail.headers import HEADER_LIMIT, REJECTED_FIELDS, SCAN_FIELDS, scan_mbox, scan_row

#: Earliest accepted arrival (1990-01-01 UTC); earlier dates are rejected as ``before_1990``.
EARLIEST = 631152000
#: Checkpoint shard format; bump when :class:`TaskResult` columns change.
SHARD_VERSION = 1
CHECKPOINT_DIR = ".spamlab-checkpoints"
ENGINES = ("local", "dask")
TEXT_COLUMNS = ("member", "time_source", "tz_flag", "message_id", "from_domain",
                "subject_hash", "sender_ip", "mailer", "reason")
REJECT_REASONS = ("empty", "unreadable", "member_too_large", "not_a_regular_file",
                  "header_too_large", "not_a_message", "no_timestamp", "before_1990",
                  "in_future")


@dataclass(frozen=True)
class TaskResult:
    """One row per message of a task, as an Arrow table, plus the files the task read.

    ``table`` has the columns of :func:`shard_schema`: ``arrival`` holds epoch
    seconds or null; ``reason`` is ``""`` for a message that parsed, else the
    rejection reason. ``error`` is non-empty when the container could not be read
    to the end (the rows read so far are kept). An Arrow table travels between
    processes as a few buffers, so results are cheap to send back from workers.
    """

    container: str
    kind: str
    files_read: int
    table: Any = field(repr=False)  # pyarrow.Table (pyarrow imported lazily)
    error: str = ""

    @property
    def n_messages(self) -> int:
        """Messages (rows) in this result."""
        return int(self.table.num_rows)

    @property
    def columns(self) -> dict[str, list[Any]]:
        """The rows as Python lists, by column name (for inspection and tests)."""
        return dict(self.table.to_pydict())


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
    daily: Any = field(repr=False)  # pandas.DataFrame (pandas imported lazily)


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
    shards = _run_with_checkpoints(tasks, out / CHECKPOINT_DIR, engine, workers, scheduler,
                                   progress)
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
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParameterError(f"tz: unknown time zone {name!r} (use an IANA name such as "
                             "'Europe/London')") from None


def parse_task(task: mc.Task) -> TaskResult:
    """Read and parse every message of one task (runs in a worker).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "m1").write_bytes(b"Date: 1 Mar 2011 10:00 +0000\\n\\nhi")
    >>> result = parse_task(mc.plan_tasks(mc.discover([folder]))[0])
    >>> result.columns["arrival"], result.columns["time_source"]
    ([1298973600], ['date'])
    """
    rows: list[tuple[Any, ...]] = []
    error = ""
    try:
        with _no_cyclic_gc():
            mc.read_task(task, _message_sink(rows, task.header_limit))
    except DataError as exc:
        error = str(exc)
    return TaskResult(task.container.name, task.container.kind, task.files_read,
                      rows_to_table(rows), error)


@contextlib.contextmanager
def _no_cyclic_gc() -> Any:
    """Pause the cyclic garbage collector (reference counting goes on).

    A task allocates one tuple of strings and numbers per message, which can
    form no cycle, yet every 700 allocations wake the collector, and its full
    passes walk every object of pandas and pyarrow. In a forked worker those
    passes also write to pages shared with the parent, which the kernel then
    copies. Pausing it made parsing about a quarter faster (``make bench``).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


#: Order of the values in the rows built by :func:`parse_task`.
ROW_FIELDS = ("member", "reason", "truncated", *SCAN_FIELDS)


def rows_to_table(rows: Sequence[tuple[Any, ...]]) -> Any:
    """An Arrow table (:func:`shard_schema`) of rows ordered as :data:`ROW_FIELDS`.

    Examples
    --------
    >>> rows_to_table([("m1", "", False, 1298973600, "date", "", None, None, None, None,
    ...                 None)]).column("arrival").to_pylist()
    [1298973600]
    """
    import pyarrow as pa

    schema = shard_schema()
    columns = list(zip(*rows)) if rows else [() for _ in ROW_FIELDS]
    arrays = dict(zip(ROW_FIELDS, columns))
    return pa.table({name: pa.array(arrays[name], type=schema.field(name).type)
                     for name in schema.names}, schema=schema)


def _message_sink(rows: list[tuple[Any, ...]],
                  header_limit: int) -> Callable[[str, bytes, str], None]:
    """A callback appending one row (member, reason, truncated, *scan fields) per message."""
    append = rows.append
    want = header_limit + 4

    def sink(member: str, data: bytes, problem: str) -> None:
        if problem:
            append((member, problem, False, *REJECTED_FIELDS))
            return
        append(scan_row(member, data, header_limit, want))

    if scan_mbox is not None:
        def mbox_range(buffer: Any, start: int, stop: int, label: str) -> int:
            found = scan_mbox(buffer, start, stop, label, header_limit, want, mc.FIRST_READ)
            rows.extend(found)
            return len(found)

        sink.mbox_range = mbox_range  # type: ignore[attr-defined]
    return sink


def task_key(task: mc.Task) -> str:
    """Checkpoint key of a task: a hash of what it reads and how.

    For a file the key includes its size and modification time; for a folder of
    message files it includes the file names only (resume assumes those files
    did not change in between).
    """
    container = task.container
    stamp = ""
    if container.path.is_file():
        info = container.path.stat()
        stamp = f"{info.st_size}:{info.st_mtime_ns}"
    text = json.dumps([SHARD_VERSION, container.kind, os.fspath(container.path.resolve()),
                       container.name, stamp, list(task.files), task.start, task.stop,
                       task.header_limit, task.member_limit])
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _run_with_checkpoints(tasks: list[mc.Task], checkpoints: Path, engine: str,
                          workers: int | None, scheduler: Any, progress: bool) -> list[TaskResult]:
    """Results of all tasks in task order, reusing and writing checkpoint shards."""
    checkpoints.mkdir(parents=True, exist_ok=True)
    keys = [task_key(task) for task in tasks]
    results: dict[int, TaskResult] = {}
    for index, key in enumerate(keys):
        cached = load_shard(checkpoints / f"{key}.arrow")
        if cached is not None:
            results[index] = cached
    todo = [i for i in range(len(tasks)) if i not in results]

    def store(index: int, result: TaskResult) -> None:
        if not result.error:  # a container that failed is retried on the next run
            save_shard(result, checkpoints / f"{keys[index]}.arrow")
        results[index] = result

    already = sum(r.n_messages for r in results.values())
    bars: list[Any] = []

    def on_result(index: int, result: TaskResult) -> None:
        if not bars:  # created on the first result, after worker processes have started
            bars.append(_progress_bar(progress, already))
        store(index, result)
        bars[0].update(result.n_messages)

    try:
        if engine == "local":
            _run_local([tasks[i] for i in todo], todo, workers, on_result)
        else:
            _run_dask([tasks[i] for i in todo], todo, scheduler, on_result)
    finally:
        for bar in bars:
            bar.close()
    _prune(checkpoints, set(keys))
    return [results[i] for i in range(len(tasks))]


def _prune(checkpoints: Path, keep: set[str]) -> None:
    for shard in checkpoints.glob("*.arrow"):
        if shard.stem not in keep:
            shard.unlink(missing_ok=True)


class _NoProgress:
    """Stands in for a disabled tqdm bar (a tqdm object, even disabled, starts a monitor
    thread, and a live thread makes the next run in this process spawn its workers)."""

    def update(self, n: int = 1) -> None:
        """Ignore progress."""

    def close(self) -> None:
        """Nothing to close."""


def _progress_bar(enabled: bool, initial: int) -> Any:
    if not (enabled and sys.stderr.isatty()):
        return _NoProgress()
    from tqdm import tqdm

    return tqdm(total=None, initial=initial, unit="msg", unit_scale=True, desc="ingest",
                disable=not (enabled and sys.stderr.isatty()), file=sys.stderr, mininterval=0.5)


def _run_local(tasks: list[mc.Task], indices: list[int], workers: int | None,
               on_result: Callable[[int, TaskResult], Any]) -> None:
    """Run tasks in a process pool (or in-process for one worker or one task)."""
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(tasks) <= 1:
        for index, task in zip(indices, tasks):
            on_result(index, parse_task(task))
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = _process_context()
    if context.get_start_method() == "fork":
        import pandas  # noqa: F401  (pyarrow imports it on first use: load it once, before forking)
        import pyarrow  # noqa: F401
    gc.freeze()  # forked workers then leave the parent's objects (and their pages) alone
    try:
        with ProcessPoolExecutor(max_workers=min(workers, len(tasks)),
                                 mp_context=context) as pool:
            futures = {pool.submit(parse_task, task): index
                       for index, task in zip(indices, tasks)}
            for future in as_completed(futures):
                on_result(futures[future], future.result())
    finally:
        gc.unfreeze()


def _process_context() -> Any:
    """``fork`` when it is safe (POSIX, no other threads running), else ``spawn``.

    Forked workers start in milliseconds and need no ``if __name__ == "__main__"``
    guard; with other threads alive (Jupyter, a progress-bar monitor) forking is
    unsafe, so workers are spawned instead.
    """
    import multiprocessing
    import threading

    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _run_dask(tasks: list[mc.Task], indices: list[int], scheduler: Any,
              on_result: Callable[[int, TaskResult], Any]) -> None:
    """Run tasks on a Dask cluster given by address or as a ``distributed.Client``."""
    from distributed import Client, as_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        futures = client.map(parse_task, tasks, pure=False)
        position = {future.key: index for future, index in zip(futures, indices)}
        for future in as_completed(futures):
            on_result(position[future.key], future.result())
            future.release()
    finally:
        if client is not scheduler:
            client.close()


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    ``durable=False`` skips the fsync (for checkpoint shards: a shard lost in a
    crash is unreadable and simply recomputed).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> write_atomic(target, b"hello"); target.read_bytes()
    b'hello'
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def replace_directory(target: Path, build: Callable[[Path], None]) -> None:
    """Build a folder in a temporary sibling, then swap it in place of ``target``."""
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        build(staging)
        if target.exists():
            retired = target.with_name(f".{target.name}.old")
            shutil.rmtree(retired, ignore_errors=True)
            os.replace(target, retired)
            os.replace(staging, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


# ---------------------------------------------------------------- checkpoint shards


def shard_schema() -> Any:
    """Arrow schema of a task result: the text columns, ``arrival`` (int64), ``truncated``."""
    import pyarrow as pa

    fields = [pa.field(name, pa.string()) for name in TEXT_COLUMNS]
    return pa.schema([*fields, pa.field("arrival", pa.int64()), pa.field("truncated", pa.bool_())])


def save_shard(result: TaskResult, path: Path) -> None:
    """Save one task's result as an Arrow IPC file, atomically."""
    import pyarrow as pa

    table = result.table.replace_schema_metadata({
        "container": result.container, "kind": result.kind,
        "files_read": str(result.files_read), "version": str(SHARD_VERSION),
    })
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    write_atomic(path, sink.getvalue().to_pybytes(), durable=False)


def load_shard(path: Path) -> TaskResult | None:
    """A saved task result, or ``None`` when the shard is missing or unreadable."""
    import pyarrow as pa

    if not path.is_file():
        return None
    try:
        with pa.memory_map(os.fspath(path)) as source:
            table = pa.ipc.open_file(source).read_all()
    except (pa.ArrowInvalid, OSError):
        return None
    meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    if meta.get("version") != str(SHARD_VERSION) or not table.schema.equals(shard_schema()):
        return None
    return TaskResult(meta["container"], meta["kind"], int(meta["files_read"]),
                      table.replace_schema_metadata(None))


# ---------------------------------------------------------------- merge and outputs


def finish(shards: Sequence[TaskResult], out: Path, options: IngestOptions) -> IngestResult:
    """Merge task results, apply date rules and duplicates, and write all outputs.

    The report is written last, so its presence marks a complete run.
    """
    table = concat_shards(shards)
    frame = classify(combine(shards, table, _RULE_COLUMNS), options)
    daily = daily_counts(frame, options.tz)
    report = build_report(shards, frame, daily, options)
    out.mkdir(parents=True, exist_ok=True)
    replace_directory(out / "events", lambda staging: write_events(frame, staging, table))
    csv = daily.to_csv(index=False, lineterminator="\n", na_rep="")
    write_atomic(out / "daily_counts.csv", csv.encode("utf-8"))
    text = json.dumps(report, indent=2, sort_keys=True, ensure_ascii=True) + "\n"
    write_atomic(out / "ingest_report.json", text.encode("ascii"))
    return IngestResult(out, report, daily)


def concat_shards(shards: Sequence[TaskResult]) -> Any:
    """All task results as one Arrow table (:func:`shard_schema`), in task order."""
    import pyarrow as pa

    if not shards:
        return shard_schema().empty_table()
    return pa.concat_tables([shard.table for shard in shards])


def combine(shards: Sequence[TaskResult], table: Any = None,
            text_columns: Sequence[str] = TEXT_COLUMNS) -> Any:
    """One DataFrame of all messages in task order, with ``container`` and ``kind`` columns.

    Text columns hold Python ``str``/``None`` (object dtype), ``arrival`` is
    ``Int64`` and ``truncated`` bool. ``table`` is :func:`concat_shards` of
    ``shards`` when the caller already has it; ``text_columns`` limits the text
    columns converted to Python objects.
    """
    import numpy as np
    import pandas as pd

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


def _empty_frame() -> Any:
    import pandas as pd

    frame = pd.DataFrame({name: pd.Series([], dtype=object)
                          for name in ("container", "kind", *TEXT_COLUMNS)})
    frame["arrival"] = pd.array([], dtype="Int64")
    frame["truncated"] = pd.Series([], dtype=bool)
    return frame


def classify(frame: Any, options: IngestOptions) -> Any:
    """Add ``status`` (counted | duplicate | rejected) after the date-range rules.

    Arrivals before 1990 are rejected as ``before_1990``, arrivals after
    ``options.not_after`` (default: now) as ``in_future``.
    """
    import time

    import numpy as np
    import pandas as pd

    frame = frame.copy()
    not_after = options.not_after if options.not_after is not None else int(time.time())
    arrival = frame["arrival"].to_numpy(dtype="float64", na_value=np.nan)
    ok = frame["reason"].to_numpy() == ""
    frame.loc[ok & (arrival < EARLIEST), "reason"] = "before_1990"
    frame.loc[ok & (arrival > not_after), "reason"] = "in_future"
    valid = (frame["reason"] == "").to_numpy()
    duplicate = mark_duplicates(frame["message_id"].to_numpy(), arrival, valid,
                                options.duplicate_window)
    status = np.where(valid, np.where(duplicate, "duplicate", "counted"), "rejected")
    frame["status"] = pd.Series(status, index=frame.index, dtype=object)
    return frame


def mark_duplicates(message_id: Any, arrival: Any, valid: Any, window: int) -> Any:
    """Boolean array: True for a message whose Message-ID matches an earlier kept one.

    Messages are taken in arrival order (input order breaks ties); a message is a
    duplicate when it arrives within ``window`` seconds of the last *kept* copy
    with the same Message-ID. Messages without a Message-ID are never duplicates.

    Examples
    --------
    >>> import numpy as np
    >>> ids = np.array(["<a>", "<a>", "<a>", None], dtype=object)
    >>> mark_duplicates(ids, np.array([0., 10., 5000., 0.]), np.ones(4, bool), 60).tolist()
    [False, True, False, False]
    """
    import numpy as np
    import pandas as pd

    result = np.zeros(len(arrival), dtype=bool)
    has_id = pd.notna(message_id) & valid
    candidates = np.flatnonzero(has_id)
    if len(candidates) < 2:
        return result
    ids = pd.Series(message_id[candidates], dtype=object)
    repeated = ids.duplicated(keep=False).to_numpy()
    rows = candidates[repeated]
    order = pd.DataFrame({"id": message_id[rows], "t": arrival[rows], "row": rows}).sort_values(
        ["id", "t", "row"], kind="stable")
    last_id, kept_at = None, 0.0
    for mid, when, row in zip(order["id"], order["t"], order["row"]):
        if mid == last_id and when - kept_at <= window:
            result[row] = True
        else:
            last_id, kept_at = mid, when
    return result


def _days(arrival: Any, tz: str | None) -> Any:
    """Calendar day (datetime64[D]) of each arrival (epoch seconds, NaN allowed) in ``tz``."""
    import numpy as np
    import pandas as pd

    if tz is None:
        seconds = np.where(np.isnan(arrival), 0, arrival).astype("int64")
        days = (seconds // 86400).astype("datetime64[D]")
        return np.where(np.isnan(arrival), np.datetime64("NaT"), days).astype("datetime64[D]")
    stamps = pd.to_datetime(pd.Series(arrival), unit="s", utc=True).dt.tz_convert(tz)
    return stamps.dt.tz_localize(None).dt.floor("D").to_numpy().astype("datetime64[D]")


def daily_counts(frame: Any, tz: str | None = None) -> Any:
    """Daily counts of counted messages, every day from the first to the last.

    Returns
    -------
    DataFrame with columns ``date`` (YYYY-MM-DD), ``count`` (empty on uncovered
    days), ``covered``, ``from_received``, ``from_date_header``, ``duplicates``.
    """
    import numpy as np
    import pandas as pd

    arrival = frame["arrival"].to_numpy(dtype="float64", na_value=np.nan)
    day = pd.Series(_days(arrival, tz), index=frame.index)
    counted = frame["status"] == "counted"
    live = counted | (frame["status"] == "duplicate")
    if not counted.any():
        return pd.DataFrame({c: [] for c in ("date", "count", "covered", "from_received",
                                             "from_date_header", "duplicates")})
    calendar = pd.date_range(day[counted].min(), day[counted].max(), freq="D")
    tally = pd.DataFrame({
        "count": counted.groupby(day).sum(),
        "from_received": (counted & (frame["time_source"] == "received")).groupby(day).sum(),
        "from_date_header": (counted & (frame["time_source"] == "date")).groupby(day).sum(),
        "duplicates": (frame["status"] == "duplicate").groupby(day).sum(),
    }).reindex(calendar, fill_value=0).astype("int64")
    covered = _covered(day[live], frame.loc[live, "container"], calendar)
    table = tally.astype("Int64")
    table.loc[~covered, ["count", "from_received", "from_date_header", "duplicates"]] = pd.NA
    table.insert(0, "date", calendar.strftime("%Y-%m-%d"))
    table.insert(2, "covered", covered)
    return table.reset_index(drop=True)


def _covered(day: Any, container: Any, calendar: Any) -> Any:
    """Boolean array over ``calendar``: inside some container's first..last day."""
    import numpy as np

    spans = day.groupby(container).agg(["min", "max"])
    covered = np.zeros(len(calendar), dtype=bool)
    for first, last in zip(spans["min"], spans["max"]):
        covered |= (calendar >= first) & (calendar <= last)
    return covered


def build_report(shards: Sequence[TaskResult], frame: Any, daily: Any,
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


def _day_summary(daily: Any, tz: str | None) -> dict[str, Any]:
    covered = daily["covered"].astype(bool) if len(daily) else daily.get("covered", [])
    return {
        "timezone": tz or "UTC",
        "first": daily["date"].iloc[0] if len(daily) else None,
        "last": daily["date"].iloc[-1] if len(daily) else None,
        "listed": len(daily),
        "covered": int(sum(covered)),
        "gaps": int(len(daily) - sum(covered)),
    }


def _container_summary(shards: Sequence[TaskResult], frame: Any) -> list[dict[str, Any]]:
    import pandas as pd

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


#: Text columns that the date rules, duplicates, counts and report need.
_RULE_COLUMNS = ("reason", "message_id", "time_source", "tz_flag")
#: Text columns with a few constant values, kept as (Arrow-backed) pandas strings.
_FLAG_COLUMNS = ("time_source", "tz_flag")
#: Event columns that :func:`classify` leaves as parsed (taken from the shards when given).
_PARSED_TEXT = ("member", "time_source", "tz_flag", "message_id", "from_domain", "subject_hash",
                "sender_ip", "mailer")


def _events_table(frame: Any, source: Any = None) -> Any:
    """The Arrow table of events, in output column order and types.

    ``source`` (:func:`concat_shards`, same rows) supplies the parsed columns
    without a round trip through Python objects.
    """
    import pyarrow as pa

    if source is None:
        arrival = pa.array(frame["arrival"].astype("float64").to_numpy(), from_pandas=True)
        arrival = arrival.cast(pa.int64())
        parsed = {name: pa.array(frame[name].to_numpy(dtype=object), type=pa.string(),
                                 from_pandas=True) for name in _PARSED_TEXT}
        truncated = pa.array(frame["truncated"].to_numpy(dtype=bool), type=pa.bool_())
    else:
        source = source.combine_chunks()
        arrival = source.column("arrival").chunk(0) if len(source) else pa.array([], pa.int64())
        parsed = {name: source.column(name) for name in _PARSED_TEXT}
        truncated = source.column("truncated")
    arrival = arrival.cast(pa.timestamp("s", tz="UTC"))
    text = {name: pa.array(frame[name].to_numpy(dtype=object), type=pa.string(), from_pandas=True)
            for name in ("container", "status", "reason")}
    text.update(parsed)
    return pa.table({
        "container": text["container"].dictionary_encode(), "member": text["member"],
        "status": text["status"].dictionary_encode(), "reason": text["reason"],
        "arrival": arrival, "time_source": text["time_source"], "tz_flag": text["tz_flag"],
        "truncated": truncated,
        "message_id": text["message_id"], "from_domain": text["from_domain"],
        "subject_hash": text["subject_hash"], "sender_ip": text["sender_ip"],
        "mailer": text["mailer"],
    })


def write_events(frame: Any, folder: Path, source: Any = None) -> None:
    """Write events as ``folder/month=YYYY-MM/part-0.parquet`` (UTC month; ``none`` if undated).

    Rows are sorted by arrival, then input order, so files are deterministic.
    ``source`` is the :func:`concat_shards` table of the same rows, if at hand.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrival = frame["arrival"].to_numpy(dtype="float64", na_value=np.nan)
    undated = np.isnan(arrival)
    months = _days(arrival, None).astype("datetime64[M]").astype("int64")
    months[undated] = np.iinfo("int64").max  # "none" sorts after every YYYY-MM
    order = np.lexsort((np.arange(len(frame)), arrival, months))  # month first, NaN last
    table = _events_table(frame, source).take(pa.array(order)).combine_chunks()
    codes, firsts = np.unique(months[order], return_index=True)
    labels = ["none" if undated[order[first]] else
              str(np.datetime64(int(code), "M")) for code, first in zip(codes, firsts)]
    bounds = [*firsts.tolist(), len(frame)]

    def write(label: str, first: int, last: int) -> None:
        target = folder / f"month={label}"
        target.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.slice(first, last - first), target / "part-0.parquet",
                       compression="zstd")

    from concurrent.futures import ThreadPoolExecutor

    # Parquet encoding and zstd run without the GIL: months are written in parallel.
    with ThreadPoolExecutor(max_workers=min(len(labels), os.cpu_count() or 1) or 1) as pool:
        for done in [pool.submit(write, *part) for part in zip(labels, bounds[:-1], bounds[1:])]:
            done.result()


def read_events(out: str | Path) -> Any:
    """Read the events of an ingestion output folder as one DataFrame.

    Examples
    --------
    >>> read_events("/nonexistent")
    Traceback (most recent call last):
    ...
    spamlab.errors.DataError: /nonexistent/events: no events folder (run spamlab ingest first)
    """
    import pandas as pd

    folder = Path(out) / "events"
    if not folder.is_dir():
        raise DataError(f"{folder}: no events folder (run spamlab ingest first)")
    parts = []
    for path in sorted(folder.glob("month=*/part-0.parquet")):
        part = pd.read_parquet(path)
        part.insert(0, "month", path.parent.name.split("=", 1)[1])
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
