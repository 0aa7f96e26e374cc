"""Mail containers: find messages in mbox files, maildirs, folders and archives.

Inputs are expanded into :class:`Container` objects, which are cut into
:class:`Task` work units (a slice of files, a byte range of an mbox, or one
archive). :func:`read_task` hands the start of every message in a task to a
callback, reading as little as possible: only the first ``header_limit`` bytes
of each message (plus a little) are ever kept in memory.

Archives (.zip, .tar, .tar.gz/.bz2/.xz, .7z) are read as streams. Member names
are only used as labels, never as paths to write to, and a member whose size
exceeds ``member_limit`` is reported (``"member_too_large"``) instead of read.

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
import gzip
import itertools
import lzma
import mmap
import os
import re
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from spamlab.errors import DataError, ParameterError
from spamlab.mail.headers import HEADER_LIMIT

#: Default largest accepted message (member) size in an archive, in bytes.
MEMBER_LIMIT = 64 * 1024 * 1024

#: Callback receiving (member label, first bytes of the message, problem or "").
MessageSink = Callable[[str, bytes, str], None]

ARCHIVE_SUFFIXES: dict[str, str] = {
    ".7z": "7z", ".zip": "zip", ".tar": "tar", ".tgz": "tar", ".tar.gz": "tar", ".tbz2": "tar",
    ".tar.bz2": "tar", ".txz": "tar", ".tar.xz": "tar",
}
MBOX_SUFFIXES = (".mbox", ".mbx")
_KNOWN_SUFFIXES = (*ARCHIVE_SUFFIXES, *MBOX_SUFFIXES)
_MAGIC = ((b"7z\xbc\xaf\x27\x1c", "7z"), (b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"),
          (b"\x1f\x8b", "tar"), (b"BZh", "tar"), (b"\xfd7zXZ\x00", "tar"))
_READ_CHUNK = 1024 * 1024
#: Size of the first read of a message file (see :func:`read_head`).
FIRST_READ = 8192
_SEPARATOR = re.compile(rb"(?:\n\n|\n\r\n)From ")


@dataclass(frozen=True)
class Container:
    """One input unit: an mbox, a maildir, an archive, or a tree of message files.

    ``name`` labels the container in every output (the path relative to the
    parent of the input argument, POSIX style), so outputs do not depend on
    where the input lives. ``files`` lists a tree's or maildir's message files
    relative to ``path``.
    """

    kind: str
    path: Path
    name: str
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Task:
    """A unit of work: files ``files`` of a tree, bytes ``[start, stop)`` of an mbox, or an archive."""

    container: Container
    files: tuple[str, ...] = ()
    start: int = 0
    stop: int = 0
    header_limit: int = HEADER_LIMIT
    member_limit: int = MEMBER_LIMIT

    @property
    def files_read(self) -> int:
        """Filesystem files this task opens (a split mbox counts once, in its first chunk)."""
        if self.container.kind in ("tree", "maildir"):
            return len(self.files)
        return 1 if self.start == 0 else 0


def discover(paths: Sequence[str | Path]) -> list[Container]:
    """Expand input paths into containers, in a deterministic (sorted) order.

    A file is classified by its name and, for a file given directly, its first
    bytes: archives by suffix or magic number, mbox by ``.mbox``/``.mbx`` or a
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
        elif (kind := _sniff_file(path)) == "tree":  # a loose message: a one-file tree
            containers.append(Container("tree", path.parent, path.name, (path.name,)))
        else:
            containers.append(Container(kind, path, path.name))
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
    base = root.name or root.resolve().name
    if _is_maildir(root):
        return [Container("maildir", root, base, _maildir_files(root))]
    found: list[Container] = []
    loose: list[str] = []
    prefix = len(os.fspath(root)) + 1
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        here = directory[prefix:].replace(os.sep, "/")
        for sub in [s for s in subdirs if _is_maildir(Path(directory, s))]:
            subdirs.remove(sub)
            label = f"{base}/{here}/{sub}" if here else f"{base}/{sub}"
            found.append(Container("maildir", Path(directory, sub), label,
                                   _maildir_files(Path(directory, sub))))
        for file_name in sorted(files):
            relative = f"{here}/{file_name}" if here else file_name
            kind = _kind_from_name(file_name)
            if kind == "tree":
                loose.append(relative)
            else:
                found.append(Container(kind, Path(directory, file_name), f"{base}/{relative}"))
    if loose:
        found.append(Container("tree", root, base, tuple(loose)))
    return sorted(found, key=lambda c: c.name)


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def _maildir_files(root: Path) -> tuple[str, ...]:
    """Messages of a maildir: files in cur/ and new/ (tmp/ holds deliveries in progress)."""
    names: list[str] = []
    for sub in ("cur", "new"):
        for entry in sorted(os.scandir(root / sub), key=lambda e: e.name):
            if entry.is_file() and not entry.name.startswith("."):
                names.append(f"{sub}/{entry.name}")
    return tuple(names)


def _kind_from_name(name: str) -> str:
    lower = name.lower()
    if lower.endswith(_KNOWN_SUFFIXES):
        for suffix, kind in ARCHIVE_SUFFIXES.items():
            if lower.endswith(suffix):
                return kind
        return "mbox"
    return "mbox" if lower == "mbox" else "tree"


def _sniff_file(path: Path) -> str:
    kind = _kind_from_name(path.name)
    if kind != "tree":
        return kind
    with open(path, "rb") as handle:
        start = handle.read(512)
    for magic, magic_kind in _MAGIC:
        if start.startswith(magic):
            return magic_kind
    if len(start) >= 262 and start[257:262] == b"ustar":
        return "tar"
    return "mbox" if start.startswith(b"From ") else "tree"


def plan_tasks(containers: Sequence[Container], *, files_per_task: int = 2000,
               mbox_bytes_per_task: int = 8 * 1024 * 1024, header_limit: int = HEADER_LIMIT,
               member_limit: int = MEMBER_LIMIT) -> list[Task]:
    """Cut containers into tasks of bounded size, in a deterministic order.

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
        limited = Task(container, header_limit=header_limit, member_limit=member_limit)
        if container.kind in ("tree", "maildir"):
            light = replace(container, files=())  # tasks are pickled: never ship the full list
            for first in range(0, len(container.files), files_per_task):
                chunk = container.files[first:first + files_per_task]
                tasks.append(replace(limited, container=light, files=chunk))
        elif container.kind == "mbox":
            for start, stop in _mbox_ranges(container.path, mbox_bytes_per_task):
                tasks.append(replace(limited, start=start, stop=stop))
        else:
            tasks.append(limited)
    return tasks


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

    A separator starts a line, follows an empty line (or the start of the file).
    """
    if position == 0 and mm[:5] == b"From ":
        return 0
    search = max(position - 1, 0)
    while True:
        found = mm.find(b"\nFrom ", search, stop)
        if found == -1:
            return stop
        before = mm[max(found - 2, 0):found]
        if found == 0 or before.endswith(b"\n") or before == b"\n\r":
            return found + 1
        search = found + 1


def read_task(task: Task, sink: MessageSink) -> int:
    """Pass the start of every message of ``task`` to ``sink``; return the message count.

    ``sink(member, data, problem)`` receives the member label, up to
    ``header_limit + 4`` leading bytes of the message, and ``""`` or a rejection
    reason (``"member_too_large"``, ``"not_a_regular_file"``, ``"unreadable"``).
    """
    readers: dict[str, Callable[[Task, MessageSink], int]] = {
        "tree": _read_files, "maildir": _read_files, "mbox": _read_mbox, "zip": _read_zip,
        "tar": _read_tar, "7z": _read_7z,
    }
    return readers[task.container.kind](task, sink)


def _read_files(task: Task, sink: MessageSink) -> int:
    """One message per file; a file starting with a ``From `` line is read as an mbox."""
    root = os.fspath(task.container.path)
    want = task.header_limit + 4
    count = 0
    for relative in task.files:
        path = os.path.join(root, relative)
        try:
            fd = os.open(path, os.O_RDONLY)
            try:
                data = read_head(fd, want)
            finally:
                os.close(fd)
        except OSError:
            sink(relative, b"", "unreadable")
            count += 1
            continue
        if data.startswith(b"From "):
            count += _read_mbox_range(Path(path), 0, None, want, sink, f"{relative}@")
        else:
            sink(relative, data, "")
            count += 1
    return count


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
    if task.stop <= task.start:
        return 0
    return _read_mbox_range(task.container.path, task.start, task.stop,
                            task.header_limit + 4, sink, "@")


def _read_mbox_range(path: Path, start: int, stop: int | None, want: int, sink: MessageSink,
                     label: str) -> int:
    """Messages of an mbox between byte offsets, labelled ``label + offset``."""
    count = 0
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return 0
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            first_read = min(want, FIRST_READ)
            for first, last in _mbox_messages(mm, start, len(mm) if stop is None else stop):
                body_start = first
                if mm[first:first + 5] == b"From ":  # (text before the first separator has none)
                    line_end = mm.find(b"\n", first, last)
                    body_start = last if line_end == -1 else line_end + 1
                head = mm[body_start:min(body_start + first_read, last)]
                if not head_is_enough(head, want):  # a long header: take up to ``want`` bytes
                    head = mm[body_start:min(body_start + want, last)]
                sink(f"{label}{first}", head, "")
                count += 1
    return count


def _mbox_messages(mm: mmap.mmap, start: int, stop: int) -> Iterator[tuple[int, int]]:
    """(start, stop) of each message between two separator offsets of an mbox.

    Separators are found in one regex pass: ``From `` at the start of the range
    or after an empty line (LF or CRLF).
    """
    starts = [match.end() - 5 for match in _SEPARATOR.finditer(mm, start, stop)]
    if mm[start:start + 5] == b"From ":
        starts.insert(0, start)
    elif mm[start:starts[0] if starts else stop].strip():
        starts.insert(0, start)  # text before the first separator: a message without From_ line
    starts.append(stop)
    return itertools.pairwise(starts)


def _bounded_read(stream: IO[bytes], want: int, limit: int) -> tuple[bytes, bool]:
    """First ``want`` bytes of a stream, reading the rest in chunks only to check ``limit``."""
    data = stream.read(want)
    total = len(data)
    while total <= limit:
        chunk = stream.read(_READ_CHUNK)
        if not chunk:
            return data, False
        total += len(chunk)
    return data, True


def _read_zip(task: Task, sink: MessageSink) -> int:
    count = 0
    try:
        archive = zipfile.ZipFile(task.container.path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"{task.container.name}: not a readable zip archive ({exc})") from None
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            count += 1
            if info.file_size > task.member_limit:
                sink(info.filename, b"", "member_too_large")
                continue
            try:
                with archive.open(info) as stream:
                    data, too_large = _bounded_read(stream, task.header_limit + 4,
                                                    task.member_limit)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
                sink(info.filename, b"", "unreadable")
                continue
            sink(info.filename, data, "member_too_large" if too_large else "")
    return count


def _read_tar(task: Task, sink: MessageSink) -> int:
    """Members of a tar archive (plain or gz/bz2/xz-compressed), read sequentially.

    A truncated archive raises :class:`DataError` (the members read so far have
    already been passed to ``sink``).
    """
    count = 0
    name = task.container.name
    try:
        with tarfile.open(task.container.path, mode="r:*") as archive:
            for member in archive:
                count += _tar_member(archive, member, task, sink)
            _check_tar_end(archive, task.container.path, name)
    except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError) as exc:
        raise DataError(f"{name}: tar archive unreadable or truncated after {count} "
                        f"messages ({exc})") from None
    return count


def _check_tar_end(archive: tarfile.TarFile, path: Path, name: str) -> None:
    """Raise when the last member's data runs past the end of an uncompressed tar."""
    raw = archive.fileobj
    if isinstance(raw, (gzip.GzipFile, bz2.BZ2File, lzma.LZMAFile)):
        while raw.read(_READ_CHUNK):  # decompressing to the end detects a truncated stream
            pass
    elif archive.offset > path.stat().st_size:
        raise DataError(f"{name}: tar archive is truncated (last member runs past the end)")


def _tar_member(archive: tarfile.TarFile, member: tarfile.TarInfo, task: Task,
                sink: MessageSink) -> int:
    if member.isdir():
        return 0
    if not member.isfile():
        sink(member.name, b"", "not_a_regular_file")
    elif member.size > task.member_limit:
        sink(member.name, b"", "member_too_large")
    else:
        stream = archive.extractfile(member)
        sink(member.name, stream.read(task.header_limit + 4) if stream else b"", "")
    return 1


def _read_7z(task: Task, sink: MessageSink) -> int:
    """Members of a 7z archive, streamed: each member's head goes to ``sink`` as it completes.

    Archives of plain files in simple folders (what 7-Zip and py7zr write) are
    decompressed folder by folder and cut into members here
    (:func:`_read_7z_folders`), which is several times faster than py7zr's
    per-member extraction; anything else goes through py7zr
    (:func:`_read_7z_py7zr`). Both hand ``sink`` the same calls in the same
    order (tests/ingest/test_containers.py compares them). Nothing is written
    to disk.

    The folder reader uses py7zr internals (``archive.header``, ``afterheader``,
    ``py7zr.compressor.SevenZipDecompressor``) and the general reader relies on
    py7zr calling each writer's ``close()`` when its member is complete (py7zr
    1.1.3 and later), so ``pyproject.toml`` pins py7zr to ``>=1.1.3,<1.2``, the
    versions the tests ran with.
    """
    import py7zr  # deferred to keep start-up fast (~0.1 s): only 7z inputs need it

    name = task.container.name
    try:
        with open(task.container.path, "rb") as handle, \
                py7zr.SevenZipFile(handle, mode="r") as archive:
            members = [f for f in archive.files if not f.is_directory]
            for member in members:
                if member.uncompressed > task.member_limit:
                    sink(member.filename, b"", "member_too_large")
            plan = _7z_folder_plan(archive, members) if FAST_7Z else None
            if plan is None:
                _read_7z_py7zr(archive, members, task, sink)
            else:
                for member in members:  # py7zr creates empty files before any stream
                    if member.emptystream:
                        sink(member.filename, b"", "")
                _read_7z_folders(handle, plan, task, sink)
    except (py7zr.Bad7zFile, py7zr.exceptions.ArchiveError, py7zr.PasswordRequired,
            py7zr.UnsupportedCompressionMethodError, OSError, EOFError, ValueError,
            lzma.LZMAError) as exc:
        raise DataError(f"{name}: not a readable 7z archive ({exc})") from None
    return len(members)


def _read_7z_py7zr(archive: object, members: list, task: Task, sink: MessageSink) -> None:
    """The general 7z reader: py7zr extracts into :class:`_HeadWriter` objects."""
    wanted = [f.filename for f in members if f.uncompressed <= task.member_limit]
    factory = _HeadFactory(task.header_limit + 4, task.member_limit, sink)
    if wanted:
        archive.extract(targets=wanted, factory=factory)  # type: ignore[attr-defined]
    if factory.completed != len(wanted):
        raise DataError(f"{task.container.name}: 7z archive yielded {factory.completed} of "
                        f"{len(wanted)} members")


def _7z_folder_plan(archive: object, members: list) -> list[tuple[object, int, int, list]] | None:
    """(folder, offset and size of its packed stream, its members) per folder, or ``None``.

    ``None`` sends the archive to py7zr: when a member is a link or has a name
    that py7zr would rewrite, when a folder has more than one packed stream or a
    coder outside :data:`_STDLIB_7Z_METHODS`, or when the file table does not add
    up. Empty files (no stream) are in no folder.
    """
    header = archive.header  # type: ignore[attr-defined]
    streams = getattr(header, "main_streams", None)
    if streams is None or streams.substreamsinfo is None or not members:
        return None
    for member in members:
        name = member.filename
        if (member.is_symlink or not name or name.startswith("/")
                or "\\" in name or "\x00" in name or ".." in name.split("/")):
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


def _read_7z_folders(handle: IO[bytes], plan: list, task: Task, sink: MessageSink) -> None:
    """Decompress each folder once and cut it into members by the sizes in the header.

    Members over the limit are decompressed but not kept (their rejection was
    reported already). Each member's CRC is checked when the archive has one.
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
                    if not buffer:
                        raise DataError(f"{name}: 7z archive ends inside member {member.filename}")
                piece = memoryview(buffer)[position:position + size]
                position += len(piece)
                size -= len(piece)
                if len(head) < want:
                    head += piece[:want - len(head)]
                if check:
                    crc = zlib.crc32(piece, crc)
            if check and crc != member.crc32:
                raise DataError(f"{name}: member {member.filename} fails its CRC check")
            if member.uncompressed <= task.member_limit:
                sink(member.filename, bytes(head), "")


class _HeadWriter:
    """py7zr writer keeping the first ``want`` bytes of a member and counting the rest.

    When py7zr closes it (the member is complete), the head goes to ``on_close``.
    """

    def __init__(self, label: str, want: int, limit: int,
                 on_close: Callable[[str, bytes, bool], None]) -> None:
        self.label, self.want, self.limit, self.on_close = label, want, limit, on_close
        self.total = 0
        self.head = bytearray()
        self.done = False

    def write(self, data: bytes | bytearray) -> int:
        room = self.want - len(self.head)
        if room > 0:
            self.head += data[:room]
        self.total += len(data)
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
            self.on_close(self.label, bytes(self.head), self.total > self.limit)
            self.head = bytearray()


class _HeadFactory:
    """py7zr writer factory: one :class:`_HeadWriter` per member, reporting to ``sink``."""

    def __init__(self, want: int, limit: int, sink: MessageSink) -> None:
        self.want, self.limit, self.sink = want, limit, sink
        self.prefix = Path.cwd().as_posix().rstrip("/") + "/"
        self.completed = 0

    def create(self, filename: str) -> _HeadWriter:
        label = filename.removeprefix(self.prefix)
        return _HeadWriter(label, self.want, self.limit, self._finished)

    def _finished(self, label: str, head: bytes, too_large: bool) -> None:
        self.completed += 1
        self.sink(label, head, "member_too_large" if too_large else "")
