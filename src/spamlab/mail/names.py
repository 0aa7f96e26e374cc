"""What a member's name says about its arrival: the Unix time in the name, the month folder.

Spam-trap archives and maildirs name each message file by its arrival time:
untroubled.org's archives hold ``2011/03/1300286700.12345.txt`` (``<seconds>.<anything>``),
and maildir delivers ``<seconds>.<unique>[:2,flags]``. :func:`name_time` reads those
seconds; :func:`month_span` reads a ``YYYY/MM/`` folder in a member's path.
:func:`outside_window` uses both to skip members outside a requested time window
before they are parsed.

Examples
--------
>>> name_time("2011/03/1300286700.12345.txt"), month_span("2011/03/1300286700.12345.txt")
(1300286700, (1298937600, 1301616000))
"""

from __future__ import annotations

import calendar
import re
import time

__all__ = [
    "EARLIEST",
    "FOLDER_SLACK",
    "FUTURE_SLACK",
    "month_span",
    "name_time",
    "outside_window",
    "plausible",
]

#: Earliest plausible name time (1990-01-01 UTC, the same bound as the date rules).
EARLIEST = 631152000
#: A name time later than this many seconds after the run is not a plausible arrival.
FUTURE_SLACK = 86400
#: Slack around a ``YYYY/MM/`` folder's UTC month: the folder may follow a local clock.
FOLDER_SLACK = 86400

_NAME_TIME = re.compile(r"(\d{10})\.")
_MONTH_FOLDER = re.compile(r"(?:^|/)((?:19|20)\d\d)/(0[1-9]|1[0-2])/")
_MBOX_LABEL = re.compile(r"@\d+$")


def name_time(member: str) -> int | None:
    """Seconds since the epoch in a member's file name, or ``None``.

    The base name must start with exactly ten digits and a dot (``<seconds>.``),
    the time must be on or after 1990-01-01 UTC, and the member must be a file of
    its own (an mbox message, labelled ``...@offset``, has no name of its own).
    Whether the time lies in the future is judged later, against the run's clock
    (:func:`plausible`).

    Examples
    --------
    >>> name_time("new/1300286700.M1P2.host:2,S"), name_time("1300286700.txt@0")
    (1300286700, None)
    >>> name_time("13002867001.txt"), name_time("0631151999.x"), name_time("spam/0001.eml")
    (None, None, None)
    """
    if _MBOX_LABEL.search(member):
        return None
    match = _NAME_TIME.match(member, member.rfind("/") + 1)
    if match is None:
        return None
    seconds = int(match.group(1))
    return seconds if seconds >= EARLIEST else None


def plausible(seconds: int, now: float | None = None) -> bool:
    """True when a name time lies between 1990 and a day after ``now`` (default: the clock).

    Examples
    --------
    >>> plausible(1300286700), plausible(4102444800, now=1300286700)
    (True, False)
    """
    latest = (time.time() if now is None else now) + FUTURE_SLACK
    return EARLIEST <= seconds <= latest


def month_span(member: str) -> tuple[int, int] | None:
    """``[start, end)`` (UTC epoch seconds) of the last ``YYYY/MM/`` folder in a path.

    Examples
    --------
    >>> month_span("2011.7z/2011/12/x"), month_span("spam/0001.eml")
    ((1322697600, 1325376000), None)
    """
    found = _MONTH_FOLDER.findall(member)
    if not found:
        return None
    year, month = int(found[-1][0]), int(found[-1][1])
    start = calendar.timegm((year, month, 1, 0, 0, 0))
    end = calendar.timegm((year + month // 12, month % 12 + 1, 1, 0, 0, 0))
    return start, end


def outside_window(member: str, window: tuple[int, int] | None, now: float | None = None) -> bool:
    """True when a member's name alone places it outside ``[window[0], window[1])``.

    A plausible name time decides (:func:`name_time`, :func:`plausible`); without
    one, a ``YYYY/MM/`` folder whose month (widened by :data:`FOLDER_SLACK` on each
    side) lies wholly outside does. Anything else is inside (it must be parsed).

    Examples
    --------
    >>> march = (1298937600, 1301616000)
    >>> outside_window("2011/02/1298000000.1.txt", march), outside_window("2011/03/x", march)
    (True, False)
    >>> outside_window("2011/05/x", march), outside_window("2011/04/x", march)
    (True, False)
    """
    if window is None:
        return False
    seconds = name_time(member)
    if seconds is not None and plausible(seconds, now):
        return not window[0] <= seconds < window[1]
    span = month_span(member)
    if span is None:
        return False
    return span[1] + FOLDER_SLACK <= window[0] or span[0] - FOLDER_SLACK >= window[1]
