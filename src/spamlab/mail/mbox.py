"""Reading mbox files: finding the ``From `` separators and handing each message's head on."""

from __future__ import annotations

import itertools
import mmap
import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from spamlab.errors import DataError
from spamlab.mail.headers import line_end
from spamlab.mail.reading import FIRST_READ, MessageSink, head_is_enough

if TYPE_CHECKING:
    from spamlab.mail.planning import Task

__all__: list[str] = []

#: A ``From_`` line as mbox writers put it: sender, then an asctime date ending in the year
#: (``From MAILER-DAEMON Wed Mar 16 14:45:00 2011``, ``... 14:45:00 +0000 2011``, ``... 14:45 2011``).
_FROM_LINE = (rb"From [^\s]+[ \t]+[A-Z][a-z]{2}[ \t]+[A-Z][a-z]{2}[ \t]+\d{1,2}[ \t]+"
              rb"\d{1,2}:\d\d(?::\d\d)?(?:[ \t]+[^\s]+)?[ \t]+\d{4}[ \t]*\r?\n")
#: A message separator: ``From `` after an empty line (LF, CRLF or CR-only line endings), or a
#: whole ``From_`` line right after the previous message's last line (writers that add no blank
#: line between).
_SEPARATOR = re.compile(rb"(?:\n(?:\r?\n|(?=" + _FROM_LINE + rb"))|\r\r)From ")


def _next_from_line(mm: mmap.mmap | bytes, position: int, stop: int) -> int:
    """Offset of the next ``From `` separator line at or after ``position`` (``stop`` if none).

    A separator starts a line and follows an empty line (or the start of the file), or is a
    whole ``From_`` line (:data:`_SEPARATOR`).
    """
    if position == 0 and mm[:5] == b"From ":
        return 0
    search = max(position - 3, 0)  # (a separator's match starts up to 3 bytes before its From)
    while True:
        match = _SEPARATOR.search(mm, search, stop)
        if match is None:
            return stop
        if match.end() - 5 >= position:
            return match.end() - 5
        search = match.start() + 1


def _read_mbox(task: Task, sink: MessageSink) -> int:
    """Messages of a byte range of an mbox, checking the file is still as planned.

    An mbox deleted or truncated after :func:`plan_tasks` cut it into ranges
    raises :class:`DataError` (what could still be read has been passed to ``sink``).
    """
    if task.stop <= task.start:
        return 0
    name = task.container.name
    try:
        fd = os.open(task.container.path, os.O_RDONLY)
    except OSError as exc:
        raise DataError(f"{name}: mbox vanished or unreadable after planning "
                        f"({exc.strerror}); bytes {task.start}-{task.stop} not read") from None
    try:
        size = os.fstat(fd).st_size
        count = _read_mbox_fd(fd, task.start, min(task.stop, size), task.header_limit + 4,
                              sink, "@")
    finally:
        os.close(fd)
    if size < task.stop:
        raise DataError(f"{name}: mbox truncated after planning: {size} bytes left, "
                        f"{task.stop} expected; {count} messages read from byte {task.start}")
    return count


def _read_mbox_fd(fd: int, start: int, stop: int | None, want: int, sink: MessageSink,
                  label: str) -> int:
    """Messages of an open mbox between byte offsets (``None``: the end), labelled ``label + offset``."""
    size = os.fstat(fd).st_size
    stop = size if stop is None else min(stop, size)
    if stop <= start:
        return 0
    with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as mm:
        return _split_mbox(mm, start, stop, want, sink, label)


def _split_mbox(mm: mmap.mmap | bytes, start: int, stop: int, want: int, sink: MessageSink,
                label: str) -> int:
    """Pass the head of each message of an mbox's bytes ``start:stop`` to ``sink``; their count.

    A head is the message's ``From_`` line (whose date is the delivery agent's arrival
    stamp) followed by the message's first bytes (up to ``want`` of them).

    Examples
    --------
    >>> seen = []
    >>> _split_mbox(b"From a Mon Mar 14 10:00:00 2011\\nS: 1\\n\\nx\\nFrom b Mon Mar 14 10:00:00 2011\\n"
    ...             b"S: 2\\n", 0, 77, 100, lambda *call: seen.append(call), "m@")
    2
    >>> seen
    [('m@0', b'From a Mon Mar 14 10:00:00 2011\\nS: 1\\n\\nx\\n', ''), ('m@40', b'From b Mon Mar 14 10:00:00 2011\\nS: 2\\n', '')]
    """
    count = 0
    first_read = min(want, FIRST_READ)
    for first, last in _mbox_messages(mm, start, stop):
        body_start = first
        if mm[first:first + 5] == b"From ":  # (text before the first separator has none)
            body_start = line_end(mm, first, last)
        head = mm[body_start:min(body_start + first_read, last)]
        if not head_is_enough(head, want):  # a long header: take up to ``want`` bytes
            head = mm[body_start:min(body_start + want, last)]
        # the From_ line goes along: its date is the delivery agent's arrival stamp
        sink(f"{label}{first}", mm[first:body_start] + head, "")
        count += 1
    return count


def _mbox_messages(mm: mmap.mmap | bytes, start: int, stop: int) -> Iterator[tuple[int, int]]:
    """(start, stop) of each message between two separator offsets of an mbox.

    Separators are found in one regex pass: ``From `` at the start of the range,
    after an empty line (LF or CRLF), or a whole ``From_`` line after any line (:data:`_SEPARATOR`).
    """
    starts = [match.end() - 5 for match in _SEPARATOR.finditer(mm, start, stop)]
    if mm[start:start + 5] == b"From ":
        starts.insert(0, start)
    elif mm[start:starts[0] if starts else stop].strip():
        starts.insert(0, start)  # text before the first separator: a message without From_ line
    starts.append(stop)
    return itertools.pairwise(starts)
