"""The command line's one error boundary (issue 22, case 10): one line, never a traceback.

Bad input is one line and exit status 2; an operating-system failure (a full disk, a path
through a file) or a bug is one line and status 1; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

import pytest

from spamlab import cli
from spamlab.cli import ingest as cli_ingest

MESSAGE = b"Received: from a ([203.0.113.7]) by t; Wed, 16 Mar 2011 10:00:00 +0000\nSubject: x\n\nb\n"


@pytest.fixture
def trap(tmp_path: Path) -> Path:
    (tmp_path / "trap").mkdir()
    (tmp_path / "trap" / "1.eml").write_bytes(MESSAGE)
    return tmp_path / "trap"


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0], err
    return err[0]


@pytest.mark.parametrize("argv, says", [
    (["--duplicate-window", "9" * 400], "--duplicate-window: .* is longer than 3650 days"),
    (["--header-limit", "99999999999g"], "--header-limit: '99999999999g' is more than"),
])
def test_absurd_option_values_are_one_line_and_status_2(trap, tmp_path, capsys, argv, says):
    assert cli.main(["ingest", str(trap), "--out", str(tmp_path / "out"), *argv]) == 2
    assert re.search(says, _one_line(capsys))


def test_a_symbolic_link_loop_as_input_is_one_line(tmp_path, capsys):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    assert cli.main(["ingest", str(tmp_path / "a"), "--out", str(tmp_path / "out")]) == 2
    assert "a symbolic link loop" in _one_line(capsys)


def test_an_output_path_through_a_file_is_a_failure_in_one_line(trap, tmp_path, capsys):
    (tmp_path / "afile").write_text("")
    assert cli.main(["ingest", str(trap), "--out", str(tmp_path / "afile" / "sub")]) == 1
    line = _one_line(capsys)
    assert "Not a directory" in line and "a part of the path is a file" in line


def test_a_full_disk_and_a_bug_are_one_line_and_debug_shows_the_traceback(trap, tmp_path, capsys,
                                                                          monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / "events"))

    monkeypatch.setattr(cli_ingest, "ingest", full)
    argv = ["ingest", str(trap), "--out", str(tmp_path / "out")]
    assert cli.main(argv) == 1
    assert "No space left on device" in _one_line(capsys)
    monkeypatch.setattr(cli_ingest, "ingest", lambda *a, **k: 1 / 0)
    assert cli.main(argv) == 1
    assert "internal error: ZeroDivisionError" in _one_line(capsys)
    with pytest.raises(ZeroDivisionError):
        cli.main([*argv, "--debug"])


@pytest.mark.parametrize("second", ["sub", "alias"])
def test_overlapping_inputs_are_refused_not_read_twice(trap, tmp_path, capsys, second):
    """Issue 22, case 3: `ingest trap trap/sub` or `trap` plus a link to it counted messages
    without a Message-ID twice, exit 0."""
    (trap / "sub").mkdir()
    (trap / "sub" / "2.eml").write_bytes(MESSAGE)
    (tmp_path / "alias").symlink_to(trap, target_is_directory=True)
    other = trap / "sub" if second == "sub" else tmp_path / "alias"
    assert cli.main(["ingest", str(trap), str(other), "--out", str(tmp_path / "out")]) == 2
    line = _one_line(capsys)
    assert ("lies inside" in line) if second == "sub" else ("are the same input" in line)
    assert not (tmp_path / "out" / "daily_counts.csv").exists()


def test_one_mbox_under_two_hard_linked_names_is_refused(tmp_path, capsys):
    mbox = tmp_path / "trap.mbox"
    mbox.write_bytes(b"From x Wed Mar 16 10:00:00 2011\n" + MESSAGE)
    (tmp_path / "copy.mbox").hardlink_to(mbox)
    argv = ["ingest", str(mbox), str(tmp_path / "copy.mbox"), "--out", str(tmp_path / "out")]
    assert cli.main(argv) == 2
    assert "are the same input" in _one_line(capsys)


@pytest.mark.dask
def test_an_unreachable_dask_scheduler_is_one_line(trap, tmp_path, capsys):
    """Issue 22, case 10: an unreachable scheduler ended in a raw traceback."""
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        code = cli.main(["ingest", str(trap), "--out", str(tmp_path / "out"), "--engine", "dask",
                         "--scheduler", "tcp://127.0.0.1:1"])
    assert code == 1
    assert "tcp://127.0.0.1:1" in _one_line(capsys)
    assert not (tmp_path / "out" / "ingest_report.json").exists()
