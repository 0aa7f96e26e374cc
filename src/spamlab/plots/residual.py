"""Waterfall figure of the residual accounting."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from spamlab.residual.accounting import Accounting


def plot_waterfall(acc: Accounting, *, title: str | None = None) -> Figure:
    """Waterfall: naive residual -> each adjustment (median, interval) -> what remains.

    Floating bars run from the residual median before an adjustment to the
    median after it; whiskers show each adjustment's interval, and the last bar
    the interval of the remaining residual. Every bar is labelled with its
    hypothesis number (H1-H6 of ``docs/domain.md``).

    Examples
    --------
    >>> from spamlab.residual import account
    >>> fig = plot_waterfall(account(n_draws=500))
    >>> len(fig.axes)
    1
    """
    tab = acc.table
    adj = tab[tab["kind"] == "adjustment"].reset_index(drop=True)
    cum = tab[tab["kind"] == "cumulative"].reset_index(drop=True)
    starts = np.concatenate([[acc.naive], cum["median"].to_numpy()[:-1]])
    ends = cum["median"].to_numpy()
    fig = Figure(figsize=(9, 4.5))
    ax = fig.add_subplot()
    n = len(adj)
    ax.bar(0, acc.naive, color="0.45", label="naive (rows 5, 4, 1)")
    colours = np.where(ends < starts, "tab:green", "tab:red")
    ax.bar(np.arange(1, n + 1), ends - starts, bottom=starts, color=colours)
    err = np.vstack([adj["median"] - adj["low"], adj["high"] - adj["median"]])
    ax.errorbar(np.arange(1, n + 1), ends, yerr=err, fmt="none", ecolor="k", capsize=3,
                label=f"{acc.interval:.0%} interval of the adjustment")
    final = acc.remaining
    ax.bar(n + 1, final["median"], color="tab:blue", label="remaining residual")
    ax.errorbar(n + 1, final["median"], yerr=[[final["median"] - final["low"]],
                [final["high"] - final["median"]]], fmt="none", ecolor="k", capsize=3)
    labels = ["naive"] + [f"H{h}: {k.split(': ')[1]}" for h, k in zip(adj["hypothesis"], adj["component"])]
    ax.set_xticks(np.arange(n + 2), labels + ["remaining"], rotation=30, ha="right")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_ylabel("residual, billion spam messages per day")
    ax.set_title(title or "The missing 5 billion: residual after each adjustment (published figures)")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig
