"""The six residual adjustments (hypotheses H1-H6 of docs/domain.md), vectorized over Monte Carlo draws.

Each adjustment maps the current :class:`Levels` (before level, after level,
Rustock's output, in bn/day, one value per draw) to new levels; the residual is
``before - after - rustock`` and an adjustment's size is the change it makes to
the residual. The steps run in the waterfall order of :data:`STEPS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spamlab.errors import DataError
from spamlab.residual.readings import RUSTOCK_READINGS, TREND_READINGS, Assumptions, figure

__all__ = [
    "STEPS",
    "Levels",
    "Published",
    "Step",
    "bases",
    "draw_inputs",
    "measurement",
    "other_botnets",
    "other_botnets_volume",
    "partial_day",
    "read_published",
    "rustock_hours_on_16th",
    "rustock_output",
    "step_figure_ids",
    "trend",
    "trend_per_day",
    "weekday",
    "weekday_weight",
    "weekly_swing_cv",
    "windows",
]

#: Days of March 2011 (1..31) that fall on a Saturday or Sunday.
_MARCH = pd.date_range("2011-03-01", "2011-03-31", freq="D")
_WEEKEND_CUMSUM = np.concatenate([[0], np.cumsum(_MARCH.day_of_week >= 5)])
#: Centre of February 2011 in days relative to 1 March 00:00 UTC.
_FEB_CENTRE = -14.0


@dataclass(frozen=True)
class Published:
    """The published numbers the adjustments use (row ids in the field comments)."""

    before: float  # 5: average bn/day, week before the takedown
    after: float  # 4: bn/day, days after
    rustock: float  # 1: Rustock bn/day ("as many as")
    rustock_share: float  # 2: Rustock share of spam, March average (fraction)
    commtouch_share: float  # 328 / 326: Rustock's 30 of Commtouch's 150 bn/day, 1-15 March
    commtouch_q1_share: float  # 75 / 76: Rustock's ~50 (1-16 March) of Commtouch's 149 bn/day (Q1)
    kaspersky_share: tuple[float, float]  # 168, 169: Rustock share 1-16 March (fractions)
    stop_hours: tuple[float, float]  # 125, 130: takedown hour of day, UTC
    weekend_ratio: tuple[float, float]  # 384, 212, 218, 219: weekend / weekday level
    march_vs_feb: float  # 236: March average vs February, fraction change
    change_15_17: float  # 3: 15 -> 17 March, fraction change
    change_10_17: float  # 30: 10 -> 17 March, fraction change
    first_half: float  # 361: 1-15 March bn/day ("less than": an upper bound)
    botnet_share: float  # 9: share of spam sent by all botnets, March (fraction)
    share_of_drop_on_16th: float  # 28, 29: fraction of the 15->17 March fall that fell by the 16th


def read_published(table: pd.DataFrame) -> Published:
    """Look up every figure the adjustments need (unit- and domain-checked, see :func:`figure`)."""
    pct, rate = "percent", "billion_per_day"
    weekend = [figure(table, i, "percent_of_weekday_avg", "positive") / 100 for i in (212, 218)]
    weekend += [figure(table, 384, pct, "positive") / 100, 1 + figure(table, 219, pct, "change") / 100]
    first_stop, last_stop = sorted((figure(table, 125, "hour_of_day_utc", "hour"),
                                    figure(table, 130, "hour_of_day_utc", "hour")))
    return Published(
        before=figure(table, 5, rate, "positive"),
        after=figure(table, 4, rate, "positive"),
        rustock=figure(table, 1, rate, "positive"),
        rustock_share=figure(table, 2, pct, "share") / 100,
        commtouch_share=figure(table, 328, rate, "positive") / figure(table, 326, rate, "positive"),
        commtouch_q1_share=figure(table, 75, rate, "positive") / figure(table, 76, rate, "positive"),
        kaspersky_share=(figure(table, 168, pct, "share") / 100,
                         figure(table, 169, pct, "share") / 100),
        stop_hours=(first_stop, last_stop),
        weekend_ratio=(min(weekend), max(weekend)),
        march_vs_feb=figure(table, 236, pct, "change") / 100,
        change_15_17=figure(table, 3, pct, "change") / 100,
        change_10_17=figure(table, 30, pct, "change") / 100,
        first_half=figure(table, 361, rate, "positive"),
        botnet_share=figure(table, 9, pct, "share") / 100,
        share_of_drop_on_16th=_share_of_drop_on_16th(figure(table, 28, pct, "change"),
                                                     figure(table, 29, pct, "change")),
    )


def _share_of_drop_on_16th(change_16: float, change_17: float) -> float:
    """Fraction of the two-day fall 15->17 March that happened by 16 March (rows 28, 29, percent)."""
    two_day = (1 + change_16 / 100) * (1 + change_17 / 100) - 1
    if two_day == 0:
        raise DataError(f"figures table, ids 28 and 29: the changes {change_16:g}% and "
                        f"{change_17:g}% leave no fall from 15 to 17 March to split")
    return (change_16 / 100) / two_day


@dataclass(frozen=True)
class Levels:
    """Before level, after level and Rustock's output, one value per draw (bn/day)."""

    before: np.ndarray
    after: np.ndarray
    rustock: np.ndarray

    @property
    def residual(self) -> np.ndarray:
        """``before - after - rustock``: the drop not attributed to Rustock."""
        return self.before - self.after - self.rustock


def draw_inputs(pub: Published, asm: Assumptions, n: int, rng: np.random.Generator) -> dict:
    """Draw every uncertain input once per Monte Carlo draw (seeded by ``rng``).

    Readings are drawn with the weights of :meth:`Assumptions.weights`.
    """
    h1, h4 = asm.weights(1), asm.weights(4)
    return {
        "before_days": rng.integers(asm.before_days[0], asm.before_days[1] + 1, n),
        "after_days": rng.integers(asm.after_days[0], asm.after_days[1] + 1, n),
        "includes_16th": rng.random(n) < asm.p_after_includes_16th,
        "stop_hour": rng.uniform(*pub.stop_hours, n),
        "weekend_ratio": rng.uniform(*pub.weekend_ratio, n),
        "rustock_reading": rng.choice(np.array(list(h1)), n, p=list(h1.values())),
        "kaspersky_share": rng.uniform(*pub.kaspersky_share, n),
        "trend_reading": rng.choice(np.array(list(h4)), n, p=list(h4.values())),
        "first_half": rng.uniform(pub.first_half - asm.less_than_width, pub.first_half, n),
        "z_trend": rng.standard_normal(n),
        "vendor_day": np.full(n, asm.vendor_day_from_figures),
        "other_change": rng.uniform(*asm.other_botnets_change, n),
        "noise_cv": rng.uniform(*asm.daily_noise_cv, n),
        "z_before": rng.standard_normal(n),
        "z_after": rng.standard_normal(n),
        "round_before": rng.uniform(-asm.rounding, asm.rounding, n),
        "round_after": rng.uniform(-asm.rounding, asm.rounding, n),
        "noise_ar1": np.full(n, asm.noise_ar1),
        # drawn last, so that adding it left every earlier draw of a seed unchanged
        "stated_change": rng.uniform(*asm.stated_output_change, n),
    }


def windows(d: dict) -> dict[str, np.ndarray]:
    """First day (of March), length and centre (days after 1 March 00:00) of both windows."""
    b_first = 16 - d["before_days"]
    a_first = np.where(d["includes_16th"], 16, 17)
    return {
        "b_first": b_first, "b_len": d["before_days"], "b_centre": b_first - 1 + d["before_days"] / 2,
        "a_first": a_first, "a_len": d["after_days"], "a_centre": a_first - 1 + d["after_days"] / 2,
    }


def _pre_takedown_days(d: dict) -> np.ndarray:
    return 15 + d["stop_hour"] / 24


def rustock_output(pub: Published, d: dict) -> np.ndarray:
    """Rustock's pre-takedown output under each draw's reading (hypothesis 1).

    ``stated_output`` is row 1 times ``1 + stated_change`` (0 unless
    ``Assumptions.stated_output_change`` gives it a range).
    """
    shape = d["kaspersky_share"].shape
    by_reading = {
        "stated_output": pub.rustock * (1 + d["stated_change"]),
        "march_share_on_week": np.full(shape, pub.rustock_share * pub.before),
        "march_share_of_botnet_spam": np.full(shape, pub.rustock_share * pub.botnet_share * pub.before),
        "commtouch_share": np.full(shape, pub.commtouch_share * pub.before),
        "commtouch_q1_share": np.full(shape, pub.commtouch_q1_share * pub.before),
        "kaspersky_share": d["kaspersky_share"] * pub.before,
    }
    return _select(d["rustock_reading"], by_reading)


def trend_per_day(pub: Published, d: dict) -> np.ndarray:
    """Pre-existing log-trend of volume per day under each draw's reading (hypothesis 4).

    ``march_10_vs_15`` compares two single days, so it carries the day-to-day
    noise H6 assumes (log-ratio sd ``sqrt(2) x noise_cv``); ``first_half_vs_week``
    reads row 361's "less than 51" as a draw below 51.
    """
    w = windows(d)
    pre = _pre_takedown_days(d)
    march_mean = (pre * pub.before + (31 - pre) * pub.after) / 31
    february = march_mean / (1 + pub.march_vs_feb)
    by_reading = {
        "feb_to_march": np.log(pub.before / february) / (w["b_centre"] - _FEB_CENTRE),
        "march_10_vs_15": (np.log((1 + pub.change_10_17) / (1 + pub.change_15_17))
                           + np.sqrt(2) * d["noise_cv"] * d["z_trend"]) / 5,
        "first_half_vs_week": np.log(pub.before / d["first_half"]) / (w["b_centre"] - 7.5),
    }
    return _select(d["trend_reading"], by_reading)


def _select(labels: np.ndarray, by_label: dict[str, np.ndarray]) -> np.ndarray:
    out = np.full(labels.shape, np.nan)
    for label, values in by_label.items():
        mask = labels == label
        out[mask] = values[mask]
    return out


def weekday_weight(first: np.ndarray, length: np.ndarray, weekend: np.ndarray) -> np.ndarray:
    """Mean day weight of March windows (weekdays 1, Saturday/Sunday ``weekend``)."""
    n_weekend = _WEEKEND_CUMSUM[first - 1 + length] - _WEEKEND_CUMSUM[first - 1]
    return (length - n_weekend + weekend * n_weekend) / length


def weekly_swing_cv(weekend_ratio: float) -> float:
    """Coefficient of variation of a week's daily levels: five weekdays at 1, two weekend days at the ratio.

    The published weekend/weekday ratios (rows 384, 212, 218, 219: 0.71-0.90)
    give 14% and 4.7%. This is the day-to-day spread the weekly cycle alone
    produces, the one source the figures give for ``Assumptions.daily_noise_cv``;
    H3 already corrects the windows for it, so as noise it may count it twice.

    Examples
    --------
    >>> round(weekly_swing_cv(0.90), 3), round(weekly_swing_cv(1.0), 3)
    (0.047, 0.0)
    """
    if not weekend_ratio > 0:
        raise DataError(f"weekend_ratio={weekend_ratio}: a weekend/weekday ratio must be > 0")
    days = np.array([1.0] * 5 + [weekend_ratio] * 2)
    return float(days.std() / days.mean())


def bases(lv: Levels, pub: Published, d: dict) -> Levels:
    """H1: Rustock's output on the base of the before week instead of the stated 13.82."""
    return Levels(lv.before, lv.after, rustock_output(pub, d))


def rustock_hours_on_16th(pub: Published, d: dict) -> np.ndarray:
    """Hours Rustock sent during the vendor's 16 March.

    On UTC days, the stop hour (rows 125, 130). On the vendor's days implied by
    rows 28 and 29 (the share of the two-day fall that came on the 16th is the
    share of that day Rustock was silent), ``24 x (1 - share)``, about 6.4 hours.
    """
    vendor = 24 * (1 - pub.share_of_drop_on_16th)
    return np.where(d["vendor_day"], vendor, d["stop_hour"])


def partial_day(lv: Levels, pub: Published, d: dict) -> Levels:
    """H2: remove Rustock's pre-stop hours of 16 March from an after window that holds that day."""
    w = windows(d)
    hours = rustock_hours_on_16th(pub, d)
    leftover = np.where(d["includes_16th"], lv.rustock * hours / 24 / w["a_len"], 0.0)
    return Levels(lv.before, lv.after - leftover, lv.rustock)


def weekday(lv: Levels, pub: Published, d: dict) -> Levels:
    """H3: put both window means on a typical-week basis (weekend ratio from rows 384, 212-219)."""
    w, ratio = windows(d), d["weekend_ratio"]
    week = (5 + 2 * ratio) / 7
    before = lv.before * week / weekday_weight(w["b_first"], w["b_len"], ratio)
    after = lv.after * week / weekday_weight(w["a_first"], w["a_len"], ratio)
    return Levels(before, after, lv.rustock)


def trend(lv: Levels, pub: Published, d: dict) -> Levels:
    """H4: carry the non-Rustock before level forward along the pre-existing trend."""
    w = windows(d)
    growth = np.exp(trend_per_day(pub, d) * (w["a_centre"] - w["b_centre"]))
    return Levels(lv.rustock + (lv.before - lv.rustock) * growth, lv.after, lv.rustock)


def other_botnets_volume(lv: Levels, pub: Published) -> np.ndarray:
    """Other botnets' pre-takedown output: all-botnet share (row 9) x before level - Rustock."""
    return np.maximum(pub.botnet_share * lv.before - lv.rustock, 0.0)


def other_botnets(lv: Levels, pub: Published, d: dict) -> Levels:
    """H5: undo a relative change of the other botnets' output across the takedown (assumption)."""
    change = d["other_change"] * other_botnets_volume(lv, pub)
    return Levels(lv.before, lv.after - change, lv.rustock)


def measurement(lv: Levels, pub: Published, d: dict) -> Levels:
    """H6: rounding of 52/33 and sampling noise of two window means (AR(1)-inflated)."""
    w, rho = windows(d), d["noise_ar1"]
    inflate = np.sqrt((1 + rho) / (1 - rho))
    se_b = d["noise_cv"] * lv.before * inflate / np.sqrt(w["b_len"])
    se_a = d["noise_cv"] * lv.after * inflate / np.sqrt(w["a_len"])
    before = lv.before + d["round_before"] + se_b * d["z_before"]
    after = lv.after + d["round_after"] + se_a * d["z_after"]
    return Levels(before, after, lv.rustock)


@dataclass(frozen=True)
class Step:
    """One adjustment: key, label, hypothesis number (docs/domain.md), figure ids, assumptions, note."""

    key: str
    label: str
    hypothesis: int
    figure_ids: tuple[int, ...]
    assumptions: tuple[str, ...]
    apply: Callable[[Levels, Published, dict], Levels]
    note: str = ""


STEPS: tuple[Step, ...] = (
    Step("different_bases", "different bases for Rustock's output", 1, (), ("rustock_readings",
         "rustock_weights", "stated_output_change"), bases,
         "Rustock's output read as 13.82 (row 1 'as many as'; 'more than' 13 and 13.8 in rows 323, "
         "303), 28.5% of the 52 bn week (rows 2, 5) or 28.5% of its botnet spam (rows 2, 9, 5); "
         "other vendors' shares (Commtouch rows 326/328 and 75/76, Kaspersky rows 168/169) are "
         "separate readings that point both ways, see residual_by_reading"),
    Step("partial_day", "partial first day in the after window", 2, (4, 14, 125, 130),
         ("p_after_includes_16th", "vendor_day_from_figures", "after_days"), partial_day,
         "can only ENLARGE the residual: if the after window holds 16 March (row 14), Rustock's "
         "hours on that day (about 6.4 on the vendor's day implied by rows 28/29) inflate its mean"),
    Step("weekday", "weekday composition of the windows", 3, (4, 5, 212, 218, 219, 384),
         ("before_days", "after_days"), weekday,
         "both window means put on a typical-week basis; weekend/weekday ratio 0.71-0.90"),
    Step("trend", "pre-existing trend", 4, (), ("trend_readings", "trend_weights", "less_than_width",
         "daily_noise_cv", "before_days", "after_days"), trend,
         "non-Rustock volume carried along a trend read three ways that disagree in sign: February "
         "backed out of March's -27.43% (row 236, which includes the takedown), 10 vs 15 March "
         "(rows 3, 30, two single days with noise) or 1-15 March 'less than 51' vs the week (361, 5)"),
    Step("other_botnets", "other botnets' change", 5, (9,), ("other_botnets_change",), other_botnets,
         "ASSUMPTION: size not published, none applied by default (see the collateral-needed "
         "curve); no row speaks of the other botnets on 16 March: Bagle's share fell from 20% in "
         "January (339) to 17.2% in March (18), its 8.31 (row 8) is a Q1 average, and Lethic's lead "
         "from 17 March (365) is a rank"),
    Step("measurement", "measurement: rounding and sampling noise", 6, (4, 5),
         ("daily_noise_cv", "noise_ar1", "rounding", "before_days", "after_days"), measurement,
         "ASSUMPTION: day-to-day noise of the vendor's estimate; 52 and 33 rounded to integers"),
)


def step_figure_ids(step: Step, asm: Assumptions) -> tuple[int, ...]:
    """Figure ids of a step, including those of the readings chosen in ``asm``."""
    ids = list(step.figure_ids)
    if step.key == "different_bases":
        ids += [i for r in asm.rustock_readings for i in RUSTOCK_READINGS[r]]
    if step.key == "partial_day" and asm.vendor_day_from_figures:
        ids += [28, 29]
    if step.key == "trend":
        ids += [i for r in asm.trend_readings for i in TREND_READINGS[r]]
    return tuple(sorted(set(ids)))
