"""Decoding one 7z folder, in a child process where that is safe, so decoding and parsing
use two cores.

A solid 7z archive is often one folder: one LZMA stream that only one decoder can read,
front to back. Decoded in a thread beside the parsing (as zip and tar members are), the two
halves share one interpreter lock: every time the decoder comes back from the lzma library
it waits for the parsing thread to let go of the lock (up to ``sys.getswitchinterval()``,
5 ms), and on the benchmark archive (60,000 messages, one folder) that cost about as much
as the parsing itself, so the two did not overlap at all (docs/methods/performance.md).

:func:`decoded_folder` forks a child that decodes the folder and writes it to a pipe in
framed steps; the caller cuts members and parses in its own single thread. Where forking is
not safe (other threads alive, as in Jupyter, or not Linux) or :data:`DECODE_IN_CHILD` is
off, the same steps come from a decoder in this process. Both give the same bytes in the
same steps, and the same exceptions: an exception in the child is pickled into the pipe and
raised here.

The child never outlives its parent: the kernel kills it when the parent dies
(``PR_SET_PDEATHSIG``), and the parent kills and reaps it when it stops reading early
(an error, a bound exceeded, a member that fails its CRC check).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import pickle
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

from spamlab.errors import DataError

__all__ = [
    "DECODE_IN_CHILD",
    "STEP",
    "decoded_folder",
    "decodes_in_child",
]

#: Decode 7z folders in a child process when it is safe (:func:`decodes_in_child`);
#: ``False`` decodes them in the calling process (the tests compare the two).
DECODE_IN_CHILD = True
#: Bytes of decoded data per step (per frame from the child): bounds the memory a step takes.
STEP = 1024 * 1024
#: A frame's header: its length as a signed 8-byte little-endian integer; ``0`` ends the
#: folder, a negative length ``-n`` announces ``n`` bytes of a pickled exception.
_HEADER = 8
#: ``prctl`` option: the signal this process gets when its parent dies (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


def decodes_in_child() -> bool:
    """Whether :func:`decoded_folder` would decode in a child process here and now.

    Only on Linux (where the child can be tied to the parent's life), with
    :data:`DECODE_IN_CHILD` on and no other thread alive in this process
    (forking a process with threads can copy a lock another thread holds).
    """
    return (DECODE_IN_CHILD and sys.platform.startswith("linux") and hasattr(os, "fork")
            and threading.active_count() == 1)


@contextlib.contextmanager
def decoded_folder(fd: int, folder: Any, offset: int, packed_size: int,
                   step: int = STEP) -> Iterator[Iterator[bytes | bytearray]]:
    """The decoded bytes of one 7z folder, as an iterator of steps of at most ``step`` bytes.

    Parameters
    ----------
    fd
        An open file descriptor of the archive (read with ``pread``: its offset is not moved).
    folder
        py7zr's folder record (its coders, unpack sizes and CRC).
    offset, packed_size
        Where the folder's packed stream starts in the file, and its length.
    step
        Largest step, in bytes.

    Yields
    ------
    Iterator of bytes
        The folder's decoded bytes, step by step; it ends early (and the caller sees fewer
        bytes than the folder's unpack size) when the packed stream does.

    Raises
    ------
    Whatever py7zr or lzma raise for a broken stream (``lzma.LZMAError``, ``EOFError``, ...),
    the same in the child as here; :class:`~spamlab.errors.DataError` when the child
    ends without finishing its stream.

    Examples
    --------
    >>> import os, tempfile, py7zr
    >>> path = os.path.join(tempfile.mkdtemp(), "a.7z")
    >>> with py7zr.SevenZipFile(path, "w") as archive:
    ...     archive.writestr(b"Subject: x\\n\\n" + b"body " * 1000, "m1")
    >>> with open(path, "rb") as handle, py7zr.SevenZipFile(handle) as archive:
    ...     streams = archive.header.main_streams
    ...     start = archive.afterheader + streams.packinfo.packpos
    ...     with decoded_folder(handle.fileno(), streams.unpackinfo.folders[0], start,
    ...                         streams.packinfo.packsizes[0]) as steps:
    ...         data = b"".join(steps)
    >>> data[:12], len(data)
    (b'Subject: x\\n\\n', 5012)
    """
    unpack_size = folder.get_unpack_size()
    if not decodes_in_child():
        yield _decode_steps(fd, folder, offset, packed_size, unpack_size, step)
        return
    read_end, write_end = os.pipe()
    with contextlib.suppress(OSError):  # a larger pipe: fewer wake-ups (Linux, 1 MiB allowed)
        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, min(step, 1024 * 1024))
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(write_end, fd, folder, offset, packed_size, unpack_size, step)
    os.close(write_end)
    try:
        with open(read_end, "rb", buffering=0) as pipe:
            yield _frames(pipe, pid)
    finally:
        _end_child(pid)


def _decode_steps(fd: int, folder: Any, offset: int, packed_size: int, unpack_size: int,
                  step: int) -> Iterator[bytes | bytearray]:
    """The folder's decoded steps, decoded in this process (py7zr's decompressor)."""
    from py7zr.compressor import SevenZipDecompressor  # deferred: only 7z inputs need py7zr

    decompressor = SevenZipDecompressor(folder.coders, packed_size, folder.unpacksizes,
                                        folder.crc)
    source = _PositionedReader(fd, offset)
    remaining = unpack_size
    while remaining > 0:
        data = decompressor.decompress(source, min(step, remaining))
        if not data:
            return
        remaining -= len(data)
        yield data


class _PositionedReader:
    """A read-only file over ``fd`` from ``offset`` that reads with ``pread``, so a forked
    child and its parent, sharing one open file, never move each other's offset."""

    def __init__(self, fd: int, offset: int) -> None:
        self.fd, self.position = fd, offset

    def read(self, size: int) -> bytes:  # (py7zr's decompressor always gives a size)
        data = os.pread(self.fd, size, self.position)
        self.position += len(data)
        return data


def _child(pipe: int, fd: int, folder: Any, offset: int, packed_size: int, unpack_size: int,
           step: int) -> None:
    """The child's whole life: decode the folder into ``pipe`` frame by frame, then exit."""
    status = 1
    try:
        _die_with_parent()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        try:
            for data in _decode_steps(fd, folder, offset, packed_size, unpack_size, step):
                _write_all(pipe, len(data).to_bytes(_HEADER, "little", signed=True))
                _write_all(pipe, data)
            _write_all(pipe, (0).to_bytes(_HEADER, "little", signed=True))
        except Exception as exc:  # noqa: BLE001 (sent to the parent, which raises it)
            _write_all(pipe, _pickled(exc))
        status = 0
    finally:
        os._exit(status)  # no atexit handlers, no flushing of the parent's buffers


def _die_with_parent() -> None:
    """Have the kernel kill this process when its parent dies (Linux)."""
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getppid()
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _pickled(exc: BaseException) -> bytes:
    """An error frame: ``exc`` pickled (or, if it will not pickle, a DataError naming it)."""
    try:
        body = pickle.dumps(exc)
        pickle.loads(body)
    except Exception:  # noqa: BLE001 (any unpicklable exception is reported by its text)
        body = pickle.dumps(DataError(f"7z decoder: {type(exc).__name__}: {exc}"))
    return (-len(body)).to_bytes(_HEADER, "little", signed=True) + body


def _write_all(fd: int, data: bytes | bytearray | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _frames(pipe: Any, pid: int) -> Iterator[bytearray]:
    """The child's frames as steps; its exception raised; an early end named."""
    while True:
        length = int.from_bytes(_read_exact(pipe, _HEADER, pid), "little", signed=True)
        if length == 0:
            return
        if length < 0:
            raise pickle.loads(_read_exact(pipe, -length, pid))
        yield _read_exact(pipe, length, pid)


def _read_exact(pipe: Any, size: int, pid: int) -> bytearray:
    buffer = bytearray(size)
    view = memoryview(buffer)
    filled = 0
    while filled < size:
        got = pipe.readinto(view[filled:])
        if not got:
            raise DataError(f"the 7z decoder process ({pid}) ended before its folder did "
                            f"({_exit_text(pid)})")
        filled += got
    return buffer


def _exit_text(pid: int) -> str:
    """How the child ended, for an error message (reaps it)."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return "already reaped"
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def _end_child(pid: int) -> None:
    """Kill the child if it still runs (the parent stopped reading early) and reap it."""
    with contextlib.suppress(ProcessLookupError, ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
