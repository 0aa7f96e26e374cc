"""Story figures for the notebooks: published figures side by side, monthly spam rates, series.

ITS results, the residual waterfall and a scenario have their own modules
(:mod:`spamlab.plots.its`, :mod:`spamlab.plots.residual`, :mod:`spamlab.plots.scenario`);
this module holds the other figures the story needs. Every function returns a matplotlib ``Figure`` and never saves it
(``spamlab.report.save_figure`` does that).

Examples
--------
>>> from spamlab import figures, plots
>>> fig = plots.plot_published_periods(figures.load(), "spam_volume_per_day")
>>> fig.axes[0].get_yscale()
'log'
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox
from pandas.io.formats.style import Styler

from spamlab import figures
from spamlab.deprecation import deprecated_alias
from spamlab.errors import ParameterError
from spamlab.plots.style import PALETTE, themed, time_label

__all__ = [
    "Marks",
    "daily_series",
    "drawn_rows",
    "hypotheses_side_by_side",
    "monthly_rates",
    "placebo_dates",
    "plot_daily_series",
    "plot_hypotheses_side_by_side",
    "plot_monthly_rates",
    "plot_placebo_dates",
    "plot_published_by_vendor",
    "plot_published_periods",
    "published_by_vendor",
    "published_periods",
    "published_rows",
    "sources_table",
]

#: (timestamp, label) pairs drawn as vertical lines
Marks = Sequence[tuple[pd.Timestamp | str, str]]
_UNIT_LABELS = {"billion_per_day": "billion messages per day", "percent": "percent"}


def published_rows(
    table: pd.DataFrame, metric: str, entity: str = "global", unit: str | None = None
) -> pd.DataFrame:
    """Rows of the figures table for one metric and entity, with ``vendor`` and dates filled.

    ``entity="global"`` also matches ``"global (Commtouch)"`` and the like.
    Rows without a period are left out (they cannot be placed in time); use
    ``figures.get`` to see them.

    Examples
    --------
    >>> from spamlab import figures
    >>> set(published_rows(figures.load(), "spam_volume_per_day", unit="billion_per_day")["unit"])
    {'billion_per_day'}
    """
    wanted = (table["metric"] == metric) & (
        (table["entity"] == entity) | table["entity"].str.startswith(f"{entity} (")
    )
    if unit is not None:
        wanted &= table["unit"] == unit
    rows = table.loc[wanted & table["period_start"].notna()].copy()
    if rows.empty:
        raise ParameterError(f"no dated rows with metric={metric!r}, entity={entity!r}, unit={unit!r}")
    rows["vendor"] = rows["publisher"].map(figures.vendor)
    rows["period_end"] = rows["period_end"].fillna(rows["period_start"])
    return rows.sort_values(["period_start", "id"])


def _mark(ax: plt.Axes, marks: Marks, labelled: bool = True) -> None:
    for when, label in marks:
        moment = pd.Timestamp(when).tz_localize(None) if pd.Timestamp(when).tzinfo else pd.Timestamp(when)
        ax.axvline(moment, color="0.3", linestyle=":", linewidth=1)
        if not labelled:
            continue
        ax.annotate(label, (moment, 0.02), xycoords=("data", "axes fraction"), rotation=90,
                    va="bottom", ha="right", fontsize=8, color="0.3",
                    bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"})


def _vendor_colours(vendors: Sequence[str]) -> dict[str, tuple[float, ...]]:
    """One colour of the theme's palette per vendor; the vendor with most figures gets the first."""
    counts = pd.Series(list(vendors)).value_counts()
    names = sorted(counts.index, key=lambda vendor: (-counts[vendor], vendor))
    return dict(zip(names, sns.color_palette(PALETTE, n_colors=len(names)), strict=True))


def _label_ids(ax: plt.Axes, rows: pd.DataFrame, log: bool) -> list[Annotation]:
    """``#id`` labels at the start of each bar; bars that would overlap share one label.

    Returns the labels, for :func:`_declutter` to move apart where they still overprint.
    """
    values = rows["value_mid"].to_numpy(dtype=float)
    height = np.log10(np.clip(values, 1e-9, None)) if log else values
    span = float(np.ptp(height)) or 1.0
    keys = list(zip(rows["period_start"].dt.to_period("M"), np.round(height / span * 30),
                    strict=True))
    groups: dict[tuple, list[int]] = {}
    for key, figure_id in zip(keys, rows["id"], strict=True):
        groups.setdefault(key, []).append(int(figure_id))
    first = {key: i for i, key in reversed(list(enumerate(keys)))}
    labels = []
    for key, ids in groups.items():
        row = rows.iloc[first[key]]
        labels.append(ax.annotate(
            " ".join(f"#{i}" for i in ids), (row["period_start"], row["value_mid"]),
            textcoords="offset points", xytext=(2, 3), fontsize=7, color="0.25",
            arrowprops={"arrowstyle": "-", "color": "0.6", "linewidth": 0.5,
                        "shrinkA": 0, "shrinkB": 0}))
    return labels


def _declutter(fig: Figure, labels: Sequence[Annotation], tries: int = 14, rounds: int = 3) -> None:
    """Move text labels vertically (a thin leader line keeps each tied to its point) until
    no two of them overprint.

    The figure is drawn to measure the labels; each label, from left to right, keeps
    its place if free, else takes the nearest free place one line above or below. Moving
    labels can change the layout, so this is repeated (``rounds``) until nothing moves.
    """
    if not labels:
        return
    for _ in range(rounds):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg, as saved
        gap = 2 * fig.dpi / 72  # two points between labels, against small shifts of the layout
        placed: list[Bbox] = []
        moved = False
        for label in sorted(labels, key=lambda a: Text.get_window_extent(a, renderer).x0):
            x_offset, y_offset = label.xyann
            line = Text.get_window_extent(label, renderer).height * 72 / fig.dpi + 2.0
            for step in [0, *(k * sign for k in range(1, tries) for sign in (1, -1))]:
                label.xyann = (x_offset, y_offset + step * line)
                label.update_positions(renderer)
                box = Text.get_window_extent(label, renderer).padded(gap / 2)
                if not any(box.overlaps(other) for other in placed):
                    break
            moved |= step != 0
            placed.append(box)
        if not moved:
            return


def _period_bars(ax: plt.Axes, rows: pd.DataFrame, colours: Mapping[str, Any]) -> None:
    """Each row as a bar over its period (a dot for one day), its range shaded."""
    for _, row in rows.iterrows():
        start, end = row["period_start"], row["period_end"] + pd.Timedelta(days=1)
        colour = colours[row["vendor"]]
        ax.hlines(row["value_mid"], start, end, color=colour, linewidth=3)
        if row["value_low"] < row["value_high"]:
            ax.fill_between([start, end], row["value_low"], row["value_high"], color=colour, alpha=0.2)
        if (end - start).days <= 1:
            ax.plot(start, row["value_mid"], "o", color=colour, markersize=5)


@themed
def plot_published_periods(
    table: pd.DataFrame, metric: str, entity: str = "global", unit: str | None = "billion_per_day",
    title: str | None = None, log: bool = True, label_ids: bool = True, marks: Marks = (),
    since: str | None = None,
) -> Figure:
    """Each published figure as a bar over the period it covers, coloured by its source.

    A figure about one day is a dot; ranges (``value_low`` to ``value_high``) are
    shaded. Each bar is labelled with its figure id (``#5``) so every number on the
    chart traces to the figures table; labels that would overprint are moved apart,
    tied to their bar by a thin line. The legend names each figure's *source*: the
    vendor that measured it or, where the table names none, the outlet that published
    it (``figures.vendor``). ``since`` leaves out figures whose period ended before it
    (the title counts them).

    Examples
    --------
    >>> from spamlab import figures
    >>> plot_published_periods(figures.load(), "botnet_output_per_day", entity="Rustock").axes[0].get_title()
    'botnet_output_per_day, Rustock, as published'
    """
    rows = drawn_rows(table, metric, entity, unit, since)
    dropped = len(published_rows(table, metric, entity, unit)) - len(rows)
    colours = _vendor_colours(rows["vendor"])
    fig, ax = plt.subplots(figsize=(10, 5.5), layout="constrained")
    _period_bars(ax, rows, colours)
    for vendor, colour in colours.items():
        ax.plot([], [], color=colour, linewidth=3, label=vendor)
    _mark(ax, marks)
    ax.set_yscale("log" if log else "linear")
    ax.set_ylabel(_UNIT_LABELS.get(str(unit), str(unit)) + (" (log scale)" if log else ""))
    ax.set_xlabel("period the figure covers")
    left_out = f"\n{dropped} figure(s) ending before {since} not shown" if dropped else ""
    ax.set_title((title or f"{metric}, {entity}, as published") + left_out)
    ax.legend(title="source (vendor, or\nthe outlet if none)", loc="center left",
              bbox_to_anchor=(1.01, 0.5), fontsize=8, title_fontsize=8)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    if label_ids:
        _declutter(fig, _label_ids(ax, rows, log))
    return fig


def drawn_rows(table: pd.DataFrame, metric: str, entity: str = "global",
               unit: str | None = "billion_per_day", since: str | None = None) -> pd.DataFrame:
    """The rows :func:`published_periods` draws: :func:`published_rows`, less those whose
    period ended before ``since``.

    Examples
    --------
    >>> from spamlab import figures
    >>> rows = drawn_rows(figures.load(), "spam_volume_per_day", since="2010-01-01")
    >>> bool((rows["period_end"] >= "2010-01-01").all())
    True
    """
    rows = published_rows(table, metric, entity, unit)
    return rows if since is None else rows.loc[rows["period_end"] >= pd.Timestamp(since)]


def sources_table(rows: pd.DataFrame) -> Styler:
    """The rows a chart draws (:func:`drawn_rows`), each with the page it was read from: the
    URL is a link in the HTML report. ``source`` is the legend's name for the row.

    Examples
    --------
    >>> from spamlab import figures
    >>> shown = sources_table(drawn_rows(figures.load(), "botnet_output_per_day", "Rustock"))
    >>> "url" in shown.data.columns and '<a href="http' in shown.to_html()
    True
    """
    columns = ["id", "vendor", "publisher", "period_start", "period_end", "value_low",
               "value_high", "qualifier", "url"]
    return (rows[columns].rename(columns={"vendor": "source"}).style.hide(axis="index")
            .format({"url": _link, "value_low": "{:g}", "value_high": "{:g}",
                     "period_start": "{:%Y-%m-%d}", "period_end": "{:%Y-%m-%d}"}))


def _link(url: str) -> str:
    """An HTML link to ``url`` that shows its site (the whole address is the link's target
    and its tooltip), so the table stays narrow.

    Examples
    --------
    >>> _link("https://www.example.org/a/b?c=1&d=2")
    '<a href="https://www.example.org/a/b?c=1&amp;d=2" title="https://www.example.org/a/b?c=1&amp;d=2">example.org</a>'
    """
    address = html.escape(str(url), quote=True)
    site = urlsplit(str(url)).netloc.removeprefix("www.") or address
    return f'<a href="{address}" title="{address}">{html.escape(site)}</a>'


@themed
def plot_published_by_vendor(
    table: pd.DataFrame, metric: str, entity: str = "global", unit: str | None = "billion_per_day",
    since: str | None = None, marks: Marks = (), title: str | None = None, col_wrap: int = 3,
) -> Figure:
    """Small multiples: one panel per source, each on its own (log) scale, bars labelled ``#id``.

    Vendors' levels differ by a factor of three to five (each extrapolates from its own
    traps), so a shared axis hides every change within a vendor; here each vendor gets
    its own y axis and all share the time axis. Panels are ordered by the number of
    figures. ``since`` leaves out figures whose period ended before it (the title counts them).

    Examples
    --------
    >>> from spamlab import figures
    >>> fig = plot_published_by_vendor(figures.load(), "spam_volume_per_day", since="2010-01-01")
    >>> [ax.get_title() for ax in fig.axes][:2]
    ['Symantec (19 figures)', 'Commtouch (5 figures)']
    """
    rows = drawn_rows(table, metric, entity, unit, since)
    dropped = len(published_rows(table, metric, entity, unit)) - len(rows)
    counts = rows["vendor"].value_counts()
    order = sorted(counts.index, key=lambda vendor: (-counts[vendor], vendor))
    colours = dict.fromkeys(order, sns.color_palette(PALETTE)[0])  # the panel names the vendor
    grid = sns.FacetGrid(rows, col="vendor", col_order=order, col_wrap=min(col_wrap, len(order)),
                         sharex=True, sharey=False, height=2.5, aspect=1.6)
    labels = []
    for vendor, ax in grid.axes_dict.items():
        part = rows[rows["vendor"] == vendor]
        _period_bars(ax, part, colours)
        labels += _label_ids(ax, part, log=True)
        _mark(ax, marks, labelled=False)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(mticker.LogFormatter())  # plain numbers: 200, not 2x10^2
        ax.yaxis.set_minor_formatter(mticker.LogFormatter(labelOnlyBase=False,
                                                          minor_thresholds=(1.2, 0.5)))
        ax.set_title(f"{vendor} ({counts[vendor]} figure{'s' if counts[vendor] > 1 else ''})")
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
    grid.set_axis_labels("", "")
    grid.figure.supxlabel("period the figure covers")
    grid.figure.supylabel(_UNIT_LABELS.get(str(unit), str(unit)) + " (log scale)")
    left_out = f"; {dropped} figure(s) ending before {since} not shown" if dropped else ""
    marked = "; dotted: " + ", ".join(label for _, label in marks) if marks else ""
    grid.figure.suptitle((title or f"{metric}, {entity}, as published, one panel per vendor")
                         + f"\neach panel on its own scale{marked}{left_out}")
    grid.figure.set_layout_engine("constrained")
    _declutter(grid.figure, labels)
    return grid.figure


@themed
def plot_monthly_rates(
    table: pd.DataFrame, entity: str = "global", marks: Marks = (), title: str | None = None
) -> Figure:
    """Monthly spam rates (spam as % of all email) by vendor: every published value and the median.

    Only figures covering one calendar month are drawn; where a vendor's month was
    reported several times (press copies disagree) every value is a dot and the
    line joins the monthly medians.

    Examples
    --------
    >>> from spamlab import figures
    >>> plot_monthly_rates(figures.load()).axes[0].get_ylabel()
    'spam as percent of all email'
    """
    rows = published_rows(table, "spam_rate_of_email", entity, "percent")
    span = (rows["period_end"] - rows["period_start"]).dt.days
    monthly = rows.loc[span.between(27, 30) & (rows["period_start"].dt.day == 1)].copy()
    monthly["month"] = monthly["period_start"]
    colours = _vendor_colours(monthly["vendor"])
    fig, ax = plt.subplots(figsize=(10, 4.5), layout="constrained")
    for vendor, group in monthly.groupby("vendor"):
        colour = colours[vendor]
        ax.scatter(group["month"], group["value_mid"], color=colour, s=18, alpha=0.7)
        medians = group.groupby("month")["value_mid"].median()
        ax.plot(medians.index, medians.to_numpy(), color=colour, linewidth=1.2,
                label=f"{vendor} ({len(group)} figures)")
    _mark(ax, marks)
    ax.set_ylabel("spam as percent of all email")
    ax.set_xlabel("month")
    ax.set_title(title or "Monthly spam rate as published, by vendor")
    ax.legend(loc="lower left", fontsize=8)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    return fig


@themed
def plot_daily_series(
    frame: pd.DataFrame, columns: Sequence[str] | None = None, title: str = "", ylabel: str = "",
    marks: Marks = (), stacked: bool = False,
) -> Figure:
    """Daily series as lines (or a stacked area), with optional vertical marks.

    Examples
    --------
    >>> idx = pd.date_range("2011-03-01", periods=30, freq="D", tz="UTC")
    >>> f = pd.DataFrame({"a": range(30), "b": [1.0] * 30}, index=idx)
    >>> plot_daily_series(f, title="demo", ylabel="n").axes[0].get_title()
    'demo'
    """
    columns = list(columns) if columns is not None else list(frame.columns)
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise ParameterError(f"columns {absent} not in the frame; it has {list(frame.columns)}")
    index = frame.index.tz_localize(None) if getattr(frame.index, "tz", None) else frame.index
    fig, ax = plt.subplots(figsize=(10, 4.5), layout="constrained")
    values = [frame[c].to_numpy(dtype=float) for c in columns]
    if stacked:
        ax.stackplot(index, values, labels=columns, alpha=0.85)
    else:
        looks = _line_looks(len(columns))
        for column, series, (colour, style) in zip(columns, values, looks, strict=True):
            ax.plot(index, series, label=column, linewidth=1.2, color=colour, linestyle=style)
    _mark(ax, marks)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_xlabel(time_label(frame.index))
    if len(columns) > 1:
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %Y"))
    fig.autofmt_xdate()
    return fig


#: line styles of :func:`_line_looks`, in order
_LINE_STYLES = ("-", "--", ":", "-.")


def _line_looks(n: int) -> list[tuple[tuple[float, ...], str]]:
    """Colour and line style of ``n`` lines, no two alike: up to four lines take the
    palette's first colours, all solid; more lines take the styles in turn, and the
    colours are ordered so that lines of the same style (every fourth) are far apart
    in colour (blue and purple, orange and light blue, never orange and its brown).

    Examples
    --------
    >>> looks = _line_looks(8)
    >>> len(set(looks)), [style for _, style in looks][:5]
    (8, ['-', '--', ':', '-.', '-'])
    """
    palette = sns.color_palette(PALETTE, n_colors=10)
    colours = ([palette[i] for i in (0, 1, 2, 3, 4, 9, 6, 7, 5, 8)] if n <= 10
               else sns.color_palette(PALETTE, n_colors=n))
    if n <= 4:
        return [(tuple(colour), "-") for colour in colours[:n]]
    return [(tuple(colour), _LINE_STYLES[i % len(_LINE_STYLES)])
            for i, colour in enumerate(colours[:n])]


@themed
def plot_hypotheses_side_by_side(
    calibrations: Mapping[str, Any], column: str = "total_synthetic",
    start: str | None = None, end: str | None = None, marks: Marks = (), title: str | None = None,
) -> Figure:
    """One synthetic series per calibrated hypothesis, overlaid (``scenario.calibrate_all`` output).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> idx = pd.date_range("2011-03-01", periods=30, freq="D")
    >>> cal = SimpleNamespace(series=pd.DataFrame({"total_synthetic": range(30)}, index=idx))
    >>> plot_hypotheses_side_by_side({"baseline": cal}).axes[0].get_title()
    'total_synthetic by hypothesis (SYNTHETIC scenarios, not data)'
    """
    frame = pd.DataFrame({name: cal.series[column] for name, cal in calibrations.items()})
    return plot_daily_series(frame.loc[start:end], title=title or f"{column} by hypothesis "
                        "(SYNTHETIC scenarios, not data)",
                        ylabel="billion messages per day (synthetic)", marks=marks)


@themed
def plot_placebo_dates(table: pd.DataFrame, title: str = "", ylabel: str = "level change") -> Figure:
    """Placebo level changes by fake date with intervals; the real interruption in red.

    ``table`` is the output of :func:`spamlab.its.placebo` (``interruption``,
    ``estimate``, ``ci_low``, ``ci_high``, ``scale``, ``is_real``).

    Examples
    --------
    >>> t = pd.DataFrame({"interruption": ["2011-03-01", "2011-03-16"], "estimate": [1.0, 0.7],
    ...                   "ci_low": [0.9, 0.6], "ci_high": [1.1, 0.8], "scale": ["ratio"] * 2,
    ...                   "is_real": [False, True]})
    >>> plot_placebo_dates(t).axes[0].get_ylabel()
    'level change (ratio)'
    """
    moments = pd.to_datetime(table["interruption"].astype(str), utc=True, format="mixed")
    moments = moments.dt.tz_localize(None)
    real = table["is_real"].to_numpy(dtype=bool)
    scale = str(table["scale"].iloc[0])
    fig, ax = plt.subplots(figsize=(10, 4), layout="constrained")
    for mask, colour, label in ((~real, "0.45", "placebo date (no intervention)"),
                                (real, "tab:red", "the real interruption")):
        part = table.loc[mask]
        ax.errorbar(moments[mask], part["estimate"], fmt="o", color=colour, markersize=4,
                    yerr=[part["estimate"] - part["ci_low"], part["ci_high"] - part["estimate"]],
                    capsize=2, label=label)
    ax.axhline(1.0 if scale == "ratio" else 0.0, color="0.3", linewidth=0.8, linestyle="--")
    ax.set_ylabel(f"{ylabel} ({scale})")
    ax.set_xlabel("date of the (fake or real) interruption")
    ax.set_title(title or "Placebo test: level changes at fake dates before the interruption")
    ax.legend(loc="lower left", fontsize=8)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %Y"))
    return fig


# Old names, kept for one release (each warns and names the new one).
daily_series = deprecated_alias(plot_daily_series, "daily_series", module="spamlab.plots")
monthly_rates = deprecated_alias(plot_monthly_rates, "monthly_rates", module="spamlab.plots")
placebo_dates = deprecated_alias(plot_placebo_dates, "placebo_dates", module="spamlab.plots")
published_by_vendor = deprecated_alias(plot_published_by_vendor, "published_by_vendor", module="spamlab.plots")
published_periods = deprecated_alias(plot_published_periods, "published_periods", module="spamlab.plots")
hypotheses_side_by_side = deprecated_alias(plot_hypotheses_side_by_side, "hypotheses_side_by_side", module="spamlab.plots")
