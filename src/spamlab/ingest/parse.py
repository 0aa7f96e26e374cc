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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from spamlab.errors import DataError
from spamlab.mail import containers as mc
from spamlab.mail.headers import REJECTED_FIELDS, SCAN_FIELDS, scan_row

#: Text columns of a task result (and of a checkpoint shard).
TEXT_COLUMNS = ("member", "time_source", "tz_flag", "message_id", "from_domain",
                "subject_hash", "sender_ip", "mailer", "reason")


#: Order of the values in the rows built by :func:`parse_task`.
ROW_FIELDS = ("member", "reason", "truncated", *SCAN_FIELDS)


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
    """Arrow schema of a task result: the text columns, ``arrival`` (int64), ``truncated``."""
    fields = [pa.field(name, pa.string()) for name in TEXT_COLUMNS]
    return pa.schema([*fields, pa.field("arrival", pa.int64()), pa.field("truncated", pa.bool_())])


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
            mc.read_task(task, message_sink(rows, task.header_limit))
    except DataError as exc:
        error = str(exc)
    return TaskResult(task.container.name, task.container.kind, task.files_read,
                      rows_to_table(rows), error)


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
    ...                 None)]).column("arrival").to_pylist()
    [1298973600]
    """
    schema = shard_schema()
    columns = list(zip(*rows)) if rows else [() for _ in ROW_FIELDS]
    arrays = dict(zip(ROW_FIELDS, columns))
    return pa.table({name: pa.array(arrays[name], type=schema.field(name).type)
                     for name in schema.names}, schema=schema)


def message_sink(rows: list[tuple[Any, ...]], header_limit: int) -> mc.MessageSink:
    """A callback appending one row (member, reason, truncated, *scan fields) per message.

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

    def sink(member: str, data: bytes, problem: str) -> None:
        if problem:
            append((member, problem, False, *REJECTED_FIELDS))
        else:
            append(scan_row(member, data, header_limit, want))

    return sink

