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

from spamlab.residual.readings import RUSTOCK_READINGS, TREND_READINGS, Assumptions, figure

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
    rustock_floor: float  # 148, 323: the same report read as 13 ("more than 13" in 323)
    rustock_share: float  # 2: Rustock share of spam, March average (fraction)
    kaspersky_share: tuple[float, float]  # 168, 169: Rustock share 1-16 March (fractions)
    stop_hours: tuple[float, float]  # 125, 130: takedown hour of day, UTC
    weekend_ratio: tuple[float, float]  # 384, 212, 218, 219: weekend / weekday level
    march_vs_feb: float  # 236: March average vs February, fraction change
    change_15_17: float  # 3: 15 -> 17 March, fraction change
    change_10_17: float  # 30: 10 -> 17 March, fraction change
    first_half: float  # 361: 1-15 March bn/day ("less than")
    botnet_share: float  # 9: share of spam sent by all botnets, March (fraction)


def read_published(table: pd.DataFrame) -> Published:
    """Look up every figure the adjustments need (unit-checked, see :func:`figure`)."""
    pct = "percent"
    weekend = [figure(table, i, "percent_of_weekday_avg") / 100 for i in (212, 218)]
    weekend += [figure(table, 384, pct) / 100, 1 + figure(table, 219, pct) / 100]
    first_stop, last_stop = sorted((figure(table, 125, "hour_of_day_utc"),
                                    figure(table, 130, "hour_of_day_utc")))
    return Published(
        before=figure(table, 5, "billion_per_day"),
        after=figure(table, 4, "billion_per_day"),
        rustock=figure(table, 1, "billion_per_day"),
        rustock_floor=min(figure(table, 148, "billion_per_day"), figure(table, 323, "billion_per_day")),
        rustock_share=figure(table, 2, pct) / 100,
        kaspersky_share=(figure(table, 168, pct) / 100, figure(table, 169, pct) / 100),
        stop_hours=(first_stop, last_stop),
        weekend_ratio=(min(weekend), max(weekend)),
        march_vs_feb=figure(table, 236, pct) / 100,
        change_15_17=figure(table, 3, pct) / 100,
        change_10_17=figure(table, 30, pct) / 100,
        first_half=figure(table, 361, "billion_per_day"),
        botnet_share=figure(table, 9, pct) / 100,
    )


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
    """Draw every uncertain input once per Monte Carlo draw (seeded by ``rng``)."""
    return {
        "before_days": rng.integers(asm.before_days[0], asm.before_days[1] + 1, n),
        "after_days": rng.integers(asm.after_days[0], asm.after_days[1] + 1, n),
        "includes_16th": rng.random(n) < asm.p_after_includes_16th,
        "stop_hour": rng.uniform(*pub.stop_hours, n),
        "weekend_ratio": rng.uniform(*pub.weekend_ratio, n),
        "rustock_reading": rng.choice(np.array(asm.rustock_readings), n),
        "kaspersky_share": rng.uniform(*pub.kaspersky_share, n),
        "upper_bound_share": rng.random(n),
        "trend_reading": rng.choice(np.array(asm.trend_readings), n),
        "other_change": rng.uniform(*asm.other_botnets_change, n),
        "noise_cv": rng.uniform(*asm.daily_noise_cv, n),
        "z_before": rng.standard_normal(n),
        "z_after": rng.standard_normal(n),
        "round_before": rng.uniform(-asm.rounding, asm.rounding, n),
        "round_after": rng.uniform(-asm.rounding, asm.rounding, n),
        "noise_ar1": np.full(n, asm.noise_ar1),
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
    """Rustock's pre-takedown output under each draw's reading (hypothesis 1)."""
    pre = _pre_takedown_days(d)
    march_total = pre * pub.before + (31 - pre) * pub.after
    by_reading = {
        "stated_output": np.full(pre.shape, pub.rustock),
        "stated_upper_bound": pub.rustock_floor + d["upper_bound_share"] * (pub.rustock - pub.rustock_floor),
        "march_share_on_week": np.full(pre.shape, pub.rustock_share * pub.before),
        "march_share_pre_takedown": pub.rustock_share * march_total / pre,
        "kaspersky_share": d["kaspersky_share"] * pub.before,
    }
    return _select(d["rustock_reading"], by_reading)


def trend_per_day(pub: Published, d: dict) -> np.ndarray:
    """Pre-existing log-trend of volume per day under each draw's reading (hypothesis 4)."""
    w = windows(d)
    pre = _pre_takedown_days(d)
    march_mean = (pre * pub.before + (31 - pre) * pub.after) / 31
    february = march_mean / (1 + pub.march_vs_feb)
    by_reading = {
        "feb_to_march": np.log(pub.before / february) / (w["b_centre"] - _FEB_CENTRE),
        "march_10_vs_15": np.full(pre.shape, np.log((1 + pub.change_10_17) / (1 + pub.change_15_17)) / 5),
        "first_half_vs_week": np.log(pub.before / pub.first_half) / (w["b_centre"] - 7.5),
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


def bases(lv: Levels, pub: Published, d: dict) -> Levels:
    """H1: Rustock's output on the base of the before week instead of the stated 13.82."""
    return Levels(lv.before, lv.after, rustock_output(pub, d))


def partial_day(lv: Levels, pub: Published, d: dict) -> Levels:
    """H2: remove Rustock's pre-stop hours of 16 March from an after window that holds that day."""
    w = windows(d)
    leftover = np.where(d["includes_16th"], lv.rustock * d["stop_hour"] / 24 / w["a_len"], 0.0)
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
    Step("different_bases", "different bases for Rustock's output", 1, (), ("rustock_readings",), bases,
         "Rustock's pre-takedown output read as 13.82 (row 1), 'as many as' 13.82 with 13 from rows "
         "148/323 as the floor, 28.5% of the 52 bn week (rows 2, 5), "
         "the March share re-weighted to the pre-takedown days, or Kaspersky's 30-40% (rows 168-169)"),
    Step("partial_day", "partial first day in the after window", 2, (4, 14, 125, 130),
         ("p_after_includes_16th", "after_days"), partial_day,
         "if the after window holds 16 March (row 14), Rustock's hours before the stop "
         "(14:45 or 15:30 UTC) inflate its mean"),
    Step("weekday", "weekday composition of the windows", 3, (4, 5, 212, 218, 219, 384),
         ("before_days", "after_days"), weekday,
         "both window means put on a typical-week basis; weekend/weekday ratio 0.71-0.90"),
    Step("trend", "pre-existing trend", 4, (), ("trend_readings", "before_days", "after_days"), trend,
         "non-Rustock volume carried along a trend read from Feb->Mar (row 236), "
         "10 vs 15 March (rows 3, 30) or 1-15 March vs the week (rows 361, 5)"),
    Step("other_botnets", "other botnets' change", 5, (9,), ("other_botnets_change",), other_botnets,
         "ASSUMPTION: size not published; rows 18/19/339 (Bagle's share) and 365 (Lethic top) "
         "speak against collateral loss, but shares rise mechanically when Rustock leaves"),
    Step("measurement", "measurement: rounding and sampling noise", 6, (4, 5),
         ("daily_noise_cv", "noise_ar1", "rounding", "before_days", "after_days"), measurement,
         "ASSUMPTION: day-to-day noise of the vendor's estimate; 52 and 33 rounded to integers"),
)


def step_figure_ids(step: Step, asm: Assumptions) -> tuple[int, ...]:
    """Figure ids of a step, including those of the readings chosen in ``asm``."""
    ids = list(step.figure_ids)
    if step.key == "different_bases":
        ids += [i for r in asm.rustock_readings for i in RUSTOCK_READINGS[r]]
    if step.key == "trend":
        ids += [i for r in asm.trend_readings for i in TREND_READINGS[r]]
    return tuple(sorted(set(ids)))
