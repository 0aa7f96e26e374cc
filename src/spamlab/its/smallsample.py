"""Small-sample corrections that make AR(1) and HAC intervals cover as advertised.

Segmented regressions have persistent regressors (a step, a trend), and
residual-based estimates of autocorrelation are then biased towards zero. With
180 daily points and AR(1) noise (phi = 0.5) the textbook intervals cover the
true level change in about 93% (FGLS) and 89% (Newey-West) of samples instead of
95%. Two corrections, both computed under a *working AR(1) model* for the errors:

``bias_corrected_rho``
    The lag-1 autocorrelation of OLS residuals ``M e`` (``M`` the residual maker)
    has expectation ``g(rho) ~= tr(L M S M) / tr(M S M)`` with ``S`` the AR(1)
    correlation matrix and ``L`` the lag operator. We solve ``g(rho) = rho_hat``
    (a moment-matched, bias-corrected AR coefficient).
``gls_satterthwaite_df``
    FGLS standard errors treat ``rho`` as known. The t quantile uses
    Satterthwaite degrees of freedom ``2 / Var(log V)``, with ``Var(log V)`` from
    the variance of ``sigma^2`` and the delta method on ``rho`` (variance
    ``(1 - rho^2) / n``).
``hac_adjustment``
    Bell-McCaffrey style adjustment of the Newey-West variance of one
    coefficient: under the working model, ``E[V_NW] = tr(W M S M)`` while the
    true variance is ``c' S c``; we divide ``V_NW`` by their ratio and use
    Satterthwaite df ``2 E^2 / Var``, ``Var = 2 tr((W M S M)^2)``
    (Bell & McCaffrey 2002; Imbens & Kolesar 2016 for the cluster analogue).

All functions work on stacks of problems (leading axis ``K``) so that scans and
simulations reuse them.

Examples
--------
>>> import numpy as np
>>> x = np.c_[np.ones(100), np.arange(100.0)][None]
>>> rho = bias_corrected_rho(x, np.array([0.45]))
>>> bool(rho[0] > 0.45)
True
"""

from __future__ import annotations

import numpy as np

RHO_LIMIT: float = 0.98
TOL: float = 1e-12


def orthonormal_basis(x: np.ndarray) -> np.ndarray:
    """Orthonormal basis ``Q`` (``K, n, p``) of each design's column space."""
    q, _ = np.linalg.qr(np.asarray(x, dtype=float))
    return q


def ar1_times(q: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """``S(rho) @ q`` for each stacked problem, ``S`` the AR(1) correlation (unit variance).

    Uses the forward and backward recursions ``f_t = q_t + rho f_{t-1}`` and
    ``b_t = q_t + rho b_{t+1}``, whose sum minus ``q`` is ``sum_s rho^|t-s| q_s``;
    dividing by ``1 - rho^2`` gives the stationary AR(1) covariance (unit innovations).
    """
    both = np.stack([q, q[:, ::-1]])  # forward pass on q and on q reversed in time
    r = rho[None, :, None]
    for t in range(1, q.shape[1]):
        both[:, :, t] += r * both[:, :, t - 1]
    return (both[0] + both[1][:, ::-1] - q) / (1 - rho[:, None, None] ** 2)


def expected_lag1_autocorrelation(q: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """``g(rho)``: Yule-Walker ratio of expected residual autocovariances under AR(1)."""
    n = q.shape[1]
    sq = ar1_times(q, rho)
    qt = np.swapaxes(q, 1, 2)
    k = qt @ sq
    scale = 1.0 / (1 - rho**2)
    trace0 = n * scale - np.trace(k, axis1=1, axis2=2)
    qk = q @ k
    trace1 = ((n - 1) * rho * scale - _pair_sum(q[:, 1:], sq[:, :-1])
              - _pair_sum(sq[:, 1:], q[:, :-1]) + _pair_sum(qk[:, 1:], q[:, :-1]))
    return (trace1 / (n - 1)) / (trace0 / n)


def _pair_sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=(1, 2))


def bias_corrected_rho(x: np.ndarray, rho_hat: np.ndarray, maxiter: int = 100) -> np.ndarray:
    """Solve ``g(rho) = rho_hat`` per problem (secant iteration; clipped to +-0.98).

    Parameters
    ----------
    x
        Designs ``(K, n, p)`` (the OLS fit whose residuals gave ``rho_hat``).
    rho_hat
        Yule-Walker lag-1 autocorrelation of those residuals, ``(K,)``.
    """
    q = orthonormal_basis(x)
    rho_hat = np.asarray(rho_hat, dtype=float)
    old = np.clip(rho_hat, -RHO_LIMIT, RHO_LIMIT)
    gap_old = expected_lag1_autocorrelation(q, old) - rho_hat
    rho = np.clip(old - gap_old, -RHO_LIMIT, RHO_LIMIT)
    for _ in range(maxiter):
        gap = expected_lag1_autocorrelation(q, rho) - rho_hat
        slope = np.where(rho != old, (gap - gap_old) / np.where(rho != old, rho - old, 1.0), 1.0)
        slope = np.where(np.abs(slope) > 0.05, slope, 1.0)
        new = np.clip(rho - gap / slope, -RHO_LIMIT, RHO_LIMIT)
        if np.all(np.abs(new - rho) < TOL):
            return new
        old, gap_old, rho = rho, gap, new
    return rho


def gls_satterthwaite_df(x: np.ndarray, rho: np.ndarray, columns: list[int],
                         df_resid: float) -> np.ndarray:
    """Satterthwaite df ``(K, len(columns))`` for FGLS coefficients with estimated ``rho``.

    ``Var(log V_jj) ~= (d log V_jj / d rho)^2 (1 - rho^2) / n + 2 / df_resid`` with
    ``V = (X~'X~)^-1`` for the Cochrane-Orcutt design ``X~ = X_1 - rho X_0``; the
    derivative is analytic: ``dV/drho = V (X_0'X~ + X~'X_0) V``.
    """
    n = x.shape[1]
    lagged = x[:, :-1]
    whitened = x[:, 1:] - rho[:, None, None] * lagged
    inv = np.linalg.pinv(np.swapaxes(whitened, 1, 2) @ whitened)
    cross = np.swapaxes(lagged, 1, 2) @ whitened
    derivative = inv @ (cross + np.swapaxes(cross, 1, 2)) @ inv
    slope = derivative[:, columns, columns] / inv[:, columns, columns]
    variance = slope**2 * ((1 - rho**2) / n)[:, None] + 2.0 / df_resid
    return 2.0 / variance


def hac_adjustment(x: np.ndarray, rho: np.ndarray, lags: int, columns: list[int],
                   use_correction: bool = True, chunk: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Bias factors and Satterthwaite df ``(K, len(columns))`` for Newey-West variances.

    Divide the Newey-West variance of coefficient ``j`` by ``factor[:, j]`` and use
    a t quantile with ``df[:, j]`` degrees of freedom. Problems are processed
    ``chunk`` at a time so the ``n x n`` work arrays stay in cache.
    """
    k_, n, p = x.shape
    correction = n / (n - p) if use_correction else 1.0
    rows = np.linalg.pinv(x)[:, columns, :]
    out = np.empty((2, k_, len(columns)))
    for start in range(0, k_, chunk):
        part = slice(start, start + chunk)
        out[:, part] = _hac_moments(x[part], rho[part], rows[part], lags, correction)
    return out[0], out[1]


def _hac_moments(x: np.ndarray, rho: np.ndarray, rows: np.ndarray, lags: int,
                 correction: float) -> np.ndarray:
    q = orthonormal_basis(x)
    dense = _ar1_dense(rho, x.shape[1])
    sq = dense @ q
    # M S M = S - Q (SQ)' - (SQ) Q' + Q (Q'SQ) Q' = S + [Q, -SQ] @ [Q Q'SQ - SQ, Q]'
    left = np.concatenate([q, -sq], axis=2)
    right = np.concatenate([q @ (np.swapaxes(q, 1, 2) @ sq) - sq, q], axis=2)
    resid_cov = dense + left @ np.swapaxes(right, 1, 2)
    out = np.empty((2, x.shape[0], rows.shape[1]))
    for j in range(rows.shape[1]):
        c = rows[:, j, :]
        scaled = resid_cov * c[:, :, None]
        scaled *= c[:, None, :]
        kb = _bartlett_apply(scaled, lags)
        expected = np.einsum("kaa->k", kb) * correction
        variance = 2 * np.einsum("kab,kba->k", kb, kb) * correction**2
        truth = np.einsum("ka,ka->k", c, (dense @ c[:, :, None])[:, :, 0])
        out[0, :, j] = expected / truth
        out[1, :, j] = 2 * expected**2 / variance
    return out


def _ar1_dense(rho: np.ndarray, n: int) -> np.ndarray:
    """Stacked AR(1) covariances ``rho^|s-t| / (1 - rho^2)``, ``(K, n, n)``."""
    lag = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    powers = rho[:, None] ** np.arange(n)[None, :] / (1 - rho[:, None] ** 2)
    return powers[:, lag]


def _bartlett_apply(b: np.ndarray, lags: int) -> np.ndarray:
    """``K_bartlett @ B`` for the banded Bartlett weight matrix (rows shifted and weighted)."""
    out = b.copy()
    for lag in range(1, lags + 1):
        weight = 1.0 - lag / (lags + 1.0)
        np.add(out[:, lag:], weight * b[:, :-lag], out=out[:, lag:])
        np.add(out[:, :-lag], weight * b[:, lag:], out=out[:, :-lag])
    return out
