"""Figures of the per-source accounting (:func:`spamlab.attribution.account_by_source`).

:func:`plot_sources` shows each series with the window means the accounting compares;
:func:`plot_attribution` the falls (counterfactual minus observed: positive when a series
fell) with their intervals: the target's, the residual it leaves, and what the other sources
explain of it.

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
>>> acc = attribution.account_by_source(data, total="total", sources=["a", "b"], target="a",
...                                     interruption="2011-03-16", slope_change=False)
>>> len(plot_sources(acc, data).axes), len(plot_attribution(acc).axes)
(3, 1)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from spamlab.deprecation import deprecated_alias
from spamlab.errors import ParameterError
from spamlab.plots.style import themed

if TYPE_CHECKING:  # type only: plots sit above attribution, which never imports them
    from spamlab.attribution.results import Accounting

__all__ = ["STATUS_COLOURS", "plot_attribution", "plot_residual", "plot_sources",
           "residual_axis_label", "residual_table", "truth_check"]

#: colour of each status in both figures
STATUS_COLOURS = {"vanished": "tab:red", "fell": "tab:orange", "unchanged": "0.5",
                  "grew": "tab:blue", "inconclusive": "tab:brown"}


@themed
def plot_sources(acc: Accounting, data: pd.DataFrame, *, title: str = "", ylabel: str = "",
                 columns: int = 3) -> Figure:
    """One panel per source and the total: the daily series, and over the post window the
    counterfactual mean (dashed) against the observed mean (solid), as the accounting
    compares them; the panel title gives the source's status and fall (counterfactual minus
    observed: negative when it grew).

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
        ax.plot(span, [row["counterfactual"] - row["fall"]] * 2, color=colour, linewidth=2,
                label="observed, window mean")
        ax.set_title(f"{name}: {row['status']}, fall {row['fall']:.3g}", fontsize=9)
        lowest = float(np.nanmin(data[name].to_numpy(dtype=float)))
        ax.set_ylim(bottom=0.0 if lowest >= 0 else ax.get_ylim()[0])  # counts: the axis starts at 0
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    for ax in axes[len(table):]:
        ax.set_visible(False)
    axes[0].set_ylabel(ylabel)
    axes[0].legend(fontsize=7, loc="lower left")
    fig.suptitle(title)
    return fig


@themed
def plot_attribution(acc: Accounting, *, title: str = "", unit: str = "") -> Figure:
    """Horizontal bars with ``1 - alpha`` intervals: the total's fall, the target's, the
    residual (the fall the target does not explain) and each part of it that the other
    named sources explain, and ``left`` (what no named source explains).

    Each bar is a fall: counterfactual minus observed per day over the post window
    (positive when the series fell, negative when it grew).
    """
    rows = acc.sources.set_index("source")
    parts = [(f"{acc.total} (all)", rows.loc[acc.total]),
             (f"{acc.target} (target)", rows.loc[acc.target]),
             ("residual = all - target", acc.residual.rename({"estimate": "fall",
                                                              "ci_low": "fall_low",
                                                              "ci_high": "fall_high"}))]
    parts += [(f"  of which {row['part']}", row) for _, row in acc.explained.iterrows()
              if row["part"] != "named sources together"]
    labels = [label for label, _ in parts]
    values = np.array([float(row["fall"]) for _, row in parts])
    low = np.array([float(row["fall_low"]) for _, row in parts])
    high = np.array([float(row["fall_high"]) for _, row in parts])
    fig = Figure(figsize=(9, 0.55 * len(parts) + 1.6), layout="constrained")
    ax = fig.subplots()
    position = np.arange(len(parts))[::-1]
    colours = ["0.45", STATUS_COLOURS["vanished"], "tab:purple"] + ["tab:olive"] * (len(parts) - 3)
    ax.barh(position, values, color=colours, alpha=0.8)
    ax.errorbar(values, position, xerr=[values - low, high - values], fmt="none", ecolor="black",
                capsize=3, linewidth=1)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(position, labels, fontsize=9)
    ax.set_xlabel(residual_axis_label(acc, unit))
    ax.set_title(title)
    return fig


plot_residual = deprecated_alias(plot_attribution, "plot_residual", module="spamlab.plots")


def residual_axis_label(acc: Accounting, unit: str = "") -> str:
    """The x label of :func:`plot_attribution`, on two lines short enough for its figure: what
    a fall is and its unit (``unit``, else the accounting's), then the window and the
    intervals.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> acc = SimpleNamespace(alpha=0.05, residual={"unit": "per day", "window": "1 to 9 May"})
    >>> print(residual_axis_label(acc, "messages per day"))
    fall (counterfactual - observed), messages per day; negative: grew
    mean over 1 to 9 May; whiskers: 95% intervals
    """
    level = round(100 * (1 - acc.alpha))
    return (f"fall (counterfactual - observed), {unit or acc.residual['unit']}; negative: grew"
            f"\nmean over {acc.residual['window']}; whiskers: {level}% intervals")


def residual_table(acc: Accounting, unit: str = "", data: str = "") -> pd.DataFrame:
    """The residual of an accounting as a labelled table (``what``, ``value``), each number
    with its unit (``unit``, else the accounting's), for a reader rather than a program.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> acc = SimpleNamespace(alpha=0.05, residual={"estimate": 15.5, "ci_low": -5.9,
    ...     "ci_high": 37.0, "p_value": 0.14, "std_err": 10.0, "df": 13.9,
    ...     "unit": "per day", "window": "1 to 9 May", "method": "ITS fit"})
    >>> residual_table(acc, "messages per day")["value"].tolist()[:2]
    ['15.5 messages per day', '-5.9 to 37 messages per day']
    """
    res, unit = acc.residual, unit or str(acc.residual["unit"])
    level = round(100 * (1 - acc.alpha))
    rows = [
        ("residual: the fall the target does not explain", f"{res['estimate']:.4g} {unit}"),
        (f"{level}% confidence interval", f"{res['ci_low']:.4g} to {res['ci_high']:.4g} {unit}"),
        ("p-value (of no residual)", f"{res['p_value']:.3g}"),
        ("standard error", f"{res['std_err']:.4g} {unit}"),
        ("degrees of freedom", f"{res['df']:.3g}"),
        ("post window (the fall is a mean over its days)", str(res["window"])),
        ("how", str(res["method"])),
    ] + ([("data", data)] if data else [])
    return pd.DataFrame(rows, columns=["what", "value"])


def truth_check(acc: Accounting, by_source: Accounting, truth: Any, unit: str
                ) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """The accounting of a synthetic trap against its truth: a sentence, the residuals side
    by side, and every true source's true fall next to its estimate.

    The true residual comes from the rates the trap was made with (no day-to-day noise,
    ``truth.fall``); the estimates are fitted to the noisy counts, so they differ from
    it by estimation error, source by source, and those differences add up in the
    estimated residual. The tables say which number is which.

    Parameters
    ----------
    acc
        The accounting of the trap as read (fingerprint groups).
    by_source
        The accounting of the trap's true per-source counts.
    truth
        The trap's :class:`spamlab.testing.BotnetTruth`.
    unit
        What the counts count, e.g. ``"messages per day"``.
    """
    true_fall = truth.fall(*acc.window)
    true_residual = true_fall[by_source.total] - true_fall[truth.target]
    res = acc.residual
    level = round(100 * (1 - acc.alpha))
    held = res["ci_low"] <= true_residual <= res["ci_high"]
    fell = [f"{name}'s true fall {value:.1f}" for name, value in true_fall.items()
            if name not in (truth.target, by_source.total) and abs(value) > 1e-9]
    words = (f"SYNTHETIC trap: the true residual is {true_residual:.1f} {unit} (from the rates the "
             f"trap was made with: {', '.join(fell) or 'no other source changed'}); the estimate is "
             f"{res['estimate']:.1f} ({level}% CI {res['ci_low']:.1f} to {res['ci_high']:.1f}), "
             f"which {'holds' if held else 'misses'} the truth. The accounting of the true "
             f"per-source counts estimates {by_source.residual['estimate']:.1f}: each source's "
             f"estimated fall differs from its true fall by noise (second table), and the "
             f"differences add up in the residual.")
    residuals = pd.DataFrame([
        ("true residual (the trap's rates, no noise)", true_residual),
        ("estimate, from the data as read", res["estimate"]),
        (f"estimate, {level}% interval low", res["ci_low"]),
        (f"estimate, {level}% interval high", res["ci_high"]),
        ("estimate, from the true per-source counts", by_source.residual["estimate"]),
    ], columns=["what", f"value ({unit}, SYNTHETIC)"])
    sources = by_source.sources[["source", "fall", "fall_low", "fall_high", "status"]].copy()
    sources.insert(1, "true fall", sources["source"].map(true_fall))
    sources["interval holds the truth"] = (sources["fall_low"] <= sources["true fall"]) & (
        sources["true fall"] <= sources["fall_high"])
    return words, residuals, sources.rename(columns={"fall": "estimated fall"})
