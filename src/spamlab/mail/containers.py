"""Mail containers: find messages in mbox files, maildirs, folders and archives.

This module is the entry point (:func:`read_task`) and keeps the names of the
modules the work is split into: :mod:`~spamlab.mail.discovery` (inputs into
:class:`Container` objects), :mod:`~spamlab.mail.planning` (:class:`Task` objects),
:mod:`~spamlab.mail.reading` (what every reader shares), and one module per reader:
:mod:`~spamlab.mail.files`, :mod:`~spamlab.mail.mbox`, :mod:`~spamlab.mail.archives`,
:mod:`~spamlab.mail.sevenzip`.

Inputs are expanded into :class:`Container` objects, which are cut into
:class:`Task` work units (a slice of files, a byte range of an mbox, or one
archive). :func:`read_task` hands the start of every message in a task to a
callback, reading as little as possible: only the first ``header_limit`` bytes
of each message (plus a little) are ever kept in memory.

Archives (.zip, .tar, .tar.gz/.bz2/.xz, .7z) are read as streams. Member names
are only used as labels, never as paths to write to, and a member whose size
exceeds ``member_limit`` is reported (``"member_too_large"``) instead of read.
A .gz/.bz2/.xz file that is not a tar is read as what it decompresses to (an
mbox or one message). Every label passes through :func:`printable_name`, so a
name that is not UTF-8 is carried as escaped text (``caf\\xe9.eml``).

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "1.eml").write_bytes(b"Subject: hi\\n\\nbody")
>>> tasks = plan_tasks(discover([folder]))
>>> seen = []
>>> read_task(tasks[0], lambda member, data, problem: seen.append((member, problem)))
1
>>> seen
[('1.eml', '')]
"""


from __future__ import annotations

from collections.abc import Callable

from spamlab.mail.archives import (
    ARCHIVE_KINDS,
    _check_tar_end,
    _EndMarkedTarInfo,
    _MboxMembers,
    _overlapping_entries,
    _read_compressed,
    _read_tar,
    _read_zip,
    _tar_member,
    _zip_problem,
)
from spamlab.mail.discovery import (
    ARCHIVE_SUFFIXES,
    COMPRESSED_SUFFIXES,
    MBOX_SUFFIXES,
    Container,
    _compressed_kind,
    _decompressing,
    _kind_from_name,
    _sniff_file,
    _walk_directory,
    discover,
    printable_name,
)
from spamlab.mail.files import _read_files
from spamlab.mail.headers import HEADER_LIMIT
from spamlab.mail.mbox import (
    _SEPARATOR,
    _mbox_messages,
    _next_from_line,
    _read_mbox,
    _read_mbox_fd,
    _split_mbox,
)
from spamlab.mail.planning import Task, _mbox_ranges, folders_of_part, plan_tasks
from spamlab.mail.reading import (
    FIRST_READ,
    INFLATE_FLOOR,
    INFLATE_RATIO,
    MEMBER_LIMIT,
    MessageSink,
    _bounded_read,
    _Inflation,
    _keep,
    head_is_enough,
    is_archive,
    read_head,
    unsafe_member_name,
)
from spamlab.mail.sevenzip import FAST_7Z, _7z_folder_plan, _read_7z, _read_7z_folders

__all__ = [
    "ARCHIVE_KINDS", "ARCHIVE_SUFFIXES", "COMPRESSED_SUFFIXES", "FAST_7Z", "FIRST_READ",
    "HEADER_LIMIT", "INFLATE_FLOOR", "INFLATE_RATIO", "MBOX_SUFFIXES", "MEMBER_LIMIT",
    "Container", "MessageSink", "Task", "discover", "folders_of_part", "head_is_enough",
    "is_archive", "plan_tasks", "printable_name", "read_head", "read_task", "unsafe_member_name",
]
#: Private names kept importable from here for code written against the single module.
_REEXPORTED = (_check_tar_end, _EndMarkedTarInfo, _MboxMembers, _overlapping_entries,
               _compressed_kind, _decompressing, _kind_from_name, _sniff_file, _walk_directory,
               _SEPARATOR, _mbox_messages, _next_from_line, _read_mbox_fd, _split_mbox,
               _mbox_ranges, _bounded_read, _Inflation, _keep, _7z_folder_plan, _read_7z_folders,
               _tar_member, _zip_problem)


def read_task(task: Task, sink: MessageSink) -> int:
    """Pass the start of every message of ``task`` to ``sink``; return the message count.

    ``sink(member, data, problem)`` receives the member label, up to
    ``header_limit + 4`` leading bytes of the message, and ``""`` or a rejection
    reason (``"member_too_large"``, ``"not_a_regular_file"``, ``"unreadable"``).
    """
    readers: dict[str, Callable[[Task, MessageSink], int]] = {
        "tree": _read_files, "maildir": _read_files, "mbox": _read_mbox, "zip": _read_zip,
        "tar": _read_tar, "7z": _read_7z, "compressed": _read_compressed,
    }

    def labelled(member: str, data: bytes, problem: str) -> None:  # labels must be printable
        sink(printable_name(member), data, problem)

    if task.container.kind not in ARCHIVE_KINDS:
        return readers[task.container.kind](task, labelled)
    members = _MboxMembers(labelled, task.header_limit + 4)
    return readers[task.container.kind](task, members) + members.extra
