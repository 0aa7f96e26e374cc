"""A small spam-trap archive in the layout untroubled.org publishes, with its ground truth.

Public as :mod:`spamlab.testing`; it lives here, beside the corpus generator
(:mod:`spamlab.ingest.corpus`) and the ingestion it imitates.

The layout is the real one: one *solid* 7z per year (``2011.7z``; recent
years have one ``YYYY-MM.7z`` per month, ``monthly=True``) holding one message
per file, ``YYYY/MM/<unixtime>.<pid>.txt``, where ``<unixtime>`` is the
second the trap received the message. The messages are *synthetic* and imitate
a qmail trap: ``Return-Path``, the trap's own ``Received`` lines on top (their
date is the receipt time, written ``-0000`` as qmail does), relays' lines
below, and a ``Date`` set by the spammer that is often wrong (hours or days
off, years off, in the future). Some messages carry **no Received line at
all**: their arrival time is then only in the file name, and their ``Date`` is
a different UTC day on purpose, so an ingester that falls back to ``Date``
gets their day wrong. Every Message-ID is unique (no duplicates) and every
message is well formed, so each one counts on the UTC day of its file-name time.

Examples
--------
>>> import tempfile, pathlib
>>> truth = write_trap_archive(pathlib.Path(tempfile.mkdtemp()), months=[3], per_day=2, seed=1)
>>> [p.name for p in truth.paths], sum(truth.daily.values()) == truth.n_messages
(['2011.7z'], True)
"""

from __future__ import annotations

import calendar
import lzma
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import py7zr

from spamlab.errors import ParameterError
from spamlab.ingest.corpus import format_date

__all__ = [
    "TrapArchiveTruth",
    "write_trap_archive",
]

_WORDS = ("viagra", "cheap", "pharmacy", "replica", "watches", "discount", "offer", "online",
          "meds", "order", "now", "limited", "save", "casino", "loan", "rolex")
_TLDS = ("com", "net", "ru", "cn", "biz", "info", "br", "in")
_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 1}]  # LZMA2, as 7-Zip's default; fast
_ZONES = ("+0000", "+0100", "-0500", "-0800", "+0300", "+0530", "+0800", "-0300")


@dataclass(frozen=True)
class TrapArchiveTruth:
    """Ground truth of a written trap archive (synthetic messages).

    Attributes
    ----------
    n_messages
        Messages written; every one must be counted.
    daily
        UTC day (``YYYY-MM-DD``) -> messages that arrived that day (by the
        file-name time), for every day from the first to the last arrival
        (0 on a day without mail).
    monthly
        ``YYYY-MM`` -> messages.
    arrivals
        ``(member name, arrival epoch)`` of every message, in archive order.
    no_received
        Member names of the messages without any Received line.
    no_received_days
        Days whose every message lacks a Received line (only the file name
        dates them).
    paths
        The archive files written (``2011.7z``, or ``2023-01.7z`` ...).
    """

    n_messages: int
    daily: dict[str, int]
    monthly: dict[str, int]
    arrivals: tuple[tuple[str, int], ...]
    no_received: frozenset[str]
    no_received_days: tuple[str, ...]
    paths: tuple[Path, ...]


def write_trap_archive(folder: str | Path, *, year: int = 2011,
                       months: Sequence[int] = tuple(range(1, 13)), per_day: float = 20.0,
                       seed: int = 0, no_received_share: float = 0.08,
                       bare_days_per_month: int = 1, monthly: bool = False,
                       change_at: str | None = None, change_ratio: float = 1.0,
                       ) -> TrapArchiveTruth:
    """Write a synthetic trap archive for ``months`` of ``year`` into ``folder``.

    Parameters
    ----------
    folder
        Created if missing.
    year, months
        Which months to fill (1-12). The file is ``{year}.7z``, or one
        ``{year}-{MM}.7z`` per month with ``monthly=True``.
    per_day
        Mean messages per day (Poisson), arrival seconds uniform in the day.
    seed
        Random seed (same seed, same bytes).
    no_received_share
        Share of the other messages written without any Received line.
    bare_days_per_month
        Days per month (with mail) on which *no* message has a Received line.
    change_at, change_ratio
        From the UTC time ``change_at`` on, each arrival is kept with
        probability ``change_ratio`` (a takedown's step; 1.0 changes nothing).

    Returns
    -------
    TrapArchiveTruth
    """
    if not months or any(not 1 <= m <= 12 for m in months):
        raise ParameterError(f"months: {list(months)!r}; give month numbers 1-12")
    if per_day <= 0 or not 0 <= no_received_share <= 1 or not 0 <= change_ratio <= 1:
        raise ParameterError("per_day must be > 0, no_received_share and change_ratio in [0, 1]")
    rng = random.Random(seed)
    arrivals = _arrivals(np.random.default_rng(seed), rng, year, sorted(set(months)), per_day,
                         change_at, change_ratio)
    if not arrivals:
        raise ParameterError(f"per_day={per_day}: no message arrived; raise per_day")
    bare = _bare_members(rng, arrivals, no_received_share, bare_days_per_month)
    members = {name: _message(rng, when, name in bare) for name, when in arrivals}
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    groups = sorted({name[:7] for name, _ in arrivals}) if monthly else [str(year)]
    paths = []
    for group in groups:
        target = folder / f"{group.replace('/', '-')}.7z"
        with py7zr.SevenZipFile(target, "w", filters=_FILTERS) as archive:  # one folder: solid
            for name, _ in arrivals:
                if name.startswith(group):
                    archive.writestr(members[name], name)
        paths.append(target)
    return _truth(arrivals, bare, tuple(paths))


def _arrivals(counts: np.random.Generator, rng: random.Random, year: int, months: list[int],
              per_day: float, change_at: str | None, change_ratio: float,
              ) -> list[tuple[str, int]]:
    """``(member name, epoch)`` sorted by name: Poisson days, uniform seconds, unique names."""
    cut = int(datetime.fromisoformat(change_at).replace(tzinfo=UTC).timestamp()) \
        if change_at else None
    names: dict[str, int] = {}
    for month in months:
        first = int(datetime(year, month, 1, tzinfo=UTC).timestamp())
        for day in range(calendar.monthrange(year, month)[1]):
            for second in sorted(rng.randrange(86400) for _ in range(counts.poisson(per_day))):
                when = first + day * 86400 + second
                if cut is not None and when >= cut and rng.random() >= change_ratio:
                    continue
                name = f"{year}/{month:02d}/{when}.{rng.randint(1000, 65535)}.txt"
                names.setdefault(name, when)
    return sorted(names.items())


def _day(when: int) -> str:
    return datetime.fromtimestamp(when, tz=UTC).strftime("%Y-%m-%d")


def _bare_members(rng: random.Random, arrivals: list[tuple[str, int]], share: float,
                  bare_days_per_month: int) -> frozenset[str]:
    """Members without Received lines: every message of a few days, and a random share."""
    days_by_month: dict[str, list[str]] = {}
    for day in sorted({_day(when) for _, when in arrivals}):
        days_by_month.setdefault(day[:7], []).append(day)
    bare_days = set()
    for days in days_by_month.values():
        count = min(bare_days_per_month, len(days))
        bare_days.update(rng.sample(days, count))
    return frozenset(name for name, when in arrivals
                     if _day(when) in bare_days or rng.random() < share)


def _word(rng: random.Random, pool: Sequence[str] = _WORDS) -> str:
    return rng.choice(pool)


def _domain(rng: random.Random) -> str:
    letters = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(4, 9)))
    return f"{letters}.{_word(rng, _TLDS)}"


def _ip(rng: random.Random) -> str:
    first = _word(rng, ("41", "58", "77", "89", "113", "187", "190", "201", "222"))
    return first + "".join(f".{rng.randint(1, 254)}" for _ in range(3))


def _qmail_date(when: int) -> str:
    """qmail's Received date: ``16 Mar 2011 14:45:00 -0000`` (UTC, no weekday)."""
    return datetime.fromtimestamp(when, tz=UTC).strftime("%d %b %Y %H:%M:%S -0000").lstrip("0")


def _spammer_date(rng: random.Random, when: int, bare: bool) -> str:
    """The ``Date`` a spammer wrote: a different UTC day when ``bare``, often wrong otherwise."""
    if bare:
        offset = rng.choice((-1, 1)) * rng.randint(86400 + 3600, 9 * 86400)
    else:
        offset = rng.choice((
            -rng.randrange(3600),                   # sent shortly before
            -rng.randrange(30 * 86400),             # a stale clock
            rng.randint(3600, 400 * 86400),         # in the future
            -rng.randint(3, 7) * 365 * 86400))      # years off
    zone = _word(rng, _ZONES)
    hours = (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 3600 + int(zone[3:]) * 60)
    local = datetime.fromtimestamp(when + offset, tz=UTC) + timedelta(seconds=hours)
    return local.strftime("%a, %d %b %Y %H:%M:%S ") + zone


def _message(rng: random.Random, when: int, bare: bool) -> bytes:
    """One trap message arriving at ``when`` (``bare``: no Received line at all)."""
    sender, helo, ip, pid = _domain(rng), _domain(rng), _ip(rng), rng.randint(1000, 65535)
    received = _qmail_date(when)
    lines = [f"Return-Path: <{_word(rng)}{rng.randrange(999)}@{sender}>"]
    if not bare:
        relay_time = when - rng.randrange(600)
        lines += [
            "Delivered-To: spam-trap@untroubled.example",
            f"Received: (qmail {pid} invoked from network); {received}",
            (f"Received: from unknown (HELO {helo}) ({ip})\n  by trap.example.org with SMTP; "
             f"{received}"),
            (f"Received: from {_domain(rng)} ([{_ip(rng)}]) by {helo} with Microsoft "
             f"SMTPSVC(6.0.3790.4675);\n\t{format_date(relay_time, 'negative')[0]}"),
        ]
    lines += [f"Date: {_spammer_date(rng, when, bare)}",
              f"Message-ID: <{when}.{pid}.{rng.getrandbits(40):010x}@{sender}>",
              f"From: \"{_word(rng).title()} Store\" <sales@{sender}>",
              "To: <spam-trap@untroubled.example>",
              f"Subject: {' '.join(rng.choices(_WORDS, k=rng.randint(2, 5)))}",
              "MIME-Version: 1.0", "Content-Type: text/plain; charset=\"us-ascii\""]
    body = " ".join(rng.choices(_WORDS, k=rng.randint(20, 79)))
    return ("\n".join(lines) + "\n\n" + body + "\n").encode("ascii")


def _truth(arrivals: list[tuple[str, int]], bare: frozenset[str],
           paths: tuple[Path, ...]) -> TrapArchiveTruth:
    per_day = Counter(_day(when) for _, when in arrivals)
    first = datetime.fromisoformat(min(per_day))
    span = (datetime.fromisoformat(max(per_day)) - first).days + 1
    days = [(first + timedelta(days=k)).strftime("%Y-%m-%d") for k in range(span)]
    covered = Counter(_day(when) for name, when in arrivals if name not in bare)
    return TrapArchiveTruth(
        n_messages=len(arrivals),
        daily={day: per_day.get(day, 0) for day in days},
        monthly=dict(sorted(Counter(day[:7] for day in per_day.elements()).items())),
        arrivals=tuple(arrivals),
        no_received=bare,
        no_received_days=tuple(day for day in sorted(per_day) if not covered[day]),
        paths=paths,
    )
