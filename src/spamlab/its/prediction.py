"""Predictions of autocorrelated regression errors: one step ahead, and from a cut-off on.

With AR(1) or ARMA errors the regression line ``X b`` alone is not the model's
prediction of an observation: the error of the previous period carries over.
When ``rho`` is near 1 the GLS mean ``X b`` is weakly identified (the errors
wander like a random walk around it), so ``X b`` can sit far from the data
while the model describes the day-to-day changes well. The best linear
predictor of ``y_t`` from the earlier observations is ``X_t b + E[e_t | e_s, s < t]``;
for AR(1) with a gap of ``d`` periods since the last observation ``X_t b +
rho^d (y_(t-d) - X_(t-d) b)`` with error variance ``sigma2 (1 - rho^(2d)) / (1 - rho^2)``.

:class:`ArmaErrors` computes these predictions for any set of available rows: the
ITS counterfactual uses the rows before the interruption only, so that after it
the prediction is ``X_t b_cf + rho^(t - T) e_T`` (``T`` the last observed period
before the interruption) and before it the one-step-ahead prediction.

Examples
--------
>>> import numpy as np
>>> errors = ArmaErrors(ar=(0.5,), sigma2=1.0)
>>> mean, variance = errors.predict(np.array([2.0, np.nan, np.nan]))
>>> mean.tolist(), [round(float(v), 4) for v in variance]
([0.0, 1.0, 0.5], [1.3333, 1.0, 1.25])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from statsmodels.tsa.statespace.sarimax import SARIMAX

__all__ = [
    "ArmaErrors",
]


@dataclass(frozen=True)
class ArmaErrors:
    """A stationary ARMA(p, q) error process ``e_t = sum ar_i e_(t-i) + w_t + sum ma_j w_(t-j)``
    (statsmodels SARIMAX signs), ``Var(w_t) = sigma2``, one step per row.

    Attributes
    ----------
    ar, ma
        AR and MA coefficients.
    sigma2
        Innovation variance.
    conditional
        The fit conditioned on the first observation (Cochrane-Orcutt, ``errors="ar1"``)
        and says nothing about it: rows with no available row before them get NaN
        instead of the unconditional prediction ``0`` (with the marginal variance), which
        the exact likelihood (``reml``, ``arma``) does estimate.
    """

    ar: tuple[float, ...]
    ma: tuple[float, ...] = ()
    sigma2: float = 1.0
    conditional: bool = False

    def predict(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Best linear predictor of each row from the available earlier rows.

        Parameters
        ----------
        values
            ``(n,)`` or ``(n, m)``: the error series (or ``m`` series sharing its
            pattern of availability); NaN marks rows that are not available (missing
            or withheld), whole rows at once. A withheld stretch at the end is forecast
            from the last available rows.

        Returns
        -------
        mean, variance
            The predictions (shape of ``values``) and their error variance ``(n,)``
            under the process with known parameters.
        """
        values = np.asarray(values, dtype=float)
        table = values.reshape(len(values), -1)
        if len(self.ar) == 1 and not self.ma:
            mean, variance = _ar1_predict(table, self.ar[0], self.sigma2)
        else:
            mean, variance = _kalman_predict(table, self.ar, self.ma, self.sigma2)
        if self.conditional:
            first = np.cumsum(~np.isnan(table[:, 0])) == 0
            first[np.argmax(~first)] = True  # up to and including the first available row
            mean[first], variance[first] = np.nan, np.nan
        return mean.reshape(values.shape), variance


def _ar1_predict(table: np.ndarray, rho: float, sigma2: float) -> tuple[np.ndarray, np.ndarray]:
    """AR(1): ``rho^d`` times the last available row ``d`` periods back (0 if none)."""
    n = len(table)
    available = ~np.isnan(table[:, 0])
    last = np.maximum.accumulate(np.where(available, np.arange(n), -1))
    previous = np.r_[-1, last[:-1]]
    weight = np.where(previous >= 0, rho ** (np.arange(n) - previous), 0.0)
    carried = np.where((previous >= 0)[:, None], table[np.maximum(previous, 0)], 0.0)
    return weight[:, None] * carried, sigma2 * (1 - weight**2) / (1 - rho**2)


def _kalman_predict(table: np.ndarray, ar: tuple[float, ...], ma: tuple[float, ...],
                    sigma2: float) -> tuple[np.ndarray, np.ndarray]:
    """ARMA: the Kalman filter's one-step-ahead predictions (forecasts through NaN rows)."""
    params = np.r_[ar, ma, sigma2]
    mean = np.empty_like(table)
    variance = np.zeros(len(table))
    for j in range(table.shape[1]):
        result = SARIMAX(table[:, j], order=(len(ar), 0, len(ma)), trend="n").filter(params)
        mean[:, j] = result.forecasts[0]
        variance = result.forecasts_error_cov[0, 0]
    return mean, np.asarray(variance, dtype=float)
