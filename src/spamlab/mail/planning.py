"""Cutting containers into tasks: slices of message files, byte ranges of an mbox, archive parts."""

from __future__ import annotations

import itertools
import mmap
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from spamlab.errors import ParameterError
from spamlab.mail.discovery import Container
from spamlab.mail.headers import HEADER_LIMIT
from spamlab.mail.mbox import _next_from_line
from spamlab.mail.reading import MEMBER_LIMIT

__all__ = [
    "Task",
    "folders_of_part",
    "plan_tasks",
]


@dataclass(frozen=True)
class Task:
    """A unit of work: files ``files`` of a tree, bytes ``[start, stop)`` of an mbox, or an archive."""

    container: Container
    files: tuple[str, ...] = ()
    start: int = 0
    stop: int = 0
    header_limit: int = HEADER_LIMIT
    member_limit: int = MEMBER_LIMIT
    #: ``[start, end)`` epoch seconds: members whose name places them outside are not parsed
    #: (:func:`spamlab.mail.names.outside_window`); ``None`` parses every member.
    window: tuple[int, int] | None = None

    @property
    def files_read(self) -> int:
        """Filesystem files this task opens (a split mbox counts once, in its first chunk)."""
        if self.container.kind in ("tree", "maildir"):
            return len(self.files)
        return 1 if self.start == 0 else 0


def plan_tasks(containers: Sequence[Container], *, files_per_task: int = 2000,
               mbox_bytes_per_task: int = 8 * 1024 * 1024, header_limit: int = HEADER_LIMIT,
               member_limit: int = MEMBER_LIMIT,
               window: tuple[int, int] | None = None, archive_parts: int = 1) -> list[Task]:
    """Cut containers into tasks of bounded size, in a deterministic order.

    ``window`` is copied to every task (:attr:`Task.window`). A 7z archive becomes
    ``archive_parts`` tasks (``start`` = the part, ``stop`` = the number of parts), each
    decoding its share of the archive's folders (:func:`folders_of_part`), so the folders
    of one archive are decompressed on several workers at once.

    Raises
    ------
    ParameterError
        When a size parameter is not positive.
    """
    for name, value in (("files_per_task", files_per_task), ("header_limit", header_limit),
                        ("mbox_bytes_per_task", mbox_bytes_per_task),
                        ("member_limit", member_limit)):
        if value <= 0:
            raise ParameterError(f"{name} must be a positive integer, got {value}")
    tasks: list[Task] = []
    for container in containers:
        limited = Task(container, header_limit=header_limit, member_limit=member_limit,
                       window=window)
        if container.kind in ("tree", "maildir"):
            light = replace(container, files=())  # tasks are pickled: never ship the full list
            for first in range(0, len(container.files), files_per_task):
                chunk = container.files[first:first + files_per_task]
                tasks.append(replace(limited, container=light, files=chunk))
        elif container.kind == "mbox":
            for start, stop in _mbox_ranges(container.path, mbox_bytes_per_task):
                tasks.append(replace(limited, start=start, stop=stop))
        elif container.kind == "7z" and archive_parts > 1:
            tasks += [replace(limited, start=part, stop=archive_parts) for part in range(archive_parts)]
        else:
            tasks.append(limited)
    return tasks


def folders_of_part(plan: list, part: int, parts: int) -> list:
    """The folders (entries of :func:`_7z_folder_plan`) that part ``part`` of ``parts`` decodes.

    Each folder goes to the part its packed bytes' midpoint falls in, so the parts are
    contiguous runs of about equal packed size, in archive order; a part may get none
    (an archive with fewer folders than parts).

    Examples
    --------
    >>> plan = [("f0", 0, 10, []), ("f1", 10, 10, []), ("f2", 20, 20, [])]
    >>> [[entry[0] for entry in folders_of_part(plan, part, 2)] for part in range(2)]
    [['f0', 'f1'], ['f2']]
    """
    if parts <= 1:
        return plan
    total = sum(entry[2] for entry in plan) or 1
    chosen, before = [], 0
    for entry in plan:
        if min(parts - 1, int(parts * (before + entry[2] / 2) / total)) == part:
            chosen.append(entry)
        before += entry[2]
    return chosen


def _mbox_ranges(path: Path, step: int) -> list[tuple[int, int]]:
    """Byte ranges of an mbox, each starting at a message's ``From `` line."""
    size = path.stat().st_size
    if size == 0:
        return [(0, 0)]
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        cuts = [0]
        for target in range(step, size, step):
            found = _next_from_line(mm, max(target, cuts[-1] + 1), size)
            if found >= size:
                break
            if found > cuts[-1]:
                cuts.append(found)
    cuts.append(size)
    return list(itertools.pairwise(cuts))
