"""The one parser of moments: interruptions, command-line values and the dates of files.

Every place in spamlab that turns text into a point in time goes through this module,
so one rule holds everywhere:

* ISO 8601 (``2011-03-16``, ``2011-03-16 14:45``, ``2011-03-16T14:45+01:00``) is read
  as written; a moment without an offset is wall time in the zone the caller names
  (:func:`localize`), and a wall time that a daylight-saving change skips or repeats
  is refused with an example carrying its offset.
* Numeric day/month dates (``16/03/2011``, ``3/16/2011``, ``16.03.11``, ``16-03-2011``)
  are read only when the numbers decide the order: a first field above 12 is a day,
  a second field above 12 is a day. ``04/03/2011`` could be 4 March or 3 April and is
  refused with both readings named. A column of such dates in a file is decided by
  all its values together (:func:`day_month_order`); a column mixing both orders is
  refused, naming a row of each.
* Two-digit years follow ``strptime``'s ``%y``: 69-99 are 1969-1999, 00-68 are 2000-2068.

Examples
--------
>>> from spamlab import moments
>>> moments.parse("3/16/2011 14:45")
Timestamp('2011-03-16 14:45:00')
>>> moments.to_utc("2011-03-16 15:45", "interruption", "Europe/Berlin").isoformat()
'2011-03-16T14:45:00+00:00'
>>> moments.parse("04/03/2011 15:00", "--interruption")
Traceback (most recent call last):
...
spamlab.errors.ParameterError: --interruption: '04/03/2011 15:00' could be 4 March or 3 April 2011; write it as ISO 8601, e.g. '2011-03-04 15:00'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from spamlab.errors import DataError, ParameterError

__all__ = [
    "DAY_MONTH",
    "check_timezone",
    "day_month_order",
    "format_hint",
    "localize",
    "parse",
    "to_utc",
]

#: a numeric day/month date at the start of a value: first field, separator, second
#: field, year (2 or 4 digits), then the end or a clock time after a space or "T"
DAY_MONTH = (r"^(?P<first>\d{1,2})(?P<sep>[/.-])(?P<second>\d{1,2})[/.-](?P<year>\d{4}|\d{2})"
             r"(?:[ T]|$)")
_DAY_MONTH = re.compile(DAY_MONTH)
#: years 00-68 of a two-digit year are 2000-2068, 69-99 are 1969-1999 (as strptime's %y)
_PIVOT = 69
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def parse(value: object, parameter: str = "moment", *, described: str | None = None
          ) -> pd.Timestamp:
    """One moment as written: naive, or aware when it carries an offset.

    Parameters
    ----------
    value
        Text (ISO 8601, a numeric date whose numbers decide day and month, or a date
        with the month's name), a ``datetime``/``Timestamp``, or a ``numpy.datetime64``.
    parameter
        The name of what is parsed, for messages (``"--interruption"``, ``"start"``).
    described
        The whole subject of the "not a date" message, when it is not
        ``parameter=value`` (kept for :func:`spamlab.series.parse_moment`).

    Raises
    ------
    ParameterError
        For something that is not a date, a date without a year, and a day/month
        date that could be read both ways (both readings are named).

    Examples
    --------
    >>> parse("16/03/2011"), parse("2011-03-16T14:45Z")
    (Timestamp('2011-03-16 00:00:00'), Timestamp('2011-03-16 14:45:00+0000', tz='UTC'))
    """
    subject = described or f"{parameter}={value!r}"
    if isinstance(value, str):
        value = _iso_text(value.strip(), parameter, subject)
    elif not isinstance(value, (dt.date, np.datetime64)):
        raise ParameterError(f"{subject} is not a date or timestamp")
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        raise ParameterError(f"{subject} is not a date or timestamp") from None
    if stamp is pd.NaT:
        raise ParameterError(f"{subject} is not a date or timestamp")
    return stamp


def _iso_text(text: str, parameter: str, subject: str) -> str:
    """``text`` with a numeric day/month date rewritten as ISO 8601; ambiguity refused."""
    match = _DAY_MONTH.match(text)
    if match is None:
        if not re.search(r"\d{4}", text):
            raise ParameterError(f"{subject} is not a date or timestamp with a year; write "
                                 f"it as ISO 8601, e.g. '2011-03-16 14:45'")
        return text
    first, _, second, _ = match.groups()
    order = _order(int(first), int(second))
    if order is None:
        raise ParameterError(f"{parameter}: {text!r} could be {_readings(text)}; write it as "
                             f"ISO 8601, e.g. {_iso_example(text, 'day')!r}")
    if order == "both":
        raise ParameterError(f"{subject} is not a date: {first} and {second} cannot be a day "
                             f"and a month")
    return _iso_example(text, "month" if order == "month" else "day")


def _order(first: int, second: int) -> str | None:
    """``"day"`` (day first), ``"month"`` (month first), ``"both"`` (neither is a month, or a zero),
    ``"same"`` (equal fields, ``03/03/2011``, read alike) or None when both readings are
    different dates."""
    if min(first, second) < 1:
        return "both"
    if first == second:
        return "same" if first <= 12 else "both"
    if first > 12 and second > 12:
        return "both"
    if first > 12:
        return "day"
    return "month" if second > 12 else None


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 1900 if year >= _PIVOT else 2000
    return year


def _iso_example(text: str, order: str) -> str:
    """``text``'s date written as ISO 8601 read in ``order`` (``"day"`` or ``"month"`` first),
    the rest (a clock time) kept."""
    match = _DAY_MONTH.match(text)
    assert match is not None
    first, _, second, year = match.groups()
    day, month = (first, second) if order == "day" else (second, first)
    rest = text[match.end(4):]
    return f"{_year(year):04d}-{int(month):02d}-{int(day):02d}{rest}"


def _readings(text: str) -> str:
    """``"4 March or 3 April 2011"``: the two dates a day/month value can be."""
    match = _DAY_MONTH.match(text)
    assert match is not None
    first, second = int(match.group(1)), int(match.group(3))
    return (f"{first} {_MONTHS[second - 1]} or {second} {_MONTHS[first - 1]} "
            f"{_year(match.group(4))}")


def localize(value: object, parameter: str, tz: str = "UTC") -> pd.Timestamp:
    """``value`` as a timestamp in ``tz``; a naive one is wall time in ``tz``.

    Raises
    ------
    ParameterError
        As :func:`parse`, and for a naive local time that ``tz`` skips or repeats (a
        daylight-saving change): the message gives it with its UTC offset.

    Examples
    --------
    >>> localize("2011-03-16T15:30+01:00", "start")
    Timestamp('2011-03-16 14:30:00+0000', tz='UTC')
    """
    stamp = parse(value, parameter)
    if stamp.tzinfo is not None:
        return stamp.tz_convert(tz)
    try:
        return stamp.tz_localize(tz)
    except ValueError:  # pandas' AmbiguousTimeError and NonExistentTimeError
        raise ParameterError(
            f"{parameter}={value!r} is {_dst_problem(stamp, tz)} local time in {tz} (a "
            f"daylight-saving change); give it with its UTC offset, e.g. "
            f"'{stamp:%Y-%m-%d %H:%M}{_offset_example(stamp, tz)}'") from None


def to_utc(value: object, parameter: str, tz: str | None = None,
           tz_parameter: str = "tz") -> pd.Timestamp:
    """``value`` in UTC; a naive one is read in ``tz`` (UTC when None), which is checked
    (an unknown zone is a ParameterError naming ``tz_parameter``).

    Examples
    --------
    >>> to_utc("2011-03-16 10:45", "--interruption", "America/New_York").isoformat()
    '2011-03-16T14:45:00+00:00'
    """
    zone = check_timezone(tz, tz_parameter) if tz else "UTC"
    return localize(value, parameter, zone).tz_convert("UTC")


def check_timezone(tz: str, parameter: str = "tz") -> str:
    """Return ``tz`` if pandas knows the zone, else raise a ParameterError naming ``parameter``.

    Examples
    --------
    >>> check_timezone("Europe/Berlin")
    'Europe/Berlin'
    """
    try:
        pd.Timestamp("2000-01-01").tz_localize(tz)
    except (KeyError, ValueError, TypeError):  # zoneinfo raises a KeyError subclass, pytz others
        raise ParameterError(f"{parameter}={tz!r} is not a known time zone "
                             f"(e.g. 'UTC', 'Europe/Berlin')") from None
    return tz


def _dst_problem(stamp: pd.Timestamp, tz: str) -> str:
    """``"an ambiguous"`` (the time occurs twice) or ``"a nonexistent"`` (clocks skip it)."""
    try:
        stamp.tz_localize(tz, ambiguous=True)
    except ValueError:
        return "a nonexistent"
    return "an ambiguous"


def _offset_example(stamp: pd.Timestamp, tz: str) -> str:
    """The UTC offset ``tz`` has an hour before ``stamp`` (``+02:00``), for an example."""
    before = (stamp - pd.Timedelta(hours=3)).tz_localize(tz, ambiguous=True, nonexistent="NaT")
    return before.strftime("%z")[:3] + ":" + before.strftime("%z")[3:] if before is not pd.NaT else "Z"


def day_month_order(first: np.ndarray, second: np.ndarray, values: pd.Series, label: str,
                    where: Callable[[int], str], *, dotted: bool = False) -> str:
    """Whether a column of numeric dates writes the day first (``"day"``) or the month first
    (``"month"``), from all its values.

    Parameters
    ----------
    first, second
        The first and second numbers of every date (``3`` and ``16`` for ``3/16/2011``).
    values
        The dates as written, aligned with ``first`` (shown in messages).
    label, where
        The file, and position -> the place of a value in it (``"line 5"``), for messages.
    dotted
        Every date is written with dots (``16.03.2011``): when no value decides, the
        day comes first, as in the countries that write dates so.

    Raises
    ------
    DataError
        When one value has a first field above 12 and another a second field above 12
        (both named), or when no value decides and the dates are not dotted (both
        readings of one value are named, with the ``date_format=`` that chooses).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> dates = pd.Series(["3/1/2011", "3/16/2011"])
    >>> day_month_order(np.array([3, 3]), np.array([1, 16]), dates, "x.csv", lambda i: f"row {i + 1}")
    'month'
    """
    day_first = (first > 12) & (second <= 12)
    month_first = (second > 12) & (first <= 12)
    if day_first.any() and month_first.any():
        d, m = int(np.argmax(day_first)), int(np.argmax(month_first))
        raise DataError(
            f"{label}, {where(d)}: {values.iloc[d]!r} has the day first but {where(m)}: "
            f"{values.iloc[m]!r} has the month first; the dates mix two orders, so none of "
            f"them can be trusted: write them all one way (ISO 8601, e.g. 2011-03-16, is best)")
    if day_first.any() or (dotted and not month_first.any()):
        return "day"
    if month_first.any():
        return "month"
    shown = int(np.argmax(first != second))  # a value whose two readings differ
    text = str(values.iloc[shown])
    sep, year = _separator_and_year(text)
    raise DataError(
        f"{label}, {where(shown)}: {text!r} could be {_readings(text)}, and no date in the column has a "
        f"number above 12 to tell day from month; pass date_format='%d{sep}%m{sep}{year}' "
        f"(day first) or date_format='%m{sep}%d{sep}{year}' (month first)")


def format_hint(values: pd.Series, given: str | None = None, *, others_parsed: bool = False
                ) -> str:
    """What to say about unparseable dates ``values``: the ``date_format=`` that reads them,
    never one that the values (or the other, parsed, dates of the column) contradict.

    Parameters
    ----------
    values
        The dates that could not be parsed.
    given
        The ``date_format`` they were read with, if any (then only a contradiction is said).
    others_parsed
        Other dates of the column were parsed as ISO 8601: a format for these values
        would reject those, so the column is said to mix two styles.

    Examples
    --------
    >>> format_hint(pd.Series(["3/16/2011"]))
    "; pass date_format='%m/%d/%Y' if the dates are written month first (as '3/16/2011')"
    >>> format_hint(pd.Series(["03/11/2011"]))
    "; '03/11/2011' could be 3 November or 11 March 2011: pass date_format='%d/%m/%Y' or '%m/%d/%Y'"
    """
    numeric = [(str(v), m) for v in values if (m := _DAY_MONTH.match(str(v))) is not None]
    if not numeric:
        return "" if given else ("; pass date_format= with the dates' strftime format if they "
                                 "are not ISO 8601")
    by_order: dict[str | None, str] = {}
    for text, match in numeric:
        by_order.setdefault(_order(int(match.group(1)), int(match.group(3))), text)
    sep, year = _separator_and_year(numeric[0][0])
    formats = {"day": f"%d{sep}%m{sep}{year}", "month": f"%m{sep}%d{sep}{year}"}
    if others_parsed:
        return (f"; the column mixes ISO 8601 dates with dates like {numeric[0][0]!r}: write them "
                f"all as ISO 8601 (YYYY-MM-DD)")
    if "day" in by_order and "month" in by_order:
        return (f"; the dates mix day-first ({by_order['day']!r}) and month-first "
                f"({by_order['month']!r}) order: write them all one way")
    for order, words in (("day", "day first"), ("month", "month first")):
        if order in by_order and formats[order] != given:
            return (f"; pass date_format={formats[order]!r} if the dates are written {words} "
                    f"(as {by_order[order]!r})")
    if given or None not in by_order:
        return ""
    text = by_order[None]
    return (f"; {text!r} could be {_readings(text)}: pass date_format={formats['day']!r} or "
            f"{formats['month']!r}")


def _separator_and_year(text: str) -> tuple[str, str]:
    """The separator of a day/month date and its year directive (``%Y`` or ``%y``)."""
    match = _DAY_MONTH.match(text)
    assert match is not None
    return match.group(2), "%Y" if len(match.group(4)) == 4 else "%y"
