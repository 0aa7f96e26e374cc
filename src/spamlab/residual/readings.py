"""Figures and named assumptions that feed the residual accounting.

Every number here comes either from a row of the published-figures table
(looked up by id, with its unit checked) or from :class:`Assumptions`, whose
fields are explicit, named, and labelled as assumptions in the output table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spamlab import figures
from spamlab.errors import DataError, ParameterError

__all__ = [
    "DOMAINS",
    "MESSAGELABS_READINGS",
    "NAIVE_IDS",
    "OTHER_VENDOR_READINGS",
    "READING_LABELS",
    "RUSTOCK_READINGS",
    "TREND_READINGS",
    "Assumptions",
    "figure",
    "figure_range",
]

#: Figure ids the headline (naive) residual is computed from: before, after, Rustock.
NAIVE_IDS: tuple[int, int, int] = (5, 4, 1)

#: Readings of Rustock's pre-takedown output (hypothesis 1), with the figure ids each uses.
#: The first three are Symantec MessageLabs' own numbers; the last three put another vendor's share
#: of Rustock on MessageLabs' 52 bn week (one vendor's share on another vendor's scale).
RUSTOCK_READINGS: dict[str, tuple[int, ...]] = {
    "stated_output": (1,),
    "march_share_on_week": (2, 5),
    "march_share_of_botnet_spam": (2, 9, 5),
    "commtouch_share": (328, 326, 5),
    "commtouch_q1_share": (75, 76, 5),
    "kaspersky_share": (168, 169, 5),
}

#: The readings that put another vendor's share of Rustock on the 52 bn week (not pooled by default).
OTHER_VENDOR_READINGS: tuple[str, ...] = ("commtouch_share", "commtouch_q1_share", "kaspersky_share")

#: Readings of hypothesis 1 built from MessageLabs' figures alone (the default pool).
MESSAGELABS_READINGS: tuple[str, ...] = ("stated_output", "march_share_on_week",
                                         "march_share_of_botnet_spam")

#: Readings of the pre-existing trend (hypothesis 4), with the figure ids each uses.
TREND_READINGS: dict[str, tuple[int, ...]] = {
    "feb_to_march": (236, 4, 5, 125),
    "march_10_vs_15": (3, 30),
    "first_half_vs_week": (361, 5),
}

#: What a reading says, in one line (shown in the per-reading tables of notebook 03).
READING_LABELS: dict[str, str] = {
    "stated_output": ("13.82 bn/day as stated (row 1 'as many as'; the same number is 'more than 13' "
                      "in row 323 and 'more than 13.8' at peak in row 303)"),
    "march_share_on_week": "28.5% March share of the 52 bn week",
    "march_share_of_botnet_spam": "28.5% of botnet spam (83.1% of the 52 bn week)",
    "commtouch_share": "Commtouch's 30 of 150 bn/day (20%, 1-15 March) on the 52 bn week",
    "commtouch_q1_share": "Commtouch's about 50 (1-16 March) of 149 bn/day (Q1 average; 33.6%) on the 52 bn week",
    "kaspersky_share": "Kaspersky's 30-40% (1-16 March) on the 52 bn week",
    "feb_to_march": "February level backed out of March's -27.43% (which includes the takedown)",
    "march_10_vs_15": "10 vs 15 March from two articles' changes to 17 March, with day-to-day noise",
    "first_half_vs_week": "1-15 March 'less than 51' vs the 8-15 March week of 52",
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
    vendor_day_from_figures
        True: the vendor's day starts 8-9 hours after midnight UTC, the boundary at
        which the day-over-day changes of rows 28 and 29 fit the stop times of rows
        125 and 130 (``consistency()``); False: UTC days.
    rustock_readings, trend_readings
        Competing readings pooled in the Monte Carlo (keys of ``RUSTOCK_READINGS``
        and ``TREND_READINGS``). Default H1 pool: MessageLabs' own readings only.
    rustock_weights, trend_weights
        Weight of each reading in the pool, in the same order (normalized); None:
        equal weights.
    stated_output_change
        Range of the relative error of row 1's 13.82 under the ``stated_output``
        reading, drawn uniformly. (0, 0), the default, takes 13.82 as exact. Row 1
        says "as many as" (a value at or below 13.82: a negative range), rows 303
        and 323 say "more than" 13.8 (peak) and 13 (a positive range), so neither
        side is a hard cap.
    less_than_width
        Row 361 says 1-15 March averaged "less than 51": read as a value drawn in
        ``[51 - less_than_width, 51]``. Width 1 by default; 2.5 or more holds the
        48.5 bn base that rows 1 and 2 imply, which also satisfies "less than 51".
    other_botnets_change
        Range of the relative change of the other botnets' output across the
        takedown (negative = collateral pause). Its size is not published, so the
        default applies none; notebook 03 shows the collateral needed instead.
    daily_noise_cv, noise_ar1
        Day-to-day coefficient of variation of a vendor's daily estimate and its
        lag-1 autocorrelation (sampling noise of the window means). The default
        3-10% has no published source; :func:`spamlab.residual.adjustments.weekly_swing_cv`
        gives the
        coefficient of variation the published weekend ratios alone imply
        (4.7-14%), which H3 already models, so zero is the other side.
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
    vendor_day_from_figures: bool = True
    rustock_readings: tuple[str, ...] = MESSAGELABS_READINGS
    rustock_weights: tuple[float, ...] | None = None
    trend_readings: tuple[str, ...] = tuple(TREND_READINGS)
    trend_weights: tuple[float, ...] | None = None
    stated_output_change: tuple[float, float] = (0.0, 0.0)
    less_than_width: float = 1.0
    other_botnets_change: tuple[float, float] = (0.0, 0.0)
    daily_noise_cv: tuple[float, float] = (0.03, 0.10)
    noise_ar1: float = 0.3
    rounding: float = 0.5

    def __post_init__(self) -> None:
        _check_range("before_days", self.before_days, 1, 15)
        _check_range("after_days", self.after_days, 1, 14)
        _check_range("other_botnets_change", self.other_botnets_change, -1.0, 10.0)
        _check_range("daily_noise_cv", self.daily_noise_cv, 0.0, 1.0)
        _check_range("stated_output_change", self.stated_output_change, -0.5, 0.5)
        _check_unit("p_after_includes_16th", self.p_after_includes_16th)
        _check_unit("noise_ar1", self.noise_ar1, upper_open=True)
        for name in ("rounding", "less_than_width"):
            if not getattr(self, name) >= 0:
                raise ParameterError(f"{name}={getattr(self, name)}: must be >= 0")
        _check_readings("rustock_readings", self.rustock_readings, RUSTOCK_READINGS)
        _check_readings("trend_readings", self.trend_readings, TREND_READINGS)
        _check_weights("rustock_weights", self.rustock_weights, self.rustock_readings)
        _check_weights("trend_weights", self.trend_weights, self.trend_readings)

    def weights(self, hypothesis: int) -> dict[str, float]:
        """Normalized weight of each pooled reading of hypothesis 1 or 4.

        Examples
        --------
        >>> Assumptions().weights(1)["stated_output"]
        0.3333333333333333
        """
        readings, weights = ((self.rustock_readings, self.rustock_weights) if hypothesis == 1
                             else (self.trend_readings, self.trend_weights))
        raw = weights or (1.0,) * len(readings)
        return {r: w / sum(raw) for r, w in zip(readings, raw, strict=True)}


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


def _check_weights(name: str, weights: tuple[float, ...] | None, readings: tuple[str, ...]) -> None:
    if weights is None:
        return
    if len(weights) != len(readings) or min(weights) < 0 or not sum(weights) > 0:
        raise ParameterError(f"{name}={weights!r}: need one weight >= 0 per reading "
                             f"({len(readings)}), not all zero")


#: What a figure's number may be, by the kind of quantity it is: (test, reason).
DOMAINS: dict[str, tuple[Callable[[float], bool], str]] = {
    "positive": (lambda v: v > 0, "must be > 0"),
    "share": (lambda v: 0 < v <= 100, "a share must lie in (0, 100] percent"),
    "change": (lambda v: v > -100, "a percent change must be above -100 (a fall of all of it)"),
    "hour": (lambda v: 0 <= v <= 24, "an hour of the day must lie in 0..24"),
    "target_change": (lambda v: v > -100 and v != 0,
                      ("a percent change must be above -100, and not 0 when it is a target "
                       "matched in relative terms")),
}


def figure(table: pd.DataFrame, figure_id: int, unit: str, domain: str | None = None) -> float:
    """One figure's number, checking it exists, has the expected unit and, with
    ``domain`` (a key of :data:`DOMAINS`), a possible value.

    Percent units are returned as published (28.5, not 0.285).

    Raises
    ------
    DataError
        If the id is missing, the row's unit differs from ``unit``, or the number is
        outside ``domain`` (a share of 0 or above 100%, a fall of more than 100%, ...).

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
    if domain is not None and not DOMAINS[domain][0](number):
        raise DataError(f"figures table, id {figure_id} ({row['metric']}, {row['entity']}): "
                        f"value {number:g} {unit}: {DOMAINS[domain][1]}")
    return number


def figure_range(table: pd.DataFrame, figure_id: int, unit: str) -> tuple[float, float]:
    """``(value_low, value_high)`` of one figure (equal for point values)."""
    figure(table, figure_id, unit)
    row = figures.get(table, int(figure_id)).iloc[0]
    return float(row["value_low"]), float(row["value_high"])
