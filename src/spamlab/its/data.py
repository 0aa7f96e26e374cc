"""Validate a user's series for the ITS models and place interruptions on its time axis.

The models need a regular time axis: a ``DatetimeIndex`` with an inferable
frequency (daily, hourly, monthly, ...), an integer index with a constant step
(e.g. years, as in the Nile data) or a ``PeriodIndex``.  Gaps are allowed only
as explicit rows with a missing outcome; a missing row in the index is an error.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"v": range(14)}, index=pd.date_range("2011-03-06", periods=14))
>>> series = prepare(frame, y="v", interruptions=["2011-03-16 12:00"])
>>> float(series.exposure_fraction(0)[10])
0.5
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spamlab.errors import DataError, ParameterError
from spamlab.moments import localize as series_timestamp
from spamlab.moments import parse as parse_moment

__all__ = [
    "MIN_POST",
    "MIN_PRE",
    "MIN_PRE_COARSE",
    "PreparedSeries",
    "as_list",
    "as_timestamp",
    "frequency",
    "moment_label",
    "prepare",
]

MIN_PRE: int = 8
MIN_POST: int = 3
MIN_PRE_COARSE: int = 3
"""Fewest pre-period points accepted (with a warning) on a monthly or coarser axis."""


@dataclass(frozen=True)
class PreparedSeries:
    """A validated series on a regular axis.

    Attributes
    ----------
    frame
        The input rows (index = time labels, sorted, regular).
    y
        Outcome values (float, NaN where missing).
    starts, ends
        Start and end of each observation period in *period units* (the first
        observation covers ``[0, 1)``), so trend position = ``starts + 1``.
    cuts
        Interruption moments in period units on the same axis.
    labels
        Interruptions as given by the user, normalised to strings.
    is_datetime
        Whether the axis is a ``DatetimeIndex`` (day-of-week terms need it).
    """

    frame: pd.DataFrame
    y: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    cuts: tuple[float, ...]
    labels: tuple[str, ...]
    is_datetime: bool

    @property
    def index(self) -> pd.Index:
        """Time labels of the observations."""
        return self.frame.index

    def exposure_fraction(self, k: int) -> np.ndarray:
        """Fraction of each observation period at or after interruption ``k`` (0..1)."""
        return np.clip((self.ends - self.cuts[k]) / (self.ends - self.starts), 0.0, 1.0)

    def elapsed(self, k: int) -> np.ndarray:
        """Periods elapsed since interruption ``k`` at the start of each observation (>= 0)."""
        return np.clip(self.starts - self.cuts[k], 0.0, None)

    def is_coarse(self) -> bool:
        """Whether the axis is datetimes at least 28 days apart (monthly, quarterly, yearly)."""
        return self.is_datetime and len(self.index) > 1 and bool(
            self.index[1] - self.index[0] >= pd.Timedelta(days=28))

    def is_post(self) -> np.ndarray:
        """True for observations touched by the first interruption (partial or full)."""
        return self.exposure_fraction(0) > 0


def prepare(
    data: pd.DataFrame,
    y: str,
    interruptions: Sequence[object] | object = (),
    time: str | None = None,
    min_pre: int = MIN_PRE,
    min_post: int = MIN_POST,
) -> PreparedSeries:
    """Check ``data`` and return a :class:`PreparedSeries`.

    Parameters
    ----------
    data
        One row per period; time in the index or in column ``time``.
    y
        Outcome column.
    interruptions
        One or several moments (strings, timestamps or numbers for an integer axis).
    time
        Optional column holding the time labels.
    min_pre, min_post
        Minimum number of observed outcomes before the first interruption and
        in each segment after an interruption. On a monthly or coarser axis
        (:meth:`PreparedSeries.is_coarse`) fewer pre points, down to
        :data:`MIN_PRE_COARSE`, are accepted: the fit then warns
        (:func:`spamlab.its.diagnostics.data_warnings`) instead of refusing.

    Raises
    ------
    DataError
        Missing column, all-NaN outcome, unsorted/duplicate/irregular time axis.
    ParameterError
        An interruption outside the data, or too few pre/post points.
    """
    frame = _time_indexed(data, time)
    values = _outcome(frame, y)
    starts, ends = _period_bounds(frame.index)
    items = as_list(interruptions)
    bounds = _boundaries(frame.index)
    cuts = tuple(_locate(frame.index, item, starts, bounds) for item in items)
    labels = tuple(_label(item) for item in items)
    if list(cuts) != sorted(cuts) or len(set(cuts)) != len(cuts):
        raise ParameterError(f"interruptions must be distinct and in time order, got {labels}")
    series = PreparedSeries(frame, values, starts, ends, cuts, labels,
                            isinstance(frame.index, pd.DatetimeIndex))
    if cuts:
        _check_segments(series, min_pre, min_post)
    return series


def as_list(interruptions: Sequence[object] | object) -> list[object]:
    """One moment or several, as a list."""
    if isinstance(interruptions, (list, tuple, pd.Index, pd.Series, np.ndarray)):
        return list(interruptions)
    return [interruptions]


def _label(item: object) -> str:
    if isinstance(item, (float, np.floating)) and float(item).is_integer():
        return str(int(item))
    return str(item)


def _time_indexed(data: pd.DataFrame, time: str | None) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if time is not None:
        if time not in data.columns:
            raise DataError(f"time column {time!r} not in data (columns: {list(data.columns)})")
        frame = data.set_index(time)
    else:
        frame = data
    index = frame.index
    if isinstance(index, pd.PeriodIndex):
        frame = frame.set_axis(index.to_timestamp(), axis=0)
    elif not isinstance(index, pd.DatetimeIndex):
        frame = frame.set_axis(_numeric_axis(index, time), axis=0)
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()][0]
        raise DataError(f"time axis has duplicate label {dup!r}")
    if not frame.index.is_monotonic_increasing:
        bad = int(np.argmax(np.diff(frame.index.asi8 if isinstance(frame.index, pd.DatetimeIndex)
                                    else frame.index.to_numpy(float)) < 0)) + 1
        raise DataError(f"time axis is not sorted: row {bad} ({frame.index[bad]!r}) "
                        "comes before the row above it")
    if len(frame) < 3:
        raise DataError(f"need at least 3 rows, got {len(frame)}")
    return frame


def _numeric_axis(index: pd.Index, time: str | None) -> pd.Index:
    where = f"time column {time!r}" if time else "index"
    try:
        values = pd.to_numeric(pd.Series(index), errors="raise").to_numpy(float)
    except (ValueError, TypeError):
        raise DataError(f"{where} is neither datetimes nor numbers (first label "
                        f"{index[0]!r}); pass a DatetimeIndex or time='column'") from None
    if np.isnan(values).any():
        raise DataError(f"{where} has a missing time label at row {int(np.argmax(np.isnan(values)))}")
    if np.all(values == np.round(values)):
        return pd.Index(values.astype(np.int64), name=index.name)
    return pd.Index(values, name=index.name)


def _outcome(frame: pd.DataFrame, y: str) -> np.ndarray:
    if y not in frame.columns:
        raise DataError(f"outcome column {y!r} not in data (columns: {list(frame.columns)})")
    values = pd.to_numeric(frame[y], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(np.isnan(values) & frame[y].notna().to_numpy())
    if len(bad):
        raise DataError(f"column {y!r}: {len(bad)} non-numeric value(s), first at row {bad[0]} "
                        f"({frame[y].iloc[bad[0]]!r})")
    if np.isnan(values).all():
        raise DataError(f"column {y!r}: every value is missing (all NaN)")
    if np.isinf(values).any():
        raise DataError(f"column {y!r}: infinite value at row {int(np.argmax(np.isinf(values)))}")
    return values


def _period_bounds(index: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of every period in period units; raise if the axis is irregular."""
    if isinstance(index, pd.DatetimeIndex):
        freq = frequency(index)
        if freq is None:
            raise DataError(f"time axis is not regular: {_first_irregular(index)}; "
                            "insert missing periods as rows with a NaN outcome")
        starts = np.arange(len(index), dtype=float)
        return starts, starts + 1.0
    values = index.to_numpy(float)
    steps = np.diff(values)
    if not np.allclose(steps, steps[0]) or steps[0] <= 0:
        raise DataError(f"time axis is not regular: {_first_irregular(index)}")
    starts = (values - values[0]) / steps[0]
    return starts, starts + 1.0


def frequency(index: pd.DatetimeIndex) -> pd.DateOffset | None:
    """The index's regular frequency as an offset (``None`` when irregular).

    Examples
    --------
    >>> frequency(pd.DatetimeIndex(["2011-01-01", "2011-01-02", "2011-01-03"])).freqstr
    'D'
    """
    if index.freq is not None:
        return index.freq
    if len(index) < 3:
        return None
    try:
        with pd.option_context("future.infer_freq_returns_offset", True):
            found = pd.infer_freq(index)
    except (KeyError, pd.errors.OptionError):  # pandas < 3.1 has no such option
        found = pd.infer_freq(index)
    return None if found is None else pd.tseries.frequencies.to_offset(found)


def _first_irregular(index: pd.Index) -> str:
    numbers = index.asi8 if isinstance(index, pd.DatetimeIndex) else index.to_numpy(float)
    steps = np.diff(numbers)
    typical = np.median(steps)
    row = int(np.argmax(steps != typical)) + 1
    return f"step before row {row} ({index[row]!r}) differs from the usual step"


def _boundaries(index: pd.Index) -> np.ndarray:
    """Start of every period plus the end of the last, as numbers (ns for datetimes)."""
    if isinstance(index, pd.DatetimeIndex):
        end = (index[-1] + frequency(index)).as_unit("ns").value
        return np.append(index.as_unit("ns").asi8, end).astype(float)
    numbers = index.to_numpy(float)
    return np.append(numbers, numbers[-1] + (numbers[1] - numbers[0]))


def _locate(index: pd.Index, item: object, starts: np.ndarray, bounds: np.ndarray) -> float:
    """The interruption moment in period units (fractional inside a period)."""
    if isinstance(index, pd.DatetimeIndex):
        value = float(as_timestamp(item, index).as_unit("ns").value)
    else:
        try:
            value = float(item)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ParameterError(f"interruption {item!r} is not a number, but the time axis is "
                                 "numeric") from None
    if not bounds[0] < value < bounds[-1]:
        raise ParameterError(f"interruption {_label(item)!r} is outside the data "
                             f"({index[0]} .. {index[-1]}): it needs data before and after it")
    row = int(np.searchsorted(bounds, value, side="right")) - 1
    return float(starts[row] + (value - bounds[row]) / (bounds[row + 1] - bounds[row]))


def as_timestamp(item: object, index: pd.DatetimeIndex) -> pd.Timestamp:
    """``item`` as a timestamp in the index's zone (naive items are read in that zone)."""
    moment = parse_moment(item, "interruption")
    if index.tz is not None and moment.tz is None:  # read in the index's zone, DST-checked
        return series_timestamp(item, "interruptions", str(index.tz))
    if index.tz is None and moment.tz is not None:
        return moment.tz_convert("UTC").tz_localize(None)
    return moment


def moment_label(value: object) -> object:
    """A time label as an interruption: ``YYYY-MM-DD`` (midnight) or ``YYYY-MM-DD HH:MM:SS``
    in its own zone for a timestamp, a plain number otherwise.

    Examples
    --------
    >>> moment_label(pd.Timestamp("2011-03-16", tz="UTC")), moment_label(np.int64(1899))
    ('2011-03-16', 1899)
    """
    if not isinstance(value, pd.Timestamp):
        return value.item() if isinstance(value, np.generic) else value
    if value == value.normalize():
        return value.strftime("%Y-%m-%d")
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _check_segments(series: PreparedSeries, min_pre: int, min_post: int) -> None:
    observed = ~np.isnan(series.y)
    pre = int((observed & (series.exposure_fraction(0) == 0)).sum())
    floor = min(min_pre, MIN_PRE_COARSE) if series.is_coarse() else min_pre
    if pre < floor:
        coarse = (f" (a monthly or coarser series may have down to {MIN_PRE_COARSE}, with a "
                  "warning)" if series.is_coarse() else "")
        raise ParameterError(f"only {pre} observed point(s) before interruption "
                             f"{series.labels[0]!r}; at least min_pre={min_pre} are needed"
                             + coarse)
    for k, label in enumerate(series.labels):
        inside = series.exposure_fraction(k) > 0
        if k + 1 < len(series.cuts):
            inside &= series.exposure_fraction(k + 1) < 1
        n = int((observed & inside).sum())
        if n < min_post:
            raise ParameterError(f"only {n} observed point(s) after interruption {label!r} "
                                 f"(before the next one or the end); at least "
                                 f"min_post={min_post} are needed")
