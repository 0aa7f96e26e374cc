"""Counterfactual predictions (interruption terms switched off) with intervals.

Two bands are returned:

* ``counterfactual_mean_low/high``: the expected value without the interruption,
  carrying parameter uncertainty only (delta method on the linear predictor).
* ``counterfactual_low/high``: a prediction interval for an *observation* without
  the interruption, adding the noise. Gaussian models use the t or normal quantile
  of ``se_mean**2 + variance``; count families simulate: coefficients drawn from
  their estimated normal distribution, then Poisson, quasi-Poisson (gamma with
  variance ``dispersion * mu``) or NB2 noise. Count bands are never negative.

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
from spamlab.its.segmented import Fitted

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
    se = np.sqrt(np.einsum("ij,jk,ik->i", x, cov, x))
    return eta, se


def counterfactual_table(design: Design, fitted: Fitted, y: np.ndarray, post: np.ndarray,
                         alpha: float, seed: int = 0) -> pd.DataFrame:
    """Observed, fitted and counterfactual values with bands, pointwise and cumulative effects.

    ``post`` marks rows on or after the first interruption; ``cumulative_effect``
    is 0 before it and sums the observed pointwise effects from it on (missing
    outcomes add nothing).
    """
    crit = critical_value(alpha, fitted.df_resid)
    eta_fit, _ = linear_predictor(design, fitted, design.matrix)
    eta, se = linear_predictor(design, fitted, design.counterfactual_matrix())
    inverse = np.exp if fitted.log_scale else (lambda v: v)
    mean_low, mean_high = band(eta, se, crit, fitted.log_scale)
    obs_low, obs_high = _observation_band(eta, se, fitted, crit, alpha, seed)
    counterfactual = inverse(eta)
    effect = y - counterfactual
    cumulative = cumulative_effect(effect, post)
    return pd.DataFrame({
        "observed": y, "fitted": inverse(eta_fit), "counterfactual": counterfactual,
        "counterfactual_low": obs_low, "counterfactual_high": obs_high,
        "counterfactual_mean_low": mean_low, "counterfactual_mean_high": mean_high,
        "effect": effect, "cumulative_effect": cumulative,
    }, index=design.matrix.index)


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
