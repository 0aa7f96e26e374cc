"""``method="structural"``: a local-level state-space model with interruption regressors.

The model (statsmodels ``UnobservedComponents``, fitted by maximum likelihood) is

    y_t = mu_t + seasonal_t + ar_t + x_t' beta + eps_t,   mu_t = mu_{t-1} (+ drift) + eta_t

with ``x_t`` the interruption columns (partial-exposure level indicators and
optional slope ramps) and the covariates. The regression coefficients are
*states* (``mle_regression=False``), so the Kalman smoother returns their
estimate and variance jointly with the level -- conditional on the estimated
variances. With ``small_sample=True`` (default) the effects' covariance also
carries the uncertainty of those variance parameters: :data:`DRAWS` draws of the
parameters on statsmodels' unconstrained scale (standard deviations, so a variance
estimated at zero is no boundary) from the normal approximation to their sampling
distribution (numerical Hessian of the log-likelihood), the smoother re-run at
each draw, and the draws mixed (law of total variance: mean of the conditional
covariances plus the covariance of the conditional means). With a small level
variance (sigma_eta 0.05 / 0.1 vs noise 1, n = 100, level shift 3; 150
replications per cell, MC SE 1.3-3.0 points) the conditional 95% interval covered
90.7% / 83.3% and the mixed one 97.3% / 94.7%; a fit then costs 0.47-0.50 s of
CPU instead of 0.09-0.14 s, about 4-5 times (``benchmarks/breaks.py``).
``small_sample=False`` gives statsmodels' conditional numbers. As in CausalImpact, the
counterfactual is the model's signal with the interruption terms switched off:
``Z_t^cf alpha_t`` with variance ``Z_t^cf P_t Z_t^cf'`` (smoothed state covariance,
conditional on the estimated variances: the band, unlike the effects below, does not
carry their uncertainty), plus the irregular variance for the observation band. Missing outcomes are allowed (the filter skips them).

Options: ``trend=True`` adds a deterministic drift (``"lldtrend"``), else a pure
local level (``"llevel"``); ``seasonality="dow"`` a 7-period dummy seasonal,
``"fourier:P:K"`` a trigonometric seasonal; ``errors="ar1"`` or ``"arma(p,0)"`` an
autoregressive component; ``transform="log"`` models ``log(y)``.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from spamlab import its
>>> rng = np.random.default_rng(3)
>>> days = pd.date_range("2011-01-01", periods=100)
>>> v = 20 + rng.normal(0, 0.5, 100) - 5 * (days >= "2011-03-01")
>>> res = its.fit(pd.DataFrame({"v": v}, index=days), y="v", interruptions="2011-03-01",
...               method="structural", trend=False)
>>> round(float(res.effects["estimate"].iloc[0]))
-5
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.tools.numdiff import approx_hess2
from statsmodels.tsa.statespace.structural import UnobservedComponents

from spamlab.errors import DataError
from spamlab.its import design as its_design
from spamlab.its.counterfactual import band, critical_value, cumulative_effect
from spamlab.its.data import PreparedSeries
from spamlab.its.segmented import Fitted
from spamlab.its.specification import Specification, fourier_terms, seasonal_items

__all__ = [
    "DRAWS",
    "Terms",
    "check_varies",
    "fit_structural",
    "standardization",
]

Terms = tuple[tuple[str, str, str], ...]
DRAWS: int = 100  # draws of the variance parameters for the effects' covariance


def fit_structural(series: PreparedSeries, spec: Specification
                   ) -> tuple[Fitted, pd.DataFrame, Terms, int]:
    """Fit the structural model described in the module docstring (called by ``its.fit``).

    Returns the fit, the counterfactual table, the interruption terms and the
    number of estimated quantities (states plus variance parameters).
    """
    response, offset = _structural_response(series, spec)
    built = its_design.build(series, None, spec.slope_change, spec.covariates, None, trend=False)
    design = built.matrix.drop(columns="const")
    its_design.check_identified(design, ~np.isnan(response))
    center, unit = standardization(response - offset)
    model = UnobservedComponents((response - offset - center) / unit, exog=design.to_numpy(),
                                 mle_regression=False, **_components(series, spec))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(disp=False, maxiter=500)
    exog_states = list(range(model.k_states - design.shape[1], model.k_states))
    params, cov = _regression_states(res, exog_states, list(design.columns))
    if spec.small_sample:
        cov = _mixed_covariance(model, res, exog_states, params, cov, spec.seed)
    table = _counterfactual(res, model, exog_states, design, built.terms, series,
                            (offset + center, unit), spec)
    burn = res.loglikelihood_burn
    residuals = np.asarray(res.standardized_forecasts_error[0])[burn:]
    names = list(model.param_names)
    rho = float(res.params[names.index("ar.L1")]) if "ar.L1" in names else None
    noise = float(res.params[names.index("sigma2.irregular")]) * unit**2
    fitted = Fitted(params * unit, cov * unit**2, None, spec.transform == "log",
                    ("gaussian", noise), residuals,
                    _describe(model, spec), tuple(f"optimizer: {w.message}" for w in caught),
                    rho=rho, result=res)
    return fitted, table, built.terms, model.k_states + len(res.params)


def standardization(values: np.ndarray) -> tuple[float, float]:
    """``(center, unit)`` to fit ``(values - center) / unit``: the mean and standard
    deviation of the observed values.

    The model's states start from statsmodels' approximate diffuse prior, variance 1e6:
    on data in the tens of thousands it is no longer diffuse and pulls the effects
    towards 0 (a level change of -28,000 came out as -216, standard error 995); and the
    likelihood search starts from values that do not scale with the data, so on data in
    other units it can end at another optimum (a standard error of 2.8 on the data as
    they are, 0.52 on the same data divided by 16). Standardized, the fit does not
    depend on the data's unit.

    Raises
    ------
    DataError
        When every observed value is the same (no variance to estimate).

    Examples
    --------
    >>> standardization(np.array([1.0, 3.0, np.nan]))
    (2.0, 1.0)
    >>> standardization(np.array([1e4, 3e4]))
    (20000.0, 10000.0)
    """
    observed = _varying(values)
    return float(observed.mean()), float(observed.std())


def _varying(values: np.ndarray) -> np.ndarray:
    """The observed ``values``, after checking they are not all the same (``DataError``)."""
    observed = values[~np.isnan(values)]
    if np.ptp(observed) == 0:
        raise DataError(f"method='structural': every observed value of the modelled outcome "
                        f"(y, or log y with transform='log') is {observed[0]:.6g}; a constant "
                        "series has no variance for the state-space model to estimate")
    return observed


def check_varies(series: PreparedSeries, spec: Specification) -> None:
    """Refuse (:func:`standardization`'s ``DataError``, with the value in the data's unit) a
    series whose modelled outcome is constant; called before the outcome is rescaled.

    Examples
    --------
    >>> from spamlab.its import data
    >>> flat = data.prepare(pd.DataFrame({"v": [5.0] * 20}), "v", [10])
    >>> check_varies(flat, Specification(method="structural"))
    Traceback (most recent call last):
    ...
    spamlab.errors.DataError: method='structural': every observed value of the modelled outcome (y, or log y with transform='log') is 5; a constant series has no variance for the state-space model to estimate
    """
    response, offset = _structural_response(series, spec)
    _varying(response - offset)


def _structural_response(series: PreparedSeries, spec: Specification
                         ) -> tuple[np.ndarray, np.ndarray]:
    y = series.y
    offset = np.zeros(len(y))
    if spec.exposure is not None:
        offset = its_design.log_exposure(series.frame, spec.exposure)
    if spec.transform == "log":
        if (y[~np.isnan(y)] <= 0).any():
            raise DataError("transform='log' needs y > 0")
        y = np.log(y)
    return y, offset


def _components(series: PreparedSeries, spec: Specification) -> dict[str, Any]:
    kind, order = spec.error_structure
    parts: dict[str, Any] = {"level": "lldtrend" if spec.trend else "llevel"}
    if kind in ("ar1", "arma"):
        parts["autoregressive"] = order[0]
    for item in seasonal_items(spec.seasonality):
        its_design.seasonal_columns(series, item)  # checks the axis (dow needs daily data)
        if item == "dow":
            parts["seasonal"] = 7
        else:
            period, harmonics = fourier_terms(item)
            parts.setdefault("freq_seasonal", []).append(
                {"period": period, "harmonics": harmonics})
    return parts


def _regression_states(res: Any, states: list[int], names: list[str]
                       ) -> tuple[pd.Series, pd.DataFrame]:
    last = res.smoothed_state.shape[1] - 1
    params = pd.Series(res.smoothed_state[states, last], index=names)
    cov = res.smoothed_state_cov[np.ix_(states, states, [last])][:, :, 0]
    return params, pd.DataFrame(cov, index=names, columns=names)


def _mixed_covariance(model: UnobservedComponents, res: Any, states: list[int],
                      params: pd.Series, cov: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Covariance of the regression states with the variance parameters' uncertainty.

    Draws the unconstrained parameters from ``N(u_hat, H^-1)`` (``H`` the negative
    numerical Hessian of the log-likelihood, central differences with steps of 1e-3
    of the parameters' scale; eigenvalues floored at 1e-3 of the largest), re-runs the smoother at each and mixes: ``mean(V_d) + cov(beta_d)``.
    """
    center = np.asarray(model.untransform_params(np.asarray(res.params)))
    step = 1e-3 * np.maximum(np.abs(center), 0.1 * np.abs(center).max())  # above filter noise
    hessian = -approx_hess2(center, lambda u: model.loglike(u, transformed=False), epsilon=step)
    values, vectors = np.linalg.eigh((hessian + hessian.T) / 2)
    values = np.maximum(values, 1e-3 * max(float(values.max()), 1e-8))
    draws = np.random.default_rng(seed).multivariate_normal(
        center, (vectors / values) @ vectors.T, DRAWS)
    means, covs = [], []
    for draw in draws:
        smoothed = model.smooth(model.transform_params(draw))
        mean, conditional = _regression_states(smoothed, states, list(params.index))
        means.append(mean.to_numpy())
        covs.append(conditional.to_numpy())
    spread = np.cov(np.array(means), rowvar=False).reshape(len(params), len(params))
    return pd.DataFrame(np.mean(covs, axis=0) + spread, index=cov.index, columns=cov.columns)


def _counterfactual(res: Any, model: UnobservedComponents, exog_states: list[int],
                    design: pd.DataFrame, terms: Terms, series: PreparedSeries,
                    scaling: tuple[np.ndarray, float], spec: Specification) -> pd.DataFrame:
    """The counterfactual table; the model was fitted to ``(y - shift) / unit`` with
    ``scaling = (shift, unit)`` (offset and centre, :func:`standardization`)."""
    shift, unit = scaling
    z = np.asarray(model.ssm["design"])[0].T.copy()  # (n, k_states)
    state = res.smoothed_state.T
    covs = np.moveaxis(res.smoothed_state_cov, 2, 0)
    fitted = unit * np.einsum("nk,nk->n", z, state) + shift
    interruption_states = [exog_states[list(design.columns).index(c)] for _, _, c in terms]
    z[:, interruption_states] = 0.0
    mean = unit * np.einsum("nk,nk->n", z, state) + shift
    mean_var = unit**2 * np.clip(np.einsum("nk,nkl,nl->n", z, covs, z), 0.0, None)
    noise = unit**2 * float(res.params[list(model.param_names).index("sigma2.irregular")])
    crit = critical_value(spec.alpha, None)
    log_scale = spec.transform == "log"
    back = np.exp if log_scale else (lambda v: v)
    obs_low, obs_high = band(mean, np.sqrt(mean_var + noise), crit, log_scale)
    mean_low, mean_high = band(mean, np.sqrt(mean_var), crit, log_scale)
    effect = series.y - back(mean)
    return pd.DataFrame({
        "observed": series.y, "fitted": back(fitted), "counterfactual": back(mean),
        "counterfactual_low": obs_low, "counterfactual_high": obs_high,
        "counterfactual_mean_low": mean_low, "counterfactual_mean_high": mean_high,
        "effect": effect, "cumulative_effect": cumulative_effect(effect, series.is_post()),
    }, index=series.index)


def _describe(model: UnobservedComponents, spec: Specification) -> str:
    parts = ["local level" + (" with drift" if spec.trend else "")]
    if spec.seasonality:
        parts.append("seasonal " + " + ".join(seasonal_items(spec.seasonality)))
    if model.autoregressive:
        parts.append(f"AR({model.ar_order}) component")
    scale = "log(y)" if spec.transform == "log" else "y"
    return (f"structural state space on {scale}: " + ", ".join(parts)
            + "; interruption and covariate coefficients as states (ML, Kalman smoother)")
