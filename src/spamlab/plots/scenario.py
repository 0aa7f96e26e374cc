"""Figure of a calibrated synthetic scenario, and how far its calibration reaches."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.figure import Figure

from spamlab import figures
from spamlab.deprecation import deprecated_alias
from spamlab.plots.style import themed

if TYPE_CHECKING:  # type only: plots sit above scenario, which never imports them
    from spamlab.scenario.calibration import Calibration

__all__ = ["TOTAL", "calibrated_until", "plot_scenario", "plot_series"]

#: Column of a scenario series that holds the sum of its sources.
TOTAL = "total_synthetic"


@themed
def plot_scenario(cal: Calibration, start: str = "2011-02-01", end: str = "2011-04-30") -> Figure:
    """Stacked daily volume by source of a calibrated scenario; the title says SYNTHETIC.

    Every column of ``cal.series`` except the total is one source.

    Examples
    --------
    >>> from spamlab.scenario import calibrate
    >>> fig = plot_scenario(calibrate("second_source"))
    >>> "SYNTHETIC" in fig.axes[0].get_title()
    True
    """
    frame = cal.series.loc[start:end].drop(columns=TOTAL)
    fig = Figure(figsize=(9, 4))
    ax = fig.add_subplot()
    ax.stackplot(frame.index, *(frame[c] for c in frame.columns),
                 labels=[c.removesuffix("_synthetic").replace("_", " ") for c in frame.columns],
                 alpha=0.85)
    ax.axvline(cal.params.takedown_as_timestamp(), color="k", lw=0.8, ls="--", label="takedown")
    cons = cal.constraints
    fitted = cons[cons["fitted"]]
    missed = cons.loc[~cons["fitted"] & (cons["rel_error"].abs() > cal.tolerance), "figure_id"]
    status = (f"fits {len(fitted)} fitted figures within {cal.tolerance:.0%}" if cal.consistent
              else f"misses fitted figures by up to {cal.max_rel_error:.0%}")
    broken = f"; breaks rows {', '.join(map(str, missed))}" if len(missed) else ""
    ax.set_title(f"SYNTHETIC scenario '{cal.hypothesis}' ({status}{broken});\nnot data about 2011",
                 fontsize=10)
    ax.set_ylabel("billion messages per day (synthetic)")
    ax.legend(fontsize=8, loc="upper right", ncol=2)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


plot_series = deprecated_alias(plot_scenario, "plot_series", module="spamlab.plots")


def calibrated_until(cal: Calibration, table: pd.DataFrame | None = None) -> pd.Timestamp:
    """The last day covered by a published figure the scenario was fitted to.

    After it the scenario runs on its fitted trends alone: nothing published held it
    there, so a figure of the scenario is cut at this day (figures the scenario was only
    checked against, ``fitted=False``, do not extend it).

    Parameters
    ----------
    cal
        A calibrated scenario (:func:`spamlab.scenario.calibrate`).
    table
        The figures table (default :func:`spamlab.figures.load`), for each fitted
        figure's ``period_end``.

    Examples
    --------
    >>> from spamlab.scenario import calibrate
    >>> cal = calibrate("combined")
    >>> ids = cal.constraints.loc[cal.constraints["fitted"], "figure_id"]
    >>> str(calibrated_until(cal).date()), 249 in set(ids)  # Symantec's April mean (#249)
    ('2011-04-30', True)
    """
    table = figures.load() if table is None else table
    fitted = cal.constraints.loc[cal.constraints["fitted"], "figure_id"].astype(int).tolist()
    return pd.Timestamp(figures.get(table, fitted)["period_end"].max())
