"""Figures of the per-source accounting (:func:`spamlab.attribution.account`).

:func:`plot_sources` shows each series with the window means the accounting compares;
:func:`plot_residual` the changes with their intervals: the target's, the residual it
leaves, and what the other sources explain of it.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from spamlab import attribution
>>> days = pd.date_range("2011-02-01", periods=60, tz="UTC")
>>> post = (days >= "2011-03-16").astype(float)
>>> noise = np.random.default_rng(1).normal(0, 0.3, (60, 2))
>>> data = pd.DataFrame({"a": 14 * (1 - post) + abs(noise[:, 0]),
...                      "b": 8 - 2 * post + noise[:, 1]}, index=days)
>>> data["total"] = data["a"] + data["b"] + 30
>>> acc = attribution.account(data, total="total", sources=["a", "b"], target="a",
...                           interruption="2011-03-16", slope_change=False)
>>> len(plot_sources(acc, data).axes), len(plot_residual(acc).axes)
(3, 1)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from spamlab.errors import ParameterError

if TYPE_CHECKING:  # type only: spamlab.attribution imports spamlab.its, whose results import plots
    from spamlab.attribution.results import Accounting

#: colour of each status in both figures
STATUS_COLOURS = {"vanished": "tab:red", "fell": "tab:orange", "unchanged": "0.5",
                  "grew": "tab:blue", "inconclusive": "tab:brown"}


def plot_sources(acc: Accounting, data: pd.DataFrame, *, title: str = "", ylabel: str = "",
                 columns: int = 3) -> Figure:
    """One panel per source and the total: the daily series, and over the post window the
    counterfactual mean (dashed) against the observed mean (solid), as the accounting
    compares them; the panel title gives the source's status and change.

    Parameters
    ----------
    acc
        The accounting.
    data
        The frame it was computed from (the sources' and the total's columns).
    title, ylabel
        Figure title and y-axis label.
    columns
        Panels per row.
    """
    table = acc.sources.set_index("source")
    absent = [name for name in table.index if name not in data.columns]
    if absent:
        raise ParameterError(f"data lacks the accounted columns {absent}")
    rows = math.ceil(len(table) / columns)
    fig = Figure(figsize=(4.2 * min(columns, len(table)), 3.0 * rows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, min(columns, len(table)), sharex=True)).ravel()
    first, last = (pd.Timestamp(t).tz_localize(None) if pd.Timestamp(t).tzinfo else pd.Timestamp(t)
                   for t in acc.window)
    span = [first, last + pd.Timedelta(days=1)]
    index = data.index.tz_localize(None) if getattr(data.index, "tz", None) else data.index
    for ax, (name, row) in zip(axes, table.iterrows()):
        colour = STATUS_COLOURS.get(str(row["status"]), "0.3")
        ax.plot(index, data[name].to_numpy(dtype=float), color="0.35", linewidth=1)
        ax.plot(span, [row["counterfactual"]] * 2, color=colour, linestyle="--", linewidth=2,
                label="counterfactual, window mean")
        ax.plot(span, [row["counterfactual"] - row["change"]] * 2, color=colour, linewidth=2,
                label="observed, window mean")
        ax.set_title(f"{name}: {row['status']}, change {row['change']:.3g}", fontsize=9)
        ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    for ax in axes[len(table):]:
        ax.set_visible(False)
    axes[0].set_ylabel(ylabel)
    axes[0].legend(fontsize=7, loc="lower left")
    fig.suptitle(title)
    return fig


def plot_residual(acc: Accounting, *, title: str = "", unit: str = "") -> Figure:
    """Horizontal bars with ``1 - alpha`` intervals: the total's fall, the target's, the
    residual (the fall the target does not explain) and each part of it that the other
    named sources explain, and ``left`` (what no named source explains).

    Changes are counterfactual minus observed per day over the post window: a fall is
    positive.
    """
    rows = acc.sources.set_index("source")
    parts = [(f"{acc.total} (all)", rows.loc[acc.total]),
             (f"{acc.target} (target)", rows.loc[acc.target]),
             ("residual = all - target", acc.residual.rename({"estimate": "change",
                                                              "ci_low": "change_low",
                                                              "ci_high": "change_high"}))]
    parts += [(f"  of which {row['part']}", row) for _, row in acc.explained.iterrows()
              if row["part"] != "named sources together"]
    labels = [label for label, _ in parts]
    values = np.array([float(row["change"]) for _, row in parts])
    low = np.array([float(row["change_low"]) for _, row in parts])
    high = np.array([float(row["change_high"]) for _, row in parts])
    fig = Figure(figsize=(9, 0.55 * len(parts) + 1.6), layout="constrained")
    ax = fig.subplots()
    position = np.arange(len(parts))[::-1]
    colours = ["0.45", STATUS_COLOURS["vanished"], "tab:purple"] + ["tab:olive"] * (len(parts) - 3)
    ax.barh(position, values, color=colours, alpha=0.8)
    ax.errorbar(values, position, xerr=[values - low, high - values], fmt="none", ecolor="black",
                capsize=3, linewidth=1)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(position, labels, fontsize=9)
    level = round(100 * (1 - acc.alpha))
    ax.set_xlabel(f"change, counterfactual minus observed ({unit or acc.residual['unit']}; "
                  f"mean over {acc.residual['window']}; a fall is positive; {level}% intervals)")
    ax.set_title(title)
    return fig
