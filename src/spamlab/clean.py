"""Pure cleaning steps: regular frequency, explicit gaps, partial bins, outlier flags, units.

Every function takes a DataFrame and returns a new one; nothing is read or
written, no row is deleted and no gap is zero-filled.

* :func:`regularize` aggregates a UTC-indexed series (e.g. from
  :func:`spamlab.series.read`) to a regular frequency on day (or other)
  boundaries of a chosen time zone. Every bin between the first and last
  observation appears; a bin without any observed value is NaN with
  ``is_gap=True``. ``n_obs`` counts the input rows in each bin (rows whose
  value was missing included, also counted in ``n_missing``), so no input row
  is ever lost: ``n_obs.sum() == len(input)``.
* :func:`native_spacing` finds the bin length of a regular sub-daily export
  (hourly, 15-minute, ...) and :func:`covered_share` the share of each day's
  native bins that hold a value (hours logged / 24 for hourly data), so a day
  with missing hours is known to be partly observed, never summed as whole.
* :func:`mark_partial` adds ``coverage``, the fraction of each bin inside the
  period the data actually observed, and ``is_partial``.
* :func:`flag_outliers` adds a boolean flag from a robust rolling rule.
* :func:`harmonize_units` converts a column to billions (or millions, or
  single messages) per day, reusing :func:`spamlab.figures.to_per_day`.

Examples
--------
>>> import pandas as pd
>>> from spamlab import clean
>>> raw = pd.DataFrame({"volume": [1.0, 2.0, 5.0]},
...     index=pd.DatetimeIndex(["2011-03-14 10:00", "2011-03-14 18:00", "2011-03-16 09:00"],
...                            tz="UTC", name="time"))
>>> daily = clean.regularize(raw)
>>> daily["volume"].tolist()
[3.0, nan, 5.0]
>>> daily["is_gap"].tolist(), daily["n_obs"].tolist()
([False, True, False], [2, 0, 1])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spamlab import figures
from spamlab.errors import DataError, ParameterError
from spamlab.moments import check_timezone
from spamlab.moments import localize as as_timestamp

__all__ = [
    "BOOKKEEPING",
    "DAY",
    "GRID_SHARE",
    "HOW",
    "MAD_TO_SD",
    "MAX_BINS",
    "MIN_SPACING",
    "covered_share",
    "flag_outliers",
    "harmonize_units",
    "mark_partial",
    "native_spacing",
    "regularize",
]

HOW: tuple[str, ...] = ("sum", "mean", "median", "min", "max")
#: columns that regularize and mark_partial add (never treated as values)
BOOKKEEPING: tuple[str, ...] = ("n_obs", "n_missing", "is_gap", "coverage", "is_partial")
MAX_BINS = 10_000_000  # regularize refuses more bins (a 1-ns grid over years would need petabytes)
MAD_TO_SD = 1.4826  # MAD of a normal sample times this estimates its standard deviation
DAY = pd.Timedelta("1D")
#: native_spacing: the shortest bin length of a regular export (finer timestamps are single events)
MIN_SPACING = pd.Timedelta("1min")
#: native_spacing: the share of timestamps that must lie on the grid of a regular export
GRID_SHARE = 0.99


def _check_index(frame: pd.DataFrame, function: str) -> pd.DatetimeIndex:
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"{function}: expected a DataFrame, got {type(frame).__name__}")
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError(f"{function}: the frame needs a DatetimeIndex (use spamlab.series.read), "
                        f"got {type(index).__name__}")
    if index.tz is None:
        raise DataError(f"{function}: the DatetimeIndex has no time zone; localize it "
                        f"(frame.tz_localize('UTC')) or read the data with spamlab.series.read(tz=...)")
    if index.hasnans:
        raise DataError(f"{function}: the DatetimeIndex contains NaT")
    return index.as_unit("ns")  # integer arithmetic below assumes nanoseconds


def _value_columns(frame: pd.DataFrame, columns: str | list[str] | None, function: str) -> list[str]:
    """The numeric columns to aggregate: those named, else every numeric non-bookkeeping column."""
    if columns is None:
        chosen = [c for c in frame.columns if c not in BOOKKEEPING and not str(c).endswith("_score")
                  and pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
        if not chosen:
            raise DataError(f"{function}: no numeric value column among {list(frame.columns)}")
        return chosen
    chosen = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in chosen if c not in frame.columns]
    if missing:
        raise DataError(f"{function}: column(s) {missing} not found; available: {list(frame.columns)}")
    return chosen


def _bin_edges(index: pd.DatetimeIndex, freq: str) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """Start and end of every bin from the bin of the first to that of the last timestamp."""
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except ValueError:
        raise ParameterError(f"freq={freq!r} is not a pandas frequency (e.g. 'D', 'h', 'W-MON', 'MS')") from None
    if offset.n <= 0 or (isinstance(offset, pd.offsets.Tick) and offset.nanos <= 0):
        raise ParameterError(f"freq={freq!r}: bins must have a positive length (e.g. 'D', 'h')")
    first, last = index.min(), index.max()
    if isinstance(offset, pd.offsets.Tick) and (last - first).value // offset.nanos >= MAX_BINS:
        raise ParameterError(f"freq={freq!r} would cut {first} to {last} into "
                             f"{(last - first).value // offset.nanos + 1:,} bins (at most "
                             f"{MAX_BINS:,}); choose a longer frequency such as 'h' or 'D'")
    starts = pd.date_range(_floor(first, offset), _floor(last, offset), freq=offset, name="time")
    starts = starts.as_unit("ns")
    ends = (starts + offset).as_unit("ns")
    return starts, ends


def _floor(stamp: pd.Timestamp, offset: pd.DateOffset) -> pd.Timestamp:
    """Start of the bin holding ``stamp`` (local midnight for days, DST-safe)."""
    if isinstance(offset, pd.offsets.Tick) and offset.nanos >= pd.Timedelta("1D").value:
        return stamp.normalize()
    if isinstance(offset, pd.offsets.Tick):  # sub-daily bins align on UTC (no DST ambiguity)
        return stamp.tz_convert("UTC").floor(offset).tz_convert(stamp.tz)
    day = stamp.normalize()
    return day if offset.is_on_offset(day) else offset.rollback(day).normalize()


def regularize(frame: pd.DataFrame, freq: str = "D", tz: str = "UTC", how: str = "sum",
               columns: str | list[str] | None = None) -> pd.DataFrame:
    """Aggregate a time-indexed frame to a regular frequency with explicit gaps.

    Parameters
    ----------
    frame
        Indexed by a time-zone-aware DatetimeIndex (as returned by
        :func:`spamlab.series.read`); need not be sorted or regular.
    freq
        pandas frequency of the bins, labelled by their start: ``"D"`` (days),
        ``"h"``, ``"W-MON"`` (weeks starting Monday), ``"MS"`` (months).
        Days and longer follow the calendar of ``tz`` (a local day may last
        23 or 25 hours); sub-daily bins are aligned on UTC.
    tz
        Time zone whose calendar defines the bins (``"UTC"`` by default; e.g.
        ``"America/New_York"`` for local days). The result is indexed in it.
    how
        ``"sum"`` (counts), ``"mean"``, ``"median"``, ``"min"`` or ``"max"``.
    columns
        Value column(s); by default every numeric column except flags and
        bookkeeping (``n_obs``, ``n_missing``, ``coverage``, ``*_score``).

    Returns
    -------
    DataFrame with one row per bin from the first to the last observed bin:
    the aggregated values (NaN where nothing was observed: never 0), ``n_obs``
    (input rows in the bin), ``n_missing`` (of those, rows whose value was
    missing) and ``is_gap`` (no observed value). If the input already carries
    ``n_obs``/``n_missing`` (a regularized frame), they are summed, so
    regularizing twice changes nothing. ``attrs`` records ``freq``, ``tz``,
    ``how`` and ``observed_start``/``observed_end`` for :func:`mark_partial`.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"volume": [4.0, 6.0]}, index=pd.DatetimeIndex(
    ...     ["2011-03-16 01:00", "2011-03-16 23:00"], tz="UTC"))
    >>> regularize(raw, tz="America/New_York")["volume"].tolist()
    [4.0, 6.0]
    """
    index = _check_index(frame, "regularize")
    if how not in HOW:
        raise ParameterError(f"how={how!r}; expected one of {HOW}")
    values = _value_columns(frame, columns, "regularize")
    if frame.empty:
        raise DataError("regularize: the frame has no rows")
    local = index.tz_convert(check_timezone(tz))
    starts, ends = _bin_edges(local, freq)
    codes = np.searchsorted(starts.asi8, local.asi8, side="right") - 1
    result = _aggregate(frame, values, codes, len(starts), how)
    result.index = starts
    result.attrs.update(frame.attrs)
    result.attrs.update({"freq": freq, "tz": tz, "how": how, **_observed_window(frame, local, ends)})
    return result


def _aggregate(frame: pd.DataFrame, values: list[str], codes: np.ndarray, n_bins: int,
               how: str) -> pd.DataFrame:
    """Aggregate ``values`` by integer bin code; NaN for bins with no observed value."""
    keyed = frame[values].astype(float).set_axis(pd.RangeIndex(len(frame))).assign(_bin=codes)
    grouped = keyed.groupby("_bin", sort=True)
    merged = grouped.sum(min_count=1) if how == "sum" else grouped.agg(how)
    result = merged.reindex(range(n_bins))
    rows = np.ones(len(frame)) if "n_obs" not in frame else frame["n_obs"].to_numpy(float)
    missing = frame[values].isna().any(axis=1).to_numpy(float) if "n_missing" not in frame \
        else frame["n_missing"].to_numpy(float)
    result["n_obs"] = np.bincount(codes, weights=rows, minlength=n_bins).astype(np.int64)
    result["n_missing"] = np.bincount(codes, weights=missing, minlength=n_bins).astype(np.int64)
    result["is_gap"] = result[values].isna().all(axis=1).to_numpy()
    return result.reset_index(drop=True)


def _observed_window(frame: pd.DataFrame, local: pd.DatetimeIndex, ends: pd.DatetimeIndex) -> dict:
    """The period the data observed: first timestamp to last plus one typical spacing."""
    if "observed_start" in frame.attrs and "observed_end" in frame.attrs:
        return {"observed_start": frame.attrs["observed_start"], "observed_end": frame.attrs["observed_end"]}
    ordered = local.sort_values()
    gaps = np.diff(ordered.asi8)
    spacing = pd.Timedelta(int(np.median(gaps[gaps > 0]))) if (gaps > 0).any() else pd.Timedelta(0)
    end = min(ordered[-1] + spacing, ends[-1]) if spacing > pd.Timedelta(0) else ends[-1]
    return {"observed_start": ordered[0].isoformat(), "observed_end": end.isoformat()}


def native_spacing(index: pd.DatetimeIndex) -> pd.Timedelta | None:
    """The spacing of a regular sub-daily export (hourly, 15-minute, ...), or None.

    The spacing is the most frequent positive difference between consecutive
    distinct timestamps. It is a native bin length only when it lies between
    :data:`MIN_SPACING` and a day, divides a day evenly, and at least
    :data:`GRID_SHARE` of the timestamps fall on its grid (counted from the first
    timestamp, in absolute time, so daylight-saving changes do not break it).
    Daily or coarser data, fewer than three timestamps and irregular timestamps
    (single messages) give None: such data have no native bins to count.

    Examples
    --------
    >>> import pandas as pd
    >>> hours = pd.date_range("2011-03-16", periods=48, freq="h", tz="UTC")
    >>> native_spacing(hours.delete([5, 6, 7]))
    Timedelta('0 days 01:00:00')
    >>> native_spacing(pd.date_range("2011-03-16", periods=9, freq="D", tz="UTC")) is None
    True
    """
    stamps = np.unique(index.as_unit("ns").asi8)
    if len(stamps) < 3:
        return None
    steps, counts = np.unique(np.diff(stamps), return_counts=True)
    step = int(steps[np.argmax(counts)])  # ties: the shortest
    if not MIN_SPACING.value <= step < DAY.value or DAY.value % step:
        return None
    on_grid = float(np.mean((stamps - stamps[0]) % step == 0))
    return pd.Timedelta(step) if on_grid >= GRID_SHARE else None


def covered_share(frame: pd.DataFrame, spacing: pd.Timedelta, freq: str = "D", tz: str = "UTC",
                  columns: str | list[str] | None = None,
                  share: pd.Series | None = None) -> pd.Series:
    """The share of each bin's native sub-bins (e.g. hours of a day) that hold an observed value.

    A native bin is observed when a row at its timestamp has a value (an empty
    value, like an absent row, is not observed; an explicit ``0`` is). A day's
    native bins are the points of the data's grid (``spacing`` from the first
    timestamp) inside it, so a day of ``tz`` with a daylight-saving change has 23
    or 25 hourly bins, and the first and last days count only what they hold
    (an export starting at 06:00 covers 18/24 of its first day).

    Parameters
    ----------
    frame
        Raw rows indexed by time (as :func:`spamlab.series.read` returns them).
    spacing
        The native bin length (:func:`native_spacing`).
    freq, tz, columns
        The bins and value column(s), as for :func:`regularize`.
    share
        Optional share of each row's own native bin that was observed (an explicit
        ``covered`` column of a sub-daily file), indexed like ``frame``: a row then
        counts ``share`` instead of 1 (a missing share counts 1).

    Returns
    -------
    Series ``covered`` on :func:`regularize`'s bins: between 0 and 1.

    Examples
    --------
    >>> import pandas as pd
    >>> hours = pd.date_range("2011-03-16", periods=48, freq="h", tz="UTC")
    >>> raw = pd.DataFrame({"volume": 1.0}, index=hours[::2].append(hours[24:25]).sort_values())
    >>> covered_share(raw, pd.Timedelta("1h")).tolist()
    [0.5, 0.5416666666666666]
    """
    index = _check_index(frame, "covered_share")
    values = _value_columns(frame, columns, "covered_share")
    local = index.tz_convert(check_timezone(tz))
    starts, ends = _bin_edges(local, freq)
    observed = frame[values].notna().any(axis=1).to_numpy(float)
    if share is not None:
        observed = observed * share.reindex(index).fillna(1.0).clip(0, 1).to_numpy(float)
    codes = np.searchsorted(starts.asi8, local.asi8, side="right") - 1
    held = np.bincount(codes, weights=observed, minlength=len(starts))
    first, step = index.as_unit("ns").asi8.min(), spacing.value
    expected = -((first - ends.asi8) // step) - -((first - starts.asi8) // step)  # ceil division
    return pd.Series(np.clip(held / np.maximum(expected, 1), 0, 1), index=starts, name="covered")


def mark_partial(frame: pd.DataFrame, start: str | pd.Timestamp | None = None,
                 end: str | pd.Timestamp | None = None, tolerance: float = 1e-9) -> pd.DataFrame:
    """Add ``coverage`` (fraction of each bin inside the observed period) and ``is_partial``.

    Parameters
    ----------
    frame
        Output of :func:`regularize` (bins labelled by their start).
    start, end
        The observed period. By default taken from ``frame.attrs``
        (``observed_start``: the first raw timestamp; ``observed_end``: the
        last raw timestamp plus the data's median spacing, so daily totals
        count as full days and a stream of messages that stops at 15:00
        covers 15/24 of its last day). Pass them to state the period
        explicitly, e.g. the dates an archive claims to cover.
    tolerance
        Coverage below ``1 - tolerance`` is partial.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"volume": [1.0] * 4}, index=pd.date_range(
    ...     "2011-03-16 12:00", periods=4, freq="12h", tz="UTC"))
    >>> mark_partial(regularize(raw))["coverage"].tolist()
    [0.5, 1.0, 0.5]
    """
    index = _check_index(frame, "mark_partial")
    lo = _bound(start, frame.attrs.get("observed_start"), "start", index.tz)
    hi = _bound(end, frame.attrs.get("observed_end"), "end", index.tz)
    freq = frame.attrs.get("freq") or pd.infer_freq(index)
    if freq is None:
        raise DataError("mark_partial: cannot tell the bin length; use the output of regularize")
    ends = (index + pd.tseries.frequencies.to_offset(freq)).as_unit("ns")
    overlap = (np.minimum(ends.asi8, hi.value) - np.maximum(index.asi8, lo.value)).clip(min=0)
    result = frame.copy()
    result["coverage"] = overlap / (ends.asi8 - index.asi8)
    result["is_partial"] = result["coverage"].to_numpy() < 1 - tolerance
    return result


def _bound(given: str | pd.Timestamp | None, recorded: str | None, name: str, tz) -> pd.Timestamp:
    value = given if given is not None else recorded
    if value is None:
        raise ParameterError(f"mark_partial: pass {name}= (the frame's attrs do not record the observed period)")
    return as_timestamp(value, name, tz)

def flag_outliers(frame: pd.DataFrame, y: str = "volume", *, window: int = 15, k: float = 5.0,
                  period: int | None = None, flag: str = "is_outlier") -> pd.DataFrame:
    """Flag values far from a rolling median, in units of the rolling MAD; never deletes.

    The rule (a Hampel filter): a value ``x_t`` is an outlier when
    ``|x_t - m_t| > k * 1.4826 * MAD_t``, where ``m_t`` is the median of the
    ``window`` observations centred on ``t`` and ``MAD_t`` the median of
    ``|x_s - m_t|`` over the same window (1.4826 makes MAD estimate a normal
    standard deviation, so ``k=5`` is about five sigma; small windows estimate
    it noisily, so keep ``window`` at 9 or more). Median and MAD ignore
    the outliers themselves (up to half the window), unlike mean and
    standard deviation. With ``period`` (e.g. 7 for daily data with a weekly
    cycle) the window runs over the same phase only (Mondays compared with
    Mondays), so a normal weekend dip is not flagged. Missing values are never
    flagged. Where the MAD is 0 (a flat stretch) any departure is flagged.

    Parameters
    ----------
    frame
        A regular series (e.g. from :func:`regularize`).
    y
        The value column to check.
    window
        Observations in the centred window (odd; with ``period``, counted in
        cycles, e.g. 5 = the same weekday in five consecutive weeks).
    k
        Threshold in robust standard deviations.
    period
        Seasonal period in observations, or None.
    flag
        Name of the added boolean column; ``{flag}_score`` holds
        ``(x - m) / (1.4826 MAD)``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"volume": [10.0, 11, 9, 10, 100, 10, 11, 9, 10]})
    >>> flag_outliers(f, window=5)["is_outlier"].tolist()
    [False, False, False, False, True, False, False, False, False]
    """
    if y not in frame.columns:
        raise DataError(f"flag_outliers: column {y!r} not found; available: {list(frame.columns)}")
    if window < 3 or window % 2 == 0:
        raise ParameterError(f"flag_outliers: window={window} must be an odd integer >= 3")
    if k <= 0:
        raise ParameterError(f"flag_outliers: k={k} must be positive")
    if period is not None and period < 2:
        raise ParameterError(f"flag_outliers: period={period} must be an integer >= 2 or None")
    values = pd.Series(frame[y].to_numpy(dtype=float))
    phase = np.arange(len(values)) % (period or 1)
    score = values.groupby(phase).transform(lambda part: _robust_score(part, window))
    result = frame.copy()
    result[f"{flag}_score"] = score.to_numpy()
    result[flag] = (score.abs() > k).to_numpy()
    return result


def _robust_score(values: pd.Series, window: int) -> pd.Series:
    """``(x - m) / (1.4826 * MAD)`` over centred windows (Hampel); inf where MAD is 0 and x differs.

    ``m`` is the window's median and MAD the median of ``|x_s - m|`` over the same
    window. Windows with fewer than ``window // 2 + 1`` observed values give NaN.
    """
    x = values.to_numpy(dtype=float)
    half = window // 2
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(x, half, constant_values=np.nan), window)
    enough = np.count_nonzero(~np.isnan(windows), axis=1) >= half + 1
    median = np.full(len(x), np.nan)
    mad = np.full(len(x), np.nan)
    if enough.any():
        median[enough] = np.nanmedian(windows[enough], axis=1)
        mad[enough] = np.nanmedian(np.abs(windows[enough] - median[enough, None]), axis=1) * MAD_TO_SD
    deviation = x - median
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(mad > 0, deviation / mad, np.where(deviation == 0, 0.0, np.sign(deviation) * np.inf))
    return pd.Series(np.where(np.isnan(deviation), np.nan, score), index=values.index)


def harmonize_units(frame: pd.DataFrame, y: str, unit: str, *, to: str = "billion_per_day",
                    name: str | None = None) -> pd.DataFrame:
    """Add column ``y`` converted to billions (or millions, or messages) per day.

    Parameters
    ----------
    frame
        Time-indexed frame.
    y
        The value column to convert (kept unchanged).
    unit
        Its unit: any unit :func:`spamlab.figures.to_per_day` knows
        (``"billion_per_day"``, ``"per_hour"``, ``"per_week"``, ...) or
        ``"count_per_bin"``: a count per row's bin, whose length is read from
        the index (``attrs["freq"]`` of a regularized frame, else the
        inferred frequency), so a monthly count is divided by that month's
        own number of days.
    to
        ``"billion_per_day"`` (default), ``"million_per_day"`` or ``"per_day"``.
    name
        New column's name; default ``f"{y}_{to}"``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"volume": [2.4e10]}, index=pd.DatetimeIndex(["2011-03-16"], tz="UTC"))
    >>> harmonize_units(f, "volume", "per_day")["volume_billion_per_day"].tolist()
    [24.0]
    """
    scale = {"billion_per_day": 1.0, "million_per_day": 1e3, "per_day": 1e9}
    if to not in scale:
        raise ParameterError(f"harmonize_units: to={to!r}; expected one of {list(scale)}")
    if y not in frame.columns:
        raise DataError(f"harmonize_units: column {y!r} not found; available: {list(frame.columns)}")
    values = frame[y].to_numpy(dtype=float)
    if unit == "count_per_bin":
        per_day = values / _bin_days(frame, "harmonize_units") * figures.to_per_day(1.0, "per_day")
    else:
        per_day = figures.to_per_day(values, unit)
    result = frame.copy()
    result[name or f"{y}_{to}"] = per_day * scale[to]
    return result


def _bin_days(frame: pd.DataFrame, function: str) -> np.ndarray:
    """Length in days of each row's bin (from attrs['freq'] or the inferred frequency)."""
    index = _check_index(frame, function)
    freq = frame.attrs.get("freq") or (pd.infer_freq(index) if len(index) >= 3 else None)
    if freq is None:
        raise DataError(f"{function}: cannot tell the bin length of the index; regularize the frame first")
    ends = (index + pd.tseries.frequencies.to_offset(freq)).as_unit("ns")
    return (ends.asi8 - index.asi8) / pd.Timedelta("1D").value
