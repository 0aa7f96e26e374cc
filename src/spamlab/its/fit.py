"""``spamlab.its.fit``: the one entry point for interrupted-time-series models.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from spamlab import its
>>> days = pd.date_range("2011-01-01", periods=120, tz="UTC")
>>> rng = np.random.default_rng(1)
>>> frame = pd.DataFrame({"volume": 50 - 15 * (days >= "2011-03-16") + rng.normal(0, 1, 120)},
...                      index=days)
>>> res = its.fit(frame, y="volume", interruptions=["2011-03-16"], errors="hac")
>>> round(float(res.effects["estimate"].iloc[0]))
-15
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from spamlab.errors import ParameterError
from spamlab.its import data as its_data
from spamlab.its import design as its_design
from spamlab.its.counterfactual import counterfactual_table
from spamlab.its.diagnostics import residual_diagnostics
from spamlab.its.results import ITSResult, assemble, effects_table
from spamlab.its.segmented import fit_segmented, parse_errors

METHODS: tuple[str, ...] = ("segmented", "structural")
FEW_PRE: int = 20
EXACT_FIT: str = ("the model fits the data exactly (residuals are rounding noise): "
                  "intervals and diagnostics are meaningless")


def fit(
    data: pd.DataFrame,
    y: str = "volume",
    interruptions: Sequence[object] | object = (),
    family: str = "gaussian",
    exposure: str | None = None,
    transform: str | None = None,
    seasonality: str | Sequence[str] | None = None,
    slope_change: bool = False,
    errors: str = "iid",
    covariates: Sequence[str] = (),
    method: str = "segmented",
    alpha: float = 0.05,
    *,
    time: str | None = None,
    trend: bool = True,
    min_pre: int = its_data.MIN_PRE,
    min_post: int = its_data.MIN_POST,
    seed: int = 0,
    small_sample: bool = True,
) -> ITSResult:
    """Fit an interrupted-time-series model and return effects and the counterfactual.

    Parameters
    ----------
    data
        DataFrame with a regular ``DatetimeIndex`` (naive or tz-aware), an integer
        or ``PeriodIndex`` (e.g. years), or a time column named by ``time``.
    y
        Outcome column. Missing values are allowed (reported as gaps).
    interruptions
        One or more moments; observations at/after each are post (``>=``). A moment
        inside a period gives that period the fraction after it (partial exposure).
    family
        ``"gaussian" | "poisson" | "quasipoisson" | "negbin"``.
    exposure
        Column whose log enters as offset (log link or ``transform="log"``).
    transform
        ``None`` or ``"log"`` (gaussian on ``log(y)``; effects are ratios).
    seasonality
        ``None | "dow" | "fourier:PERIOD:ORDER"`` or a list of these.
    slope_change
        Add a change-in-slope term per interruption.
    errors
        ``"iid" | "hac" | "ar1" | "arma(p,q)"`` (``ar1``/``arma`` gaussian only);
        with ``method="structural"`` the state-space model handles the dynamics.
    covariates
        Control series columns.
    method
        ``"segmented"`` (regression) or ``"structural"`` (local level + seasonal).
    alpha
        Intervals are ``1 - alpha`` (default 95%).
    time, trend, min_pre, min_post, seed
        Time column, linear trend on/off, minimum observed points before the
        first interruption and after each, seed of simulated count bands.
    small_sample
        Small-sample corrections for ``errors="hac"`` (every family; count models
        through their working linear model) and gaussian ``"ar1"`` (see
        :mod:`spamlab.its.smallsample`); ``False`` gives statsmodels' plain
        Newey-West and iterated ``GLSAR`` intervals.

    Returns
    -------
    ITSResult
        ``effects``, ``counterfactual``, ``summary()``, ``plot()``, ``to_dict()``.

    Raises
    ------
    DataError, ParameterError
        For unusable data or options; the message names the column/parameter.
    """
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha={alpha!r} must be between 0 and 1")
    if method not in METHODS:
        raise ParameterError(f"method={method!r} is unknown; use one of {list(METHODS)}")
    series = its_data.prepare(data, y, interruptions, time=time, min_pre=min_pre, min_post=min_post)
    if not series.cuts:
        raise ParameterError("interruptions: give at least one interruption date")
    options = {
        "y": y, "family": family, "exposure": exposure, "transform": transform,
        "seasonality": seasonality, "slope_change": slope_change, "errors": errors,
        "covariates": tuple([covariates] if isinstance(covariates, str) else covariates),
        "method": method, "alpha": alpha, "time": time, "trend": trend,
        "small_sample": small_sample,
    }
    if method == "structural":
        from spamlab.its.structural import fit_structural

        return fit_structural(series, options, seed=seed)
    parse_errors(errors)
    design = its_design.build(series, seasonality, slope_change, options["covariates"],
                              exposure, trend)
    fitted = fit_segmented(design, series.y, family, transform, errors, small_sample)
    dfs = {column: fitted.df_for(column) for column in design.interruption_columns}
    effects = effects_table(design.terms, fitted.params, fitted.cov, dfs, fitted.log_scale, alpha)
    table = counterfactual_table(design, fitted, series.y, series.is_post(), alpha, seed)
    diagnostics = residual_diagnostics(fitted.residuals, _outcome_scale(series.y, transform))
    notes = list(fitted.notes) + data_warnings(series, len(design.matrix.columns))
    notes += autocorrelation_warnings(diagnostics, errors, alpha)
    return assemble(effects, table, fitted.description, y, observed_counts(series), tuple(notes),
                    diagnostics, fitted.params, fitted.cov, options)


def _outcome_scale(y: np.ndarray, transform: str | None) -> float:
    """Typical size of the modelled outcome (for the exact-fit check)."""
    values = np.log(y[y > 0]) if transform == "log" else y[~np.isnan(y)]
    return float(np.max(np.abs(values), initial=0.0)) if len(values) else 1.0


def observed_counts(series: its_data.PreparedSeries) -> tuple[int, int]:
    """Observed outcomes before the first interruption and at/after it (partial periods count as post)."""
    observed = ~np.isnan(series.y)
    post = series.is_post()
    return int((observed & ~post).sum()), int((observed & post).sum())


def data_warnings(series: its_data.PreparedSeries, n_params: int) -> list[str]:
    """Cautions about the data: few pre-period points, gaps (missing outcomes)."""
    notes = []
    n_pre, _ = observed_counts(series)
    if n_pre < max(FEW_PRE, 2 * n_params):
        notes.append(f"too few pre-period points: {n_pre} observed before the first "
                     f"interruption for {n_params} parameters; the baseline is fragile")
    gaps = int(np.isnan(series.y).sum())
    if gaps:
        first = series.index[int(np.argmax(np.isnan(series.y)))]
        notes.append(f"gaps in the data: {gaps} missing outcome value(s) (first at {first}); "
                     "they are left out of the fit, not filled")
    return notes


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
