"""Figures and named assumptions that feed the residual accounting.

Every number here comes either from a row of the published-figures table
(looked up by id, with its unit checked) or from :class:`Assumptions`, whose
fields are explicit, named, and labelled as assumptions in the output table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spamlab import figures
from spamlab.errors import DataError, ParameterError

#: Figure ids the headline (naive) residual is computed from: before, after, Rustock.
NAIVE_IDS: tuple[int, int, int] = (5, 4, 1)

#: Readings of Rustock's pre-takedown output (hypothesis 1), with the figure ids each uses.
RUSTOCK_READINGS: dict[str, tuple[int, ...]] = {
    "stated_output": (1,),
    "stated_upper_bound": (1, 148, 323),
    "march_share_on_week": (2, 5),
    "march_share_pre_takedown": (2, 4, 5, 125, 130),
    "kaspersky_share": (168, 169, 5),
}

#: Readings of the pre-existing trend (hypothesis 4), with the figure ids each uses.
TREND_READINGS: dict[str, tuple[int, ...]] = {
    "feb_to_march": (236, 4, 5, 125),
    "march_10_vs_15": (3, 30),
    "first_half_vs_week": (361, 5),
}


@dataclass(frozen=True)
class Assumptions:
    """Inputs the published figures do not pin down; each is labelled *assumption*.

    Parameters
    ----------
    before_days, after_days
        Inclusive ranges of the unknown window lengths (days) behind rows 5 and 4:
        the before window ends on 15 March, the after window starts on 17 March
        (or on 16 March, see ``p_after_includes_16th``). Drawn uniformly.
    p_after_includes_16th
        Probability that the "after" window contains the takedown day (row 4 reads
        17-23 March, row 14 reads 16-23 March).
    rustock_readings, trend_readings
        Competing readings drawn with equal weight (keys of ``RUSTOCK_READINGS``
        and ``TREND_READINGS``).
    other_botnets_change
        Range of the relative change of the other botnets' output across the
        takedown (negative = collateral pause). Its size is not published.
    daily_noise_cv, noise_ar1
        Day-to-day coefficient of variation of a vendor's daily estimate and its
        lag-1 autocorrelation (sampling noise of the window means).
    rounding
        Half-width of the rounding of the published levels 52 and 33 (bn/day).

    Examples
    --------
    >>> Assumptions(before_days=(7, 7)).before_days
    (7, 7)
    """

    before_days: tuple[int, int] = (5, 8)
    after_days: tuple[int, int] = (3, 8)
    p_after_includes_16th: float = 0.5
    rustock_readings: tuple[str, ...] = tuple(RUSTOCK_READINGS)
    trend_readings: tuple[str, ...] = tuple(TREND_READINGS)
    other_botnets_change: tuple[float, float] = (-0.10, 0.10)
    daily_noise_cv: tuple[float, float] = (0.03, 0.10)
    noise_ar1: float = 0.3
    rounding: float = 0.5

    def __post_init__(self) -> None:
        _check_range("before_days", self.before_days, 1, 15)
        _check_range("after_days", self.after_days, 1, 14)
        _check_range("other_botnets_change", self.other_botnets_change, -1.0, 10.0)
        _check_range("daily_noise_cv", self.daily_noise_cv, 0.0, 1.0)
        _check_unit("p_after_includes_16th", self.p_after_includes_16th)
        _check_unit("noise_ar1", self.noise_ar1, upper_open=True)
        if self.rounding < 0:
            raise ParameterError(f"rounding={self.rounding}: must be >= 0")
        _check_readings("rustock_readings", self.rustock_readings, RUSTOCK_READINGS)
        _check_readings("trend_readings", self.trend_readings, TREND_READINGS)


def _check_range(name: str, pair: tuple[float, float], lower: float, upper: float) -> None:
    if len(pair) != 2 or not lower <= pair[0] <= pair[1] <= upper:
        raise ParameterError(
            f"{name}={pair!r}: need (low, high) with {lower} <= low <= high <= {upper}"
        )


def _check_unit(name: str, value: float, upper_open: bool = False) -> None:
    ok = 0.0 <= value < 1.0 if upper_open else 0.0 <= value <= 1.0
    if not ok:
        raise ParameterError(f"{name}={value}: must lie in [0, 1{')' if upper_open else ']'}")


def _check_readings(name: str, chosen: tuple[str, ...], known: dict[str, tuple[int, ...]]) -> None:
    unknown = [r for r in chosen if r not in known]
    if not chosen or unknown:
        raise ParameterError(f"{name}={chosen!r}: choose one or more of {sorted(known)}")


def figure(table: pd.DataFrame, figure_id: int, unit: str) -> float:
    """One figure's number, checking it exists and has the expected unit.

    Percent units are returned as published (28.5, not 0.285).

    Raises
    ------
    DataError
        If the id is missing or the row's unit differs from ``unit``.

    Examples
    --------
    >>> figure(figures.load(), 5, "billion_per_day")
    52.0
    """
    try:
        row = figures.get(table, int(figure_id)).iloc[0]
    except KeyError:
        raise DataError(f"figures table: id {figure_id} is missing; the residual needs it") from None
    if row["unit"] != unit:
        raise DataError(
            f"figures table, id {figure_id}: unit is {row['unit']!r}, expected {unit!r}"
        )
    number = float(row["value_mid"])
    if not np.isfinite(number):
        raise DataError(f"figures table, id {figure_id}: no number")
    return number


def figure_range(table: pd.DataFrame, figure_id: int, unit: str) -> tuple[float, float]:
    """``(value_low, value_high)`` of one figure (equal for point values)."""
    figure(table, figure_id, unit)
    row = figures.get(table, int(figure_id)).iloc[0]
    return float(row["value_low"]), float(row["value_high"])
