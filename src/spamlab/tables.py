"""Small labelled tables for the notebooks, and the sentences that read results under them.

:func:`labelled` turns a dict into a table whose headers say what is in it (with the unit);
the ``*_reading`` functions write the sentence a notebook prints under a result, every
number in it computed from that result.

Examples
--------
>>> from spamlab import tables
>>> tables.labelled({"durbin_watson": 1.64, "ljung_box_p": 0.018},
...                 key="diagnostic", value="value")
      diagnostic  value
0  durbin_watson  1.640
1    ljung_box_p  0.018
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from spamlab.errors import ParameterError

__all__ = [
    "after",
    "breaks_reading",
    "calibration_end_reading",
    "cumulative_reading",
    "headline_reading",
    "horizon_reading",
    "labelled",
    "placebo_reading",
    "power_reading",
    "sensitivity_reading",
]


def labelled(mapping: Mapping[Any, Any], key: str, value: str,
             exclude: tuple[Any, ...] = (), digits: int | None = None) -> pd.DataFrame:
    """A mapping as a two-column table whose headers say what the keys and values are.

    Parameters
    ----------
    mapping
        The dict to show, e.g. a fit's ``diagnostics`` or ``{post days: smallest fall}``.
    key
        Header of the keys' column, e.g. ``"days after the interruption"``.
    value
        Header of the values' column, with the unit where there is one, e.g.
        ``"smallest detectable fall (billion messages per day)"``.
    exclude
        Keys to leave out (e.g. a long autocorrelation list).
    digits
        Significant digits of float values, shown as text (a column mixing flags, counts
        and p-values would otherwise print ``1.1e-07`` as ``0.0``); ``None``: as they are.

    Returns
    -------
    pandas.DataFrame
        One row per kept key, in the mapping's order, columns ``key`` and ``value``.

    Raises
    ------
    ParameterError
        When ``key`` or ``value`` is empty or both are the same header.

    Examples
    --------
    >>> labelled({3: 16.9, 7: 16.0}, key="days after", value="fall (bn/day)")
       days after  fall (bn/day)
    0           3           16.9
    1           7           16.0
    >>> labelled({"a": 1, "acf": [1, 0.5]}, key="k", value="v", exclude=("acf",))["k"].tolist()
    ['a']
    >>> labelled({"p": 1.1e-07, "exact": False}, key="k", value="v", digits=3)["v"].tolist()
    ['1.1e-07', False]
    >>> labelled({"a": 1}, key="x", value="x")
    Traceback (most recent call last):
    ...
    spamlab.errors.ParameterError: key='x', value='x': give two different, non-empty headers
    """
    if not key or not value or key == value:
        raise ParameterError(f"key={key!r}, value={value!r}: give two different, non-empty headers")
    if digits is not None and (isinstance(digits, bool) or not isinstance(digits, int) or digits < 1):
        raise ParameterError(f"digits={digits!r}: give a whole number of significant digits >= 1")
    rows = [(k, f"{v:.{digits}g}" if digits is not None and isinstance(v, float) else v)
            for k, v in mapping.items() if k not in exclude]
    return pd.DataFrame(rows, columns=[key, value])


def after(table: pd.DataFrame, moment: object) -> pd.DataFrame:
    """The rows of a daily table at or after ``moment``: a day counts once any part of it is
    after the moment (the partial-exposure rule of :func:`spamlab.its.fit`).

    Examples
    --------
    >>> days = pd.DataFrame({"x": [1, 2, 3]}, index=pd.date_range("2011-03-15", periods=3, tz="UTC"))
    >>> after(days, "2011-03-16T14:45:00+00:00")["x"].tolist()
    [2, 3]
    """
    day = pd.Timedelta(days=1)
    return table.loc[table.index + day > pd.Timestamp(str(moment))]


def cumulative_reading(res: Any, unit: str, first_interruption: object, tag: str = "") -> str:
    """The unit and span of a fit's cumulative effect (what ``res.summary()`` prints bare).

    Parameters
    ----------
    res
        A fitted :class:`~spamlab.its.results.ITSResult` on daily data.
    unit
        The outcome's unit, e.g. ``"billion messages per day"``.
    first_interruption
        The fit's first interruption: its counterfactual departs from the fit there.
    tag
        Appended before the full stop, e.g. ``" (SYNTHETIC scenario, not data)"``.
    """
    from spamlab.plots.its import summed_unit  # here: a plain table needs no matplotlib

    rows = after(res.counterfactual, first_interruption)
    total = summed_unit(unit)
    return (f"The cumulative effect is in {total}: {rows['cumulative_effect'].iloc[-1]:.4g} "
            f"{total}, the daily effects ({unit}) summed over the {len(rows)} days from "
            f"{rows.index[0]:%d %b %Y} to {rows.index[-1]:%d %b %Y} with all "
            f"{len(res.interruptions)} interruption(s) switched off at once"
            + ("; it is not the last interruption's effect alone" if len(res.interruptions) > 1
               else "") + f"{tag}.")


def horizon_reading(res: Any, horizon: pd.Timestamp | None, unit: str, tag: str = "") -> str:
    """What the counterfactual figure shows up to ``horizon`` and what it hides beyond it:
    the effect there, the day the daily effect turns positive, the final cumulative effect.

    Parameters
    ----------
    res
        A fitted :class:`~spamlab.its.results.ITSResult` on daily data (one interruption).
    horizon
        :func:`spamlab.plots.its.defended_horizon` of ``res``.
    unit
        The outcome's unit, e.g. ``"billion messages per day"``.
    tag
        Appended before each full stop.
    """
    from spamlab.plots.its import summed_unit

    rows = after(res.counterfactual, res.interruptions[0])
    total = summed_unit(unit)
    if horizon is None:
        return (f"Already on {rows.index[0]:%d %b %Y} the observed lies inside the "
                f"counterfactual's 95% band: the data do not tell the counterfactual apart from "
                f"what happened, so the figure does not draw it after the interruption{tag}.")
    shown = rows.loc[:horizon]
    lines = [(f"Shown up to {horizon:%d %b %Y}: the {len(shown)} days from "
              f"{rows.index[0]:%d %b %Y} lie outside the counterfactual's 95% band. Over them the "
              f"daily effect averages {shown['effect'].mean():.1f} {unit} and adds up to "
              f"{shown['cumulative_effect'].iloc[-1]:.0f} {total}{tag}.")]
    beyond = rows.loc[rows.index > horizon]
    rising = beyond[beyond["effect"] > 0]
    if len(rising):
        rho = f" (AR(1) rho = {res.rho:.2f}: a weakly identified trend)" if res.rho is not None else ""
        lines.append(
            f"Not shown: carried on to {rows.index[-1]:%d %b %Y}, the counterfactual falls from "
            f"{rows['counterfactual'].iloc[0]:.1f} {unit} on {rows.index[0]:%d %b %Y} to "
            f"{rows['counterfactual'].iloc[-1]:.1f}, the pre-interruption course extrapolated; the "
            f"daily effect turns positive on {rising.index[0]:%d %b %Y} and the cumulative effect "
            f"ends at {rows['cumulative_effect'].iloc[-1]:+.0f} {total}. Read literally, the "
            f"interruption would have raised the volume: that is the trend's extrapolation{rho}, "
            f"not a finding{tag}.")
    elif len(beyond):
        lines.append(f"Not shown: after {horizon:%d %b %Y} the observed lies inside the band, to "
                     f"{rows.index[-1]:%d %b %Y}; the daily effect stays at or below zero{tag}.")
    return "\n".join(lines)


def calibration_end_reading(constraints: pd.DataFrame, figures_table: pd.DataFrame,
                            shown_until: pd.Timestamp, unit: str, tag: str = "") -> str:
    """Where a scenario's display ends, and how it compares with the figures published after.

    Parameters
    ----------
    constraints
        The calibration's table (``figure_id``, ``achieved``, ``fitted``).
    figures_table
        The figures table (:func:`spamlab.figures.load`), indexed by id.
    shown_until
        :func:`spamlab.plots.scenario.calibrated_until` of the calibration.
    unit, tag
        The scenario's unit; text appended before the full stop.
    """
    checks = constraints.set_index("figure_id")
    later = sorted(int(i) for i in checks.index[~checks["fitted"]]
                   if figures_table.loc[int(i), "period_start"] > shown_until)
    months = "; ".join(
        f"its mean over {figures_table.loc[i, 'period_start']:%B %Y} is "
        f"{checks.loc[i, 'achieved']:.1f} {unit} against {figures_table.loc[i, 'value']:.1f} "
        f"published (#{i}, {checks.loc[i, 'achieved'] / figures_table.loc[i, 'value'] - 1:+.0%})"
        for i in later)
    return (f"Shown up to {shown_until:%d %b %Y}, the end of the last figure the scenario was "
            f"fitted to; it was not recalibrated to the months after, where it runs on alone"
            + (f": {months}" if months else "") + f"{tag}.")


def headline_reading(headline: Any, whole: Any, errors: str, n_interruptions: int,
                     n_pre: int, last_day: pd.Timestamp, shown_until: pd.Timestamp | None,
                     tag: str = "") -> str:
    """Which of notebook 02's two fits is the headline, with both level changes.

    ``headline`` and ``whole`` are ``level_change`` rows (``estimate, ci_low, ci_high``) of
    the takedown-window fit and of the whole-series fit.
    """
    past = (f", past the end of the scenario's calibration ({shown_until:%d %b %Y})"
            if shown_until is not None else "")
    return (f"The headline is the takedown window's fit ({errors} errors): a level change of "
            f"{headline['estimate']:.3f} (95% CI {headline['ci_low']:.3f} to "
            f"{headline['ci_high']:.3f}), {1 - headline['estimate']:.0%} below the counterfactual. "
            f"The whole-series fit's {whole['estimate']:.3f} ({whole['ci_low']:.3f} to "
            f"{whole['ci_high']:.3f}) is kept for comparison only: its counterfactual switches off "
            f"all {n_interruptions} interruptions at once, its baseline has {n_pre} days before "
            f"the first one, and it runs to {last_day:%d %b %Y}{past}{tag}.")


def placebo_reading(real_rank: int, n_placebo: int, tag: str = "") -> str:
    """What a placebo rank means.

    Examples
    --------
    >>> placebo_reading(1, 55)[:60]
    'Reading: none of the 55 fake dates in the pre-period gives a'
    """
    larger = real_rank - 1
    p_value = real_rank / (n_placebo + 1)
    return (f"Reading: {larger if larger else 'none'} of the {n_placebo} fake dates in the "
            f"pre-period gives a larger change than the real one, so a change this large would "
            f"turn up at a date picked at random with probability {p_value:.3f}"
            + (" (the smallest this number of dates allows)" if larger == 0 else "") + f"{tag}.")


def breaks_reading(breaks: pd.DataFrame, interruption: object, unit: str, tag: str = "") -> str:
    """One sentence per break search (``search`` column of a stacked break table): the break
    nearest the interruption, its shift and confidence set, and whether the set holds the
    interruption's day (for an interruption inside a day, that day or the first whole day
    after it, where a daily series can first show the break); then a reading over all
    searches."""
    moment = pd.Timestamp(str(interruption))
    day = moment.normalize()
    days = [day] if moment == day else [day, day + pd.Timedelta(days=1)]
    named = ("the interruption's day" if moment == day else
             f"the interruption's day or the first whole day after it ({days[1]:%d %b})")
    lines, everywhere = [], True
    for search, rows in breaks.groupby("search", sort=False):
        nearest = rows.loc[(rows["break_at"] - day).abs().idxmin()]
        held = any(bool(((rows["ci_low"] <= d) & (d <= rows["ci_high"])).any()) for d in days)
        everywhere &= held
        lines.append(
            f"{search}: the break nearest the interruption is on {nearest['break_at']:%d %b} "
            f"({(nearest['break_at'] - day).days:+d} days), a shift of {nearest['shift']:.1f} "
            f"{unit}, with a confidence set of {nearest['set_size']} days "
            f"({nearest['ci_low']:%d %b} to {nearest['ci_high']:%d %b}); {named} "
            f"is {'inside a' if held else 'outside every'} confidence set{tag}.")
    lines.append(f"Reading: {named} lies in a confidence set of "
                 f"{'every' if everywhere else 'not every'} search variant; where a set spans "
                 f"weeks, the data place a fall in that stretch but cannot pin it to a day{tag}.")
    return "\n".join(lines)


def _change_text(value: float, ratio: bool, unit: str) -> str:
    """A level change as text: a ratio as a signed percentage, a difference in its unit.

    >>> _change_text(0.692, True, ""), _change_text(-3.0, False, "bn/day")
    ('-31%', '-3 bn/day')
    """
    return f"{100 * (value - 1):+.0f}%" if ratio else f"{value:+.3g} {unit}"


def sensitivity_reading(table: pd.DataFrame, rho: float | None, unit: str, tag: str = "") -> str:
    """The range of each axis of a sensitivity table, then what it means: the error model's
    weight (AR(1) against HAC/OLS, with the AR(1) coefficient ``rho``), the pre-period, the
    date.

    ``table`` is :attr:`spamlab.its.SensitivityResult.table` (``varied``, ``setting``,
    ``estimate``, ``scale``), with the settings ``+0 periods`` and ``errors=ar1``,
    ``errors=hac``, ``errors=iid``, ``errors=reml``.
    """
    ratio = bool((table["scale"] == "ratio").all())
    said = {setting: _change_text(value, ratio, unit)
            for setting, value in zip(table["setting"], table["estimate"])}
    lines = []
    for varied, part in table.groupby("varied", sort=False):
        low, high = part.loc[part["estimate"].idxmin()], part.loc[part["estimate"].idxmax()]
        lines.append(f"{varied.replace('_', ' ')}: the level change ranges from "
                     f"{said[low['setting']]} ({low['setting']}) to {said[high['setting']]} "
                     f"({high['setting']}){tag}.")
    size = np.abs(np.log(table["estimate"])) if ratio else table["estimate"].abs()
    real = float(size[table["setting"] == "+0 periods"].iloc[0])
    moved = table[(table["varied"] == "interruption") & (table["setting"] != "+0 periods")]
    far = [i for i in moved.index if abs(int(str(table.loc[i, "setting"]).split()[0])) >= 3]
    pre = table.loc[table["varied"] == "pre_window", "estimate"]
    spread = (f"{100 * (pre.max() - pre.min()):.1f} percentage points" if ratio
              else f"{pre.max() - pre.min():.3g} {unit}")
    ar1 = (f" (rho = {rho:.2f}: each day carries {rho:.0%} of the previous day's deviation, so "
           f"the trend before the interruption is weakly identified)" if rho is not None else "")
    lines.append(
        f"Reading: the estimate depends on the error model: {said['errors=ar1']} with AR(1) "
        f"errors{ar1}, {said['errors=hac']} with HAC errors, whose point estimate is the OLS one "
        f"(independent errors: {said['errors=iid']}), {said['errors=reml']} with REML. "
        f"Shortening the pre-period moves it by at most {spread}. Moved away from the "
        f"interruption, the date gives "
        + ", ".join(f"{said[table.loc[i, 'setting']]} ({table.loc[i, 'setting']})" for i in moved.index)
        + (": three or more days away the change is smaller, so the step sits at the interruption"
           if all(size[i] < real for i in far)
           else ": a change as large appears three or more days away, so the date is not pinned")
        + f"{tag}.")
    return "\n".join(lines)


def power_reading(smallest_fall: Mapping[int, float], rho: float | None, unit: str,
                  tag: str = "") -> str:
    """Why the smallest detectable fall changes with the length of the post-period.

    ``smallest_fall`` maps days observed after the interruption to the smallest fall
    (positive, in ``unit``) found 80% of the time.

    Examples
    --------
    >>> print(power_reading({3: 16.9, 7: 16.0, 28: 20.1}, 0.98, "bn/day"))  # doctest: +ELLIPSIS
    Reading: with 7 days after the interruption a fall of 16.0 bn/day is found 80% of the time; with 3 days 16.9, with 28 days 20.1. Beyond 7 days more days do not help: ...
    """
    days = list(smallest_fall)
    best = min(days, key=smallest_fall.__getitem__)
    first, last = days[0], days[-1]
    text = (f"Reading: with {best} days after the interruption a fall of {smallest_fall[best]:.1f} "
            f"{unit} is found 80% of the time; with {first} days {smallest_fall[first]:.1f}, with "
            f"{last} days {smallest_fall[last]:.1f}{tag}.")
    if best != last:
        noise = f" (AR(1) rho = {rho:.2f})" if rho is not None else ""
        text += (f" Beyond {best} days more days do not help: the noise is autocorrelated{noise}, "
                 f"so extra days add little independent information, while the counterfactual is "
                 f"the pre-period's trend carried further from the data that fixed it, and its "
                 f"uncertainty grows with the distance.")
    return text
