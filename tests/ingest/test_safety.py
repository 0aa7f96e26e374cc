"""Ingestion cannot lose or corrupt anything: one regression test per finding of issue 11, item 5.

Each test reproduces what an adversarial run did to the ingest code (a cut archive, a FIFO, a
zip of overlapping entries, a killed parent, ...) and checks against a truth built here, not
against the code's own output.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import socket
import stat
import struct
import subprocess
import sys
import tarfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import py7zr
import pytest
from processes import alive, children, wait_for

from spamlab import ingest as ing
from spamlab.cli import main
from spamlab.errors import DataError, ParameterError
from spamlab.mail import containers as mc
from spamlab.mail import reading, sevenzip
from spamlab.testing import mbox_bytes


def _message(day: int, hour: int = 10) -> bytes:
    return (f"Received: from a ([91.198.174.192]) by trap; {day:02d} Mar 2011 {hour:02d}:00:00 "
            f"+0000\nSubject: s{day}-{hour}\n\nbody\n").encode()


def _report(out: Path) -> dict:
    return json.loads((out / "ingest_report.json").read_text())


def _calls(path: Path, **plan: int) -> tuple[list[tuple[str, str]], str]:
    """(member, problem) of every message of the inputs, and the first container error."""
    seen: list[tuple[str, str]] = []
    error = ""
    for task in mc.plan_tasks(mc.discover([path]), **plan):
        try:
            mc.read_task(task, lambda m, d, p: seen.append((m, p)))
        except DataError as exc:
            error = error or str(exc)
    return seen, error


class _Blocked(Exception):
    """Raised by :func:`_deadline`."""


@contextlib.contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging the suite) when the block blocks longer than ``seconds``."""
    def expire(signum: int, frame: object) -> None:
        raise _Blocked(f"still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_foreign_file_in_events_folder_is_refused_and_kept(tmp_path: Path) -> None:
    (tmp_path / "trap").mkdir()
    (tmp_path / "trap" / "1").write_bytes(_message(1))
    out = tmp_path / "out"
    (out / "events").mkdir(parents=True)
    (out / "events" / "my-notes.txt").write_text("mine")
    with pytest.raises(DataError, match=r"events.*my-notes\.txt"):
        ing.ingest([tmp_path / "trap"], out, workers=1)
    assert (out / "events" / "my-notes.txt").read_text() == "mine"
    (out / "events" / "my-notes.txt").unlink()  # spamlab's own events are replaced on a rerun
    ing.ingest([tmp_path / "trap"], out, workers=1)
    ing.ingest([tmp_path / "trap"], out, workers=1)
    assert [p.name for p in (out / "events").iterdir()] == ["month=2011-03"]


def _tar_with_boundaries(path: Path, n: int) -> list[int]:
    """A plain tar of ``n`` messages; returns the offset of each member's header."""
    with tarfile.open(path, "w") as archive:
        for i in range(n):
            data = _message(1 + i)
            info = tarfile.TarInfo(f"m{i:02d}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    with tarfile.open(path) as archive:
        return [member.offset for member in archive.getmembers()]


@pytest.mark.parametrize("cut", ["member_boundary", "inside_header"])
def test_tar_cut_at_member_or_header_boundary_is_an_error(tmp_path: Path, cut: str) -> None:
    path = tmp_path / "cut.tar"
    headers = _tar_with_boundaries(path, 10)
    end = headers[5] + (0 if cut == "member_boundary" else 200)
    path.write_bytes(path.read_bytes()[:end])
    seen, error = _calls(path)
    assert [m for m, _ in seen] == [f"m{i:02d}" for i in range(5)]  # read so far: kept
    assert "cut.tar" in error and "truncated" in error
    report = ing.ingest([path], tmp_path / "out", workers=1).report
    assert report["messages_seen"] == 5 and report["errors"] == [error]
    assert main(["ingest", str(path), "--out", str(tmp_path / "cli"), "--quiet",
                 "--workers", "1"]) == 1
    whole = tmp_path / "whole.tar"
    _tar_with_boundaries(whole, 10)
    assert _calls(whole) == ([(f"m{i:02d}", "") for i in range(10)], "")


def test_fifo_socket_in_input_folder_are_rejected_not_waited_for(tmp_path: Path) -> None:
    root = tmp_path / "trap"
    (root / "sub").mkdir(parents=True)
    (root / "1").write_bytes(_message(1))
    os.mkfifo(root / "pipe")
    os.mkfifo(root / "sub" / "fake.mbox")  # an mbox by its name, a FIFO in fact
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(os.fspath(root / "sock"))
    try:
        with _deadline(10):
            report = ing.ingest([root], tmp_path / "out", workers=1).report
    finally:
        listener.close()
    assert report["messages_counted"] == 1
    assert report["rejected"]["not_a_regular_file"] == 3
    assert report["messages_seen"] == 4 == report["messages_counted"] + report["rejected_total"]
    with pytest.raises(DataError, match="pipe: not a regular file or folder"):
        mc.discover([root / "pipe"])


@pytest.mark.parametrize("damage", ["truncated", "deleted"])
def test_mbox_truncated_or_deleted_after_planning_is_reported(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             damage: str) -> None:
    path = tmp_path / "trap.mbox"
    messages = [_message(1 + i % 20, i // 20) for i in range(40)]
    data = mbox_bytes(messages)
    path.write_bytes(data)
    keep = data.rindex(b"From ", 0, data.index(messages[20]))  # the first 20 messages survive
    planned = mc.plan_tasks

    def plan_then_damage(*args, **kwargs):  # type: ignore[no-untyped-def]
        tasks = planned(*args, **kwargs)
        if damage == "deleted":
            path.unlink()
        else:
            path.write_bytes(data[:keep])
        return tasks

    monkeypatch.setattr(mc, "plan_tasks", plan_then_damage)
    for per_task in (10**9, 500):  # one scan of the whole file, and many byte ranges
        out = tmp_path / f"out{per_task}"
        path.write_bytes(data)
        report = ing.ingest([path], out, workers=1,
                            options=ing.IngestOptions(mbox_bytes_per_task=per_task)).report
        assert report["messages_seen"] == (20 if damage == "truncated" else 0)
        assert report["errors"] and all("trap.mbox" in e for e in report["errors"])
        assert any(("vanished" if damage == "deleted" else "truncated") in e
                   for e in report["errors"])
    path.write_bytes(data)
    assert main(["ingest", str(path), "--out", str(tmp_path / "cli"), "--quiet",
                 "--workers", "1"]) == 1


def test_out_inside_input_or_naming_a_file_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "trap"
    root.mkdir()
    (root / "1").write_bytes(_message(1))
    with pytest.raises(ParameterError, match=r"out: .*trap/counts is inside the input folder .*trap"):
        ing.ingest([root], root / "counts", workers=1)
    assert not (root / "counts").exists()
    with pytest.raises(ParameterError, match=r"out: .*trap is inside the input folder"):
        ing.ingest([root], root, workers=1)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ParameterError, match=r"afile.* exists and is not a folder"):
        ing.ingest([root], tmp_path / "afile", workers=1)
    assert main(["ingest", str(root), "--out", str(tmp_path / "afile"), "--quiet"]) == 2


def _rename_7z_member(path: Path, old: str, new: str) -> None:
    """Rename a member in a 7z archive with a plain (unencoded) header, fixing both CRCs."""
    data = bytearray(path.read_bytes())
    offset, size = struct.unpack("<QQ", data[12:28])
    start = 32 + offset
    header = bytes(data[start:start + size])
    before, after = old.encode("utf-16-le"), new.encode("utf-16-le")
    assert len(before) == len(after) and header.count(before) == 1
    header = header.replace(before, after)
    data[start:start + size] = header
    data[28:32] = struct.pack("<I", zlib.crc32(header))
    data[8:12] = struct.pack("<I", zlib.crc32(bytes(data[12:32])))
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("fast", [True, False])
def test_7z_unsafe_member_is_rejected_alone_whatever_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fast: bool) -> None:
    path = tmp_path / "a.7z"
    with py7zr.SevenZipFile(path, "w") as archive:
        archive.set_encoded_header_mode(False)
        archive.writestr(_message(1), "sub/1")
        archive.writestr(_message(2), "xx/evil")
        archive.writestr(_message(3), "sub/3")
    _rename_7z_member(path, "xx/evil", "../evil")
    monkeypatch.setattr(sevenzip, "FAST_7Z", fast)
    expected = [("../evil", "unsafe_member_name"), ("sub/1", ""), ("sub/3", "")]
    seen, error = _calls(path)
    assert (sorted(seen), error) == (expected, "")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "sub").mkdir(parents=True)
    work = tmp_path / "work"
    work.mkdir()
    (work / "sub").symlink_to(elsewhere / "sub")  # a folder named like the members' folder
    monkeypatch.chdir(work)
    assert sorted(_calls(path)[0]) == expected
    assert list((elsewhere / "sub").iterdir()) == [] and list(work.iterdir()) == [work / "sub"]


def _overlapping_zip(path: Path, copies: int) -> None:
    """One deflated message of 2 MB listed ``copies`` times in the central directory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("m", _message(1) + b"x" * 2_000_000)
    data = buffer.getvalue()
    central = data.rindex(b"PK\x01\x02")
    local, entry = data[:central], data[central:data.rindex(b"PK\x05\x06")]
    entries = entry * copies
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, copies, copies, len(entries), len(local), 0)
    path.write_bytes(local + entries + end)


def test_zip_overlapping_entries_are_rejected_quickly(tmp_path: Path) -> None:
    path = tmp_path / "overlap.zip"
    _overlapping_zip(path, 1000)
    started = time.process_time()
    seen, error = _calls(path)
    cpu = time.process_time() - started
    assert seen == [("m", "")] + [("m", "overlapping_member")] * 999
    assert not error
    assert cpu < 2.0, cpu  # one member inflated, not a thousand


def test_archive_inflating_beyond_the_ratio_bound_stops_with_an_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "INFLATE_FLOOR", 0)  # the ratio alone, on a small archive
    path = tmp_path / "bomb.tar.xz"
    with tarfile.open(path, "w:xz", preset=0) as archive:
        for i in range(30):  # 30 x 1 MB of zeros: about 5 kB packed
            data = _message(1) + b"\0" * 1_000_000
            info = tarfile.TarInfo(f"m{i:02d}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    bound = mc.INFLATE_RATIO * path.stat().st_size + 2 * 1024 * 1024
    assert bound < 30_000_000
    seen, error = _calls(path, member_limit=2 * 1024 * 1024)
    assert "bomb.tar.xz" in error and "decompressed" in error
    assert 0 < len(seen) <= bound // 1_000_000 + 1
    assert all(p == "" for _, p in seen)


_SLOW_INGEST = """
import sys, time
from spamlab import ingest as ing
from spamlab.ingest import engines

def slow(task):
    time.sleep(120)

engines.parse_task = slow
ing.ingest(sys.argv[1:-1], sys.argv[-1], workers=2)
"""


def _start_slow_ingest(inputs: list[Path], out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", _SLOW_INGEST, *map(str, inputs), str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(parent: subprocess.Popen[bytes], workers: list[int]) -> None:
    """Kill a test's ingest process; wait up to 5 s for its workers, then kill any left."""
    parent.kill()
    parent.wait()
    if not wait_for(lambda: not any(alive(pid) for pid in workers), 5):
        for pid in workers:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_die_with_their_parent(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "1").write_bytes(_message(1))
    parent = _start_slow_ingest([tmp_path / "a", tmp_path / "b"], tmp_path / "out")
    workers: list[int] = []
    try:
        assert wait_for(lambda: len(children(parent.pid)) >= 2, 30)
        workers = children(parent.pid)
        parent.kill()
        parent.wait()
        assert wait_for(lambda: not any(alive(pid) for pid in workers), 5), workers
    finally:
        _stop(parent, workers)


def test_tree_message_edited_in_place_is_read_again(tmp_path: Path) -> None:
    root = tmp_path / "trap"
    root.mkdir()
    for day in (1, 2, 3):
        (root / f"m{day}").write_bytes(_message(day))
    out = tmp_path / "out"
    ing.ingest([root], out, workers=1)
    edited = root / "m2"
    before = edited.stat()
    edited.write_bytes(_message(9))  # same name, same size, new content
    assert edited.stat().st_size == before.st_size
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    result = ing.ingest([root], out, workers=1)
    counts = dict(zip(result.daily["date"], result.daily["count"]))
    assert counts["2011-03-09"] == 1 and counts["2011-03-02"] == 0


def test_symlinks_are_not_followed_and_are_reported(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "secret").write_bytes(_message(5))
    (outside / "folder" / "2").write_bytes(_message(6))
    root = tmp_path / "trap"
    (root / "real").mkdir(parents=True)
    (root / "real" / "1").write_bytes(_message(1))
    (root / "to_secret").symlink_to(outside / "secret")
    (root / "to_folder.mbox").symlink_to(outside / "folder")  # named like an mbox
    (root / "again").symlink_to(root / "real" / "1")
    (root / "real_again").symlink_to(root / "real")
    (root / "dangling").symlink_to(tmp_path / "nothing")
    report = ing.ingest([root], tmp_path / "out", workers=1).report
    assert report["messages_counted"] == 1  # only real/1, once
    assert report["rejected"]["symlink_outside_input"] == 3
    assert report["rejected"]["symlink_inside_input"] == 2
    assert report["messages_seen"] == 6
    assert report["timestamp_source"]["received"] == 1


def test_outputs_follow_the_umask(tmp_path: Path) -> None:
    (tmp_path / "trap").mkdir()
    (tmp_path / "trap" / "1").write_bytes(_message(1))
    previous = os.umask(0o027)
    try:
        ing.ingest([tmp_path / "trap"], tmp_path / "out", workers=1)
    finally:
        os.umask(previous)
    out = tmp_path / "out"
    modes = {path.relative_to(out).as_posix(): stat.S_IMODE(path.stat().st_mode)
             for path in [out, *out.rglob("*")]}
    hidden = {name: mode for name, mode in modes.items() if name.startswith(".s")}
    assert {name: mode for name, mode in modes.items() if name not in hidden} == {
        ".": 0o750, "daily_counts.csv": 0o640, "ingest_report.json": 0o640,
        "events": 0o750, "events/month=2011-03": 0o750,
        "events/month=2011-03/part-0.parquet": 0o640}
    assert set(hidden.values()) == {0o640, 0o750}  # the lock, the checkpoint folder and shards


def test_second_ingest_into_the_same_out_is_refused(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "1").write_bytes(_message(1))
    out = tmp_path / "out"
    first = _start_slow_ingest([tmp_path / "a", tmp_path / "b"], out)
    workers: list[int] = []
    try:
        assert wait_for(lambda: len(children(first.pid)) >= 2, 30)  # it is parsing
        workers = children(first.pid)
        with pytest.raises(DataError, match=rf"{re.escape(str(out))}: already being written by .*process {first.pid}"):
            ing.ingest([tmp_path / "a"], out, workers=1)
    finally:
        _stop(first, workers)
    assert not any(alive(pid) for pid in workers)
    report = ing.ingest([tmp_path / "a"], out, workers=1).report  # the lock died with it
    assert report["messages_counted"] == 1
