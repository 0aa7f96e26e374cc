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

from spamlab.its.batched import is_shared, stacked_pinv

RHO_LIMIT: float = 0.98
TOL: float = 1e-12


def orthonormal_basis(x: np.ndarray) -> np.ndarray:
    """Orthonormal basis ``Q`` (``K, n, p``) of each design's column space."""
    x = np.asarray(x, dtype=float)
    if is_shared(x):
        return np.broadcast_to(np.linalg.qr(x[0])[0], x.shape)
    return np.linalg.qr(x)[0]


def ar1_times(q: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """``S(rho) @ q`` for each stacked problem, ``S`` the AR(1) covariance (unit innovations).

    ``S_st = rho^|s-t| / (1 - rho^2)`` is a symmetric Toeplitz kernel: for a few
    columns ``S q`` is computed as an FFT convolution; for large stacks as
    ``(f + b - q) / (1 - rho^2)`` with the recursions ``f_t = q_t + rho f_{t-1}``
    and ``b_t = q_t + rho b_{t+1}`` run eight periods at a time (both agree to
    about 1e-14).
    """
    if q.shape[0] * q.shape[2] <= 64:
        return _ar1_fft(q, rho)
    forward = _ar1_filter(q, rho, 8)
    backward = _ar1_filter(q[:, ::-1], rho, 8)[:, ::-1]
    return (forward + backward - q) / (1 - rho[:, None, None] ** 2)


def _ar1_fft(q: np.ndarray, rho: np.ndarray) -> np.ndarray:
    n = q.shape[1]
    size = 2 * n
    distance = np.minimum(np.arange(size), size - np.arange(size))
    kernel = np.fft.rfft(rho[:, None] ** distance, axis=1)
    product = np.fft.rfft(q, n=size, axis=1) * kernel[:, :, None]
    return np.fft.irfft(product, n=size, axis=1)[:, :n] / (1 - rho[:, None, None] ** 2)


def _ar1_filter(q: np.ndarray, rho: np.ndarray, block: int) -> np.ndarray:
    """``f_t = q_t + rho f_{t-1}`` along axis 1 (``f_0 = q_0``), ``block`` rows per matrix product."""
    n = q.shape[1]
    size = min(block, n)
    steps = np.subtract.outer(np.arange(size), np.arange(size))
    r = rho[:, None, None]
    lower = np.where(steps >= 0, r ** np.maximum(steps, 0), 0.0)
    carry = rho[:, None] ** np.arange(1, size + 1)
    out = np.empty_like(q)
    previous = np.zeros((q.shape[0], q.shape[2]))
    for start in range(0, n, size):
        m = min(size, n - start)
        part = lower[:, :m, :m] @ q[:, start:start + m] + carry[:, :m, None] * previous[:, None, :]
        out[:, start:start + m] = part
        previous = part[:, -1]
    return out


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
                   use_correction: bool = True, chunk: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Bias factors and Satterthwaite df ``(K, len(columns))`` for Newey-West variances.

    Divide the Newey-West variance of coefficient ``j`` by ``factor[:, j]`` and use
    a t quantile with ``df[:, j]`` degrees of freedom. With ``c`` the coefficient's
    row of ``pinv(X)``, ``D = diag(c)``, ``K`` the Bartlett weights and
    ``M S M = S + L R'`` (``L = [Q, -SQ]``, ``R = [Q Q'SQ - SQ, Q]``),
    ``E = tr(K D S D) + tr(K D L R' D)`` and
    ``tr((K B)^2) = tr(KFKF) + 2 tr((KW)' F (KU)) + tr(((KW)' U)^2)`` with
    ``B = D M S M D``, ``F = D S D``, ``U = D L``, ``W = D R``; every term costs
    ``O(n lags^2 + n lags p)`` (see :func:`_trace_kfkf`), no ``n x n`` matrix is formed.
    Problems are processed ``chunk`` at a time to bound memory.
    """
    if x.shape[0] > chunk:
        parts = [hac_adjustment(x[i:i + chunk], rho[i:i + chunk], lags, columns, use_correction,
                                chunk) for i in range(0, x.shape[0], chunk)]
        return np.concatenate([f for f, _ in parts]), np.concatenate([d for _, d in parts])
    n, p = x.shape[1:]
    correction = n / (n - p) if use_correction else 1.0
    rows = stacked_pinv(x)[:, columns, :]
    q = orthonormal_basis(x)
    sq = ar1_times(q, rho)
    left = np.concatenate([q, -sq], axis=2)
    right = np.concatenate([q @ (np.swapaxes(q, 1, 2) @ sq) - sq, q], axis=2)
    factors = np.empty((x.shape[0], len(columns)))
    dfs = np.empty_like(factors)
    for j in range(len(columns)):
        c = rows[:, j, :]
        u, w = left * c[:, :, None], right * c[:, :, None]
        ku, kw = _bartlett_apply(u, lags), _bartlett_apply(w, lags)
        expected = (_trace_kf(c, rho, lags) + np.sum(ku * w, axis=(1, 2))) * correction
        fku = ar1_times(ku * c[:, :, None], rho) * c[:, :, None]
        small = np.swapaxes(kw, 1, 2) @ u
        trace = (_trace_kfkf(c, rho, lags) + 2 * np.sum(kw * fku, axis=(1, 2))
                 + np.einsum("kij,kji->k", small, small))
        truth = np.sum(c * ar1_times(c[:, :, None], rho)[:, :, 0], axis=1)
        factors[:, j] = expected / truth
        dfs[:, j] = 2 * expected**2 / (2 * trace * correction**2)
    return factors, dfs


def _shift(c: np.ndarray, lag: int) -> np.ndarray:
    """``c[:, s + lag]`` with zeros outside the series."""
    out = np.zeros_like(c)
    n = c.shape[1]
    if lag >= 0:
        out[:, : n - lag] = c[:, lag:]
    else:
        out[:, -lag:] = c[:, : n + lag]
    return out


def _bartlett(lags: int) -> dict[int, float]:
    return {lag: 1.0 - abs(lag) / (lags + 1.0) for lag in range(-lags, lags + 1)}


def _trace_kf(c: np.ndarray, rho: np.ndarray, lags: int) -> np.ndarray:
    """``tr(K D S D) = sum_l w_l rho^|l| sum_s c_s c_{s+l} / (1 - rho^2)``."""
    total = np.sum(c * c, axis=1)
    for lag in range(1, lags + 1):
        weight = 1.0 - lag / (lags + 1.0)
        total = total + 2 * weight * rho**lag * np.sum(c[:, :-lag] * c[:, lag:], axis=1)
    return total / (1 - rho**2)


def _trace_kfkf(c: np.ndarray, rho: np.ndarray, lags: int) -> np.ndarray:
    """``tr(G D G D)`` for ``G = K D S`` in ``O(n lags^2)``.

    Inside the band ``|s - t| <= lags`` the entries of ``G`` are summed directly.
    Outside it every ``u`` in the kernel window lies on one side of ``t``, so
    ``G_st = rho^(s-lags-t) a_s / (1-rho^2)`` below the band and
    ``rho^(t-s-lags) b_s / (1-rho^2)`` above it; the off-band sum is then the
    recursion ``h_s = rho^2 (h_{s-1} + b_{s-lags-1} c_{s-lags-1})``.
    """
    r = rho[:, None]
    weights = _bartlett(lags)
    shifted = {lag: _shift(c, lag) for lag in weights}
    band = {d: sum(w * shifted[lag] * r ** abs(lag - d) for lag, w in weights.items())
            for d in weights}
    inside = sum(np.sum(band[d] * shifted[d] * _shift(band[-d], d) * c, axis=1) for d in weights)
    a = sum(w * shifted[lag] * r ** (lag + lags) for lag, w in weights.items())
    b = sum(w * shifted[lag] * r ** (lags - lag) for lag, w in weights.items()) * c
    ac = a * c
    h = np.zeros(c.shape[0])
    outside = np.zeros(c.shape[0])
    for s in range(lags + 1, c.shape[1]):
        h = rho**2 * (h + b[:, s - lags - 1])
        outside += ac[:, s] * h
    return (inside + 2 * outside) / (1 - rho**2) ** 2


def _bartlett_apply(b: np.ndarray, lags: int) -> np.ndarray:
    """``K_bartlett @ B`` for the banded Bartlett weight matrix (rows shifted and weighted)."""
    out = b.copy()
    for lag in range(1, lags + 1):
        weight = 1.0 - lag / (lags + 1.0)
        np.add(out[:, lag:], weight * b[:, :-lag], out=out[:, lag:])
        np.add(out[:, :-lag], weight * b[:, lag:], out=out[:, :-lag])
    return out
