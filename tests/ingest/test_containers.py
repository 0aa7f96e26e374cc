"""Containers: discovery, mbox splitting, archives read as bounded streams."""

from __future__ import annotations

import io
import os
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import py7zr
import pytest

from spamlab import testing
from spamlab.errors import DataError, ParameterError
from spamlab.mail import containers as mc
from spamlab.mail import sevenzip
from spamlab.testing import mbox_bytes

MESSAGE = b"Received: from x by trap; Wed, 16 Mar 2011 14:45:00 +0000\nSubject: s\n\nbody\n"


def collect(paths: list[Path], **plan: int) -> list[tuple[str, str, bytes, str]]:
    """(container, member, first bytes, problem) of every message, in order."""
    seen: list[tuple[str, str, bytes, str]] = []
    for task in mc.plan_tasks(mc.discover(paths), **plan):
        mc.read_task(task, lambda m, d, p, name=task.container.name: seen.append((name, m, d, p)))
    return seen


def test_discover_classifies_every_kind(tmp_path: Path) -> None:
    root = tmp_path / "in"
    for sub in ("box/cur", "box/new", "box/tmp", "loose/deep"):
        (root / sub).mkdir(parents=True)
    (root / "box/cur/1:2,S").write_bytes(MESSAGE)
    (root / "box/new/2").write_bytes(MESSAGE)
    (root / "box/tmp/3").write_bytes(MESSAGE)  # delivery in progress: not a message yet
    (root / "loose/deep/a.eml").write_bytes(MESSAGE)
    (root / "trap.mbox").write_bytes(mbox_bytes([MESSAGE, MESSAGE]))
    with zipfile.ZipFile(root / "a.zip", "w") as archive:
        archive.writestr("m1", MESSAGE)
    found = {(c.kind, c.name) for c in mc.discover([root])}
    assert found == {("maildir", "in/box"), ("tree", "in"), ("mbox", "in/trap.mbox"),
                     ("zip", "in/a.zip")}
    seen = collect([root])
    assert len(seen) == 2 + 1 + 2 + 1
    assert ("in/box", "new/2") in {(c, m) for c, m, _, _ in seen}


def test_archives_and_mbox_are_recognised_by_content_without_suffix(tmp_path: Path) -> None:
    (tmp_path / "noext_zip").write_bytes(_zip_bytes({"m": MESSAGE}))
    (tmp_path / "noext_mbox").write_bytes(mbox_bytes([MESSAGE]))
    with tarfile.open(tmp_path / "noext_tgz", "w:gz") as archive:
        _add(archive, "m", MESSAGE)
    kinds = [c.kind for c in mc.discover(sorted(tmp_path.iterdir()))]
    assert kinds == ["mbox", "tar", "zip"]


def test_missing_input_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="no/such/file: input path does not exist"):
        mc.discover(["no/such/file"])


def test_bad_task_sizes_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="files_per_task must be a positive integer"):
        mc.plan_tasks([], files_per_task=0)


def test_mbox_splits_only_on_separator_lines_and_chunks_agree(tmp_path: Path) -> None:
    bodies = [b"Subject: %d\n\nline\nFrom inside a body, not after a blank line\n" % i
              for i in range(50)]
    crlf = [b"Subject: c%d\r\n\r\nbody\r\n" % i for i in range(20)]
    path = tmp_path / "trap.mbox"
    path.write_bytes(mbox_bytes(bodies) + mbox_bytes(crlf).replace(b"\n", b"\r\n"))
    whole = collect([path])
    assert len(whole) == 70
    assert [d.split(b"\n")[:2] for _, _, d, _ in whole][:2] == [  # the From_ line goes along
        [b"From MAILER-DAEMON", b"Subject: 0"], [b"From MAILER-DAEMON", b"Subject: 1"]]
    chunked = collect([path], mbox_bytes_per_task=97)  # many tiny byte ranges
    assert len(mc.plan_tasks(mc.discover([path]), mbox_bytes_per_task=97)) > 10
    assert chunked == whole


def test_mbox_text_before_first_separator_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "odd.mbox"
    path.write_bytes(b"Received: from a by trap; 1 Mar 2011 10:00 +0000\nSubject: orphan\n\nx\n\n"
                     + mbox_bytes([MESSAGE]))
    seen = collect([path])
    assert len(seen) == 2
    assert seen[0][2].startswith(b"Received: from a by trap;")  # no line is taken for a From_ line
    assert seen[1][2].startswith(b"From MAILER-DAEMON\nReceived: from x by trap;")  # its stamp


def test_zip_member_names_are_never_used_as_paths(tmp_path: Path) -> None:
    archive_path = tmp_path / "evil.zip"
    archive_path.write_bytes(_zip_bytes({"../../escaped.eml": MESSAGE, "/abs/x.eml": MESSAGE,
                                         "ok/x.eml": MESSAGE}))
    before = set(_all_files(tmp_path.parent))
    seen = collect([archive_path])
    assert [(m, p) for _, m, _, p in seen] == [("../../escaped.eml", "unsafe_member_name"),
                                               ("/abs/x.eml", "unsafe_member_name"),
                                               ("ok/x.eml", "")]
    assert seen[2][2].startswith(b"Received:")
    assert set(_all_files(tmp_path.parent)) == before


@pytest.mark.parametrize("kind", ["zip", "tar.gz", "7z"])
def test_member_over_the_limit_is_rejected_not_inflated(tmp_path: Path, kind: str) -> None:
    bomb = MESSAGE + b"\0" * (3 * 1024 * 1024)  # compresses to a few kB
    path = _archive(tmp_path, kind, {"small": MESSAGE, "bomb": bomb})
    assert path.stat().st_size < 200_000
    seen = collect([path], member_limit=1024 * 1024)
    assert sorted((m, p) for _, m, _, p in seen) == [("bomb", "member_too_large"), ("small", "")]
    assert max(len(d) for _, _, d, _ in seen) <= mc.HEADER_LIMIT + 4


def test_zip_member_lying_about_its_size_is_caught(tmp_path: Path) -> None:
    data = bytearray(_zip_bytes({"liar": MESSAGE + b"x" * 5000}))
    # Patch the declared uncompressed size (central directory) down to 10 bytes.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (10).to_bytes(4, "little")
    (tmp_path / "liar.zip").write_bytes(bytes(data))
    seen = collect([tmp_path / "liar.zip"], member_limit=1000)
    assert [(m, p) for _, m, _, p in seen] in ([("liar", "member_too_large")],
                                              [("liar", "unreadable")])


def test_tar_special_members_are_counted_as_not_regular(tmp_path: Path) -> None:
    path = tmp_path / "t.tar"
    with tarfile.open(path, "w") as archive:
        _add(archive, "m1", MESSAGE)
        link = tarfile.TarInfo("link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
        folder = tarfile.TarInfo("dir")
        folder.type = tarfile.DIRTYPE
        archive.addfile(folder)
    seen = collect([path])
    assert [(m, p) for _, m, _, p in seen] == [("m1", ""), ("link", "not_a_regular_file")]


def test_unsafe_names_and_links_are_rejected_alike_in_tar_and_zip(tmp_path: Path) -> None:
    expected = [("../up", "unsafe_member_name"), ("/abs", "unsafe_member_name"),
                ("link", "not_a_regular_file"), ("ok", "")]
    tar_path = tmp_path / "t.tar"
    with tarfile.open(tar_path, "w") as archive:
        for name in ("../up", "/abs"):
            _add(archive, name, MESSAGE)
        link = tarfile.TarInfo("link")
        link.type, link.linkname = tarfile.SYMTYPE, "ok"
        archive.addfile(link)
        _add(archive, "ok", MESSAGE)
    zip_path = tmp_path / "z.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        for name in ("../up", "/abs", "ok"):
            archive.writestr(name, MESSAGE)
        link_info = zipfile.ZipInfo("link")
        link_info.external_attr = (0o120777 << 16)  # a Unix symlink: its data is the target
        archive.writestr(link_info, "ok")
    for path in (tar_path, zip_path):
        seen = sorted((m, p) for _, m, _, p in collect([path]))
        assert seen == expected, path.name


@pytest.mark.parametrize("kind", ["zip", "tar", "tar.gz", "7z"])
def test_corrupt_archive_raises_data_error_naming_it(tmp_path: Path, kind: str) -> None:
    path = _archive(tmp_path, kind, {f"m{i}": MESSAGE * 50 for i in range(20)})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    task = mc.plan_tasks(mc.discover([path]))[0]
    with pytest.raises(DataError, match=path.name):
        mc.read_task(task, lambda *args: None)


def test_unreadable_file_in_a_tree_is_reported(tmp_path: Path) -> None:
    (tmp_path / "ok.eml").write_bytes(MESSAGE)
    (tmp_path / "gone.eml").write_bytes(MESSAGE)
    tasks = mc.plan_tasks(mc.discover([tmp_path]))
    (tmp_path / "gone.eml").unlink()  # vanished between listing and reading
    seen: list[tuple[str, str]] = []
    mc.read_task(tasks[0], lambda m, d, p: seen.append((m, p)))
    assert seen == [("gone.eml", "unreadable"), ("ok.eml", "")]


# ---------------------------------------------------------------- helpers


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def _archive(folder: Path, kind: str, members: dict[str, bytes]) -> Path:
    path = folder / f"a.{kind}"
    if kind == "zip":
        path.write_bytes(_zip_bytes(members))
    elif kind == "7z":
        with py7zr.SevenZipFile(path, "w") as archive:
            for name, data in members.items():
                archive.writestr(data, name)
    else:
        with tarfile.open(path, "w:gz" if kind == "tar.gz" else "w") as archive:
            for name, data in members.items():
                _add(archive, name, data)
    return path


def _all_files(root: Path) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


def test_mbox_without_suffix_inside_a_folder_is_split(tmp_path: Path) -> None:
    (tmp_path / "Inbox").write_bytes(mbox_bytes([MESSAGE, MESSAGE, MESSAGE]))
    (tmp_path / "single.eml").write_bytes(b"From sender Mon Mar 14 10:00:00 2011\n" + MESSAGE)
    seen = collect([tmp_path])
    step = len(mbox_bytes([MESSAGE]))
    assert [m for _, m, _, _ in seen] == ["Inbox@0", f"Inbox@{step}", f"Inbox@{2 * step}",
                                          "single.eml@0"]
    assert all(d.split(b"\n", 1)[1].startswith(b"Received:") for _, _, d, _ in seen)


def test_inputs_sharing_a_label_are_refused(tmp_path: Path) -> None:
    for parent in ("a", "b"):
        (tmp_path / parent / "trap").mkdir(parents=True)
        (tmp_path / parent / "trap" / "m").write_bytes(MESSAGE)
    with pytest.raises(DataError, match="would both be labelled 'trap'"):
        mc.discover([tmp_path / "a" / "trap", tmp_path / "b" / "trap"])
    with pytest.raises(DataError, match="would both be labelled 'trap'"):
        mc.discover([tmp_path / "a" / "trap", tmp_path / "a" / "trap"])
    assert len(mc.discover([tmp_path])) == 1  # the common parent works


SEVENZIP_FIXTURES = sorted((Path(__file__).parent / "fixtures" / "sevenzip").glob("*.7z"))


def _seven_zip_calls(path: Path, fast: bool, monkeypatch: pytest.MonkeyPatch,
                     **plan: int) -> tuple[list[tuple[str, bytes, str]], str]:
    """Sink calls of reading one 7z archive, and the error (if any), by one of the two readers."""
    monkeypatch.setattr(sevenzip, "FAST_7Z", fast)
    calls: list[tuple[str, bytes, str]] = []
    task = mc.plan_tasks(mc.discover([path]), **plan)[0]
    try:
        count = mc.read_task(task, lambda m, d, p: calls.append((m, d, p)))
    except DataError as exc:
        return calls, type(exc).__name__
    assert count == len(calls)
    return calls, ""


def _uses_folder_reader(path: Path) -> bool:
    with py7zr.SevenZipFile(path) as archive:
        members = [f for f in archive.files if not f.is_directory]
        return mc._7z_folder_plan(archive, members) is not None


@pytest.mark.parametrize("path", SEVENZIP_FIXTURES, ids=lambda p: p.name)
def test_7zip_archives_read_alike_by_folder_and_by_py7zr(path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _seven_zip_calls(path, True, monkeypatch, member_limit=2000)
    slow = _seven_zip_calls(path, False, monkeypatch, member_limit=2000)
    assert fast == slow
    assert _uses_folder_reader(path) == (path.name not in ("bcj2.7z", "aes.7z"))
    calls, error = fast
    if path.name in ("bcj2.7z", "aes.7z"):
        assert error == "DataError"
    elif path.name.startswith("empties"):
        assert [c[0] for c in calls] == ["a_empty", "m/empty2", "z_empty", "b/msg", "m/msg", "zz"]
    else:
        assert not error
        assert calls[0] == ("big", b"", "member_too_large")
        assert calls[1] == ("sub/empty", b"", "")
        assert [c[0] for c in calls[2:]] == ["cur/1", "sub/2", "sub/deep/3"]
        assert calls[2][1].startswith(b"Received: from a ([8.8.8.8])")


@pytest.mark.parametrize("parts", [2, 3])
@pytest.mark.parametrize("path", [p for p in SEVENZIP_FIXTURES if p.name not in ("bcj2.7z", "aes.7z")],
                         ids=lambda p: getattr(p, "name", p))
def test_7z_parts_together_read_what_one_task_reads(path: Path, parts: int) -> None:
    whole: list[tuple[str, bytes, str]] = []
    mc.read_task(mc.plan_tasks(mc.discover([path]), member_limit=2000)[0],
                 lambda m, d, p: whole.append((m, d, p)))
    tasks = mc.plan_tasks(mc.discover([path]), member_limit=2000, archive_parts=parts)
    assert [(t.start, t.stop) for t in tasks] == [(part, parts) for part in range(parts)]
    assert sum(t.files_read for t in tasks) == 1
    pieces = []
    for task in tasks:
        calls: list[tuple[str, bytes, str]] = []
        assert mc.read_task(task, lambda m, d, p, into=calls: into.append((m, d, p))) == len(calls)
        pieces.append(calls)
    assert [call for calls in pieces for call in calls] == whole  # same calls, same order
    if parts == 2 and path.name in ("nonsolid.7z", "blocks.7z"):  # several folders: both decode
        assert all(pieces)


def test_py7zr_written_corpus_reads_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    truth = testing.write_corpus(tmp_path, 300, formats=("7z",), seed=8, malformed_share=0.3)
    path = truth.paths[0]
    assert _uses_folder_reader(path)
    for limits in ({}, {"header_limit": 50}, {"member_limit": 900}):
        fast = _seven_zip_calls(path, True, monkeypatch, **limits)
        assert fast == _seven_zip_calls(path, False, monkeypatch, **limits)
        assert len(fast[0]) == 300 and not fast[1]


def test_7z_member_failing_its_crc_is_an_error(tmp_path: Path) -> None:
    data = (Path(__file__).parent / "fixtures" / "sevenzip" / "copy.7z").read_bytes()
    position = data.index(b"body one")  # stored uncompressed: flip a byte of cur/1
    broken = tmp_path / "broken.7z"
    broken.write_bytes(data[:position] + b"B" + data[position + 1:])
    task = mc.plan_tasks(mc.discover([broken]))[0]
    with pytest.raises(DataError, match=r"broken.7z: member cur/1 fails its CRC check"):
        mc.read_task(task, lambda m, d, p: None)


def test_truncated_7z_is_an_error_naming_it(tmp_path: Path) -> None:
    data = (Path(__file__).parent / "fixtures" / "sevenzip" / "nonsolid.7z").read_bytes()
    cut = tmp_path / "cut.7z"
    cut.write_bytes(data[:len(data) // 3])
    task = mc.plan_tasks(mc.discover([cut]))[0]
    with pytest.raises(DataError, match="cut.7z"):
        mc.read_task(task, lambda m, d, p: None)


def test_large_7z_member_over_the_limit_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.7z"
    with py7zr.SevenZipFile(path, "w") as archive:
        archive.writestr(b"Date: 1 Mar 2011 10:00 +0000\n\nfirst\n", "a")
        archive.writestr(b"\0" * (64 * 1024 * 1024), "b")  # 64 MiB that compress to a few KiB
        archive.writestr(b"Date: 2 Mar 2011 10:00 +0000\n\nlast\n", "c")
    assert path.stat().st_size < 200_000
    assert _uses_folder_reader(path)
    task = mc.plan_tasks(mc.discover([path]), member_limit=1024 * 1024)[0]
    calls: list[tuple[str, bytes, str]] = []
    tracemalloc.start()
    try:
        mc.read_task(task, lambda m, d, p: calls.append((m, d, p)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [(m, p) for m, _, p in calls] == [("b", "member_too_large"), ("a", ""), ("c", "")]
    assert calls[2][1].endswith(b"last\n")
    assert peak < 32 * 1024 * 1024, peak  # the LZMA2 dictionary (16 MiB) and 1 MiB steps
