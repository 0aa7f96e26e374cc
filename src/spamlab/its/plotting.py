"""Figures of ITS results.

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

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

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


def _moment(label: str, index):
    import pandas as pd

    if isinstance(index, pd.DatetimeIndex):
        moment = pd.Timestamp(label)
        if index.tz is not None and moment.tz is None:
            moment = moment.tz_localize(index.tz)
        elif index.tz is None and moment.tz is not None:
            moment = moment.tz_convert("UTC").tz_localize(None)
        return moment
    return float(label)
