"""``spamlab.mail.containers`` was split by job; its old names still import from it."""

from __future__ import annotations

import importlib
import zipfile
from pathlib import Path

import pytest

from spamlab.mail import containers

#: Every public name of the single ``containers`` module before the split (and the private
#: one the benchmarks use), with the module it now lives in.
MOVED = {
    "discovery": ("ARCHIVE_SUFFIXES", "MBOX_SUFFIXES", "COMPRESSED_SUFFIXES", "Container",
                  "discover", "printable_name"),
    "planning": ("Task", "plan_tasks", "folders_of_part"),
    "reading": ("MEMBER_LIMIT", "MessageSink", "FIRST_READ", "read_head", "head_is_enough",
                "is_archive", "INFLATE_RATIO", "INFLATE_FLOOR", "unsafe_member_name"),
    "archives": ("ARCHIVE_KINDS",),
    "sevenzip": ("FAST_7Z", "_7z_folder_plan"),
}


@pytest.mark.parametrize(("module", "name"), [(m, n) for m, names in MOVED.items() for n in names])
def test_old_name_is_the_new_object(module: str, name: str) -> None:
    home = importlib.import_module(f"spamlab.mail.{module}")
    assert getattr(containers, name) is getattr(home, name)


def test_read_task_reads_every_kind_through_the_old_path(tmp_path: Path) -> None:
    """One message each from a file, an mbox and a zip, read via ``containers`` alone."""

    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "1.eml").write_bytes(b"Subject: a\n\nbody")
    (tmp_path / "m.mbox").write_bytes(b"From x Mon Mar 14 10:00:00 2011\nSubject: b\n\nbody\n")
    with zipfile.ZipFile(tmp_path / "z.zip", "w") as archive:
        archive.writestr("m1", b"Subject: c\n\nbody")
    seen: list[tuple[str, str]] = []
    tasks = containers.plan_tasks(containers.discover(
        [tmp_path / "tree", tmp_path / "m.mbox", tmp_path / "z.zip"]))
    counts = [containers.read_task(task, lambda m, d, p: seen.append((m, p))) for task in tasks]
    assert counts == [1, 1, 1]
    assert sorted(seen) == [("1.eml", ""), ("@0", ""), ("m1", "")]
