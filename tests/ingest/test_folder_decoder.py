"""A 7z folder decoded in a child process: the same bytes and errors as in this process, and
no child left behind, however the reading ends (issue 27: decode and parse on two cores)."""

from __future__ import annotations

import contextlib
import io
import lzma
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import py7zr
import pytest
from processes import alive, children, group, wait_for

from spamlab.errors import DataError
from spamlab.ingest import engines
from spamlab.ingest.parse import parse_task
from spamlab.mail import containers, folder_decoder
from spamlab.mail.folder_decoder import decoded_folder, decodes_in_child

pytestmark = [pytest.mark.skipif(not sys.platform.startswith("linux"),
                                 reason="the child decoder is Linux-only; /proc is read"),
              pytest.mark.usefixtures("one_thread")]


@pytest.fixture()
def one_thread(request: pytest.FixtureRequest) -> None:
    """This process with its main thread only, as a pool worker is (nothing forks beside a
    thread).

    An earlier test in the same pytest worker may have left tqdm's monitor thread (stopped
    here) or jupyter_core's event-loop threads, which live as long as the process (the
    notebook tests start them). Then the test is run again in a fresh interpreter, must pass
    there, and is reported here as skipped with that reason.
    """
    from tqdm import tqdm

    monitor = getattr(tqdm, "monitor", None)
    if monitor is not None:
        monitor.exit()
        tqdm.monitor = None
    if threading.active_count() == 1:
        return
    names = [t.name for t in threading.enumerate()]
    assert not os.environ.get("SPAMLAB_FRESH_PROCESS"), f"threads in a fresh process: {names}"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         request.node.nodeid], cwd=request.config.rootpath, capture_output=True, text=True,
        env={**os.environ, "SPAMLAB_FRESH_PROCESS": "1"}, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and " skipped" not in done.stdout, done.stdout[-2000:]
    pytest.skip(f"ran and passed in a fresh process (threads here: {', '.join(names)})")


def _messages(n: int, seed: int) -> list[bytes]:
    """Messages of this test's own making (not spamlab's generator), about 3 KiB each."""
    rng = random.Random(seed)
    words = [bytes(rng.choice(b"abcdefghijklmnop") for _ in range(rng.randint(2, 9)))
             for _ in range(400)]
    out = []
    for i in range(n):
        body = b" ".join(rng.choice(words) for _ in range(rng.randint(200, 700)))
        out.append(b"Received: from x ([203.0.113.%d]) by trap; Tue, 15 Mar 2011 %02d:%02d:00"
                   b" +0100\r\nSubject: s%d\r\n\r\n" % (i % 250, i % 24, i % 60, i) + body)
    return out


def _archive(path: Path, messages: list[bytes]) -> Path:
    with py7zr.SevenZipFile(path, "w", filters=[{"id": lzma.FILTER_LZMA2, "preset": 1}]) as out:
        for i, data in enumerate(messages):
            out.writestr(data, f"spam/{i:05d}.eml")
    return path


def _folder(path: Path) -> tuple[object, int, int]:
    with py7zr.SevenZipFile(path) as archive:
        streams = archive.header.main_streams
        start = archive.afterheader + streams.packinfo.packpos
        return streams.unpackinfo.folders[0], start, streams.packinfo.packsizes[0]


def _steps(path: Path, in_child: bool, monkeypatch: pytest.MonkeyPatch,
           step: int = 64 * 1024) -> list[bytes]:
    monkeypatch.setattr(folder_decoder, "DECODE_IN_CHILD", in_child)
    assert decodes_in_child() is in_child, [t.name for t in threading.enumerate()]
    folder, start, size = _folder(path)
    with open(path, "rb") as handle, decoded_folder(handle.fileno(), folder, start, size,
                                                    step) as steps:
        return [bytes(s) for s in steps]


def test_child_gives_the_archived_bytes_in_the_same_steps(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    messages = _messages(300, seed=5)
    path = _archive(tmp_path / "one.7z", messages)
    truth = b"".join(messages)  # what was packed, not what a reader says
    here = _steps(path, False, monkeypatch)
    child = _steps(path, True, monkeypatch)
    assert b"".join(child) == truth
    assert [len(s) for s in child] == [len(s) for s in here]
    assert all(len(s) == 64 * 1024 for s in child[:-1])
    assert children(os.getpid()) == []


def test_parse_task_reads_the_same_rows_with_and_without_the_child(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _archive(tmp_path / "trap.7z", _messages(500, seed=6))
    tasks = containers.plan_tasks(containers.discover([path]))
    tables = {}
    for in_child in (True, False):
        monkeypatch.setattr(folder_decoder, "DECODE_IN_CHILD", in_child)
        results = [parse_task(task) for task in tasks]
        assert not any(r.error for r in results)
        tables[in_child] = [r.table for r in results]
    assert sum(t.num_rows for t in tables[True]) == 500
    assert all(a.equals(b) for a, b in zip(tables[True], tables[False]))
    plus_one = timezone(timedelta(hours=1))
    assert tables[True][0].column("arrival").to_pylist()[:2] == [
        int(datetime(2011, 3, 15, 0, 0, tzinfo=plus_one).timestamp()),
        int(datetime(2011, 3, 15, 1, 1, tzinfo=plus_one).timestamp())]


def test_a_broken_stream_raises_the_same_error_from_the_child(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _archive(tmp_path / "broken.7z", _messages(200, seed=7))
    _, start, size = _folder(path)
    data = bytearray(path.read_bytes())
    for offset in range(start + size // 2, start + size // 2 + 64):
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))
    raised = {}
    for in_child in (False, True):
        with pytest.raises(Exception) as info:  # (the two are compared below)
            _steps(path, in_child, monkeypatch)
        raised[in_child] = info.value
    assert type(raised[True]) is type(raised[False])
    assert str(raised[True]) == str(raised[False])
    assert children(os.getpid()) == []


@contextlib.contextmanager
def _child_mid_folder(path: Path) -> Iterator[Iterator[bytes | bytearray]]:
    """The steps of ``path``'s folder from a child decoder, after the first 4 KiB step."""
    folder, start, size = _folder(path)
    with open(path, "rb") as handle, \
            decoded_folder(handle.fileno(), folder, start, size, 4096) as steps:
        assert len(next(steps)) == 4096
        yield steps


def test_stopping_early_kills_and_reaps_the_child(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(folder_decoder, "DECODE_IN_CHILD", True)
    with _child_mid_folder(_archive(tmp_path / "big.7z", _messages(3000, seed=8))):
        assert len(children(os.getpid())) == 1  # the child waits to write its next step
    assert children(os.getpid()) == []
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # reaped too: no zombie left


def test_a_child_that_dies_is_named_in_the_error(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(folder_decoder, "DECODE_IN_CHILD", True)
    with _child_mid_folder(_archive(tmp_path / "big.7z", _messages(3000, seed=9))) as steps:
        (child,) = children(os.getpid())
        os.kill(child, signal.SIGKILL)
        with pytest.raises(DataError, match="decoder process .* ended before its folder did "
                                            r"\(killed by signal 9\)"):
            for _ in steps:
                pass


_KILLED_READER = """
import sys, time
from pathlib import Path
sys.path.insert(0, {here!r})
from test_folder_decoder import _folder
from spamlab.mail.folder_decoder import decoded_folder
path = Path(sys.argv[1])
folder, start, size = _folder(path)
with open(path, "rb") as handle, decoded_folder(handle.fileno(), folder, start, size, 4096) as steps:
    next(steps)
    print("reading", flush=True)
    time.sleep(120)
"""


def test_the_child_dies_with_a_killed_parent(tmp_path: Path) -> None:
    """SIGKILL leaves the parent no chance to clean up: the kernel must end the child."""
    path = _archive(tmp_path / "big.7z", _messages(3000, seed=10))
    script = _KILLED_READER.format(here=str(Path(__file__).parent))
    parent = subprocess.Popen([sys.executable, "-c", script, str(path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None and parent.stdout.readline() == "reading\n"
        (child,) = children(parent.pid)
        parent.kill()
        parent.wait()
        assert wait_for(lambda: not alive(child), 10), "the decoder outlived its killed parent"
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()


def test_with_other_threads_alive_nothing_is_forked(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """In Jupyter other threads run: the folder is then decoded in this process (threaded)."""
    messages = _messages(200, seed=11)
    path = _archive(tmp_path / "one.7z", messages)
    monkeypatch.setattr(folder_decoder, "DECODE_IN_CHILD", True)
    release = threading.Event()
    other = threading.Thread(target=release.wait, daemon=True)
    other.start()
    try:
        assert not decodes_in_child()
        forks = []
        monkeypatch.setattr(os, "fork", lambda: forks.append(1) or 0)
        folder, start, size = _folder(path)
        with open(path, "rb") as handle, \
                decoded_folder(handle.fileno(), folder, start, size) as steps:
            assert b"".join(steps) == b"".join(messages)
        result = parse_task(containers.plan_tasks(containers.discover([path]))[0])
        assert result.n_messages == 200 and not result.error
        assert forks == []
    finally:
        release.set()
        other.join()


@pytest.mark.parametrize("in_child", [True, False], ids=["child", "in-process"])
def test_identical_outputs_hold_with_and_without_the_child(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_child: bool) -> None:
    """The 7-Zip fixtures of the byte-identical test, each way of decoding forced."""
    from test_identical_outputs import EXPECTED, make_inputs

    monkeypatch.setattr(folder_decoder, "DECODE_IN_CHILD", in_child)
    assert decodes_in_child() is in_child
    assert make_inputs.run_case("sevenzip_fixtures", tmp_path) == EXPECTED["sevenzip_fixtures"]



class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_leaves_no_thread_behind(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """An in-process ingest with a progress bar (a terminal) still forks its 7z decoder for
    the tasks after the first: the bar starts no monitor thread."""
    path = _archive(tmp_path / "one.7z", _messages(50, seed=12))
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "m1").write_bytes(_messages(1, seed=13)[0])
    tasks = containers.plan_tasks(containers.discover([tree, path]))
    monkeypatch.setattr(sys, "stderr", _Terminal())
    seen: list[bool] = []

    def note(index: int, result: object) -> None:
        seen.append(decodes_in_child())

    engines.run_tasks(tasks, list(range(len(tasks))), note, workers=1, progress=True)
    assert "ingest" in sys.stderr.getvalue()  # the bar was drawn
    assert seen == [True] * len(tasks) and len(tasks) == 2
    assert threading.active_count() == 1, [t.name for t in threading.enumerate()]


_INTERRUPTED = """
import os, sys, time
from pathlib import Path
from spamlab.cli import main
from spamlab.mail import folder_decoder

frames = folder_decoder._frames

def stalled(pipe, pid):  # the worker stops reading while its child decodes
    for index, step in enumerate(frames(pipe, pid)):
        if index == 1:
            Path(os.environ["DECODING_MARK"]).write_text(str(pid))
            time.sleep(120)
        yield step

folder_decoder._frames = stalled
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("how", ["SIGINT to the group", "SIGTERM to the group",
                                 "SIGKILL to the command only"])
def test_an_interrupted_7z_ingest_leaves_no_process_and_reruns_identical(
        tmp_path: Path, how: str) -> None:
    """Ctrl-C, a kill of the whole job, or a SIGKILL of the command alone while a worker's
    child decodes: every process ends (workers and child decoder), and a rerun writes what
    an uninterrupted run writes."""
    path = _archive(tmp_path / "trap.7z", _messages(3000, seed=14))
    reference, out = tmp_path / "reference", tmp_path / "out"
    command = ["ingest", str(path), "--workers", "2", "--quiet", "--out"]
    subprocess.run([sys.executable, "-m", "spamlab.cli", *command, str(reference)], check=True)
    mark = tmp_path / "decoding"
    process = subprocess.Popen([sys.executable, "-c", _INTERRUPTED, *command, str(out)],
                               env={**os.environ, "DECODING_MARK": str(mark)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    try:
        end = time.monotonic() + 60
        while not mark.exists() and time.monotonic() < end and process.poll() is None:
            time.sleep(0.02)
        assert mark.exists(), "the child decoder never started"
        time.sleep(0.1)
        child = int(mark.read_text())
        assert alive(child)
        signum = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM}.get(how.split()[0])
        if signum is None:
            os.kill(process.pid, signal.SIGKILL)
        else:
            os.killpg(process.pid, signum)
        process.wait(30)
        assert wait_for(lambda: not group(process.pid), 10), f"left running after {how}"
        assert not alive(child)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if process.stderr is not None:
            process.stderr.close()
    subprocess.run([sys.executable, "-m", "spamlab.cli", *command, str(out)], check=True)
    for name in ("daily_counts.csv", "ingest_report.json"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
