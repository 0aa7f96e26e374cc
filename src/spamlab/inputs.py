"""What the notebooks read: your daily series, or the labelled-synthetic scenario, cleaned.

:func:`read_daily` is the notebooks' input step. It reads a file with
:func:`spamlab.series.read`, bins it into days with :func:`spamlab.clean.regularize`
(gaps stay NaN, flagged ``is_gap``) and flags outliers with
:func:`spamlab.clean.flag_outliers` (flagged, never removed). Synthetic data is asked
for by name: :func:`synthetic_daily` returns the total of the calibrated scenario
(:func:`spamlab.scenario.calibrate`), labelled synthetic, and :func:`synthetic_sources`
the synthetic botnet trap of notebooks 06 and 07. Either way the result is a
:class:`DailyInput`: the frame plus
what it is (label, unit, whether it is synthetic) and how to name its figures.
:func:`cleaning_summary` says what reading and cleaning did, one count per row.

What the notebooks *write* (figures, results, HTML) is :mod:`spamlab.report`.

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> from spamlab import inputs
>>> path = pathlib.Path(tempfile.mkdtemp()) / "My Server.csv"
>>> days = pd.date_range("2024-01-01", periods=30, freq="D").strftime("%Y-%m-%d")
>>> pd.DataFrame({"day": days, "spam": range(30)}).to_csv(path, index=False)
>>> inp = inputs.read_daily(path, date_col="day", value_col="spam")
>>> len(inp.frame), inp.synthetic, inp.figure_name("daily-volume")
(30, False, 'my-server-daily-volume')
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

import spamlab.moments
from spamlab import clean, series
from spamlab.deprecation import warn_renamed
from spamlab.errors import DataError, ParameterError

__all__ = [
    "COVERED_COLUMN", "DEFAULT_HYPOTHESIS", "MIN_COVERAGE", "OUTLIER_PERIOD", "OUTLIER_WINDOW", "SCALED_COLUMN",
    "SYNTHETIC_TRAP_SCALE", "DailyInput", "SourcesInput", "cleaning_summary", "last_segment",
    "moments", "read_daily", "read_sources", "says_synthetic", "synthetic_daily",
    "synthetic_sources",
]

#: the scenario the notebooks analyse without data: the one hypothesis whose calibration
#: reproduces the published figures (``scenario.calibrate_all()``; the others are marked
#: inconsistent, e.g. ``baseline`` reaches 47 -> 31 bn/day, not Symantec's 52 -> 33)
DEFAULT_HYPOTHESIS = "combined"
#: days observed less than this share (hours logged / 24 for hourly data, or the ``covered``
#: column) are gaps: so little of a day says too little about the whole of it (spam has a
#: daily rhythm), and a model without exposure would multiply its count by more than 4
MIN_COVERAGE = 0.25
#: the column of :func:`read_daily`'s frame holding ``volume / covered`` (:meth:`DailyInput.y_for`)
SCALED_COLUMN = "volume_scaled"
#: Hampel rule for daily series: each day against the same weekday of the 5 weeks around it
OUTLIER_PERIOD, OUTLIER_WINDOW = 7, 5


@dataclass(frozen=True)
class DailyInput:
    """The daily series a notebook analyses, with what it is.

    Attributes
    ----------
    frame : regular daily frame: ``volume``, ``n_obs``, ``n_missing``, ``is_gap``,
        ``is_outlier`` (flagged, never removed)
    label : where the numbers come from, for titles and text
    synthetic : True for the calibrated scenario (a model, not data about 2011)
    unit : unit of ``volume`` in words
    slug : short name starting every figure file name (``rustock``, or the file's stem)
    y : the outcome column (``volume``; ``total_synthetic`` for the scenario)
    exposure : the column of ``frame`` holding each day's exposure (``exposure``: the
        covered fraction of the day, see :func:`read_daily`), or None
    """

    frame: pd.DataFrame
    label: str
    synthetic: bool
    unit: str
    slug: str
    y: str = "volume"
    exposure: str | None = field(default=None, kw_only=True)

    def exposure_for(self, family: str, transform: str | None = None) -> str | None:
        """The exposure column for a model of ``family``/``transform``: only on a log scale.

        Examples
        --------
        >>> inp = DailyInput(pd.DataFrame(), "trap", False, "messages", "trap", exposure="exposure")
        >>> inp.exposure_for("quasipoisson"), inp.exposure_for("gaussian")
        ('exposure', None)
        """
        return self.exposure if family != "gaussian" or transform == "log" else None

    def y_for(self, family: str, transform: str | None = None, *, exposure: bool = True) -> str:
        """The outcome column for a model of ``family``/``transform``.

        A model given the exposure (:meth:`exposure_for`: a count family, or gaussian
        on log) reads the count itself (:attr:`y`). Any other model would read a
        partly covered day as a fall, so it reads the count scaled to a whole day
        (``volume / covered``, :data:`SCALED_COLUMN`): on a log scale exactly the
        exposure offset; on the identity scale (or a count family fitted without
        exposure) an approximation, with a warning naming how many days were scaled.

        Parameters
        ----------
        family, transform
            The model, as for :func:`spamlab.its.fit`.
        exposure
            False when the model is fitted without :meth:`exposure_for`'s column
            (e.g. breakpoints or power studies, which take no exposure).

        Examples
        --------
        >>> idx = pd.date_range("2024-01-01", periods=2, freq="D", tz="UTC")
        >>> f = pd.DataFrame({"volume": [10.0, 5.0], "covered": [1.0, 1.0],
        ...                   "volume_scaled": [10.0, 5.0]}, index=idx)
        >>> inp = DailyInput(f, "trap", False, "messages", "trap", exposure="exposure")
        >>> inp.y_for("quasipoisson"), inp.y_for("gaussian"), inp.y_for("gaussian", "log", exposure=False)
        ('volume', 'volume_scaled', 'volume_scaled')
        """
        if self.exposure is None or (exposure and self.exposure_for(family, transform)):
            return self.y
        covered = self.frame["covered"]
        partly = covered[(covered > 0) & (covered < 1 - 1e-9) & self.frame[self.y].notna()]
        if len(partly) and not (family == "gaussian" and transform == "log"):
            warnings.warn(
                f"{self.label}: a {family} model without exposure reads the {len(partly)} partly "
                f"covered day(s) (lowest {partly.min():.3f}) scaled to whole days "
                f"({SCALED_COLUMN} = {self.y} / covered), an approximation; a count family with "
                f"exposure, or transform='log', uses the coverage exactly", UserWarning,
                stacklevel=2)
        return SCALED_COLUMN

    def figure_name(self, what: str) -> str:
        """File name of a figure showing ``what``: ``<slug>-<what>[-synthetic]``.

        Examples
        --------
        >>> DailyInput(pd.DataFrame(), "scenario", True, "bn", "rustock").figure_name("counterfactual")
        'rustock-counterfactual-synthetic'
        """
        return f"{self.slug}-{what}{self.suffix}"

    @property
    def suffix(self) -> str:
        """``"-synthetic"`` for the scenario, else ``""``: appended to figure names."""
        return "-synthetic" if self.synthetic else ""

    @property
    def title_tag(self) -> str:
        """``" (SYNTHETIC scenario)"`` for the scenario, else ``" (<label>)"``: appended to titles."""
        return " (SYNTHETIC scenario, not data)" if self.synthetic else f" ({self.label})"


def synthetic_daily(*, seed: int = 0, hypothesis: str = DEFAULT_HYPOTHESIS) -> DailyInput:
    """The SYNTHETIC daily total of the calibrated scenario, labelled synthetic.

    Parameters
    ----------
    seed
        The scenario's noise seed.
    hypothesis
        The calibrated hypothesis (:data:`spamlab.scenario.HYPOTHESES`); by default
        :data:`DEFAULT_HYPOTHESIS`, the one consistent with the published figures.

    Returns
    -------
    DailyInput
        ``total_synthetic`` in billion messages per day, ``synthetic=True``, figure names
        ``rustock-<what>-synthetic``.

    Examples
    --------
    >>> synthetic_daily().figure_name("counterfactual")  # doctest: +SKIP
    'rustock-counterfactual-synthetic'
    """
    return _scenario_input(seed, hypothesis)


def read_daily(
    data: str | Path, *, date_col: str = "date", value_col: str = "count",
    tz: str | None = None, reading: series.ReadOptions | Mapping[str, Any] | None = None,
    seed: int = 0, hypothesis: str = DEFAULT_HYPOTHESIS, exposure_col: str | None = None,
    min_coverage: float = MIN_COVERAGE, **options: Any,
) -> DailyInput:
    """The notebooks' daily series, read from your file.

    Parameters
    ----------
    data
        A CSV or Parquet file. ``None`` (the calibrated scenario) is deprecated: ask for
        synthetic data by name with :func:`synthetic_daily` (``None`` still returns it
        until spamlab 0.3, with a :class:`DeprecationWarning`).
    date_col, value_col
        The file's date and count columns (see :func:`spamlab.series.read`).
    tz
        Time zone of dates written without an offset; days are cut in this zone
        (UTC when None: date-only values are then read as UTC days).
    reading, **options
        How to read the file: the options of :class:`spamlab.series.ReadOptions` (the
        one list of them: ``sep``, ``decimal``, ``date_format``, ``encoding``,
        ``on_bad_rows``, ``max_bad_share``, ``aggregate``, ``ambiguous``,
        ``nonexistent``), as a mapping (the notebooks' ``reading`` parameter) or as
        keywords, as for :func:`spamlab.series.read`; an unknown name is a
        ParameterError. Separator and decimal mark are sniffed by default.
    seed, hypothesis
        Used only with the deprecated ``data=None``: see :func:`synthetic_daily`.
    exposure_col
        The file's column giving the fraction of each day that was observed (the
        ``covered`` column of ``spamlab ingest``'s ``daily_counts.csv``, used
        automatically when the file has one). In a sub-daily file it is the share
        of each row's own bin that was observed (see below).
    min_coverage
        Days observed less than this share become gaps (default
        :data:`MIN_COVERAGE`, a quarter of the day; 0 keeps every day with data).

    Returns
    -------
    DailyInput
        A file gives ``volume`` in messages per day; the scenario gives
        ``total_synthetic`` in its own unit, labelled synthetic.

        **Coverage.** A sub-daily file (hourly, 15-minute, ...: the native spacing
        is the most frequent step between timestamps, :func:`spamlab.clean.native_spacing`)
        is summed into days, and each day's ``covered`` is the share of its native bins
        that hold a value (:func:`spamlab.clean.covered_share`): hours logged / 24,
        or 23 or 25 on a daylight-saving day of ``tz``, and less on a first or last
        day the export only partly spans. An absent row and an empty value are
        missing hours, never zeros; write ``0`` for a bin without mail. With a
        ``covered`` column as well, each row counts its own share (absent rows 0),
        so the two are never multiplied twice. Daily files take ``covered`` from
        the column as they are. Days covered 0 or under ``min_coverage`` are gaps
        (NaN, ``is_gap``); the others keep their observed count in ``volume``,
        ``exposure`` is their share (1 on gaps) and ``volume_scaled`` their count
        divided by it. Count models and gaussian on log take ``exposure``
        (:meth:`DailyInput.exposure_for`); a gaussian model on the identity scale
        reads ``volume_scaled`` (:meth:`DailyInput.y_for`), so no model reads a
        partly covered day as a fall.

    Warns
    -----
    UserWarning
        When days of a sub-daily file are only partly covered: how many, the lowest
        share and its day, and how many days fell under ``min_coverage``.

    Raises
    ------
    DataError
        From :func:`spamlab.series.read`: missing file, unknown column, bad rows;
        a covered share outside 0..1.
    ParameterError
        ``min_coverage`` outside 0..1.

    """
    if data is None:
        warn_renamed("read_daily(None) (quietly the synthetic scenario)",
                     "inputs.synthetic_daily()", stacklevel=3)
        return synthetic_daily(seed=seed, hypothesis=hypothesis)
    if not 0 <= min_coverage <= 1:
        raise ParameterError(f"min_coverage={min_coverage!r}: give a share of the day between 0 "
                             f"and 1 (default {MIN_COVERAGE})")
    how = series.read_options(reading, **options)
    keywords: dict[str, Any] = {"date_col": date_col, "tz": tz, **how.as_dict()}
    raw = series.read(data, value_col=value_col, **keywords)
    daily = clean.regularize(raw, freq="D", tz=tz or "UTC", how="sum")
    column = exposure_col or _covered_column(Path(data), how.sep, how.encoding)
    shares = None if column is None else series.read(data, value_col=column, **keywords)
    spacing = clean.native_spacing(raw.index)
    covered = _coverage(raw, shares, spacing, tz or "UTC",
                        f"{Path(data).name}: exposure column {column!r}")
    if covered is not None:
        daily = _with_exposure(daily, covered, min_coverage)
    if spacing is not None:
        _warn_partly_covered(daily, spacing, Path(data).name, min_coverage)
    elif _irregular_subdaily(raw.index):
        warnings.warn(f"{Path(data).name}: timestamps finer than a day but on no regular grid "
                      f"(single messages?): each day is the sum of its rows, and a day with "
                      f"missing hours cannot be told from a quiet one; for counts per hour or "
                      f"per 15 minutes write every bin, 0 when no mail came", UserWarning,
                      stacklevel=2)
    daily = _flag_outliers(daily, "volume")
    stem = unicodedata.normalize("NFKD", Path(data).stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "your-data"
    synthetic = says_synthetic(raw.attrs.get("preamble_comments", ()))
    label = f"{Path(data).name} (SYNTHETIC, as its header says)" if synthetic else Path(data).name
    return DailyInput(daily, label, synthetic, "messages per day", slug,
                      exposure=None if "exposure" not in daily else "exposure")


def says_synthetic(comments: Sequence[str]) -> bool:
    """True when a ``#`` comment above a file's header calls the data synthetic (as the
    sample export in ``data/sample`` does), so every result from it is labelled so.

    Examples
    --------
    >>> says_synthetic(["SYNTHETIC sample export made by make_mailserver_daily.py"])
    True
    >>> says_synthetic(["Daily spam report, mail gateway mx1"])
    False
    """
    return any(re.search(r"\bsynthetic\b", comment, flags=re.IGNORECASE) for comment in comments)


#: The column of ``spamlab ingest``'s daily counts that :func:`read_daily` takes as exposure.
COVERED_COLUMN = "covered"


def _covered_column(path: Path, sep: str | None, encoding: str) -> str | None:
    """The file's ``covered`` column (any case), or None (a file without one, or not readable
    here: :func:`spamlab.series.read` then reports the problem)."""
    try:
        names = series.column_names(path, encoding=encoding, sep=sep)
    except (OSError, ValueError, LookupError, StopIteration):  # DataError is a ValueError
        return None
    return next((str(n) for n in names if str(n).strip().lower() == COVERED_COLUMN), None)


def _coverage(raw: pd.DataFrame, shares: pd.DataFrame | None, spacing: pd.Timedelta | None,
              tz: str, described: str) -> pd.Series | None:
    """Each day's covered share: from the native bins of sub-daily data (times an explicit
    per-row share), else the mean of the file's covered column, else None.

    Examples
    --------
    >>> hours = pd.date_range("2011-03-01", periods=48, freq="h", tz="UTC")[::2]
    >>> raw = pd.DataFrame({"volume": 1.0}, index=hours)
    >>> _coverage(raw, None, pd.Timedelta("1h"), "UTC", "x").tolist()
    [0.5, 0.5]
    """
    if spacing is not None:
        if shares is not None:
            _check_share(shares["volume"], described)
        share = None if shares is None else shares["volume"]
        return clean.covered_share(raw, spacing, tz=tz, share=share)
    if shares is None:
        return None
    covered = clean.regularize(shares, freq="D", tz=tz, how="mean")["volume"]
    _check_share(covered, described)
    return covered


def _check_share(covered: pd.Series, described: str) -> None:
    """Refuse covered shares outside 0..1, naming the first one."""
    bad = covered[(covered < 0) | (covered > 1)]
    if len(bad):
        raise DataError(f"{described}: {len(bad)} value(s) outside 0..1, first on "
                        f"{bad.index[0].date()} ({float(bad.iloc[0])!r})")


def _with_exposure(daily: pd.DataFrame, covered: pd.Series,
                   min_coverage: float = 0.0) -> pd.DataFrame:
    """``daily`` with ``covered`` and ``exposure`` columns; days covered 0 or below
    ``min_coverage`` become gaps (counted in ``attrs["n_low_coverage"]``).

    Examples
    --------
    >>> idx = pd.date_range("2011-03-01", periods=4, freq="D", tz="UTC")
    >>> daily = pd.DataFrame({"volume": [5.0, 0.0, 9.0, 1.0], "is_gap": False}, index=idx)
    >>> out = _with_exposure(daily, pd.Series([0.5, 0.0, 1.0, 0.1], index=idx), 0.25)
    >>> out["volume"].tolist(), out["is_gap"].tolist(), out["exposure"].tolist()
    ([5.0, nan, 9.0, nan], [False, True, False, True], [0.5, 1.0, 1.0, 1.0])
    """
    daily = daily.copy()
    fraction = covered.reindex(daily.index)
    low = (fraction > 0) & (fraction < min_coverage) & daily["volume"].notna()
    gap = (fraction.fillna(1.0) == 0) | low
    daily.loc[gap, "volume"] = float("nan")
    daily["is_gap"] = daily["is_gap"] | gap
    daily["covered"] = fraction
    daily["exposure"] = fraction.where(~gap & (fraction > 0), 1.0)
    daily[SCALED_COLUMN] = daily["volume"] / daily["exposure"]
    daily.attrs["n_low_coverage"] = int(low.sum())
    daily.attrs["min_coverage"] = min_coverage
    return daily


def _warn_partly_covered(daily: pd.DataFrame, spacing: pd.Timedelta, name: str,
                         min_coverage: float) -> None:
    """A UserWarning when some days of sub-daily data hold only part of their bins."""
    covered = daily["covered"]
    partly = covered[(covered > 0) & (covered < 1 - 1e-9)]
    if partly.empty:
        return
    day = partly.idxmin()
    bins = round(((day + pd.DateOffset(days=1)) - day) / spacing)  # 23 or 25 hours on DST days
    low = daily.attrs.get("n_low_coverage", 0)
    warnings.warn(
        f"{name}: {len(partly)} of {len(daily)} days are only partly covered by the file's "
        f"{_spacing_words(spacing)} rows (lowest {partly.min():.3f} on {day.date()}: "
        f"{round(partly.min() * bins)} of {bins} bins); missing bins are missing, not "
        f"zeros: the share observed is each day's 'covered' and the exposure of count models"
        + (f"; {low} day(s) under min_coverage={min_coverage} are gaps" if low else ""),
        UserWarning, stacklevel=3)


def _irregular_subdaily(index: pd.DatetimeIndex) -> bool:
    """Timestamps mostly less than a day apart that :func:`spamlab.clean.native_spacing`
    finds no grid in.

    Examples
    --------
    >>> _irregular_subdaily(pd.DatetimeIndex(["2024-01-01 10:00:07", "2024-01-01 11:13:00",
    ...                                       "2024-01-02 09:00:00"], tz="UTC"))
    True
    """
    steps = pd.Series(index.unique().sort_values()).diff().dropna()
    steps = steps[steps > pd.Timedelta(0)]
    return bool(len(steps)) and steps.median() < pd.Timedelta("1D") \
        and clean.native_spacing(index) is None


def _spacing_words(spacing: pd.Timedelta) -> str:
    """``hourly``, ``15-minute``, ``2-hour``: the name of a native bin length.

    Examples
    --------
    >>> _spacing_words(pd.Timedelta("1h")), _spacing_words(pd.Timedelta("15min"))
    ('hourly', '15-minute')
    """
    minutes = int(spacing / pd.Timedelta("1min"))
    if minutes == 60:
        return "hourly"
    return f"{minutes // 60}-hour" if minutes % 60 == 0 else f"{minutes}-minute"


def moments(interruptions: object, tz: str | None = None,
            parameter: str = "interruptions") -> list[str]:
    """One moment or a list of them as sorted UTC ISO timestamps; naive ones are read in ``tz``.

    Raises
    ------
    ParameterError
        For an empty list, something that is not a date, or a local time that a
        daylight-saving change makes ambiguous or nonexistent (give an offset).

    Examples
    --------
    >>> moments(["2011-03-16 15:45", "2010-12-25"], tz="Europe/Berlin")
    ['2010-12-24T23:00:00+00:00', '2011-03-16T14:45:00+00:00']
    """
    items = list(interruptions) if isinstance(interruptions, (list, tuple)) else [interruptions]
    if not items:
        raise ParameterError(f"{parameter}: give at least one moment, e.g. ['2011-03-16 14:45']")
    stamps = [spamlab.moments.to_utc(item, parameter, tz) for item in items]
    return [stamp.isoformat() for stamp in sorted(stamps)]


def last_segment(frame: pd.DataFrame, moments: list[str],
                 window: tuple[str | None, str | None] | list[str | None] = (None, None)
                 ) -> pd.DataFrame:
    """The days analysed around the last interruption: ``window`` (start, end), where a
    missing start is the previous interruption (or the first day) and a missing end the last day.

    Examples
    --------
    >>> days = pd.date_range("2024-01-01", periods=10, freq="D", tz="UTC")
    >>> f = pd.DataFrame({"volume": range(10)}, index=days)
    >>> last_segment(f, ["2024-01-04T00:00:00+00:00", "2024-01-08T12:00:00+00:00"]).index[0]
    Timestamp('2024-01-04 00:00:00+0000', tz='UTC')
    """
    start, end = window
    if start is None and len(moments) > 1:
        start = moments[-2]
    return frame.loc[start:end]


def _scenario_input(seed: int, hypothesis: str) -> DailyInput:
    """The calibrated scenario's daily series (UTC days), labelled synthetic."""
    # Imported here on purpose: spamlab.scenario takes seconds to load (scipy.optimize, and
    # statsmodels through spamlab.its), and reading your own file never needs it.
    from spamlab import scenario

    cal = scenario.calibrate(hypothesis, seed=seed)
    frame = cal.series.tz_localize("UTC") if cal.series.index.tz is None else cal.series.copy()
    frame = _flag_outliers(frame, "total_synthetic")
    frame["is_gap"] = frame["total_synthetic"].isna()
    frame.attrs.update(cal.series.attrs)
    label = f"SYNTHETIC scenario '{hypothesis}', calibrated to published figures"
    return DailyInput(frame, label, True, str(frame.attrs.get("units", "billion messages per day")),
                      "rustock", "total_synthetic")


def _flag_outliers(frame: pd.DataFrame, y: str) -> pd.DataFrame:
    """Flag outlying days of column ``y`` against the same weekday (kept, never removed)."""
    return clean.flag_outliers(frame, y=y, period=OUTLIER_PERIOD, window=OUTLIER_WINDOW)


def cleaning_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """What reading and cleaning did to a :func:`read_daily` frame, one row per count.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC")
    >>> f = pd.DataFrame({"volume": [1.0, float("nan"), 3.0], "is_gap": [False, True, False],
    ...                   "is_outlier": [False, False, True]}, index=idx)
    >>> cleaning_summary(f).set_index("what")["count"].to_dict()["days without data (gaps, left empty)"]
    1
    """
    rejected = frame.attrs.get("rejections", {}) or {}
    rows = [
        ("rows read from the file", frame.attrs.get("n_rows", len(frame))),
        ("rows rejected (by reason: see attrs)", sum(rejected.values())),
        ("rows with an empty value", frame.attrs.get("n_missing", 0)),
        ("rows with a date only, read as UTC days (no tz given)", frame.attrs.get("n_assumed_utc", 0)),
        ("rows merged into one per timestamp", frame.attrs.get("n_aggregated", 0)),
        ("days in the series", len(frame)),
        ("days without data (gaps, left empty)", int(frame.get("is_gap", pd.Series(dtype=bool)).sum())),
        ("days flagged as outliers (kept)", int(frame.get("is_outlier", pd.Series(dtype=bool)).sum())),
    ]
    if "covered" in frame:  # hourly data, or a covered column: what coverage did
        partly = frame["covered"].between(0, 1, inclusive="neither") & frame["volume"].notna()
        rows += [("of the gaps, days observed under min_coverage (counts set aside)",
                  frame.attrs.get("n_low_coverage", 0)),
                 ("days only partly observed (exposure below 1)", int(partly.sum()))]
    return pd.DataFrame(rows, columns=["what", "count"])


#: how much mail the synthetic botnet trap holds when a notebook makes it (a quarter of
#: :data:`spamlab.testing.BOTNET_PROFILES`' rates: about 10,000 messages, written and
#: ingested in a few seconds)
SYNTHETIC_TRAP_SCALE = 0.25


@dataclass(frozen=True)
class SourcesInput(DailyInput):
    """A daily total with the sources it is made of, as notebook 06 reads it.

    Besides those of :class:`DailyInput` (``y`` is the total's column).

    Attributes
    ----------
    sources : tuple of str
        The source columns (they need not add up to ``y``).
    target : str
        The source whose disappearance is accounted for.
    found : VanishedResult or None
        The :class:`spamlab.attribution.VanishedResult` the sources came from, when they
        were read from ingested mail (None for a file of daily counts).
    truth : BotnetTruth or None
        The ground truth of the synthetic trap (:class:`spamlab.testing.BotnetTruth`),
        when no data was given.
    """

    sources: tuple[str, ...] = ()
    target: str = ""
    found: Any = None
    truth: Any = None

    @property
    def title_tag(self) -> str:
        """``" (SYNTHETIC trap, not data)"`` for the synthetic trap, else ``" (<label>)"``."""
        return " (SYNTHETIC trap, not data)" if self.synthetic else f" ({self.label})"

    @property
    def by_source(self) -> tuple[pd.DataFrame, str, str]:
        """``(daily counts by source, target, total column)`` to ask who stepped in.

        For the synthetic trap these are its TRUE per-source counts (what a vendor's
        export by botnet would give: every source named, not only the groups the
        fingerprints found); for a file, its columns; for ingested mail, ``vanished``
        and ``everything_else`` (per fingerprint group: :func:`spamlab.attribution.
        displacement` on the events with ``by=``).
        """
        if self.truth is not None:
            return self.truth.daily, self.truth.target, "total"
        columns = [self.y, *self.sources]
        return self.frame[columns], self.target, self.y


def read_sources(
    data: str | Path | None = None, *, events: str | Path | None = None,
    date_col: str = "date", value_col: str = "total", sources: Sequence[str] = (),
    target: str | None = None, interruption: object = None, by: str = "sender_net",
    tz: str | None = None, work_dir: str | Path | None = None, seed: int = 0,
    scale: float = SYNTHETIC_TRAP_SCALE, **reading: Any,
) -> SourcesInput:
    """Notebook 06's input: a total and its sources, from a file, from ingested mail, or
    from a synthetic trap made and ingested on the spot.

    Parameters
    ----------
    data
        A CSV or Parquet file with a date column, the total (``value_col``) and one
        column per source (``sources``), read as :func:`read_daily` reads one column.
    events
        Instead of ``data``: a ``spamlab ingest`` output folder. Its messages are
        grouped by fingerprint ``by`` and the groups that stopped at ``interruption``
        found (:func:`spamlab.attribution.vanished_groups`); the sources are then
        ``vanished`` (the target) and ``everything_else``.
    date_col, value_col, sources, target, tz, reading
        How to read ``data`` (``reading``: the options of :func:`read_daily`).
        ``target`` must be one of ``sources``.
    interruption
        The moment of the stop (needed with ``events`` and for the synthetic trap).
    by
        The fingerprint grouping the messages (``sender_net``, ``helo``, ...).
    work_dir, seed, scale
        Used only without ``data`` and ``events`` (deprecated: that quietly made the
        SYNTHETIC trap; ask for it by name with :func:`synthetic_sources`, which takes
        these; until spamlab 0.3 it still does, with a :class:`DeprecationWarning`).

    Raises
    ------
    ParameterError
        Both ``data`` and ``events``; no sources or a target not among them.
    DataError
        From reading: a missing file or column, bad rows, no events folder.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "panel.csv"
    >>> days = pd.date_range("2024-01-01", periods=3, freq="D").strftime("%Y-%m-%d")
    >>> pd.DataFrame({"date": days, "total": [9, 9, 5], "a": [4, 4, 0], "b": [5, 5, 5]}).to_csv(
    ...     path, index=False)
    >>> inp = read_sources(path, sources=["a", "b"], target="a")
    >>> inp.frame[["total", "a", "b"]].iloc[-1].tolist(), inp.y, inp.sources
    ([5.0, 0.0, 5.0], 'total', ('a', 'b'))
    """
    if data is not None and events is not None:
        raise ParameterError("give data (a file of daily counts by source) or events (an "
                             "ingest output folder), not both")
    if data is not None:
        return _sources_file(data, date_col, value_col, sources, target, tz, reading)
    if interruption is None:
        raise ParameterError("interruption: give the moment of the stop, e.g. "
                             "'2011-03-16 14:45'")
    moment = moments(interruption, tz, "interruption")[-1]
    if events is not None:
        return _sources_from_events(Path(events), moment, by, None)
    warn_renamed("read_sources() without data or events (quietly a synthetic trap)",
                 "inputs.synthetic_sources(interruption)", stacklevel=3)
    return synthetic_sources(moment, by=by, work_dir=work_dir, seed=seed, scale=scale)


def synthetic_sources(interruption: object, *, by: str = "sender_net", tz: str | None = None,
                      work_dir: str | Path | None = None, seed: int = 0,
                      scale: float = SYNTHETIC_TRAP_SCALE) -> SourcesInput:
    """A SYNTHETIC botnet trap stopping at ``interruption``, made, ingested and read.

    The trap of :func:`spamlab.testing.write_botnet_corpus` (``seed``, ``scale``; 56 days,
    the interruption on the 31st) is written to and ingested in ``work_dir`` (default: a
    temporary folder, removed afterwards), then read as :func:`read_sources` reads an
    ingest folder (``events=``). Its ``truth`` holds the true per-source counts.

    Parameters
    ----------
    interruption
        The moment the trap's target stops (naive times read in ``tz``).
    by
        The fingerprint grouping the messages (``sender_net``, ``helo``, ...).
    work_dir, seed, scale
        Where the trap is written, its seed and its size (:data:`SYNTHETIC_TRAP_SCALE`).

    Raises
    ------
    ParameterError
        ``interruption`` is not a moment.
    """
    moment = moments(interruption, tz, "interruption")[-1]
    if work_dir is not None:
        return _synthetic_trap(Path(work_dir), moment, by, seed, scale)
    with tempfile.TemporaryDirectory(prefix="spamlab-synthetic-trap-") as folder:
        return _synthetic_trap(Path(folder), moment, by, seed, scale)


def _sources_file(data: str | Path, date_col: str, value_col: str, sources: Sequence[str],
                  target: str | None, tz: str | None, reading: dict[str, Any]) -> SourcesInput:
    """The total and each source column of one file, as :func:`read_daily` reads a column."""
    names = list(sources)
    if not names or target not in names:
        raise ParameterError(f"target {target!r} is not among the sources {names}: name the "
                             f"source whose disappearance is accounted for")
    if value_col in names or len(set(names)) != len(names):
        raise ParameterError(f"sources {names}: each once, and not the total {value_col!r}")
    columns = {}
    for name in [value_col, *names]:
        inp = read_daily(data, date_col=date_col, value_col=name, tz=tz, **reading)
        # the accounting is additive (no exposure): a partly covered day (hourly data with
        # hours missing, read_daily warned) enters scaled to a whole day, never as a fall
        columns[name] = inp.frame.get(SCALED_COLUMN, inp.frame["volume"])
    frame = pd.DataFrame(columns)
    frame["is_gap"] = frame.isna().any(axis=1)
    frame.attrs.update(inp.frame.attrs)
    return SourcesInput(frame, inp.label, False, inp.unit, inp.slug, value_col,
                        tuple(names), str(target))


def _synthetic_trap(folder: Path, moment: str, by: str, seed: int, scale: float
                    ) -> SourcesInput:
    """Write the SYNTHETIC botnet trap around ``moment`` into ``folder``, ingest and read it."""
    # Imported here on purpose: ingestion loads pyarrow and the mail readers, which reading
    # a file of daily counts (and `spamlab run --help`) never needs.
    from spamlab.ingest import corpus, pipeline

    start = (pd.Timestamp(moment).floor("D") - pd.Timedelta(days=30)).strftime("%Y-%m-%d")
    truth = corpus.write_botnet_corpus(folder / "trap", seed=seed, scale=scale, start=start,
                                       days=56, interruption=moment)
    pipeline.ingest(truth.paths, folder / "ingested", workers=1)
    return _sources_from_events(folder / "ingested", moment, by, truth)


def _sources_from_events(events: Path, moment: str, by: str, truth: Any) -> SourcesInput:
    """The daily total, ``vanished`` and ``everything_else`` of the groups that stopped."""
    # Imported here on purpose, as in _synthetic_trap (attribution loads statsmodels).
    from spamlab import attribution
    from spamlab.ingest import outputs

    found = attribution.vanished_groups(outputs.read_events(events), interruption=moment, by=by)
    frame = found.daily.copy()
    frame["is_gap"] = frame["total"].isna()
    if truth is not None:
        label, slug = "SYNTHETIC trap with botnets (spamlab.testing), not data", "trap"
    else:
        label = f"{events.resolve().name}: ingested mail grouped by {by}"
        stem = unicodedata.normalize("NFKD", events.resolve().name).encode("ascii", "ignore")
        slug = re.sub(r"[^a-z0-9]+", "-", stem.decode().lower()).strip("-") or "your-trap"
    return SourcesInput(frame, label, truth is not None, "messages per day", slug, "total",
                        ("vanished", "everything_else"), "vanished", found, truth)
