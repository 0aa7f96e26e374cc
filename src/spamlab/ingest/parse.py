"""Parse one task in a worker: the header block of every message -> one row per message.

A task (:class:`spamlab.mail.containers.Task`) is a slice of message files, a
byte range of an mbox, or one archive. :func:`parse_task` reads each message's
first bytes through :func:`spamlab.mail.containers.read_task`, scans its header
block with :func:`spamlab.mail.headers.scan_row`, and returns the rows as an
Arrow table (:class:`TaskResult`), which travels cheaply between processes and
is what a checkpoint shard stores.
"""

from __future__ import annotations

import contextlib
import gc
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pyarrow as pa

from spamlab.errors import DataError
from spamlab.mail import containers as mc
from spamlab.mail.folder_decoder import decodes_in_child
from spamlab.mail.headers import REJECTED_FIELDS, SCAN_FIELDS, from_line_time, scan_row
from spamlab.mail.names import name_time, outside_window

__all__ = [
    "ROW_FIELDS",
    "TEXT_COLUMNS",
    "THREADED_KINDS",
    "TaskResult",
    "delivery_stamp",
    "message_sink",
    "parse_task",
    "read_in_thread",
    "rows_to_table",
    "shard_schema",
]

#: Text columns of a task result (and of a checkpoint shard).
TEXT_COLUMNS = ("member", "time_source", "tz_flag", "message_id", "from_domain",
                "subject_hash", "sender_ip", "mailer", "helo", "reason", "stamp_source")


#: Order of the values in the rows built by :func:`parse_task`.
ROW_FIELDS = ("member", "reason", "truncated", *SCAN_FIELDS, "name_time", "stamp_source")


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
    table: pa.Table = field(repr=False)
    error: str = ""

    @property
    def n_messages(self) -> int:
        """Messages (rows) in this result."""
        return int(self.table.num_rows)

    @property
    def columns(self) -> dict[str, list[Any]]:
        """The rows as Python lists, by column name (for inspection and tests)."""
        return dict(self.table.to_pydict())


def shard_schema() -> pa.Schema:
    """Arrow schema of a task result: the text columns, ``arrival`` (int64), ``truncated``,
    ``name_time`` (int64: the delivery agent's arrival stamp, :func:`delivery_stamp`; its
    ``stamp_source`` is ``"filename"``, ``"from_line"`` or ``""``)."""
    fields = [pa.field(name, pa.string()) for name in TEXT_COLUMNS]
    return pa.schema([*fields, pa.field("arrival", pa.int64()), pa.field("truncated", pa.bool_()),
                      pa.field("name_time", pa.int64())])


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
    task = _skip_files_outside(task, rows)
    read = read_in_thread if _read_beside(task.container.kind) else mc.read_task
    try:
        with _no_cyclic_gc():
            read(task, message_sink(rows, task.header_limit, task.window))
    except DataError as exc:
        error = str(exc)
    return TaskResult(task.container.name, task.container.kind, task.files_read,
                      rows_to_table(rows), error)


#: Container kinds read (decompressed) in a thread beside the parsing: the standard library's
#: lzma, zlib and bz2 decoders release the GIL, so decoding and parsing share two cores.
THREADED_KINDS = frozenset({"7z", "zip", "tar"})


def _read_beside(kind: str) -> bool:
    """Whether a container of ``kind`` is read in a thread beside the parsing.

    A 7z archive is not when its folders can be decoded in a child process
    (:func:`~spamlab.mail.folder_decoder.decodes_in_child`): the child decodes on the
    other core, and the cutting and parsing stay in this thread, which must then be
    the only one (a process with threads is not forked).
    """
    if kind == "7z" and decodes_in_child():
        return False
    return kind in THREADED_KINDS
#: Heads handed over per batch, and batches in flight (bounds the memory between the two).
_BATCH, _IN_FLIGHT = 256, 8


class _Stop(Exception):
    """Raised inside the reading thread when the parsing side has given up."""


def read_in_thread(task: mc.Task, sink: mc.MessageSink) -> int:
    """:func:`spamlab.mail.containers.read_task` in a thread; ``sink`` runs in this one.

    The reading thread cuts members and passes their heads in batches through a
    bounded queue, so at most ``_IN_FLIGHT * _BATCH`` heads wait at any time. The
    calls ``sink`` receives, and their order, are those of ``read_task``; an error
    of the reader is raised here after the heads read before it were passed on.

    Examples
    --------
    >>> import tempfile, pathlib, zipfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.zip"
    >>> with zipfile.ZipFile(path, "w") as archive:
    ...     archive.writestr("m1", b"Subject: x\\n\\nbody")
    >>> seen = []
    >>> read_in_thread(mc.plan_tasks(mc.discover([path]))[0], lambda *head: seen.append(head))
    1
    >>> seen
    [('m1', b'Subject: x\\n\\nbody', '')]
    """
    batches: queue.Queue[list[tuple[str, bytes, str]] | BaseException | int] = queue.Queue(
        _IN_FLIGHT)
    stop = threading.Event()
    thread = threading.Thread(target=_produce, args=(task, batches, stop), daemon=True,
                              name="spamlab-reader")
    thread.start()
    try:
        while True:
            item = batches.get()
            if isinstance(item, int):
                return item
            if isinstance(item, BaseException):
                raise item
            for head in item:
                sink(*head)
    finally:
        stop.set()
        while thread.is_alive():  # unblock a reader waiting for room, then let it finish
            with contextlib.suppress(queue.Empty):
                batches.get(timeout=0.05)
        thread.join()


def _produce(task: mc.Task, batches: queue.Queue[Any], stop: threading.Event) -> None:
    """The reading thread: heads in batches, then the message count or the error."""
    batch: list[tuple[str, bytes, str]] = []

    def collect(member: str, data: bytes, problem: str) -> None:
        if stop.is_set():
            raise _Stop
        batch.append((member, data, problem))
        if len(batch) >= _BATCH:
            batches.put(batch.copy())
            batch.clear()

    try:
        count = mc.read_task(task, collect)
    except _Stop:
        return
    except BaseException as exc:  # noqa: BLE001 (handed to the parsing side, which raises it)
        batches.put(batch)
        batches.put(exc)
        return
    batches.put(batch)
    batches.put(count)


def _skip_files_outside(task: mc.Task, rows: list[tuple[Any, ...]]) -> mc.Task:
    """Drop the files of a tree or maildir task that lie outside its window, unopened.

    Each one gets an ``out_of_range`` row in ``rows``; the task returned reads the others.
    """
    if task.window is None or not task.files:
        return task
    now = time.time()
    kept = []
    for relative in task.files:
        if outside_window(relative, task.window, now):
            rows.append((relative, "out_of_range", False, *REJECTED_FIELDS,
                         *delivery_stamp(relative, b"")))
        else:
            kept.append(relative)
    return replace(task, files=tuple(kept)) if len(kept) < len(task.files) else task


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
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


def rows_to_table(rows: Sequence[tuple[Any, ...]]) -> pa.Table:
    """An Arrow table (:func:`shard_schema`) of rows ordered as :data:`ROW_FIELDS`.

    Examples
    --------
    >>> rows_to_table([("m1", "", False, 1298973600, "date", "", None, None, None, None,
    ...                 None, None, None, "")]).column("arrival").to_pylist()
    [1298973600]
    """
    schema = shard_schema()
    columns = list(zip(*rows)) if rows else [() for _ in ROW_FIELDS]
    arrays: dict[str, Sequence[Any]] = dict(zip(ROW_FIELDS, columns))
    return pa.table({name: pa.array(arrays[name], type=schema.field(name).type)
                     for name in schema.names}, schema=schema)


def delivery_stamp(member: str, data: bytes) -> tuple[int | None, str]:
    """The delivery agent's arrival stamp of a message and where it was read.

    An mbox ``From_`` line at the start of ``data`` (:func:`~spamlab.mail.headers.from_line_time`)
    gives ``(seconds, "from_line")``; else a Unix time in the member's file name
    (:func:`~spamlab.mail.names.name_time`) gives ``(seconds, "filename")``; else ``(None, "")``.
    A ``From_`` line without a parsable date gives no stamp.

    Examples
    --------
    >>> delivery_stamp("trap.mbox@0", b"From a Tue Mar  1 10:00:00 2011\\nSubject: x\\n\\n")
    (1298973600, 'from_line')
    >>> delivery_stamp("new/1300286700.M1P2.host:2,S", b"Subject: x"), delivery_stamp("m@9", b"From a\\n")
    ((1300286700, 'filename'), (None, ''))
    """
    if data.startswith(b"From "):
        seconds = from_line_time(data)
        return (seconds, "from_line") if seconds is not None else (None, "")
    seconds = name_time(member)
    return (seconds, "filename") if seconds is not None else (None, "")


def message_sink(rows: list[tuple[Any, ...]], header_limit: int,
                 window: tuple[int, int] | None = None) -> mc.MessageSink:
    """A callback appending one row (member, reason, truncated, *scan fields, stamp, its source)
    per message (:data:`ROW_FIELDS`; the stamp is :func:`delivery_stamp`).

    A member whose name places it outside ``window`` (:func:`~spamlab.mail.names.outside_window`)
    is not parsed: its row has the reason ``out_of_range``.

    Examples
    --------
    >>> rows = []
    >>> sink = message_sink(rows, 100)
    >>> sink("m1", b"Date: 1 Mar 2011 10:00 +0000\\n\\nhi", ""); sink("m2", b"", "unreadable")
    >>> [row[:4] for row in rows]
    [('m1', '', False, 1298973600), ('m2', 'unreadable', False, None)]
    """
    append = rows.append
    want = header_limit + 4
    now = time.time()

    def sink(member: str, data: bytes, problem: str) -> None:
        stamp = delivery_stamp(member, data)
        if problem:
            append((member, problem, False, *REJECTED_FIELDS, *stamp))
        elif window is not None and outside_window(member, window, now):
            append((member, "out_of_range", False, *REJECTED_FIELDS, *stamp))
        else:
            append((*scan_row(member, data, header_limit, want), *stamp))

    return sink

