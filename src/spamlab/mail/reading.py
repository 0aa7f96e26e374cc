"""What every container reader shares: the message sink, bounded reads, the inflation bound.

A reader hands each message's first bytes to a :data:`MessageSink`; these helpers read
only as much as the header needs (:func:`read_head`, :func:`head_is_enough`, :func:`_keep`),
bound what an archive may inflate to (:class:`_Inflation`), and recognise archives inside
archives (:func:`is_archive`) and member names that would escape a folder
(:func:`unsafe_member_name`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

from spamlab.errors import DataError

if TYPE_CHECKING:
    from spamlab.mail.planning import Task

__all__ = [
    "FIRST_READ",
    "INFLATE_FLOOR",
    "INFLATE_RATIO",
    "MEMBER_LIMIT",
    "MessageSink",
    "head_is_enough",
    "is_archive",
    "read_head",
    "unsafe_member_name",
]

#: Default largest accepted message (member) size in an archive, in bytes.
MEMBER_LIMIT = 64 * 1024 * 1024

#: Callback receiving (member label, first bytes of the message, problem or "").
MessageSink = Callable[[str, bytes, str], None]

_MAGIC = ((b"7z\xbc\xaf\x27\x1c", "7z"), (b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"),
          (b"\x1f\x8b", "tar"), (b"BZh", "tar"), (b"\xfd7zXZ\x00", "tar"))
_READ_CHUNK = 1024 * 1024
#: Size of the first read of a message file (see :func:`read_head`).
FIRST_READ = 8192


def read_head(fd: int, want: int) -> bytes:
    """The first ``want`` bytes of an open file, or as many of them as the header needs.

    One small read (:data:`FIRST_READ` bytes) serves almost every message: the
    rest is read only when that block holds no blank line (the header goes on)
    or only whitespace. (A 64 KiB read per file measured ~10% slower than an
    8 KiB one.) Stopping there changes no result: the header block, the
    truncation flag and the empty/not-a-message checks depend only on the bytes
    up to the first blank line.

    Examples
    --------
    >>> import os, tempfile
    >>> handle, name = tempfile.mkstemp()
    >>> _ = os.write(handle, b"Subject: hi\\n\\n" + b"x" * 20000); os.close(handle)
    >>> fd = os.open(name, os.O_RDONLY); len(read_head(fd, 65540)); os.close(fd)
    8192
    """
    data = os.read(fd, min(want, FIRST_READ))
    if head_is_enough(data, want):
        return data
    parts, total = [data], len(data)
    while total < want:
        chunk = os.read(fd, want - total)
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def head_is_enough(data: bytes, want: int) -> bool:
    """True when the first :data:`FIRST_READ` bytes of a message (``data``) decide its parse.

    That is when the message is shorter, when no more than that was wanted, or
    when the bytes hold a blank line (the end of the header) and not only whitespace.

    Examples
    --------
    >>> head_is_enough(b"Subject: x\\n\\nbody", 65540), head_is_enough(b"x" * FIRST_READ, 65540)
    (True, False)
    """
    if len(data) < FIRST_READ or want <= FIRST_READ:
        return True
    return (b"\n\n" in data or b"\n\r\n" in data) and not data.isspace()


def is_archive(data: bytes) -> bool:
    """Whether ``data`` starts like a 7z, zip, gzip, bzip2 or xz file (:data:`_MAGIC`).

    An archive inside an archive is not opened: it is rejected as ``nested_archive``, so the
    report says to unpack it rather than calling it "not a message".

    Examples
    --------
    >>> is_archive(b"PK\\x03\\x04rest"), is_archive(b"Subject: hi")
    (True, False)
    """
    return any(data.startswith(magic) for magic, _ in _MAGIC)


def _keep(head: bytearray, piece: bytes | bytearray | memoryview, want: int) -> None:
    """Add a member's next ``piece`` to ``head``: its first ``want`` bytes, or all of an mbox.

    Examples
    --------
    >>> head = bytearray()
    >>> for piece in (b"Sub", b"ject: x", b"\\n\\nbody"):
    ...     _keep(head, piece, 6)
    >>> bytes(head)
    b'Subjec'
    """
    room = want - len(head)
    if room > 0:
        head += piece[:room]
    if room < len(piece) and head[:5] == b"From ":
        head += piece[max(room, 0):]


#: Bound on the bytes an archive may inflate to: ``INFLATE_RATIO`` times its size on disk (at
#: least ``INFLATE_FLOOR``), plus one member of ``member_limit``. Mail compresses about 2-10x
#: (the 7z benchmark archive of unique messages: 2.2x); a zip or xz bomb inflates by 1,000 to
#: millions. The floor lets a small archive hold one large (rejected) member, which a solid 7z
#: must still decode to reach the members after it (about 0.1 s per 128 MiB).
INFLATE_RATIO = 1000
INFLATE_FLOOR = 128 * 1024 * 1024


class _Inflation:
    """Counts the bytes an archive inflates to, raising :class:`DataError` past the bound."""

    def __init__(self, task: Task) -> None:
        self.name = task.container.name
        size = task.container.path.stat().st_size
        self.limit = max(INFLATE_RATIO * size, INFLATE_FLOOR) + task.member_limit
        self.total = 0
        self.members = 0

    def add(self, size: int) -> None:
        self.total += size
        if self.total > self.limit:
            raise DataError(
                f"{self.name}: archive decompressed to more than {self.limit} bytes "
                f"({INFLATE_RATIO}x its size, at least {INFLATE_FLOOR}, plus one member "
                f"limit), stopped after "
                f"{self.members} messages: a decompression bomb?")


def unsafe_member_name(name: str) -> bool:
    """True for an archive member name that would escape a folder it were extracted to.

    spamlab never extracts members (names are only labels), but such a name
    marks a hostile or broken archive, and py7zr refuses the whole archive for
    one. So each such member is rejected alone (``unsafe_member_name``), the
    same way in every archive format: empty, absolute, with a ``..`` part, a
    NUL byte or a drive letter.

    Examples
    --------
    >>> [unsafe_member_name(n) for n in ("2011/03/1.txt", "../x", "/etc/x", "C:/x")]
    [False, True, True, True]
    """
    parts = name.replace("\\", "/").split("/")
    return (not name or name.startswith(("/", "\\")) or "\x00" in name or ".." in parts
            or re.match(r"^[A-Za-z]:", name) is not None)


def _bounded_read(stream: IO[bytes], want: int, limit: int) -> tuple[bytes, int]:
    """First ``want`` bytes of a stream (all of an mbox) and its size, reading at most ``limit + 1``."""
    head = bytearray(stream.read(want))
    total = len(head)
    while total <= limit:
        chunk = stream.read(min(_READ_CHUNK, limit + 1 - total))
        if not chunk:
            break
        _keep(head, chunk, want)
        total += len(chunk)
    return bytes(head), total
