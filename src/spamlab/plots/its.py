"""Figures of ITS results: a fit (observed, counterfactual, effects), its residual diagnostics,
a sensitivity table.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from spamlab import its
>>> frame = pd.DataFrame({"v": np.r_[np.full(30, 10.0), np.full(20, 6.0)] + np.sin(np.arange(50))},
...                      index=pd.date_range("2011-02-01", periods=50))
>>> fig = its.fit(frame, y="v", interruptions=["2011-03-03"]).plot()
>>> len(fig.axes)  # two panels plus the twin axis of the cumulative effect
3
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from scipy import stats
from statsmodels.tsa.stattools import acf

from spamlab.deprecation import deprecated_alias
from spamlab.plots.style import themed, time_label

if TYPE_CHECKING:  # type only: plots sit above its (ITSResult.plot imports this module when called)
    from spamlab.its.results import ITSResult

__all__ = ["defended_horizon", "plot_diagnostics", "plot_its", "plot_result", "plot_sensitivity", "summed_unit"]

#: Error models whose diagnostics are computed on residuals after the error model (whitened).
_WHITENED = frozenset({"ar1", "reml", "arma"})


@themed
def plot_its(res: ITSResult, title: str | None = None, ylabel: str | None = None,
                until: object = None) -> Figure:
    """Two panels: observed, fit and counterfactual band; pointwise and cumulative effect.

    Parameters
    ----------
    res
        A fitted :class:`~spamlab.its.results.ITSResult`.
    title
        Figure title; defaults to the outcome and model.
    ylabel
        The outcome with its unit, e.g. ``"billion messages per day"``; defaults
        to the outcome column's name. The effect panels use the same unit, the
        cumulative effect its sum over the periods (``"billion messages"``).
    until
        Last period for which the counterfactual, its band and the effects are drawn
        (e.g. :func:`defended_horizon`); observed and fit are drawn throughout and a
        dash-dotted line marks a cut before the table's end. ``None``: the whole table.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from spamlab import its
    >>> frame = pd.DataFrame({"v": np.r_[np.full(30, 10.0), np.full(20, 6.0)] + np.sin(np.arange(50))},
    ...                      index=pd.date_range("2011-02-01", periods=50))
    >>> fig = plot_its(its.fit(frame, y="v", interruptions=["2011-03-03"]), until="2011-03-10")
    >>> counterfactual = [line for line in fig.axes[0].lines if "counterfactual" in line.get_label()]
    >>> str(pd.Timestamp(max(counterfactual[0].get_xdata())).date())
    '2011-03-10'
    """
    table = res.counterfactual
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True,
                                      height_ratios=(2, 1), layout="constrained")
    x = table.index
    shown = table if until is None else table.loc[:_moment(str(until), table.index)]
    level = round(100 * (1 - res.alpha))
    top.fill_between(shown.index, shown["counterfactual_low"], shown["counterfactual_high"],
                     color="C1", alpha=0.25, label=f"counterfactual {level}% prediction band")
    top.plot(x, table["observed"], color="0.2", lw=1, marker=".", ms=3, label="observed")
    top.plot(x, table["fitted"], color="C0", lw=1.5, label="model fit")
    top.plot(shown.index, shown["counterfactual"], color="C1", lw=1.5, ls="--",
             label="counterfactual (no interruption)")
    if len(shown) < len(table):  # a cut inside the table: mark it
        for axis in (top, bottom):
            axis.axvline(shown.index[-1], color="C1", ls="-.", lw=1,
                         label=f"counterfactual and effects shown to {_day(shown.index[-1])}")
    _mark_interruptions(res, top)
    _mark_interruptions(res, bottom)
    outcome = ylabel or res.y
    top.set_ylabel(outcome)
    top.legend(loc="best", fontsize="small")
    bottom.plot(shown.index, shown["effect"], color="C3", lw=1,
                label="pointwise effect (observed - counterfactual)")
    bottom.axhline(0, color="0.5", lw=0.8)
    bottom.set_ylabel(f"effect\n({outcome})" if ylabel else f"effect on {res.y}")
    twin = bottom.twinx()
    twin.grid(False)  # the left axis's grid is the one to read
    twin.plot(shown.index, shown["cumulative_effect"], color="C4", lw=1.5, label="cumulative effect")
    twin.set_ylabel(f"cumulative effect\n({summed_unit(ylabel)})")
    handles = [h for h in bottom.get_legend_handles_labels()[0] if "shown to" not in h.get_label()]
    handles += twin.get_legend_handles_labels()[0]
    bottom.legend(handles, [h.get_label() for h in handles], loc="best", fontsize="small")
    bottom.set_xlabel(_time_axis(table.index))
    fig.suptitle(title or f"Interrupted time series of {res.y}\n{res.model}", fontsize="medium")
    return fig


def defended_horizon(res: ITSResult) -> pd.Timestamp | None:
    """The last period after the (first) interruption up to which the data still tell the
    counterfactual apart from what was observed.

    Counting from the first period at or after the interruption, it is the last period of
    the run of periods whose observation lies outside the counterfactual's prediction band
    (``counterfactual_low .. counterfactual_high``; unobserved periods neither end nor
    extend the run). Beyond it an observed day is one the no-interruption model could
    have produced, so a gap between observed and counterfactual there measures the
    extrapolated pre-period trend, not the interruption; the band only widens further out.

    Parameters
    ----------
    res
        A fitted :class:`~spamlab.its.results.ITSResult`.

    Returns
    -------
    pandas.Timestamp or None
        The index label of that period (whatever the index holds), or ``None`` when the
        first observed period after the interruption already lies inside the band.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from spamlab import its
    >>> noise = np.random.default_rng(1).normal(0, 0.3, 60)
    >>> values = np.r_[np.full(40, 10.0), np.full(10, 6.0), np.full(10, 10.0)] + noise
    >>> frame = pd.DataFrame({"v": values}, index=pd.date_range("2011-02-01", periods=60))
    >>> res = its.fit(frame, y="v", interruptions=["2011-03-13"], slope_change=False)
    >>> str(defended_horizon(res).date())  # the 10 lower days, then back inside the band
    '2011-03-22'
    """
    table = res.counterfactual
    start = _moment(res.interruptions[0], table.index)
    after = table.loc[_period_ends(table.index) > start].dropna(subset=["observed"])
    outside = ((after["observed"] < after["counterfactual_low"])
               | (after["observed"] > after["counterfactual_high"])).to_numpy()
    if not len(after) or not outside[0]:
        return None
    first_inside = int(np.argmin(outside)) if not outside.all() else len(outside)
    return after.index[first_inside - 1]


def _period_ends(index: pd.Index) -> pd.Index:
    """Where each period ends: a daily row covers its day, so it is 'after' an interruption
    inside that day (partial exposure); other indexes are points."""
    if isinstance(index, pd.DatetimeIndex) and len(index) > 1:
        return index + pd.Series(index).diff().median()
    return index


def _day(moment: object) -> str:
    """A period label as text: ``25 Mar 2011`` for a timestamp, else ``str``."""
    return f"{moment:%d %b %Y}" if isinstance(moment, pd.Timestamp) else str(moment)


@themed
def plot_diagnostics(res: ITSResult, title: str | None = None, ylabel: str | None = None,
                     lags: int = 20) -> Figure:
    """Residual diagnostics of an ITS fit: residuals over time, their autocorrelation, observed
    against fitted.

    The residuals are observed minus fitted on the model's scale: ``log(observed / fitted)``
    for a log link or ``transform="log"`` (0.1 is about 10% above the fit), else a
    difference in the outcome's unit. The autocorrelation panel shows their ACF with the
    ``1 - alpha`` band of white noise (``z / sqrt(n)``); for AR(1), REML and ARMA errors it also
    shows the ACF of the residuals after the error model, the ones the Ljung-Box test in
    :attr:`~spamlab.its.results.ITSResult.diagnostics` uses, which should stay inside the band.
    For those error models ``fitted`` is the one-step-ahead prediction
    (:mod:`spamlab.its.prediction`), so both sets of residuals are nearly the same.

    Parameters
    ----------
    res
        A fitted :class:`~spamlab.its.results.ITSResult`.
    title
        First line of the figure title (default: the outcome); the model is the second line.
    ylabel
        The outcome with its unit, e.g. ``"billion messages per day"`` (default: its column name).
    lags
        Largest lag of the autocorrelation panel.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from spamlab import its
    >>> frame = pd.DataFrame({"v": 10 + np.sin(np.arange(60)) - 4 * (np.arange(60) >= 40)},
    ...                      index=pd.date_range("2011-02-01", periods=60, tz="UTC"))
    >>> fig = plot_diagnostics(its.fit(frame, y="v", interruptions=["2011-03-13"]))
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['date (UTC)', 'lag (days)', 'fitted (v)']
    """
    table = res.counterfactual
    outcome = ylabel or res.y
    resid = _residuals(res)
    fig = plt.figure(figsize=(10, 7.5), layout="constrained")
    axes = fig.subplot_mosaic([["time", "time"], ["acf", "fit"]], height_ratios=(1, 1.1))
    over_time = axes["time"]
    over_time.plot(table.index, resid, color="0.25", lw=0.8, marker=".", ms=4)
    over_time.axhline(0, color="0.4", lw=0.8)
    _mark_interruptions(res, over_time)
    over_time.set_ylabel("log(observed / fitted)" if res.spec.log_scale
                         else f"observed - fitted\n({outcome})")
    over_time.set_xlabel(_time_axis(table.index))
    over_time.set_title("Residuals over time (dotted: interruptions)", fontsize="medium")
    _plot_acf(res, resid.dropna().to_numpy(), axes["acf"], lags)
    _plot_observed_fitted(res, outcome, axes["fit"])
    fig.suptitle(f"{title or f'Residual diagnostics of the ITS fit of {res.y}'}\n{res.model}",
                 fontsize="medium")
    return fig


def _residuals(res: ITSResult) -> pd.Series:
    """Observed minus fitted on the model's scale (log ratio on a log scale), NaN where unobserved."""
    table = res.counterfactual
    if res.spec.log_scale:
        ratio = table["observed"].where(table["observed"] > 0) / table["fitted"]
        return pd.Series(np.log(ratio.to_numpy(dtype=float)), index=table.index)
    return table["observed"] - table["fitted"]


def _plot_acf(res: ITSResult, resid: np.ndarray, axis: plt.Axes, lags: int) -> None:
    """ACF stems of ``resid``, the white-noise band, and the error model's residual ACF."""
    nlags = max(1, min(lags, len(resid) - 1))
    lag = np.arange(1, nlags + 1)
    values = acf(resid, nlags=nlags, fft=True)[1:]
    band = stats.norm.ppf(1 - res.alpha / 2) / np.sqrt(len(resid))
    level = round(100 * (1 - res.alpha))
    axis.fill_between(np.r_[0.5, lag, nlags + 0.5], -band, band, color="C0", alpha=0.15, lw=0,
                      label=f"{level}% band of white noise")
    axis.vlines(lag, 0, values, color="0.25", lw=2)
    axis.plot(lag, values, "o", color="0.25", ms=4, label="observed - fitted")
    whitened = res.diagnostics.get("acf")
    if res.spec.error_structure[0] in _WHITENED and whitened:
        after = np.asarray(whitened[1:nlags + 1], dtype=float)
        axis.plot(np.arange(1, len(after) + 1), after, "D", color="C1", ms=4,
                  label="after the error model (Ljung-Box)")
    axis.axhline(0, color="0.5", lw=0.8)
    axis.set_xlim(0.5, nlags + 0.5)
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_xlabel(f"lag ({_period_name(res.counterfactual.index)})")
    axis.set_ylabel("autocorrelation")
    axis.legend(loc="upper right", fontsize="x-small")
    axis.set_title("Autocorrelation of the residuals" + _tests(res.diagnostics), fontsize="medium")


def _tests(diagnostics: dict) -> str:
    """The Ljung-Box and Durbin-Watson results as a second title line ('' without them)."""
    if "ljung_box_p" not in diagnostics:
        return ""
    return (f"\nLjung-Box p = {diagnostics['ljung_box_p']:.2g} (lag {diagnostics['ljung_box_lag']}), "
            f"Durbin-Watson = {diagnostics['durbin_watson']:.2f}")


def _plot_observed_fitted(res: ITSResult, outcome: str, axis: plt.Axes) -> None:
    """Observed against fitted, before and at/after the first interruption, with the 1:1 line."""
    table = res.counterfactual.dropna(subset=["observed"])
    try:
        after = table.index >= _moment(res.interruptions[0], table.index)
    except (TypeError, ValueError):
        after = np.zeros(len(table), dtype=bool)
    period = np.where(after, "at or after the first interruption", "before it")
    sns.scatterplot(x=table["fitted"].to_numpy(), y=table["observed"].to_numpy(), hue=period,
                    hue_order=["before it", "at or after the first interruption"], ax=axis, s=18,
                    palette=["C0", "C3"])
    low = float(np.nanmin(table[["fitted", "observed"]].to_numpy()))
    high = float(np.nanmax(table[["fitted", "observed"]].to_numpy()))
    axis.plot([low, high], [low, high], color="0.4", lw=0.8, ls="--", label="observed = fitted")
    axis.set_xlabel(f"fitted ({outcome})")
    axis.set_ylabel(f"observed ({outcome})")
    axis.legend(loc="upper left", fontsize="x-small")
    axis.set_title("Observed against fitted", fontsize="medium")


def summed_unit(unit: str | None) -> str:
    """The unit of a sum of effects over periods: ``"billion messages per day"`` -> ``"billion messages"``.

    Examples
    --------
    >>> summed_unit("billion messages per day"), summed_unit("count"), summed_unit(None)
    ('billion messages', 'count x periods', 'sum of the pointwise effects')
    """
    if unit is None:
        return "sum of the pointwise effects"
    for per in (" per day", " per hour", " per week", " per month"):
        if unit.endswith(per):
            return unit.removesuffix(per)
    return f"{unit} x periods"


def _time_axis(index: pd.Index) -> str:
    """x-axis label of a time index: ``date (UTC)`` for days, ``time (UTC)`` for finer times."""
    if isinstance(index, pd.DatetimeIndex):
        daily = len(index) > 0 and bool((index == index.normalize()).all())
        return time_label(index, "date" if daily else "time")
    return time_label(index, str(index.name or "period"))


def _period_name(index: pd.Index) -> str:
    """What one step of the index is: ``days``, ``hours``, ... or ``periods``."""
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 2:
        return "periods"
    step = pd.Series(index).diff().median()
    names = {pd.Timedelta(hours=1): "hours", pd.Timedelta(days=1): "days", pd.Timedelta(weeks=1): "weeks"}
    return names.get(step, "periods")


def _mark_interruptions(res: ITSResult, axis: plt.Axes) -> None:
    table = res.counterfactual
    for label in res.effects["interruption"].unique():
        try:
            moment = _moment(label, table.index)
        except (TypeError, ValueError):
            continue
        axis.axvline(moment, color="0.4", ls=":", lw=1)


def _moment(label: str, index: pd.Index) -> pd.Timestamp | float:
    """An interruption label as a position on the x axis."""
    if isinstance(index, pd.DatetimeIndex):
        moment = pd.Timestamp(label)
        if index.tz is not None and moment.tz is None:
            moment = moment.tz_localize(index.tz)
        elif index.tz is None and moment.tz is not None:
            moment = moment.tz_convert("UTC").tz_localize(None)
        return moment
    return float(label)


@themed
def plot_sensitivity(table: pd.DataFrame, title: str | None = None) -> Figure:
    """Point-and-interval panels, one per ``varied`` axis (and scale) of a sensitivity table.

    ``table`` is :attr:`spamlab.its.SensitivityResult.table`.

    Examples
    --------
    >>> table = pd.DataFrame({"varied": ["pre_window"] * 2, "setting": ["60", "30"],
    ...                       "estimate": [-5.0, -4.0], "ci_low": [-6.0, -6.0],
    ...                       "ci_high": [-4.0, -2.0], "scale": ["difference"] * 2})
    >>> len(plot_sensitivity(table).axes)
    1
    """
    groups = list(dict.fromkeys(zip(table["varied"], table["scale"])))
    fig, axes = plt.subplots(1, len(groups), figsize=(4.5 * len(groups), 4), squeeze=False,
                             layout="constrained")
    for axis, (group, scale) in zip(axes[0], groups):
        part = table[(table["varied"] == group) & (table["scale"] == scale)].reset_index(drop=True)
        ypos = np.arange(len(part))
        axis.errorbar(part["estimate"], ypos, fmt="o", color="C0", capsize=3,
                      xerr=[part["estimate"] - part["ci_low"], part["ci_high"] - part["estimate"]])
        axis.axvline(1.0 if scale == "ratio" else 0.0, color="0.5", lw=0.8, ls="--")
        axis.set_yticks(ypos, part["setting"])
        axis.set_title(group.replace("_", " ") + (" (ratio scale)" if scale == "ratio" else ""))
        axis.set_xlabel("level change" + (" (ratio)" if scale == "ratio" else " (difference)"))
    axes[0][0].set_ylabel("setting")
    fig.suptitle(title or "Sensitivity of the level change (estimate and interval)")
    return fig


#: Old name, kept for one release (warns and names :func:`plot_its`).
plot_result = deprecated_alias(plot_its, "plot_result", module="spamlab.plots")
