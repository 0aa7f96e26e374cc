"""Registry of interventions: botnet takedowns, pauses and closures.

Each :class:`Event` carries a UTC start (and end, for pauses), the ids of the
rows of ``data/raw/published_figures.csv`` that support its date, and, where
the figures table holds no row dating the event, the public pages the date was
read from. ``precision`` says how far the start can be trusted: ``"minute"``
(a timed stop), ``"day"``, ``"week"`` or ``"month"``.

Alternatives record other published timings of the same event (e.g. the
Rustock stop: CBL says about 14:45 UTC, row 125; MessageLabs about 15:30 UTC,
row 130), so a sensitivity analysis can try each.

Examples
--------
>>> from spamlab import events
>>> events.get("rustock_takedown").start
Timestamp('2011-03-16 14:45:00+0000', tz='UTC')
>>> [e.name for e in events.within("2010-10-01", "2010-12-31")]
['spamit_closure', 'bredolab_takedown', 'rustock_holiday_pause']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from spamlab.errors import ParameterError
from spamlab.series import as_timestamp

__all__ = [
    "KINDS",
    "PRECISIONS",
    "REGISTERED",
    "Alternative",
    "Event",
    "get",
    "names",
    "registry",
    "within",
]

KINDS: tuple[str, ...] = ("takedown", "pause", "closure")
PRECISIONS: tuple[str, ...] = ("minute", "day", "week", "month")


@dataclass(frozen=True)
class Alternative:
    """Another published timing of an event, with the figure row it comes from."""

    start: pd.Timestamp
    figure_id: int
    note: str


@dataclass(frozen=True)
class Event:
    """One intervention.

    Attributes
    ----------
    name : short identifier, e.g. ``"rustock_takedown"``
    start : UTC timestamp at which the intervention took effect (best estimate)
    end : UTC end of a temporary event (a pause), else ``None``
    kind : ``"takedown"``, ``"pause"`` or ``"closure"``
    figure_ids : rows of the figures table supporting the date
    note : how the date was established and what the table does (not) say
    precision : ``"minute"``, ``"day"``, ``"week"`` or ``"month"``
    alternatives : other published timings, each tied to a figure row
    sources : pages outside the figures table used for the date, if any
    """

    name: str
    start: pd.Timestamp
    end: pd.Timestamp | None
    kind: str
    figure_ids: tuple[int, ...]
    note: str
    precision: str = "day"
    alternatives: tuple[Alternative, ...] = ()
    sources: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ParameterError(f"event {self.name!r}: kind={self.kind!r}; expected one of {KINDS}")
        if self.precision not in PRECISIONS:
            raise ParameterError(
                f"event {self.name!r}: precision={self.precision!r}; expected one of {PRECISIONS}"
            )
        if self.end is not None and self.end < self.start:
            raise ParameterError(f"event {self.name!r}: end {self.end} is before start {self.start}")


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


#: The registered events, oldest first (each checked against the figures table by the tests).
REGISTERED: tuple[Event, ...] = (
    Event(
        "mccolo_cutoff", _utc("2008-11-11"), None, "takedown", (185, 186, 187, 188, 189, 190, 191),
        "Hosting provider McColo cut off by its upstream networks on 11 Nov 2008; rows 185-191 "
        "date the drop (IronPort 112 bn/day on 11 Nov, row 185; falls from 11 Nov, rows 189-191).",
    ),
    Event(
        "waledac_takedown", _utc("2010-02-22"), None, "takedown", (140,),
        "The figures table has no row dating the takedown: row 140 only places Waledac "
        "(>1.5 bn/day) in February 2010. Day from Microsoft (Operation b49): court order "
        "on Monday 22 Feb 2010, domains severed in the following days.",
        precision="week",
        sources=(("https://cloudblogs.microsoft.com/microsoftsecure/2010/02/24/"
                  "microsoft-to-waledac-off-with-your-head/"),),
    ),
    Event(
        "pushdo_cutwail_takedown", _utc("2010-08-26"), None, "takedown", (228, 382),
        "Rows 228 and 382 give Pushdo/Cutwail's share in August 2010 but not the day. About 20 of "
        "30 C&C servers were taken offline in the last week of August 2010 (LastLine); its spam "
        "fell to almost nothing around Thursday 26 Aug (M86 Security, 27 Aug 2010).",
        precision="week",
        sources=("http://labs.m86security.com/2010/08/pushdo-spambot-crippled/",),
    ),
    Event(
        "spamit_closure", _utc("2010-10-01"), None, "closure", (225, 229, 230),
        "No row of the figures table names SpamIt. The affiliate programme announced in late "
        "September 2010 that it would stop accepting traffic from 1 Oct 2010. Rows 225 (about "
        "100 bn/day on 30 Sep 2010), 229 and 230 (Sep-Oct 2010 decline) bracket it.",
        precision="week",
        alternatives=(Alternative(_utc("2010-09-30"), 225, "last dated volume before the closure"),),
        sources=(("http://www.infosecurity-magazine.com/view/12759/"
                  "spamitcom-spam-affiliate-service-to-close-spam-levels-to-drop"),
                 "https://www.eweek.com/security/largest-canadian-pharmacy-spammer-spamit-shuts-down"),
    ),
    Event(
        "bredolab_takedown", _utc("2010-10-25"), None, "takedown", (232, 234, 235),
        "Dutch police took Bredolab's servers down on 25 Oct 2010 (rows 232, 234, 235).",
    ),
    Event(
        "rustock_holiday_pause", _utc("2010-12-25"), _utc("2011-01-10"), "pause",
        (38, 39, 53, 54, 337, 160, 161, 166, 322),
        "Rustock went nearly silent from about 25 Dec 2010 (rows 53, 160, 166: ~0.5 bn/day or "
        "<0.5%; row 38: 80.2 bn/day on 24 Dec; row 39: 33.5 bn/day on 1 Jan) and returned about "
        "9-10 Jan 2011 (rows 54, 322: honeypot spam +98%). Row 337: -58% over 25 Dec-8 Jan. "
        "Both ends are approximate.",
        precision="day",
    ),
    Event(
        "rustock_takedown", _utc("2011-03-16 14:45"), None, "takedown", (125, 130, 16, 28, 29),
        "Rustock's command-and-control servers seized (Microsoft Operation b107). CBL timed the "
        "stop at about 14:45 UTC (row 125); MessageLabs at about 15:30 UTC (row 130).",
        precision="minute",
        alternatives=(Alternative(_utc("2011-03-16 15:30"), 130, "MessageLabs timing"),),
    ),
    Event(
        "grum_takedown", _utc("2012-07-18"), None, "takedown", (193, 194, 195, 196, 198, 200),
        "Grum's C&C servers went down on 18-19 Jul 2012: rows 193, 194, 196 run to 18-19 Jul; "
        "rows 195 (about -50% over 19-21 Jul), 198 and 200 describe 19 Jul.",
        alternatives=(Alternative(_utc("2012-07-19"), 198, "last C&C servers down; spam drop reported"),),
    ),
)


def names() -> list[str]:
    """Names of all registered events, oldest first."""
    return [event.name for event in REGISTERED]


def get(name: str) -> Event:
    """The registered event called ``name``.

    Raises
    ------
    ParameterError
        Naming the unknown event and listing the registered ones.

    Examples
    --------
    >>> get("bredolab_takedown").kind
    'takedown'
    """
    for event in REGISTERED:
        if event.name == name:
            return event
    raise ParameterError(f"unknown event {name!r}; registered events: {names()}")


def registry() -> pd.DataFrame:
    """All events as a DataFrame, one row per event (figure ids as tuples).

    Examples
    --------
    >>> registry().loc["rustock_takedown", "kind"]
    'takedown'
    """
    rows = [
        {
            "name": e.name, "start": e.start, "end": e.end, "kind": e.kind,
            "precision": e.precision, "figure_ids": e.figure_ids,
            "alternatives": tuple(a.start for a in e.alternatives), "note": e.note,
            "sources": e.sources,
        }
        for e in REGISTERED
    ]
    frame = pd.DataFrame(rows).set_index("name", drop=False).rename_axis(None)
    frame["end"] = pd.to_datetime(frame["end"], utc=True)
    return frame


def within(start: str | pd.Timestamp, end: str | pd.Timestamp) -> list[Event]:
    """Events active at some moment in ``[start, end]`` (naive bounds are read as UTC).

    A takedown is active at its start; a pause from its start to its end.

    Examples
    --------
    >>> [e.name for e in within("2011-01-01", "2011-12-31")]
    ['rustock_holiday_pause', 'rustock_takedown']
    """
    lo, hi = as_timestamp(start, "start"), as_timestamp(end, "end")
    if hi < lo:
        raise ParameterError(f"end {hi} is before start {lo}")
    return [e for e in REGISTERED if e.start <= hi and (e.end or e.start) >= lo]
