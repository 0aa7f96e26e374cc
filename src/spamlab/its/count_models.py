"""The count families of the segmented regression: Poisson, quasi-Poisson and NB2.

:func:`fit_poisson` (``family="poisson"`` and ``"quasipoisson"``) and :func:`fit_negbin`
(``family="negbin"``), with ``errors="iid"`` or a Newey-West covariance (small-sample
adjusted on the working linear model); :mod:`spamlab.its.segmented` dispatches to them
(``COUNT_FAMILIES``) after :func:`check_zero_segments`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.discrete.discrete_model import NegativeBinomial
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM

from spamlab.errors import DataError, ParameterError
from spamlab.its.design import Design
from spamlab.its.fitted import (
    ContrastInference,
    Fitted,
    gap_note,
    newey_west_lags,
    observed_rows,
    small_sample_hac,
)
from spamlab.its.specification import Specification

__all__ = ["check_zero_segments", "fit_negbin", "fit_poisson", "overdispersion_notes"]

def check_zero_segments(design: Design, y: np.ndarray, family: str) -> None:
    """Refuse a count model when a whole segment (the pre-period, or the span after an
    interruption up to the next) is observed as exactly 0.

    The log-scale level change is then on the boundary (``-inf`` or ``+inf``): the
    fit reports a ratio of about 0 with a meaningless Wald interval and p-value
    (``(0, inf)`` and ``p ~ 1`` with iid errors, a spuriously tight interval with HAC).

    Raises
    ------
    DataError
        Naming the segment and what to do instead.
    """
    levels = [design.matrix[column].to_numpy() for _, kind, column in design.terms
              if kind == "level_change"]
    labels = [label for label, kind, _ in design.terms if kind == "level_change"]
    observed = ~np.isnan(y)
    spans = [("before " + repr(labels[0]), levels[0] == 0)]
    spans += [(f"from {label!r} to the {'next interruption' if k + 1 < len(levels) else 'end'}",
               (levels[k] > 0) & ((levels[k + 1] < 1) if k + 1 < len(levels) else True))
              for k, label in enumerate(labels)]
    for where, rows in spans:
        values = y[rows & observed]
        if len(values) and not values.any():
            raise DataError(f"family={family!r}: y is 0 in all {len(values)} observed period(s) "
                            f"{where}; the ratio for that change is on the boundary (0 or "
                            "infinite), where its interval and p-value mean nothing. Report the "
                            "drop to zero as it is, or model the difference with "
                            "family='gaussian'")


def fit_poisson(design: Design, response: np.ndarray, spec: Specification) -> Fitted:
    """``family="poisson"`` or ``"quasipoisson"``: Poisson GLM, log link, ``log(exposure)``
    offset (quasi-Poisson: Pearson dispersion and t intervals)."""
    quasi, kind = spec.family == "quasipoisson", spec.error_structure[0]
    small_sample, lags_option = spec.small_sample, spec.hac_lags
    yv, x, offset = observed_rows(design, response)
    model = GLM(yv, x, family=families.Poisson(), offset=offset)
    plain = model.fit(scale="X2" if quasi else None, use_t=quasi)
    res, cov = plain, plain.cov_params()
    term_df: dict[str, float] = {}
    notes: tuple[str, ...] = ()
    rho: float | None = None
    contrast: ContrastInference | None = None
    name = ("quasi-Poisson (Pearson dispersion)" if quasi else "Poisson") + " GLM, log link"
    if kind == "hac":
        lags = newey_west_lags(len(yv), lags_option)
        res = model.fit(cov_type="HAC", cov_kwds={"maxlags": lags})
        mu = np.asarray(res.mu)
        cov, term_df, described, rho, contrast = _count_hac(
            x, (yv - mu) / np.sqrt(mu), mu, res.cov_params(), design, lags, small_sample)
        name, notes = name + described, gap_note(response)
    elif not quasi:
        notes = overdispersion_notes(float(plain.pearson_chi2), float(plain.df_resid))
    dispersion = float(plain.scale) if quasi else 1.0
    noise = ("quasipoisson", dispersion) if quasi else ("poisson", 1.0)
    df = plain.df_resid if (quasi and kind != "hac") else None
    return Fitted(res.params, cov, df, True, noise, np.asarray(plain.resid_pearson), name, notes,
                  term_df, rho, res, contrast)


def overdispersion_notes(pearson_chi2: float, df_resid: float, level: float = 0.01
                         ) -> tuple[str, ...]:
    """A caution when a Poisson fit's Pearson chi-square rejects the Poisson variance.

    With overdispersed counts (any count series with extra day-to-day variation, and
    every series in the millions) Poisson ``iid`` intervals are ``sqrt(dispersion)``
    times too narrow: 0.7471 with a 95% interval 0.747119 to 0.747122 for daily counts
    near 2e11.

    Examples
    --------
    >>> overdispersion_notes(110.0, 100.0)
    ()
    >>> overdispersion_notes(900.0, 100.0)[0][:45]
    'overdispersion: the Pearson dispersion is 9, '
    """
    if not df_resid > 0 or stats.chi2.sf(pearson_chi2, df_resid) >= level:
        return ()
    dispersion = pearson_chi2 / df_resid
    return ((f"overdispersion: the Pearson dispersion is {dispersion:.3g}, not 1 as Poisson "
             f"counts have (chi-square test p < {level:g}), so these Poisson intervals are "
             f"about {np.sqrt(dispersion):.3g} times too narrow; use family='quasipoisson' or "
             "'negbin', or errors='hac'"),)


def fit_negbin(design: Design, response: np.ndarray, spec: Specification) -> Fitted:
    """``family="negbin"``: NB2 negative binomial by maximum likelihood."""
    kind, small_sample, lags_option = spec.error_structure[0], spec.small_sample, spec.hac_lags
    yv, x, offset = observed_rows(design, response)
    model = NegativeBinomial(yv, x, offset=offset, loglike_method="nb2")
    options: dict[str, object] = {"disp": False, "maxiter": 200}
    if kind == "hac":
        options.update(cov_type="HAC", cov_kwds={"maxlags": newey_west_lags(len(yv), lags_option)})
    res, notes = _quiet_fit(model, method="newton", **options)
    if not (np.all(np.isfinite(res.params)) and res.mle_retvals.get("converged", False)):
        res, notes = _quiet_fit(model, method="bfgs", **{**options, "maxiter": 2000})
        notes = ("Newton-Raphson failed; negative binomial fitted by BFGS",) + notes
    columns = list(x.columns)
    alpha = float(res.params["alpha"])
    try:
        cov = res.cov_params().loc[columns, columns]
    except ValueError:
        cov = None
    boundary = alpha < 1e-4 and not res.mle_retvals.get("converged", False)
    if cov is None or not np.all(np.isfinite(cov.to_numpy())) or boundary:
        # alpha -> 0 is the Poisson boundary, where NB2's likelihood has no interior maximum
        # and its covariance depends on where the optimizer happened to stop
        why = ("no overdispersion?" if alpha < 1e-4 else
               f"the likelihood search failed on counts up to {np.max(yv):.3g}")
        raise ParameterError(f"family='negbin': the fit has no usable covariance (dispersion "
                             f"alpha = {alpha:.2g}; {why}); use family='poisson' "
                             "or 'quasipoisson'")
    if alpha < 1e-4:
        notes += (f"no overdispersion found (alpha = {alpha:.2g}): family='poisson' is adequate",)
    mu = np.exp(x.to_numpy() @ res.params[columns].to_numpy() + offset)
    pearson = (yv - mu) / np.sqrt(mu + alpha * mu**2)
    name = "negative binomial (NB2), log link"
    term_df: dict[str, float] = {}
    rho: float | None = None
    contrast: ContrastInference | None = None
    if kind == "hac":
        cov, term_df, described, rho, contrast = _count_hac(
            x, pearson, mu / (1 + alpha * mu), cov, design, newey_west_lags(len(yv), lags_option),
            small_sample)
        name, notes = name + described, notes + gap_note(response)
    return Fitted(res.params[columns], cov, None, True, ("negbin", alpha), pearson, name, notes,
                  term_df, rho, res, contrast)


def _count_hac(x: pd.DataFrame, pearson: np.ndarray, weights: np.ndarray, cov: pd.DataFrame,
               design: Design, lags: int, small_sample: bool,
               ) -> tuple[pd.DataFrame, dict[str, float], str, float | None,
                          ContrastInference | None]:
    """A count model's Newey-West ``cov`` (statsmodels: no ``n/(n-p)``), small-sample adjusted
    on request (:func:`small_sample_hac`), with its df, the text for the model name, the
    working AR(1) ``rho`` of the adjustment and its contrast inference (``None`` without it)."""
    described = f", Newey-West HAC ({lags} lags"
    term_df: dict[str, float] = {}
    rho: float | None = None
    contrast: ContrastInference | None = None
    if small_sample:
        cov, term_df, rho, contrast = small_sample_hac(x, pearson, weights, cov,
                                                        design.interruption_columns, lags, False)
        described += f", small-sample adjusted under AR(1) rho={rho:.3f}"
    return cov, term_df, described + ")", rho, contrast


def _quiet_fit(model: NegativeBinomial, **options: object) -> tuple[Any, tuple[str, ...]]:
    """Fit, turning optimizer warnings into notes for the result's warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(**options)
    return res, tuple(f"optimizer: {w.message}" for w in caught)
