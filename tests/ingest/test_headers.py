"""Header-block scanning and date parsing, checked against the standard library and by hand."""

from __future__ import annotations

import email
import email.policy
import hashlib
import ipaddress
import random
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spamlab import testing
from spamlab.mail.headers import (
    HEADER_LIMIT,
    SCAN_FIELDS,
    _public_ip,
    decode_words,
    header_block,
    looks_like_header,
    parse_date,
    parse_header_block,
    scan_row,
)


def epoch(*args: int, offset_hours: float = 0) -> int:
    zone = timezone(timedelta(hours=offset_hours))
    return int(datetime(*args, tzinfo=zone).timestamp())


@pytest.mark.parametrize(
    ("text", "expected", "flag"),
    [
        (b"Wed, 16 Mar 2011 14:45:00 +0000", epoch(2011, 3, 16, 14, 45), ""),
        (b"16 Mar 2011 15:45:00 +0100", epoch(2011, 3, 16, 14, 45), ""),
        (b"Wed, 16 Mar 2011 07:45:00 -0700 (PDT)", epoch(2011, 3, 16, 14, 45), ""),
        (b"Wed, 16 Mar 11 14:45 GMT", epoch(2011, 3, 16, 14, 45), ""),
        (b"Sat, 2 Jan 98 10:00:00 EST", epoch(1998, 1, 2, 15, 0), ""),
        (b"Sat, 2 Jan 098 10:00:00 +0000", epoch(1998, 1, 2, 10, 0), ""),
        (b"Wed, 16 Mar 2011 14:45:00 -0000", epoch(2011, 3, 16, 14, 45), "missing"),
        (b"Wed, 16 Mar 2011 14:45:00", epoch(2011, 3, 16, 14, 45), "missing"),
        (b"Wed, 16 Mar 2011 14:45:00 +9900", epoch(2011, 3, 16, 14, 45), "absurd"),
        (b"Wed, 16 Mar 2011 14:45:00 +0175", epoch(2011, 3, 16, 14, 45), "absurd"),
        (b"Wed Mar 16 14:45:00 2011", epoch(2011, 3, 16, 14, 45), "missing"),
        (b"2011-03-16T15:45:00+01:00", epoch(2011, 3, 16, 14, 45), ""),
        (b"\r\n\t16 Mar 2011\r\n 14:45:00 +0000", epoch(2011, 3, 16, 14, 45), ""),
        (b"Wednesday, 16-March-2011 14:45:00 +0000", epoch(2011, 3, 16, 14, 45), ""),
    ],
)
def test_parse_date_real_world_forms(text: bytes, expected: int, flag: str) -> None:
    parsed = parse_date(text)
    assert parsed is not None
    assert (parsed.epoch, parsed.tz_flag) == (expected, flag)


@pytest.mark.parametrize("text", [b"", b"yesterday", b"30 Feb 2011 10:00 +0000",
                                  b"29 Feb 2011 10:00 +0000", b"16 Foo 2011 10:00 +0000",
                                  b"16 Mar 2011 25:00 +0000", b"32 Jan 2011 10:00 +0000"])
def test_parse_date_rejects_invalid_dates(text: bytes) -> None:
    assert parse_date(text) is None


def test_leap_day_is_valid_in_leap_years() -> None:
    assert parse_date(b"29 Feb 2012 00:00 +0000").epoch == epoch(2012, 2, 29)


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1991, 1, 1), max_value=datetime(2030, 12, 31)),
    minutes=st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_parse_date_agrees_with_stdlib(moment: datetime, minutes: int) -> None:
    aware = moment.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=minutes)))
    text = format_datetime(aware)
    reference = parsedate_to_datetime(text).timestamp()
    assert parse_date(text.encode()).epoch == int(reference)


def test_header_block_stops_at_first_blank_line_crlf_and_lf() -> None:
    assert header_block(b"A: 1\r\nB: 2\r\n\r\nC: 3\r\n") == b"A: 1\r\nB: 2\r\n"
    assert header_block(b"A: 1\nB: 2\n\nC: 3\n") == b"A: 1\nB: 2\n"
    assert header_block(b"A: 1\nB: 2") == b"A: 1\nB: 2"  # truncated: all of it
    assert header_block(b"A: " + b"x" * 100 + b"\n\nbody", limit=50) is None
    assert header_block(b"A: " + b"x" * 100, limit=50) is None


def test_looks_like_header() -> None:
    assert looks_like_header(b"Return-Path: <x@y>\n")
    assert not looks_like_header(b"hello world\n")
    assert not looks_like_header(b": no name\n")
    assert not looks_like_header(b"bad name: x\n")


def test_decode_words_handles_encodings_and_bad_bytes() -> None:
    assert decode_words(b"=?utf-8?B?R3LDvMOfZQ==?=") == "Grüße"
    assert decode_words(b"=?ISO-8859-1?Q?caf=E9_au_lait?=") == "café au lait"
    assert decode_words(b"=?x-unknown?Q?abc?= tail") == "abc tail"
    assert decode_words(b"=?utf-8?B?###?=") == "###"
    assert decode_words(b"caf\xe9") == "café"  # not UTF-8: read as Latin-1
    assert decode_words(b"a\r\n\tb") == "a b"


def test_topmost_received_wins_over_date_and_lower_received() -> None:
    block = (b"received: from a.example ([10.1.1.1]) by trap;\r\n"
             b"\tWed, 16 Mar 2011 14:45:00 +0000\r\n"
             b"Received: from b ([91.198.174.192]) by relay; Wed, 16 Mar 2011 14:40:00 +0000\r\n"
             b"Date: Mon, 1 Jan 2001 00:00:00 +0000\r\n")
    fields = parse_header_block(block)
    assert fields.arrival == epoch(2011, 3, 16, 14, 45)
    assert fields.time_source == "received"
    assert fields.sender_ip == "91.198.174.192"  # private 10.x skipped


@pytest.mark.parametrize(
    ("received", "helo"),
    [
        (b"Received: from User (adsl-77.example.net [89.12.34.56]) by trap.example.org", "User"),
        (b"Received: FROM  mail.Shop-Deals.biz\r\n\t(unknown [41.2.3.4]) by trap", "mail.Shop-Deals.biz"),
        (b"Received: from [192.0.2.7] (helo=x) by trap", "[192.0.2.7]"),
        (b"Received: from pc-3f2a.home;(x) by trap", "pc-3f2a.home"),
        (b"Received: (qmail 4242 invoked from network); by trap", None),
        (b"Received: by trap.example.org with SMTP", None),
    ],
)
def test_helo_is_the_name_of_the_topmost_received_from_clause(received: bytes,
                                                              helo: str | None) -> None:
    block = (received + b"; Wed, 16 Mar 2011 14:45:00 +0000\r\n"
             b"Received: from lower.example ([91.198.174.192]) by relay; 16 Mar 2011 14:40 +0000\r\n")
    assert parse_header_block(block).helo == helo
    assert scan_row("m", block + b"\r\nbody", HEADER_LIMIT, HEADER_LIMIT + 4)[-1] == helo
    assert parse_header_block(b"Date: 2 Jan 2011 10:00 +0000\n").helo is None


def test_date_header_is_the_fallback_and_is_recorded() -> None:
    block = b"Received: from x by trap; no date here\nDate: 2 Jan 2011 10:00 +0000\n"
    fields = parse_header_block(block)
    assert (fields.arrival, fields.time_source) == (epoch(2011, 1, 2, 10), "date")
    nothing = parse_header_block(b"Subject: hi\n")
    assert (nothing.arrival, nothing.time_source) == (None, "")


def test_fields_agree_with_the_stdlib_parser_on_synthetic_mail() -> None:
    messages = [m for m in testing.synthetic_messages(300, seed=11, malformed_share=0.0)]
    for message in messages:
        block = header_block(message.data)
        ours = parse_header_block(block)
        theirs = email.message_from_bytes(message.data, policy=email.policy.compat32)
        assert ours.message_id == theirs["Message-ID"].strip()
        sender = email.utils.parseaddr(str(theirs["From"]))[1]
        assert ours.from_domain == sender.rsplit("@", 1)[1].lower()
        subject = str(email.header.make_header(email.header.decode_header(theirs["Subject"])))
        assert ours.subject_hash == parse_header_block(
            b"Subject: " + subject.encode("utf-8") + b"\n").subject_hash
        expected_day = message.day
        got_day = datetime.fromtimestamp(ours.arrival, tz=UTC).strftime("%Y-%m-%d")
        assert got_day == expected_day
        assert ours.time_source == message.source


def test_non_utf8_and_encoded_from_do_not_break_parsing() -> None:
    block = (b"From: =?koi8-r?B?8NLJ18XU?= <Sales@Pharma.RU.>\n"
             b"Subject: \xff\xfe broken\nX-Mailer: Bat\xe9\nMessage-ID: <a@b>\n"
             b"Date: 16 Mar 2011 10:00 +0000\n")
    fields = parse_header_block(block)
    assert fields.from_domain == "pharma.ru"
    assert fields.mailer == "Bat\u00e9"
    assert fields.subject_hash is not None and len(fields.subject_hash) == 16


#: documentation (RFC 5737) and benchmarking (RFC 2544) networks: not global, but never an
#: internal hop either; they stand for external senders in test mail (the synthetic corpora
#: use only them), so the parser keeps them
TEST_NETS = tuple(ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24",
                                                    "203.0.113.0/24", "198.18.0.0/15"))


def _expected_sender(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What the parser must return for ``address``, from :mod:`ipaddress` and the RFCs."""
    kept = (address.is_global and not address.is_multicast) or any(
        address in net for net in TEST_NETS)
    return str(address) if kept else None


def test_public_ip_agrees_with_ipaddress() -> None:
    rng = random.Random(0)
    for _ in range(20000):
        first = rng.choice([rng.randrange(256), 0, 10, 100, 127, 169, 172, 192, 198, 203, 224])
        text = f"{first}.{rng.randrange(256)}.{rng.choice([2, 100, 113, rng.randrange(256)])}." \
               f"{rng.randrange(256)}"
        address = ipaddress.ip_address(text)
        if text.startswith("192.0.0."):
            continue  # IETF protocol block: not routable; older ipaddress calls it global
        assert _public_ip(text.encode()) == _expected_sender(address), text
    assert _public_ip(b"2a00:1450::1") == "2a00:1450::1"
    assert _public_ip(b"fe80::1") is None
    assert _public_ip(b"999.1.1.1") is None and _public_ip(b"1.2.3") is None


BOUNDARY_ADDRESSES = [
    "0.1.2.3", "1.0.0.0", "9.255.255.255", "10.0.0.1", "11.0.0.1", "100.63.255.255", "100.64.0.0",
    "100.127.255.255", "100.128.0.0", "126.255.255.255", "127.0.0.1", "128.0.0.1", "169.253.1.1",
    "169.254.1.1", "169.255.1.1", "172.15.255.255", "172.16.0.0", "172.31.255.255", "172.32.0.0",
    "192.0.1.1", "192.0.2.1", "192.0.3.1", "192.167.1.1", "192.168.1.1", "192.169.1.1",
    "198.17.1.1", "198.18.1.1", "198.19.1.1", "198.20.1.1", "198.51.99.1", "198.51.100.1",
    "198.51.101.1", "203.0.112.1", "203.0.113.1", "203.0.114.1", "203.1.113.1", "223.255.255.255",
    "224.0.0.1", "255.255.255.255", "2001:db8::1", "2a00:1450:4001::1", "::1", "fe80::1",
    "ff02::1", "2001:4860:4860::8888",
]


@pytest.mark.parametrize("address", BOUNDARY_ADDRESSES)
def test_sender_ip_at_range_boundaries_agrees_with_ipaddress(address: str) -> None:
    block = f"Received: from x ([{address}]) by y; 1 Mar 2011 10:00 +0000\n".encode()
    assert parse_header_block(block).sender_ip == _expected_sender(ipaddress.ip_address(address))


@pytest.mark.parametrize(("address", "expected"), [
    ("256.1.1.1", None), ("1.2.3", None), ("1.2.3.4.", None),
    ("001.2.3.4", "1.2.3.4"), ("1.02.3.4", "1.2.3.4"),  # leading zeros: read as decimal
])
def test_malformed_addresses_are_rejected_or_normalized(address: str, expected: str | None) -> None:
    block = f"Received: from x ([{address}]) by y; 1 Mar 2011 10:00 +0000\n".encode()
    assert parse_header_block(block).sender_ip == expected


def test_subject_hash_is_blake2b_of_the_unfolded_subject_at_every_block_boundary() -> None:
    for length in [*range(300), 1023, 1024, 1025, 4000, 4094, 4095, 4096]:
        subject = (b"spam offer " * 400)[:length].strip()
        fields = parse_header_block(b"Subject: " + subject + b"\nDate: 1 Mar 2011 10:00 +0000\n")
        expected = hashlib.blake2b(b" ".join(subject.split()), digest_size=8).hexdigest()
        assert fields.subject_hash == expected, length


_NAMES = st.sampled_from([b"Received", b"received", b"RECEIVED ", b"Date", b"date\t", b"Message-ID",
                          b"From", b"Subject", b"X-Mailer", b"User-Agent", b"X-Other", b"Dated"])
_PIECES = st.sampled_from([
    b" ", b"\t", b";", b"@", b"<", b">", b"[", b"]", b"IPv6:", b"=?", b"?=", b"\xe9", b"\xff",
    b"from", b" by ", b"Mar", b"Wed,", b"16", b"2011", b"10:00", b"23:59:59", b"+0100", b"-0000",
    b"+9900", b"GMT", b"Z", b"-", b"91.198.174.192", b"10.0.0.1", b"01.2.3.4", b"2001:db8::1",
    b"=?utf-8?q?Gr=C3=BC=C3=9Fe?=", b"=?utf-8?b?w6k=?=", b"=?bad?x?y?=", b"\r", b"\n ", b"256.1.1.1",
])
_LINE = st.tuples(_NAMES, st.sampled_from([b":", b" :", b""]),
                  st.lists(_PIECES, max_size=14).map(b"".join)).map(b"".join)
_REASONS = {"", "header_too_large", "empty", "not_a_message", "no_timestamp"}


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, max_size=12), st.sampled_from([b"\n", b"\r\n"]),
       st.sampled_from([b"", b"From spammer Wed Mar 16 10:00:00 2011\n", b" ", b">From x\n"]),
       st.sampled_from([HEADER_LIMIT, 200, 60]))
def test_any_header_block_gives_a_well_formed_row(lines: list[bytes], newline: bytes,
                                                  prefix: bytes, limit: int) -> None:
    data = prefix + newline.join(lines) + newline + newline + b"body"
    row = scan_row("m", data[:limit + 4], limit, limit + 4)
    assert len(row) == 3 + len(SCAN_FIELDS) and row[0] == "m" and row[1] in _REASONS
    assert (row[1] == "") == (row[3] is not None)  # parsed exactly when an arrival was found
    assert row[4] in ("received", "date", "") and row[5] in ("", "missing", "absurd")
