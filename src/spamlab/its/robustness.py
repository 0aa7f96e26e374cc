"""Robustness of an ITS estimate: placebo dates in time and sensitivity tables.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from spamlab import its
>>> rng = np.random.default_rng(0)
>>> days = pd.date_range("2011-01-01", periods=120)
>>> frame = pd.DataFrame({"v": rng.normal(50, 1, 120) - 8 * (days >= "2011-03-16")}, index=days)
>>> table = its.placebo(frame, y="v", interruptions=["2011-03-16"])
>>> int(table.attrs["real_rank"])
1
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from spamlab.errors import ParameterError
from spamlab.its import data as its_data
from spamlab.its.scan import SCAN_COLUMNS, scan_dates


def placebo(data: pd.DataFrame, y: str = "volume", interruptions: Sequence[object] | object = (),
            batch: bool = True, **options: Any) -> pd.DataFrame:
    """Refit at every admissible fake date in the pre-period and rank the real effect.

    The pre-period is the data before the first interruption. A fake date is
    admissible when at least ``min_pre`` observed points precede it and
    ``min_post`` follow it inside the pre-period. Each placebo fit uses the same
    options as the real one (single fake interruption). The real effect's rank
    compares absolute level changes on the model's linear scale (log scale for
    ratios); rank 1 is the largest.

    Parameters
    ----------
    data, y, interruptions, **options
        Exactly as for :func:`spamlab.its.fit`.
    batch
        Solve the placebo fits in one batch where possible (same numbers as the loop).

    Returns
    -------
    DataFrame, one row per placebo date plus the real one (``is_real``), columns
    ``interruption, estimate, ci_low, ci_high, p_value, scale, coef, std_err, df,
    is_real, rank``. ``attrs`` holds ``real_rank``, ``n_placebo`` and
    ``rank_p_value`` (``real_rank / (n_placebo + 1)``).

    Raises
    ------
    ParameterError
        When the pre-period admits no placebo date.
    """
    from spamlab.its.fit import fit

    real = fit(data, y=y, interruptions=interruptions, **options)
    real_row = real.level_change(0)
    series = its_data.prepare(data, y, interruptions, time=options.get("time"),
                              **_minimums(options))
    pre = _pre_period(data, series, options.get("time"))
    dates = admissible_dates(pre, y, options)
    if not dates:
        raise ParameterError("placebo: the pre-period is too short for any placebo date "
                             f"({len(pre)} rows; needs more than min_pre + min_post)")
    table = scan_dates(pre, y, dates, batch=batch, **options).assign(is_real=False)
    real_table = pd.DataFrame([{c: real_row[c] for c in SCAN_COLUMNS}]).assign(is_real=True)
    table = pd.concat([table, real_table], ignore_index=True)
    table["rank"] = table["coef"].abs().rank(ascending=False, method="min").astype(int)
    rank = int(table.loc[table["is_real"], "rank"].iloc[0])
    table.attrs.update(real_rank=rank, n_placebo=len(dates), rank_p_value=rank / (len(dates) + 1))
    return table


def _minimums(options: Mapping[str, Any]) -> dict[str, int]:
    return {k: options[k] for k in ("min_pre", "min_post") if k in options}


def _pre_period(data: pd.DataFrame, series: its_data.PreparedSeries, time: str | None
                ) -> pd.DataFrame:
    keep = series.exposure_fraction(0) == 0
    return data.loc[keep] if time is None else data.loc[data.index[keep]]


def admissible_dates(pre: pd.DataFrame, y: str, options: Mapping[str, Any]) -> list[object]:
    """Labels of pre-period rows that can serve as placebo interruptions."""
    minimum = _minimums(options)
    series = its_data.prepare(pre, y, (), time=options.get("time"))
    observed = ~np.isnan(series.y)
    before = np.cumsum(observed) - observed
    after = observed[::-1].cumsum()[::-1]
    ok = (before >= minimum.get("min_pre", its_data.MIN_PRE)) & (
        after >= minimum.get("min_post", its_data.MIN_POST))
    return [moment_label(v) for v in series.index[ok]]


def moment_label(value: object) -> object:
    """A timestamp as ``YYYY-MM-DD`` (midnight) or ``YYYY-MM-DD HH:MM:SS`` in its own zone.

    Examples
    --------
    >>> moment_label(pd.Timestamp("2011-03-16", tz="UTC")), moment_label(1899)
    ('2011-03-16', 1899)
    """
    if not isinstance(value, pd.Timestamp):
        return value.item() if isinstance(value, np.generic) else value
    if value == value.normalize():
        return value.strftime("%Y-%m-%d")
    return value.strftime("%Y-%m-%d %H:%M:%S")


def sensitivity(data: pd.DataFrame, y: str = "volume",
                interruptions: Sequence[object] | object = (), *,
                shifts: Sequence[int] = (-7, -3, -1, 0, 1, 3, 7),
                pre_windows: Sequence[int] | None = None,
                specifications: Mapping[str, Mapping[str, Any]] | None = None,
                **options: Any) -> pd.DataFrame:
    """The first interruption's level change across dates, pre-windows and model specifications.

    Parameters
    ----------
    data, y, interruptions, **options
        The baseline model, as for :func:`spamlab.its.fit`.
    shifts
        Moves of the first interruption, in observation periods.
    pre_windows
        Numbers of pre-period observations to keep (default: the whole pre-period,
        3/4 and 1/2 of it).
    specifications
        ``{name: overrides}`` of fit options; default: iid / HAC / AR(1) errors,
        with and without day-of-week terms (daily data), log transform.

    Returns
    -------
    Tidy DataFrame: ``varied`` (``'interruption' | 'pre_window' | 'specification'``),
    ``setting``, ``interruption``, ``estimate, ci_low, ci_high, p_value, scale``.
    ``attrs["skipped_shifts"]`` lists date shifts left out because they leave too
    few points before/after or cross another interruption.
    """
    series = its_data.prepare(data, y, interruptions, time=options.get("time"),
                              **_minimums(options))
    by_date = _by_date(data, y, series, shifts, options)
    parts = [by_date, _by_window(data, y, series, interruptions, pre_windows, options),
             _by_specification(data, y, series, interruptions, specifications, options)]
    table = pd.concat(parts, ignore_index=True)
    table.attrs["skipped_shifts"] = by_date.attrs["skipped_shifts"]
    return table


def _row(varied: str, setting: str, effect: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("interruption", "estimate", "ci_low", "ci_high", "p_value", "scale")
    return {"varied": varied, "setting": setting, **{k: effect[k] for k in keys}}


def _by_date(data: pd.DataFrame, y: str, series: its_data.PreparedSeries,
             shifts: Sequence[int], options: dict[str, Any]) -> pd.DataFrame:
    """The first interruption moved by whole periods (time of day kept); inadmissible moves skipped."""
    rest = list(series.labels[1:])
    dates, names, skipped = [], [], []
    for shift in sorted({int(s) for s in shifts}):
        try:
            moment = series.labels[0] if shift == 0 else _shifted(series, shift)
            its_data.prepare(data, y, [moment, *rest], time=options.get("time"),
                             **_minimums(options))
        except (ParameterError, IndexError):
            skipped.append(shift)
            continue
        dates.append(moment)
        names.append(f"{shift:+d} periods")
    if rest:
        from spamlab.its.fit import fit

        effects = [fit(data, y=y, interruptions=[d, *rest], **options).level_change(0)
                   for d in dates]
    else:
        effects = [row for _, row in scan_dates(data, y, dates, **options).iterrows()]
    table = pd.DataFrame([_row("interruption", n, e) for n, e in zip(names, effects)])
    table.attrs["skipped_shifts"] = skipped
    return table


def _shifted(series: its_data.PreparedSeries, shift: int) -> object:
    """The first interruption moved by ``shift`` periods, keeping its offset inside the period."""
    start = int(np.floor(series.cuts[0]))
    index = series.index
    if not 0 <= start + shift < len(index):
        raise IndexError(shift)
    if not series.is_datetime:
        return index[start + shift] + (series.cuts[0] - start) * (index[1] - index[0])
    offset = its_data.as_timestamp(series.labels[0], index) - index[start]
    return moment_label(index[start + shift] + offset)


def _by_window(data: pd.DataFrame, y: str, series: its_data.PreparedSeries,
               interruptions: Any, pre_windows: Sequence[int] | None,
               options: dict[str, Any]) -> pd.DataFrame:
    from spamlab.its.fit import fit

    n_pre = int((series.exposure_fraction(0) == 0).sum())
    windows = pre_windows or sorted({n_pre, (3 * n_pre) // 4, n_pre // 2}, reverse=True)
    rows = []
    for window in windows:
        start = n_pre - int(window)
        if start < 0 or window < options.get("min_pre", its_data.MIN_PRE):
            continue
        res = fit(data.iloc[start:], y=y, interruptions=interruptions, **options)
        rows.append(_row("pre_window", f"{window} pre periods", res.level_change(0)))
    return pd.DataFrame(rows)


def default_specifications(series: its_data.PreparedSeries) -> dict[str, dict[str, Any]]:
    """iid/HAC/AR(1) errors, with and without day-of-week terms, and a log-scale model."""
    specs: dict[str, dict[str, Any]] = {
        "errors=iid": {"errors": "iid"}, "errors=hac": {"errors": "hac"},
        "errors=ar1": {"errors": "ar1"},
    }
    if series.is_datetime and getattr(its_data.frequency(series.index), "freqstr", "") == "D":
        specs["dow + hac"] = {"seasonality": "dow", "errors": "hac"}
        specs["no seasonality + hac"] = {"seasonality": None, "errors": "hac"}
    if np.nanmin(series.y) > 0:
        specs["log(y) + hac"] = {"transform": "log", "errors": "hac", "family": "gaussian"}
    return specs


def _by_specification(data: pd.DataFrame, y: str, series: its_data.PreparedSeries,
                      interruptions: Any, specifications: Mapping[str, Mapping[str, Any]] | None,
                      options: dict[str, Any]) -> pd.DataFrame:
    from spamlab.its.fit import fit

    specs = specifications if specifications is not None else default_specifications(series)
    rows = []
    for name, overrides in specs.items():
        res = fit(data, y=y, interruptions=interruptions, **{**options, **overrides})
        rows.append(_row("specification", name, res.level_change(0)))
    return pd.DataFrame(rows)


def plot_sensitivity(table: pd.DataFrame, title: str | None = None) -> Figure:
    """Point-and-interval panels, one per ``varied`` axis (and scale) of a :func:`sensitivity` table.

    Examples
    --------
    >>> table = pd.DataFrame({"varied": ["pre_window"] * 2, "setting": ["60", "30"],
    ...                       "estimate": [-5.0, -4.0], "ci_low": [-6.0, -6.0],
    ...                       "ci_high": [-4.0, -2.0], "scale": ["difference"] * 2})
    >>> len(plot_sensitivity(table).axes)
    1
    """
    import matplotlib.pyplot as plt

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
