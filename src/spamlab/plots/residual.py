"""Figures of the residual accounting: the waterfall of means, the readings, the collateral curve."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from spamlab.residual.accounting import Accounting

_YLABEL = "residual, billion spam messages per day"


def plot_waterfall(acc: Accounting, *, title: str | None = None) -> Figure:
    """Waterfall of MEANS: naive residual -> the mean change of each adjustment -> what remains.

    Means add up (naive + the adjustments' means = the remaining residual's mean),
    medians do not, so the bars are means. Whiskers show each adjustment's
    sensitivity range (``acc.interval`` quantiles of its draws); the last bar is the
    remaining residual's mean with its range, a dot marks its median. The right
    panel shows the remaining residual under each reading of Rustock's output
    (H1, ``acc.by_reading``): median, range, and whether the reading is pooled.

    Examples
    --------
    >>> from spamlab.residual import account
    >>> fig = plot_waterfall(account(n_draws=500))
    >>> len(fig.axes), len(fig.axes[0].patches)
    (2, 8)
    """
    tab = acc.table
    adj = tab[tab["kind"] == "adjustment"].reset_index(drop=True)
    means = adj["mean"].to_numpy()
    ends = acc.naive + np.cumsum(means)
    starts = ends - means
    fig = Figure(figsize=(12, 4.8))
    ax, side = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.2, 1]})
    n = len(adj)
    ax.bar(0, acc.naive, color="0.45", label="naive 52 - 33 - 13.82 (rows 5, 4, 1)")
    colours = np.where(means < 0, "tab:green", "tab:red")
    ax.bar(np.arange(1, n + 1), means, bottom=starts, color=colours)
    err = np.vstack([np.maximum(adj["mean"] - adj["low"], 0), np.maximum(adj["high"] - adj["mean"], 0)])
    ax.errorbar(np.arange(1, n + 1), ends, yerr=err, fmt="none", ecolor="k", capsize=3,
                label=f"{acc.interval:.0%} range of the adjustment (stated priors)")
    final = acc.remaining
    ax.bar(n + 1, final["mean"], color="tab:blue", label="remaining residual (mean)")
    ax.errorbar(n + 1, final["mean"], yerr=[[final["mean"] - final["low"]], [final["high"] - final["mean"]]],
                fmt="none", ecolor="k", capsize=3)
    ax.plot(n + 1, final["median"], "o", color="w", mec="k", label="remaining residual (median)")
    labels = ["naive"] + [f"H{h}: {k.split(': ')[1]}" for h, k in zip(adj["hypothesis"], adj["component"])]
    ax.set_xticks(np.arange(n + 2), labels + ["remaining"], rotation=30, ha="right")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_ylabel(_YLABEL)
    ax.set_title(title or "The missing 5 billion: mean change per adjustment (means add up)", fontsize=10)
    ax.legend(fontsize=7, loc="lower left")
    _plot_readings(side, acc.by_reading, acc.naive, acc.interval)
    fig.tight_layout()
    return fig


def _plot_readings(ax, readings: pd.DataFrame, naive: float, interval: float) -> None:
    """Remaining residual per H1 reading: median and range; pooled readings filled."""
    y = np.arange(len(readings))[::-1]
    for yi, (_, r) in zip(y, readings.iterrows(), strict=True):
        pooled = r["weight"] > 0
        ax.errorbar(r["median"], yi, xerr=[[r["median"] - r["low"]], [r["high"] - r["median"]]],
                    fmt="o", color="tab:blue" if pooled else "0.5", mfc="tab:blue" if pooled else "w",
                    capsize=3)
    ax.axvline(0, color="k", lw=0.8)
    ax.axvline(naive, color="0.45", lw=0.8, ls="--")
    ax.set_yticks(y, [f"{r} ({s:.1f} bn)" for r, s in zip(readings["reading"],
                                                          readings["rustock_bn_per_day"])], fontsize=8)
    ax.set_xlabel(f"remaining, bn/day (median, {interval:.0%} range)", fontsize=9)
    ax.set_title("Remaining residual by reading of Rustock's output (H1)\n"
                 "filled: pooled; open: other vendor, not pooled; dashed: naive", fontsize=9)


def plot_collateral(curve: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Remaining residual against the fraction of output the other botnets would have lost (H5).

    ``curve`` is :func:`spamlab.residual.collateral_curve`'s table. Where the band
    crosses zero, a collateral fall of that size would explain what remains.

    Examples
    --------
    >>> from spamlab.residual import account, collateral_curve
    >>> fig = plot_collateral(collateral_curve(account(n_draws=500)))
    >>> len(fig.axes[0].lines) >= 2
    True
    """
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    x = 100 * curve["collateral"]
    ax.fill_between(x, curve["low"], curve["high"], color="tab:blue", alpha=0.2, label="range (stated priors)")
    ax.plot(x, curve["median"], color="tab:blue", label="median")
    ax.plot(x, curve["mean"], color="tab:blue", ls="--", label="mean")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel("fall of the other botnets' output at the takedown, percent (not published)")
    ax.set_ylabel(_YLABEL)
    ax.set_title(title or "Collateral needed: how large a fall of other botnets closes the residual",
                 fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
