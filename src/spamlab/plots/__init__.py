"""Every figure spamlab draws, one module per stage; each function returns a matplotlib Figure.

Modules: ``aftermath`` (how much of the fall persisted in the months after), ``published`` (the published figures side by side and by vendor, monthly rates, daily
series, placebo dates, hypotheses side by side), ``its`` (an ITS result, its residual
diagnostics, a sensitivity table), ``residual`` (the waterfall of the residual accounting, its
readings, the collateral curve), ``attribution`` (the per-source accounting: each source
against its counterfactual, the residual with its interval), ``scenario`` (a calibrated
synthetic scenario), ``style`` (the theme). Nothing here saves a figure: :func:`spamlab.report.save_figure` does that.

Each figure is drawn in spamlab's theme (seaborn's ``whitegrid`` style, ``notebook``
context, colour-blind palette) inside a ``matplotlib.rc_context``
(:func:`~spamlab.plots.style.themed`): importing this package changes no matplotlib
setting. :func:`theme` puts the look on every figure, the user's own too.

Every figure function is ``plot_<what>``. Old names kept for one release, each warning:
``plot_residual`` (now :func:`plot_attribution`, the figure of
:func:`spamlab.attribution.account_by_source`), ``plot_series`` (now :func:`plot_scenario`),
``plot_result`` (now :func:`plot_its`), and ``daily_series``, ``monthly_rates``,
``placebo_dates``, ``published_by_vendor``, ``published_periods``,
``hypotheses_side_by_side`` (now with the ``plot_`` prefix).
"""

from __future__ import annotations

from spamlab.plots.aftermath import plot_persistence
from spamlab.plots.attribution import plot_attribution, plot_residual, plot_sources
from spamlab.plots.its import plot_diagnostics, plot_its, plot_result, plot_sensitivity
from spamlab.plots.published import (
    daily_series,
    drawn_rows,
    hypotheses_side_by_side,
    monthly_rates,
    placebo_dates,
    plot_daily_series,
    plot_hypotheses_side_by_side,
    plot_monthly_rates,
    plot_placebo_dates,
    plot_published_by_vendor,
    plot_published_periods,
    published_by_vendor,
    published_periods,
    published_rows,
    sources_table,
)
from spamlab.plots.residual import plot_collateral, plot_waterfall
from spamlab.plots.scenario import plot_scenario, plot_series
from spamlab.plots.style import theme

__all__ = [
    "daily_series",
    "drawn_rows",
    "hypotheses_side_by_side",
    "monthly_rates",
    "placebo_dates",
    "plot_attribution",
    "plot_collateral",
    "plot_daily_series",
    "plot_diagnostics",
    "plot_hypotheses_side_by_side",
    "plot_its",
    "plot_monthly_rates",
    "plot_persistence",
    "plot_placebo_dates",
    "plot_published_by_vendor",
    "plot_published_periods",
    "plot_residual",
    "plot_result",
    "plot_scenario",
    "plot_sensitivity",
    "plot_series",
    "plot_sources",
    "plot_waterfall",
    "published_by_vendor",
    "published_periods",
    "published_rows",
    "sources_table",
    "theme",
]
