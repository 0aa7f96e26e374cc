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

from spamlab.its.batched import bartlett_apply, is_shared, stacked_pinv

__all__ = ["RHO_LIMIT", "TOL", "ar1_times", "bias_corrected_rho", "expected_lag1_autocorrelation",
           "gls_satterthwaite_df", "hac_adjustment", "lag1_polynomials", "lag1_ratio",
           "offset_sums", "orthonormal_basis", "powers", "unit_contrasts"]

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


def powers(rho: np.ndarray, n: int) -> np.ndarray:
    """``rho_k^d`` for ``d = 0 .. n-1``, ``(K, n)``."""
    return np.asarray(rho, dtype=float)[:, None] ** np.arange(n)


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
    """``g(rho)``: Yule-Walker ratio of expected residual autocovariances under AR(1).

    ``q`` is an orthonormal basis stack ``(K, n, p)`` (see :func:`lag1_polynomials`).
    """
    return lag1_ratio(lag1_polynomials(q), rho)


def lag1_polynomials(q: np.ndarray) -> np.ndarray:
    """Coefficients ``(K, 2, n)`` of ``tr(M S M)`` and ``tr(J M S M)`` as polynomials in ``rho``.

    With ``S = sum_d rho^d E_d / (1 - rho^2)`` (``E_d`` the 0/1 matrix of entries
    ``d`` apart), ``tr(A S) (1 - rho^2) = sum_d rho^d a_d`` where ``a_d`` sums the
    two ``d``-th off-diagonals of ``A``. Here ``A = M = I - QQ'`` and
    ``A = M J M = J + U V'`` (``J`` the lag-one shift, ``U = [Q, -Q_+]``,
    ``V = [Q Q_+'Q - Q_-, Q]``, ``Q_+``/``Q_-`` the rows one period ahead/behind);
    the off-diagonal sums of ``QQ'`` and ``UV'`` are column cross-correlations
    (FFT, ``O(n log n p)`` once per design), and every later evaluation of
    ``g(rho)`` costs ``O(n)`` per problem. A shared stack gives ``K = 1``.
    """
    q = q[:1] if is_shared(q) else q
    n = q.shape[1]
    ahead = np.zeros_like(q)
    ahead[:, :-1] = q[:, 1:]
    behind = np.zeros_like(q)
    behind[:, 1:] = q[:, :-1]
    coupling = np.swapaxes(q, 1, 2) @ ahead
    left = np.concatenate([q, -ahead], axis=2)
    right = np.concatenate([q @ np.swapaxes(coupling, 1, 2) - behind, q], axis=2)
    lag_one = offset_sums(left, right)
    lag_one[:, 1] += n - 1
    zero = -offset_sums(q, q)
    zero[:, 0] += n
    return np.stack([zero, lag_one], axis=1)


def lag1_ratio(coefficients: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """``g(rho)`` from :func:`lag1_polynomials` coefficients (``K`` or 1 designs)."""
    n = coefficients.shape[2]
    values = np.einsum("kcd,kd->kc", coefficients, powers(rho, n)) if coefficients.shape[0] > 1 \
        else powers(rho, n) @ coefficients[0].T
    return (values[:, 1] / (n - 1)) / (values[:, 0] / n)


def offset_sums(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``s_d = sum_i A[i, i+d] + A[i+d, i]`` (``s_0`` the trace) of ``A = u v'``, ``(K, n)``.

    ``u``, ``v`` are ``(K, n, r)``; the sums are cross-correlations of their
    columns, computed by FFT without forming ``A``.

    Examples
    --------
    >>> u = np.arange(6.0).reshape(1, 3, 2)
    >>> a = u[0] @ u[0].T
    >>> np.allclose(offset_sums(u, u)[0], [np.trace(a), 2 * np.trace(a, 1), 2 * np.trace(a, 2)])
    True
    """
    n = u.shape[1]
    spectrum = np.einsum("knr,knr->kn", np.fft.rfft(u, 2 * n, axis=1).conj(),
                         np.fft.rfft(v, 2 * n, axis=1))
    by_lag = np.fft.irfft(spectrum, 2 * n, axis=1)  # index d: sum_i u_i v_(i+d); 2n-d: lag -d
    out = by_lag[:, :n].copy()
    out[:, 1:] += by_lag[:, :n:-1]
    return out


def bias_corrected_rho(x: np.ndarray, rho_hat: np.ndarray, maxiter: int = 100) -> np.ndarray:
    """Solve ``g(rho) = rho_hat`` per problem (secant iteration; clipped to +-0.98).

    Parameters
    ----------
    x
        Designs ``(K, n, p)`` (the OLS fit whose residuals gave ``rho_hat``).
    rho_hat
        Yule-Walker lag-1 autocorrelation of those residuals, ``(K,)``.
    """
    coefficients = lag1_polynomials(orthonormal_basis(x))
    rho_hat = np.asarray(rho_hat, dtype=float)
    old = np.clip(rho_hat, -RHO_LIMIT, RHO_LIMIT)
    gap_old = lag1_ratio(coefficients, old) - rho_hat
    rho = np.clip(old - gap_old, -RHO_LIMIT, RHO_LIMIT)
    for _ in range(maxiter):
        gap = lag1_ratio(coefficients, rho) - rho_hat
        slope = np.where(rho != old, (gap - gap_old) / np.where(rho != old, rho - old, 1.0), 1.0)
        slope = np.where(np.abs(slope) > 0.05, slope, 1.0)
        new = np.clip(rho - gap / slope, -RHO_LIMIT, RHO_LIMIT)
        if np.all(np.abs(new - rho) < TOL):
            return new
        old, gap_old, rho = rho, gap, new
    return rho


def unit_contrasts(p: int, columns: list[int]) -> np.ndarray:
    """Contrast rows ``(len(columns), p)`` picking single coefficients.

    Examples
    --------
    >>> unit_contrasts(3, [2]).tolist()
    [[0.0, 0.0, 1.0]]
    """
    return np.eye(p)[columns]


def gls_satterthwaite_df(x: np.ndarray, rho: np.ndarray, contrasts: np.ndarray,
                         df_resid: float) -> np.ndarray:
    """Satterthwaite df ``(K, m)`` for ``m`` linear contrasts of FGLS coefficients with
    estimated ``rho``.

    For a contrast ``c`` (a row of ``contrasts``, ``(m, p)``; see :func:`unit_contrasts`)
    ``Var(log V_c) ~= (d log V_c / d rho)^2 (1 - rho^2) / n + 2 / df_resid`` with
    ``V_c = c'Vc``, ``V = (X~'X~)^-1`` for the Cochrane-Orcutt design ``X~ = X_1 - rho X_0``;
    the derivative is analytic: ``dV/drho = V (X_0'X~ + X~'X_0) V``.
    """
    n = x.shape[1]
    lagged = x[:, :-1]
    whitened = x[:, 1:] - rho[:, None, None] * lagged
    inv = np.linalg.pinv(np.swapaxes(whitened, 1, 2) @ whitened)
    cross = np.swapaxes(lagged, 1, 2) @ whitened
    derivative = inv @ (cross + np.swapaxes(cross, 1, 2)) @ inv
    contrasts = np.asarray(contrasts, dtype=float)
    slope = (np.einsum("mi,kij,mj->km", contrasts, derivative, contrasts)
             / np.einsum("mi,kij,mj->km", contrasts, inv, contrasts))
    variance = slope**2 * ((1 - rho**2) / n)[:, None] + 2.0 / df_resid
    return 2.0 / variance


def hac_adjustment(x: np.ndarray, rho: np.ndarray, lags: int, contrasts: np.ndarray,
                   use_correction: bool = True, chunk: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Bias factors and Satterthwaite df ``(K, m)`` for Newey-West variances of ``m`` contrasts.

    Divide the Newey-West variance of contrast ``j`` (row ``j`` of ``contrasts``,
    ``(m, p)``; a single coefficient is a :func:`unit_contrasts` row) by
    ``factor[:, j]`` and use a t quantile with ``df[:, j]`` degrees of freedom. With
    ``c`` the contrast's row of ``L pinv(X)``, ``D = diag(c)``, ``K`` the Bartlett weights and
    ``M S M = S + L R'`` (``L = [Q, -SQ]``, ``R = [Q A - SQ, Q]``, ``A = Q'SQ``),
    ``E = tr(K D S D) + tr(K D L R' D)`` and
    ``tr((K B)^2) = tr(KFKF) + 2 tr((KW)' F (KU)) + tr(((KW)' U)^2)`` with
    ``B = D M S M D``, ``F = D S D``, ``U = D L``, ``W = D R``; every term costs
    ``O(n lags^2 + n lags p)`` (see :func:`_trace_kfkf`), no ``n x n`` matrix is formed.
    The design-only pieces (``Q``, ``c``, ``K D Q``, the polynomial of ``c'Sc``)
    are computed once per distinct design (once for a broadcast stack), and
    ``K W = [K D Q A - K D S Q, K D Q]`` needs only ``K D S Q`` per problem.
    Problems are processed ``chunk`` at a time to bound memory.
    """
    if x.shape[0] > chunk:
        parts = [hac_adjustment(x[i:i + chunk], rho[i:i + chunk], lags, contrasts,
                                use_correction, chunk) for i in range(0, x.shape[0], chunk)]
        return np.concatenate([f for f, _ in parts]), np.concatenate([d for _, d in parts])
    n, p = x.shape[1:]
    correction = n / (n - p) if use_correction else 1.0
    design = x[:1] if is_shared(x) else x  # leading axis 1 broadcasts over the problems
    contrasts = np.asarray(contrasts, dtype=float)
    rows = contrasts @ stacked_pinv(design)
    q = orthonormal_basis(design)
    sq = ar1_times(np.broadcast_to(q, (len(rho), n, p)), rho)
    a = np.swapaxes(q, 1, 2) @ sq
    factors = np.empty((len(rho), len(contrasts)))
    dfs = np.empty_like(factors)
    for j in range(len(contrasts)):
        c = rows[:, j, :, None]
        expected, trace = _hac_traces(q, sq, a, c, rho, lags)
        truth = np.sum(powers(rho, n) * offset_sums(c, c), axis=1) / (1 - rho**2)
        factors[:, j] = expected * correction / truth
        dfs[:, j] = expected**2 / trace
    return factors, dfs


def _hac_traces(q: np.ndarray, sq: np.ndarray, a: np.ndarray, c: np.ndarray, rho: np.ndarray,
                lags: int) -> tuple[np.ndarray, np.ndarray]:
    """``tr(K B)`` and ``tr((K B)^2)`` of :func:`hac_adjustment` from ``p x p`` blocks.

    With ``G = (DQ)'K(DQ)`` (per design), ``H = (DQ)'K(DSQ)``, ``T = (DSQ)'K(DSQ)`` and
    ``L = (KDQ)' F (KDQ)``: ``tr(K D L R' D) = tr(G A) - 2 tr(H)``,
    ``tr((KW)' F (KU)) = tr(A L) - 2 tr((KDSQ)' F (KDQ))`` and
    ``(KW)' U = [[A G - H', H - A H], [G, -H]]`` (all symmetric but ``H``).
    """
    qc, sqc = q * c, sq * c
    kdq, kdsq = bartlett_apply(qc, lags), bartlett_apply(sqc, lags)
    g = np.swapaxes(qc, 1, 2) @ kdq
    h = np.swapaxes(kdq, 1, 2) @ sqc
    t = np.swapaxes(kdsq, 1, 2) @ sqc
    diag_h = np.trace(h, axis1=1, axis2=2)
    cc = np.broadcast_to(c[:, :, 0], (len(rho), c.shape[1]))
    expected = _trace_kf(cc, rho, lags) + np.sum(g * a, axis=(1, 2)) - 2 * diag_h
    fkdq = ar1_times(np.broadcast_to(kdq * c, sq.shape), rho) * c
    cross = (np.sum(a * (np.swapaxes(kdq, 1, 2) @ fkdq), axis=(1, 2))
             - 2 * np.sum(kdsq * fkdq, axis=(1, 2)))
    ah = a @ h
    small = np.concatenate([
        np.concatenate([a @ g - np.swapaxes(h, 1, 2), t - ah], axis=2),
        np.concatenate([np.broadcast_to(g, h.shape), -h], axis=2)], axis=1)
    trace = (_trace_kfkf(cc, rho, lags) + 2 * cross + np.einsum("kij,kji->k", small, small))
    return expected, trace


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
