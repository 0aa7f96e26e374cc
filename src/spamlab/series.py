"""Read a user's time series (CSV, Parquet or a DataFrame) into a validated frame.

:func:`read` maps the date and value columns (case- and whitespace-insensitive,
auto-detected when there is a single obvious candidate), converts timestamps to
UTC, and checks every row. Bad input raises :class:`spamlab.errors.DataError`
naming the file, the line of the file (1-based, the header being line 1) and
the reason; with ``on_bad_rows="drop"`` bad rows are dropped instead and
counted in ``attrs["rejections"]``. Empty value cells are not errors: they stay
NaN and are counted in ``attrs["n_missing"]``.

Examples
--------
>>> import pandas as pd
>>> from spamlab import series
>>> raw = pd.DataFrame({"Day": ["2011-03-15", "2011-03-16"], "Count": [52, 40]})
>>> frame = series.read(raw, tz="UTC")
>>> frame["volume"].tolist()
[52.0, 40.0]
>>> str(frame.index.tz), frame.index.name
('UTC', 'time')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from spamlab.errors import DataError, ParameterError

DATE_CANDIDATES: tuple[str, ...] = ("date", "day", "time", "timestamp", "datetime", "ts")
VALUE_CANDIDATES: tuple[str, ...] = ("count", "value", "volume", "messages", "n", "spam", "total")
AGGREGATIONS: tuple[str, ...] = ("sum", "mean", "median", "min", "max")
PARQUET_SUFFIXES: tuple[str, ...] = (".parquet", ".pq")
# a clock time followed by "Z" or a numeric UTC offset ("10:00Z", "10:00:00+01:00", "10:00 -0500")
_OFFSET = re.compile(r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$")
_SHOW_LINES = 5


@dataclass
class _Rows:
    """Raw rows being validated: text or typed cells, the file line of each, and the rejections."""

    frame: pd.DataFrame
    lines: np.ndarray
    label: str
    line_word: str
    drop: bool
    rejections: dict[str, list[int]] = field(default_factory=dict)

    def reject(self, mask: np.ndarray, reason: str, hint: str = "") -> None:
        """Raise on ``mask`` rows, or record and drop them when dropping is asked for."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        bad = self.lines[mask]
        if not self.drop:
            shown = ", ".join(str(n) for n in bad[:_SHOW_LINES]) + (" ..." if len(bad) > _SHOW_LINES else "")
            also = f" ({len(bad)} rows: {self.line_word}s {shown})" if len(bad) > 1 else ""
            raise DataError(f"{self.label}, {self.line_word} {bad[0]}: {reason}{also}{hint}. "
                            f"Fix the data, or pass on_bad_rows='drop' to drop and count such rows")
        self.rejections.setdefault(reason, []).extend(int(n) for n in bad)
        keep = ~mask
        self.frame = self.frame.loc[keep]
        self.lines = self.lines[keep]


def read(
    source: str | Path | pd.DataFrame,
    date_col: str | None = None,
    value_col: str | None = None,
    *,
    tz: str | None = None,
    aggregate: str | None = None,
    name: str = "volume",
    encoding: str = "utf-8",
    sep: str = ",",
    date_format: str = "ISO8601",
    on_bad_rows: str = "raise",
) -> pd.DataFrame:
    """Read, validate and sort a time series.

    Parameters
    ----------
    source
        A CSV file (any suffix but ``.parquet``/``.pq``; compressed files by
        suffix), a Parquet file, or a DataFrame (a DatetimeIndex is used as
        the date column when ``date_col`` is not given).
    date_col, value_col
        Names of the date and value columns of the file (or frame),
        matched ignoring case and surrounding whitespace. When
        omitted, the single column named like a date (``date``, ``day``,
        ``time``, ``timestamp``, ...) or a count (``count``, ``value``,
        ``volume``, ``messages``, ...) is used.
    tz
        Time zone of timestamps written without an offset (e.g. ``"UTC"``,
        ``"Europe/Berlin"``). Required when any timestamp lacks an offset;
        timestamps with offsets (mixed offsets too) are converted to UTC.
    aggregate
        ``"sum"``, ``"mean"``, ``"median"``, ``"min"`` or ``"max"`` to merge
        rows sharing a timestamp; without it duplicates are an error.
    name
        Name of the value column in the result.
    encoding, sep
        Text encoding and field separator of a CSV file.
    date_format
        ``strftime`` format of the dates, or ``"ISO8601"`` (default).
    on_bad_rows
        ``"raise"`` (default) or ``"drop"``: drop rows with unparseable dates
        or invalid values, and count them in ``attrs["rejections"]``.

    Returns
    -------
    DataFrame indexed by a sorted, unique, UTC ``DatetimeIndex`` named
    ``time``, with one float column ``name`` (NaN where the cell was empty).
    ``attrs`` holds ``source``, ``date_column``, ``value_column``, ``tz``,
    ``n_rows``, ``n_missing``, ``n_aggregated``, ``rejections`` and
    ``rejected_lines``.

    Raises
    ------
    DataError
        For missing or empty files, undecodable text, missing columns (the
        available ones are listed), unparseable or missing dates, naive
        timestamps without ``tz``, non-numeric, negative or infinite values,
        and duplicate timestamps without ``aggregate``.
    ParameterError
        For an unknown ``aggregate``, ``on_bad_rows`` or ``tz``.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"when": ["2011-03-16T10:30+01:00", "2011-03-16T09:30Z"],
    ...                     "n": [1, 2]})
    >>> read(raw, date_col="when", value_col="n", aggregate="sum")["volume"].iloc[0]
    np.float64(3.0)
    """
    _check_options(aggregate, on_bad_rows, tz)
    frame, lines, label, line_word = _load(source, encoding, sep)
    date_name = _resolve(frame, date_col, DATE_CANDIDATES, "date", label)
    value_name = _resolve(frame, value_col, VALUE_CANDIDATES, "value", label)
    rows = _Rows(frame[[date_name, value_name]], lines, label, line_word, on_bad_rows == "drop")
    times, tz_used = _parse_times(rows, date_name, tz, date_format)
    values = _parse_values(rows, value_name)
    result, n_merged = _merge_duplicates(rows, times, values, aggregate, name)
    result.attrs.update({
        "source": label, "date_column": date_name, "value_column": value_name, "tz": tz_used,
        "n_rows": len(lines), "n_missing": int(result[name].isna().sum()),
        "n_aggregated": n_merged, "aggregate": aggregate,
        "rejections": {reason: len(bad) for reason, bad in rows.rejections.items()},
        "rejected_lines": {reason: bad[:100] for reason, bad in rows.rejections.items()},
    })
    return result


def _check_options(aggregate: str | None, on_bad_rows: str, tz: str | None) -> None:
    if aggregate is not None and aggregate not in AGGREGATIONS:
        raise ParameterError(f"aggregate={aggregate!r}; expected None or one of {AGGREGATIONS}")
    if on_bad_rows not in ("raise", "drop"):
        raise ParameterError(f"on_bad_rows={on_bad_rows!r}; expected 'raise' or 'drop'")
    if tz is not None:
        check_timezone(tz)


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


def as_timestamp(value: str | pd.Timestamp, parameter: str, tz: str = "UTC") -> pd.Timestamp:
    """Parse ``value`` as a timestamp in ``tz`` (naive values are read as ``tz`` wall time).

    Examples
    --------
    >>> as_timestamp("2011-03-16T15:30+01:00", "start")
    Timestamp('2011-03-16 14:30:00+0000', tz='UTC')
    """
    stamp = parse_moment(value, f"{parameter}={value!r}")
    return stamp.tz_localize(tz) if stamp.tzinfo is None else stamp.tz_convert(tz)


def parse_moment(value: object, described: str) -> pd.Timestamp:
    """``pd.Timestamp(value)``, or a ParameterError saying ``described`` is not a date.

    Examples
    --------
    >>> parse_moment("2011-03-16 14:45", "interruption")
    Timestamp('2011-03-16 14:45:00')
    """
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ParameterError(f"{described} is not a date or timestamp") from None
    if stamp is pd.NaT:
        raise ParameterError(f"{described} is not a date or timestamp")
    return stamp


def _load(source: str | Path | pd.DataFrame, encoding: str, sep: str) -> tuple[pd.DataFrame, np.ndarray, str, str]:
    """The raw table, the file line (or row) number of each row, a label and the word for a row."""
    if isinstance(source, pd.DataFrame):
        frame = _index_as_column(source)
        frame = frame.reset_index(drop=True)
        return frame, np.arange(1, len(frame) + 1), "DataFrame", "row"
    path = Path(source)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    if path.suffix.lower() in PARQUET_SUFFIXES:
        frame = _read_parquet(path)
        return frame, np.arange(1, len(frame) + 1), str(path), "row"
    frame = _read_csv(path, encoding, sep)
    lines = frame.index.to_numpy() + 2  # header is line 1; blank lines were kept, so this is exact
    blank = (frame == "").all(axis=1).to_numpy()
    frame, lines = frame.loc[~blank].reset_index(drop=True), lines[~blank]
    if frame.empty:
        raise DataError(f"{path}: no data rows below the header")
    return frame, lines, str(path), "line"


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise DataError(f"{path}: not a readable Parquet file ({type(exc).__name__}: {exc})") from None
    if frame.empty:
        raise DataError(f"{path}: the Parquet file has no rows")
    return _index_as_column(frame)


def _index_as_column(frame: pd.DataFrame) -> pd.DataFrame:
    """A DatetimeIndex becomes a column (named ``time`` if unnamed) unless that name is taken."""
    if not isinstance(frame.index, pd.DatetimeIndex):
        return frame
    name = frame.index.name or "time"
    return frame if name in frame.columns else frame.rename_axis(name).reset_index()


def _read_csv(path: Path, encoding: str, sep: str) -> pd.DataFrame:
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty")
    enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False,
                           encoding=enc, sep=sep)
    except UnicodeDecodeError as exc:
        raise DataError(_decode_message(path, exc, encoding)) from None
    except LookupError:
        raise ParameterError(f"encoding={encoding!r} is not a known text encoding") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty (no header line)") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: not a well-formed CSV file ({exc})") from None


def _decode_message(path: Path, exc: UnicodeDecodeError, encoding: str) -> str:
    """Say where the undecodable byte is (line number), and what to try."""
    try:
        with path.open("rb") as handle:
            head = handle.read(exc.start) if exc.object is not None else b""
        line = head.count(b"\n") + 1
        where = f"line {line}"
    except OSError:  # pragma: no cover - the file was readable a moment ago
        where = "somewhere"
    byte = exc.object[exc.start:exc.start + 1].hex() if exc.object is not None else "?"
    return (f"{path}, {where}: the file is not valid {encoding} text (byte 0x{byte}); "
            f"pass encoding= with the file's encoding, e.g. encoding='latin-1' or 'cp1252'")


def _normalise(column: object) -> str:
    return re.sub(r"\s+", "_", str(column).strip().casefold())


def _resolve(frame: pd.DataFrame, wanted: str | None, candidates: tuple[str, ...], role: str,
             label: str) -> str:
    """The actual column name for ``role``: the one asked for, else the single obvious candidate."""
    available = [str(c) for c in frame.columns]
    by_norm: dict[str, list[str]] = {}
    for col in frame.columns:
        by_norm.setdefault(_normalise(col), []).append(col)
    if wanted is not None:
        found = by_norm.get(_normalise(wanted), [])
        if len(found) == 1:
            return found[0]
        reason = "matches several columns" if found else "not found"
        raise DataError(f"{label}: {role} column {wanted!r} {reason}; available columns: {available}")
    found = [col for norm in candidates for col in by_norm.get(norm, [])]
    if len(found) == 1:
        return found[0]
    if not found:
        raise DataError(f"{label}: no {role} column found (looked for {list(candidates)}); "
                        f"pass {role}_col= one of the available columns: {available}")
    raise DataError(f"{label}: several possible {role} columns {found}; pass {role}_col= to choose one")


def _parse_times(rows: _Rows, column: str, tz: str | None, date_format: str) -> tuple[pd.Series, str]:
    """UTC timestamps of the rows; rejects missing and unparseable dates."""
    raw = rows.frame[column]
    if pd.api.types.is_datetime64_any_dtype(raw):
        return _typed_times(rows, raw, tz, column)
    text = _text(raw)
    rows.reject(text.isna().to_numpy() | (text == "").to_numpy(), f"missing date in column {column!r}")
    text = _text(rows.frame[column])
    aware = _has_offset(text)
    if not aware.all() and tz is None:
        first = int(rows.lines[~aware][0])
        raise DataError(f"{rows.label}, {rows.line_word} {first}: timestamp {text.iloc[int(np.argmax(~aware))]!r} "
                        f"has no time zone; pass tz= (e.g. tz='UTC' or tz='Europe/Berlin') to say "
                        f"which zone the dates are in")
    stamps = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    if aware.any():
        stamps[aware] = _to_datetime(text[aware], date_format, utc=True)
    if (~aware).any():
        local = pd.DatetimeIndex(_to_datetime(text[~aware], date_format, utc=False))
        stamps[~aware] = local.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").tz_convert("UTC")
    hint = "" if date_format != "ISO8601" else "; pass date_format= (e.g. '%d/%m/%Y') if dates are not ISO 8601"
    reason = f"date in column {column!r} could not be parsed" + (
        f" (or is not a valid local time in {tz})" if tz and tz.upper() != "UTC" and not aware.all() else "")
    rows.reject(stamps.isna().to_numpy(), reason, hint)
    stamps = stamps.loc[rows.frame.index]
    if aware.all():
        zone = "offsets in the data"
    else:  # some timestamps are naive, so tz was given (checked above)
        zone = f"offsets in the data, else {tz}" if aware.any() else f"{tz}"
    return stamps, zone


def _text(column: pd.Series) -> pd.Series:
    """Stripped text in Arrow-backed strings (vectorised regular expressions, no Python loop)."""
    return column.astype("string[pyarrow]").str.strip()


def _has_offset(text: pd.Series) -> np.ndarray:
    """Which timestamps end in "Z" or a UTC offset (Arrow's regular expressions: fast on big files)."""
    matched = pc.match_substring_regex(pa.array(text.array), _OFFSET.pattern)
    return np.asarray(matched.fill_null(False), dtype=bool)


def _to_datetime(text: pd.Series, date_format: str, *, utc: bool) -> pd.Series:
    return pd.to_datetime(text, format=date_format, errors="coerce", utc=utc)


def _typed_times(rows: _Rows, raw: pd.Series, tz: str | None, column: str) -> tuple[pd.Series, str]:
    """Timestamps already typed as datetime64 (DataFrame or Parquet input)."""
    rows.reject(raw.isna().to_numpy(), f"missing date in column {column!r}")
    raw = rows.frame[column]
    if raw.dt.tz is not None:
        return raw.dt.tz_convert("UTC"), str(raw.dt.tz)
    if tz is None:
        raise DataError(f"{rows.label}: column {column!r} holds timestamps without a time zone; "
                        f"pass tz= (e.g. tz='UTC') to say which zone they are in")
    local = raw.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    rows.reject(local.isna().to_numpy(), f"timestamp in column {column!r} is not a valid local time in {tz}")
    return local.loc[rows.frame.index].dt.tz_convert("UTC"), tz


def _parse_values(rows: _Rows, column: str) -> pd.Series:
    """Float values; empty cells become NaN, anything else non-numeric or negative is rejected."""
    raw = rows.frame[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        numbers = raw.astype(float)
    else:
        text = _text(raw)
        blank = text.isna() | (text == "")
        numbers = pd.to_numeric(text.mask(blank), errors="coerce").astype(float)
        rows.reject((numbers.isna() & ~blank).to_numpy(),
                    f"value in column {column!r} is not a number")
        numbers = numbers.loc[rows.frame.index]
    rows.reject(np.isinf(numbers.to_numpy()), f"value in column {column!r} is infinite")
    numbers = numbers.loc[rows.frame.index]
    rows.reject((numbers < 0).to_numpy(), f"value in column {column!r} is negative")
    return numbers.loc[rows.frame.index]


def _merge_duplicates(rows: _Rows, times: pd.Series, values: pd.Series, aggregate: str | None,
                      name: str) -> tuple[pd.DataFrame, int]:
    """Sort by time; duplicates are an error unless ``aggregate`` says how to merge them."""
    times = times.loc[rows.frame.index]
    if times.empty:
        raise DataError(f"{rows.label}: no valid rows left (rejected: "
                        f"{ {k: len(v) for k, v in rows.rejections.items()} })")
    frame = pd.DataFrame({"time": pd.DatetimeIndex(times), name: values.to_numpy()})
    dup = frame["time"].duplicated(keep=False).to_numpy()
    if dup.any() and aggregate is None:
        first_time = frame.loc[dup, "time"].iloc[0]
        same = rows.lines[(frame["time"] == first_time).to_numpy()]
        raise DataError(f"{rows.label}, {rows.line_word} {same[1]}: duplicate timestamp {first_time} "
                        f"(also at {rows.line_word} {same[0]}; {int(dup.sum())} rows share a timestamp); "
                        f"pass aggregate='sum' (or 'mean', ...) to merge them")
    if dup.any():
        grouped = frame.groupby("time", sort=True)[name]
        merged = grouped.sum(min_count=1) if aggregate == "sum" else grouped.agg(aggregate)
        result = merged.to_frame(name)
    else:
        result = frame.set_index("time").sort_index()
    result.index = pd.DatetimeIndex(result.index, name="time").as_unit("ns")
    result[name] = result[name].astype(float)
    return result, int(len(frame) - len(result))
