"""Real-world mess fed to ingest: mbox writers without blank lines, mboxes inside archives,
odd date zones and Received comments. Every input message must be seen exactly once."""

from __future__ import annotations

import io
import tarfile
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import py7zr
import pytest

from spamlab.ingest import IngestOptions, ingest, read_events
from spamlab.mail import containers as mc
from spamlab.mail import sevenzip
from spamlab.mail.headers import parse_date, scan_header_block

NOT_AFTER = datetime(2020, 1, 1, tzinfo=UTC).timestamp()


def message(number: int) -> bytes:
    return (b"Received: from x ([192.0.2.1]) by trap; Wed, 16 Mar 2011 14:%02d:00 +0000\n"
            b"Message-ID: <m%d@spam>\nSubject: s\n\nline\n" % (number, number))


def from_line(number: int) -> bytes:
    return b"From spammer@example.com Wed Mar 16 14:%02d:00 2011\n" % number


def squeezed_mbox(numbers: range, crlf: bool = False) -> bytes:
    """An mbox whose writer puts no blank line between a message and the next From_ line."""
    data = b"".join(from_line(n) + message(n) for n in numbers)
    return data.replace(b"\n", b"\r\n") if crlf else data


def read_all(path: Path, **plan: int) -> list[tuple[str, bytes, str]]:
    calls: list[tuple[str, bytes, str]] = []
    for task in mc.plan_tasks(mc.discover([path]), **plan):
        before = len(calls)
        count = mc.read_task(task, lambda m, d, p: calls.append((m, d, p)))
        assert count == len(calls) - before  # the reader's count: the messages it passed on
    return calls


def message_ids(calls: list[tuple[str, bytes, str]]) -> list[bytes]:
    """The Message-ID of each message passed on, read from its header block only."""
    headers = [data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0] for _, data, _ in calls]
    return [line.split(b":", 1)[1].strip() for block in headers
            for line in block.splitlines() if line.startswith(b"Message-ID:")]


@pytest.mark.parametrize("crlf", [False, True])
def test_mbox_without_blank_lines_between_messages_keeps_every_message(
        tmp_path: Path, crlf: bool) -> None:
    path = tmp_path / "squeezed.mbox"
    path.write_bytes(squeezed_mbox(range(12), crlf))
    whole = read_all(path)
    assert message_ids(whole) == [b"<m%d@spam>" % n for n in range(12)]  # the old reader: 1
    assert read_all(path, mbox_bytes_per_task=60) == whole  # cut into ranges: the same


def test_from_in_a_body_that_is_not_a_from_line_does_not_split(tmp_path: Path) -> None:
    path = tmp_path / "body.mbox"
    body = b"From here on, unquoted\nFrom spammer with no date\n"
    path.write_bytes(from_line(1) + message(1) + body + from_line(2) + message(2))
    assert message_ids(read_all(path)) == [b"<m1@spam>", b"<m2@spam>"]


def archive_bytes(kind: str, members: dict[str, bytes], path: Path) -> None:
    if kind == "zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)
    elif kind == "tar":
        with tarfile.open(path, "w:gz") as archive:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    else:
        with py7zr.SevenZipFile(path, "w") as archive:
            for name, data in members.items():
                archive.writestr(data, name)


@pytest.mark.parametrize(("kind", "fast"), [("zip", True), ("tar", True), ("7z", True),
                                            ("7z", False)])
def test_an_mbox_inside_an_archive_is_split_into_its_messages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, fast: bool) -> None:
    monkeypatch.setattr(sevenzip, "FAST_7Z", fast)
    mbox = b"".join(from_line(n) + message(n) + b"\n" for n in range(5)) + squeezed_mbox(
        range(5, 9))
    path = tmp_path / f"trap.{'tar.gz' if kind == 'tar' else kind}"
    archive_bytes(kind, {"a.eml": message(40), "b.mbox": mbox, "c.eml": message(41)}, path)
    calls = read_all(path)
    assert message_ids(calls) == [b"<m%d@spam>" % n for n in (40, *range(9), 41)]  # old: 3
    second = len(from_line(0) + message(0)) + 1
    assert [m for m, _, _ in calls][:3] == ["a.eml", "b.mbox@0", f"b.mbox@{second}"]


def test_ingest_accounts_for_every_message_of_a_zipped_squeezed_mbox(tmp_path: Path) -> None:
    path = tmp_path / "in" / "trap archive é.zip"  # a path with a space and non-ASCII
    path.parent.mkdir()
    archive_bytes("zip", {"trap.mbox": squeezed_mbox(range(7))}, path)
    result = ingest([path], tmp_path / "out", workers=1, progress=False,
                    options=IngestOptions(not_after=NOT_AFTER))
    assert result.report["messages_seen"] == result.report["messages_counted"] == 7
    events = read_events(tmp_path / "out")
    expected = [datetime(2011, 3, 16, 14, n, tzinfo=UTC) for n in range(7)]
    assert sorted(events["arrival"].dt.to_pydatetime()) == expected


@pytest.mark.parametrize(("text", "offset"), [
    (b"Wed, 16 Mar 2011 14:45:00 +01:00", timedelta(hours=1)),
    (b"16 Mar 2011 14:45 -05:30", -timedelta(hours=5, minutes=30)),
])
def test_a_zone_written_with_a_colon_is_read(text: bytes, offset: timedelta) -> None:
    expected = datetime(2011, 3, 16, 14, 45, tzinfo=timezone(offset)).timestamp()
    parsed = parse_date(text)
    assert parsed is not None
    assert (parsed.epoch, parsed.tz_flag) == (expected, "")  # old: 14:45 UTC, flagged missing


def test_a_semicolon_in_a_comment_after_the_received_date_keeps_the_received_time() -> None:
    block = (b"Received: from x ([192.0.2.1]) by trap for <a@b>; Wed, 16 Mar 2011 14:45:00 "
             b"+0000 (envelope-from <s@x>; relayed)\nDate: Sat, 1 Jan 2011 00:00:00 +0000")
    arrival, source, flag = scan_header_block(block)[:3]
    expected = datetime(2011, 3, 16, 14, 45, tzinfo=UTC).timestamp()
    assert (arrival, source, flag) == (expected, "received", "")  # old: the sender's Date


def test_a_message_saved_with_a_utf8_byte_order_mark_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "saved by outlook"
    folder.mkdir()
    (folder / "bom.eml").write_bytes(b"\xef\xbb\xbf" + message(7))
    (folder / "bom-crlf.eml").write_bytes(b"\xef\xbb\xbf" + message(8).replace(b"\n", b"\r\n"))
    result = ingest([folder], tmp_path / "out", workers=1, progress=False,
                    options=IngestOptions(not_after=NOT_AFTER))
    assert result.report["messages_counted"] == 2  # old: both rejected as not_a_message
    events = read_events(tmp_path / "out").sort_values("member")
    assert list(events["message_id"]) == ["<m8@spam>", "<m7@spam>"]


@pytest.mark.parametrize("outer", ["zip", "tar"])
def test_an_archive_inside_an_archive_is_rejected_as_nested_not_as_not_a_message(
        tmp_path: Path, outer: str) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("inner.eml", message(1))
    path = tmp_path / f"outer.{outer}"
    archive_bytes(outer, {"inner.zip": inner.getvalue(), "loose.eml": message(2)}, path)
    result = ingest([path], tmp_path / "out", workers=1, progress=False,
                    options=IngestOptions(not_after=NOT_AFTER))
    report = result.report
    assert report["messages_seen"] == 2 and report["messages_counted"] == 1
    assert report["rejected"]["nested_archive"] == 1  # old: counted as not_a_message
    assert report["rejected"]["not_a_message"] == 0
