"""Nothing inside an output folder is followed if it is a symbolic link (issue 22, case 1).

Another user of a shared ``--out`` can plant links there; before, ``.spamlab-lock`` as a link
had its target truncated and overwritten with the pid, and ``.spamlab-checkpoints`` as a link
had shards written into its target and every other ``*.arrow`` there deleted; both exit 0.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from spamlab.cli import main
from spamlab.ingest.checkpoints import CHECKPOINT_DIR
from spamlab.ingest.outputs import LOCK_FILE

MESSAGE = (b"Received: from a.example (a.example [203.0.113.7]) by trap.example; "
           b"Wed, 16 Mar 2011 10:00:00 +0000\nSubject: hi\nMessage-ID: <1@x>\n\nbody\n")


@pytest.fixture
def trap(tmp_path: Path) -> Path:
    folder = tmp_path / "trap"
    folder.mkdir()
    (folder / "1.eml").write_bytes(MESSAGE)
    return folder


def test_a_lock_file_planted_as_a_link_is_refused_and_its_target_untouched(trap, tmp_path, capsys):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_FILE).symlink_to(victim)
    assert main(["ingest", str(trap), "--out", str(out)]) == 2
    assert victim.read_text() == "precious\n"
    assert "the lock file is a symbolic link" in capsys.readouterr().err


def test_a_checkpoint_folder_planted_as_a_link_is_refused_and_its_target_untouched(trap, tmp_path,
                                                                                    capsys):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "theirs.arrow").write_bytes(b"not ours")
    out = tmp_path / "out"
    out.mkdir()
    (out / CHECKPOINT_DIR).symlink_to(victim, target_is_directory=True)
    assert main(["ingest", str(trap), "--out", str(out)]) == 2
    assert sorted(p.name for p in victim.iterdir()) == ["theirs.arrow"]
    assert (victim / "theirs.arrow").read_bytes() == b"not ours"
    assert "the checkpoint folder is a symbolic link" in capsys.readouterr().err


def test_without_links_the_same_ingest_works(trap, tmp_path):
    out = tmp_path / "out"
    assert main(["ingest", str(trap), "--out", str(out)]) == 0
    assert (out / "daily_counts.csv").is_file() and not (out / LOCK_FILE).is_symlink()


def _snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.relative_to(out).parts[0].startswith(".spamlab")}


def test_a_full_disk_while_writing_leaves_the_previous_output_whole(trap, tmp_path, monkeypatch,
                                                                    capsys):
    """Issue 22, case 2: the events were swapped in first, then the counts and the report
    written; a full disk in between left run B's events with run A's counts and report."""
    from spamlab.ingest import outputs

    out = tmp_path / "out"
    assert main(["ingest", str(trap), "--out", str(out)]) == 0
    before = _snapshot(out)
    (trap / "2.eml").write_bytes(MESSAGE.replace(b"<1@x>", b"<2@x>").replace(b"16 Mar", b"17 Mar"))
    real = outputs.staged_file

    def full_disk(path: Path, data: bytes, **kwargs: object) -> Path:
        if path.name == "ingest_report.json":
            raise OSError(28, "No space left on device", str(path))
        return real(path, data, **kwargs)

    monkeypatch.setattr(outputs, "staged_file", full_disk)
    assert main(["ingest", str(trap), "--out", str(out)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert _snapshot(out) == before  # run A whole: events, counts and report
    assert not [p.name for p in out.iterdir() if p.name.startswith(".") and
                not p.name.startswith(".spamlab")]  # nothing staged is left behind
    monkeypatch.setattr(outputs, "staged_file", real)
    assert main(["ingest", str(trap), "--out", str(out)]) == 0
    assert _snapshot(out) != before and "2011-03-17" in (out / "daily_counts.csv").read_text()
