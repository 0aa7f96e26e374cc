"""Reading zip and tar archives and single compressed files (gzip, bzip2, xz)."""

from __future__ import annotations

import bz2
import gzip
import lzma
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Sequence
from typing import Self

from spamlab.errors import DataError
from spamlab.mail.discovery import _decompressing
from spamlab.mail.mbox import _split_mbox
from spamlab.mail.planning import Task
from spamlab.mail.reading import (
    _READ_CHUNK,
    MessageSink,
    _bounded_read,
    _Inflation,
    is_archive,
    unsafe_member_name,
)

__all__ = [
    "ARCHIVE_KINDS",
]

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
