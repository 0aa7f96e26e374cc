"""Issue 22, cases 7-9: bytes-safe names, compressed mboxes, linear-time header parsing."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from spamlab import ingest as ing
from spamlab.errors import DataError
from spamlab.mail import containers as mc
from spamlab.mail import headers

_NAME = b"caf\xe9.eml"
_ESCAPED = "caf\\xe9.eml"


def _message(day: int, hour: int = 10) -> bytes:
    return (f"Received: from a ([91.198.174.192]) by trap; {day:02d} Mar 2011 {hour:02d}:00:00 "
            f"+0000\nSubject: s{day}-{hour}\n\nbody\n").encode()


def _mbox(count: int) -> bytes:
    return b"".join(b"From trap Mon Mar 14 10:00:00 2011\n" + _message(1 + i % 28, i % 24) + b"\n"
                    for i in range(count))


def _report(out: Path) -> dict:
    return json.loads((out / "ingest_report.json").read_text())


def _members(out: Path) -> list[str]:
    files = sorted((out / "events").rglob("*.parquet"))
    return [m for f in files for m in pq.read_table(f, columns=["member"]).column(0).to_pylist()]


# --- case 8: a name that is not UTF-8 is a message like any other -------------------------

def test_printable_name_escapes_undecodable_bytes() -> None:
    assert mc.printable_name(os.fsdecode(_NAME)) == _ESCAPED
    assert mc.printable_name("café/ok.eml") == "café/ok.eml"
    assert mc.printable_name("\ud800x") == "\\ud800x"  # (a surrogate no byte escapes to)


def test_non_utf8_file_and_folder_names_are_counted_and_escaped(tmp_path: Path) -> None:
    folder = os.path.join(os.fsencode(tmp_path), b"tr\xfcp")
    os.mkdir(folder)
    for name, day in ((_NAME, 1), (b"ok.eml", 2)):
        with open(os.path.join(folder, name), "wb") as handle:
            handle.write(_message(day))
    out = tmp_path / "out"
    result = ing.ingest([os.fsdecode(folder)], out, workers=1)
    assert result.report["messages_counted"] == 2
    assert sorted(_members(out)) == [_ESCAPED, "ok.eml"]
    text = (out / "ingest_report.json").read_text(encoding="utf-8")
    assert [c["name"] for c in _report(out)["containers"]] == ["tr\\xfcp"]
    assert "tr\\\\xfcp" in text  # (JSON escapes the backslash)


def test_non_utf8_tar_member_name_is_counted_and_escaped(tmp_path: Path) -> None:
    path = tmp_path / "trap.tar"
    with tarfile.open(path, "w") as archive:
        for name, day in ((os.fsdecode(_NAME), 1), ("ok.eml", 2)):
            data = _message(day)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    out = tmp_path / "out"
    result = ing.ingest([path], out, workers=1)
    assert result.report["messages_counted"] == 2
    assert sorted(_members(out)) == [_ESCAPED, "ok.eml"]


# --- case 9: a compressed mbox is an mbox ----------------------------------------------------

_COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    ".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress,
}


@pytest.mark.parametrize("suffix", sorted(_COMPRESSORS))
def test_compressed_mbox_on_the_command_line_is_read(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"trap.mbox{suffix}"
    path.write_bytes(_COMPRESSORS[suffix](_mbox(7)))
    out = tmp_path / "out"
    report = ing.ingest([path], out, workers=1).report
    assert (report["messages_seen"], report["messages_counted"]) == (7, 7)
    assert report["errors"] == []


@pytest.mark.parametrize("suffix", sorted(_COMPRESSORS))
def test_compressed_mbox_and_message_inside_a_folder_are_read(tmp_path: Path, suffix: str) -> None:
    folder = tmp_path / "trap"
    folder.mkdir()
    compress = _COMPRESSORS[suffix]
    (folder / f"a.mbox{suffix}").write_bytes(compress(_mbox(5)))
    (folder / f"b.eml{suffix}").write_bytes(compress(_message(20)))
    (folder / "c.eml").write_bytes(_message(21))
    out = tmp_path / "out"
    report = ing.ingest([folder], out, workers=1).report
    assert (report["messages_seen"], report["messages_counted"]) == (7, 7)
    assert sum(report["rejected"].values()) == 0


def test_compressed_tar_without_tar_suffix_is_still_a_tar(tmp_path: Path) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        for day in (1, 2, 3):
            data = _message(day)
            info = tarfile.TarInfo(f"{day}.eml")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    path = tmp_path / "trap.gz"
    path.write_bytes(gzip.compress(raw.getvalue()))
    assert [c.kind for c in mc.discover([path])] == ["tar"]
    assert ing.ingest([path], tmp_path / "out", workers=1).report["messages_counted"] == 3


def test_truncated_compressed_mbox_is_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "trap.mbox.gz"
    path.write_bytes(gzip.compress(_mbox(50))[:-20])
    (task,) = mc.plan_tasks(mc.discover([path]))
    with pytest.raises(DataError, match=r"trap\.mbox\.gz: compressed file unreadable"):
        mc.read_task(task, lambda *call: None)


def test_compressed_content_over_member_limit_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "trap.mbox.xz"
    path.write_bytes(lzma.compress(_mbox(50)))
    seen: list[tuple[str, str]] = []
    for task in mc.plan_tasks(mc.discover([path]), member_limit=1000):
        mc.read_task(task, lambda m, d, p: seen.append((m, p)))
    assert seen == [("@0", "member_too_large")]


# --- case 7: header fields are parsed in linear time ----------------------------------------

def _timed(block: bytes) -> float:
    start = time.perf_counter()
    for _ in range(3):
        headers.parse_header_block(block)
        headers.scan_header_block(block)
    return (time.perf_counter() - start) / 3


def _semicolons(count: int) -> bytes:
    """A topmost Received header of ``count`` ``;`` none of which precedes a date (60 KB at 20k)."""
    return (b"Received: from x ([91.198.174.192]) by trap" + b"; x" * count
            + b"\nDate: " + b"; x" * count + b"\nSubject: s\n")


def test_received_header_full_of_semicolons_is_parsed_in_linear_time() -> None:
    small, large = _timed(_semicolons(20_000)), _timed(_semicolons(40_000))
    assert small < 0.5, f"20,000 ';' took {small:.2f} s"
    assert large < 2.5 * small + 0.05, f"40,000 ';' took {large:.3f} s, 20,000 {small:.3f} s"


@pytest.mark.parametrize("comment", [b" (a; b)", b" (c;)" * 5_000])
def test_received_date_followed_by_semicolons_is_still_found(comment: bytes) -> None:
    block = b"Received: from x by trap; Mon, 14 Mar 2011 10:00:00 +0000" + comment + b"\n"
    fields = headers.parse_header_block(block)
    assert (fields.arrival, fields.time_source) == (1300096800, "received")


def test_date_header_is_used_when_received_has_no_date() -> None:
    block = (b"Received: from x by trap" + b"; x" * 1_000
             + b"\nDate: Mon, 14 Mar 2011 10:00:00 +0000\n")
    fields = headers.parse_header_block(block)
    assert (fields.arrival, fields.time_source) == (1300096800, "date")
