"""``method="structural"``: a local-level state-space model with interruption regressors.

The model (statsmodels ``UnobservedComponents``, fitted by maximum likelihood) is

    y_t = mu_t + seasonal_t + ar_t + x_t' beta + eps_t,   mu_t = mu_{t-1} (+ drift) + eta_t

with ``x_t`` the interruption columns (partial-exposure level indicators and
optional slope ramps) and the covariates. The regression coefficients are
*states* (``mle_regression=False``), so the Kalman smoother returns their
estimate and variance jointly with the level. As in CausalImpact, the
counterfactual is the model's signal with the interruption terms switched off:
``Z_t^cf alpha_t`` with variance ``Z_t^cf P_t Z_t^cf'`` (smoothed state covariance,
conditional on the estimated variances), plus the irregular variance for the
observation band. Missing outcomes are allowed (the filter skips them).

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
from statsmodels.tsa.statespace.structural import UnobservedComponents

from spamlab.errors import DataError, ParameterError
from spamlab.its import design as its_design
from spamlab.its.counterfactual import band, critical_value, cumulative_effect
from spamlab.its.data import PreparedSeries
from spamlab.its.diagnostics import residual_diagnostics
from spamlab.its.results import ITSResult, assemble, effects_table
from spamlab.its.segmented import parse_errors


def fit_structural(series: PreparedSeries, options: dict[str, Any], seed: int = 0) -> ITSResult:
    """Fit the structural model described in the module docstring (called by ``its.fit``)."""
    response, offset = _structural_response(series, options)
    built = its_design.build(series, None, options["slope_change"], options["covariates"],
                             None, trend=False)
    design = built.matrix.drop(columns="const")
    model = UnobservedComponents(response - offset, exog=design.to_numpy(),
                                 mle_regression=False, **_components(series, options))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(disp=False, maxiter=500)
    notes = [f"optimizer: {w.message}" for w in caught]
    exog_states = list(range(model.k_states - design.shape[1], model.k_states))
    params, cov = _regression_states(res, exog_states, list(design.columns))
    terms = built.terms
    log_scale = options["transform"] == "log"
    effects = effects_table(terms, params, cov, {}, log_scale, options["alpha"])
    table = _counterfactual(res, model, exog_states, design, terms, series, offset, options)
    burn = res.loglikelihood_burn
    diagnostics = residual_diagnostics(np.asarray(res.standardized_forecasts_error[0])[burn:])
    from spamlab.its.fit import autocorrelation_warnings, data_warnings, observed_counts

    notes += data_warnings(series, model.k_states + len(res.params))
    notes += autocorrelation_warnings(diagnostics, "structural", options["alpha"])
    name = _describe(model, options)
    return assemble(effects, table, name, options["y"], observed_counts(series), tuple(notes),
                    diagnostics, params, cov, options)


def _structural_response(series: PreparedSeries, options: dict[str, Any]
                         ) -> tuple[np.ndarray, np.ndarray]:
    if options["family"] != "gaussian":
        raise ParameterError(f"method='structural' is gaussian only (family={options['family']!r}); "
                             "use transform='log' for multiplicative effects")
    if options["transform"] not in (None, "log"):
        raise ParameterError(f"transform={options['transform']!r} is unknown; use None or 'log'")
    y = series.y
    offset = np.zeros(len(y))
    if options["exposure"] is not None:
        if options["transform"] != "log":
            raise ParameterError("exposure= needs transform='log' with method='structural'")
        offset = its_design.log_exposure(series.frame, options["exposure"])
    if options["transform"] == "log":
        if (y[~np.isnan(y)] <= 0).any():
            raise DataError("transform='log' needs y > 0")
        y = np.log(y)
    return y, offset


def _components(series: PreparedSeries, options: dict[str, Any]) -> dict[str, Any]:
    kind, order = parse_errors(options["errors"])
    if kind == "hac" or (kind == "arma" and order[1] > 0):
        raise ParameterError(f"errors={options['errors']!r} is not available with "
                             "method='structural'; use 'iid', 'ar1' or 'arma(p,0)'")
    parts: dict[str, Any] = {"level": "lldtrend" if options["trend"] else "llevel"}
    if kind in ("ar1", "arma"):
        parts["autoregressive"] = order[0]
    specs = options["seasonality"]
    specs = [] if specs is None else [specs] if isinstance(specs, str) else list(specs)
    for spec in specs:
        if spec == "dow":
            its_design.seasonal_columns(series, "dow")  # validates daily data
            parts["seasonal"] = 7
        else:
            its_design.seasonal_columns(series, spec)  # validates the spec
            _, period, order_ = spec.split(":")
            parts.setdefault("freq_seasonal", []).append(
                {"period": float(period), "harmonics": int(order_)})
    return parts


def _regression_states(res: Any, states: list[int], names: list[str]
                       ) -> tuple[pd.Series, pd.DataFrame]:
    last = res.smoothed_state.shape[1] - 1
    params = pd.Series(res.smoothed_state[states, last], index=names)
    cov = res.smoothed_state_cov[np.ix_(states, states, [last])][:, :, 0]
    return params, pd.DataFrame(cov, index=names, columns=names)


def _counterfactual(res: Any, model: UnobservedComponents, exog_states: list[int],
                    design: pd.DataFrame, terms: tuple, series: PreparedSeries,
                    offset: np.ndarray, options: dict[str, Any]) -> pd.DataFrame:
    z = np.asarray(model.ssm["design"])[0].T.copy()  # (n, k_states)
    state = res.smoothed_state.T
    covs = np.moveaxis(res.smoothed_state_cov, 2, 0)
    fitted = np.einsum("nk,nk->n", z, state) + offset
    interruption_states = [exog_states[list(design.columns).index(c)] for _, _, c in terms]
    z[:, interruption_states] = 0.0
    mean = np.einsum("nk,nk->n", z, state) + offset
    mean_var = np.clip(np.einsum("nk,nkl,nl->n", z, covs, z), 0.0, None)
    noise = float(res.params[list(model.param_names).index("sigma2.irregular")])
    crit = critical_value(options["alpha"], None)
    log_scale = options["transform"] == "log"
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


def _describe(model: UnobservedComponents, options: dict[str, Any]) -> str:
    parts = ["local level" + (" with drift" if options["trend"] else "")]
    if options["seasonality"]:
        parts.append(f"seasonal {options['seasonality']}")
    if model.autoregressive:
        parts.append(f"AR({model.ar_order}) component")
    scale = "log(y)" if options["transform"] == "log" else "y"
    return (f"structural state space on {scale}: " + ", ".join(parts)
            + "; interruption and covariate coefficients as states (ML, Kalman smoother)")
