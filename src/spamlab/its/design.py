"""Design matrices of the segmented ITS regression.

Columns, in order: ``const``, ``trend`` (observation periods 1, 2, 3, ...), per
interruption ``level[LABEL]`` (fraction of the period at or after the
interruption: 0, a partial value for the period holding it, then 1) and, with
``slope_change``, ``slope[LABEL]`` (periods elapsed since the interruption at the
start of each observation: 0 up to and including the first full post period,
then the exact fractional elapsed time, so a mid-day interruption moves the
ramp by the same fraction as the level indicator), then seasonal terms and
covariates.

Examples
--------
>>> import pandas as pd
>>> from spamlab.its.data import prepare
>>> frame = pd.DataFrame({"v": range(21)}, index=pd.date_range("2011-03-01", periods=21))
>>> x = build(prepare(frame, "v", ["2011-03-15"]), seasonality="dow").matrix
>>> list(x.columns[:3]), float(x["level[2011-03-15]"].iloc[14])
(['const', 'trend', 'level[2011-03-15]'], 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spamlab.errors import DataError, ParameterError
from spamlab.its.data import PreparedSeries
from spamlab.its.specification import fourier_terms, seasonal_items

__all__ = [
    "DAY_NAMES",
    "IDENTIFIED_TOL",
    "Design",
    "build",
    "check_identified",
    "log_exposure",
    "seasonal_columns",
]

DAY_NAMES: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
IDENTIFIED_TOL: float = 1e-10
"""The design (columns scaled to unit length, observed rows) is not identified when its
smallest singular value is below this times its largest (:func:`check_identified`)."""


@dataclass(frozen=True)
class Design:
    """Regressors of a segmented model.

    Attributes
    ----------
    matrix
        Regressors on the series' index.
    terms
        ``(interruption label, kind, column)`` for every interruption column,
        kind being ``'level_change'`` or ``'slope_change'``.
    offset
        ``log(exposure)`` or ``None``.
    """

    matrix: pd.DataFrame
    terms: tuple[tuple[str, str, str], ...]
    offset: np.ndarray | None

    @property
    def interruption_columns(self) -> list[str]:
        """Names of the level and slope columns."""
        return [column for _, _, column in self.terms]

    def counterfactual_matrix(self) -> pd.DataFrame:
        """The regressors with every interruption term switched off."""
        return self.matrix.assign(**{c: 0.0 for c in self.interruption_columns})


def build(
    series: PreparedSeries,
    seasonality: str | Sequence[str] | None = None,
    slope_change: bool = True,
    covariates: Sequence[str] = (),
    exposure: str | None = None,
    trend: bool = True,
) -> Design:
    """Assemble the design matrix for ``series``.

    Parameters
    ----------
    series
        Output of :func:`spamlab.its.data.prepare`.
    seasonality
        ``None``, ``"dow"``, ``"fourier:PERIOD:ORDER"`` (PERIOD in observation
        periods, ``1 <= ORDER <= PERIOD/2``) or a list of these.
    slope_change
        Add a change-in-slope column per interruption.
    covariates
        Control-series columns of ``series.frame``.
    exposure
        Column whose logarithm is the offset.
    trend
        Include the linear trend.
    """
    columns: dict[str, np.ndarray] = {"const": np.ones(len(series.y))}
    if trend:
        columns["trend"] = series.starts + 1.0
    terms: list[tuple[str, str, str]] = []
    for k, label in enumerate(series.labels):
        columns[f"level[{label}]"] = series.exposure_fraction(k)
        terms.append((label, "level_change", f"level[{label}]"))
        if slope_change:
            columns[f"slope[{label}]"] = series.elapsed(k)
            terms.append((label, "slope_change", f"slope[{label}]"))
    columns.update(seasonal_columns(series, seasonality))
    columns.update(_covariate_columns(series.frame, covariates))
    matrix = pd.DataFrame(columns, index=series.index)
    offset = None if exposure is None else log_exposure(series.frame, exposure)
    return Design(matrix, tuple(terms), offset)


def check_identified(matrix: pd.DataFrame, observed: np.ndarray) -> None:
    """Refuse a design whose columns are linearly dependent on the ``observed`` rows.

    The fits would otherwise run on a pseudo-inverse (OLS, GLM: arbitrary split of the
    effect between the dependent columns, a variance of 0 or NaN) or fail in linear
    algebra (``reml``, ``arma``: ``LinAlgError``, or estimates of 1e14). Columns are
    scaled to unit length; when the condition number exceeds ``1 / IDENTIFIED_TOL``,
    the columns that make it so, taken in order, are named.

    Raises
    ------
    ParameterError
        Naming the dependent columns and the usual causes.

    Examples
    --------
    >>> x = pd.DataFrame({"const": [1.0] * 4, "trend": [1.0, 2, 3, 4], "slope[4]": [0.0] * 4})
    >>> check_identified(x, np.ones(4, dtype=bool))
    Traceback (most recent call last):
    ...
    spamlab.errors.ParameterError: the model is not identified on the 4 observed rows: slope[4] is 0 on every observed row (an interruption at or after the last observed period has no slope change to estimate: use slope_change=False or data after it; a covariate must not be all 0)
    """
    x = matrix.to_numpy(dtype=float)[observed]
    norms = np.linalg.norm(x, axis=0)
    zero = [c for c, v in zip(matrix.columns, norms) if v == 0]
    if zero:
        raise ParameterError(f"the model is not identified on the {len(x)} observed rows: "
                             f"{', '.join(zero)} {'is' if len(zero) == 1 else 'are'} 0 on every "
                             "observed row (an interruption at or after the last observed "
                             "period has no slope change to estimate: use slope_change=False "
                             "or data after it; a covariate must not be all 0)")
    if len(x) < x.shape[1]:
        raise ParameterError(f"the model has {x.shape[1]} regressors ({', '.join(matrix.columns)}) "
                             f"but only {len(x)} observed rows; drop seasonal terms or "
                             "covariates, or give more data")
    dependent = _dependent_columns(x / norms, list(matrix.columns))
    if dependent:
        raise ParameterError(
            f"the model is not identified on the {len(x)} observed rows: {', '.join(dependent)} "
            f"{'is a linear combination' if len(dependent) == 1 else 'are linear combinations'}"
            " of earlier columns (const, trend, level and slope changes, seasonal terms, "
            "covariates, in that order). Usual causes: two interruptions less than 2 observed periods "
            "apart, or a single observed period before the first, with slope_change=True; "
            "seasonal terms that repeat each other ('dow' with 'fourier:7:K') or a Fourier "
            "period longer than the series; a covariate that is constant or copies another "
            "column. Drop the term, set slope_change=False, or give more data")


def _dependent_columns(x: np.ndarray, names: list[str]) -> list[str]:
    """Columns of unit-length ``x`` that, taken in order, make it ill-conditioned."""
    if _well_conditioned(x):
        return []
    kept: list[int] = []
    dependent = []
    for j, name in enumerate(names):
        if _well_conditioned(x[:, kept + [j]]):
            kept.append(j)
        else:
            dependent.append(name)
    return dependent


def _well_conditioned(x: np.ndarray) -> bool:
    values = np.linalg.svd(x, compute_uv=False)
    return bool(values[-1] >= IDENTIFIED_TOL * values[0])


def seasonal_columns(series: PreparedSeries,
                     seasonality: str | Sequence[str] | None) -> dict[str, np.ndarray]:
    """Day-of-week dummies and/or Fourier pairs for ``seasonality``.

    ``"fourier:PERIOD:ORDER"`` gives ``sin`` and ``cos`` of ``2 pi j t / PERIOD`` for
    ``j = 1 .. ORDER``; with ``ORDER = PERIOD/2`` (the full set, e.g. ``"fourier:12:6"``
    for months, as R's ``forecast::fourier``) the last sine is identically zero on
    whole periods and is left out, so the set spans the same space as PERIOD - 1 dummies.
    """
    columns: dict[str, np.ndarray] = {}
    for item in seasonal_items(seasonality):
        if item == "dow":
            columns.update(_dow_columns(series))
            continue
        period, order = fourier_terms(item)
        for j in range(1, order + 1):
            angle = 2 * np.pi * j * series.starts / period
            if 2 * j != period:  # at ORDER = PERIOD/2 the sine is 0 at every whole period
                columns[f"sin({period:g},{j})"] = np.sin(angle)
            columns[f"cos({period:g},{j})"] = np.cos(angle)
    return columns


def _dow_columns(series: PreparedSeries) -> dict[str, np.ndarray]:
    if not series.is_datetime:
        raise ParameterError("seasonality='dow' needs a DatetimeIndex (daily data)")
    days = series.index.day_of_week.to_numpy()
    if len(np.unique(days)) < 7:
        raise ParameterError("seasonality='dow' needs daily data covering all seven weekdays")
    return {f"dow[{DAY_NAMES[d]}]": (days == d).astype(float) for d in range(1, 7)}


def _covariate_columns(frame: pd.DataFrame, covariates: Sequence[str]) -> dict[str, np.ndarray]:
    if isinstance(covariates, str):
        covariates = [covariates]
    columns = {}
    for name in covariates:
        if name not in frame.columns:
            raise DataError(f"covariate column {name!r} not in data (columns: {list(frame.columns)})")
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(float)
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            raise DataError(f"covariate column {name!r}: {len(bad)} missing or non-numeric "
                            f"value(s), first at row {bad[0]} ({frame.index[bad[0]]})")
        columns[name] = values
    return columns


def log_exposure(frame: pd.DataFrame, exposure: str) -> np.ndarray:
    """``log(frame[exposure])`` after checking every value is finite and > 0."""
    if exposure not in frame.columns:
        raise DataError(f"exposure column {exposure!r} not in data (columns: {list(frame.columns)})")
    values = pd.to_numeric(frame[exposure], errors="coerce").to_numpy(float)
    bad = np.flatnonzero(~(np.isfinite(values) & (values > 0)))
    if len(bad):
        raise DataError(f"exposure column {exposure!r}: {len(bad)} value(s) missing or <= 0, "
                        f"first at row {bad[0]} ({frame.index[bad[0]]}: {values[bad[0]]!r}); "
                        "exposure must be > 0")
    return np.log(values)
