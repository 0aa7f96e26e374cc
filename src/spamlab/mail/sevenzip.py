"""Reading 7z archives: folder by folder where the coders allow, else through py7zr."""

from __future__ import annotations

import lzma
import zlib
from collections.abc import Callable
from typing import IO

from spamlab.errors import DataError
from spamlab.mail.folder_decoder import STEP, decoded_folder
from spamlab.mail.planning import Task, folders_of_part
from spamlab.mail.reading import MessageSink, _Inflation, _keep, unsafe_member_name

__all__ = [
    "FAST_7Z",
]


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
            kinds: dict[object, bool] = {}
            problems = {m.id: _7z_problem(m, task.member_limit, kinds) for m in members}
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


def _7z_problem(member: object, limit: int, kinds: dict[object, bool]) -> str:
    """Why a 7z member is rejected before reading (``""``: it is read).

    Whether a member is a link, junction or socket depends only on its ``attributes``
    word, which an archive repeats for nearly every member; ``kinds`` remembers the answer
    per word (py7zr's properties cost about 2 us per member, 0.1 s on 60,000 members).
    """
    if unsafe_member_name(member.filename):  # type: ignore[attr-defined]
        return "unsafe_member_name"
    if _not_regular(member, kinds):
        return "not_a_regular_file"
    return "member_too_large" if member.uncompressed > limit else ""  # type: ignore[attr-defined]


_LINK_FLAGS = ("is_symlink", "is_junction", "is_socket")


def _not_regular(member: object, kinds: dict[object, bool]) -> bool:
    """Whether py7zr reads ``member`` as a link, junction or socket (cached by attributes)."""
    word = member._file_info.get("attributes")  # type: ignore[attr-defined]
    if word not in kinds:
        kinds[word] = any(getattr(member, flag, False) for flag in _LINK_FLAGS)
    return kinds[word]


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
_7Z_STEP = STEP


def _read_7z_folders(handle: IO[bytes], plan: list, problems: dict[int, str], task: Task,
                     sink: MessageSink, inflation: _Inflation) -> None:
    """Decompress each folder once and cut it into members by the sizes in the header.

    Each folder is decoded by :func:`~spamlab.mail.folder_decoder.decoded_folder` (in a
    child process where that is safe, so the cutting and parsing here run beside it).
    Rejected members (``problems``) are decompressed but not kept (their rejection was
    reported already). Each member's CRC is checked when the archive has one.
    """
    want = task.header_limit + 4
    name = task.container.name
    for folder, offset, packed_size, members in plan:
        with decoded_folder(handle.fileno(), folder, offset, packed_size, _7Z_STEP) as steps:
            buffer: bytes | bytearray = b""
            position = 0
            for member in members:
                size, crc, head = member.uncompressed, 0, bytearray()
                check = member.crc32 is not None
                while size > 0:
                    if position == len(buffer):
                        buffer, position = next(steps, b""), 0
                        inflation.add(len(buffer))
                        if not buffer:
                            raise DataError(
                                f"{name}: 7z archive ends inside member {member.filename}")
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
