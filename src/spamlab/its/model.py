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

from collections.abc import Sequence
from typing import Any

import pandas as pd

from spamlab.errors import ParameterError
from spamlab.its import data as its_data
from spamlab.its import design as its_design
from spamlab.its.counterfactual import counterfactual_table
from spamlab.its.diagnostics import (
    autocorrelation_warnings,
    data_warnings,
    few_df_warnings,
    observed_counts,
    outcome_scale,
    residual_diagnostics,
)
from spamlab.its.results import ITSResult, assemble, effects_table
from spamlab.its.segmented import fit_segmented
from spamlab.its.specification import Specification, resolve
from spamlab.its.structural import fit_structural


def fit(
    data: pd.DataFrame,
    *,
    y: str = "volume",
    interruptions: Sequence[object] | object = (),
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
        For unusable data or options; the message names the column/parameter.
    """
    spec = resolve(spec, model)
    series = its_data.prepare(data, y, interruptions, time=time, min_pre=spec.min_pre,
                              min_post=spec.min_post)
    if not series.cuts:
        raise ParameterError("interruptions: give at least one interruption date")
    if spec.method == "structural":
        fitted, table, terms, n_params = fit_structural(series, spec)
        scale, errors = 1.0, "structural"  # its residuals are standardized forecast errors
    else:
        design = its_design.build(series, spec.seasonality, spec.slope_change, spec.covariates,
                                  spec.exposure, spec.trend)
        fitted = fit_segmented(design, series.y, spec)
        table = counterfactual_table(design, fitted, series.y, series.is_post(), spec.alpha,
                                     spec.seed)
        terms, n_params = design.terms, len(design.matrix.columns)
        scale, errors = outcome_scale(series.y, spec.transform == "log"), spec.error_structure[0]
    dfs = {column: fitted.df_for(column) for _, _, column in terms}
    effects = effects_table(terms, fitted.params, fitted.cov, dfs, fitted.log_scale, spec.alpha)
    diagnostics = residual_diagnostics(fitted.residuals, scale)
    notes = list(fitted.notes) + data_warnings(series, n_params) + few_df_warnings(dfs)
    notes += autocorrelation_warnings(diagnostics, errors, spec.alpha)
    return assemble(effects, table, fitted, y, observed_counts(series), tuple(notes),
                    diagnostics, spec, terms)
