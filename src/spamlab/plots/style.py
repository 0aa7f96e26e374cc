"""The one look of spamlab's figures (a seaborn theme) and the time-axis label they share.

Every figure function of :mod:`spamlab.plots` draws inside :func:`themed`: seaborn's
``whitegrid`` style, ``notebook`` context and colour-blind palette, applied in a
:func:`matplotlib.rc_context` while the figure is built. Importing spamlab changes no
matplotlib setting, so a user's own figures keep the user's settings; :func:`theme` puts
the look on every figure (a global change, the user's choice).

Examples
--------
>>> import matplotlib as mpl
>>> with mpl.rc_context(theme_settings()):
...     mpl.rcParams["axes.grid"], mpl.rcParams["axes.spines.top"]
(True, False)
>>> mpl.rcParams["axes.spines.top"]  # unchanged outside
True
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, ParamSpec

import matplotlib
import pandas as pd
import seaborn as sns
from cycler import cycler
from matplotlib.collections import Collection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from spamlab.deprecation import warn_renamed

__all__ = ["PALETTE", "remember_settings", "restore_settings", "theme", "theme_settings", "themed",
           "time_label"]

#: Palette of every figure; the vendors' colours are drawn from it too.
PALETTE = "colorblind"

#: Besides seaborn's theme: no top and right spines, a framed legend, a larger figure title.
_EXTRA = {"axes.spines.top": False, "axes.spines.right": False, "savefig.bbox": "tight",
          "legend.frameon": True, "figure.titlesize": "large"}

P = ParamSpec("P")
_CYCLE_COLOUR = re.compile(r"C\d+")


@functools.cache
def _settings() -> dict[str, Any]:
    return {**sns.plotting_context("notebook", font_scale=0.85),
            **sns.axes_style("whitegrid", rc={"font.family": "sans-serif"}),
            "axes.prop_cycle": cycler(color=sns.color_palette(PALETTE)), **_EXTRA}


def theme_settings() -> dict[str, Any]:
    """The matplotlib settings of spamlab's theme (what ``seaborn.set_theme`` would set, with
    the changes listed in :data:`_EXTRA`), without applying them.

    Besides seaborn's theme: no top and right spines, a slightly smaller base font (the
    figures are 9-12 inches wide), and saved figures never clipped (``bbox_inches="tight"``).
    """
    return dict(_settings())


def themed(draw: Callable[P, Figure]) -> Callable[P, Figure]:
    """Decorator: ``draw`` builds its figure inside ``rc_context(theme_settings())``, and
    what matplotlib would read from its settings only when the figure is drawn is
    settled inside the context too (:func:`_settle`), so that the figure looks the same
    wherever it is shown or saved.
    """

    @functools.wraps(draw)
    def drawing(*args: P.args, **kwargs: P.kwargs) -> Figure:
        settings: Any = theme_settings()
        with matplotlib.rc_context(settings):
            fig = draw(*args, **kwargs)
            _settle(fig)
        return fig

    return drawing


def _settle(fig: Figure) -> None:
    """Fix in ``fig`` what matplotlib otherwise takes from the settings at drawing time:
    the ticks' label size (the first tick of each axis is made on first use and the
    others copy it; a locator counts how many labels fit from the size), and colours
    given as ``"C0"``, ``"C1"``, ... (read from the colour cycle when drawn)."""
    for axes in fig.axes:
        for axis in (axes.xaxis, axes.yaxis):
            axis.set_tick_params(which="major", labelsize=axis.majorTicks[0].label1.get_fontsize())
            axis.set_tick_params(which="minor", labelsize=axis.minorTicks[0].label1.get_fontsize())
    for artist in fig.findobj():
        given: dict[str, Any] = {}
        if isinstance(artist, Text):
            given["color"] = artist.get_color()
        if isinstance(artist, Line2D):
            given |= {"color": artist.get_color(), "markerfacecolor": artist.get_markerfacecolor(),
                      "markeredgecolor": artist.get_markeredgecolor()}
        for part in ("facecolor", "edgecolor", "hatchcolor"):  # patches and collections keep
            if hasattr(artist, f"_original_{part}"):  # the colour as given, resolved when drawn
                given[part] = getattr(artist, f"_original_{part}")
        for part, colour in given.items():
            if (fixed := _without_cycle_colours(colour)) is not None:
                getattr(artist, f"set_{part}")(fixed)
        if isinstance(artist, Collection) and given.get("edgecolor") is None:
            artist.set_edgecolor(artist.get_edgecolor())  # the default depends on the settings


def _without_cycle_colours(colour: Any) -> Any:
    """``colour`` (one or a sequence) with ``"C0"``, ``"C1"``, ... (the colour cycle's n-th
    colour) replaced by RGBA values; ``None`` when it holds none.

    Examples
    --------
    >>> with matplotlib.rc_context({"axes.prop_cycle": cycler(color=["#ff0000", "#0000ff"])}):
    ...     _without_cycle_colours(["C1", "k"]), _without_cycle_colours("0.5")
    ([(0.0, 0.0, 1.0, 1.0), 'k'], None)
    """
    def cycle(value: Any) -> bool:
        return isinstance(value, str) and _CYCLE_COLOUR.fullmatch(value) is not None

    if cycle(colour):
        return to_rgba(colour)
    if isinstance(colour, (list, tuple)) and any(cycle(value) for value in colour):
        return [to_rgba(value) if cycle(value) else value for value in colour]
    return None


def theme() -> None:
    """Put spamlab's theme on every figure from now on (a global change of matplotlib's
    settings; ``matplotlib.rcdefaults()`` undoes it).

    spamlab's own figures need no call: each draws in the theme (:func:`themed`).
    Seaborn's shorthand colour codes (``"b"``, ``"k"``, ...) are remapped too.
    """
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE, font_scale=0.85,
                  rc=_EXTRA)


_REMEMBERED: list[matplotlib.RcParams] = []  # the settings kept, at most one copy


def remember_settings() -> None:
    """Deprecated: importing spamlab no longer changes matplotlib's settings; a warm kernel
    keeps them with :func:`spamlab.kernels.remember_settings`."""
    warn_renamed("spamlab.plots.style.remember_settings", "spamlab.kernels.remember_settings")
    _REMEMBERED[:] = [matplotlib.rcParams.copy()]


def restore_settings() -> None:
    """Deprecated: see :func:`spamlab.kernels.restore_settings`; puts back what
    :func:`remember_settings` kept (nothing when nothing was kept)."""
    warn_renamed("spamlab.plots.style.restore_settings", "spamlab.kernels.restore_settings")
    if _REMEMBERED:
        matplotlib.rcParams.update(_REMEMBERED[0])


def time_label(index: pd.Index, what: str = "date") -> str:
    """``what`` with the time zone of ``index``, read from its dtype or (``time_utc``) its name.

    Times without a zone say so; an index that is not a time (periods 0, 1, ...) has none.

    Examples
    --------
    >>> time_label(pd.date_range("2011-03-01", periods=2, tz="Europe/Berlin"))
    'date (Europe/Berlin)'
    >>> time_label(pd.Index([1, 2], name="time_utc"), "day")
    'day (UTC)'
    >>> time_label(pd.date_range("2011-03-01", periods=2)), time_label(pd.RangeIndex(3), "period")
    ('date (time zone not stated)', 'period')
    """
    zone = getattr(index, "tz", None)
    if zone is None and "utc" in str(index.name).lower():
        zone = "UTC"
    elif zone is None and isinstance(index, pd.DatetimeIndex):
        zone = "time zone not stated"
    return f"{what} ({zone})" if zone is not None else what
