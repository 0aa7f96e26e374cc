"""Fit the segmented regression with statsmodels, per family and error structure.

=============  ==========================================================================
family         model
=============  ==========================================================================
gaussian       OLS on y (or on log y with ``transform="log"``; exposure as offset)
poisson        GLM Poisson, log link, ``log(exposure)`` offset
quasipoisson   GLM Poisson with Pearson chi-square dispersion (``scale="X2"``) and
               t-based intervals, as R's ``quasipoisson``
negbin         NB2 negative binomial by maximum likelihood (dispersion estimated)
=============  ==========================================================================

=========  ===============================================================================
errors     covariance
=========  ===============================================================================
iid        the model's usual covariance
hac        Newey-West (Bartlett kernel) with ``hac_lags(n)`` lags (the Newey-West 1994
           rule ``floor(4 (n/100)^(2/9))``), or ``L`` lags with ``"hac(L)"``. OLS: n/(n-p) correction, and with
           ``small_sample=True`` (default) the Bell-McCaffrey style bias factor and
           Satterthwaite t df of :mod:`spamlab.its.smallsample` for the interruption
           terms. Poisson/quasi-Poisson: Newey-West without n/(n-p) (as statsmodels),
           and with ``small_sample=True`` the same adjustment computed on the
           working linear model (design ``sqrt(w) X`` with the working weights
           ``w``, Pearson residuals); the same for NB2 (``w = mu / (1 + alpha mu)``).
ar1        gaussian only: feasible GLS with AR(1) errors (Cochrane-Orcutt, as
           statsmodels ``GLSAR``). ``small_sample=True``: rho from the OLS residuals,
           bias-corrected (:func:`~spamlab.its.smallsample.bias_corrected_rho`), and
           Satterthwaite t df; ``False``: ``GLSAR.iterative_fit`` to convergence.
reml       gaussian only: AR(1) errors with rho by REML, Kackar-Harville standard errors
           (the variance added by estimating rho) and Satterthwaite df for every
           coefficient and contrast (:mod:`spamlab.its.reml`; gaps enter as longer time
           steps, ``rho^gap``)
arma(p,q)  gaussian only: regression with ARMA(p, q) errors by REML, Kackar-Harville
           variance and Satterthwaite df for every coefficient and contrast
           (:mod:`spamlab.its.armareml`, the ``reml`` estimator for any order; gaps enter
           as longer time steps); beyond ``armareml.DENSE_MAX`` observed rows exact ML
           (statsmodels ``SARIMAX``) with observed information; orders the data cannot
           support are refused (:func:`check_arma_order`)
=========  ===============================================================================

One fitter per error model (:mod:`spamlab.its.error_models`, table ``GAUSSIAN_ERRORS``)
and per count family (:mod:`spamlab.its.count_models`, table ``COUNT_FAMILIES``); what
they share, and the :class:`Fitted` record they return, is :mod:`spamlab.its.fitted`.
The names that lived here before the split are re-exported.

Examples
--------
>>> hac_lags(180)
4
"""

from __future__ import annotations

import numpy as np

from spamlab.errors import DataError
from spamlab.its.count_models import (
    check_zero_segments,
    fit_negbin,
    fit_poisson,
    overdispersion_notes,
)
from spamlab.its.design import Design, check_identified
from spamlab.its.error_models import (
    GLSAR_MAXITER,
    GLSAR_RTOL,
    check_arma_order,
    fit_ar1,
    fit_arma,
    fit_ols,
    fit_reml,
)
from spamlab.its.fitted import ContrastInference, Fitted, Fitter, hac_lags
from spamlab.its.specification import Specification

__all__ = ["COUNT_FAMILIES", "GAUSSIAN_ERRORS", "GLSAR_MAXITER", "GLSAR_RTOL", "ContrastInference",
           "Fitted", "check_arma_order", "check_zero_segments", "fit_segmented", "hac_lags",
           "overdispersion_notes"]

#: ``errors=`` kind (:attr:`Specification.error_structure`) -> fitter, for ``family="gaussian"``
GAUSSIAN_ERRORS: dict[str, Fitter] = {"iid": fit_ols, "hac": fit_ols, "ar1": fit_ar1,
                                      "reml": fit_reml, "arma": fit_arma}
#: ``family=`` -> fitter, for the count families
COUNT_FAMILIES: dict[str, Fitter] = {"poisson": fit_poisson, "quasipoisson": fit_poisson,
                                     "negbin": fit_negbin}

def fit_segmented(design: Design, y: np.ndarray, spec: Specification) -> Fitted:
    """Fit the model; ``y`` may hold NaN (those rows are left out, or filtered by SARIMAX).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from spamlab.its import data, design
    >>> frame = pd.DataFrame({"v": np.arange(20.0) + 5 * (np.arange(20) >= 10)})
    >>> d = design.build(data.prepare(frame, "v", [10]))
    >>> fitted = fit_segmented(d, frame["v"].to_numpy(), Specification())
    >>> round(float(fitted.params["level[10]"]), 6)
    5.0
    """
    response = _response(y, spec.family, spec.transform)
    check_identified(design.matrix, ~np.isnan(response))
    if spec.family == "gaussian":
        return GAUSSIAN_ERRORS[spec.error_structure[0]](design, response, spec)
    check_zero_segments(design, response, spec.family)
    return COUNT_FAMILIES[spec.family](design, response, spec)


def _response(y: np.ndarray, family: str, transform: str | None) -> np.ndarray:
    observed = y[~np.isnan(y)]
    if transform == "log" and (observed <= 0).any():
        raise DataError(f"transform='log' needs y > 0; {(observed <= 0).sum()} value(s) are <= 0")
    if family != "gaussian" and (observed < 0).any():
        raise DataError(f"family={family!r} needs y >= 0; {(observed < 0).sum()} value(s) are < 0")
    if family != "gaussian" and not observed.any():
        raise DataError(f"family={family!r}: every observed value of y is 0, so there is no "
                        "rate to model on a log scale (and no effect to estimate)")
    return np.log(y) if transform == "log" else y
