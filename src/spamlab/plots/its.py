"""Figures of ITS results: a fit (observed, counterfactual, effects) and a sensitivity table.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from spamlab import its
>>> frame = pd.DataFrame({"v": np.r_[np.full(30, 10.0), np.full(20, 6.0)] + np.sin(np.arange(50))},
...                      index=pd.date_range("2011-02-01", periods=50))
>>> fig = its.fit(frame, y="v", interruptions=["2011-03-03"]).plot()
>>> len(fig.axes)  # two panels plus the twin axis of the cumulative effect
3
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

if TYPE_CHECKING:  # type only: spamlab.its.results imports this module for ITSResult.plot
    from spamlab.its.results import ITSResult


def plot_result(res: ITSResult, title: str | None = None, ylabel: str | None = None) -> Figure:
    """Two panels: observed, fit and counterfactual band; pointwise and cumulative effect.

    Parameters
    ----------
    res
        A fitted :class:`~spamlab.its.results.ITSResult`.
    title
        Figure title; defaults to the outcome and model.
    ylabel
        The outcome with its unit, e.g. ``"billion messages per day"``; defaults
        to the outcome column's name. The effect panels use the same unit.
    """
    table = res.counterfactual
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True,
                                      height_ratios=(2, 1), layout="constrained")
    x = table.index
    level = round(100 * (1 - res.alpha))
    top.fill_between(x, table["counterfactual_low"], table["counterfactual_high"], color="C1",
                     alpha=0.25, label=f"counterfactual {level}% prediction band")
    top.plot(x, table["observed"], color="0.2", lw=1, marker=".", ms=3, label="observed")
    top.plot(x, table["fitted"], color="C0", lw=1.5, label="model fit")
    top.plot(x, table["counterfactual"], color="C1", lw=1.5, ls="--",
             label="counterfactual (no interruption)")
    _mark_interruptions(res, top)
    _mark_interruptions(res, bottom)
    outcome = ylabel or res.y
    top.set_ylabel(outcome)
    top.legend(loc="best", fontsize="small")
    bottom.plot(x, table["effect"], color="C3", lw=1, label="pointwise effect (observed - counterfactual)")
    bottom.axhline(0, color="0.5", lw=0.8)
    bottom.set_ylabel(f"effect ({outcome})" if ylabel else f"effect on {res.y}")
    twin = bottom.twinx()
    twin.plot(x, table["cumulative_effect"], color="C4", lw=1.5, label="cumulative effect")
    twin.set_ylabel("cumulative effect (sum of the pointwise effects)")
    handles = bottom.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    bottom.legend(handles, [h.get_label() for h in handles], loc="best", fontsize="small")
    bottom.set_xlabel(table.index.name or "time")
    fig.suptitle(title or f"Interrupted time series of {res.y}: {res.model}", fontsize="medium")
    return fig


def _mark_interruptions(res: ITSResult, axis: plt.Axes) -> None:
    table = res.counterfactual
    for label in res.effects["interruption"].unique():
        try:
            moment = _moment(label, table.index)
        except (TypeError, ValueError):
            continue
        axis.axvline(moment, color="0.4", ls=":", lw=1)


def _moment(label: str, index: pd.Index) -> pd.Timestamp | float:
    """An interruption label as a position on the x axis."""
    if isinstance(index, pd.DatetimeIndex):
        moment = pd.Timestamp(label)
        if index.tz is not None and moment.tz is None:
            moment = moment.tz_localize(index.tz)
        elif index.tz is None and moment.tz is not None:
            moment = moment.tz_convert("UTC").tz_localize(None)
        return moment
    return float(label)


def plot_sensitivity(table: pd.DataFrame, title: str | None = None) -> Figure:
    """Point-and-interval panels, one per ``varied`` axis (and scale) of a sensitivity table.

    ``table`` is :attr:`spamlab.its.SensitivityResult.table`.

    Examples
    --------
    >>> table = pd.DataFrame({"varied": ["pre_window"] * 2, "setting": ["60", "30"],
    ...                       "estimate": [-5.0, -4.0], "ci_low": [-6.0, -6.0],
    ...                       "ci_high": [-4.0, -2.0], "scale": ["difference"] * 2})
    >>> len(plot_sensitivity(table).axes)
    1
    """
    groups = list(dict.fromkeys(zip(table["varied"], table["scale"])))
    fig, axes = plt.subplots(1, len(groups), figsize=(4.5 * len(groups), 4), squeeze=False,
                             layout="constrained")
    for axis, (group, scale) in zip(axes[0], groups):
        part = table[(table["varied"] == group) & (table["scale"] == scale)].reset_index(drop=True)
        ypos = np.arange(len(part))
        axis.errorbar(part["estimate"], ypos, fmt="o", color="C0", capsize=3,
                      xerr=[part["estimate"] - part["ci_low"], part["ci_high"] - part["estimate"]])
        axis.axvline(1.0 if scale == "ratio" else 0.0, color="0.5", lw=0.8, ls="--")
        axis.set_yticks(ypos, part["setting"])
        axis.set_title(group.replace("_", " ") + (" (ratio scale)" if scale == "ratio" else ""))
        axis.set_xlabel("level change" + (" (ratio)" if scale == "ratio" else " (difference)"))
    axes[0][0].set_ylabel("setting")
    fig.suptitle(title or "Sensitivity of the level change (estimate and interval)")
    return fig
