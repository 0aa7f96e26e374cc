"""Every figure spamlab draws, one module per stage; each function returns a matplotlib Figure.

Modules: ``aftermath`` (how much of the fall persisted in the months after), ``published`` (the published figures side by side and by vendor, monthly rates, daily
series, placebo dates, hypotheses side by side), ``its`` (an ITS result, its residual
diagnostics, a sensitivity table), ``residual`` (the waterfall of the residual accounting, its
readings, the collateral curve), ``attribution`` (the per-source accounting: each source
against its counterfactual, the residual with its interval), ``scenario`` (a calibrated
synthetic scenario), ``style`` (the theme). Nothing here saves a figure: :func:`spamlab.report.save_figure` does that.

Importing this package sets the figure theme once (:func:`theme`: seaborn's ``whitegrid``
style, ``notebook`` context, colour-blind palette), for the notebooks, the CLI and
``ITSResult.plot`` alike; ``matplotlib.rcdefaults()`` undoes it.
"""

from __future__ import annotations

from spamlab.plots.aftermath import plot_persistence
from spamlab.plots.attribution import plot_residual, plot_sources
from spamlab.plots.its import plot_diagnostics, plot_result, plot_sensitivity
from spamlab.plots.published import (
    daily_series,
    drawn_rows,
    hypotheses_side_by_side,
    monthly_rates,
    placebo_dates,
    published_by_vendor,
    published_periods,
    published_rows,
    sources_table,
)
from spamlab.plots.residual import plot_collateral, plot_waterfall
from spamlab.plots.scenario import plot_series
from spamlab.plots.style import theme

__all__ = [
    "daily_series", "drawn_rows", "hypotheses_side_by_side", "monthly_rates", "placebo_dates",
    "plot_collateral", "plot_diagnostics", "plot_persistence", "plot_residual", "plot_result", "plot_sensitivity",
    "plot_series", "plot_sources", "plot_waterfall", "published_by_vendor", "published_periods",
    "published_rows", "sources_table", "theme",
]

theme()
