"""Synthetic spam corpora with known ground truth, in every container format.

Everything here is *synthetic*: made-up messages whose headers imitate the mess
of real spam traps (folded and encoded headers, non-UTF-8 bytes, obsolete and
broken dates, CRLF and LF, truncated and empty files, duplicates). Each message
carries the outcome an ingester must reach (counted on day D, rejected for
reason R, or duplicate), so tests compare against a truth computed when the
message was made, never against spamlab's own output (an example is in
:mod:`spamlab.synthetic`). The trap with botnets in it is :mod:`spamlab.synthetic.botnets`.

Every address in these messages lies in a network reserved for documentation (RFC 5737:
192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) or benchmarking (RFC 2544: 198.18.0.0/15),
or in a private network (an internal relay hop): no message can be taken for mail from a
real network.
"""

from __future__ import annotations

import io
import random
import tarfile
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import py7zr

from spamlab.errors import ParameterError

__all__ = ["FORMATS", "RESERVED_NETWORKS", "STAMPED", "CorpusTruth", "SyntheticMessage",
           "as_delivered", "format_date", "mbox_bytes", "synthetic_messages", "truth_of",
           "write_corpus"]

FORMATS = ("tree", "mbox", "maildir", "zip", "tar", "tar.gz", "7z")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                "Dec")
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MAILERS = ("Microsoft Outlook Express 6.00.2900.2180", "The Bat! (v3.5.25) Professional",
            "Microsoft Office Outlook 12.0", "Mozilla/5.0 (Windows; U) Thunderbird/2.0.0.19")
_WORDS = ("viagra", "cheap", "pharmacy", "replica", "watches", "discount", "offer", "online",
          "best", "price", "meds", "order", "now", "limited", "save")
# (reason an ingester must give, share among malformed messages)
_MALFORMED = ("empty", "not_a_message", "no_timestamp", "before_1990", "in_future",
              "header_too_large")
#: the networks every sending address of the synthetic mail lies in: reserved for
#: documentation (RFC 5737) and for benchmarking (RFC 2544), never routed on the Internet
RESERVED_NETWORKS: tuple[str, ...] = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
                                      "198.18.0.0/15")
#: /24 networks (``a.b.c``) of senders from everywhere (background noise): the three
#: documentation networks and 198.19.0.0/16; the botnets' own networks lie in 198.18.0.0/16
_NOISE_NETS: tuple[str, ...] = ("192.0.2", "198.51.100", "203.0.113",
                                *(f"198.19.{third}" for third in range(256)))


@dataclass(frozen=True)
class SyntheticMessage:
    """One synthetic message and the outcome an ingester must reach.

    ``status`` is ``counted``, ``duplicate`` or ``rejected``; ``day`` the UTC day
    (YYYY-MM-DD) it counts on; ``source`` ``received`` or ``date`` (``filename`` or
    ``from_line`` once :func:`as_delivered` into a container that stamps arrivals).
    ``delivered`` is when the trap's delivery agent stored it (epoch seconds): the
    time a maildir file name or an mbox ``From_`` line carries.
    """

    data: bytes
    status: str
    reason: str = ""
    day: str | None = None
    source: str = ""
    delivered: int | None = None


@dataclass(frozen=True)
class CorpusTruth:
    """Ground truth of a written corpus (synthetic).

    Attributes
    ----------
    n_messages
        Messages written (the ingester's ``messages_seen``).
    daily
        UTC day -> number of counted messages.
    rejected
        Reason -> number of messages an ingester must reject.
    duplicates, counted
        Totals.
    source
        ``received``/``date`` -> counted messages timed by that header.
    paths
        Files and folders written, one per format, to pass to the ingester.
    """

    n_messages: int
    daily: dict[str, int]
    rejected: dict[str, int]
    duplicates: int
    counted: int
    source: dict[str, int]
    paths: tuple[Path, ...] = field(default=())


def synthetic_messages(n_messages: int, *, seed: int = 0, start: str = "2011-03-01",
                       days: int = 31, malformed_share: float = 0.06,
                       duplicate_share: float = 0.03, body_bytes: int = 600,
                       ) -> list[SyntheticMessage]:
    """Make ``n_messages`` synthetic spam messages with known outcomes.

    Parameters
    ----------
    n_messages
        How many messages.
    seed
        Random seed (same seed, same bytes).
    start, days
        Arrival times are uniform over ``days`` days from ``start`` (UTC).
    malformed_share, duplicate_share
        Expected shares of malformed messages (each kind of :data:`_MALFORMED`
        in turn) and of re-deliveries of an earlier message (same Message-ID,
        1-600 s later).
    body_bytes
        Approximate body size.

    Examples
    --------
    >>> msgs = synthetic_messages(20, seed=1)
    >>> len(msgs), {m.status for m in msgs} <= {"counted", "duplicate", "rejected"}
    (20, True)
    """
    rng = random.Random(seed)
    stamps = random.Random(f"{seed}-delivery")  # (its own stream: the messages' bytes stay)
    origin = datetime.fromisoformat(start).replace(tzinfo=UTC)
    messages: list[SyntheticMessage] = []
    originals: list[tuple[int, str]] = []  # (arrival epoch, message id) of counted messages
    for index in range(n_messages):
        draw = rng.random()
        if draw < malformed_share:
            reason = _MALFORMED[index % len(_MALFORMED)]
            delivered = int(origin.timestamp()) + stamps.randrange(days * 86400)
            messages.append(SyntheticMessage(_malformed(rng, reason, origin), "rejected", reason,
                                             delivered=delivered))
        elif draw < malformed_share + duplicate_share and originals:
            when, message_id = rng.choice(originals)
            messages.append(_message(rng, when + rng.randint(1, 600), message_id, body_bytes,
                                     status="duplicate"))
        else:
            when = int(origin.timestamp()) + rng.randrange(days * 86400)
            message_id = f"<{index:08d}.{rng.getrandbits(40):010x}@{_domain(rng)}>"
            message = _message(rng, when, message_id, body_bytes)
            if message.status == "counted" and message.source == "received":
                originals.append((when, message_id))
            messages.append(message)
    return messages


def _domain(rng: random.Random) -> str:
    stem = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 9)))
    return f"{stem}.{rng.choice(('com', 'net', 'ru', 'cn', 'biz', 'info'))}"


def _ip(rng: random.Random) -> str:
    """A sender from anywhere: a random host of :data:`_NOISE_NETS` (reserved ranges only)."""
    return f"{rng.choice(_NOISE_NETS)}.{rng.randrange(1, 255)}"


def format_date(when: int, style: str) -> tuple[str, int]:
    """An RFC 5322-ish date text for epoch ``when`` in one of many real-world styles.

    Returns the text and the epoch an ingester must read from it (styles whose
    zone is missing or absurd are written so that assuming UTC is right).

    Examples
    --------
    >>> format_date(1300286700, "rfc")
    ('Wed, 16 Mar 2011 14:45:00 +0000', 1300286700)
    >>> format_date(1300286700, "named")
    ('Wed, 16 Mar 2011 10:45:00 EDT', 1300286700)
    """
    offsets = {"rfc": 0, "offset": 3600, "negative": -7 * 3600, "named": -4 * 3600,
               "comment": -8 * 3600, "twodigit": 19800}
    local = datetime.fromtimestamp(when + offsets.get(style, 0), tz=UTC)
    day = f"{_DAY_NAMES[local.weekday()]}, {local.day} {_MONTH_NAMES[local.month - 1]}"
    clock = local.strftime("%H:%M:%S")
    texts = {
        "rfc": f"{day} {local.year} {clock} +0000",
        "offset": f"{day} {local.year} {clock} +0100",
        "negative": f"{day} {local.year} {clock} -0700",
        "named": f"{day} {local.year} {clock} EDT",
        "comment": f"{day} {local.year} {clock} -0800 (PST)",
        "twodigit": f"{day} {local.year % 100:02d} {clock} +0530",
        "unknown_zone": f"{day} {local.year} {clock} -0000",
        "no_zone": f"{day} {local.year} {clock}",
        "absurd_zone": f"{day} {local.year} {clock} +9900",
        "asctime": f"{_DAY_NAMES[local.weekday()]} {_MONTH_NAMES[local.month - 1]} "
                   f"{local.day:2d} {clock} {local.year}",
        "iso": local.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return texts[style], when


_STYLES = ("rfc", "rfc", "rfc", "offset", "negative", "named", "comment", "twodigit",
           "unknown_zone", "no_zone", "absurd_zone", "asctime", "iso")


def _message(rng: random.Random, when: int, message_id: str, body_bytes: int,
             status: str = "counted") -> SyntheticMessage:
    """A well-formed message arriving at ``when``; ~4% are timed by Date: only."""
    newline = "\r\n" if rng.random() < 0.3 else "\n"
    received_date, _ = format_date(when, rng.choice(_STYLES))
    date_only = rng.random() < 0.04 and status == "counted"
    sent = when - rng.randint(0, 7200) if not date_only else when
    date_text, _ = format_date(sent, rng.choice(_STYLES[:8]))
    lines = []
    if not date_only:
        lines += [(f"Received: from {_domain(rng)} ([{_ip(rng)}]){newline}\tby trap.example.org "
                   f"(Postfix) with SMTP id {rng.getrandbits(32):X};{newline}\t{received_date}"),
                  (f"Received: from [10.0.0.{rng.randrange(1, 255)}] by relay.{_domain(rng)}; "
                   f"{format_date(sent, 'rfc')[0]}")]
    elif rng.random() < 0.5:
        lines.append(f"Received: from {_domain(rng)} by trap.example.org; not a date")
    lines += [f"Date: {date_text}", f"Message-ID: {message_id}", _from_line(rng),
              "To: <trap@example.org>", _subject_line(rng), f"X-Mailer: {rng.choice(_MAILERS)}",
              "MIME-Version: 1.0", "Content-Type: text/plain; charset=\"windows-1251\""]
    head = newline.join(lines).encode("utf-8")
    if rng.random() < 0.05:
        head += f"{newline}X-Note: ".encode() + bytes([0xE9, 0xFF, 0xC0]) + b" bytes"
    return SyntheticMessage(head + (newline * 2).encode() + _body(rng, body_bytes, newline),
                            status, "", _utc_day(when), "date" if date_only else "received",
                            when)


def _utc_day(when: int) -> str:
    return datetime.fromtimestamp(when, tz=UTC).strftime("%Y-%m-%d")


#: Container formats whose delivery agent stamps each arrival, and where the stamp is read.
STAMPED = {"maildir": "filename", "mbox": "from_line"}
#: Reasons after which an ingester still looks at a message's delivery stamp (it parsed).
_STAMP_READ = ("", "no_timestamp")


def as_delivered(message: SyntheticMessage, stamp_source: str) -> SyntheticMessage:
    """The outcome of ``message`` once stored where arrivals are stamped (maildir, mbox).

    The ingester's rule under ``--time-source auto`` (:data:`spamlab.ingest.rules.TIME_SOURCES`):
    the topmost Received date, else the delivery stamp, else the sender's Date. So a
    message without a Received date is counted on its delivery day, timed by the stamp,
    even one without any date (``no_timestamp`` where nothing stamps it).

    Examples
    --------
    >>> undated = SyntheticMessage(b"Subject: x\\n\\n", "rejected", "no_timestamp", delivered=1298973600)
    >>> stored = as_delivered(undated, "filename")
    >>> stored.status, stored.day, stored.source
    ('counted', '2011-03-01', 'filename')
    """
    if message.delivered is None or message.reason not in _STAMP_READ:
        return message
    if message.status == "rejected" or message.source == "date":
        return SyntheticMessage(message.data, "counted", "", _utc_day(message.delivered),
                                stamp_source, message.delivered)
    return message


def _from_line(rng: random.Random) -> str:
    name = rng.choice(("=?koi8-r?B?8NLJ18XU?=", "\"Pharmacy Online\"", "Jenny", ""))
    return f"From: {name} <{rng.choice(_WORDS)}{rng.randrange(999)}@{_domain(rng)}>".replace(
        "  ", " ")


def _subject_line(rng: random.Random) -> str:
    words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 6)))
    if rng.random() < 0.2:
        return "Subject: =?utf-8?Q?" + words.replace(" ", "_") + "_=E2=9C=93?="
    return f"Subject: {words}"


def _body(rng: random.Random, size: int, newline: str) -> bytes:
    words = []
    total = 0
    while total < size:
        word = rng.choice(_WORDS)
        words.append(word)
        total += len(word) + 1
    text = " ".join(words)
    lines = [text[i:i + 70] for i in range(0, len(text), 70)] + [">From the desk of our CEO"]
    return (newline.join(lines) + newline).encode()


def _malformed(rng: random.Random, reason: str, origin: datetime) -> bytes:
    """Bytes that must be rejected for ``reason``."""
    if reason == "empty":
        return b""
    if reason == "not_a_message":
        return bytes(rng.randrange(128, 256) for _ in range(200)) + b"\n\n"
    if reason == "no_timestamp":
        return b"Received: from x by trap; someday soon\nSubject: no dates\n\nbody\n"
    if reason == "header_too_large":
        return b"Subject: " + b"x" * (70 * 1024) + b"\n\nbody\n"
    year = "89" if reason == "before_1990" else "2099"
    return (f"Received: from x ([{_ip(rng)}]) by trap; Tue, 14 Mar {year} 10:00:00 +0000\n"
            f"Message-ID: <bad{rng.getrandbits(32)}@x>\n\nbody\n").encode()


def truth_of(messages: Sequence[SyntheticMessage], paths: Sequence[Path] = ()) -> CorpusTruth:
    """Ground truth of a list of synthetic messages."""
    counted = [m for m in messages if m.status == "counted"]
    return CorpusTruth(
        n_messages=len(messages),
        daily=dict(sorted(Counter(m.day for m in counted if m.day).items())),
        rejected=dict(Counter(m.reason for m in messages if m.status == "rejected")),
        duplicates=sum(m.status == "duplicate" for m in messages),
        counted=len(counted),
        source=dict(Counter(m.source for m in counted)),
        paths=tuple(paths),
    )


def write_corpus(folder: str | Path, n_messages: int = 200, *, formats: Sequence[str] = FORMATS,
                 seed: int = 0, **message_options: object) -> CorpusTruth:
    """Write synthetic messages into ``folder``, spread round-robin over ``formats``.

    Parameters
    ----------
    folder
        Created if missing. One input per format is written inside it:
        ``tree/``, ``trap.mbox``, ``maildir/``, ``spam.zip``, ``spam.tar``,
        ``spam.tar.gz``, ``spam.7z``.
    n_messages, seed, message_options
        Passed to :func:`synthetic_messages`.
    formats
        Any of :data:`FORMATS`.

    Returns
    -------
    CorpusTruth, with ``paths`` the inputs written (in ``formats`` order).
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ParameterError(f"formats: unknown {unknown}; choose from {FORMATS}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    messages = synthetic_messages(n_messages, seed=seed, **message_options)  # type: ignore[arg-type]
    stored = [as_delivered(m, STAMPED[formats[i % len(formats)]])
              if formats[i % len(formats)] in STAMPED else m for i, m in enumerate(messages)]
    shares = {fmt: [(i, m.data, m.delivered) for i, m in enumerate(messages)
                    if i % len(formats) == k] for k, fmt in enumerate(formats)}
    paths = [_WRITERS[fmt](folder, shares[fmt]) for fmt in formats]
    return truth_of(stored, paths)


#: (index, bytes, delivery time or None) of each message a writer stores.
_Item = tuple[int, bytes, int | None]


def _write_tree(folder: Path, items: Sequence[_Item]) -> Path:
    root = folder / "tree"
    for index, data, _ in items:
        target = root / f"{index % 7:02d}" / f"{index:07d}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    root.mkdir(parents=True, exist_ok=True)
    return root


def _write_maildir(folder: Path, items: Sequence[_Item]) -> Path:
    root = folder / "maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for index, data, delivered in items:
        sub = "new" if index % 3 == 0 else "cur"
        stamp = f"{delivered:010d}" if delivered is not None else f"{index}"  # (no time: no stamp)
        (root / sub / f"{stamp}.M{index}P1.trap:2,S").write_bytes(data)
    return root


def mbox_bytes(items: Sequence[bytes], stamps: Sequence[int | None] | None = None) -> bytes:
    """Messages joined as an mbox (``From_`` separator lines, a blank line between).

    ``stamps`` are the delivery times (epoch seconds) the local delivery agent
    writes on each ``From_`` line, in asctime UTC; the ingester reads them as
    arrival times (:func:`spamlab.mail.headers.from_line_time`). Without stamps
    (or for a ``None`` one) the line carries no date, so the message is dated by
    its headers alone.

    Examples
    --------
    >>> mbox_bytes([b"Subject: a\\n\\nx", b"Subject: b\\n\\ny\\n"]).count(b"From MAILER-DAEMON")
    2
    >>> mbox_bytes([b"Subject: a\\n\\nx"], [1298973600]).split(b"\\n")[0]
    b'From MAILER-DAEMON Tue Mar  1 10:00:00 2011'
    """
    if stamps is not None and len(stamps) != len(items):
        raise ParameterError(f"stamps: {len(stamps)} given for {len(items)} messages")
    parts = []
    for index, data in enumerate(items):
        if data and not data.endswith(b"\n"):
            data += b"\n"
        stamp = None if stamps is None else stamps[index]
        parts.append(_from_separator(stamp) + data + b"\n")
    return b"".join(parts)


def _from_separator(stamp: int | None) -> bytes:
    """An mbox ``From_`` line, with the asctime (UTC) of ``stamp`` when given."""
    if stamp is None:
        return b"From MAILER-DAEMON\n"
    moment = datetime.fromtimestamp(stamp, tz=UTC)
    return (f"From MAILER-DAEMON {_DAY_NAMES[moment.weekday()]} {_MONTH_NAMES[moment.month - 1]} "
            f"{moment.day:2d} {moment:%H:%M:%S} {moment.year}\n").encode("ascii")


def _write_mbox(folder: Path, items: Sequence[_Item]) -> Path:
    target = folder / "trap.mbox"
    target.write_bytes(mbox_bytes([data for _, data, _ in items],
                                  [delivered for _, _, delivered in items]))
    return target


def _write_zip(folder: Path, items: Sequence[_Item]) -> Path:
    target = folder / "spam.zip"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, data, _ in items:
            archive.writestr(f"spam/{index:07d}.txt", data)
    return target


_Writer = Callable[[Path, Sequence[_Item]], Path]


def _tar_writer(name: str, gzip: bool) -> _Writer:
    def write(folder: Path, items: Sequence[_Item]) -> Path:
        target = folder / name
        with tarfile.open(target, "w:gz") if gzip else tarfile.open(target, "w") as archive:
            for index, data, _ in items:
                info = tarfile.TarInfo(f"spam/{index:07d}.txt")
                info.size, info.mtime = len(data), 1300000000
                archive.addfile(info, io.BytesIO(data))
        return target

    return write


def _write_7z(folder: Path, items: Sequence[_Item]) -> Path:
    target = folder / "spam.7z"
    with py7zr.SevenZipFile(target, "w") as archive:
        for index, data, _ in items:
            archive.writestr(data, f"spam/{index:07d}.txt")
    return target


_WRITERS: dict[str, _Writer] = {
    "tree": _write_tree, "mbox": _write_mbox, "maildir": _write_maildir, "zip": _write_zip,
    "tar": _tar_writer("spam.tar", gzip=False), "tar.gz": _tar_writer("spam.tar.gz", gzip=True),
    "7z": _write_7z,
}
