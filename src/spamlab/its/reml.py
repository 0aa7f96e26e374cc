"""Regression with AR(1) errors by REML, Kackar-Harville variance and Satterthwaite df.

The model is ``y = X b + e`` with ``e`` a stationary AR(1) process observed at times
``t_1 < t_2 < ...`` (gaps allowed): ``Cov(e) = sigma2 R(rho)``, ``R_ij = rho^|t_i - t_j| /
(1 - rho^2)`` (``sigma2`` the innovation variance of one period).

Estimation
    ``rho`` maximizes the REML (restricted) likelihood, profiled over ``b`` and
    ``sigma2``: ``-2 l(rho) = (n - p) log RSS(rho) + log|X'R^-1 X| + log|R|`` (constants
    dropped), with ``RSS`` the GLS residual sum of squares. Each evaluation whitens
    ``y`` and ``X`` by the AR(1) innovations (``O(n p)``, exact for gaps): a grid over
    ``(-RHO_MAX, RHO_MAX)`` brackets the maximum, golden-section search refines it.
    REML removes most of the downward bias of maximum likelihood and residual-based
    estimates of ``rho`` for short series (the bias that makes Cochrane-Orcutt and
    Prais-Winsten intervals too narrow).
Inference
    ``Phi = sigma2 (X'R^-1 X)^-1`` treats ``rho`` as known. ``W`` is the inverse
    observed REML information of ``(sigma2, rho)`` (central differences of the
    restricted log-likelihood; the expected information where that is not positive
    definite; the observed one avoids the very wide intervals the expected one gives
    when ``rho`` is near 1 in short series). :func:`kackar_harville` (``errors="reml"``):
    variance ``c'Phi_KH c`` of a contrast ``c'b`` with ``Phi_KH = Phi + Phi (sum W_ij
    (Q_ij - P_i Phi P_j)) Phi`` (Kackar & Harville 1984: the variance added by estimating
    ``rho``) on the Satterthwaite df ``2 (c'Phi c)^2 / (g'Wg)``; where the adjusted
    variance is not positive (a nearly singular information at ``rho`` near +-1)
    ``c'Phi c`` is kept. On the Turner design (``benchmarks/turner.py``) it is at most 8%
    wider than REML-Satterthwaite and covers at least 93%; the comparison intervals of
    that benchmark (plain REML-Satterthwaite, Kenward-Roger) live in
    ``benchmarks/_smallsample.py``, not in the library.

All functions take one design ``x`` (``n, p``) and times shared by a stack of
outcomes ``y`` (``K, n``), so a Monte Carlo study solves its replicates together.
That is why this module stays beside :mod:`spamlab.its.armareml`, whose ``arma(1,0)`` is
the same estimator (same ``rho``, standard errors and df to about 1e-6): on a stack of
200 Turner-design series (n = 48 and 100) this module fits and tests all of them 14 to
34 times faster than a loop of :func:`~spamlab.its.armareml.fit_arma_reml` (measured
0.34 s against 11.6 s at n = 48), and :mod:`spamlab.its.breakset` whitens many
candidate break dates at once with :func:`whiten` and :func:`log_det_r`.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> e = np.zeros(200)
>>> for t in range(1, 200):
...     e[t] = 0.6 * e[t - 1] + rng.normal()
>>> x = np.c_[np.ones(200), np.arange(200.0)]
>>> fit = fit_reml(x, (x @ [1.0, 0.1] + e)[None])
>>> bool(abs(fit.rho[0] - 0.6) < 0.15)
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["GOLDEN_STEPS", "GRID", "RHO_MAX", "ContrastTest", "RemlFit", "adjusted_cov",
           "central_hessian", "fit_reml", "gls_at", "information", "innovations",
           "kackar_harville", "log_det_r", "reml_objective", "restricted_loglik", "whiten"]

_MOVED_TO_BENCHMARKS: tuple[str, ...] = ("kenward_roger", "satterthwaite")
"""Comparison intervals used only by ``benchmarks/turner*.py``, now in
``benchmarks/_smallsample.py``."""

RHO_MAX: float = 0.99
GRID: int = 99
GOLDEN_STEPS: int = 40


@dataclass(frozen=True)
class RemlFit:
    """REML fits of a stack of series on one design.

    Attributes
    ----------
    x, times
        The shared design ``(n, p)`` and observation times ``(n,)`` (periods).
    rho, sigma2
        REML AR(1) coefficient and innovation variance, ``(K,)``.
    params
        GLS coefficients ``(K, p)`` at ``rho``.
    unscaled
        ``(X'R^-1 X)^-1`` ``(K, p, p)``, so ``Phi = sigma2 * unscaled``.
    y
        The outcomes ``(K, n)``.
    """

    x: np.ndarray
    times: np.ndarray
    rho: np.ndarray
    sigma2: np.ndarray
    params: np.ndarray
    unscaled: np.ndarray
    y: np.ndarray

    @property
    def df_resid(self) -> int:
        """``n - p``."""
        return self.x.shape[0] - self.x.shape[1]


def fit_reml(x: np.ndarray, y: np.ndarray, times: np.ndarray | None = None) -> RemlFit:
    """REML estimates of ``rho``, ``sigma2`` and the GLS coefficients for each row of ``y``.

    Parameters
    ----------
    x
        Design ``(n, p)`` of full column rank.
    y
        Outcomes ``(K, n)``.
    times
        Observation times in periods (default ``0 .. n-1``); gaps make the AR(1)
        correlation between neighbours ``rho^gap``.
    """
    x = np.asarray(x, dtype=float)
    y = np.atleast_2d(np.asarray(y, dtype=float))
    times = np.arange(x.shape[0], dtype=float) if times is None else np.asarray(times, float)
    gaps = np.diff(times)
    return gls_at(x, y, times, _maximize(x, y, gaps))


def gls_at(x: np.ndarray, y: np.ndarray, times: np.ndarray, rho: np.ndarray) -> RemlFit:
    """GLS coefficients and ``sigma2 = RSS / (n - p)`` at given ``rho`` ``(K,)``."""
    gaps = np.diff(times)
    xw, yw = whiten(x, rho, gaps), whiten(y[:, :, None], rho, gaps)[:, :, 0]
    unscaled = np.linalg.inv(np.swapaxes(xw, 1, 2) @ xw)
    params = np.einsum("kij,knj,kn->ki", unscaled, xw, yw)
    resid = yw - np.einsum("knp,kp->kn", xw, params)
    sigma2 = np.sum(resid**2, axis=1) / (x.shape[0] - x.shape[1])
    return RemlFit(x, times, rho, sigma2, params, unscaled, y)


def reml_objective(x: np.ndarray, y: np.ndarray, rho: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """``-2`` times the profiled REML log-likelihood (constants dropped) at ``rho`` ``(K,)``."""
    n, p = x.shape
    rss, logdet = _gls_pieces(x, y, rho, gaps)
    return (n - p) * np.log(np.maximum(rss, 1e-300)) + logdet + log_det_r(rho, gaps)


def _gls_pieces(x: np.ndarray, y: np.ndarray, rho: np.ndarray, gaps: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """GLS residual sum of squares ``RSS(rho)`` and ``log|X'R^-1 X|`` per series."""
    xw = whiten(x, rho, gaps)
    yw = whiten(y[:, :, None], rho, gaps)[:, :, 0]
    gram = np.swapaxes(xw, 1, 2) @ xw
    _, logdet = np.linalg.slogdet(gram)
    coef = np.linalg.solve(gram, np.einsum("knp,kn->kp", xw, yw)[:, :, None])[:, :, 0]
    return np.sum((yw - np.einsum("knp,kp->kn", xw, coef)) ** 2, axis=1), logdet


def log_det_r(rho: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """``log|R|`` of the AR(1) correlation at the observed times (unit innovations).

    Parameters
    ----------
    rho : numpy.ndarray
        ``(K,)`` autocorrelations, one per series.
    gaps : numpy.ndarray
        ``(n - 1,)`` periods between consecutive observed times.

    Returns
    -------
    numpy.ndarray
        ``(K,)`` log-determinants.

    Examples
    --------
    >>> log_det_r(np.array([0.0, 0.5]), np.ones(3)).round(4).tolist()  # -log(1 - 0.5^2)
    [0.0, 0.2877]
    """
    one = 1 - rho**2
    return -np.log(one) + np.sum(np.log((1 - rho[:, None] ** (2 * gaps)) / one[:, None]), axis=1)


def whiten(z: np.ndarray, rho: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """AR(1) innovations ``P z`` (``z`` ``(n, m)`` shared or ``(K, n, m)``), ``P'P = R^-1``.

    ``w_1 = sqrt(1 - rho^2) z_1``; ``w_i = (z_i - rho^d z_(i-1)) sqrt((1 - rho^2) /
    (1 - rho^(2d)))`` for a gap of ``d`` periods.

    Parameters
    ----------
    z : numpy.ndarray
        ``(n, m)`` columns shared by every series, or ``(K, n, m)``.
    rho : numpy.ndarray
        ``(K,)`` autocorrelations.
    gaps : numpy.ndarray
        ``(n - 1,)`` periods between consecutive observed times.

    Returns
    -------
    numpy.ndarray
        ``(K, n, m)`` whitened columns.
    """
    z = np.broadcast_to(z, (len(rho), *z.shape[-2:]))
    r = rho[:, None, None]
    lagged = r ** gaps[None, :, None]
    scale = np.sqrt((1 - r**2) / (1 - lagged**2))
    out = np.empty_like(z)
    out[:, :1] = np.sqrt(1 - r**2) * z[:, :1]
    out[:, 1:] = (z[:, 1:] - lagged * z[:, :-1]) * scale
    return out


def _maximize(x: np.ndarray, y: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """Grid bracket then golden-section search of :func:`reml_objective` per series."""
    k = y.shape[0]
    grid = np.linspace(-RHO_MAX, RHO_MAX, GRID)
    values = np.stack([reml_objective(x, y, np.full(k, g), gaps) for g in grid], axis=1)
    best = np.argmin(values, axis=1)
    low = grid[np.maximum(best - 1, 0)]
    high = grid[np.minimum(best + 1, GRID - 1)]
    ratio = (np.sqrt(5) - 1) / 2
    a, b = low + (1 - ratio) * (high - low), low + ratio * (high - low)
    fa, fb = reml_objective(x, y, a, gaps), reml_objective(x, y, b, gaps)
    for _ in range(GOLDEN_STEPS):
        left = fa < fb
        high = np.where(left, b, high)
        low = np.where(left, low, a)
        a_new = np.where(left, low + (1 - ratio) * (high - low), b)
        b_new = np.where(left, a, low + ratio * (high - low))
        a, b = a_new, b_new
        moved = np.where(left, a, b)
        f_moved = reml_objective(x, y, moved, gaps)
        fa, fb = np.where(left, f_moved, fb), np.where(left, fa, f_moved)
    return (low + high) / 2


@dataclass(frozen=True)
class ContrastTest:
    """Inference for one contrast per series.

    Attributes
    ----------
    estimate
        ``c'b`` ``(K,)``.
    std_err
        Standard error used with the t quantile (Kackar-Harville: ``sqrt(c'Phi_KH c)``).
    df
        t degrees of freedom.
    """

    estimate: np.ndarray
    std_err: np.ndarray
    df: np.ndarray


def innovations(fit: RemlFit, y: np.ndarray) -> np.ndarray:
    """AR(1) innovations of the GLS residuals ``(K, n)``, in the outcome's units (white
    noise of variance ``sigma2`` under the model), for residual diagnostics: left
    unstandardized so that an exact fit shows as rounding noise, not as data."""
    resid = np.atleast_2d(y) - fit.params @ fit.x.T
    return whiten(resid[:, :, None], fit.rho, np.diff(fit.times))[:, :, 0]


def adjusted_cov(fit: RemlFit, pieces: dict | None = None) -> np.ndarray:
    """The covariance of ``b`` carrying the uncertainty of ``(sigma2, rho)``, ``(K, p, p)``:
    ``Phi + Phi (sum_ij W_ij (Q_ij - P_i Phi P_j)) Phi`` (Kackar & Harville 1984, the
    variance added by estimating ``rho``; a positive semi-definite addition)."""
    pieces = information(fit) if pieces is None else pieces
    phi = fit.sigma2[:, None, None] * fit.unscaled
    total = np.zeros_like(phi)
    for i in range(2):
        for j in range(2):
            term = pieces["q"][i][j] - pieces["p"][i] @ phi @ pieces["p"][j]
            total += pieces["w"][:, i, j, None, None] * term
    return phi + phi @ total @ phi


def kackar_harville(fit: RemlFit, contrast: np.ndarray, pieces: dict | None = None
                    ) -> ContrastTest:
    """``errors="reml"``: ``sqrt(c'Phi_KH c)`` (:func:`adjusted_cov`, Kackar-Harville) on
    the Satterthwaite df ``2 (c'Phi c)^2 / (g'Wg)`` (plain REML-Satterthwaite's df).

    On the Turner et al. (2021) design it is the narrowest of the REML intervals that
    keeps 93% coverage (``benchmarks/turner.py``): Kenward-Roger's bias term widens
    the level change's interval by up to a fifth at n = 24 and *narrows* the slope
    change's (90% coverage at n = 24, rho = 0.8).
    """
    pieces = information(fit) if pieces is None else pieces
    c = np.asarray(contrast, dtype=float)
    plain = _satterthwaite(fit, c, pieces)
    var_a = np.einsum("i,kij,j->k", c, adjusted_cov(fit, pieces), c)
    var_a = np.where(np.isfinite(var_a) & (var_a > 0), var_a, plain.std_err**2)
    return ContrastTest(plain.estimate, np.sqrt(var_a), plain.df)


def _satterthwaite(fit: RemlFit, c: np.ndarray, pieces: dict) -> ContrastTest:
    """Plain REML-Satterthwaite ``sqrt(c'Phi c)`` on ``2 (c'Phi c)^2 / (g'Wg)`` df."""
    phi = fit.sigma2[:, None, None] * fit.unscaled
    var = np.einsum("i,kij,j->k", c, phi, c)
    grad = -np.stack([np.einsum("i,kij,j->k", c, phi @ p @ phi, c) for p in pieces["p"]], axis=1)
    spread = np.einsum("ki,kij,kj->k", grad, pieces["w"], grad)
    return ContrastTest(fit.params @ c, np.sqrt(var), 2 * var**2 / spread)


def information(fit: RemlFit) -> dict:
    """``P_i``, ``Q_ij`` of Kenward & Roger and ``W``, the inverse observed REML information
    of ``(sigma2, rho)`` (the expected one where that is not positive definite), from dense
    ``n x n`` AR(1) matrices."""
    x, rho, s2 = fit.x, fit.rho, fit.sigma2
    d = np.abs(np.subtract.outer(fit.times, fit.times))
    r = rho[:, None, None]
    one = 1 - r**2
    power = r ** d
    safe = np.where(d >= 1, d - 1, 0)
    cov = power / one
    d_cov = (np.where(d >= 1, d * r**safe, 0.0) / one + 2 * r * power / one**2)
    inv = np.linalg.inv(cov)
    xi = inv @ x  # R^-1 X
    xit = np.swapaxes(xi, 1, 2)
    g = fit.unscaled
    sig = s2[:, None, None]
    dx = d_cov @ xi  # dR R^-1 X
    a1 = xit @ dx  # X'R^-1 dR R^-1 X
    gram = xit @ x  # X'R^-1 X
    p_mats = [-gram / sig**2, -a1 / sig]
    a_dd = np.swapaxes(dx, 1, 2) @ inv @ dx
    q_mats = [[gram / sig**3, a1 / sig**2], [a1 / sig**2, a_dd / sig]]
    md = inv @ d_cov - xi @ g @ np.swapaxes(dx, 1, 2)  # M dR, M = R^-1 - R^-1 X G X'R^-1
    n, p = x.shape
    info = np.empty((len(rho), 2, 2))
    info[:, 0, 0] = (n - p) / (2 * s2**2)
    # tr(M R M dR) = tr(M dR) since M R M = M
    info[:, 0, 1] = info[:, 1, 0] = 0.5 * np.trace(md, axis1=1, axis2=2) / s2
    info[:, 1, 1] = 0.5 * np.einsum("kij,kji->k", md, md)
    return {"p": p_mats, "q": q_mats, "w": _observed_w(fit, np.linalg.inv(info))}


def restricted_loglik(fit: RemlFit, sigma2: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """REML log-likelihood (constants dropped) at ``(sigma2, rho)`` per series:
    ``-((n - p) log sigma2 + log|R| + log|X'R^-1 X| + RSS(rho) / sigma2) / 2``."""
    n, p = fit.x.shape
    gaps = np.diff(fit.times)
    rss, logdet = _gls_pieces(fit.x, fit.y, rho, gaps)
    return -0.5 * ((n - p) * np.log(sigma2) + log_det_r(rho, gaps) + logdet + rss / sigma2)


def _observed_w(fit: RemlFit, expected: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Inverse observed REML information of ``(sigma2, rho)`` (central differences of
    :func:`restricted_loglik`); the inverse expected information where it is not
    positive definite (``rho`` on the boundary of the search)."""
    theta = np.stack([fit.sigma2, np.clip(fit.rho, -RHO_MAX, RHO_MAX)], axis=1)
    steps = np.array([step, step]) * np.stack([fit.sigma2, np.ones_like(fit.rho)], axis=1)
    information = -central_hessian(lambda t: restricted_loglik(fit, t[:, 0], t[:, 1]),
                                   theta, steps)
    definite = (information[:, 0, 0] > 0) & (np.linalg.det(information) > 0)
    safe = np.where(definite[:, None, None], information, np.eye(2))
    return np.where(definite[:, None, None], np.linalg.inv(safe), expected)


def central_hessian(function: Callable[[np.ndarray], np.ndarray], point: np.ndarray,
                    steps: np.ndarray) -> np.ndarray:
    """Hessians ``(K, m, m)`` of ``function`` at the rows of ``point`` ``(K, m)`` by central
    differences with ``steps`` ``(K, m)``; ``function`` maps ``(K, m)`` points to ``(K,)``.

    Examples
    --------
    >>> h = central_hessian(lambda t: t[:, 0] ** 2 * t[:, 1], np.array([[1.0, 2.0]]),
    ...                     np.full((1, 2), 1e-4))
    >>> np.round(h, 6).tolist()
    [[[4.0, 2.0], [2.0, 0.0]]]
    """
    k, m = point.shape
    hessian = np.empty((k, m, m))
    for i in range(m):
        for j in range(i, m):
            total = np.zeros(k)
            for si, sj, sign in ((1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1)):
                moved = point.copy()
                moved[:, i] += si * steps[:, i]
                moved[:, j] += sj * steps[:, j]
                total += sign * function(moved)
            hessian[:, i, j] = hessian[:, j, i] = total / (4 * steps[:, i] * steps[:, j])
    return hessian


def __getattr__(name: str) -> Any:
    """A clear error for the comparison intervals that moved to ``benchmarks/_smallsample.py``."""
    if name in _MOVED_TO_BENCHMARKS:
        raise AttributeError(f"spamlab.its.reml.{name} moved out of the library (only the "
                             "benchmarks used it): import it from benchmarks/_smallsample.py")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
