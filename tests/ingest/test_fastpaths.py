"""The speed-ups must not change a single result: fast paths against careful ones and the truth."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spamlab import testing
from spamlab.ingest.parse import ROW_FIELDS, message_sink, parse_task
from spamlab.ingest.pipeline import concat_shards
from spamlab.mail import containers as mc
from spamlab.mail.headers import HEADER_LIMIT, header_block, header_block_careful, parse_date

# Pieces that make every blank-line layout: LF, CRLF, LF CR LF LF, lone CRs, folding, From_.
_PIECES = (b"A: 1", b"\n", b"\r\n", b"\n\n", b"\r\n\r\n", b"\n\r\n", b"\n\r\n\n", b" x", b"\t y",
           b"From x", b"B:2", b"\r", b"")
_LIMITS = (0, 1, 2, 3, 5, 8, 9, 10, 11, 16, 40, 64, HEADER_LIMIT)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=14), st.sampled_from(_LIMITS))
def test_header_block_matches_the_careful_version_on_any_layout(pieces: list[bytes],
                                                                 limit: int) -> None:
    data = b"".join(pieces)
    assert header_block(data, limit) == header_block_careful(data, limit)


def test_header_block_matches_the_careful_version_on_the_corpus_and_near_the_limit() -> None:
    messages = testing.synthetic_messages(400, seed=3, malformed_share=0.3)
    for data in (m.data for m in messages):
        for limit in (HEADER_LIMIT, 300, 600, 900):
            assert header_block(data, limit) == header_block_careful(data, limit)
    for pad in range(24):  # blank line just below, at and just past the limit
        for blank in (b"\n\n", b"\r\n\r\n", b"\n\r\n\n"):
            data = b"A: " + b"x" * (40 + pad) + blank + b"body"
            assert header_block(data, 50) == header_block_careful(data, 50), (pad, blank)


def test_day_cached_dates_give_the_generators_true_epochs() -> None:
    rng = random.Random(5)
    for _ in range(1500):  # 1990..2030: many different days, zones and styles
        when = rng.randrange(631152000, 1900000000)
        for style in ("rfc", "offset", "negative", "named", "comment", "twodigit",
                      "unknown_zone", "no_zone", "absurd_zone", "asctime", "iso"):
            text, truth = testing.format_date(when, style)
            parsed = parse_date(text.encode())
            assert parsed is not None and parsed.epoch == truth, (text, style)


@pytest.mark.parametrize(("text", "expected"), [
    (b"29 Feb 2012 23:59:59 +0000", 1330559999),  # leap day
    (b"29 Feb 2011 10:00:00 +0000", None),  # no such day: the cached day is None
    (b"31 Apr 2011 10:00 +0000", None),
    (b"1 Mar 2011 24:00 +0000", None),  # clock checks run after the day cache
    (b"1 Mar 2011 23:60 +0000", None),
    (b"1 Mar 2011 23:59:60 +0000", 1299023999),  # leap second read as :59
    (b"1 Mar 2011 23:59:61 +0000", None),
    (b"1 Mar 2011 00:00 +0100", 1298934000),  # same day, another zone: another cache entry
    (b"1 Mar 2011 00:00 +0000", 1298937600),
])
def test_day_cache_keeps_every_validity_rule(text: bytes, expected: int | None) -> None:
    for _ in range(2):  # second call is served from the cache
        parsed = parse_date(text)
        assert (parsed.epoch if parsed else None) == expected


def _head_rows(folder: Path, names: list[str], read: object) -> list[tuple]:
    rows: list[tuple] = []
    sink = message_sink(rows, HEADER_LIMIT)
    for name in names:
        fd = os.open(folder / name, os.O_RDONLY)
        try:
            sink(name, read(fd, HEADER_LIMIT + 4), "")
        finally:
            os.close(fd)
    return rows


def test_short_first_read_gives_the_same_rows_as_reading_64k(tmp_path: Path) -> None:
    big_header = b"Received: from x by y; 1 Mar 2011 10:00 +0000\n" + b"X-Pad: " + b"p" * 9000
    files = {
        "long_header": big_header + b"\n\nbody",
        "long_header_crlf": big_header.replace(b"\n", b"\r\n") + b"\r\n\r\nbody",
        "whitespace_then_text": b" \n" * 5000 + b"Subject: late\n\nbody",
        "blank_at_8191": b"Date: 1 Mar 2011 10:00 +0000\nX: " + b"q" * 8152 + b"\n\n" + b"z" * 99,
        "too_large": b"Subject: " + b"x" * 70000 + b"\n\nbody",
        "no_blank_line": b"Date: 1 Mar 2011 10:00 +0000\nX: " + b"r" * 20000,
        "small": b"Date: 1 Mar 2011 10:00 +0000\n\nhi",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    names = sorted(files)
    fast = _head_rows(tmp_path, names, mc.read_head)
    full = _head_rows(tmp_path, names, os.read)
    assert fast == full
    reasons = {row[0]: row[1] for row in fast}
    assert reasons["too_large"] == "header_too_large" and reasons["long_header"] == ""
    assert reasons["whitespace_then_text"] == "not_a_message"


_LONG_HEADERS = (
    b"Date: 1 Mar 2011 10:00 +0000\nX-Pad: " + b"p" * 9000 + b"\n\nbody\n",
    b"Date: 1 Mar 2011 10:00 +0000\r\nX-Pad: " + b"p" * 9000 + b"\r\n\r\nbody\r\n",
    b" \n" * 5000 + b"Subject: late\n\nbody\n",
    b"Date: 1 Mar 2011 10:00 +0000\nX: " + b"q" * 8152 + b"\n\n" + b"z" * 99 + b"\n",
)


@pytest.mark.parametrize("header_limit", [HEADER_LIMIT, 2000, 100])
def test_pipeline_rows_equal_a_per_message_recomputation(tmp_path: Path,
                                                         header_limit: int) -> None:
    """Every row of parse_task equals parsing that message's bytes on their own."""
    messages = [m.data for m in testing.synthetic_messages(300, seed=9, malformed_share=0.3)]
    messages[100:100] = _LONG_HEADERS
    mbox = tmp_path / "trap.mbox"
    mbox.write_bytes(testing.mbox_bytes(messages))
    tasks = mc.plan_tasks(mc.discover([mbox]), mbox_bytes_per_task=8192,
                          header_limit=header_limit)
    columns = concat_shards([parse_task(task) for task in tasks]).to_pydict()
    assert len(columns["member"]) == len(messages)
    expected: list[tuple] = []
    sink = message_sink(expected, header_limit)
    for message in messages:  # as mbox_bytes stores it: newline-terminated, blank line after
        data = message + (b"\n" if message and not message.endswith(b"\n") else b"")
        sink("", (data + b"\n")[:header_limit + 4], "")
    for index, row in enumerate(expected):
        got = tuple(columns[name][index] for name in ROW_FIELDS)
        assert got[1:] == row[1:], (index, got, row)
