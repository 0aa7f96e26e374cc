"""After the takedown, from the published figures: how much of the fall persisted, who grew.

The fall is read from two MessageLabs figures: 52 bn/day on 8-15 March (row 5) and
about 33 bn/day on 17-23 March (row 4). Later figures give the global volume for
17 March - 15 April ("less than 32", row 362), April, May and June (rows 249, 250,
251) and the rest of the year (row 142). :func:`persistence` turns each into the
share of the week-after fall still missing, ``(before - volume) / (before - after)``:
1 means none of the fall had come back, 0 that spam was back at the 8-15 March level.

The point value uses the figures as printed. Its 90% *sensitivity range* (not a
confidence interval: no sampling model stands behind these figures) comes from a
Monte Carlo over what the figures leave open, each listed in :class:`Assumptions`
with where its range comes from:

- rounding of the printed values (estimated: half a unit of the last printed digit);
- the "less than" of row 362 (assumption: a width below 32);
- the weekday mix of each window (estimated: Microsoft's day-of-week index, rows
  212-218, with its amplitude varied to cover the weekend ratios of other sources);
- month length (assumption: a monthly "per day" may be the month's total over 30 days);
- vendor scale (assumption: the Symantec Intelligence, ISTR and Fairfax series against
  the MessageLabs Intelligence series of rows 4 and 5; no row measures both on one period);
- seasonality (assumption: how far a later month sits from March for seasonal reasons).

:func:`who_stepped_in` lists the botnets' shares and outputs before and after,
and :func:`contradictions` the rows that do not fit together; both are shown, not
resolved. Everything is monthly and comes from one vendor's traps: the figures cannot
say which botnet filled which day.

Examples
--------
>>> from spamlab import aftermath, figures
>>> table = figures.load()
>>> p = aftermath.persistence(table, n_draws=2000)
>>> round(float(p.loc[p["period"] == "May 2011", "share_missing"].iloc[0]), 2)
0.54
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from spamlab import figures
from spamlab.errors import ParameterError

__all__ = [
    "ASSUMPTION_SOURCES",
    "AS_PRINTED",
    "LATER_IDS",
    "WEEKDAY_INDEX_IDS",
    "WEEKEND_RATIOS",
    "Assumptions",
    "Botnet",
    "Window",
    "answer",
    "assumption_effects",
    "contradictions",
    "persistence",
    "published_block",
    "weekday_index",
    "who_stepped_in",
    "window",
]

#: the fall: the before week (row 5, 8-15 March) and the week after (row 4, 17-23 March)
BEFORE_ID, AFTER_ID = 5, 4
#: later global volumes, in the order a reader meets them
LATER_IDS: tuple[int, ...] = (362, 249, 250, 251, 142)
#: Microsoft's day-of-week index (Sunday ... Saturday), rows 212-218
WEEKDAY_INDEX_IDS: tuple[int, ...] = (212, 213, 214, 215, 216, 217, 218)
#: the published weekend-to-weekday ratios span about 0.71-0.90; the index's own is about 0.89
WEEKEND_RATIOS = (0.71, 0.90)


@dataclass(frozen=True)
class Assumptions:
    """What the figures leave open in :func:`persistence`; each is varied, never fixed.

    Parameters
    ----------
    less_than_width
        Row 362 says 17 March - 15 April averaged "less than 32": drawn in
        ``[32 - less_than_width, 32]`` (bn/day).
    weekday_amplitude
        Range of a factor on the day-of-week index's deviations from its mean (1:
        Microsoft's index as published; about 2.6 gives a weekend at 0.71 of weekdays).
    month_divisor_30
        Probability that a monthly "per day" figure is the month's total over 30 days
        rather than over its own length.
    vendor_scale
        Range of the scale of a report series against MessageLabs Intelligence (rows 4, 5).
    seasonality
        Range of a later month's seasonal departure from March (relative).
    rounding
        Whether the printed values are varied by half a unit of their last digit.

    Examples
    --------
    >>> Assumptions(less_than_width=1.0).less_than_width
    1.0
    """

    less_than_width: float = 3.0
    weekday_amplitude: tuple[float, float] = (0.5, 2.6)
    month_divisor_30: float = 0.5
    vendor_scale: tuple[float, float] = (0.9, 1.1)
    seasonality: tuple[float, float] = (-0.05, 0.05)
    rounding: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.less_than_width < 32:
            raise ParameterError(f"less_than_width={self.less_than_width}: must be in [0, 32)")
        if not 0 <= self.month_divisor_30 <= 1:
            raise ParameterError(f"month_divisor_30={self.month_divisor_30}: a probability, "
                                 "must be in [0, 1]")
        for name, lowest in (("weekday_amplitude", 0.0), ("vendor_scale", 1e-9),
                             ("seasonality", -0.99)):
            low, high = getattr(self, name)
            if not lowest <= low <= high:
                raise ParameterError(f"{name}={(low, high)}: needs {lowest} <= low <= high")


#: every assumption switched off: the range collapses to the figures as printed
AS_PRINTED = Assumptions(less_than_width=0.0, weekday_amplitude=(0.0, 0.0), month_divisor_30=0.0,
                         vendor_scale=(1.0, 1.0), seasonality=(0.0, 0.0), rounding=False)


@dataclass(frozen=True)
class Window:
    """One published global volume and the days it covers."""

    figure_id: int
    start: pd.Timestamp
    end: pd.Timestamp
    value: float
    qualifier: str
    report: str
    label: str = field(default="")

    @property
    def days(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, self.end, freq="D")

    @property
    def calendar_month(self) -> bool:
        """True when the window is exactly one calendar month."""
        return self.start.day == 1 and self.end == self.start + pd.offsets.MonthEnd(0)


def window(table: pd.DataFrame, figure_id: int) -> Window:
    """The :class:`Window` of global-volume row ``figure_id`` (bn/day).

    Raises
    ------
    ParameterError
        When the row is not a global spam volume per day.
    """
    row = figures.get(table, figure_id).iloc[0]
    if row["metric"] != "spam_volume_per_day" or row["entity"] != "global":
        raise ParameterError(f"figure {figure_id} is {row['metric']} of {row['entity']}, not the "
                             "global spam volume per day")
    start, end = pd.Timestamp(row["period_start"]), pd.Timestamp(row["period_end"])
    made = Window(figure_id, start, end, float(figures.to_per_day(float(row["value_mid"]),
                                                                    str(row["unit"]))),
                  "" if pd.isna(row["qualifier"]) else str(row["qualifier"]), str(row["report"]))
    label = (f"{start:%B %Y}" if made.calendar_month else
             f"{start:%d %b} - {end:%d %b %Y}".lstrip("0"))
    return Window(made.figure_id, start, end, made.value, made.qualifier, made.report, label)


def weekday_index(table: pd.DataFrame) -> pd.Series:
    """Microsoft's day-of-week index (rows 212-218) by weekday number (Monday = 0), mean 1."""
    rows = figures.get(table, list(WEEKDAY_INDEX_IDS))
    names = {day: number for number, day in enumerate(
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"))}
    index = pd.Series({names[str(r["entity"])]: float(r["value"]) for _, r in rows.iterrows()})
    return (index / index.mean()).sort_index()


def _half_unit(value: float) -> float:
    """Half a unit of the last printed digit of ``value`` (52 -> 0.5, 36.9 -> 0.05)."""
    for decimals in range(4):
        if abs(round(value, decimals) - value) < 1e-9:
            return 0.5 * 10.0 ** -decimals
    return 0.0


def _draw_level(w: Window, asm: Assumptions, index: pd.Series, scales: dict[str, np.ndarray],
                rng: np.random.Generator, n: int) -> np.ndarray:
    """Draws of the window's weekday-neutral, season-free level on the MessageLabs scale."""
    value = np.full(n, w.value)
    if asm.rounding:
        value = value + rng.uniform(-1, 1, n) * _half_unit(w.value)
    if figures.bound(w.qualifier) == "upper":
        value = value - rng.uniform(0, asm.less_than_width, n)
    amplitude = rng.uniform(*asm.weekday_amplitude, n)
    deviation = float((index.reindex(w.days.day_of_week).to_numpy() - 1).mean())
    value = value / (1 + amplitude * deviation)
    if w.calendar_month and w.days.size != 30:
        by_30 = rng.random(n) < asm.month_divisor_30
        value = np.where(by_30, value * 30 / w.days.size, value)
    if w.start.month > 3 or w.end.month > 4:
        value = value / (1 + rng.uniform(*asm.seasonality, n))
    return value / scales[w.report]


def persistence(table: pd.DataFrame, assumptions: Assumptions | None = None, *,
                n_draws: int = 20_000, seed: int = 20110316, interval: float = 0.90
                ) -> pd.DataFrame:
    """The share of the week-after fall still missing in each later published window.

    Parameters
    ----------
    table
        The published-figures table (:func:`spamlab.figures.load`).
    assumptions
        What the figures leave open (:class:`Assumptions`); :data:`AS_PRINTED`
        switches every one off.
    n_draws, seed
        Monte Carlo draws and seed of the sensitivity range.
    interval
        Central share of the draws the range holds.

    Returns
    -------
    pandas.DataFrame
        One row per later window: ``period``, ``start``, ``end``, ``volume`` (bn/day
        as published), ``hedge`` (the source's qualifier), ``share_missing`` (figures
        as printed), ``low``, ``high`` (the sensitivity range), ``figure_ids``
        (before, after, this window) and ``kind`` (``derived``).
    """
    asm = assumptions or Assumptions()
    if not 0 < interval < 1:
        raise ParameterError(f"interval={interval}: must be between 0 and 1")
    rng = np.random.default_rng(seed)
    index = weekday_index(table)
    before, after = window(table, BEFORE_ID), window(table, AFTER_ID)
    later = [window(table, i) for i in LATER_IDS]
    reports = {w.report for w in [before, after, *later]}
    scales = {r: (np.ones(n_draws) if r == before.report else rng.uniform(*asm.vendor_scale,
                                                                           n_draws))
              for r in sorted(reports)}
    b, a = (_draw_level(w, asm, index, scales, rng, n_draws) for w in (before, after))
    tail = (1 - interval) / 2 * 100
    rows = []
    for w in later:
        share = (b - _draw_level(w, asm, index, scales, rng, n_draws)) / (b - a)
        rows.append({
            "period": w.label, "start": w.start.date().isoformat(),
            "end": w.end.date().isoformat(), "volume": w.value, "hedge": w.qualifier or "none",
            "share_missing": (before.value - w.value) / (before.value - after.value),
            "low": float(np.percentile(share, tail)),
            "high": float(np.percentile(share, 100 - tail)),
            "figure_ids": (BEFORE_ID, AFTER_ID, w.figure_id), "kind": "derived"})
    return pd.DataFrame(rows)


#: how each assumption is set: estimated from rows, or an assumption
ASSUMPTION_SOURCES: dict[str, str] = {
    "rounding": "estimated: half a unit of each figure's last printed digit",
    "less_than_width": "assumption: row 362's 'less than 32' read as a value up to this far below",
    "weekday_amplitude": "estimated: Microsoft's day-of-week index (rows 212-218), its amplitude "
                         "varied to reach the weekend ratios of other sources (0.71-0.90)",
    "month_divisor_30": "assumption: a monthly 'per day' may be the month's total over 30 days",
    "vendor_scale": "assumption: no row measures two report series on one period",
    "seasonality": "assumption: no row gives 2011's seasonal pattern",
}


def assumption_effects(table: pd.DataFrame, assumptions: Assumptions | None = None, *,
                       n_draws: int = 20_000, seed: int = 20110316) -> pd.DataFrame:
    """The sensitivity range of each window with one assumption on at a time.

    Each row starts from :data:`AS_PRINTED` and switches on one field of
    ``assumptions`` (default :class:`Assumptions`), so a reader sees which one
    drives the width of :func:`persistence`'s range.

    Returns
    -------
    pandas.DataFrame
        ``assumption``, ``set_as`` (its value), ``source`` (estimated or assumed, and
        from what), then ``low``/``high`` columns per window label.
    """
    asm = assumptions or Assumptions()
    rows = []
    for name, source in ASSUMPTION_SOURCES.items():
        alone = Assumptions(**{**asdict(AS_PRINTED), name: getattr(asm, name)})
        frame = persistence(table, alone, n_draws=n_draws, seed=seed)
        row: dict[str, Any] = {"assumption": name, "set_as": getattr(asm, name), "source": source}
        for _, r in frame.iterrows():
            row[f"{r['period']}: low"] = float(r["low"])
            row[f"{r['period']}: high"] = float(r["high"])
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Botnet:
    """One botnet's (or group's) share and output before and after the takedown."""

    name: str
    before: str
    after: str
    change: str
    figure_ids: tuple[int, ...]


def _pct(table: pd.DataFrame, figure_id: int) -> float:
    return figures.value(table, figure_id)


def _share_text(table: pd.DataFrame, figure_id: int) -> str:
    row = figures.get(table, figure_id).iloc[0]
    hedge = "" if pd.isna(row["qualifier"]) else f"{row['qualifier']} "
    return (f"{hedge}{_pct(table, figure_id):g}% ({pd.Timestamp(row['period_start']):%b %Y}, "
            f"row {figure_id})")


def who_stepped_in(table: pd.DataFrame) -> pd.DataFrame:
    """The botnets' shares and outputs before and after the takedown, as published.

    Outputs implied from a share and a total use :func:`spamlab.figures.implied_volume`
    and :func:`spamlab.figures.implied_total`; where the table has no figure on one side,
    the row says so instead of guessing.

    Returns
    -------
    pandas.DataFrame
        ``botnet``, ``before``, ``after``, ``reading`` (what the two sides say, in
        words) and ``figure_ids``.
    """
    def get(figure_id: int) -> pd.Series:
        return figures.get(table, figure_id).iloc[0]

    all_before = figures.implied_volume(get(9), get(BEFORE_ID))
    all_after = figures.implied_volume(get(93), get(251))
    cutwail_total = figures.implied_total(get(348), get(347))
    xarvester = _pct(table, 352) / 100 * cutwail_total.estimate
    before_total, june = figures.value(table, BEFORE_ID), figures.value(table, 251)
    other_before = (1 - _pct(table, 9) / 100) * before_total
    other_after = (1 - _pct(table, 93) / 100) * june
    botnet_change = all_after.estimate - all_before.estimate
    rows = [
        Botnet("all botnets", f"{_share_text(table, 9)}: {all_before.estimate:.1f} bn/day "
                              f"of the 8-15 March 52",
               f"{_share_text(table, 93)}: {all_after.estimate:.1f} bn/day of June's 39.2",
               f"botnets sent {abs(botnet_change):.1f} bn/day "
               f"{'less' if botnet_change < 0 else 'more'} in June than before the takedown"
               + (": as a group they had not filled the void by June" if botnet_change < 0
                  else ""),
               (9, BEFORE_ID, 93, 251)),
        Botnet("spam not from botnets",
               f"{100 - _pct(table, 9):.1f}% (Mar 2011, from row 9): {other_before:.1f} bn/day",
               f"{100 - _pct(table, 93):.1f}% (Jun 2011, from row 93): {other_after:.1f} bn/day",
               f"{other_after - other_before:+.1f} bn/day", (9, BEFORE_ID, 93, 251)),
        Botnet("Rustock", _share_text(table, 2), "stopped on 16 March (rows 125, 130)",
               "its output ended; the rows below ask who, if anyone, took its place",
               (2, 125, 130)),
        Botnet("Bagle", f"{_share_text(table, 339)}; {_share_text(table, 18)}; "
                        f"{figures.value(table, 8):g} bn/day in Q1 (row 8)",
               "no figure after March in the table",
               f"its share went from {_pct(table, 339):g}% to {_pct(table, 18):g}% from January "
               "to March; with nothing after March the table cannot say it stepped in",
               (339, 18, 8)),
        Botnet("Cutwail", "no figure before the takedown in the table",
               f"{_share_text(table, 347)}: {figures.value(table, 348):g} bn/day (row 348)",
               f"{_pct(table, 347):g}% of spam in July; rows 347/348 imply a July total of "
               f"{cutwail_total.estimate:.1f} bn/day (see the contradictions)", (347, 348)),
        Botnet("Xarvester", f"{_share_text(table, 317)}",
               f"{_share_text(table, 352)}: about {xarvester:.1f} bn/day of the July total "
               "implied by rows 347/348",
               f"from under {_pct(table, 317):g}% to {_pct(table, 352):g}% of spam: the clearest "
               "growth in the table",
               (317, 352, 347, 348)),
        Botnet("Lethic", f"with Xarvester {_share_text(table, 45)}",
               "ranked first by messages 17-28 March at Microsoft (row 365)",
               "a rank at another vendor, not a volume", (45, 365)),
    ]
    return pd.DataFrame([{**asdict(r), "botnet": r.name} for r in rows]
                        )[["botnet", "before", "after", "change", "figure_ids"]].rename(
        columns={"change": "reading"})


def contradictions(table: pd.DataFrame) -> pd.DataFrame:
    """Rows about the months after the takedown that do not fit together, with the arithmetic.

    Returns
    -------
    pandas.DataFrame
        ``figure_ids``, ``what`` (the conflict in words, numbers computed from the rows).
    """
    week, month362, april = window(table, AFTER_ID), window(table, 362), window(table, 249)
    rest = month362.days.size - week.days.size
    needed = (month362.value * month362.days.size - week.value * week.days.size) / rest
    april_half = needed  # 1-15 April lies inside the remaining days
    second_half = (april.value * april.days.size - april_half * 15) / 15
    cutwail_total = figures.implied_total(figures.get(table, 348).iloc[0],
                                          figures.get(table, 347).iloc[0]).estimate
    june = figures.value(table, 251)
    return pd.DataFrame([
        {"figure_ids": (4, 362, 249),
         "what": f"row 362 puts 17 March - 15 April below {month362.value:g}; with about "
                 f"{week.value:g} for 17-23 March (row 4) the other {rest} days must average "
                 f"below {needed:.1f}, so with April at {april.value:g} (row 249) its second "
                 f"half would be above {second_half:.1f}"},
        {"figure_ids": (142, 249),
         "what": f"row 142 gives {figures.value(table, 142):g} for 17 March to the end of 2011, "
                 f"exactly April's figure (row 249); the months after April are "
                 f"{figures.value(table, 250):g} and {june:g} (rows 250, 251)"},
        {"figure_ids": (347, 348, 251),
         "what": f"Cutwail's {figures.value(table, 348):g} bn/day at {_pct(table, 347):g}% "
                 f"(rows 348/347) implies a July total of {cutwail_total:.1f} bn/day, "
                 f"{(cutwail_total / june - 1) * 100:.0f}% above June's {june:g} (row 251)"},
        {"figure_ids": (339, 18),
         "what": f"Bagle's share fell from {_pct(table, 339):g}% in January (row 339) to "
                 f"{_pct(table, 18):g}% in March (row 18), while the article says Bagle stepped in"},
    ])


def published_block(table: pd.DataFrame, assumptions: Assumptions | None = None, *,
                    n_draws: int = 20_000, seed: int = 20110316) -> list[dict[str, Any]]:
    """The ``after_takedown.published`` rows of ``results.json`` (one per later window)."""
    frame = persistence(table, assumptions, n_draws=n_draws, seed=seed)
    return [{"month": r["period"], "volume": r["volume"], "hedge": r["hedge"],
             "share_missing": round(float(r["share_missing"]), 4),
             "low": round(float(r["low"]), 4), "high": round(float(r["high"]), 4),
             "interval": "90% sensitivity range", "figure_ids": list(r["figure_ids"]),
             "kind": "derived", "synthetic": False}
            for _, r in frame.iterrows()]


def answer(table: pd.DataFrame, persisted: pd.DataFrame | None = None) -> str:
    """The published answer in words: how much of the fall persisted, month by month, who grew.

    ``persisted`` is :func:`persistence`'s frame (computed with the defaults when not given);
    every number in the text is read from it or from the table.

    Examples
    --------
    >>> answer(figures.load(), persistence(figures.load(), n_draws=2000)).split(".")[0]
    'Spam did not come back to its level before the takedown within the months the figures cover'

    """
    frame = persisted if persisted is not None else persistence(table)
    before, after = figures.value(table, BEFORE_ID), figures.value(table, AFTER_ID)
    months = frame[frame["figure_ids"].map(lambda ids: ids[-1] in (249, 250, 251))]
    parts = [f"{r['period'].split()[0]} {r['share_missing']:.0%} ({r['volume']:g} bn/day, "
             f"#{r['figure_ids'][-1]}; range {r['low']:.0%} to {r['high']:.0%})"
             for _, r in months.iterrows()]
    first = frame[frame["figure_ids"].map(lambda ids: ids[-1] == 362)].iloc[0]
    botnets = figures.implied_volume(figures.get(table, 93).iloc[0],
                                     figures.get(table, 251).iloc[0]).estimate
    botnets_before = figures.implied_volume(figures.get(table, 9).iloc[0],
                                            figures.get(table, BEFORE_ID).iloc[0]).estimate
    back = (months["low"] > 0).all()
    lead = ("Spam did not come back to its level before the takedown within the months the "
            "figures cover." if back else "Whether spam came back to its level before the "
            "takedown the figures cannot tell: some month's range reaches a full recovery.")
    grouped = ("they had not filled the void" if botnets < botnets_before
               else "as a group they sent as much as before")
    return (
        f"{lead} Of the fall from {before:g} bn/day on 8-15 March (#{BEFORE_ID}) to about "
        f"{after:g} on 17-23 March (#{AFTER_ID}), the share {'still ' if back else ''}missing was: " + "; ".join(parts)
        + f". For 17 March - 15 April, #362 ('less than {figures.value(table, 362):g}') puts it "
        f"at {first['share_missing']:.0%} or more. The ranges are 90% sensitivity ranges under "
        "stated assumptions, not confidence intervals. "
        f"Botnets as a group sent about {botnets_before:.1f} bn/day before (#9 x #5) and "
        f"{botnets:.1f} in June (#93 x #251): {grouped}. The one botnet the "
        f"table shows growing is Xarvester (under {figures.value(table, 317):g}% of spam in "
        f"December 2010, #317; {figures.value(table, 352):g}% in July 2011, #352); Bagle's "
        f"share fell from {figures.value(table, 339):g}% in January to "
        f"{figures.value(table, 18):g}% in March (#339, #18) and no later Bagle figure exists. "
        "These are monthly figures from one vendor's traps: they cannot say which botnet "
        "filled which day.")
