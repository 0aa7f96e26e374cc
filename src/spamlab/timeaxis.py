"""The time axis of a user's series: moments, zones and the date column of a file.

:func:`check_timezone`, :func:`as_timestamp` and :func:`parse_moment` turn one value into
a point in time (thin faces of :mod:`spamlab.moments`, which holds the one rule for every
moment in spamlab). :func:`parse_times` reads a whole date column for
:func:`spamlab.series.read`: ISO 8601 or numeric day/month dates, offsets, naive local
times in a zone (a :class:`Clock` says which, and what to do at daylight-saving
changes), typed datetime columns; every bad row is rejected with its file line.
:mod:`spamlab.series` re-exports these names, so ``series.as_timestamp`` keeps working.

Examples
--------
>>> as_timestamp("2011-03-16T15:30+01:00", "start")
Timestamp('2011-03-16 14:30:00+0000', tz='UTC')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from spamlab import moments
from spamlab.errors import DataError
from spamlab.tablerows import Rows as _Rows
from spamlab.tablerows import normalise_name as _normalise
from spamlab.tablerows import stripped_text as _text

__all__ = ["AMBIGUOUS", "NONEXISTENT", "Clock", "as_timestamp", "check_timezone",
           "parse_moment", "parse_times"]

# a clock time followed by "Z" or a numeric UTC offset ("10:00Z", "10:00:00+01:00", "10:00 -0500")
_OFFSET = re.compile(r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$")


#: choices of ambiguous= and nonexistent= (daylight-saving changes)
AMBIGUOUS: tuple[str, ...] = ("raise", "earlier", "later", "infer")


NONEXISTENT: tuple[str, ...] = ("raise", "shift_forward", "shift_backward")


def check_timezone(tz: str, parameter: str = "tz") -> str:
    """Return ``tz`` if pandas knows the zone (:func:`spamlab.moments.check_timezone`).

    Examples
    --------
    >>> check_timezone("Europe/Berlin")
    'Europe/Berlin'
    """
    return moments.check_timezone(tz, parameter)


def as_timestamp(value: str | pd.Timestamp, parameter: str, tz: str = "UTC") -> pd.Timestamp:
    """``value`` in ``tz``, naive values read as ``tz`` wall time (:func:`spamlab.moments.localize`:
    ambiguous day/month dates and DST-skipped or repeated local times are refused).

    Examples
    --------
    >>> as_timestamp("2011-03-16T15:30+01:00", "start")
    Timestamp('2011-03-16 14:30:00+0000', tz='UTC')
    """
    return moments.localize(value, parameter, tz)


def parse_moment(value: object, described: str) -> pd.Timestamp:
    """``value`` as written (:func:`spamlab.moments.parse`); ``described`` names it in errors.

    Examples
    --------
    >>> parse_moment("2011-03-16 14:45", "interruption")
    Timestamp('2011-03-16 14:45:00')
    """
    return moments.parse(value, described, described=described)


@dataclass
class Clock:
    """How to read the dates: zone for naive times, format, and what to do at DST changes."""

    tz: str | None
    date_format: str | None
    ambiguous: str = "raise"
    nonexistent: str = "raise"
    used_format: str = "ISO8601"


def parse_times(rows: _Rows, column: str, clock: Clock) -> tuple[pd.Series, str, int]:
    """UTC timestamps of the rows, the zone used and the number of date-only values read as UTC.

    Rejects missing, unparseable and out-of-range dates, and local times that a
    daylight-saving change makes ambiguous or nonexistent (unless ``clock`` says how
    to resolve them).
    """
    raw = rows.frame[column]
    if pd.api.types.is_datetime64_any_dtype(raw):
        times, zone = _typed_times(rows, raw, clock, column)
        return times, zone, 0
    text = _text(raw)
    rows.reject(text.isna().to_numpy() | (text == "").to_numpy(), f"missing date in column {column!r}")
    written = _text(rows.frame[column])  # shown in messages, as the file has it
    text, clock.used_format, parse_format = _as_iso(rows, written, clock.date_format)
    parsed = _to_datetime(text, parse_format, utc=True)  # naive ones as if UTC, for now
    rows.reject(_out_of_range(parsed), f"date in column {column!r} is outside the years 1677-2262 "
                                       f"that pandas timestamps can hold", cells=written)
    unparsed = parsed.loc[rows.frame.index].isna().to_numpy()
    read_as = None if clock.used_format == "ISO8601" else clock.used_format
    rows.reject(unparsed, f"date in column {column!r} could not be parsed",
                _date_hint(written.loc[rows.frame.index][unparsed], column, read_as,
                           bool((~unparsed).any())),
                cells=written.loc[rows.frame.index])
    text, parsed = text.loc[rows.frame.index], parsed.loc[rows.frame.index]
    aware = _has_offset(text)
    date_only = ((_is_date_only(text) | _format_has_no_clock(clock.date_format)) & ~aware
                 if clock.tz is None else np.zeros(len(text), bool))
    naive = ~aware & ~date_only
    if naive.any() and clock.tz is None:
        first = int(np.argmax(naive))
        raise DataError(f"{rows.label}, {rows.line_word} {rows.lines[first]}: timestamp "
                        f"{text.iloc[first]!r} has no time zone; pass tz= (e.g. tz='UTC' or "
                        f"tz='Europe/Berlin') to say which zone the dates are in")
    stamps = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    stamps[text.index[aware | date_only]] = parsed[aware | date_only].dt.as_unit("ns")
    if naive.any():
        wall = pd.DatetimeIndex(parsed[naive]).tz_localize(None)
        stamps[text.index[naive]] = _localize(rows, wall, clock, column, text.index[naive])
    # only naive rows can have been rejected since (DST changes): date-only ones are all kept
    return stamps.loc[rows.frame.index], _zone_used(aware, date_only, naive, clock.tz), \
        int(date_only.sum())


#: first cells of rows that are not data: totals and sums of the export (any case)
_TOTAL_WORDS = frozenset({"total", "totals", "sum", "summe", "gesamt", "insgesamt", "total général",
                          "totaal", "totale", "grand total", "all", "alle"})


_EXCEL_SERIAL = r"^\d{5}(?:\.\d+)?$"  # 40618: days since 1899-12-30, as a spreadsheet stores dates


def _date_hint(bad: pd.Series, column: str, date_format: str | None,
               others_parsed: bool = False) -> str:
    """What the first unparseable date looks like (a repeated header, a totals row, a comment,
    an Excel serial number, a day/month date: :func:`spamlab.moments.format_hint`), and what
    to do about it. ``others_parsed``: other dates of the column were read.

    Examples
    --------
    >>> _date_hint(pd.Series(["Summe"]), "Datum", None)
    ' (a totals row)'
    """
    if bad.empty:
        return ""
    first = str(bad.iloc[0])
    if _normalise(first) == _normalise(column):
        return " (a repeated header line, as in exports joined together)"
    if first.casefold().rstrip(":") in _TOTAL_WORDS:
        return " (a totals row)"
    if first.startswith("#"):
        return " (a comment line)"
    if re.match(_EXCEL_SERIAL, first):
        return ("; numbers like this are spreadsheet serial dates: format the column as dates "
                "(yyyy-mm-dd) before exporting")
    return moments.format_hint(bad, date_format, others_parsed=others_parsed and not date_format)


def _zone_used(aware: np.ndarray, date_only: np.ndarray, naive: np.ndarray, tz: str | None) -> str:
    """What ``attrs["tz"]`` says about the zone of the dates."""
    parts = ["offsets in the data"] if aware.any() else []
    if naive.any():
        parts.append(str(tz))
    if date_only.any():
        parts.append("UTC days (date-only values, no tz given)")
    if len(parts) > 1:
        return f"{parts[0]}, else {', '.join(parts[1:])}"
    return parts[0] if parts else str(tz)


def _localize(rows: _Rows, local: pd.DatetimeIndex, clock: Clock, column: str,
              positions: pd.Index) -> pd.DatetimeIndex:
    """Naive local times in ``clock.tz`` as UTC; DST gaps and repeats rejected or resolved.

    ``positions`` are the rows' labels in ``rows.frame``; ambiguous and nonexistent
    times are rejected there (with a hint naming the option) unless ``clock`` resolves them.
    """
    tz = str(clock.tz)
    repeated = local.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward").isna() & local.notna()
    skipped = local.tz_localize(tz, ambiguous=True, nonexistent="NaT").isna() & local.notna()
    mark = np.zeros(len(rows.frame), bool)
    where = rows.frame.index.get_indexer(positions)
    if clock.ambiguous == "raise":
        mark[where[repeated]] = True
        rows.reject(mark, f"local time in column {column!r} occurs twice in {tz} (clocks go back)",
                    "; pass ambiguous='earlier', 'later' or 'infer' to choose")
    mark[:] = False
    if clock.nonexistent == "raise":
        mark[where[skipped]] = True
        rows.reject(mark, f"local time in column {column!r} does not exist in {tz} "
                          f"(clocks go forward)",
                    "; pass nonexistent='shift_forward' or 'shift_backward' to move it")
    ambiguous: Any = {"earlier": np.ones(len(local), bool), "later": np.zeros(len(local), bool),
                      "infer": "infer", "raise": "NaT"}[clock.ambiguous]
    nonexistent = "NaT" if clock.nonexistent == "raise" else clock.nonexistent
    try:
        return local.tz_localize(tz, ambiguous=ambiguous, nonexistent=nonexistent).tz_convert("UTC")
    except ValueError as exc:  # 'infer' could not tell the repeated hours apart
        raise DataError(f"{rows.label}: ambiguous='infer' cannot order the repeated local times "
                        f"in {tz} ({exc}); pass ambiguous='earlier' or 'later'") from None


#: day/month dates with one-digit fields and two-digit years, padded: (pattern, rewrite) in order
_PADDING: tuple[tuple[str, str], ...] = (
    (r"^(\d)([/.-])", r"0\1\2"), (r"^(\d\d[/.-])(\d)([/.-])", r"\10\2\3"),
    (r"^(\d\d[/.-]\d\d[/.-])([0-6]\d)([ T]|$)", r"\120\2\3"),
    (r"^(\d\d[/.-]\d\d[/.-])([7-9]\d)([ T]|$)", r"\119\2\3"))


#: padded day/month dates rewritten as ISO 8601, by which field is the day
_TO_ISO = {"day": r"\3-\2-\1", "month": r"\3-\1-\2"}


def _as_iso(rows: _Rows, text: pd.Series, date_format: str | None) -> tuple[pd.Series, str, str]:
    """Numeric day/month dates rewritten as ISO 8601 when no format is given and every date
    starting with a digit is one (cells that do not, a totals row or a repeated header, are
    left to be rejected as unparseable); the order of day and month is decided by all the
    dates together (:func:`spamlab.moments.day_month_order`).

    Returns the text to parse, the format to report and the format to parse with.

    Examples
    --------
    >>> rows = _Rows(pd.DataFrame(index=range(3)), np.arange(2, 5), "x.csv", "line", False)
    >>> dates = pd.Series(["3/1/2011", "3/16/11 10:00", "Total"], dtype="string[pyarrow]")
    >>> iso, used, parse = _as_iso(rows, dates, None)
    >>> iso.tolist(), used, parse
    (['2011-03-01', '2011-03-16 10:00', 'Total'], '%m/%d/%Y', 'ISO8601')
    """
    if date_format:
        return text, date_format, date_format
    array = pa.array(text.array)
    day_month = pc.match_substring_regex(array, moments.DAY_MONTH).fill_null(False)
    numeric = pc.match_substring_regex(array, r"^\d").fill_null(False)
    if not (pc.any(day_month).as_py() and pc.all(pc.or_(day_month, pc.invert(numeric))).as_py()):
        return text, "ISO8601", "ISO8601"
    fields = pc.extract_regex(pc.filter(array, day_month), moments.DAY_MONTH)
    if isinstance(fields, pa.ChunkedArray):  # a big column comes in chunks
        fields = fields.combine_chunks()
    first, second = (np.asarray(fields.field(n).cast(pa.int64())) for n in ("first", "second"))
    seps = pc.unique(fields.field("sep")).to_pylist()
    where = np.flatnonzero(np.asarray(day_month))
    order = moments.day_month_order(
        first, second, pd.Series(pd.array(pc.filter(array, day_month), dtype="string[pyarrow]")),
        rows.label, lambda i: f"{rows.line_word} {rows.lines[where[i]]}", dotted=seps == ["."])
    for pattern, rewrite in (*_PADDING, (r"^(\d\d)[/.-](\d\d)[/.-](\d{4})", _TO_ISO[order])):
        array = pc.replace_substring_regex(array, pattern, rewrite)
    year = "%Y" if len(fields.field("year")[0].as_py()) == 4 else "%y"
    sep = fields.field("sep")[0].as_py()
    used = "{0}{2}{1}{2}{3}".format(*("%d", "%m") if order == "day" else ("%m", "%d"), sep, year)
    return pd.Series(pd.array(array, dtype="string[pyarrow]"), index=text.index), used, "ISO8601"


def _is_date_only(text: pd.Series) -> np.ndarray:
    """Which values are a bare calendar date (``2011-03-01``), no clock time."""
    matched = pc.match_substring_regex(pa.array(text.array), r"^\d{4}-\d{2}-\d{2}$")
    return np.asarray(matched.fill_null(False), dtype=bool)


def _format_has_no_clock(date_format: str | None) -> bool:
    """Whether a strftime ``date_format`` writes calendar dates only (no hour, minute,
    second, AM/PM, offset or locale time directive), so its values are date-only.

    Examples
    --------
    >>> _format_has_no_clock("%d/%m/%Y"), _format_has_no_clock("%d/%m/%Y %H:%M")
    (True, False)
    >>> _format_has_no_clock(None), _format_has_no_clock("%d%%H/%m/%Y")
    (False, True)
    """
    if not date_format:
        return False
    directives = re.findall(r"%[-#]?(.)", date_format.replace("%%", ""))
    return not set(directives) & set("HIMSpfzZXcTRrsk")


def _out_of_range(parsed: pd.Series) -> np.ndarray:
    """Parsed dates that nanosecond timestamps cannot hold (before 1677 or after 2262)."""
    zone = getattr(parsed.dt, "tz", None)
    low, high = pd.Timestamp.min.ceil("s"), pd.Timestamp.max.floor("s")
    if zone is not None:
        low, high = low.tz_localize("UTC"), high.tz_localize("UTC")
    return ((parsed < low) | (parsed > high)).to_numpy(dtype=bool)


def _has_offset(text: pd.Series) -> np.ndarray:
    """Which timestamps end in "Z" or a UTC offset (Arrow's regular expressions: fast on big files)."""
    matched = pc.match_substring_regex(pa.array(text.array), _OFFSET.pattern)
    return np.asarray(matched.fill_null(False), dtype=bool)


def _to_datetime(text: pd.Series, date_format: str, *, utc: bool = False) -> pd.Series:
    """Parsed dates (NaT where unparseable), naive unless ``utc`` (offsets converted)."""
    return pd.to_datetime(text, format=date_format, errors="coerce", utc=utc)


def _typed_times(rows: _Rows, raw: pd.Series, clock: Clock, column: str) -> tuple[pd.Series, str]:
    """Timestamps already typed as datetime64 (DataFrame or Parquet input)."""
    rows.reject(raw.isna().to_numpy(), f"missing date in column {column!r}")
    rows.reject(_out_of_range(rows.frame[column]), f"date in column {column!r} is outside the "
                                                   f"years 1677-2262 that pandas timestamps can hold")
    raw = rows.frame[column].dt.as_unit("ns")
    clock.used_format = "typed"
    if raw.dt.tz is not None:
        return raw.dt.tz_convert("UTC"), str(raw.dt.tz)
    if clock.tz is None:
        raise DataError(f"{rows.label}: column {column!r} holds timestamps without a time zone; "
                        f"pass tz= (e.g. tz='UTC') to say which zone they are in")
    local = _localize(rows, pd.DatetimeIndex(raw), clock, column, raw.index)
    local = pd.Series(local, index=raw.index)
    rows.reject(local.loc[rows.frame.index].isna().to_numpy(),
                f"timestamp in column {column!r} is not a valid local time in {clock.tz}")
    return local.loc[rows.frame.index], str(clock.tz)
