"""The one entry point for interrupted-time-series models: :func:`fit` (``spamlab.its.fit``).

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

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from spamlab.errors import ParameterError
from spamlab.its import data as its_data
from spamlab.its import design as its_design
from spamlab.its import scaling
from spamlab.its.counterfactual import counterfactual_table
from spamlab.its.data import PreparedSeries
from spamlab.its.diagnostics import (
    autocorrelation_warnings,
    data_warnings,
    few_df_warnings,
    observed_counts,
    outcome_scale,
    residual_diagnostics,
)
from spamlab.its.results import ITSResult, assemble, effects_table
from spamlab.its.segmented import Fitted, fit_segmented
from spamlab.its.specification import Specification, resolve
from spamlab.its.structural import check_varies, fit_structural

__all__ = ["check_finite", "fit"]


def fit(
    data: pd.DataFrame,
    *,
    y: str = "volume",
    interruptions: Sequence[object] | object,
    time: str | None = None,
    spec: Specification | None = None,
    **model: Any,
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
    time
        Column holding the time labels (default: the index).
    spec
        The model, a :class:`~spamlab.its.specification.Specification` (default: its defaults).
    **model
        Fields of :class:`~spamlab.its.specification.Specification`, overriding ``spec``:
        ``family`` (``"gaussian"``), ``exposure``, ``transform``, ``seasonality``,
        ``slope_change`` (True), ``errors`` (``"iid"``), ``covariates``, ``method``
        (``"segmented"``), ``alpha`` (0.05), ``trend`` (True), ``min_pre``, ``min_post``,
        ``small_sample`` (True), ``seed`` (0).

    Returns
    -------
    ITSResult
        ``effects``, ``counterfactual``, ``summary()``, ``plot()``, ``to_dict()``.

    Raises
    ------
    DataError, ParameterError
        For unusable data or options; the message names the column/parameter. Poisson
        and NB2 models need counts (:func:`spamlab.its.scaling.check_counts`).

    Notes
    -----
    The outcome is fitted as ``y / res.unit`` (its median size) and
    the result mapped back, so any positive rescaling of ``y`` gives the same relative
    answer (:mod:`spamlab.its.scaling`).
    """
    spec = resolve(spec, model)
    series = its_data.prepare(data, y, interruptions, time=time, min_pre=spec.min_pre,
                              min_post=spec.min_post)
    if not series.cuts:
        raise ParameterError("interruptions: give at least one interruption date")
    if spec.method == "structural":
        check_varies(series, spec)
    unit = scaling.outcome_unit(series.y, y, spec.family)
    covariate_units = scaling.covariate_units(series.frame, spec.covariates)
    fitted, table, terms, n_params, errors, design = _fit_model(
        scaling.divided(series, unit, covariate_units), spec)
    dfs = {column: fitted.df_for(column) for _, _, column in terms}
    effects = effects_table(terms, fitted.params, fitted.cov, dfs, fitted.log_scale, spec.alpha)
    scale = 1.0 if errors == "structural" else outcome_scale(series.y / unit,
                                                              spec.transform == "log")
    diagnostics = residual_diagnostics(fitted.residuals, scale)  # residuals in the fitted unit
    notes = list(fitted.notes) + data_warnings(series, n_params) + few_df_warnings(dfs)
    notes += autocorrelation_warnings(diagnostics, errors, spec.alpha)
    if design is not None:  # in the data's unit, as the params are
        design = dataclasses.replace(design, matrix=design.matrix.assign(
            **{name: design.matrix[name] * size for name, size in covariate_units.items()}))
    result = assemble(effects, table, fitted, y, observed_counts(series), tuple(notes),
                      diagnostics, spec, terms, series, design)
    return check_finite(scaling.to_data_units(result, unit, series.y, covariate_units))


def _fit_model(series: PreparedSeries, spec: Specification
               ) -> tuple[Fitted, pd.DataFrame, tuple[tuple[str, str, str], ...], int, str,
                          its_design.Design | None]:
    """The fit (segmented or structural) of a prepared series: the fitted model, the
    counterfactual table, the interruption terms, the number of estimated quantities,
    the error structure's name (``"structural"`` for the state-space model) and the
    design (``None`` for the state-space model)."""
    if spec.method == "structural":
        fitted, table, terms, n_params = fit_structural(series, spec)
        return fitted, table, terms, n_params, "structural", None
    design = its_design.build(series, spec.seasonality, spec.slope_change, spec.covariates,
                              spec.exposure, spec.trend)
    fitted = fit_segmented(design, series.y, spec)
    table = counterfactual_table(design, fitted, series.y, series.is_post(), spec.alpha,
                                 spec.seed)
    return (fitted, table, design.terms, len(design.matrix.columns), spec.error_structure[0],
            design)


def check_finite(res: ITSResult) -> ITSResult:
    """Refuse a result whose effects are not numbers; warn (in ``res.warnings``) beside an
    interval or counterfactual band that is not finite.

    Raises
    ------
    ParameterError
        When an estimate, interval bound or p-value is NaN: the model could not be fitted
        to these data, and a NaN printed beside a number is no answer.
    """
    numbers = res.effects[["estimate", "ci_low", "ci_high", "p_value"]].to_numpy(float)
    if np.isnan(numbers).any():
        raise ParameterError(f"{res.model}: the fit of {res.y!r} gave NaN for an effect, its "
                             "interval or p-value (a variance that is not a number); simplify "
                             "the model (errors='iid', fewer terms) or check the data")
    notes = [f"the {row.kind} at {row.interruption} has an interval that is not finite "
             f"({row.ci_low:.4g} to {row.ci_high:.4g}): the data do not bound this effect"
             for row in res.effects.itertuples() if not np.isfinite([row.ci_low, row.ci_high]).all()]
    bands = res.counterfactual[["counterfactual_low", "counterfactual_high"]].to_numpy(float)
    if np.isinf(bands).any():
        notes.append(f"the counterfactual band is infinite in {int(np.isinf(bands).any(axis=1).sum())} "
                     "period(s): the model cannot predict them")
    return dataclasses.replace(res, warnings=res.warnings + tuple(notes)) if notes else res
