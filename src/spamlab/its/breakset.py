"""Break-date confidence sets by test inversion.

Two tests are inverted here. :func:`likelihood_ratio_set` (the default of
:func:`spamlab.its.breakpoints`): the likelihood-ratio statistic of "the break is at
``k``" against the best date, with critical values from a parametric bootstrap under
the fitted model (method, benchmark and its limits: ``docs/methods/break-dates.md``).
:func:`inverted_set`, in the manner of Elliott & Müller (2007), described below.

For every admissible date ``k`` the model with the break at ``k`` (segment means
plus the common regressors) is fitted and its residuals ``e`` are tested for a
break elsewhere with the statistic

    U(k) = [ sum_{t<k} S1_t^2 / k^2 + sum_{t>=k} S2_t^2 / (n-k)^2 ] / omega^2,

``S1``, ``S2`` the partial sums of ``e`` within each segment. The set holds every
``k`` with ``U(k)`` at or below its ``1 - alpha`` critical value. With gaussian
errors of known variance, ``U(k)`` is a quadratic form ``sum_i lambda_i chi2_1``
whose weights are the eigenvalues of ``L M L'`` (``M`` the residual maker of the
model with the break at ``k``, ``L`` the scaled segment partial-sum operator), so
the critical values are exact in finite samples for any design, including a trend
or seasonal terms; they vary little with ``k`` (without common regressors they are
the Elliott-Müller constant, the 95% point of the sum of two Cramér-von Mises
variables, 0.748). They are computed at up to :data:`ANCHORS` dates and
interpolated, and the quantile of the weighted chi-square sum comes from Imhof's
(1961) inversion formula.

``errors="iid"`` and ``"hac(L)"``
    ``omega^2`` is the residual variance (or the Bartlett long-run variance with
    ``L`` lags) of the least-squares break date, one estimate for every ``k``.
``errors="hac"``: feasible GLS under AR(1) errors
    ``rho`` maximizes the AR(1) restricted (REML) likelihood of the model with the
    break date *integrated out* -- the likelihoods of all admissible dates summed
    (a uniform weight on the dates), on a grid of step :data:`RHO_STEP`
    (:func:`integrated_rho`). Outcome and every design are whitened by the
    Prais-Winsten transform at that ``rho``, ``U(k)`` is computed from the whitened
    residuals with ``omega^2`` the whitened residual variance under ``k`` itself, and
    the critical values are exact for the *whitened* design (with ``rho`` known the
    test is exact; the grid step makes ``rho`` a value at which they are computed).
    Measured on n = 120, a break at 60, AR(1) noise (phi 0.5), a trend and a 1-sd
    shift (the hardest cell of ``benchmarks/breaks.py``): REML at the
    least-squares date gives a mean ``rho`` of 0.46 (that date is chosen to absorb
    the low-frequency part of the noise, so its residuals look less autocorrelated)
    and 92.5% coverage; the integrated likelihood 0.49, and the sets cover 93.5-95.3%
    (seeds of 400-2,000 replications; 95.3% with the true ``rho``). ``omega^2`` under
    each ``k`` rather than at the least-squares date (92.2-95.0%) adds a point there,
    at the price of larger sets when the date is well identified (iid noise, a trend,
    a 2-sd shift: 39 dates against 28 with ``errors="iid"``). The earlier long-run
    variance (AR(1)-prewhitened, quadratic-spectral kernel, from the least-squares
    residuals) was biased low for the same reason (median 3.2 for a true 4): 89-94%
    with a trend.
    Cost: 0.23 s CPU per set at n = 120, 0.37 s at n = 365 (single-threaded BLAS).

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
from scipy.special import logsumexp

from spamlab.its.longrun import bartlett_long_run_variance
from spamlab.its.reml import log_det_r, whiten

__all__ = [
    "ANCHORS",
    "CHUNK",
    "COARSE",
    "DRAWS",
    "RHO_GRID",
    "RHO_SD_FACTOR",
    "RHO_STEP",
    "SEED",
    "TOP_EIGENVALUES",
    "ar1_whiten",
    "critical_values",
    "integrated_rho",
    "inverted_set",
    "likelihood_ratio_set",
    "rho_spread",
    "segment_weights",
    "statistic_weights",
    "weighted_chi2_quantile",
    "weighted_chi2_sf",
]

ANCHORS: int = 5  # dates at which the critical value is computed exactly
TOP_EIGENVALUES: int = 200  # beyond this many observations, the rest enter by their sum
RHO_STEP: float = 0.01  # grid step of the AR(1) coefficient (errors="hac")
RHO_GRID: np.ndarray = np.round(np.arange(-0.98, 0.98 + RHO_STEP / 2, RHO_STEP), 2)
COARSE: int = 5  # coarse step of the default rho search, in grid steps
DRAWS: int = 400  # bootstrap series per candidate date (likelihood-ratio sets)
SEED: int = 20110316  # seed of the bootstrap errors: the sets are reproducible
# the bootstrap draws rho from N(rho_hat, (factor x asymptotic sd)^2): the sets then allow
# for the error of rho_hat (docs/methods/break-dates.md: factor 1 left 92-94% coverage)
RHO_SD_FACTOR: float = 1.5
CHUNK: int = 32  # candidate dates simulated at once (bounds memory: CHUNK x DRAWS x dates)


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
        ``"iid"`` (residual variance), ``"hac"`` with ``lags`` (Bartlett long-run
        variance) or ``"hac"`` with ``lags=None`` (feasible GLS under AR(1) errors,
        see the module docstring).
    alpha
        One minus the confidence level.
    """
    rows = np.atleast_2d(np.asarray(values, dtype=float))
    n = rows.shape[1]
    positions = np.arange(size, n - size + 1)
    designs = [_design(n, int(k), common) for k in positions]
    statistic, ssr = _statistics(rows, designs, positions)
    best = np.argmin(ssr, axis=0)
    if errors == "hac" and lags is None:
        accept = _ar1_accept(rows, common, designs, positions, alpha)
    else:
        variance = _variance_at_best(rows, designs, best, None if errors == "iid" else lags)
        accept = statistic <= critical_values(designs, positions, alpha)[:, None] * variance
    inside = np.zeros(rows.shape, dtype=bool)
    inside[:, positions] = accept.T
    inside[np.arange(len(rows)), positions[best]] = True
    return inside if np.ndim(values) == 2 else inside[0]


def _statistics(rows: np.ndarray, designs: list[np.ndarray], positions: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """``U(k)`` times ``omega^2`` and the residual sum of squares, ``(dates, R)`` each."""
    n = rows.shape[1]
    statistic, ssr = np.empty((len(positions), len(rows))), np.empty((len(positions), len(rows)))
    for i, (k, design) in enumerate(zip(positions, designs, strict=True)):
        resid = _residuals(rows, design)
        sums = _segment_cumsum(resid.T, int(k)) * segment_weights(n, int(k))[:, None]
        statistic[i] = np.einsum("nr,nr->r", sums, sums)
        ssr[i] = np.einsum("rn,rn->r", resid, resid)
    return statistic, ssr


def _ar1_accept(rows: np.ndarray, common: np.ndarray, designs: list[np.ndarray],
                positions: np.ndarray, alpha: float) -> np.ndarray:
    """``(dates, R)``: does the whitened test accept each date (``errors="hac"``)."""
    n, p = designs[0].shape
    rho = integrated_rho(rows, common, positions)
    accept = np.empty((len(positions), len(rows)), dtype=bool)
    for value in np.unique(rho):
        chosen = rho == value
        whitened = [ar1_whiten(design, float(value)) for design in designs]
        statistic, ssr = _statistics(ar1_whiten(rows[chosen].T, float(value)).T, whitened,
                                     positions)
        accept[:, chosen] = (statistic <= critical_values(whitened, positions, alpha)[:, None]
                             * ssr / (n - p))
    return accept


def ar1_whiten(z: np.ndarray, rho: float) -> np.ndarray:
    """Prais-Winsten transform of the columns of ``z`` ``(n, m)``: ``P z`` with
    ``P'P`` the inverse AR(1) correlation (unit innovations, consecutive periods).

    Examples
    --------
    >>> ar1_whiten(np.ones((3, 1)), 0.5).ravel().round(3).tolist()
    [0.866, 0.5, 0.5]
    """
    z = np.asarray(z, dtype=float)
    return whiten(z, np.array([rho]), np.ones(z.shape[0] - 1))[0]


def integrated_rho(rows: np.ndarray, common: np.ndarray, positions: np.ndarray,
                   grid: np.ndarray | None = None) -> np.ndarray:
    """AR(1) coefficient per row maximizing the restricted likelihood summed over the
    break dates ``positions`` (each date's model: segment means plus ``common``).

    For each ``rho`` on ``grid`` and date ``k``, ``-2 l_k = (n - p) log RSS_k +
    log|X_k'R^-1 X_k| + log|R|`` (REML profiled over the coefficients and the
    variance, :func:`spamlab.its.reml.reml_objective`); the estimate maximizes
    ``log sum_k exp(l_k)``. All dates at once: with the whitened constant and
    ``common`` projected out, each date adds one whitened step regressor ``s_k``,
    ``RSS_k = RSS_0 - (s_k'y)^2 / s_k's_k`` and ``|X_k'R^-1 X_k| = |Z'R^-1 Z| s_k's_k``.
    ``grid=None``: :data:`RHO_GRID`, searched coarse to fine (every
    :data:`COARSE`-th value, then the values around the best of those).

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> e = np.zeros((1, 150))
    >>> for t in range(1, 150):
    ...     e[0, t] = 0.6 * e[0, t - 1] + rng.normal()
    >>> bool(abs(integrated_rho(e, np.empty((150, 0)), np.arange(20, 131))[0] - 0.6) < 0.15)
    True
    """
    if grid is not None:
        return grid[np.argmax(_integrated_loglik(rows, common, positions, grid), axis=0)]
    coarse = np.arange(0, len(RHO_GRID), COARSE)
    near = coarse[np.argmax(_integrated_loglik(rows, common, positions, RHO_GRID[coarse]),
                            axis=0)]
    rho = np.empty(len(rows))
    for centre in np.unique(near):
        chosen = near == centre
        fine = np.arange(max(centre - COARSE + 1, 0), min(centre + COARSE, len(RHO_GRID)))
        loglik = _integrated_loglik(rows[chosen], common, positions, RHO_GRID[fine])
        rho[chosen] = RHO_GRID[fine][np.argmax(loglik, axis=0)]
    return rho


def _integrated_loglik(rows: np.ndarray, common: np.ndarray, positions: np.ndarray,
                       grid: np.ndarray) -> np.ndarray:
    """``(len(grid), R)``: the restricted log-likelihood summed over the dates."""
    n = rows.shape[1]
    base = np.column_stack([np.ones(n), common])
    steps = (np.arange(n)[:, None] >= positions[None, :]).astype(float)
    loglik = np.empty((len(grid), len(rows)))
    for i, value in enumerate(grid):
        basis, tri = np.linalg.qr(ar1_whiten(base, float(value)))
        s = ar1_whiten(steps, float(value))
        s -= basis @ (basis.T @ s)
        y = ar1_whiten(rows.T, float(value)).T
        y -= (y @ basis) @ basis.T
        cross = np.einsum("nk,nk->k", s, s)
        rss = np.einsum("rn,rn->r", y, y)[:, None] - (y @ s) ** 2 / cross
        logdet = (2 * np.sum(np.log(np.maximum(np.abs(np.diag(tri)), 1e-300))) + np.log(cross)
                  + log_det_r(np.array([value]), np.ones(n - 1))[0])
        loglik[i] = logsumexp(-0.5 * ((n - base.shape[1] - 1)
                                      * np.log(np.maximum(rss, 1e-300)) + logdet), axis=1)
    return loglik


def _residuals(rows: np.ndarray, design: np.ndarray) -> np.ndarray:
    basis = np.linalg.qr(design)[0]
    return rows - (rows @ basis) @ basis.T


def _variance_at_best(rows: np.ndarray, designs: list[np.ndarray], best: np.ndarray,
                      lags: int | None) -> np.ndarray:
    """Each row's variance (``lags=None``) or Bartlett long-run variance from the
    residuals of its least-squares date."""
    variance = np.empty(len(rows))
    for i in np.unique(best):
        chosen = best == i
        resid = _residuals(rows[chosen], designs[i])
        variance[chosen] = _variance(resid, designs[i], lags)
    return variance


def _design(n: int, k: int, common: np.ndarray) -> np.ndarray:
    t = np.arange(n)
    return np.column_stack([t < k, t >= k, common]).astype(float)


def _variance(resid: np.ndarray, design: np.ndarray, lags: int | None) -> np.ndarray:
    if lags is None:
        return np.einsum("rn,rn->r", resid, resid) / (resid.shape[1] - design.shape[1])
    return bartlett_long_run_variance(resid, lags)


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
    # all eigenvalues by divide and conquer: for whitened designs the subset driver
    # (top eigenvalues only) took 1.4 s at n = 365 against 0.05 s
    values = np.clip(linalg.eigvalsh(matrix, driver="evd"), 0.0, None)
    if n <= TOP_EIGENVALUES:
        return values
    return np.r_[values[-TOP_EIGENVALUES:], values[:-TOP_EIGENVALUES].sum()]


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


def likelihood_ratio_set(values: np.ndarray, common: np.ndarray, size: int, rho: float,
                         alpha: float, draws: int = DRAWS, seed: int = SEED,
                         rho_sd: float = 0.0) -> tuple[np.ndarray, int]:
    """Boolean mask over positions ``0..n-1``: the inverted likelihood-ratio set of the
    break date, with critical values from a parametric bootstrap under the fitted model;
    and the date it is centred on (the least-squares date of the whitened data).

    Outcome and designs are whitened by the Prais-Winsten transform at ``rho`` (``0``:
    independent errors). For each admissible date ``k``, ``LR(k) = (SSR(k) - SSR_min) /
    s^2`` (whitened sums of squares, ``s^2 = SSR_min / (n - p)``) is compared with the
    ``1 - alpha`` quantile of the same statistic over ``draws`` series simulated with
    the break at ``k``, the shift estimated there and gaussian whitened errors (one set
    of draws for every ``k``, seeded by ``seed``: the set is reproducible); with
    ``rho_sd > 0`` the errors are AR(1) paths with coefficients drawn from
    ``N(rho, rho_sd^2)``, whitened at ``rho``, so that the critical values allow for the
    error of an estimated ``rho`` (:func:`rho_spread`). The
    statistic only depends on the shift in units of the noise, so every candidate's
    simulation is closed-form algebra on one ``(draws, dates)`` matrix.

    Parameters
    ----------
    values, common
        The outcome ``(n,)`` and the common (non-breaking) regressors ``(n, q)``.
    size
        Minimum observations per segment (candidate dates ``size .. n - size``).
    rho
        AR(1) coefficient of the errors (:func:`integrated_rho` for ``errors="hac"``).
    alpha
        One minus the confidence level.
    draws, seed
        Bootstrap series per candidate date and the seed of their errors.
    rho_sd
        Spread of the bootstrap errors' AR(1) coefficients around ``rho``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> values = np.r_[np.zeros(50), np.full(50, 1.5)] + rng.normal(0, 1, 100)
    >>> inside, date = likelihood_ratio_set(values, np.empty((100, 0)), 15, 0.0, 0.05)
    >>> bool(inside[50]), int(inside.sum()) < 30, bool(inside[date])
    (True, True, True)
    """
    n = len(values)
    positions = np.arange(size, n - size + 1)
    steps = ar1_whiten((np.arange(n)[:, None] >= positions[None, :]).astype(float), rho)
    basis = np.linalg.qr(ar1_whiten(np.column_stack([np.ones(n), common]), rho))[0]
    steps -= basis @ (basis.T @ steps)
    y = ar1_whiten(np.asarray(values, dtype=float)[:, None], rho)[:, 0]
    y -= basis @ (basis.T @ y)
    gram = steps.T @ steps
    norms = np.diag(gram).copy()
    cross = steps.T @ y
    ssr = y @ y - cross**2 / norms
    dof = n - basis.shape[1] - 1
    statistic = (ssr - ssr.min()) / (ssr.min() / dof)
    # the shift at each date in units of the whitened noise sd: all the statistic depends on
    ratio = cross / norms / np.sqrt(ssr / dof)
    noise = _bootstrap_noise(n, rho, draws, seed, rho_sd)
    noise -= (noise @ basis) @ basis.T
    total = np.einsum("bn,bn->b", noise, noise)
    inside = np.zeros(n, dtype=bool)
    inside[positions] = statistic <= _bootstrap_critical(ratio, gram, norms, noise @ steps,
                                                         total, dof, alpha)
    date = int(positions[np.argmin(ssr)])
    inside[date] = True  # its statistic is 0: always accepted
    return inside, date


def rho_spread(rho: float, n: int) -> float:
    """Sd of the AR(1) coefficients of the bootstrap errors with ``errors="hac"``:
    :data:`RHO_SD_FACTOR` times the asymptotic sd ``sqrt((1 - rho^2) / n)`` of the estimate.

    Examples
    --------
    >>> round(rho_spread(0.5, 120), 3)
    0.119
    """
    return RHO_SD_FACTOR * math.sqrt((1 - rho**2) / n)


def _bootstrap_noise(n: int, rho: float, draws: int, seed: int, rho_sd: float) -> np.ndarray:
    """``(draws, n)`` whitened bootstrap errors: gaussian white noise, or (``rho_sd > 0``)
    AR(1) paths whose coefficients are drawn from ``N(rho, rho_sd^2)``, whitened at ``rho``."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((draws, n))
    if rho_sd == 0:
        return noise
    coef = np.clip(rho + rho_sd * rng.standard_normal(draws), -0.98, 0.98)
    paths = np.empty_like(noise)
    paths[:, 0] = noise[:, 0] / np.sqrt(1 - coef**2)
    for t in range(1, n):
        paths[:, t] = coef * paths[:, t - 1] + noise[:, t]
    return ar1_whiten(paths.T, rho).T


def _bootstrap_critical(ratio: np.ndarray, gram: np.ndarray, norms: np.ndarray,
                        noise_cross: np.ndarray, noise_total: np.ndarray, dof: int,
                        alpha: float) -> np.ndarray:
    """``1 - alpha`` quantile of ``LR(k)`` for each date ``k`` under a break at ``k`` of
    ``ratio[k]`` noise sds: simulated ``y* = ratio_k s_k + e*`` gives ``s_j'y* =
    ratio_k G[k, j] + e*'s_j`` and ``y*'y* = ratio_k^2 G[k, k] + 2 ratio_k e*'s_k + e*'e*``."""
    critical = np.empty(len(ratio))
    scaled = noise_cross / np.sqrt(norms)  # e*'s_j / |s_j|: fits are squares of these
    for start in range(0, len(ratio), CHUNK):
        dates = np.arange(start, min(start + CHUNK, len(ratio)))
        r = ratio[dates][:, None]
        fits = (r * gram[dates] / np.sqrt(norms))[:, None, :] + scaled[None]
        np.square(fits, out=fits)
        best = fits.max(axis=2)
        own = fits[np.arange(len(dates)), :, dates]
        total = r**2 * norms[dates][:, None] + 2 * r * noise_cross[:, dates].T + noise_total
        critical[dates] = np.quantile((best - own) / ((total - best) / dof), 1 - alpha, axis=1)
    return critical
