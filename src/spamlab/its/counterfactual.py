"""Counterfactual predictions (interruption terms switched off) with intervals.

Two bands are returned:

* ``counterfactual_mean_low/high``: the expected value without the interruption,
  carrying parameter uncertainty only (delta method on the linear predictor).
* ``counterfactual_low/high``: a prediction interval for an *observation* without
  the interruption, adding the noise. Gaussian models use the t or normal quantile
  of ``se_mean**2 + variance``; count families simulate: coefficients drawn from
  their estimated normal distribution, then Poisson, quasi-Poisson (gamma with
  variance ``dispersion * mu``) or NB2 noise. Count bands are never negative.

With autocorrelated errors (``errors="ar1"``, ``"reml"``, ``"arma(p,q)"``) the
predictions carry the errors forward (:mod:`spamlab.its.prediction`): ``fitted``
is the one-step-ahead best linear predictor ``X_t b + rho^d (y_(t-d) - X_(t-d) b)``
(``d`` periods since the last observation; the Kalman filter for ARMA), and the
counterfactual is the prediction from the observations before the first
interruption only: one step ahead before it (so the pre-period ``effect`` is the
one-step prediction error, 0 on average) and ``X_t b_cf + rho^(t-T) e_T`` after it
(``e_T = y_T - X_T b`` at the last observed period ``T`` before the interruption).
Its mean band is the delta-method band of that predictor, linear in ``b``
(``(X_t - rho^(t-T) X_T) b + rho^(t-T) y_T``); the observation band adds the
forecast-error variance ``sigma2 (1 - rho^(2h)) / (1 - rho^2)`` of the errors. The
error parameters are treated as known in the bands. Without this, when ``rho`` is
near 1 (a weakly identified GLS mean), ``X b`` can lie far from every observation and
a pre-period "effect" be large although the fit is sound.

Log-scale models (log link or ``transform="log"``) are back-transformed with
``exp``; for ``transform="log"`` the point is then the median on the original scale.

Examples
--------
>>> import numpy as np
>>> bounds = band(np.array([0.0]), np.array([1.0]), 1.96, log_scale=True)
>>> [round(float(b[0]), 3) for b in bounds]
[0.141, 7.099]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from spamlab.its.design import Design
from spamlab.its.prediction import ArmaErrors
from spamlab.its.segmented import Fitted

__all__ = [
    "N_DRAWS",
    "band",
    "counterfactual_table",
    "critical_value",
    "cumulative_effect",
    "linear_predictor",
    "quadratic_se",
]

N_DRAWS: int = 4000


def critical_value(alpha: float, df_resid: float | None) -> float:
    """Two-sided quantile: Student t with ``df_resid`` degrees of freedom, else normal."""
    if df_resid is None:
        return float(stats.norm.ppf(1 - alpha / 2))
    return float(stats.t.ppf(1 - alpha / 2, df_resid))


def band(center: np.ndarray, se: np.ndarray, crit: float, log_scale: bool
         ) -> tuple[np.ndarray, np.ndarray]:
    """``center -/+ crit * se``, exponentiated on a log scale."""
    low, high = center - crit * se, center + crit * se
    return (np.exp(low), np.exp(high)) if log_scale else (low, high)


def linear_predictor(design: Design, fitted: Fitted, matrix: pd.DataFrame
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Linear predictor (with offset) and its standard error for the rows of ``matrix``."""
    x = matrix[fitted.params.index].to_numpy()
    eta = x @ fitted.params.to_numpy()
    if design.offset is not None:
        eta = eta + design.offset
    cov = fitted.cov.loc[fitted.params.index, fitted.params.index].to_numpy()
    return eta, quadratic_se(x, cov)


def quadratic_se(x: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """``sqrt(diag(x cov x'))``, with rounding below 0 (a covariance that is singular, e.g.
    a robust one whose pre-period residuals are all 0) read as 0, not NaN.

    Examples
    --------
    >>> quadratic_se(np.array([[1.0, 1.0], [3.0, 4.0]]), np.array([[1.0, -1.0], [-1.0, 1.0]]))
    array([0., 1.])
    """
    return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", x, cov, x), 0.0))


def counterfactual_table(design: Design, fitted: Fitted, y: np.ndarray, post: np.ndarray,
                         alpha: float, seed: int = 0) -> pd.DataFrame:
    """Observed, fitted and counterfactual values with bands, pointwise and cumulative effects.

    ``post`` marks rows on or after the first interruption; ``cumulative_effect``
    is 0 before it and sums the observed pointwise effects from it on (missing
    outcomes add nothing). With an error process (``fitted.error_process``) the
    predictions carry the errors forward (see the module docstring).
    """
    crit = critical_value(alpha, fitted.df_resid)
    if fitted.error_process is None:
        eta_fit, _ = linear_predictor(design, fitted, design.matrix)
        eta, se = linear_predictor(design, fitted, design.counterfactual_matrix())
        noise = None
    else:
        eta_fit, eta, se, noise = _carried_forward(design, fitted, y, post, fitted.error_process)
    inverse = np.exp if fitted.log_scale else (lambda v: v)
    mean_low, mean_high = band(eta, se, crit, fitted.log_scale)
    if noise is None:
        obs_low, obs_high = _observation_band(eta, se, fitted, crit, alpha, seed)
    else:
        obs_low, obs_high = band(eta, np.sqrt(se**2 + noise), crit, fitted.log_scale)
    counterfactual = inverse(eta)
    effect = y - counterfactual
    cumulative = cumulative_effect(effect, post)
    return pd.DataFrame({
        "observed": y, "fitted": inverse(eta_fit), "counterfactual": counterfactual,
        "counterfactual_low": obs_low, "counterfactual_high": obs_high,
        "counterfactual_mean_low": mean_low, "counterfactual_mean_high": mean_high,
        "effect": effect, "cumulative_effect": cumulative,
    }, index=design.matrix.index)


def _carried_forward(design: Design, fitted: Fitted, y: np.ndarray, post: np.ndarray,
                     process: ArmaErrors) -> tuple[np.ndarray, ...]:
    """Gaussian predictions with autocorrelated errors: one-step-ahead ``fitted``, the
    counterfactual from the pre-interruption rows, its standard error (parameters) and
    its forecast-error variance (noise), all on the model's (linear) scale."""
    names = fitted.params.index
    b = fitted.params.to_numpy()
    x = design.matrix[names].to_numpy()
    x_cf = design.counterfactual_matrix()[names].to_numpy()
    offset = np.zeros(len(y)) if design.offset is None else design.offset
    response = np.log(y) if fitted.log_scale else np.asarray(y, dtype=float)
    errors = response - offset - x @ b
    carried, _ = process.predict(errors)
    withheld = np.isnan(errors) | post
    ahead, noise = process.predict(np.where(withheld, np.nan, errors))
    carried_x, _ = process.predict(np.where(withheld[:, None], np.nan, x))
    z = x_cf - carried_x  # the counterfactual is z b + (the same weights applied to y)
    cov = fitted.cov.loc[names, names].to_numpy()
    se = quadratic_se(z, cov)
    return x @ b + offset + carried, x_cf @ b + offset + ahead, se, noise


def cumulative_effect(effect: np.ndarray, post: np.ndarray) -> np.ndarray:
    """Running sum of ``effect`` from the first post row (0 before; missing values add 0).

    Examples
    --------
    >>> cumulative_effect(np.array([1.0, -2.0, np.nan, -3.0]), np.array([False, True, True, True]))
    array([ 0., -2., -2., -5.])
    """
    return np.where(post, np.nancumsum(np.where(post, effect, 0.0)), 0.0)


def _observation_band(eta: np.ndarray, se: np.ndarray, fitted: Fitted, crit: float,
                      alpha: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    kind, value = fitted.noise
    if kind == "gaussian":
        return band(eta, np.sqrt(se**2 + value), crit, fitted.log_scale)
    rng = np.random.default_rng(seed)
    mu = np.exp(eta[None, :] + se[None, :] * rng.standard_normal((N_DRAWS, 1)))
    draws = _count_noise(rng, mu, kind, value)
    low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=0)
    return np.maximum(low, 0.0), high


def _count_noise(rng: np.random.Generator, mu: np.ndarray, kind: str, value: float) -> np.ndarray:
    if kind == "poisson":
        return rng.poisson(mu).astype(float)
    if kind == "quasipoisson":
        return rng.gamma(shape=mu / value, scale=value)
    size = 1.0 / max(value, 1e-12)
    return rng.negative_binomial(size, size / (size + mu)).astype(float)
