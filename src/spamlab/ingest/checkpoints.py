"""Checkpoint shards: every finished task is saved, so an interrupted run resumes.

A shard is one task's :class:`~spamlab.ingest.parse.TaskResult` as an Arrow IPC
file named by :func:`task_key`, a hash of what the task reads and how. A rerun
loads the shards whose key still matches and parses only the other tasks;
shards of inputs no longer given are pruned.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from spamlab.ingest.engines import run_tasks
from spamlab.ingest.outputs import refuse_link, write_atomic
from spamlab.ingest.parse import TaskResult, shard_schema
from spamlab.mail.containers import Task

__all__ = [
    "CHECKPOINT_DIR",
    "SHARD_VERSION",
    "load_shard",
    "run_with_checkpoints",
    "save_shard",
    "task_key",
]

#: Checkpoint shard format; bump when :class:`TaskResult` columns change or when parsing does
#: (a checkpoint of an older parser is then read again, not reused).
SHARD_VERSION = 4
#: Folder of the shards inside an ingestion's output folder.
CHECKPOINT_DIR = ".spamlab-checkpoints"


def run_with_checkpoints(tasks: Sequence[Task], checkpoints: Path, *, engine: str = "local",
                         workers: int | None = None, scheduler: Any = None,
                         progress: bool = False) -> list[TaskResult]:
    """Results of all tasks in task order, reusing and writing shards in ``checkpoints``.

    A task whose container could not be read to the end is not saved, so the
    next run tries it again. The other arguments go to
    :func:`spamlab.ingest.engines.run_tasks`.
    """
    refuse_link(checkpoints, "the checkpoint folder")
    checkpoints.mkdir(parents=True, exist_ok=True)
    keys = [task_key(task) for task in tasks]
    results: dict[int, TaskResult] = {}
    for index, key in enumerate(keys):
        cached = load_shard(checkpoints / f"{key}.arrow")
        if cached is not None:
            results[index] = cached
    todo = [i for i in range(len(tasks)) if i not in results]

    def store(index: int, result: TaskResult) -> None:
        if not result.error:
            save_shard(result, checkpoints / f"{keys[index]}.arrow")
        results[index] = result

    run_tasks([tasks[i] for i in todo], todo, store, engine=engine, workers=workers,
              scheduler=scheduler, progress=progress,
              initial=sum(r.n_messages for r in results.values()))
    _prune(checkpoints, set(keys))
    return [results[i] for i in range(len(tasks))]


def _prune(checkpoints: Path, keep: set[str]) -> None:
    """Delete the shards not in ``keep`` and the temporary files of shards whose writing was
    killed (``.KEY.arrow.*.tmp``, see :func:`~spamlab.ingest.outputs.write_atomic`)."""
    for shard in checkpoints.glob("*.arrow"):
        if shard.stem not in keep:
            shard.unlink(missing_ok=True)
    for temporary in checkpoints.glob(".*.arrow.*.tmp"):
        if temporary.is_file() and not temporary.is_symlink():
            temporary.unlink(missing_ok=True)


def task_key(task: Task) -> str:
    """Checkpoint key of a task: a hash of what it reads and how.

    The key includes the size, modification time (ns) and inode of every file
    the task reads (the archive or mbox, or each message file of a folder), so a
    file edited or replaced in place is read again.
    """
    container = task.container
    if container.kind in ("tree", "maildir"):
        root = os.fspath(container.path)
        stamp: list[list[int] | None] = [_stamp(os.path.join(root, name)) for name in task.files]
    else:
        stamp = [_stamp(os.fspath(container.path), follow=True)]  # an input given as a link
    text = json.dumps([SHARD_VERSION, container.kind, os.fspath(container.path.resolve()),
                       container.name, stamp, list(task.files), task.start, task.stop,
                       task.header_limit, task.member_limit,
                       None if task.window is None else list(task.window)])
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _stamp(path: str, *, follow: bool = False) -> list[int] | None:
    """Size, modification time (ns) and inode of a file (of a symlink unless ``follow``), or ``None``."""
    try:
        info = os.stat(path, follow_symlinks=follow)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns, info.st_ino]


def save_shard(result: TaskResult, path: Path) -> None:
    """Save one task's result as an Arrow IPC file, atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from spamlab.ingest.parse import rows_to_table
    >>> shard = pathlib.Path(tempfile.mkdtemp()) / "one.arrow"
    >>> save_shard(TaskResult("trap.mbox", "mbox", 1, rows_to_table([])), shard)
    >>> load_shard(shard).container, load_shard(shard.with_name("other.arrow"))
    ('trap.mbox', None)
    """
    table = result.table.replace_schema_metadata({
        "container": result.container, "kind": result.kind,
        "files_read": str(result.files_read), "version": str(SHARD_VERSION),
    })
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    write_atomic(path, sink.getvalue().to_pybytes(), durable=False)


def load_shard(path: Path) -> TaskResult | None:
    """A saved task result, or ``None`` when the shard is missing, unreadable, outdated or a
    symbolic link (never followed: it would bring in whatever it points to as parsed mail)."""
    if path.is_symlink() or not path.is_file():
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
