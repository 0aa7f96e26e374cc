"""What the notebooks read: your daily series, or the labelled-synthetic scenario, cleaned.

:func:`read_daily` is the notebooks' input step. Given a file it reads it with
:func:`spamlab.series.read`, bins it into days with :func:`spamlab.clean.regularize`
(gaps stay NaN, flagged ``is_gap``) and flags outliers with
:func:`spamlab.clean.flag_outliers` (flagged, never removed). Without a file it
returns the total of the calibrated scenario (:func:`spamlab.scenario.calibrate`),
labelled synthetic. Either way the result is a :class:`DailyInput`: the frame plus
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
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from spamlab import clean, series
from spamlab.errors import ParameterError

#: the scenario the notebooks analyse without data: the one hypothesis whose calibration
#: reproduces the published figures (``scenario.calibrate_all()``; the others are marked
#: inconsistent, e.g. ``baseline`` reaches 47 -> 31 bn/day, not Symantec's 52 -> 33)
DEFAULT_HYPOTHESIS = "combined"
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
    """

    frame: pd.DataFrame
    label: str
    synthetic: bool
    unit: str
    slug: str
    y: str = "volume"

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


def read_daily(
    data: str | Path | None = None, *, date_col: str = "date", value_col: str = "count",
    tz: str | None = None, sep: str | None = None, decimal: str | None = None,
    date_format: str | None = None, encoding: str = "utf-8", on_bad_rows: str = "raise",
    aggregate: str | None = None, ambiguous: str = "raise", nonexistent: str = "raise",
    seed: int = 0, hypothesis: str = DEFAULT_HYPOTHESIS,
) -> DailyInput:
    """The notebooks' daily series: your file, or the synthetic scenario when ``data`` is None.

    Parameters
    ----------
    data
        A CSV or Parquet file, or None for the calibrated scenario.
    date_col, value_col
        The file's date and count columns (see :func:`spamlab.series.read`).
    tz
        Time zone of dates written without an offset; days are cut in this zone
        (UTC when None: date-only values are then read as UTC days).
    sep, decimal, date_format, encoding, on_bad_rows, aggregate, ambiguous, nonexistent
        How to read the file, as for :func:`spamlab.series.read` (separator and
        decimal mark are sniffed by default).
    seed, hypothesis
        Used only without ``data``: the scenario's seed and hypothesis (by default
        :data:`DEFAULT_HYPOTHESIS`, the one consistent with the published figures).

    Returns
    -------
    DailyInput
        A file gives ``volume`` in messages per day; the scenario gives
        ``total_synthetic`` in its own unit, labelled synthetic.

    Raises
    ------
    DataError
        From :func:`spamlab.series.read`: missing file, unknown column, bad rows.

    Examples
    --------
    >>> read_daily(None).figure_name("counterfactual")  # doctest: +SKIP
    'rustock-counterfactual-synthetic'
    """
    if data is None:
        return _scenario_input(seed, hypothesis)
    raw = series.read(data, date_col=date_col, value_col=value_col, tz=tz, sep=sep,
                      decimal=decimal, date_format=date_format, encoding=encoding,
                      on_bad_rows=on_bad_rows, aggregate=aggregate, ambiguous=ambiguous,
                      nonexistent=nonexistent)
    daily = _flag_outliers(clean.regularize(raw, freq="D", tz=tz or "UTC", how="sum"), "volume")
    stem = unicodedata.normalize("NFKD", Path(data).stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "your-data"
    return DailyInput(daily, Path(data).name, False, "messages per day", slug)


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
    zone = series.check_timezone(tz, "tz") if tz else "UTC"
    stamps = [series.as_timestamp(item, parameter, zone).tz_convert("UTC") for item in items]
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
    return pd.DataFrame(rows, columns=["what", "count"])
