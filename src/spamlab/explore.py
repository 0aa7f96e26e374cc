"""An interactive explorer of an ITS fit: move the interruption, change the model, see it refit.

:func:`refit` is the whole computation (an ITS fit, its counterfactual figure and its effects
table) as a plain function; :func:`explorer` wraps it in ipywidgets controls for JupyterLab
(notebook 05). Each change refits (milliseconds) and redraws the figure (a fraction of a second).

Examples
--------
>>> import numpy as np, pandas as pd
>>> days = pd.date_range("2011-02-01", periods=60, tz="UTC")
>>> frame = pd.DataFrame({"v": 10 + np.sin(np.arange(60)) - 4 * (days >= "2011-03-13")}, index=days)
>>> fig, effects = refit(frame, "v", ["2011-03-13"], errors="hac", family="gaussian", seasonality=None)
>>> list(effects["kind"])
['level_change', 'slope_change']
>>> panel = explorer(frame, "v", ["2011-03-13"])
>>> panel.date.value == pd.Timestamp("2011-03-13", tz="UTC")
True
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from spamlab import its, plots
from spamlab.errors import SpamlabError
from spamlab.its.results import table_html
from spamlab.its.specification import FAMILIES
from spamlab.moments import parse as parse_moment

__all__ = [
    "ERRORS",
    "SEASONALITIES",
    "Explorer",
    "explorer",
    "refit",
]

#: The error models offered by the explorer (any ``errors=`` of :func:`spamlab.its.fit` works in :func:`refit`).
ERRORS: tuple[str, ...] = ("iid", "hac", "ar1", "reml", "arma(1,1)")
#: The seasonality options offered: (label, value).
SEASONALITIES: tuple[tuple[str, str], ...] = (
    ("none", "none"), ("day of week", "dow"), ("weekly Fourier (3 pairs)", "fourier:7:3"))


def refit(frame: pd.DataFrame, y: str, interruptions: Any, errors: str, family: str,
          seasonality: str | None, *, spec: its.Specification | None = None,
          title: str | None = None, ylabel: str | None = None) -> tuple[Figure, pd.DataFrame]:
    """Fit ``its.fit(frame, y=y, interruptions=..., spec=spec, errors=, family=, seasonality=)``
    and return its counterfactual figure and effects table.

    Parameters
    ----------
    frame, y
        The data and its outcome column, as for :func:`spamlab.its.fit`.
    interruptions
        One moment or a list (the explorer moves the last one).
    errors, family, seasonality
        Override those fields of ``spec``.
    spec
        The rest of the model (default: :class:`~spamlab.its.Specification`'s defaults).
    title, ylabel
        Passed to :func:`spamlab.plots.plot_its`.

    Returns
    -------
    (matplotlib.figure.Figure, pandas.DataFrame)
        :func:`~spamlab.plots.plot_its` of the fit and its ``effects``.

    Raises
    ------
    DataError, ParameterError
        As :func:`spamlab.its.fit` does, e.g. for ``errors="ar1"`` with a count family.
    """
    res = its.fit(frame, y=y, interruptions=interruptions, spec=spec or its.Specification(),
                  errors=errors, family=family, seasonality=seasonality)
    return plots.plot_its(res, title=title, ylabel=ylabel), res.effects


class Explorer(widgets.VBox):
    """The explorer's widget: ``date``, ``errors``, ``family``, ``seasonality`` controls above the
    counterfactual figure (``figure``, a PNG) and the effects table (``table``).

    Build it with :func:`explorer`. Any change of a control calls :meth:`update`; a model the
    data cannot carry (a date too near the ends, ``ar1`` with a count family) shows the
    fit's message in place of the table and keeps the last figure.
    """

    def __init__(self, frame: pd.DataFrame, y: str, interruptions: Sequence[pd.Timestamp],
                 spec: its.Specification, ylabel: str | None) -> None:
        self._frame, self._y, self._spec, self._ylabel = frame, y, spec, ylabel
        *self._fixed, moment = interruptions
        self.date = widgets.SelectionSlider(
            options=_date_options(frame.index, moment, self._fixed), value=moment,
            description="interruption", continuous_update=False,
            layout=widgets.Layout(width="60%"), style={"description_width": "initial"})
        self.errors = widgets.Dropdown(options=_with(ERRORS, spec.errors), value=spec.errors,
                                       description="errors")
        self.family = widgets.Dropdown(options=_with(FAMILIES, spec.family), value=spec.family,
                                       description="family")
        seasonality = ("none" if spec.seasonality is None else spec.seasonality
                       if isinstance(spec.seasonality, str) else ",".join(spec.seasonality))
        self.seasonality = widgets.Dropdown(
            options=_with(SEASONALITIES, (seasonality, seasonality)), value=seasonality,
            description="seasonality")
        self.figure = widgets.Image(format="png")
        self.table = widgets.HTML()
        for control in (self.date, self.errors, self.family, self.seasonality):
            control.observe(lambda _change: self.update(), names="value")
        super().__init__([self.date, widgets.HBox([self.errors, self.family, self.seasonality]),
                          self.figure, self.table])
        self.update()

    def update(self) -> None:
        """Refit with the controls' values; redraw the figure and the table."""
        moments = [moment.isoformat() for moment in (*self._fixed, self.date.value)]
        seasonality = None if self.seasonality.value == "none" else self.seasonality.value.split(",")
        try:
            fig, effects = refit(self._frame, self._y, moments, self.errors.value,
                                 self.family.value, seasonality, spec=self._spec,
                                 ylabel=self._ylabel,
                                 title=f"Interruption at {self.date.label}: observed and counterfactual")
        except SpamlabError as error:
            self.table.value = f"<p><b>No fit:</b> {html.escape(str(error))}</p>"
            return
        self.figure.value = _png(fig)
        self.table.value = table_html(f"errors={self.errors.value}, family={self.family.value}, "
                                      f"seasonality={self.seasonality.value}", effects)

    def __repr__(self) -> str:
        return (f"Explorer of {self._y!r} (interactive: open the notebook in JupyterLab and move "
                "the controls)")


def explorer(frame: pd.DataFrame, y: str, interruptions: Any, *,
             spec: its.Specification | None = None, ylabel: str | None = None) -> Explorer:
    """An :class:`Explorer` widget over ``frame``: slide the (last) interruption across the
    days, pick the error model, family and seasonality; the fit, figure and table follow.

    Parameters
    ----------
    frame, y
        The data and its outcome column, as for :func:`spamlab.its.fit` (a DatetimeIndex).
    interruptions
        One moment or a list; the slider moves the last one and keeps its time of day
        (a takedown at 14:45 stays at 14:45), the earlier ones stay where they are.
    spec
        The model the controls start from (its ``errors``, ``family``, ``seasonality``).
    ylabel
        The outcome with its unit, for the figure.
    """
    moments = [parse_moment(m, "interruptions") for m in ([interruptions] if isinstance(interruptions, (str, pd.Timestamp))
                                         else interruptions)]
    zone = getattr(frame.index, "tz", None)
    if zone is not None:
        moments = [m.tz_localize(zone) if m.tz is None else m.tz_convert(zone) for m in moments]
    return Explorer(frame, y, moments, spec or its.Specification(), ylabel)


def _date_options(index: pd.DatetimeIndex, moment: pd.Timestamp,
                  fixed: Sequence[pd.Timestamp]) -> list[tuple[str, pd.Timestamp]]:
    """The days of ``index`` after the ``fixed`` interruptions, at ``moment``'s time of day."""
    offset = moment - moment.normalize()
    days = pd.DatetimeIndex(index).normalize().unique()
    options = {f"{day:%Y-%m-%d}" + (f" {moment:%H:%M}" if offset else ""): day + offset
               for day in days if not fixed or day + offset > max(fixed)}
    options.setdefault(f"{moment:%Y-%m-%d %H:%M}" if offset else f"{moment:%Y-%m-%d}", moment)
    return sorted(options.items(), key=lambda item: item[1])


def _with(options: Sequence[Any], current: Any) -> list[Any]:
    """``options`` with ``current`` appended when it is not among them."""
    values = [option[1] if isinstance(option, tuple) else option for option in options]
    current_value = current[1] if isinstance(current, tuple) else current
    return list(options) if current_value in values else [*options, current]


def _png(fig: Figure, dpi: int = 80) -> bytes:
    """``fig`` as PNG bytes; the figure is closed."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return buffer.getvalue()
