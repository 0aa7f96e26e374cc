"""Reading folders of message files (trees and maildirs), one message per file."""

from __future__ import annotations

import errno
import os
import stat

from spamlab.mail.mbox import _read_mbox_fd
from spamlab.mail.planning import Task
from spamlab.mail.reading import MessageSink, read_head

__all__: list[str] = []


def _read_files(task: Task, sink: MessageSink) -> int:
    """One message per file; a file starting with a ``From `` line is read as an mbox.

    Symbolic links are not followed: each is rejected as ``symlink_inside_input``
    (its target, inside the folder read, is read where it lies) or
    ``symlink_outside_input`` (the target lies elsewhere or does not exist).
    FIFOs, sockets and devices are rejected as ``not_a_regular_file``, never
    opened when discovery saw them (``Container.special``), else opened without
    blocking.
    """
    root = os.fspath(task.container.path)
    special = task.container.special
    want = task.header_limit + 4
    count = 0
    for relative in task.files:
        path = os.path.join(root, relative)
        data, problem = b"", _special_reason(path, root) if relative in special else ""
        if not problem:
            try:
                fd = os.open(path, _OPEN_FLAGS)
            except OSError as exc:
                problem = _open_failure(exc, path, root)
            else:
                try:
                    data = read_head(fd, want)
                    if data.startswith(b"From "):
                        count += _read_mbox_fd(fd, 0, None, want, sink, f"{relative}@")
                        continue
                    if not data and not stat.S_ISREG(os.fstat(fd).st_mode):
                        problem = "not_a_regular_file"  # (became special after discovery)
                except OSError:
                    data, problem = b"", "unreadable"
                finally:
                    os.close(fd)
        sink(relative, data, problem)
        count += 1
    return count


#: Opening a message file never follows a symlink or waits for a FIFO's writer.
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW


def _special_reason(path: str, root: str) -> str:
    """Rejection reason of an entry that is not a regular file (``"unreadable"`` if gone)."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return "unreadable"
    if stat.S_ISLNK(mode):
        return _symlink_reason(path, root)
    return "" if stat.S_ISREG(mode) else "not_a_regular_file"


def _open_failure(exc: OSError, path: str, root: str) -> str:
    """Rejection reason when opening a message file failed."""
    if exc.errno == errno.ELOOP or os.path.islink(path):
        return _symlink_reason(path, root)
    return "not_a_regular_file" if exc.errno == errno.ENXIO else "unreadable"


def _symlink_reason(path: str, root: str) -> str:
    """Rejection reason of a symlink: does its final target lie inside ``root``?"""
    target, top = os.path.realpath(path), os.path.realpath(root)
    inside = os.path.exists(target) and os.path.commonpath([target, top]) == top
    return "symlink_inside_input" if inside else "symlink_outside_input"
