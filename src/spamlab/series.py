"""Read a user's time series (CSV, Parquet or a DataFrame) into a validated frame.

:func:`read` maps the date and value columns (case- and whitespace-insensitive,
auto-detected when there is a single obvious candidate), converts timestamps to
UTC, and checks every row. Bad input raises :class:`spamlab.errors.DataError`
naming the file, the line of the file (1-based, the header being line 1) and
the reason; with ``on_bad_rows="drop"`` bad rows are dropped instead and
counted in ``attrs["rejections"]``. Empty value cells are not errors: they stay
NaN and are counted in ``attrs["n_missing"]``.

The time axis (moments, zones, the date column) is :mod:`spamlab.timeaxis`; its public
names (:func:`as_timestamp`, :func:`parse_moment`, :func:`check_timezone`, :class:`Clock`,
:data:`AMBIGUOUS`, :data:`NONEXISTENT`) are re-exported here.

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

import bz2
import codecs
import csv
import gzip
import io
import lzma
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from spamlab.errors import DataError, ParameterError
from spamlab.tablerows import SHOW_LINES as _SHOW_LINES
from spamlab.tablerows import Rows as _Rows
from spamlab.tablerows import normalise_name as _normalise
from spamlab.tablerows import stripped_text as _text
from spamlab.timeaxis import (
    AMBIGUOUS,
    NONEXISTENT,
    Clock,
    as_timestamp,
    check_timezone,
    parse_moment,
)
from spamlab.timeaxis import parse_times as _parse_times

__all__ = ["AGGREGATIONS", "AMBIGUOUS", "DATE_CANDIDATES", "MAX_BAD_SHARE", "NONEXISTENT",
           "PARQUET_SUFFIXES", "SEPARATORS", "VALUE_CANDIDATES", "Clock", "ReadOptions",
           "as_timestamp", "check_timezone", "column_names", "parse_moment", "read",
           "read_options"]

DATE_CANDIDATES: tuple[str, ...] = ("date", "day", "time", "timestamp", "datetime", "ts")
VALUE_CANDIDATES: tuple[str, ...] = ("count", "value", "volume", "messages", "n", "spam", "total")
AGGREGATIONS: tuple[str, ...] = ("sum", "mean", "median", "min", "max")
PARQUET_SUFFIXES: tuple[str, ...] = (".parquet", ".pq")
#: separators tried on the header line when sep= is not given (the first wins ties)
SEPARATORS: tuple[str, ...] = (",", ";", "\t", "|")
_SPARE_FIELDS = 8  # fields read beyond the header, to report over-long rows (trailing commas)
#: default of max_bad_share=: the share of rows that on_bad_rows='drop' may drop
MAX_BAD_SHARE = 0.01




def _option(default: Any, help: str, choices: tuple[str, ...] | None = None) -> Any:
    """A :class:`ReadOptions` field: its default, the command line's help and choices."""
    return field(default=default, metadata={"help": help, "choices": choices})


@dataclass(frozen=True)
class ReadOptions:
    """How a file is read: the one list of reading options.

    :func:`read` takes them as keywords, :func:`spamlab.inputs.read_daily` passes them
    on, the notebooks' parameters cells hold them and ``spamlab run`` derives its
    ``--sep``, ``--date-format``, ... options (help, choices, defaults) from the
    fields of this class (see :func:`read` for what each does). Invalid values are a
    ParameterError when the options are made.

    Examples
    --------
    >>> options = ReadOptions(sep=";", on_bad_rows="drop")
    >>> options.max_bad_share, sorted(options.as_dict())[:3]
    (0.01, ['aggregate', 'ambiguous', 'date_format'])
    """

    sep: str | None = _option(None, "field separator (default: sniffed from the header: "
                                    "',', ';', tab or '|')")
    decimal: str | None = _option(None, "decimal mark of the values (default: ',' if the "
                                        "separator is not a comma and values hold commas)",
                                  (".", ","))
    date_format: str | None = _option(None, "strftime format of the dates, e.g. '%d/%m/%Y' "
                                            "(default: ISO 8601, or numeric day/month dates "
                                            "whose numbers decide the order: 3/16/2011 is "
                                            "month first)")
    encoding: str = _option("utf-8", "text encoding (default: utf-8; e.g. cp1252, latin-1)")
    on_bad_rows: str = _option("raise", "stop at a bad row (default) or drop and count bad rows",
                               ("raise", "drop"))
    max_bad_share: float = _option(MAX_BAD_SHARE, "with on_bad_rows='drop': the largest share of "
                                                  "rows that may be dropped; more stops "
                                                  f"(default: {MAX_BAD_SHARE:g})")
    aggregate: str | None = _option(None, "merge rows sharing a timestamp (default: duplicates "
                                          "are an error)", AGGREGATIONS)
    ambiguous: str = _option("raise", "a local time occurring twice when clocks go back",
                             AMBIGUOUS)
    nonexistent: str = _option("raise", "a local time skipped when clocks go forward",
                               NONEXISTENT)

    def __post_init__(self) -> None:
        _check_options(self.aggregate, self.on_bad_rows, None, self.sep, self.decimal)
        _check_share(self.max_bad_share)
        _check_choice("ambiguous", self.ambiguous, AMBIGUOUS)
        _check_choice("nonexistent", self.nonexistent, NONEXISTENT)

    def as_dict(self) -> dict[str, Any]:
        """The options as keywords of :func:`read` (and :func:`spamlab.inputs.read_daily`)."""
        return {option.name: getattr(self, option.name) for option in fields(self)}


def read_options(reading: ReadOptions | Mapping[str, Any] | None = None,
                 **options: Any) -> ReadOptions:
    """One :class:`ReadOptions` from a ``reading`` mapping (a notebook's ``reading = {...}``
    parameter) and/or keywords; a name that is no reading option is a ParameterError.

    Examples
    --------
    >>> read_options({"sep": ";"}, date_format="%d.%m.%Y").date_format
    '%d.%m.%Y'
    >>> read_options({"seperator": ";"})
    Traceback (most recent call last):
    spamlab.errors.ParameterError: reading option 'seperator' is unknown; the reading options are aggregate, ambiguous, date_format, decimal, encoding, max_bad_share, nonexistent, on_bad_rows, sep
    """
    given = reading.as_dict() if isinstance(reading, ReadOptions) else dict(reading or {})
    twice = sorted(set(given) & set(options))
    if twice:
        raise ParameterError(f"reading option {twice[0]!r} is given twice (in reading= and as "
                             f"a keyword): give it once")
    given.update(options)
    known = {option.name for option in fields(ReadOptions)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ParameterError(f"reading option {unknown[0]!r} is unknown; the reading options are "
                             f"{', '.join(sorted(known))}")
    return ReadOptions(**given)


def read(
    source: str | Path | pd.DataFrame,
    date_col: str | None = None,
    value_col: str | None = None,
    *,
    tz: str | None = None,
    aggregate: str | None = None,
    name: str = "volume",
    encoding: str = "utf-8",
    sep: str | None = None,
    decimal: str | None = None,
    date_format: str | None = None,
    on_bad_rows: str = "raise",
    ambiguous: str = "raise",
    nonexistent: str = "raise",
    max_bad_share: float = MAX_BAD_SHARE,
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
        ``"Europe/Berlin"``). Required when a timestamp with a clock time lacks
        an offset; timestamps with offsets (mixed offsets too) are converted to
        UTC. Without ``tz``, date-only values (``2011-03-01``) are read as UTC
        days, and ``attrs["n_assumed_utc"]`` counts them.
    aggregate
        ``"sum"``, ``"mean"``, ``"median"``, ``"min"`` or ``"max"`` to merge
        rows sharing a timestamp; without it duplicates are an error.
    name
        Name of the value column in the result.
    encoding
        Text encoding of a CSV file.
    sep
        Field separator of a CSV file; by default the one of ``,``, ``;``, tab
        and ``|`` that splits the header line into the most columns.
    decimal
        Decimal mark of the values, ``"."`` or ``","``; by default ``","`` when
        the separator is not a comma and some value holds a comma (``1.234,5``:
        the dots then group thousands) or every value with a dot groups
        thousands with it (``25.057``), else ``"."``. ``attrs["decimal"]`` says
        which was used.
    date_format
        ``strftime`` format of the dates, or ``"ISO8601"``. By default ISO 8601,
        or numeric day/month dates (``16/03/2011``, ``3/16/2011``, ``16.03.11``,
        ``16-03-2011``, optionally with a time) when every date is written so: the
        order of day and month is read from the dates (a first number above 12 is a
        day, a second one above 12 is a day; :func:`spamlab.moments.day_month_order`).
        Dates that mix both orders are an error naming one of each; when no date
        decides, the dates are an error naming both readings, except dotted ones
        (``01.03.2011``), which are day.month.year.
    on_bad_rows
        ``"raise"`` (default) or ``"drop"``: drop rows with unparseable dates
        or invalid values (or more fields than the header), and count them in
        ``attrs["rejections"]``.
    max_bad_share
        The largest share of the rows that ``on_bad_rows="drop"`` may drop
        (default 0.01, one row in a hundred); dropping more is a DataError with
        the count and the reasons, since so many bad rows usually mean a wrong
        reading option (a date format, a separator), not bad rows.
    ambiguous
        A local time that occurs twice (clocks going back, ``2011-10-30 02:30``
        in Europe/Berlin): ``"raise"`` (default: a bad row), ``"earlier"`` (the
        first occurrence, summer time), ``"later"`` (the second) or ``"infer"``
        (from the order of the rows, for a sorted hourly export).
    nonexistent
        A local time skipped by clocks going forward (``2011-03-27 02:30`` in
        Europe/Berlin): ``"raise"`` (default: a bad row), ``"shift_forward"``
        (to the first valid time) or ``"shift_backward"`` (to the last one).

    Returns
    -------
    DataFrame indexed by a sorted, unique, UTC ``DatetimeIndex`` named
    ``time``, with one float column ``name`` (NaN where the cell was empty).
    ``attrs`` holds ``source``, ``date_column``, ``value_column``, ``tz``,
    ``sep``, ``decimal``, ``date_format``, ``n_rows``, ``n_missing``,
    ``n_assumed_utc``, ``n_aggregated``, ``rejections`` and ``rejected_lines``.

    Raises
    ------
    DataError
        For missing or empty files, undecodable text, missing columns (the
        available ones are listed), a date or value column named twice in the
        header, unparseable or missing dates, day/month dates whose order the
        data do not decide (or contradict), naive timestamps without ``tz``,
        non-numeric, negative or infinite values, duplicate timestamps without
        ``aggregate``, and bad rows beyond ``max_bad_share``.
    ParameterError
        For an unknown ``aggregate``, ``on_bad_rows``, ``tz``, ``sep``, ``decimal``,
        ``ambiguous`` or ``nonexistent``, and ``max_bad_share`` outside 0..1.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"when": ["2011-03-16T10:30+01:00", "2011-03-16T09:30Z"],
    ...                     "n": [1, 2]})
    >>> read(raw, date_col="when", value_col="n", aggregate="sum")["volume"].iloc[0]
    np.float64(3.0)
    """
    _check_options(aggregate, on_bad_rows, tz, sep, decimal)
    _check_share(max_bad_share)
    clock = Clock(tz, date_format, _check_choice("ambiguous", ambiguous, AMBIGUOUS),
                  _check_choice("nonexistent", nonexistent, NONEXISTENT))
    table = _load(source, encoding, sep)
    date_name = _resolve(table.frame, date_col, DATE_CANDIDATES, "date", table.label)
    value_name = _resolve(table.frame, value_col, VALUE_CANDIDATES, "value", table.label)
    _check_named_once(table, {"date": date_name, "value": value_name})
    rows = _Rows(table.frame[[date_name, value_name]], table.lines, table.label, table.line_word,
                 on_bad_rows == "drop")
    if table.overlong is not None:
        rows.reject(table.overlong, f"more fields than the header's {table.width}")
    times, tz_used, n_assumed = _parse_times(rows, date_name, clock)
    values, mark = _parse_values(rows, value_name, decimal if decimal else _sniff_decimal(
        rows.frame[value_name], table.sep))
    _check_bad_share(rows, len(table.lines), max_bad_share)
    result, n_merged = _merge_duplicates(rows, times, values, aggregate, name)
    result.attrs.update({
        "source": table.label, "date_column": date_name, "value_column": value_name,
        "tz": tz_used, "sep": table.sep, "decimal": mark, "date_format": clock.used_format,
        "n_rows": len(table.lines), "n_preamble_lines": table.preamble,
        "preamble_comments": list(table.comments), "n_missing": int(result[name].isna().sum()),
        "n_assumed_utc": n_assumed,
        "n_aggregated": n_merged, "aggregate": aggregate,
        "rejections": {reason: len(bad) for reason, bad in rows.rejections.items()},
        "rejected_lines": {reason: bad[:100] for reason, bad in rows.rejections.items()},
    })
    return result


def _check_options(aggregate: str | None, on_bad_rows: str, tz: str | None, sep: str | None,
                   decimal: str | None) -> None:
    if aggregate is not None and aggregate not in AGGREGATIONS:
        raise ParameterError(f"aggregate={aggregate!r}; expected None or one of {AGGREGATIONS}")
    if on_bad_rows not in ("raise", "drop"):
        raise ParameterError(f"on_bad_rows={on_bad_rows!r}; expected 'raise' or 'drop'")
    if tz is not None:
        check_timezone(tz)
    if sep is not None and (not isinstance(sep, str) or len(sep) != 1 or sep in "\"\r\n"):
        raise ParameterError(f"sep={sep!r}; expected one character such as ',', ';' or '\\t'")
    if decimal not in (None, ".", ","):
        raise ParameterError(f"decimal={decimal!r}; expected None (sniffed), '.' or ','")


def _check_share(max_bad_share: float) -> None:
    if (isinstance(max_bad_share, bool) or not isinstance(max_bad_share, (int, float))
            or not 0 <= max_bad_share <= 1):
        raise ParameterError(f"max_bad_share={max_bad_share!r}; expected a share from 0 to 1, "
                             f"e.g. 0.01 (at most one row in a hundred dropped)")


def _check_bad_share(rows: _Rows, n_rows: int, max_bad_share: float) -> None:
    """A DataError when the rows dropped so far are more than ``max_bad_share`` of ``n_rows``:
    their count, share and reasons (with the first lines of each)."""
    dropped = sum(len(bad) for bad in rows.rejections.values())
    if dropped <= max_bad_share * n_rows:
        return
    reasons = "; ".join(
        f"{reason}: {len(bad)} ({rows.line_word}{'s' if len(bad) > 1 else ''} "
        f"{', '.join(str(n) for n in bad[:_SHOW_LINES])}{' ...' if len(bad) > _SHOW_LINES else ''}"
        f"{rows.shown.get(reason, '')})" for reason, bad in rows.rejections.items())
    raise DataError(f"{rows.label}: reading would drop {dropped} of {n_rows} rows "
                    f"({dropped / n_rows:.1%}), more than allowed (max_bad_share= is "
                    f"{max_bad_share:g}): {reasons}. So many bad rows usually mean a wrong "
                    f"reading option (date_format=, sep=, decimal=): fix it or the data; pass "
                    f"max_bad_share= a larger share only if losing these rows is right")


def _check_named_once(table: _Table, used: dict[str, str]) -> None:
    """A DataError when the header names a used column more than once (``date,count,count``):
    which one holds the data cannot be told."""
    for role, name in used.items():
        fields = table.repeated.get(name)
        if fields:
            where = f", line {table.preamble + 1}" if table.line_word == "line" else ""
            raise DataError(f"{table.label}{where}: the header names the {role} column {name!r} "
                            f"{_times(len(fields))} (fields {', '.join(map(str, fields))}); which "
                            f"one holds the {role}s cannot be told: rename or remove the others")


def _times(n: int) -> str:
    """``"twice"``, ``"3 times"``."""
    return "twice" if n == 2 else f"{n} times"


def _check_choice(parameter: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ParameterError(f"{parameter}={value!r}; expected one of {allowed}")
    return value








@dataclass(frozen=True)
class _Table:
    """A raw table: its cells, the file line (or row) number of each row, and how it was read."""

    frame: pd.DataFrame
    lines: np.ndarray
    label: str
    line_word: str
    sep: str | None = None
    width: int = 0
    overlong: np.ndarray | None = None  # rows with more (non-empty) fields than the header
    preamble: int = 0  # blank and comment lines skipped above the header
    repeated: dict[str, list[int]] = field(default_factory=dict)  # name -> its fields (1-based)
    comments: tuple[str, ...] = ()  # the text of the ``#`` comment lines above the header


def _load(source: str | Path | pd.DataFrame, encoding: str, sep: str | None) -> _Table:
    """The raw table of a frame, a Parquet file or a CSV file."""
    if isinstance(source, pd.DataFrame):
        frame = _index_as_column(source)
        frame = frame.reset_index(drop=True)
        return _Table(frame, np.arange(1, len(frame) + 1), "DataFrame", "row",
                      repeated=_repeated([str(c) for c in frame.columns]))
    path = Path(source)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    if path.suffix.lower() in PARQUET_SUFFIXES:
        frame = _read_parquet(path)
        return _Table(frame, np.arange(1, len(frame) + 1), str(path), "row",
                      repeated=_repeated([str(c) for c in frame.columns]))
    return _read_csv(path, encoding, sep)


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


def _read_csv(path: Path, encoding: str, sep: str | None) -> _Table:
    """Cells as text; rows longer than the header are kept aside (a trailing comma is no error).

    Blank and ``#`` comment lines above the header are skipped (their number is in
    ``attrs["n_preamble_lines"]``); a UTF-16 byte-order mark (Excel's "Unicode text")
    chooses UTF-16 when ``encoding`` is the default UTF-8.
    """
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty")
    enc = _text_encoding(path, encoding)
    spare = [f"_extra_{i}" for i in range(_SPARE_FIELDS)]
    try:
        # the handle is read on past the header (pandas' skiprows miscounts blank lines in
        # files with old Mac line ends), decompressed as the suffix says
        with _open_bytes(path) as raw, io.TextIOWrapper(raw, encoding=enc, newline="") as text:
            preamble, header_line, comments = _header_line(text)
            sep = sep or _sniff_sep(header_line)
            names = next(csv.reader([header_line], delimiter=sep))
            header = _unique(names)
            frame = pd.read_csv(text, dtype=str, keep_default_na=False, skip_blank_lines=False,
                                sep=sep, header=None, names=header + spare,
                                index_col=False).fillna("")
    except UnicodeDecodeError:
        raise DataError(_decode_message(path, enc, encoding)) from None
    except (pd.errors.EmptyDataError, StopIteration):
        raise DataError(f"{path}: the file is empty (no header line)") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: not a well-formed CSV file ({str(exc).strip()})") from None
    # the header is line preamble + 1; blank lines were kept, so this is exact
    lines = frame.index.to_numpy() + preamble + 2
    blank = (frame == "").all(axis=1).to_numpy()
    frame, lines = frame.loc[~blank].reset_index(drop=True), lines[~blank]
    if frame.empty:
        raise DataError(f"{path}: no data rows below the header")
    overlong = (frame[spare] != "").any(axis=1).to_numpy()
    return _Table(frame[header], lines, str(path), "line", sep, len(header), overlong, preamble,
                  _repeated(names), comments)


_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _text_encoding(path: Path, encoding: str) -> str:
    """The codec to read ``path`` with: ``utf-8-sig`` for UTF-8 (a BOM is dropped), ``utf-16``
    when a UTF-8 default meets a UTF-16 byte-order mark, else ``encoding`` as given.

    A UTF-16 byte-order mark with a one-byte ``encoding`` (``latin-1``) is a DataError
    asking for ``encoding='utf-16'``: every other character would come out as a NUL.
    """
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise ParameterError(f"encoding={encoding!r} is not a known text encoding") from None
    with _open_bytes(path) as handle:
        utf16 = handle.read(2) in _UTF16_BOMS
    if codec == "utf-8":
        return "utf-16" if utf16 else "utf-8-sig"
    if utf16 and not codec.startswith("utf-16"):
        raise DataError(f"{path}: the file starts with a UTF-16 byte-order mark (Excel's "
                        f"'Unicode text'), not {encoding} text; pass encoding='utf-16'")
    return encoding


def _open_bytes(path: Path) -> IO[bytes]:
    """``path`` opened for reading bytes (the caller closes it), decompressed when its suffix
    says so, as pandas does."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".zip":
            return _open_zip_member(path)
        module = _DECOMPRESS.get(suffix)
        handle: IO[bytes] = module.open(path, "rb") if module else path.open("rb")
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"{path}: cannot be opened ({type(exc).__name__}: {exc})") from None
    return handle


def _open_zip_member(path: Path) -> IO[bytes]:
    """The one file inside the zip archive ``path``, read into memory."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        if len(names) != 1:
            raise DataError(f"{path}: a zip file must hold exactly one file, not {len(names)}")
        return io.BytesIO(archive.read(names[0]))


#: suffix -> module whose ``open`` decompresses such a file
_DECOMPRESS: dict[str, Any] = {".gz": gzip, ".bz2": bz2, ".xz": lzma}


def column_names(path: str | Path, *, encoding: str = "utf-8", sep: str | None = None) -> list[str]:
    """The column names of a CSV or Parquet file as :func:`read` sees them (compressed files,
    byte-order marks and blank or ``#`` lines above the header included).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = path.write_text(chr(10).join(["# export", "", "date;count", "2011-03-01;5"]))
    >>> column_names(path)
    ['date', 'count']
    """
    path = Path(path)
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return [str(name) for name in pq.read_schema(path).names]
    with _open_bytes(path) as raw, io.TextIOWrapper(
            raw, encoding=_text_encoding(path, encoding), newline="") as text:
        line = _header_line(text)[1]
    return _unique(next(csv.reader([line], delimiter=sep or _sniff_sep(line))))


def _header_line(text: IO[str]) -> tuple[int, str, tuple[str, ...]]:
    """The number of blank or ``#`` lines before the header line, the header line, and the
    text of those ``#`` lines (without the ``#``)."""
    comments: list[str] = []
    for skipped, line in enumerate(iter(text.readline, "")):
        if line.strip() and not line.lstrip().startswith("#"):
            return skipped, line.rstrip("\r\n"), tuple(comments)
        if line.strip():
            comments.append(line.strip().lstrip("#").strip())
    raise StopIteration


def _sniff_sep(header: str) -> str:
    """The candidate separator that splits the header line into the most fields (``,`` on ties)."""
    widths = {sep: len(next(csv.reader([header], delimiter=sep))) for sep in SEPARATORS}
    return max(SEPARATORS, key=lambda sep: widths[sep])  # max keeps the first of equals


def _repeated(names: list[str]) -> dict[str, list[int]]:
    """Header names given more than once (exactly, or but for case and surrounding space),
    each with the 1-based positions of its fields.

    Examples
    --------
    >>> _repeated(["date", "count", "Count "])
    {'count': [2, 3]}
    """
    fields: dict[str, list[int]] = {}
    for position, name in enumerate(names, start=1):
        fields.setdefault(_normalise(name), []).append(position)
    first = {_normalise(name): name for name in reversed(names)}  # the first spelling of each
    return {first[norm]: spots for norm, spots in fields.items() if len(spots) > 1 and norm}


def _unique(names: list[str]) -> list[str]:
    """Header names made unique as pandas does (``count``, ``count.1``); empty ones named."""
    seen: dict[str, int] = {}
    result = []
    for position, name in enumerate(names):
        name = name or f"Unnamed: {position}"
        result.append(name if name not in seen else f"{name}.{seen[name]}")
        seen[name] = seen.get(name, 0) + 1
    return result


def _decode_message(path: Path, codec: str, encoding: str) -> str:
    """Say where the first undecodable byte is (line number), and what to try."""
    with _open_bytes(path) as handle:
        data = handle.read()
    try:
        data.decode(codec)
    except UnicodeDecodeError as exc:
        line = len(re.findall(rb"\r\n|\r|\n", data[:exc.start])) + 1
        where, byte = f", line {line}", data[exc.start:exc.start + 1].hex()
    else:  # pragma: no cover - the same bytes failed to decode a moment ago
        where, byte = "", "?"
    return (f"{path}{where}: the file is not valid {encoding} text (byte 0x{byte}); "
            f"pass encoding= with the file's encoding, e.g. encoding='latin-1' or 'cp1252'")




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














_THOUSANDS = r"^[+-]?\d{1,3}(?:\.\d{3})+$"  # 1.234 or 12.345.678: dots grouping thousands


















def _sniff_decimal(column: pd.Series, sep: str | None) -> str:
    """The decimal mark of a text column: ``","`` when the separator is not a comma and a value
    holds a comma, or every value with a dot groups thousands (``25.057``); else ``"."``."""
    if sep == "," or pd.api.types.is_numeric_dtype(column):
        return "."
    text = pa.array(_text(column).array)
    if bool(pc.any(pc.match_substring(text, ",").fill_null(False)).as_py()):
        return ","
    dotted = pc.match_substring(text, ".").fill_null(False)
    grouped = pc.match_substring_regex(text, _THOUSANDS).fill_null(False)
    if bool(pc.any(dotted).as_py()) and bool(pc.all(pc.or_(pc.invert(dotted), grouped)).as_py()):
        return ","
    return "."


def _ungrouped(text: pd.Series, decimal: str) -> pd.Series:
    """Numbers as Python writes them: thousands separators removed (dots with a decimal
    comma, ``1.234.567,5``; commas with a decimal point, ``1,234,567.5``; only in groups
    of three after the first digits) and a decimal comma made a point.

    Examples
    --------
    >>> _ungrouped(pd.Series(["1.234.567,5", "25,5"]), ",").tolist()
    ['1234567.5', '25.5']
    >>> _ungrouped(pd.Series(["1,234,567", "12,5"]), ".").tolist()
    ['1234567', '12,5']
    """
    group = "." if decimal == "," else ","
    array = pa.array(text.array)
    grouped = pc.match_substring_regex(
        array, rf"^[+-]?\d{{1,3}}(?:{re.escape(group)}\d{{3}})+(?:{re.escape(decimal)}\d*)?$")
    if bool(pc.any(grouped).as_py()):  # Arrow's kernels: no Python loop over big files
        array = pc.if_else(grouped, pc.replace_substring(array, group, ""), array)
    if decimal == ",":
        array = pc.replace_substring(array, ",", ".")
    return pd.Series(pd.array(array, dtype="string[pyarrow]"), index=text.index)


#: cells that mean "no value" in common exports; spamlab reads only empty cells as missing
_MISSING_MARKERS = frozenset({"n/a", "na", "nan", "-", "--", "\u2013", "\u2014", "null", "none",
                              "?", "#n/a", "missing", "k.a.", "n.v."})


def _value_hint(bad: pd.Series, decimal: str) -> str:
    """What to do about the first non-numeric value: a marker of a missing value, a unit,
    or a decimal comma read with a decimal point.

    Examples
    --------
    >>> _value_hint(pd.Series(["n/a"]), ".")
    "; only empty cells are read as missing: replace 'n/a' by an empty cell"
    """
    if bad.empty:
        return ""
    first = str(bad.iloc[0])
    if first.casefold() in _MISSING_MARKERS:
        return f"; only empty cells are read as missing: replace {first!r} by an empty cell"
    if re.match(r"^[+-]?[\d.,]+\s*[^\d\s.,]+$", first):
        return "; a unit after the number is not read: remove it (and scale the numbers) in the file"
    if decimal == "." and "," in first:
        return "; pass decimal=',' if commas mark decimals"
    return ""


def _parse_values(rows: _Rows, column: str, decimal: str) -> tuple[pd.Series, str]:
    """Float values and the decimal mark; empty cells become NaN, anything else non-numeric
    or negative is rejected."""
    raw = rows.frame[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        numbers = raw.astype(float)
    else:
        text = _ungrouped(_text(raw), decimal)
        blank = text.isna() | (text == "")
        numbers = pd.to_numeric(text.mask(blank), errors="coerce").astype(float)
        bad = (numbers.isna() & ~blank).to_numpy()
        rows.reject(bad, f"value in column {column!r} is not a number",
                    _value_hint(_text(raw[bad]), decimal), cells=_text(raw))
        numbers = numbers.loc[rows.frame.index]
    rows.reject(np.isinf(numbers.to_numpy()), f"value in column {column!r} is infinite")
    numbers = numbers.loc[rows.frame.index]
    rows.reject((numbers < 0).to_numpy(), f"value in column {column!r} is negative")
    return numbers.loc[rows.frame.index], decimal


def _duplicate_hint(duplicated: pd.DataFrame, name: str) -> str:
    """How to merge rows sharing a timestamp; when every such row repeats the same value (an
    export concatenated with an overlapping one) adding them up would count it twice.

    Examples
    --------
    >>> rows = pd.DataFrame({"time": [1, 1], "volume": [5.0, 5.0]})
    >>> _duplicate_hint(rows, "volume").startswith("every duplicate repeats")
    True
    """
    spread = duplicated.groupby("time")[name].nunique(dropna=False)
    if bool((spread == 1).all()):
        return ("every duplicate repeats the value of its timestamp (overlapping exports?): "
                "pass aggregate='max' (or 'mean') to keep one, 'sum' would count it twice")
    return "pass aggregate='sum' (or 'mean', ...) to merge them"


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
                        f"{_duplicate_hint(frame.loc[dup], name)}")
    if dup.any():
        grouped = frame.groupby("time", sort=True)[name]
        merged = grouped.sum(min_count=1) if aggregate == "sum" else grouped.agg(aggregate)
        result = merged.to_frame(name)
    else:
        result = frame.set_index("time").sort_index()
    result.index = pd.DatetimeIndex(result.index, name="time").as_unit("ns")
    result[name] = result[name].astype(float)
    return result, int(len(frame) - len(result))
