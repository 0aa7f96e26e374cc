"""Break-date confidence sets by test inversion, in the manner of Elliott & Müller (2007).

For every admissible date ``k`` the model with the break at ``k`` (segment means
plus the common regressors) is fitted and its residuals ``e`` are tested for a
break elsewhere with the statistic

    U(k) = [ sum_{t<k} S1_t^2 / k^2 + sum_{t>=k} S2_t^2 / (n-k)^2 ] / omega^2,

``S1``, ``S2`` the partial sums of ``e`` within each segment and ``omega^2`` the
(long-run) variance of the residuals of the least-squares break date (one estimate
for every ``k``: estimated under each ``k`` in turn, a misplaced break would leave a
step in the residuals, inflate ``omega^2`` and hide itself). With ``errors="hac"``
``omega^2`` is the AR(1)-prewhitened estimate of :mod:`spamlab.its.longrun` with the
prewhitening rho bias-corrected for the regression
(:func:`spamlab.its.smallsample.bias_corrected_rho`). The set holds every ``k`` with ``U(k)`` at or
below its ``1 - alpha`` critical value. With gaussian errors of known variance,
``U(k)`` is a quadratic form ``sum_i lambda_i chi2_1`` whose weights are the
eigenvalues of ``L M L'`` (``M`` the residual maker of the model with the break at
``k``, ``L`` the scaled segment partial-sum operator), so the critical values are
exact in finite samples for that case, including a trend or seasonal terms; they
vary little with ``k`` (without common regressors they are the Elliott-Müller
constant, the 95% point of the sum of two Cramér-von Mises variables, 0.748). They
are computed at up to :data:`ANCHORS` dates and interpolated, and the quantile of
the weighted chi-square sum comes from Imhof's (1961) inversion formula.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> values = np.r_[np.zeros(50), np.full(50, 1.5)] + rng.normal(0, 1, 100)
>>> inside = inverted_set(values, np.empty((100, 0)), 15, "iid", None, 0.05)
>>> bool(inside[50]), int(inside.sum()) < 70
(True, True)
"""

from __future__ import annotations

import math

import numpy as np
from scipy import linalg, optimize

from spamlab.its import batched, smallsample
from spamlab.its.longrun import bartlett_long_run_variance, prewhitened_long_run_variance

ANCHORS: int = 5  # dates at which the critical value is computed exactly
TOP_EIGENVALUES: int = 200  # beyond this many observations, the rest enter by their sum


def inverted_set(values: np.ndarray, common: np.ndarray, size: int, errors: str,
                 lags: int | None, alpha: float) -> np.ndarray:
    """Boolean mask over positions ``0..n-1``: the dates in the ``1 - alpha`` set,
    to which the least-squares date is added (it is nearly always in it anyway).

    Parameters
    ----------
    values, common
        The outcome ``(n,)`` -- or ``(R, n)``, R series sharing the regressors, giving
        ``(R, n)`` masks -- and the common (non-breaking) regressors ``(n, q)``.
    size
        Minimum observations per segment (candidate dates ``size .. n - size``).
    errors, lags
        ``"iid"`` (residual variance) or ``"hac"`` (long-run variance: Bartlett with
        ``lags`` lags, or AR(1)-prewhitened with automatic bandwidth when ``None``).
    alpha
        One minus the confidence level.
    """
    rows = np.atleast_2d(np.asarray(values, dtype=float))
    n = rows.shape[1]
    positions = np.arange(size, n - size + 1)
    designs = [_design(n, int(k), common) for k in positions]
    statistic, ssr = np.empty((len(positions), len(rows))), np.empty((len(positions), len(rows)))
    for i, (k, design) in enumerate(zip(positions, designs, strict=True)):
        resid = _residuals(rows, design)
        sums = _segment_cumsum(resid.T, int(k)) * segment_weights(n, int(k))[:, None]
        statistic[i], ssr[i] = np.einsum("nr,nr->r", sums, sums), np.einsum("rn,rn->r", resid,
                                                                              resid)
    best = np.argmin(ssr, axis=0)
    variance = _variance_at_best(rows, designs, best, errors, lags)
    inside = np.zeros(rows.shape, dtype=bool)
    inside[:, positions] = (statistic <= critical_values(designs, positions, alpha)[:, None]
                            * variance).T
    inside[np.arange(len(rows)), positions[best]] = True
    return inside if np.ndim(values) == 2 else inside[0]


def _residuals(rows: np.ndarray, design: np.ndarray) -> np.ndarray:
    basis = np.linalg.qr(design)[0]
    return rows - (rows @ basis) @ basis.T


def _variance_at_best(rows: np.ndarray, designs: list[np.ndarray], best: np.ndarray,
                      errors: str, lags: int | None) -> np.ndarray:
    """Each row's (long-run) variance from the residuals of its least-squares date."""
    variance = np.empty(len(rows))
    for i in np.unique(best):
        chosen = best == i
        resid = _residuals(rows[chosen], designs[i])
        variance[chosen] = _variance(resid, designs[i], errors, lags)
    return variance


def _design(n: int, k: int, common: np.ndarray) -> np.ndarray:
    t = np.arange(n)
    return np.column_stack([t < k, t >= k, common]).astype(float)


def _variance(resid: np.ndarray, design: np.ndarray, errors: str, lags: int | None
              ) -> np.ndarray:
    if errors == "iid":
        return np.einsum("rn,rn->r", resid, resid) / (resid.shape[1] - design.shape[1])
    if lags is not None:
        return bartlett_long_run_variance(resid, lags)
    x = np.broadcast_to(design, (len(resid), *design.shape))
    rho = smallsample.bias_corrected_rho(x, batched.yule_walker_ar1(resid))
    return prewhitened_long_run_variance(resid, rho)


def segment_weights(n: int, k: int) -> np.ndarray:
    """``1/k`` before the break and ``1/(n-k)`` after: each segment's scale."""
    return np.where(np.arange(n) < k, 1.0 / k, 1.0 / (n - k))


def _segment_cumsum(x: np.ndarray, k: int) -> np.ndarray:
    """Partial sums of ``x`` along its first axis, restarting at row ``k``."""
    out = np.cumsum(x, axis=0)
    out[k:] -= out[k - 1]
    return out


def statistic_weights(design: np.ndarray, k: int) -> np.ndarray:
    """Eigenvalues of ``L M L'``: ``U(k) ~ sum lambda_i chi2_1`` under iid N(0, 1) errors."""
    n = design.shape[0]
    w = segment_weights(n, k)
    t = np.arange(n)
    same = (t[:, None] < k) == (t[None, :] < k)
    span = np.minimum.outer(t, t) + 1 - np.where(t < k, 0, k)[:, None]
    ll = np.where(same, span, 0) * np.outer(w, w)
    basis = np.linalg.qr(design)[0]
    lq = _segment_cumsum(basis, k) * w[:, None]
    matrix = ll - lq @ lq.T
    if n <= TOP_EIGENVALUES:
        return np.clip(linalg.eigvalsh(matrix), 0.0, None)
    top = linalg.eigvalsh(matrix, subset_by_index=[n - TOP_EIGENVALUES, n - 1])
    return np.r_[np.clip(top, 0.0, None), max(float(np.trace(matrix) - top.sum()), 0.0)]


def critical_values(designs: list[np.ndarray], positions: np.ndarray, alpha: float
                    ) -> np.ndarray:
    """``1 - alpha`` quantile of ``U(k)`` at each position (exact at :data:`ANCHORS`
    evenly spaced dates, linear in between)."""
    anchors = np.unique(np.linspace(0, len(positions) - 1, min(ANCHORS, len(positions)))
                        .round().astype(int))
    values = []
    for i in anchors:
        weights = statistic_weights(designs[i], int(positions[i]))
        if len(weights) > TOP_EIGENVALUES:  # the last entry is the tail's sum: a constant
            values.append(weighted_chi2_quantile(weights[:-1], alpha) + weights[-1])
        else:
            values.append(weighted_chi2_quantile(weights, alpha))
    return np.interp(positions, positions[anchors], values)


def weighted_chi2_sf(x: float, weights: np.ndarray, grid: int = 3000) -> float:
    """``P(sum_i w_i Z_i^2 > x)`` by Imhof's (1961) formula (trapezoid rule in ``log u``).

    Examples
    --------
    >>> round(weighted_chi2_sf(18.307, np.ones(10)), 4)  # chi2 with 10 df: 95% point
    0.05
    """
    return _imhof_sf(x, *_imhof_terms(np.asarray(weights, dtype=float), grid))


def weighted_chi2_quantile(weights: np.ndarray, alpha: float, grid: int = 3000) -> float:
    """``x`` with ``P(sum_i w_i Z_i^2 > x) = alpha`` (see :func:`weighted_chi2_sf`).

    Examples
    --------
    >>> lam = 1 / (np.pi * np.arange(1, 400)) ** 2  # Cramér-von Mises, 95% point 0.461
    >>> round(weighted_chi2_quantile(lam, 0.05), 2)
    0.46
    """
    w = np.asarray(weights, dtype=float)
    w = w[w > 1e-10 * w.max()]
    terms = _imhof_terms(w, grid)
    mean, sd = float(w.sum()), math.sqrt(2 * float(w @ w))
    return float(optimize.brentq(lambda x: _imhof_sf(x, *terms) - alpha, 0.0, mean + 40 * sd,
                                 xtol=1e-12))


def _imhof_sf(x: float, s: np.ndarray, angle: np.ndarray, decay: np.ndarray) -> float:
    u = np.exp(s)
    return float(0.5 + np.trapezoid(np.sin(angle - 0.5 * x * u) * decay, s) / math.pi)


def _imhof_terms(w: np.ndarray, grid: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = np.linspace(-14.0, 14.0, grid) - math.log(w.max())
    wu = np.outer(np.exp(s), w)
    return s, 0.5 * np.arctan(wu).sum(axis=1), np.exp(-0.25 * np.log1p(wu**2).sum(axis=1))
