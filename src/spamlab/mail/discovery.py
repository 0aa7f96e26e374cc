"""Finding the inputs' containers: mbox files, maildirs, folders of message files, archives.

:func:`discover` expands the paths given into :class:`Container` objects, classifying
each file by its name and first bytes; :func:`printable_name` makes every label
printable UTF-8.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from spamlab.errors import DataError
from spamlab.mail.reading import _MAGIC

__all__ = [
    "ARCHIVE_SUFFIXES",
    "COMPRESSED_SUFFIXES",
    "MBOX_SUFFIXES",
    "Container",
    "discover",
    "printable_name",
]

ARCHIVE_SUFFIXES: dict[str, str] = {
    ".7z": "7z", ".zip": "zip", ".tar": "tar", ".tgz": "tar", ".tar.gz": "tar", ".tbz2": "tar",
    ".tar.bz2": "tar", ".txz": "tar", ".tar.xz": "tar",
}
MBOX_SUFFIXES = (".mbox", ".mbx")
#: A single compressed file (not a tar): read as what it decompresses to (an mbox or a message).
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz")
_KNOWN_SUFFIXES = (*ARCHIVE_SUFFIXES, *MBOX_SUFFIXES, *COMPRESSED_SUFFIXES)
_Decompressed = gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile


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
