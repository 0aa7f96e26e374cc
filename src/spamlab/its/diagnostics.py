"""Residual diagnostics (Ljung-Box, Durbin-Watson, the autocorrelation function) and the
plain-language cautions a fit reports: few pre-period points, gaps, autocorrelation left.

Examples
--------
>>> import numpy as np
>>> d = residual_diagnostics(np.random.default_rng(0).standard_normal(200))
>>> sorted(d)
['acf', 'durbin_watson', 'exact_fit', 'ljung_box_lag', 'ljung_box_p', 'ljung_box_stat']
"""

from __future__ import annotations

from typing import Any

import numpy as np
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.stats.stattools import durbin_watson
from statsmodels.tsa.stattools import acf

from spamlab.its.data import MIN_PRE, PreparedSeries

__all__ = [
    "EXACT_FIT",
    "FEW_DF",
    "FEW_PRE",
    "autocorrelation_warnings",
    "data_warnings",
    "few_df_warnings",
    "ljung_box_lag",
    "observed_counts",
    "outcome_scale",
    "residual_diagnostics",
]

FEW_PRE: int = 20
FEW_DF: float = 3.0
EXACT_FIT: str = ("the model fits the data exactly (residuals are rounding noise): "
                  "intervals and diagnostics are meaningless")


def ljung_box_lag(n: int) -> int:
    """Lags tested by Ljung-Box: ``min(10, n // 5)``, at least 1."""
    return max(1, min(10, n // 5))


def residual_diagnostics(residuals: np.ndarray, scale: float = 1.0) -> dict[str, object]:
    """Ljung-Box statistic and p-value, Durbin-Watson and ACF (up to 20 lags) of ``residuals``.

    Parameters
    ----------
    residuals
        Residuals in time order (missing values removed).
    scale
        Typical size of the outcome; residuals below ``1e-9 * scale`` mean an
        exact fit (``exact_fit`` is then True and the tests are not computed).
    """
    resid = np.asarray(residuals, dtype=float)
    resid = resid[np.isfinite(resid)]
    if np.max(np.abs(resid), initial=0.0) <= 1e-9 * max(scale, 1e-300):
        return {"exact_fit": True}
    lag = ljung_box_lag(len(resid))
    box = acorr_ljungbox(resid, lags=[lag])
    return {
        "exact_fit": False,
        "ljung_box_lag": lag,
        "ljung_box_stat": float(box["lb_stat"].iloc[0]),
        "ljung_box_p": float(box["lb_pvalue"].iloc[0]),
        "durbin_watson": float(durbin_watson(resid)),
        "acf": [float(v) for v in acf(resid, nlags=min(20, len(resid) - 1), fft=True)],
    }


def outcome_scale(y: np.ndarray, log: bool) -> float:
    """Typical size of the modelled outcome (``log(y)`` when ``log``), for the exact-fit check."""
    values = np.log(y[y > 0]) if log else y[~np.isnan(y)]
    return float(np.max(np.abs(values), initial=0.0)) if len(values) else 1.0


def observed_counts(series: PreparedSeries) -> tuple[int, int]:
    """Observed outcomes before the first interruption and at/after it (partial periods count as post)."""
    observed = ~np.isnan(series.y)
    post = series.is_post()
    return int((observed & ~post).sum()), int((observed & post).sum())


def data_warnings(series: PreparedSeries, n_params: int) -> list[str]:
    """Cautions about the data: few pre-period points, gaps (missing outcomes)."""
    notes = []
    n_pre, _ = observed_counts(series)
    if n_pre < MIN_PRE:
        notes.append(f"very short pre-period: {n_pre} observed point(s) before the first "
                     f"interruption, fewer than the usual minimum of {MIN_PRE} (accepted for a "
                     "monthly or coarser series); the pre-trend, and every effect, rests on "
                     "very few points")
    elif n_pre < max(FEW_PRE, 2 * n_params):
        notes.append(f"too few pre-period points: {n_pre} observed before the first "
                     f"interruption for {n_params} parameters; the baseline is fragile")
    notes += _constant_pre_warning(series)
    gaps = int(np.isnan(series.y).sum())
    if gaps:
        first = series.index[int(np.argmax(np.isnan(series.y)))]
        notes.append(f"gaps in the data: {gaps} missing outcome value(s) (first at {first}); "
                     "they are left out of the fit, not filled")
    return notes


def _constant_pre_warning(series: PreparedSeries) -> list[str]:
    """A caution when every observed outcome before the first interruption is the same."""
    pre = series.y[(series.exposure_fraction(0) == 0) & ~np.isnan(series.y)]
    if len(pre) < 2 or np.ptp(pre) > 0 or np.ptp(series.y[~np.isnan(series.y)]) == 0:
        return []
    return [(f"the outcome is constant before the first interruption (all {len(pre)} observed "
            f"values are {pre[0]:.6g}): often a fill value or a stuck counter, not data; the "
            "baseline has no noise, so its variance (with errors='hac' about 0) and the "
            "intervals rest on the post-period alone")]


def few_df_warnings(dfs: dict[str, float | None]) -> list[str]:
    """A caution for each effect whose t interval rests on fewer than ``FEW_DF`` df.

    Approximate (Satterthwaite, Bell-McCaffrey) df below 3 mean the data barely pin down
    the effect's variance (the error parameters' uncertainty dominates it, typically a
    short series with a strongly autocorrelated REML fit): the t quantile, and the interval, grow without bound as
    the df fall towards 0 (``t_0.975`` is 12.7 on 1 df and about 10^9 on 0.15).

    Examples
    --------
    >>> few_df_warnings({"level_change": 25.0, "slope_change": None})
    []
    >>> few_df_warnings({"level_change": 0.5})[0][:47]
    'few degrees of freedom: level_change has 0.5 df'
    """
    return [f"few degrees of freedom: {column} has {df:.2g} df, so the data "
            "barely determine the variance of this effect and its interval is very wide; "
            "more points before and after the interruption narrow it"
            for column, df in dfs.items() if df is not None and np.isfinite(df) and df < FEW_DF]


def autocorrelation_warnings(diagnostics: dict[str, Any], errors: str, alpha: float) -> list[str]:
    """A caution when the Ljung-Box test rejects white-noise residuals at level ``alpha``."""
    if diagnostics.get("exact_fit"):
        return [EXACT_FIT]
    p = diagnostics.get("ljung_box_p")
    if p is None or not p < alpha:
        return []
    advice = {"iid": "iid intervals are too narrow; use errors='ar1', 'arma(p,q)' or 'hac'",
              "hac": "HAC intervals allow for it, but consider errors='ar1' or 'arma(p,q)'"}
    hint = advice.get(str(errors).lower(), "consider a richer error model (arma(p,q))")
    lag = diagnostics["ljung_box_lag"]
    return [f"residual autocorrelation remains (Ljung-Box p = {p:.2g} at lag {lag}): {hint}"]
