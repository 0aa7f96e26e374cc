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
