"""The one look of spamlab's figures (a seaborn theme) and the time-axis label they share.

:func:`theme` is applied once, when :mod:`spamlab.plots` is imported (and so by every
notebook, the CLI and ``ITSResult.plot``): seaborn's ``whitegrid`` style, ``notebook``
context and colour-blind palette. Call it again after changing matplotlib's settings
yourself; ``matplotlib.rcdefaults()`` undoes it.

Examples
--------
>>> import matplotlib as mpl
>>> theme()
>>> mpl.rcParams["axes.grid"], mpl.rcParams["axes.spines.top"]
(True, False)
"""

from __future__ import annotations

import matplotlib
import pandas as pd
import seaborn as sns

#: Palette of every figure; the vendors' colours are drawn from it too.
PALETTE = "colorblind"


def theme() -> None:
    """Set spamlab's figure theme (seaborn ``whitegrid``, ``notebook`` context, colour-blind palette).

    Besides seaborn's theme: no top and right spines, a slightly smaller base font (the
    figures are 9-12 inches wide), and saved figures never clipped (``bbox_inches="tight"``).
    """
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE, font_scale=0.85,
                  rc={"axes.spines.top": False, "axes.spines.right": False,
                      "savefig.bbox": "tight", "legend.frameon": True,
                      "figure.titlesize": "large"})


_REMEMBERED: list[matplotlib.RcParams] = []  # the settings kept, at most one copy


def remember_settings() -> None:
    """Keep a copy of matplotlib's current settings for :func:`restore_settings`.

    A warm kernel (``spamlab.kernels``) calls it once spamlab is imported, so every
    notebook it runs later starts from the settings a fresh kernel would have.
    """
    _REMEMBERED[:] = [matplotlib.rcParams.copy()]


def restore_settings() -> None:
    """Put back every matplotlib setting :func:`remember_settings` kept (spamlab's theme
    when nothing was kept).

    Examples
    --------
    >>> remember_settings()
    >>> matplotlib.rcParams["axes.titlepad"] = 17.0
    >>> restore_settings()
    >>> matplotlib.rcParams["axes.titlepad"] == _REMEMBERED[0]["axes.titlepad"]
    True
    """
    if not _REMEMBERED:
        theme()
        return
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
