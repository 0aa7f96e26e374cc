"""Fast header-block reading and parsing for raw mail.

Only the header block of a message is read (up to the first blank line, capped
in size); bodies are never parsed. The scanner works on bytes with
``bytes.find`` and a few compiled regular expressions, so one message costs a
few microseconds instead of the ~100 us of :mod:`email`'s full parser.

The arrival time is the date of the *topmost* ``Received:`` header (the text
after its last ``;``), which is stamped by the receiving trap's own clock. Only
when no ``Received:`` date parses is the sender-controlled ``Date:`` header
used; :attr:`HeaderFields.time_source` records which one.

Examples
--------
>>> raw = (b"Received: from x ([91.198.174.192]) by trap; Mon, 14 Mar 2011 10:00:00 +0100\\r\\n"
...        b"Message-ID: <a@b>\\r\\nFrom: Eve <eve@Example.COM>\\r\\n\\r\\nbody")
>>> fields = parse_header_block(header_block(raw))
>>> fields.arrival, fields.time_source, fields.from_domain, fields.sender_ip
(1300093200, 'received', 'example.com', '91.198.174.192')
"""

from __future__ import annotations

import base64
import binascii
import calendar
import functools
import hashlib
import ipaddress
import mmap
import re
from dataclasses import dataclass
from email.utils import parsedate_tz

__all__ = [
    "DATE_CANDIDATES",
    "DATE_SPAN",
    "HEADER_LIMIT",
    "REJECTED_FIELDS",
    "SCAN_FIELDS",
    "HeaderFields",
    "ParsedDate",
    "Row",
    "decode_words",
    "from_line_time",
    "header_block",
    "header_block_careful",
    "line_end",
    "looks_like_header",
    "parse_date",
    "parse_header_block",
    "scan_header_block",
    "scan_row",
]

#: Default cap on the header block, in bytes; longer blocks are rejected.
HEADER_LIMIT = 64 * 1024

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        (b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
         b"dec")
    )
}
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# RFC 5322 section 4.3 obsolete zone names; military letters mean "unknown" (-0000).
_ZONES = {
    b"ut": 0, b"utc": 0, b"gmt": 0, b"z": 0, b"edt": -4 * 3600, b"est": -5 * 3600,
    b"cdt": -5 * 3600, b"cst": -6 * 3600, b"mdt": -6 * 3600, b"mst": -7 * 3600,
    b"pdt": -7 * 3600, b"pst": -8 * 3600, b"cet": 3600, b"cest": 2 * 3600, b"bst": 3600,
}
_RFC_DATE = re.compile(
    rb"(?:[A-Za-z]+,?\s*)?(\d{1,2})[\s-]+([A-Za-z]{3})[A-Za-z.]*[\s-]+(\d{2,4}),?\s+"
    rb"(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?:\.\d+)?\s*(?:([+-])(\d\d:?\d\d)|([A-Za-z]{1,5})\b)?"
)
_ASCTIME = re.compile(
    rb"[A-Za-z]{3},?\s+([A-Za-z]{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s+"
    rb"(?:([+-]\d{4}|[A-Za-z]{1,5})\s+)?(\d{4})"
)
_ISO = re.compile(
    rb"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?"
)
_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=")
_ENCODED_GAP = re.compile(rb"(\?=)\s+(=\?)")
_BRACKET_IP = re.compile(rb"\[(?:IPv6:)?([0-9A-Fa-f:.]{2,45})\]")
_OCTET = rb"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_IPV4 = re.compile(rb"\.".join([_OCTET] * 4))
_IPV4 = re.compile(rb"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})")
_HELO = re.compile(rb"\s*from\s+(\[[^\]\s]*\]|[^\s()\[\];]+)", re.IGNORECASE)
_DOMAIN = re.compile(rb"@\s*([A-Za-z0-9][A-Za-z0-9.\-_]*)")
_Q_HEX = re.compile(rb"=([0-9A-Fa-f]{2})")
_FIELD = re.compile(
    rb"\n(received|date|message-id|from|subject|x-mailer|user-agent)[ \t]*:"
    rb"([^\n]*(?:\n[ \t][^\n]*)*)",
    re.IGNORECASE,
)
#: First octets of every IPv4 range that :func:`_reserved_ipv4` rejects below 224.
_SPECIAL_FIRST_OCTETS = frozenset((0, 10, 100, 127, 169, 172, 192))
_BLANK_LINE = re.compile(rb"\n\r?\n")
#: The UTF-8 byte-order mark some Windows tools write at the start of a saved ``.eml``.
_BOM = b"\xef\xbb\xbf"
_HEADER_START = re.compile(rb"(?:>?From [^\n]*\n)?[!-9;-~]+[ \t]*:")


@dataclass(frozen=True)
class ParsedDate:
    """A parsed header date.

    Attributes
    ----------
    epoch
        Seconds since 1970-01-01 UTC.
    tz_flag
        ``""`` when the zone was given and plausible, ``"missing"`` when absent or
        unknown (-0000, military letters), ``"absurd"`` when outside +-14:00 or
        malformed; in both cases UTC is assumed.
    """

    epoch: int
    tz_flag: str


@dataclass(frozen=True)
class HeaderFields:
    """What spamlab keeps of one message's header block.

    ``arrival`` is ``None`` when neither a ``Received:`` nor a ``Date:`` header
    parses. ``time_source`` is ``"received"``, ``"date"`` or ``""``. ``helo`` is the name the
    sending host gave (HELO/EHLO) in the topmost ``Received: from NAME`` clause, as written.
    """

    arrival: int | None
    time_source: str
    tz_flag: str
    message_id: str | None
    from_domain: str | None
    subject_hash: str | None
    sender_ip: str | None
    mailer: str | None
    helo: str | None


def header_block(data: bytes, limit: int = HEADER_LIMIT) -> bytes | None:
    """The header block of a raw message: the bytes before the first blank line.

    Parameters
    ----------
    data
        The start of the message (at least ``limit + 4`` bytes if available).
    limit
        Largest accepted header block; ``None`` is returned when the block is longer.

    Returns
    -------
    The header block (line endings kept), the whole of ``data`` when it ends
    without a blank line (a truncated or header-only message), or ``None`` when
    the block exceeds ``limit``.

    Notes
    -----
    One regex search finds the first LF or CRLF blank line; a blank line close
    to ``limit`` goes through :func:`header_block_careful`, which defines the
    result (the two agree on every input; the tests check it).

    Examples
    --------
    >>> header_block(b"A: 1\\r\\nB: 2\\r\\n\\r\\nbody")
    b'A: 1\\r\\nB: 2\\r\\n'
    """
    match = _BLANK_LINE.search(data, 0, limit + 3)
    if match is None:
        return data if len(data) <= limit else None
    end = match.start()
    if end > limit - 8:
        return header_block_careful(data, limit)
    if match.end() - end == 3 and data[end + 3:end + 4] == b"\n":
        end += 2  # LF CR LF LF: the careful rule takes the LF LF pair two bytes on
    return data[:end + 1]


def header_block_careful(data: bytes, limit: int = HEADER_LIMIT) -> bytes | None:
    """Reference version of :func:`header_block` (two plain searches, exact at the limit).

    Examples
    --------
    >>> header_block_careful(b"A: 1\\nB: 2\\n\\nbody")
    b'A: 1\\nB: 2\\n'
    """
    end = data.find(b"\n\n", 0, limit + 2)
    crlf = data.find(b"\n\r\n", 0, end if end != -1 else limit + 3)
    if crlf != -1:
        end = crlf
    if end == -1:
        return data if len(data) <= limit else None
    return data[: end + 1] if end + 1 <= limit else None


def looks_like_header(block: bytes) -> bool:
    """True when the block starts with a ``Name:`` field (or an mbox/``>From`` line).

    Examples
    --------
    >>> looks_like_header(b"Subject: hi\\n"), looks_like_header(b"\\x89PNG...")
    (True, False)
    """
    return _HEADER_START.match(block) is not None


def parse_header_block(block: bytes) -> HeaderFields:
    """Extract arrival time and attribution features from a header block.

    Parameters
    ----------
    block
        Header bytes as returned by :func:`header_block` (CRLF or LF).

    Returns
    -------
    HeaderFields

    Examples
    --------
    >>> f = parse_header_block(b"Date: 2 Jan 98 10:00 EST\\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\\n")
    >>> f.arrival, f.time_source, f.subject_hash is not None
    (883753200, 'date', True)
    """
    return HeaderFields(*scan_header_block(block))


#: Names of the values returned by :func:`scan_header_block`, in order.
SCAN_FIELDS = ("arrival", "time_source", "tz_flag", "message_id", "from_domain",
               "subject_hash", "sender_ip", "mailer", "helo")


def scan_header_block(block: bytes) -> tuple[int | None, str, str, str | None, str | None,
                                             str | None, str | None, str | None, str | None]:
    """The fields of :class:`HeaderFields` as a plain tuple (the fast path for bulk work).

    Examples
    --------
    >>> scan_header_block(b"Date: 1 Mar 2011 00:00 +0000\\n")[:3]
    (1298937600, 'date', '')
    """
    first, received = _collect_fields(block)
    arrival, source, tz_flag = _arrival(received, first.get(b"date"))
    mailer = first.get(b"x-mailer")
    return (
        arrival, source, tz_flag,
        _message_id(first.get(b"message-id")),
        _from_domain(first.get(b"from")),
        _subject_hash(first.get(b"subject")),
        _sender_ip(received),
        _mailer(mailer if mailer is not None else first.get(b"user-agent")),
        _helo(received),
    )


#: The scan fields of a message that was rejected before its header was read.
REJECTED_FIELDS = (None, "", "", None, None, None, None, None, None)

#: A scanned message as a row: (member, rejection reason or "", truncated flag, *scan fields).
Row = tuple[str, str, bool, int | None, str, str, str | None, str | None, str | None,
            str | None, str | None, str | None]


def scan_row(member: str, data: bytes, header_limit: int, want: int) -> Row:
    """One message's row from its first bytes.

    Parameters
    ----------
    member
        Label of the message in its container, copied to the row.
    data
        The first ``want`` bytes of the message (fewer if it is shorter); a
        leading UTF-8 byte-order mark and a leading mbox ``From `` line are skipped.
    header_limit
        Largest accepted header block; a longer one is rejected as ``header_too_large``.
    want
        How many bytes the reader was asked for (``header_limit + 4``); a block
        that ends the data before ``want`` bytes means a truncated message.

    Returns
    -------
    ``(member, reason, truncated, *SCAN_FIELDS)``; ``reason`` is ``""``,
    ``"header_too_large"``, ``"empty"``, ``"not_a_message"`` or ``"no_timestamp"``.

    Examples
    --------
    >>> scan_row("m1", b"Date: 1 Mar 2011 00:00 +0000\\n\\nhi", HEADER_LIMIT, HEADER_LIMIT + 4)[:6]
    ('m1', '', False, 1298937600, 'date', '')
    """
    if data.startswith(_BOM):  # a message saved as "UTF-8 with BOM" by a Windows tool
        data, want = data[3:], want - 3
    if data.startswith(b"From "):  # a single message saved with its mbox From_ line
        data = data[line_end(data):]
    block = header_block(data, header_limit)
    if block is None:
        return (member, "header_too_large", False, *REJECTED_FIELDS)
    if not block or block.isspace():  # (bytes.isspace: every byte is what strip() removes)
        reason = "not_a_message" if data and not data.isspace() else "empty"
        return (member, reason, False, *REJECTED_FIELDS)
    truncated = len(block) == len(data) and len(data) < want
    if not looks_like_header(block):
        return (member, "not_a_message", truncated, *REJECTED_FIELDS)
    fields = scan_header_block(block)
    return (member, "" if fields[0] is not None else "no_timestamp", truncated, *fields)


def line_end(data: bytes | mmap.mmap, start: int = 0, stop: int | None = None) -> int:
    """Offset just past the line that starts at ``start`` in ``data[:stop]`` (bytes or mmap).

    A line ends with LF, CRLF or a lone CR (the line ending of old Mac mail programs);
    without an ending it runs to ``stop``.

    Examples
    --------
    >>> [line_end(text) for text in (b"From a\\nx", b"From a\\r\\nx", b"From a\\rx\\ny", b"From a")]
    [7, 8, 7, 6]
    """
    stop = len(data) if stop is None else stop
    newline = data.find(b"\n", start, stop)
    carriage = data.find(b"\r", start, stop if newline == -1 else newline)
    if carriage != -1 and carriage + 1 < stop and data[carriage + 1:carriage + 2] != b"\n":
        return carriage + 1
    return stop if newline == -1 else newline + 1


#: The date of an mbox ``From_`` line: asctime, a zone before or after the year (or none).
_FROM_LINE_DATE = re.compile(
    rb"From[ \t]+\S+[ \t]+(?:[A-Za-z]{3},?[ \t]+)?([A-Za-z]{3})[ \t]+(\d{1,2})[ \t]+"
    rb"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[ \t]+([+-]\d{4}|[A-Za-z]{1,5}))?[ \t]+(\d{4})"
    rb"(?:[ \t]+([+-]\d{4}|[A-Za-z]{1,5}))?[ \t]*\r?$"
)


def from_line_time(data: bytes) -> int | None:
    """Epoch seconds of the date on an mbox ``From_`` line (the first line of ``data``), or ``None``.

    The local delivery agent writes this line when it stores the message, so it
    is an arrival stamp like a maildir file name. The date is asctime
    (``Tue Mar  1 10:00:00 2011``); a numeric or named zone before or after the
    year is applied; without one the time is read as UTC. A line without a
    parsable date gives ``None``.

    Examples
    --------
    >>> from_line_time(b"From spammer@x.ru Tue Mar  1 10:00:00 2011\\nSubject: hi")
    1298973600
    >>> from_line_time(b"From a Tue Mar 1 12:00:00 +0200 2011"), from_line_time(b"From a Tue Mar 1 10:00 2011 UTC")
    (1298973600, 1298973600)
    >>> from_line_time(b"From MAILER-DAEMON"), from_line_time(b"From a Tue Feb 30 10:00:00 2011")
    (None, None)
    """
    match = _FROM_LINE_DATE.match(data[:line_end(data)])
    if match is None:
        return None
    mon, day, hour, minute, second, before, year, after = match.groups()
    zone = before or after
    sign, offset = (zone[:1], zone[1:]) if zone and zone[:1] in b"+-" else (None, None)
    named = zone if zone and zone[:1] not in b"+-" else None
    built = _build_date(int(year), _MONTHS.get(mon.lower()), int(day), int(hour), int(minute),
                        int(second or 0), _zone_offset(sign, offset, named))
    return None if built is None else built[0]


def _collect_fields(block: bytes) -> tuple[dict[bytes, bytes], list[bytes]]:
    """The first raw value of each wanted lower-case field name, and all ``Received`` values.

    Values keep their folding (CRLF/LF plus whitespace); ``Received`` values are
    listed top to bottom.
    """
    first: dict[bytes, bytes] = {}
    received: list[bytes] = []
    for name, value in _FIELD.findall(b"\n" + block):
        key = name.lower()
        if key == b"received":
            received.append(value)
        elif key not in first:
            first[key] = value
    return first, received


#: ``;`` of the topmost Received header tried as the start of its date, from the last one
#: back (a ``;`` may also stand in a comment after the date); bounds the work per header.
DATE_CANDIDATES = 8
#: Bytes after a ``;`` (or of a Date header) read as a date: a date with its zone comment
#: and folding takes well under 100, so parsing never grows with the header's length.
DATE_SPAN = 256


def _arrival(received: list[bytes], date: bytes | None) -> tuple[int | None, str, str]:
    """(epoch, source, tz flag) from the topmost Received date, else the Date header.

    Linear in the header's length: the last :data:`DATE_CANDIDATES` ``;`` are tried,
    then the first one, each on at most :data:`DATE_SPAN` bytes.

    Examples
    --------
    >>> _arrival([b"from x by trap; 14 Mar 2011 10:00:00 +0000 (a; b)"], None)
    (1300096800, 'received', '')
    """
    if received:
        for semi in _date_semicolons(received[0]):
            parsed = _parse_date_text(received[0][semi + 1:semi + 1 + DATE_SPAN].strip())
            if parsed is not None:
                return parsed[0], "received", parsed[1]
    if date is not None:
        parsed = _parse_date_text(date[:DATE_SPAN].strip())
        if parsed is not None:
            return parsed[0], "date", parsed[1]
    return None, "", ""


def _date_semicolons(top: bytes) -> list[int]:
    """Offsets of the ``;`` that may precede a Received header's date, most likely first.

    Examples
    --------
    >>> _date_semicolons(b"a;b;c"), _date_semicolons(b"x" + b";" * 20)[-2:]
    ([3, 1], [13, 1])
    """
    found: list[int] = []
    semi = top.rfind(b";")
    while semi != -1 and len(found) < DATE_CANDIDATES:
        found.append(semi)
        semi = top.rfind(b";", 0, semi)
    first = top.find(b";")
    if semi != -1 and first not in found:
        found.append(first)
    return found


def parse_date(value: bytes) -> ParsedDate | None:
    """Parse an RFC 5322 date, including obsolete forms, to seconds since the epoch.

    Fast path: a compiled regex for ``[Day,] DD Mon YY[YY] HH:MM[:SS] [zone]``.
    Also accepted: asctime (``Mon Mar 14 10:00:00 2011``) and ISO 8601. Anything
    else goes through :func:`email.utils.parsedate_tz`. Two-digit years follow
    RFC 5322 (00-49 -> 20xx, 50-99 -> 19xx); a missing or unknown zone is taken
    as UTC and flagged.

    Returns
    -------
    ParsedDate, or ``None`` when the text is not a valid date.

    Examples
    --------
    >>> parse_date(b"Wed, 16 Mar 2011 14:45:00 +0000 (GMT)")
    ParsedDate(epoch=1300286700, tz_flag='')
    >>> parse_date(b"16 Mar 11 14:45 -0000").tz_flag
    'missing'
    >>> parse_date(b"yesterday") is None
    True
    """
    parsed = _parse_date_text(value.strip())
    return None if parsed is None else ParsedDate(*parsed)


def _parse_date_text(text: bytes) -> tuple[int, str] | None:
    """(epoch, tz flag) of a stripped date text.

    The common RFC 5322 form is split into its calendar day and zone, which are
    converted once per distinct value (:func:`_day_start`; traps see the same
    days and zones over and over), and its clock time, added arithmetically.
    """
    match = _RFC_DATE.match(text)
    if match is None:
        return _parse_other_date(text)
    day, mon, year, hour, minute, second, sign, offset, zone = match.groups()
    start = _day_start(day, mon, year, sign, offset, zone)
    hours, minutes, seconds = int(hour), int(minute), int(second or 0)
    if start is None or hours > 23 or minutes > 59 or seconds > 60:
        return None
    return start[0] + hours * 3600 + minutes * 60 + min(seconds, 59), start[1]


@functools.lru_cache(maxsize=4096)
def _day_start(day: bytes, mon: bytes, year: bytes, sign: bytes | None, offset: bytes | None,
               zone: bytes | None) -> tuple[int, str] | None:
    """(epoch of 00:00:00 local time on that day, tz flag), or ``None`` for an invalid day."""
    return _build_date(_full_year(year), _MONTHS.get(mon.lower()), int(day), 0, 0, 0,
                       _zone_offset(sign, offset, zone))


@functools.lru_cache(maxsize=4096)
def _parse_other_date(text: bytes) -> tuple[int, str] | None:
    """Dates not in the common RFC 5322 form: asctime, ISO 8601, then the stdlib parser."""
    match = _ASCTIME.match(text)
    if match:
        mon, day, hour, minute, second, zone, year = match.groups()
        sign, offset = (zone[:1], zone[1:]) if zone and zone[:1] in b"+-" else (None, None)
        named = zone if zone and zone[:1] not in b"+-" else None
        return _build_date(
            int(year), _MONTHS.get(mon.lower()), int(day), int(hour), int(minute),
            int(second or 0), _zone_offset(sign, offset, named),
        )
    match = _ISO.match(text)
    if match:
        return _iso_date(match)
    return _slow_date(b" ".join(text.split()))


def _iso_date(match: re.Match[bytes]) -> tuple[int, str] | None:
    year, month, day, hour, minute, second, zone = match.groups()
    if zone in (None, b"Z"):
        offset = (0, "missing" if zone is None else "")
    else:
        digits = zone[1:].replace(b":", b"")
        offset = _zone_offset(zone[:1], digits, None)
    return _build_date(int(year), int(month), int(day), int(hour), int(minute),
                       int(second or 0), offset)


def _slow_date(text: bytes) -> tuple[int, str] | None:
    """Fallback for odd formats via the standard library's lenient parser."""
    try:
        parts = parsedate_tz(text.decode("latin-1"))
    except (ValueError, IndexError, OverflowError):
        return None
    if parts is None:
        return None
    year, month, day, hour, minute, second = parts[:6]
    tz = parts[9]
    offset = (0, "missing") if tz is None else _checked_offset(tz)
    return _build_date(year, month, day, hour, minute, second, offset)


def _full_year(text: bytes) -> int:
    year = int(text)
    if len(text) == 2:
        return year + (2000 if year < 50 else 1900)
    if len(text) == 3:
        return year + 1900
    return year


def _zone_offset(sign: bytes | None, digits: bytes | None,
                 name: bytes | None) -> tuple[int, str]:
    """(offset seconds east of UTC, tz flag) of a numeric or named zone."""
    if sign is not None and digits is not None:
        digits = digits.replace(b":", b"")  # (+01:00, written by some mailers, is +0100)
        hours, minutes = int(digits[:2]), int(digits[2:4])
        if minutes >= 60:
            return 0, "absurd"
        seconds = (hours * 3600 + minutes * 60) * (-1 if sign == b"-" else 1)
        if seconds == 0 and sign == b"-":
            return 0, "missing"  # RFC 5322: -0000 means "no information"
        return _checked_offset(seconds)
    if name is not None and name.lower() in _ZONES:
        return _ZONES[name.lower()], ""
    return 0, "missing"


def _checked_offset(seconds: int) -> tuple[int, str]:
    if abs(seconds) > 14 * 3600:
        return 0, "absurd"
    return seconds, ""


def _build_date(year: int, month: int | None, day: int, hour: int, minute: int, second: int,
                offset: tuple[int, str]) -> tuple[int, str] | None:
    """Validate calendar fields and convert to epoch seconds (UTC)."""
    if month is None or not 1 <= month <= 12 or not 1 <= day <= _DAYS_IN_MONTH[month - 1]:
        return None
    if month == 2 and day == 29 and not calendar.isleap(year):
        return None
    if hour > 23 or minute > 59 or second > 60 or not 1 <= year <= 9999:
        return None
    epoch = calendar.timegm((year, month, day, hour, minute, min(second, 59)))
    return epoch - offset[0], offset[1]


def decode_words(value: bytes) -> str:
    """Unfold a header value and decode RFC 2047 encoded words; never raises.

    Bytes that are not UTF-8 are read as Latin-1 (every byte maps to a character).

    Examples
    --------
    >>> decode_words(b" =?iso-8859-1?q?caf=E9?= =?utf-8?b?w6k=?=\\r\\n\\tbar")
    'caféé bar'
    """
    text = b" ".join(value.split())
    if b"=?" in text:
        text = _ENCODED_GAP.sub(rb"\1\2", text)
        return "".join(_decode_pieces(text))
    return _to_text(text, "utf-8")


def _decode_pieces(text: bytes) -> list[str]:
    pieces: list[str] = []
    position = 0
    for match in _ENCODED_WORD.finditer(text):
        pieces.append(_to_text(text[position:match.start()], "utf-8"))
        charset, encoding, payload = match.groups()
        pieces.append(_decode_word(charset, encoding, payload))
        position = match.end()
    pieces.append(_to_text(text[position:], "utf-8"))
    return pieces


def _decode_word(charset: bytes, encoding: bytes, payload: bytes) -> str:
    try:
        if encoding in (b"B", b"b"):
            raw = base64.b64decode(payload + b"=" * (-len(payload) % 4), validate=True)
        else:
            raw = _Q_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), payload.replace(b"_", b" "))
    except (binascii.Error, ValueError):
        return _to_text(payload, "utf-8")
    return _to_text(raw, charset.split(b"*")[0].decode("ascii", "replace"))


def _to_text(raw: bytes, charset: str) -> str:
    try:
        return raw.decode(charset)
    except (LookupError, UnicodeDecodeError):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def _message_id(value: bytes | None) -> str | None:
    if value is None:
        return None
    text = _to_text(b"".join(value.split()), "utf-8")
    return text[:998] or None


def _from_domain(value: bytes | None) -> str | None:
    if value is None:
        return None
    angle = value.rfind(b"<")
    match = _DOMAIN.search(value, angle if angle != -1 else 0)
    if match is None:
        return None
    return _to_text(match.group(1).rstrip(b".").lower(), "latin-1") or None


@functools.lru_cache(maxsize=8192)  # campaigns repeat subjects and mailers
def _subject_hash(value: bytes | None) -> str | None:
    if value is None:
        return None
    raw = b" ".join(value.split())
    if raw.isascii() and b"=?" not in raw:
        return hashlib.blake2b(raw, digest_size=8).hexdigest()
    subject = decode_words(raw)
    return hashlib.blake2b(subject.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


@functools.lru_cache(maxsize=8192)  # campaigns repeat subjects and mailers
def _mailer(value: bytes | None) -> str | None:
    if value is None:
        return None
    return decode_words(value)[:200] or None


def _sender_ip(received: list[bytes]) -> str | None:
    """The connecting IP of the first external hop: topmost public bracketed IP in a ``from`` clause."""
    for value in received:
        by = value.find(b" by ")
        clause = value[:by] if by != -1 else value
        for match in _BRACKET_IP.finditer(clause):
            ip = _public_ip(match.group(1))
            if ip is not None:
                return ip
    return None


def _helo(received: list[bytes]) -> str | None:
    """The HELO/EHLO name of the topmost ``Received: from NAME (...)`` clause, as written.

    Examples
    --------
    >>> _helo([b" from User (host.example [91.198.174.192]) by trap; x"]), _helo([])
    ('User', None)
    """
    match = _HELO.match(received[0]) if received else None
    return _to_text(match.group(1), "latin-1")[:255] if match else None


def _public_ip(text: bytes) -> str | None:
    """The address as text when it is globally routable unicast, else ``None``.

    IPv4 is checked arithmetically (``ipaddress`` costs ~50 us per call, more
    than parsing the rest of the header); IPv6 goes through ``ipaddress``.

    Examples
    --------
    >>> _public_ip(b"91.198.174.192"), _public_ip(b"192.168.1.1"), _public_ip(b"100.64.0.1")
    ('91.198.174.192', None, None)
    """
    if b":" in text:
        return _public_ipv6(text)
    canonical = _CANONICAL_IPV4.fullmatch(text)
    if canonical is not None:  # four octets 0-255 without leading zeros: the usual case
        first = int(canonical.group(1))
        if first in _SPECIAL_FIRST_OCTETS or first >= 224:
            second, third = int(canonical.group(2)), int(canonical.group(3))
            if _reserved_ipv4(first, second, third):
                return None
        return text.decode("ascii")
    match = _IPV4.fullmatch(text)
    if match is None:
        return None
    a, b, c, d = map(int, match.groups())
    if a > 255 or b > 255 or c > 255 or d > 255:
        return None
    if (a in _SPECIAL_FIRST_OCTETS or a >= 224) and _reserved_ipv4(a, b, c):
        return None
    return f"{a}.{b}.{c}.{d}"


def _reserved_ipv4(a: int, b: int, c: int) -> bool:
    """True for private, loopback, link-local, shared, IETF-protocol, multicast, reserved.

    The networks reserved for documentation (RFC 5737: 192.0.2.0/24, 198.51.100.0/24,
    203.0.113.0/24) and benchmarking (RFC 2544: 198.18.0.0/15) are *not* skipped: no
    internal hop uses them and the Internet never routes them, so they appear only in test
    mail, where they stand for external senders (spamlab's synthetic corpora use nothing else).
    """
    return (
        a in (0, 10, 127) or a >= 224
        or (a == 100 and 64 <= b <= 127) or (a == 169 and b == 254)
        or (a == 172 and 16 <= b <= 31) or (a == 192 and b == 168)
        or (a == 192 and b == 0 and c == 0)
    )


@functools.lru_cache(maxsize=4096)
def _public_ipv6(text: bytes) -> str | None:
    try:
        address = ipaddress.ip_address(text.decode("ascii"))
    except ValueError:
        return None
    return str(address) if address.is_global and not address.is_multicast else None
