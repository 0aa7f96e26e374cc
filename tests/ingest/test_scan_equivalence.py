"""The compiled scanner (``spamlab.mail._scan``) gives the pure-Python rows, message by message.

``scan_row_python`` defines every result; the C code repeats its common path
and hands the rest back. These tests feed both the same bytes (the synthetic
corpus, hand-made edge cases, and generated header blocks with mutated dates,
addresses, subjects and line structure) and require identical rows. Hashes are
also checked against :mod:`hashlib` directly, so a wrong BLAKE2b in C cannot
hide behind a shared helper.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spamlab import testing
from spamlab.mail import headers
from spamlab.mail.headers import HEADER_LIMIT, scan_row_python

compiled = headers._COMPILED_SCAN_ROW
needs_compiled = pytest.mark.skipif(compiled is None, reason="spamlab.mail._scan is not built")


def both(data: bytes, limit: int = HEADER_LIMIT) -> tuple[tuple, tuple]:
    want = limit + 4
    head = data[:want]
    assert compiled is not None
    return compiled("m", head, limit, want), scan_row_python("m", head, limit, want)


def assert_same(data: bytes, limit: int = HEADER_LIMIT) -> tuple:
    fast, reference = both(data, limit)
    assert fast == reference, (data[:300], fast, reference)
    assert [type(v) for v in fast] == [type(v) for v in reference]
    return fast


def test_compiled_scanner_is_built_where_a_c_compiler_exists() -> None:
    """A machine with a compiler must not fall back silently (the build is optional)."""
    if os.environ.get("SPAMLAB_PURE_PYTHON", "") not in ("", "0"):
        pytest.skip("pure Python requested")
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if not any(Path(folder, compiler).exists()
               for folder in os.environ.get("PATH", "").split(os.pathsep)):
        pytest.skip(f"no C compiler ({compiler}) on PATH")
    assert headers.SCANNER == "compiled"


def test_pure_python_can_be_forced() -> None:
    code = "from spamlab.mail import headers; print(headers.SCANNER)"
    env = {**os.environ, "SPAMLAB_PURE_PYTHON": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "python"


@needs_compiled
@pytest.mark.parametrize("limit", [HEADER_LIMIT, 8192, 2000, 300, 100, 12])
@pytest.mark.parametrize("seed", [1, 2])
def test_synthetic_corpus_rows_are_identical(limit: int, seed: int) -> None:
    messages = testing.synthetic_messages(1500, seed=seed, malformed_share=0.35)
    for message in messages:
        assert_same(message.data, limit)
        assert_same(message.data.replace(b"\n", b"\r\n"), limit)


EDGE_CASES = [
    b"",
    b"\n\n\n",
    b" \r\n \r\n",
    b"From trap@x Mon Mar 14 10:00:00 2011\nDate: 1 Mar 2011 10:00 +0000\n\nbody",
    b"From trap@x Mon Mar 14 10:00:00 2011",
    b"From a\nFrom b\nDate: 1 Mar 2011 10:00 +0000\n\n",
    b">From x\nDate: 1 Mar 2011 10:00 +0000\n\n",
    b"not a header line\nDate: 1 Mar 2011 10:00 +0000\n\n",
    b"Date: 1 Mar 2011 10:00 +0000",  # no blank line: truncated
    b"Date: 1 Mar 2011 10:00 +0000\n\r\n\nbody",
    b"Date: 1 Mar 2011 10:00 +0000\n\r\nbody",
    b"Date: 1 Mar 2011 10:00 +0000\n\r\r\nbody",
    b"DATE  \t: 1 Mar 2011 10:00 +0000\nmessage-ID: < a @ b >\n\n",
    b"Date:1 Mar 2011 10:00 +0000\nDate: 2 Mar 2011 10:00 +0000\n\n",
    b"X-Date: 2 Mar 2011 10:00 +0000\nDate-Extra: x\nDate: 1 Mar 2011 10:00 +0000\n\n",
    b"Subject: a\n\tfolded\n  twice\nDate: 1 Mar 2011\n 10:00 +0000\n\n",
    (b"Received: from a ([10.0.0.1]) by b; 1 Mar 2011 10:00 +0000\n"
     b"Received: from c ([8.8.8.8]) by d; 1 Mar 2011 09:00 +0000\n\n"),
    b"Received: from a ([010.1.2.3]) by b; 1 Mar 2011 10:00 +0000\n\n",
    b"Received: from a ([IPv6:2001:db8::1] [2a00:1450::1]) by b; x\nDate: 1 Mar 2011 10:00\n\n",
    b"Received: from a ([1.2.3.4.5] [256.1.1.1] [9.9.9.9]) by b; junk\n\n",
    b"Received: from a [" + b"1" * 50 + b"] ([77.1.2.3]) by b; 1 Mar 2011 10:00 +0000\n\n",
    b"Received: by b; 1 Mar 2011 10:00 +0000\nReceived: from [93.1.2.3] by c; x\n\n",
    b"Received: from a by b\nDate: Tue, 1 Mar 2011 10:00:00 +0100\n\n",
    b"Received: from a by b; \nDate: Tue, 1 Mar 2011 10:00:00 +0100\n\n",
    b"Received: from a by b; Tue Mar  1 10:00:00 2011\n\n",
    b"Received: from a by b; 2011-03-01T10:00:00Z\n\n",
    b"Received: from a by b; 2011-03-01 10:00:00 +01:00\n\n",
    b"Received: from a by b; Tuesday 1st March 2011\nDate: 1 Mar 2011 10:00 +0000\n\n",
    b"From: =?utf-8?q?Caf=C3=A9?= <x@Caf\xc3\xa9.example>\nDate: 1 Mar 2011 10:00 GMT\n\n",
    b"From: a@b.c, d@e.f <g@H.I.>\nDate: 1 Mar 2011 10:00 +0000\n\n",
    b"From: <@>\nDate: 1 Mar 2011 10:00 +0000\n\n",
    b"From: x@ \t -bad.example\nDate: 1 Mar 2011 10:00 +0000\n\n",
    b"Subject: =?iso-8859-1?q?caf=E9?= =?utf-8?b?w6k=?=\nDate: 1 Mar 2011 10:00 +0000\n\n",
    b"Subject: \xe9t\xe9\nDate: 1 Mar 2011 10:00 +0000\n\n",
    b"Subject:\nDate: 1 Mar 2011 10:00 +0000\n\n",
    b"Subject: = ?x\nDate: 1 Mar 2011 10:00 +0000\n\n",
    b"Subject: " + b"long " * 1200 + b"\nDate: 1 Mar 2011 10:00 +0000\n\n",
    b"Message-ID: <" + b"x" * 1500 + b"@y>\nDate: 1 Mar 2011 10:00 +0000\n\n",
    b"Message-ID: <" + b"x" * 1010 + b"@y>\nDate: 1 Mar 2011 10:00 +0000\n\n",
    b"Received: from a by b ([8.8.8.8]); 1 Mar 2011 10:00 +0000\n\n",
    b"Received: from a ([10.1.1.1]) by b ([8.8.8.8]); x\nReceived: from c by d ([9.9.9.9])\n\n",
    b"Message-ID: <\xff\xfe@y>\nDate: 1 Mar 2011 10:00 +0000\n\n",
    b"Message-ID: \nDate: 1 Mar 2011 10:00 +0000\n\n",
    b"X-Mailer: =?utf-8?b?w6k=?=\nUser-Agent: other\nDate: 1 Mar 2011 10:00 +0000\n\n",
    b"User-Agent: only agent\nDate: 1 Mar 2011 10:00 +0000\n\n",
    b"Received: x; 1 Mar 2011 10:00 +0000\n" * 80 + b"\n",
    b"Date: 1 Mar 2011 10:00 +0000\nX-Pad: " + b"p" * 70000 + b"\n\n",
    b"X-Pad: " + b"p" * (HEADER_LIMIT - 20) + b"\nDate: 1 Mar 2011 10:00 +0000\n\n",
]


ADDRESSES = [
    "0.1.2.3", "1.0.0.0", "9.255.255.255", "10.0.0.1", "11.0.0.1", "100.63.255.255", "100.64.0.0",
    "100.127.255.255", "100.128.0.0", "126.255.255.255", "127.0.0.1", "128.0.0.1", "169.253.1.1",
    "169.254.1.1", "169.255.1.1", "172.15.255.255", "172.16.0.0", "172.31.255.255", "172.32.0.0",
    "192.0.0.1", "192.0.1.1", "192.0.2.1", "192.0.3.1", "192.167.1.1", "192.168.1.1",
    "192.169.1.1", "198.17.1.1", "198.18.1.1", "198.19.1.1", "198.20.1.1", "198.51.99.1",
    "198.51.100.1", "198.51.101.1", "203.0.112.1", "203.0.113.1", "203.0.114.1", "203.1.113.1",
    "223.255.255.255", "224.0.0.1", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.",
    "001.2.3.4", "1.02.3.4", "99.99.99.099", "2001:db8::1", "2a00:1450:4001::1", "::1", "fe80::1",
    "ff02::1", "::ffff:8.8.8.8", "2001:4860:4860::8888",
]


@needs_compiled
@pytest.mark.parametrize("address", ADDRESSES)
def test_sender_addresses_give_identical_rows(address: str) -> None:
    row = assert_same(f"Received: from x ([{address}]) by y; 1 Mar 2011 10:00 +0000\n\n".encode())
    assert row[9] == headers._public_ip(address.encode())


@needs_compiled
@pytest.mark.parametrize("data", EDGE_CASES, ids=range(len(EDGE_CASES)))
@pytest.mark.parametrize("limit", [HEADER_LIMIT, 40])
def test_edge_cases_rows_are_identical(data: bytes, limit: int) -> None:
    assert_same(data, limit)


DATES = [
    b"Wed, 16 Mar 2011 14:45:00 +0000", b"16 Mar 2011 15:45:00 +0100", b"Wed,16 Mar 2011 14:45 GMT",
    b"Wed, 16 Mar 11 14:45 EST", b"Sat, 2 Jan 98 10:00:00 est", b"Sat, 2 Jan 098 10:00:00 +0000",
    b"Sat, 2 Jan 0000 10:00:00 +0000", b"Sat, 2 Jan 00 10:00:00 +0000", b"2 Jan 49 1:2 +0000",
    b"2 Jan 50 1:2:3 +0000", b"Wed, 16 Mar 2011 14:45:00 -0000", b"Wed, 16 Mar 2011 14:45:00",
    b"16 Mar 2011 14:45:00 +9900", b"16 Mar 2011 14:45:00 +0175",
    b"16 Mar 2011 14:45:00 +0160", b"16 Mar 2011 14:45:00 -0159", b"16 Mar 2011 14:45:00 -1400", b"16 Mar 2011 14:45:00 +1400",
    b"16 Mar 2011 14:45:00 -1401", b"16 Mar 2011 14:45:00 +01000", b"16 Mar 2011 14:45:00 +010",
    b"16 Mar 2011 14:45:00 GMT0", b"16 Mar 2011 14:45:00 GMT_", b"16 Mar 2011 14:45:00 ABCDEF",
    b"16 Mar 2011 14:45:00 Z", b"16 Mar 2011 14:45:00 CEST", b"16 Mar 2011 14:45:00 XYZ",
    b"16 Mar 2011 14:45:00.123 +0200", b"16 Mar 2011 14:45:00. +0200", b"16 Mar 2011 14:45: +0200",
    b"16 Mar 2011 14:45:7 +0200", b"16 Mar 2011 14:45:60 +0000", b"16 Mar 2011 14:45:61 +0000",
    b"16 Mar 2011 24:00 +0000", b"16 Mar 2011 23:60 +0000", b"29 Feb 2012 23:59:59 +0000",
    b"29 Feb 2011 10:00 +0000", b"29 Feb 2000 10:00 +0000", b"29 Feb 1900 10:00 +0000",
    b"31 Apr 2011 10:00 +0000", b"0 Mar 2011 10:00 +0000", b"32 Mar 2011 10:00 +0000",
    b"16 Foo 2011 10:00 +0000", b"16 MARCH 2011 10:00 +0000", b"16-Mar-2011 10:00 +0000",
    b"16 Mar. 2011 10:00 +0000", b"16 Mar 2011, 10:00 +0000", b"16 Mar 20111 10:00 +0000",
    b"16 Mar 2 10:00 +0000", b"116 Mar 2011 10:00 +0000", b"16 Mar 2011 100:00 +0000",
    b"16 Mar 2011 10:000 +0000", b"16Mar 2011 10:00 +0000", b"Mar 16 2011 10:00 +0000",
    b"Wed Mar 16 14:45:00 2011", b"Wed Mar 16 14:45:00 +0100 2011", b"2011-03-16T15:45:00+01:00",
    b"2011-03-16 15:45", b"16 Mar 2011 10:00 +0000 (added by x)", b"16 Mar 9999 23:59 -1400",
    b"31 Dec 1969 23:59:59 +0000", b"1 Jan 0001 00:00 +0000", b"yesterday", b"", b"16",
    b"16 Mar 2011 10:00 +\xff", b"\xe9 16 Mar 2011 10:00 +0000", b"16 Mar 2011 10:00 \xe9",
]


@needs_compiled
@pytest.mark.parametrize("text", DATES)
def test_dates_give_identical_rows_in_received_and_date(text: bytes) -> None:
    assert_same(b"Received: from a by b; " + text + b"\nDate: 2 Mar 2011 10:00 +0000\n\n")
    assert_same(b"Date: " + text + b"\n\n")
    assert_same(b"Date: \t" + text + b" \r\n\r\n")


@needs_compiled
def test_subject_hash_is_blake2b_at_every_block_boundary() -> None:
    for length in [*range(300), 1023, 1024, 1025, 4000, 4094, 4095, 4096]:
        subject = (b"spam offer " * 400)[:length].strip()
        row = assert_same(b"Subject: " + subject + b"\nDate: 1 Mar 2011 10:00 +0000\n\n")
        expected = hashlib.blake2b(b" ".join(subject.split()), digest_size=8).hexdigest()
        assert row[8] == expected, length


_NAMES = st.sampled_from([b"Received", b"received", b"RECEIVED ", b"Date", b"date\t", b"Date",
                          b"Message-ID", b"Message-Id", b"From", b"from", b"Subject", b"SUBJECT",
                          b"X-Mailer", b"User-Agent", b"X-Other", b"Dated", b"From-x", b"Reply-To"])
_PIECES = st.sampled_from([
    b" ", b"  ", b"\t", b";", b"@", b"<", b">", b"[", b"]", b"IPv6:", b"=?", b"?=", b"\xe9", b"\xff",
    b"from", b" by ", b"x.example", b"Mar", b"Feb", b"Wed,", b"16", b"2011", b"11", b"29", b"10:00",
    b"23:59:59", b"10:00:00.5", b"+0100", b"-0000", b"+9900", b"GMT", b"EST", b"EDT", b"Z", b"-",
    b"91.198.174.192", b"10.0.0.1", b"192.168.1.1", b"8.8.8.8", b"01.2.3.4", b"2001:db8::1",
    b"2a00:1450:4001::1", b"=?utf-8?q?Gr=C3=BC=C3=9Fe?=", b"=?utf-8?b?w6k=?=", b"=?bad?x?y?=",
    b"\r", b"\n ", b"\r\n\t", b"1.2.3", b"256.1.1.1", b"(comment)", b"0", b"99",
])
_VALUE = st.lists(_PIECES, max_size=14).map(b"".join)
_LINE = st.tuples(_NAMES, st.sampled_from([b":", b" :", b"\t:", b""]), _VALUE).map(b"".join)


@st.composite
def header_messages(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(_LINE, min_size=0, max_size=12))
    newline = draw(st.sampled_from([b"\n", b"\r\n"]))
    prefix = draw(st.sampled_from([b"", b"From spammer Wed Mar 16 10:00:00 2011\n", b" ", b">From x\n"]))
    ending = draw(st.sampled_from([newline + newline + b"body", newline, b"", newline + b"\r\n"]))
    return prefix + newline.join(lines) + ending


@needs_compiled
@settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header_messages(), st.sampled_from([HEADER_LIMIT, 200, 60]))
def test_generated_header_blocks_give_identical_rows(data: bytes, limit: int) -> None:
    assert_same(data, limit)


@needs_compiled
@settings(max_examples=1500, deadline=None)
@given(st.integers(0, 400), st.data())
def test_byte_mutations_of_real_messages_give_identical_rows(index: int, data: st.DataObject,
                                                              ) -> None:
    message = bytearray(_CORPUS[index % len(_CORPUS)][:1500])
    for _ in range(data.draw(st.integers(1, 6))):
        position = data.draw(st.integers(0, max(len(message) - 1, 0)))
        byte = data.draw(st.sampled_from(b"\n\r \t:;@<>[].-+0123456789aZ=?\xe9"))
        action = data.draw(st.sampled_from(["insert", "replace", "delete"]))
        if action == "insert":
            message[position:position] = bytes([byte])
        elif action == "replace" and message:
            message[position] = byte
        elif message:
            del message[position]
    assert_same(bytes(message))


_CORPUS = [m.data for m in testing.synthetic_messages(401, seed=77, malformed_share=0.3)]


@needs_compiled
def test_helper_errors_propagate_and_configure_checks_its_arguments() -> None:
    from spamlab.mail import _scan  # type: ignore[attr-defined]

    def broken(value: bytes) -> None:
        raise RuntimeError("helper failed")

    helpers = {"fallback": scan_row_python, "parse_date_text": headers._parse_date_text,
               "message_id": headers._message_id, "subject_hash": headers._subject_hash,
               "mailer": headers._mailer, "public_ip": headers._public_ip}
    try:
        _scan.configure(**{**helpers, "mailer": broken})
        with pytest.raises(RuntimeError, match="helper failed"):
            _scan.scan_row("m", b"X-Mailer: x\nDate: 1 Mar 2011 10:00 +0000\n\n", 100, 104)
        with pytest.raises(TypeError, match="parse_date_text must be callable"):
            _scan.configure(**{**helpers, "parse_date_text": 3})
        with pytest.raises(TypeError):
            _scan.scan_row("m", b"", 100)
    finally:
        _scan.configure(**helpers)
    assert_same(b"X-Mailer: x\nDate: 1 Mar 2011 10:00 +0000\n\n")


@needs_compiled
def test_ingest_outputs_are_byte_identical_with_and_without_the_compiled_scanner(
        tmp_path: Path) -> None:
    """The whole command, every container format, run once per scanner."""
    corpus = testing.write_corpus(tmp_path / "in", 400, seed=21, malformed_share=0.3)
    outputs = {}
    for scanner, pure in (("compiled", "0"), ("python", "1")):
        out = tmp_path / scanner
        env = {**os.environ, "SPAMLAB_PURE_PYTHON": pure}
        subprocess.run([sys.executable, "-m", "spamlab.cli", "ingest", *map(str, corpus.paths),
                        "--out", str(out), "--workers", "1", "--quiet"], env=env, check=True,
                       capture_output=True)
        outputs[scanner] = {p.relative_to(out).as_posix(): p.read_bytes()
                            for p in sorted(out.rglob("*")) if p.is_file()}
    assert "ingest_report.json" in outputs["compiled"]
    assert outputs["compiled"] == outputs["python"]
    report = json.loads(outputs["compiled"]["ingest_report.json"])
    assert report["messages_seen"] == 400 and report["messages_counted"] > 200
    assert any(name.startswith("events/") for name in outputs["compiled"])


def _mbox_rows(path: Path, start: int, stop: int | None, limit: int, bulk: bool) -> list[tuple]:
    """Rows of an mbox byte range, through the compiled range reader or one message at a time."""
    from spamlab import ingest
    from spamlab.mail import containers

    rows: list[tuple] = []
    sink = ingest._message_sink(rows, limit)
    if not bulk:
        def sink_one(member: str, data: bytes, problem: str) -> None:  # no mbox_range attribute
            rows.append(scan_row_python(member, data, limit, limit + 4))
        count = containers._read_mbox_range(path, start, stop, limit + 4, sink_one, "@")
    else:
        assert hasattr(sink, "mbox_range")
        count = containers._read_mbox_range(path, start, stop, limit + 4, sink, "@")
    assert count == len(rows)
    return rows


_MBOX_PIECES = st.sampled_from([
    b"From a@b Wed Mar 16 10:00:00 2011\n", b"From \n", b"From", b">From x\n", b"\n", b"\r\n",
    b"\n\n", b"\n\r\n", b" \n", b"Date: 1 Mar 2011 10:00 +0000\n", b"Subject: s\n",
    b"Received: from a ([8.8.8.8]) by b; 2 Mar 2011 10:00 +0000\n", b"body text\n",
    b"Message-ID: <m@x>\n", b"X-Pad: " + b"p" * 120 + b"\n",
])


@needs_compiled
@settings(max_examples=600, deadline=None)
@given(st.lists(_MBOX_PIECES, max_size=40).map(b"".join), st.data(),
       st.sampled_from([HEADER_LIMIT, 100, 30]))
def test_mbox_ranges_give_identical_rows(content: bytes, data: st.DataObject, limit: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "trap.mbox"
        path.write_bytes(content)
        start = data.draw(st.integers(0, len(content)))
        stop = data.draw(st.one_of(st.none(), st.integers(start, len(content))))
        if content:  # (an empty file is never mapped)
            assert _mbox_rows(path, start, stop, limit, bulk=True) == \
                _mbox_rows(path, start, stop, limit, bulk=False)


@needs_compiled
@pytest.mark.parametrize("limit", [HEADER_LIMIT, 2000, 100])
def test_synthetic_mbox_gives_identical_rows(tmp_path: Path, limit: int) -> None:
    messages = [m.data for m in testing.synthetic_messages(800, seed=5, malformed_share=0.3)]
    messages[100:100] = [  # headers longer than the first 8 KiB read
        b"Date: 1 Mar 2011 10:00 +0000\nX-Pad: " + b"p" * 9000 + b"\n\nbody\n",
        b"Date: 1 Mar 2011 10:00 +0000\r\nX-Pad: " + b"p" * 9000 + b"\r\n\r\nbody\r\n",
        b" \n" * 5000 + b"Subject: late\n\nbody\n",
        b"Date: 1 Mar 2011 10:00 +0000\nX: " + b"q" * 8152 + b"\n\n" + b"z" * 99 + b"\n",
        b"Date: 1 Mar 2011 10:00 +0000\nX: " + b"q" * 70000 + b"\n\nz\n",
        b"\n" * 9000 + b"Subject: late\n\nbody\n",
    ]
    messages.insert(0, b"Received: from a by b; 1 Mar 2011 10:00 +0000\nSubject: orphan\n\nx\n")
    path = tmp_path / "trap.mbox"
    content = testing.mbox_bytes(messages[1:])
    path.write_bytes(messages[0] + b"\n" + content)
    rows = _mbox_rows(path, 0, None, limit, bulk=True)
    assert len(rows) == len(messages)
    assert rows == _mbox_rows(path, 0, None, limit, bulk=False)
    crlf = tmp_path / "crlf.mbox"
    crlf.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert _mbox_rows(crlf, 0, None, limit, bulk=True) == \
        _mbox_rows(crlf, 0, None, limit, bulk=False)


@needs_compiled
@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_every_start_and_stop_of_a_small_mbox_gives_identical_rows(tmp_path: Path,
                                                                    newline: bytes) -> None:
    """Ranges that start inside separators, messages and orphan text, exhaustively."""
    content = (b"ab\n\nFrom a Wed Mar 16 10:00:00 2011\nDate: 1 Mar 2011 10:00 +0000\n\nhi\n"
               b"From x in the body\n\n\nFrom b\nSubject: s\n\n\r\nFrom c\n"
               b"Received: from q ([8.8.8.8]) by r; 2 Mar 2011 10:00 +0000\n\nend\n")
    content = content.replace(b"\n", newline)
    path = tmp_path / "small.mbox"
    path.write_bytes(content)
    for start in range(len(content) + 1):
        for stop in {None, len(content), start, min(start + 7, len(content)),
                     (start + len(content)) // 2}:
            assert _mbox_rows(path, start, stop, 40, bulk=True) == \
                _mbox_rows(path, start, stop, 40, bulk=False), (start, stop)


@needs_compiled
def test_scan_mbox_checks_its_range() -> None:
    from spamlab.mail import _scan  # type: ignore[attr-defined]

    with pytest.raises(ValueError, match="bad range 5..3"):
        _scan.scan_mbox(b"From x\n\nhi\n", 5, 3, "@", 100, 104, 8192)
    with pytest.raises(ValueError, match="bad range 0..99 of a 11-byte buffer"):
        _scan.scan_mbox(b"From x\n\nhi\n", 0, 99, "@", 100, 104, 8192)
