"""Figures of the residual accounting: the waterfall of means, the readings, the collateral curve."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from spamlab.plots.style import themed
from spamlab.residual.accounting import Accounting

__all__ = ["ADJUSTMENT_WORDS", "READING_WORDS", "adjustment_label", "plot_collateral", "plot_waterfall"]

_YLABEL = "residual, billion spam messages per day"

#: what each adjustment of the accounting stands for, in words (the bars' labels)
ADJUSTMENT_WORDS = {
    "different_bases": "Rustock's output\non the 52 bn base",
    "partial_day": "after window holds\npart of 16 March",
    "weekday": "windows hold\ndifferent weekdays",
    "trend": "spam was\nalready falling",
    "other_botnets": "other botnets fell\n(none applied)",
    "measurement": "rounding and\nday-to-day noise",
}
#: each reading of Rustock's output (H1, ``acc.by_reading``) in words, with its figure rows
READING_WORDS = {
    "stated_output": "13.82 as stated (#1)",
    "march_share_on_week": "28.5% of the 52 bn week (#2, #5)",
    "march_share_of_botnet_spam": "28.5% of botnet spam (#2, #5, #9)",
    "commtouch_share": "Commtouch: 30 of 150 (#328, #326)",
    "commtouch_q1_share": "Commtouch: 50 of 149 (#75, #76)",
    "kaspersky_share": "Kaspersky: 30-40% (#168, #169)",
}
#: colour of an adjustment's bar by the sign of its mean
_RAISES, _LOWERS = "tab:red", "tab:green"


def adjustment_label(hypothesis: int, component: str) -> str:
    """``"H4: spam was already falling"``-style label of an adjustment row of ``acc.table``.

    Examples
    --------
    >>> print(adjustment_label(4, "adjustment: trend"))
    H4: spam was
    already falling
    >>> adjustment_label(7, "adjustment: some_new_idea")
    'H7: some new idea'
    """
    name = component.split(": ", 1)[-1]
    return f"H{hypothesis}: {ADJUSTMENT_WORDS.get(name, name.replace('_', ' '))}"


@themed
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
    >>> from spamlab.residual import account_from_figures as account
    >>> fig = plot_waterfall(account(n_draws=500))
    >>> len(fig.axes), len(fig.axes[0].patches)
    (2, 8)
    """
    tab = acc.table
    adj = tab[tab["kind"] == "adjustment"].reset_index(drop=True)
    means = adj["mean"].to_numpy()
    ends = acc.naive + np.cumsum(means)
    starts = ends - means
    fig = Figure(figsize=(12, 6.4))
    ax, side = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.2, 1]})
    n = len(adj)
    ax.bar(0, acc.naive, color="0.45", label="naive 52 - 33 - 13.82 (rows 5, 4, 1)")
    colours = np.where(means < 0, _LOWERS, _RAISES)
    ax.bar(np.arange(1, n + 1), means, bottom=starts, color=colours)
    err = np.vstack([np.maximum(adj["mean"] - adj["low"], 0), np.maximum(adj["high"] - adj["mean"], 0)])
    ax.errorbar(np.arange(1, n + 1), ends, yerr=err, fmt="none", ecolor="k", capsize=3,
                label=f"{acc.interval:.0%} range of the adjustment (stated priors)")
    final = acc.remaining
    ax.bar(n + 1, final["mean"], color="tab:blue", label="remaining residual (mean)")
    ax.errorbar(n + 1, final["mean"], yerr=[[final["mean"] - final["low"]], [final["high"] - final["mean"]]],
                fmt="none", ecolor="k", capsize=3)
    ax.plot(n + 1, final["median"], "o", color="w", mec="k", label="remaining residual (median)")
    labels = ["naive\n52 - 33 - 13.82"] + [adjustment_label(h, k) for h, k
                                            in zip(adj["hypothesis"], adj["component"], strict=True)]
    ax.set_xticks(np.arange(n + 2), [*labels, "remaining\nresidual"], rotation=35, ha="right",
                  rotation_mode="anchor", fontsize=8)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_ylabel(_YLABEL)
    ax.set_title(title or "The missing 5 billion: mean change per adjustment (means add up)", fontsize=10)
    handles, _ = ax.get_legend_handles_labels()
    handles += [Patch(color=_RAISES, label="adjustment raising the residual (mean)"),
                Patch(color=_LOWERS, label="adjustment lowering it: explains part (mean)")]
    ax.legend(handles=handles, fontsize=7, loc="upper center", ncols=2,
              bbox_to_anchor=(0.5, -0.4))
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
    ax.set_yticks(y, [f"{READING_WORDS.get(r, r.replace('_', ' '))}: {s:.1f} bn" for r, s
                      in zip(readings["reading"], readings["rustock_bn_per_day"], strict=True)],
                  fontsize=8)
    ax.set_xlabel(f"remaining, bn/day (median, {interval:.0%} range)", fontsize=9)
    ax.set_title("Remaining residual by reading of Rustock's output (H1)\n"
                 "filled: pooled; open: other vendor, not pooled; dashed: naive", fontsize=9)


@themed
def plot_collateral(curve: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Remaining residual against the fraction of output the other botnets would have lost (H5).

    ``curve`` is :func:`spamlab.residual.collateral_curve`'s table. Where the band
    crosses zero, a collateral fall of that size would explain what remains.

    Examples
    --------
    >>> from spamlab.residual import account_from_figures as account, collateral_curve
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
