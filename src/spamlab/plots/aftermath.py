"""Figures of the months after the takedown, from the published figures."""

from __future__ import annotations

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure

from spamlab.plots.style import themed

__all__ = ["plot_persistence"]


@themed
def plot_persistence(persisted: pd.DataFrame, before: float, after: float, *,
                     title: str | None = None) -> Figure:
    """Each later window's volume and the share of the fall still missing, with its range.

    ``persisted`` is :func:`spamlab.aftermath.persistence`'s frame; ``before`` and
    ``after`` the published levels on each side of the fall (rows 5 and 4). The left
    panel shows each published volume as a line over the window it covers, with the
    two levels; the right one the share still missing with its sensitivity range (1: none
    of the fall came back, 0: back to the level before).

    Examples
    --------
    >>> from spamlab import aftermath, figures
    >>> fig = plot_persistence(aftermath.persistence(figures.load(), n_draws=500), 52, 33)
    >>> len(fig.axes[0].collections) == 2 + 5  # the two levels and the five windows
    True
    """
    fig = Figure(figsize=(12, 4.6))
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.4, 1]})
    shown_until = pd.Timestamp("2011-07-31")
    left.hlines(before, pd.Timestamp("2011-03-08"), pd.Timestamp("2011-03-16"), color="tab:blue",
                lw=3, label=f"before: {before:g} (#5, 8-15 March)")
    left.hlines(after, pd.Timestamp("2011-03-17"), pd.Timestamp("2011-03-24"), color="tab:red",
                lw=3, label=f"week after: {after:g} (#4, 17-23 March)")
    left.axhline(before, color="tab:blue", lw=0.8, ls="--")
    left.axhline(after, color="tab:red", lw=0.8, ls="--")
    for _, row in persisted.iterrows():
        start = pd.Timestamp(row["start"])
        end = min(pd.Timestamp(row["end"]) + pd.Timedelta(days=1), shown_until)
        long = pd.Timestamp(row["end"]) > shown_until
        left.hlines(row["volume"], start, end, color="0.25", lw=1.2 if long else 2.2,
                    linestyles="dotted" if long else "solid")
        hedge = "" if row["hedge"] == "none" else f", {row['hedge']}"
        text = f"#{row['figure_ids'][-1]}{hedge}" + (" (to 31 Dec)" if long else "")
        left.annotate(text, (end if long else start, row["volume"]), xytext=(-2 if long else 2, 3),
                      textcoords="offset points", fontsize=7, ha="right" if long else "left")
    left.set_xlim(pd.Timestamp("2011-03-01"), shown_until)
    left.set_ylim(0, before * 1.2)
    left.xaxis.set_major_locator(mdates.MonthLocator())
    left.xaxis.set_major_formatter(mdates.DateFormatter("%b"))
    left.set_ylabel("global spam, billion messages per day")
    left.set_xlabel("2011; each line spans the window its figure covers")
    left.legend(fontsize=8, loc="lower right")
    labels = [f"{p}\n#{ids[-1]}" for p, ids in zip(persisted["period"], persisted["figure_ids"],
                                                    strict=True)]
    y = range(len(persisted))
    right.errorbar(100 * persisted["share_missing"], y,
                   xerr=[100 * (persisted["share_missing"] - persisted["low"]),
                         100 * (persisted["high"] - persisted["share_missing"])],
                   fmt="o", color="k", capsize=3, label="as printed, with 90% sensitivity range")
    right.axvline(0, color="tab:blue", lw=0.8)
    right.axvline(100, color="tab:red", lw=0.8)
    right.set_yticks(list(y), labels, fontsize=8)
    right.invert_yaxis()
    right.set_xlabel("share of the fall still missing, percent\n"
                     "(0: back to the level before; 100: none came back)")
    right.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.25))
    fig.suptitle(title or "After the takedown: how much of the fall persisted (published figures)",
                 fontsize=10)
    fig.tight_layout()
    return fig
