"""Mail containers: find messages in mbox files, maildirs, folders and archives.

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

import bz2
import errno
import gzip
import itertools
import lzma
import mmap
import os
import re
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Self

from spamlab.errors import DataError, ParameterError
from spamlab.mail.headers import HEADER_LIMIT, line_end

#: Default largest accepted message (member) size in an archive, in bytes.
MEMBER_LIMIT = 64 * 1024 * 1024

#: Callback receiving (member label, first bytes of the message, problem or "").
MessageSink = Callable[[str, bytes, str], None]

ARCHIVE_SUFFIXES: dict[str, str] = {
    ".7z": "7z", ".zip": "zip", ".tar": "tar", ".tgz": "tar", ".tar.gz": "tar", ".tbz2": "tar",
    ".tar.bz2": "tar", ".txz": "tar", ".tar.xz": "tar",
}
MBOX_SUFFIXES = (".mbox", ".mbx")
#: A single compressed file (not a tar): read as what it decompresses to (an mbox or a message).
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz")
_KNOWN_SUFFIXES = (*ARCHIVE_SUFFIXES, *MBOX_SUFFIXES, *COMPRESSED_SUFFIXES)
_Decompressed = gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile
_MAGIC = ((b"7z\xbc\xaf\x27\x1c", "7z"), (b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"),
          (b"\x1f\x8b", "tar"), (b"BZh", "tar"), (b"\xfd7zXZ\x00", "tar"))
_READ_CHUNK = 1024 * 1024
#: Size of the first read of a message file (see :func:`read_head`).
FIRST_READ = 8192
#: A ``From_`` line as mbox writers put it: sender, then an asctime date ending in the year
#: (``From MAILER-DAEMON Wed Mar 16 14:45:00 2011``, ``... 14:45:00 +0000 2011``, ``... 14:45 2011``).
_FROM_LINE = (rb"From [^\s]+[ \t]+[A-Z][a-z]{2}[ \t]+[A-Z][a-z]{2}[ \t]+\d{1,2}[ \t]+"
              rb"\d{1,2}:\d\d(?::\d\d)?(?:[ \t]+[^\s]+)?[ \t]+\d{4}[ \t]*\r?\n")
#: A message separator: ``From `` after an empty line (LF, CRLF or CR-only line endings), or a
#: whole ``From_`` line right after the previous message's last line (writers that add no blank
#: line between).
_SEPARATOR = re.compile(rb"(?:\n(?:\r?\n|(?=" + _FROM_LINE + rb"))|\r\r)From ")


@dataclass(frozen=True)
class Container:
    """One input unit: an mbox, a maildir, an archive, or a tree of message files.

    ``name`` labels the container in every output (the path relative to the
    parent of the input argument, POSIX style), so outputs do not depend on
    where the input lives. ``files`` lists a tree's or maildir's message files
    relative to ``path``; ``special`` those of them that discovery found not to
    be regular files (symlinks, FIFOs, sockets, devices), which are rejected
    without being opened.
    """

    kind: str
    path: Path
    name: str
    files: tuple[str, ...] = ()
    special: frozenset[str] = frozenset()


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


def discover(paths: Sequence[str | Path]) -> list[Container]:
    """Expand input paths into containers, in a deterministic (sorted) order.

    A file is classified by its name and, for a file given directly, its first
    bytes: archives by suffix or magic number (a .gz/.bz2/.xz file holding no tar is
    ``"compressed"``: an mbox or message once decompressed), mbox by ``.mbox``/``.mbx`` or a
    leading ``From `` line, anything else is a single message. A directory with
    ``cur/`` and ``new/`` is a maildir; any other directory is walked, its loose
    files forming one ``tree`` container per input argument.

    Raises
    ------
    DataError
        When a path does not exist.

    Examples
    --------
    >>> discover(["/nonexistent/trap.mbox"])
    Traceback (most recent call last):
    ...
    spamlab.errors.DataError: /nonexistent/trap.mbox: input path does not exist
    """
    containers: list[Container] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise DataError(f"{raw}: input path does not exist")
        if path.is_dir():
            containers.extend(_walk_directory(path))
        elif not path.is_file():
            raise DataError(f"{raw}: not a regular file or folder (a FIFO, socket or device "
                            "cannot be read as mail)")
        elif (kind := _sniff_file(path)) == "tree":  # a loose message: a one-file tree
            real = path.resolve()  # a symlink given by name is followed; its name is the label
            containers.append(Container("tree", real.parent, printable_name(path.name),
                                        (real.name,)))
        else:
            containers.append(Container(kind, path, printable_name(path.name)))
    _check_unique_names(containers)
    return containers


def _check_unique_names(containers: Sequence[Container]) -> None:
    """Container names label every output row, so two inputs may not share one."""
    seen: dict[str, Path] = {}
    for container in containers:
        other = seen.setdefault(container.name, container.path)
        if other is not container.path:
            raise DataError(
                f"inputs {other} and {container.path} would both be labelled "
                f"{container.name!r} (the same path twice, or two folders with the same name); "
                "pass each input once, or their common parent folder"
            )


def _walk_directory(root: Path) -> list[Container]:
    """Containers under a folder given as input.

    Folders are walked without following symbolic links. Regular files are
    classified by name; every other entry (a symlink, to a file or a folder, a
    FIFO, a socket, a device) joins the loose files of the ``tree`` container,
    whose reader rejects it with a reason (:func:`_read_files`) instead of
    following, blocking on or skipping it silently.
    """
    base = printable_name(root.name or root.resolve().name)
    if _is_maildir(root):
        return [_maildir(root, base)]
    found: list[Container] = []
    loose: list[str] = []
    special: set[str] = set()
    pending = [(os.fspath(root), "")]
    while pending:
        directory, here = pending.pop()
        with os.scandir(directory) as listing:
            entries = sorted(listing, key=lambda e: e.name)
        for entry in entries:
            relative = f"{here}/{entry.name}" if here else entry.name
            if entry.is_dir(follow_symlinks=False):
                if _is_maildir(Path(entry.path)):
                    found.append(_maildir(Path(entry.path), f"{base}/{printable_name(relative)}"))
                else:
                    pending.append((entry.path, relative))
            elif not entry.is_file(follow_symlinks=False):
                loose.append(relative)
                special.add(relative)
            elif (kind := _kind_from_name(entry.name)) != "tree":
                if kind == "compressed":
                    kind = _compressed_kind(Path(entry.path))
                found.append(Container(kind, Path(entry.path),
                                       f"{base}/{printable_name(relative)}"))
            else:
                loose.append(relative)
    if loose:
        found.append(Container("tree", root, base, tuple(sorted(loose)), frozenset(special)))
    return sorted(found, key=lambda c: c.name)


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def _maildir(root: Path, label: str) -> Container:
    """A maildir's messages: entries of cur/ and new/ (tmp/ holds deliveries in progress).

    Hidden files and sub-folders are left out; symlinks and special files are
    listed (and marked ``special``), for the reader to reject with a reason.
    """
    names: list[str] = []
    special: set[str] = set()
    for sub in ("cur", "new"):
        for entry in sorted(os.scandir(root / sub), key=lambda e: e.name):
            if not entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
                names.append(f"{sub}/{entry.name}")
                if not entry.is_file(follow_symlinks=False):
                    special.add(names[-1])
    return Container("maildir", root, label, tuple(names), frozenset(special))


def printable_name(name: str) -> str:
    """A file or member name as printable UTF-8 text: undecodable bytes become ``\\xNN``.

    Names come from the filesystem or an archive as ``str`` holding surrogate escapes
    (:func:`os.fsdecode`) for bytes that are not UTF-8; such a name cannot be written
    to Arrow, Parquet or JSON, so every label passes through here first.

    Examples
    --------
    >>> printable_name(os.fsdecode(b"caf\\xe9.eml")), printable_name("café.eml")
    ('caf\\\\xe9.eml', 'café.eml')
    """
    try:
        raw = os.fsencode(name)
    except UnicodeEncodeError:  # a surrogate that no byte escapes to
        return name.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def _kind_from_name(name: str) -> str:
    lower = name.lower()
    if lower.endswith(_KNOWN_SUFFIXES):
        for suffix, kind in ARCHIVE_SUFFIXES.items():
            if lower.endswith(suffix):
                return kind
        return "compressed" if lower.endswith(COMPRESSED_SUFFIXES) else "mbox"
    return "mbox" if lower == "mbox" else "tree"


def _compressed_kind(path: Path) -> str:
    """``"tar"`` for a compressed tar, else ``"compressed"`` (a compressed mbox or message).

    Only the first 512 decompressed bytes are read: a tar starts with a header
    block holding ``ustar`` at offset 257. A file that cannot be decompressed is
    ``"compressed"``, whose reader reports it.
    """
    try:
        stream = _decompressing(path)
        if stream is None:
            return "compressed"
        with stream:
            start = stream.read(512)
    except (OSError, EOFError, lzma.LZMAError, zlib.error):
        return "compressed"
    return "tar" if start[257:262] == b"ustar" else "compressed"


def _decompressing(path: Path) -> _Decompressed | None:
    """A decompressing reader of a gzip, bzip2 or xz file, by its magic number (else ``None``)."""
    with open(path, "rb") as handle:
        magic = handle.read(6)
    if magic.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(path)
    if magic.startswith(b"BZh"):
        return bz2.BZ2File(path)
    return lzma.LZMAFile(path) if magic.startswith(b"\xfd7zXZ\x00") else None


def _sniff_file(path: Path) -> str:
    kind = _kind_from_name(path.name)
    if kind == "compressed":
        return _compressed_kind(path)
    if kind != "tree":
        return kind
    with open(path, "rb") as handle:
        start = handle.read(512)
    for magic, magic_kind in _MAGIC:
        if start.startswith(magic):
            return _compressed_kind(path) if magic_kind == "tar" else magic_kind
    if len(start) >= 262 and start[257:262] == b"ustar":
        return "tar"
    return "mbox" if start.startswith(b"From ") else "tree"


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


#: Container kinds whose members may each be an mbox (:class:`_MboxMembers`).
ARCHIVE_KINDS = frozenset({"zip", "tar", "7z"})


class _MboxMembers:
    """Sink wrapper splitting archive members that are mboxes into their messages.

    The archive readers keep the whole of a member that starts with a ``From ``
    line (:func:`_keep`, at most ``--member-limit`` bytes); its messages are
    labelled ``member@offset``, as a message file holding an mbox is. ``extra``
    counts the messages beyond one per member. A member that is itself an archive
    is rejected as ``nested_archive`` (:func:`is_archive`).
    """

    def __init__(self, sink: MessageSink, want: int) -> None:
        self.sink, self.want, self.extra = sink, want, 0

    def __call__(self, member: str, data: bytes, problem: str) -> None:
        if not problem and is_archive(data):
            self.sink(member, data, "nested_archive")
        elif problem or not data.startswith(b"From "):
            self.sink(member, data, problem)
        else:
            self.extra += _split_mbox(data, 0, len(data), self.want, self.sink, f"{member}@") - 1


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


def _read_compressed(task: Task, sink: MessageSink) -> int:
    """A gzip, bzip2 or xz file that is not a tar: an mbox, or one message, once decompressed.

    At most ``member_limit`` decompressed bytes are read: a larger content is
    rejected as ``member_too_large``. Labels are ``@offset`` in the decompressed
    bytes, as for an mbox.

    Raises
    ------
    DataError
        When the file is not a complete gzip, bzip2 or xz stream.
    """
    path = task.container.path
    want = task.header_limit + 4
    try:
        stream = _decompressing(path)
        if stream is None:
            raise DataError(f"{task.container.name}: named like a compressed file but not gzip, "
                            "bzip2 or xz; rename or recompress it")
        with stream:
            data, total = _bounded_read(stream, want, task.member_limit)  # type: ignore[arg-type]
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
        raise DataError(f"{task.container.name}: compressed file unreadable or truncated "
                        f"({exc}); check or re-download it") from None
    if total > task.member_limit:
        sink("@0", b"", "member_too_large")
        return 1
    if is_archive(data):
        sink("@0", data[:want], "nested_archive")
        return 1
    if data.startswith(b"From "):
        return _split_mbox(data, 0, len(data), want, sink, "@")
    sink("@0", data, "")
    return 1


def _read_zip(task: Task, sink: MessageSink) -> int:
    """Members of a zip archive, each read as a bounded stream.

    Entries whose data overlaps an earlier entry's (one compressed stream listed
    many times: a zip bomb) are rejected as ``overlapping_member`` without
    being inflated; the inflated total is bounded (:class:`_Inflation`).
    """
    try:
        archive = zipfile.ZipFile(task.container.path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"{task.container.name}: not a readable zip archive ({exc})") from None
    inflation = _Inflation(task)
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        overlapping = _overlapping_entries(members)
        for index, info in enumerate(members):
            data = b""
            problem = _zip_problem(info, index in overlapping, task.member_limit)
            if not problem:
                try:
                    with archive.open(info) as stream:
                        data, size = _bounded_read(stream, task.header_limit + 4,
                                                   task.member_limit)
                except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError,
                        RuntimeError):
                    problem = "unreadable"
                else:
                    inflation.add(size)
                    problem = "member_too_large" if size > task.member_limit else ""
            sink(info.filename, b"" if problem else data, problem)
            inflation.members += 1
    return len(members)


def _zip_problem(info: zipfile.ZipInfo, overlapping: bool, limit: int) -> str:
    if unsafe_member_name(info.filename):
        return "unsafe_member_name"
    kind = stat.S_IFMT(info.external_attr >> 16)  # the Unix file type, when one was recorded
    if kind not in (0, stat.S_IFREG):
        return "not_a_regular_file"  # (a symlink stores its target as the data)
    if overlapping:
        return "overlapping_member"
    return "member_too_large" if info.file_size > limit else ""


def _overlapping_entries(members: Sequence[zipfile.ZipInfo]) -> set[int]:
    """Indices of zip entries whose bytes start inside an earlier-placed entry's bytes.

    Each entry spans its local header (30 bytes and the name) and its
    compressed data; of entries that overlap, the first in file order is kept.
    """
    order = sorted(range(len(members)), key=lambda i: (members[i].header_offset, i))
    overlapping: set[int] = set()
    end = -1
    for index in order:
        info = members[index]
        if info.header_offset < end:
            overlapping.add(index)
            continue
        end = info.header_offset + 30 + len(info.orig_filename.encode("utf-8", "surrogateescape")) \
            + info.compress_size
    return overlapping


def _read_tar(task: Task, sink: MessageSink) -> int:
    """Members of a tar archive (plain or gz/bz2/xz-compressed), read sequentially.

    A truncated archive raises :class:`DataError` (the members read so far have
    already been passed to ``sink``): a compressed stream that ends early, a
    member running past the end, or an archive without its end-of-archive
    blocks (cut at a member or header boundary, which ``tarfile`` takes for the end).
    """
    count = 0
    name = task.container.name
    inflation = _Inflation(task)
    try:
        with tarfile.open(task.container.path, mode="r:*",
                          tarinfo=_EndMarkedTarInfo) as archive:
            for member in archive:
                count += _tar_member(archive, member, task, sink)
                inflation.members = count
                inflation.add(archive.offset - inflation.total)
            _check_tar_end(archive, name, count)
    except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError) as exc:
        raise DataError(f"{name}: tar archive unreadable or truncated after {count} "
                        f"messages ({exc})") from None
    return count


class _EndMarkedTarInfo(tarfile.TarInfo):
    """Records on the archive when ``tarfile`` stopped at a zero block (the end-of-archive mark).

    ``tarfile`` also stops, silently, at a missing, short or garbled header;
    this tells those truncations apart without seeking back (which would
    decompress a compressed archive again from its start).
    """

    @classmethod
    def fromtarfile(cls, archive: tarfile.TarFile) -> Self:
        try:
            return super().fromtarfile(archive)
        except tarfile.EOFHeaderError:  # type: ignore[attr-defined]
            setattr(archive, "_spamlab_end_block", True)  # noqa: B010
            raise


def _check_tar_end(archive: tarfile.TarFile, name: str, count: int) -> None:
    """Raise unless the archive stopped at its two zero blocks, and its stream is complete."""
    raw = archive.fileobj
    second = raw.read(tarfile.BLOCKSIZE)
    if not getattr(archive, "_spamlab_end_block", False) \
            or len(second) < tarfile.BLOCKSIZE or second.count(0) != len(second):
        raise DataError(f"{name}: tar archive is truncated after {count} messages "
                        "(no end-of-archive blocks after the last complete member)")
    if isinstance(raw, (gzip.GzipFile, bz2.BZ2File, lzma.LZMAFile)):
        while raw.read(_READ_CHUNK):  # decompressing to the end detects a truncated stream
            pass


def _tar_member(archive: tarfile.TarFile, member: tarfile.TarInfo, task: Task,
                sink: MessageSink) -> int:
    if member.isdir():
        return 0
    if unsafe_member_name(member.name):
        sink(member.name, b"", "unsafe_member_name")
    elif not member.isfile():
        sink(member.name, b"", "not_a_regular_file")
    elif member.size > task.member_limit:
        sink(member.name, b"", "member_too_large")
    else:
        stream = archive.extractfile(member)
        data = stream.read(task.header_limit + 4) if stream else b""
        if stream and data.startswith(b"From "):  # an mbox: all of it (at most --member-limit)
            data += stream.read()
        sink(member.name, data, "")
    return 1


def _read_7z(task: Task, sink: MessageSink) -> int:
    """Members of a 7z archive, streamed: each member's head goes to ``sink`` as it completes.

    Archives of plain files in simple folders (what 7-Zip and py7zr write) are
    decompressed folder by folder and cut into members here
    (:func:`_read_7z_folders`), which is several times faster than py7zr's
    per-member extraction; anything else goes through py7zr
    (:func:`_read_7z_py7zr`). Both hand ``sink`` the same calls in the same
    order (tests/ingest/test_containers.py compares them). Nothing is written
    to disk and member names never become paths: a member with an unsafe name
    (:func:`unsafe_member_name`) or a link is rejected alone, whatever the
    working directory holds.

    The folder reader uses py7zr internals (``archive.header``, ``afterheader``,
    ``py7zr.compressor.SevenZipDecompressor``) and the general reader registers
    in-memory writers with py7zr's worker (``archive.worker``, ``py7zr.io.MemIO``)
    and relies on py7zr calling each writer's ``close()`` when its member is
    complete (py7zr 1.1.3 and later), so ``pyproject.toml`` pins py7zr to
    ``>=1.1.3,<1.2``, the versions the tests ran with.
    """
    import py7zr  # deferred to keep start-up fast (~0.1 s): only 7z inputs need it

    name = task.container.name
    try:
        with open(task.container.path, "rb") as handle, \
                py7zr.SevenZipFile(handle, mode="r") as archive:
            members = [f for f in archive.files if not f.is_directory]
            problems = {m.id: _7z_problem(m, task.member_limit) for m in members}
            first_part = task.start == 0  # reports what is not in a folder (see plan_tasks)
            for member in members:
                if problems[member.id] and first_part:
                    sink(member.filename, b"", problems[member.id])
            plan = _7z_folder_plan(archive, members) if FAST_7Z else None
            inflation = _Inflation(task)
            if plan is None:
                if first_part:
                    _read_7z_py7zr(archive, members, problems, task, sink, inflation)
                return len(members) if first_part else 0
            for member in members:  # py7zr creates empty files before any stream
                if member.emptystream and not problems[member.id] and first_part:
                    sink(member.filename, b"", "")
            mine = folders_of_part(plan, task.start, task.stop)
            _read_7z_folders(handle, mine, problems, task, sink, inflation)
    except (py7zr.Bad7zFile, py7zr.exceptions.ArchiveError, py7zr.PasswordRequired,
            py7zr.UnsupportedCompressionMethodError, OSError, EOFError, ValueError,
            lzma.LZMAError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{name}: not a readable 7z archive ({exc})") from None
    in_folders = sum(not problems[m.id] for entry in mine for m in entry[3])
    elsewhere = sum(bool(problems[m.id]) or m.emptystream for m in members) if first_part else 0
    return in_folders + elsewhere


def _7z_problem(member: object, limit: int) -> str:
    """Why a 7z member is rejected before reading (``""``: it is read)."""
    if unsafe_member_name(member.filename):  # type: ignore[attr-defined]
        return "unsafe_member_name"
    if any(getattr(member, flag, False) for flag in ("is_symlink", "is_junction", "is_socket")):
        return "not_a_regular_file"
    return "member_too_large" if member.uncompressed > limit else ""  # type: ignore[attr-defined]


def _read_7z_py7zr(archive: object, members: list, problems: dict[int, str], task: Task,
                   sink: MessageSink, inflation: _Inflation) -> None:
    """The general 7z reader: py7zr's worker decodes into :class:`_HeadWriter` objects.

    The writers are registered with the worker directly (as ``extract()`` would,
    but without its path checks, which resolve member names against the working
    directory), so nothing depends on the filesystem.
    """
    from py7zr.io import MemIO  # deferred with py7zr (see _read_7z)

    factory = _HeadFactory(task.header_limit + 4, task.member_limit, sink, inflation)
    worker = archive.worker  # type: ignore[attr-defined]
    wanted = {m.id for m in members if not problems[m.id]}
    for member in archive.files:  # type: ignore[attr-defined]
        writer = MemIO(member.filename, factory) if member.id in wanted else None  # type: ignore[arg-type]
        worker.register_filelike(member.id, writer)
    if wanted:
        worker.extract(archive.fp, None, parallel=False)  # type: ignore[attr-defined]
    if factory.completed != len(wanted):
        raise DataError(f"{task.container.name}: 7z archive yielded {factory.completed} of "
                        f"{len(wanted)} members")


def _7z_folder_plan(archive: object, members: list) -> list[tuple[object, int, int, list]] | None:
    """(folder, offset and size of its packed stream, its members) per folder, or ``None``.

    ``None`` sends the archive to py7zr: when a member is a link, when a folder
    has more than one packed stream or a
    coder outside :data:`_STDLIB_7Z_METHODS`, or when the file table does not add
    up. Empty files (no stream) are in no folder.
    """
    header = archive.header  # type: ignore[attr-defined]
    streams = getattr(header, "main_streams", None)
    if streams is None or streams.substreamsinfo is None or not members:
        return None
    if any(member.is_symlink for member in members):
        return None
    members = [m for m in members if not m.emptystream]
    folders = streams.unpackinfo.folders
    counts = streams.substreamsinfo.num_unpackstreams_folders
    packs = streams.packinfo
    if len(counts) != len(folders) or sum(counts) != len(members) \
            or len(packs.packpositions) < len(folders) + 1:
        return None
    plan, first = [], 0
    base = archive.afterheader + packs.packpos  # type: ignore[attr-defined]
    for index, (folder, count) in enumerate(zip(folders, counts)):
        chunk = members[first:first + count]
        first += count
        methods = [bytes(coder["method"]) for coder in folder.coders]
        if not set(methods) <= _STDLIB_7Z_METHODS or (_LZMA1 in methods and _BCJ_X86 in methods):
            return None  # (py7zr pairs LZMA with BCJ through the third-party bcj module)
        if len(folder.packed_indices) != 1 \
                or sum(m.uncompressed for m in chunk) != folder.get_unpack_size():
            return None
        plan.append((folder, base + packs.packpositions[index], packs.packsizes[index], chunk))
    return plan


#: Read simple 7z archives folder by folder (:func:`_read_7z_folders`); ``False`` sends every
#: archive through py7zr's extraction (the tests compare the two).
FAST_7Z = True
_LZMA1, _BCJ_X86 = b"\x03\x01\x01", b"\x03\x03\x01\x03"
#: 7z coders the folder reader takes: those py7zr decodes with the standard library's lzma,
#: zlib and bz2 (LZMA2, LZMA, Delta, BCJ x86, Copy, Deflate, BZip2). Archives using other
#: coders (PPMd, Zstandard, Brotli, Deflate64, ARM filters, AES) go through py7zr's own
#: extraction: in testing, the PPMd decoder (pyppmd) once aborted the process when used this way.
_STDLIB_7Z_METHODS = frozenset({b"!", _LZMA1, b"\x03", _BCJ_X86, b"\x00", b"\x04\x01\x08",
                                b"\x04\x02\x02"})
#: Bytes of decompressed 7z data handled per step (bounds the memory a member can take).
_7Z_STEP = 1024 * 1024


def _read_7z_folders(handle: IO[bytes], plan: list, problems: dict[int, str], task: Task,
                     sink: MessageSink, inflation: _Inflation) -> None:
    """Decompress each folder once and cut it into members by the sizes in the header.

    Rejected members (``problems``) are decompressed but not kept (their
    rejection was reported already). Each member's CRC is checked when the
    archive has one.
    """
    from py7zr.compressor import SevenZipDecompressor  # deferred with py7zr (see _read_7z)

    want = task.header_limit + 4
    name = task.container.name
    for folder, offset, packed_size, members in plan:
        handle.seek(offset)
        decompressor = SevenZipDecompressor(folder.coders, packed_size, folder.unpacksizes,
                                            folder.crc)
        buffer, position = b"", 0
        for member in members:
            size, crc, head = member.uncompressed, 0, bytearray()
            check = member.crc32 is not None
            while size > 0:
                if position == len(buffer):
                    buffer, position = decompressor.decompress(handle, _7Z_STEP), 0
                    inflation.add(len(buffer))
                    if not buffer:
                        raise DataError(f"{name}: 7z archive ends inside member {member.filename}")
                piece = memoryview(buffer)[position:position + size]
                position += len(piece)
                size -= len(piece)
                _keep(head, piece, want)
                if check:
                    crc = zlib.crc32(piece, crc)
            if check and crc != member.crc32:
                raise DataError(f"{name}: member {member.filename} fails its CRC check")
            if not problems[member.id]:
                sink(member.filename, bytes(head), "")
                inflation.members += 1


class _HeadWriter:
    """py7zr writer keeping the first ``want`` bytes of a member and counting the rest.

    Every byte written counts towards the archive's ``inflation`` bound. When
    py7zr closes the writer (the member is complete), the head goes to ``on_close``.
    """

    def __init__(self, label: str, want: int, inflation: _Inflation,
                 on_close: Callable[[str, bytes, int], None]) -> None:
        self.label, self.want, self.inflation, self.on_close = label, want, inflation, on_close
        self.total = 0
        self.head = bytearray()
        self.done = False

    def write(self, data: bytes | bytearray) -> int:
        _keep(self.head, data, self.want)
        self.total += len(data)
        self.inflation.add(len(data))
        return len(data)

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def flush(self) -> None:
        return None

    def size(self) -> int:
        return self.total

    def close(self) -> None:
        if not self.done:
            self.done = True
            self.on_close(self.label, bytes(self.head), self.total)
            self.head = bytearray()


class _HeadFactory:
    """py7zr writer factory: one :class:`_HeadWriter` per member (named by its member name)."""

    def __init__(self, want: int, limit: int, sink: MessageSink, inflation: _Inflation) -> None:
        self.want, self.limit, self.sink, self.inflation = want, limit, sink, inflation
        self.completed = 0

    def create(self, filename: str) -> _HeadWriter:
        return _HeadWriter(filename, self.want, self.inflation, self._finished)

    def _finished(self, label: str, head: bytes, size: int) -> None:
        self.completed += 1
        self.inflation.members += 1
        self.sink(label, head, "member_too_large" if size > self.limit else "")
