"""A real full disk (issue 22, case 2): ``spamlab ingest`` into a small tmpfs that fills up.

Bug: events were swapped in first, then ``daily_counts.csv``, then the report; a disk filling
in between left ``--out`` holding run B's events beside run A's counts and report, and a raw
``OSError``. The injected ``ENOSPC`` of ``tests/test_cli_boundary.py`` cannot show where a real
disk fills, so here a 3 MiB tmpfs is mounted in a private user and mount namespace
(``unshare -rm``; skipped where the machine does not allow one), run A is ingested, the rest of
the disk is filled to several levels, and run B is tried at each: it either fails in one line
with A's outputs byte-identical, or succeeds with B's outputs complete.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest

STEP = 4096  # one tmpfs page: every point at which the disk can fill is tried

SCENARIO = textwrap.dedent('''
    import contextlib, hashlib, io, json, os, sys
    from pathlib import Path
    from spamlab import cli

    disk, traps = Path(sys.argv[1]), Path(sys.argv[2])
    out = disk / "out"

    def state():
        return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(out.rglob("*")) if p.is_file() and not p.is_symlink()
                and p.parent.name != ".spamlab-checkpoints"}  # kept on purpose, for a resume

    def ingest(trap):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(["ingest", str(traps / trap), "--out", str(out)])
        return code, err.getvalue().strip().splitlines()

    assert ingest("a")[0] == 0
    before = state()
    levels = []
    for free in range(0, 8_000_000, int(sys.argv[3])):
        filler = disk / "filler"
        filler.unlink(missing_ok=True)
        with open(filler, "wb", buffering=0) as sink:  # fill the disk, give back `free` bytes
            with contextlib.suppress(OSError):
                while True:
                    sink.write(b"\\0" * 65536)
        os.truncate(filler, max(0, filler.stat().st_size - free))
        code, err = ingest("b")
        now = state()
        levels.append({"free": free, "code": code, "err": err,
                       "kept_a": now == before, "report": (out / "ingest_report.json").exists(),
                       "files": sorted(now)})
        if code == 0:
            break
        assert now == before, (free, err, sorted(set(now) ^ set(before)))
    levels[-1]["counts"] = (out / "daily_counts.csv").read_text()
    print(json.dumps(levels))
''')


def _namespaces_allowed() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c",
                            "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d"],
                           capture_output=True, check=False)
    return probe.returncode == 0


def _trap(folder: Path, count: int, days: int) -> None:
    """``count`` messages spread over ``days`` days from 1 February 2011."""
    folder.mkdir(parents=True)
    for number in range(count):
        day = date(2011, 2, 1) + timedelta(days=number % days)
        (folder / f"{number}.eml").write_bytes(
            f"Received: from h{number} ([198.51.100.{number % 250}]) by trap; "
            f"{day:%d %b %Y} {number % 24:02d}:{number % 60:02d}:00 +0000\n"
            f"Subject: offer {number}\n\nbody {number}\n".encode())


@pytest.mark.skipif(not _namespaces_allowed(), reason="no user+mount namespace for a tmpfs")
def test_a_disk_that_fills_keeps_the_previous_run_whole(tmp_path):
    # A's events are small, so replacing them frees little; B's daily counts are long, so
    # there is room for B's events without room for its counts as well
    _trap(tmp_path / "traps" / "a", 20, 1)
    _trap(tmp_path / "traps" / "b", 3000, 2000)
    (tmp_path / "disk").mkdir()
    (tmp_path / "scenario.py").write_text(SCENARIO)
    run = subprocess.run(
        ["unshare", "-rm", "sh", "-c", 'mount -t tmpfs -o size=8m tmpfs "$1" && shift && exec "$@"',
         "sh", str(tmp_path / "disk"), sys.executable, str(tmp_path / "scenario.py"),
         str(tmp_path / "disk"), str(tmp_path / "traps"), str(STEP)],
        capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    levels = json.loads(run.stdout.strip().splitlines()[-1])
    failed = [level for level in levels if level["code"] != 0]
    assert failed, "the disk never filled: the test proves nothing"
    for level in failed:
        assert level["code"] == 1 and level["kept_a"], level
        assert len(level["err"]) == 1 and "No space left on device" in level["err"][0], level
    assert levels[-1]["code"] == 0 and levels[-1]["report"], levels[-1]
    # the run that finally fitted, resuming from the failed runs' checkpoints, counts what a
    # run on an ample disk counts
    from spamlab import cli
    assert cli.main(["ingest", str(tmp_path / "traps" / "b"), "--out", str(tmp_path / "ref")]) == 0
    assert levels[-1]["counts"] == (tmp_path / "ref" / "daily_counts.csv").read_text()
