"""Regression with ARMA(p, q) errors by REML, Kackar-Harville variance and Satterthwaite df.

The generalization of :mod:`spamlab.its.reml` (AR(1)) to any stationary, invertible
ARMA(p, q) error process, ``errors="arma(p,q)"``. The model is ``y = X b + e`` with
``Cov(e) = sigma2 R(theta)`` at the observed times ``t_1 < t_2 < ...`` (gaps allowed):
``R_ij = gamma(|t_i - t_j|)``, ``gamma`` the autocovariances of the ARMA process with
coefficients ``theta`` (AR then MA, statsmodels SARIMAX signs: ``e_t = sum ar_i e_(t-i) +
w_t + sum ma_j w_(t-j)``) and unit innovation variance.

Estimation
    ``theta`` maximizes the REML likelihood profiled over ``b`` and ``sigma2``:
    ``-2 l(theta) = (n - k) log RSS(theta) + log|X'R^-1 X| + log|R|`` (constants
    dropped). The search runs over the partial autocorrelations of the AR
    polynomial and of the MA polynomial (each in ``[-PACF_MAX, PACF_MAX]``, which keeps the
    process stationary and invertible; for AR(1) the bound is :data:`reml.RHO_MAX`): a grid
    of starting points, then L-BFGS-B from the best :data:`STARTS` of them (skipping a
    start within :data:`SEPARATION` of one already searched or of its optimum). Each
    evaluation whitens ``[X, y]`` by the innovations algorithm (``O(n)``); with gaps on
    the full grid of periods, with one indicator column per missing period, which gives
    the REML likelihood of the observed rows exactly (:func:`_whitened_design`; the dense
    Cholesky factor of ``R`` where the missing periods outnumber the observed ones).
Inference
    As :func:`reml.kackar_harville`: ``Phi = sigma2 (X'R^-1 X)^-1``; ``W`` the inverse
    observed REML information of ``(sigma2, theta)`` (central differences; the inverse
    expected information where that is not positive definite); the variance of a
    contrast ``c'b`` is ``c'Phi_KH c`` with ``Phi_KH = Phi + Phi (sum_ij W_ij (Q_ij - P_i
    Phi P_j)) Phi`` (Kackar & Harville 1984), on the Satterthwaite df ``2 (c'Phi c)^2 /
    (g'Wg)`` (``g`` the gradient of ``c'Phi c`` in ``(sigma2, theta)``). The derivatives of
    ``R`` in ``theta`` are central differences of the autocovariances. For AR(1) this is
    the estimator of ``errors="reml"`` (``tests/its/test_armareml.py`` checks that).

The inference uses dense ``n x n`` matrices: :data:`DENSE_MAX` observed rows at most
(``errors="arma(p,q)"`` falls back to exact ML beyond).

Examples
--------
>>> import numpy as np
>>> from statsmodels.tsa.arima_process import arma_generate_sample
>>> rng = np.random.default_rng(0)
>>> noise = arma_generate_sample([1, -0.5], [1, 0.4], 300, burnin=200, distrvs=rng.normal)
>>> x = np.c_[np.ones(300), np.arange(300) >= 150]
>>> fit = fit_arma_reml(x, x @ [2.0, -1.0] + noise, order=(1, 1))
>>> [bool(abs(a - b) < 0.2) for a, b in zip(fit.coef, [0.5, 0.4])]
[True, True]
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize
from statsmodels.tsa.arima_process import arma_acovf
from statsmodels.tsa.innovations.arma_innovations import arma_innovations

from spamlab.its.reml import RHO_MAX, ContrastTest, central_hessian

__all__ = ["DENSE_MAX", "DERIVATIVE_STEP", "GRID_POINTS", "PACF_MAX", "SEPARATION", "STARTS",
           "STEP", "ArmaRemlFit", "adjusted_cov", "autocovariances", "correlation",
           "fit_arma_reml", "from_pacf", "information", "innovations", "kackar_harville",
           "reml_objective", "restricted_loglik", "to_pacf", "whiten"]

PACF_MAX: float = RHO_MAX
DENSE_MAX: int = 1500
STARTS: int = 2
SEPARATION: float = 0.2
GRID_POINTS: int = 25
STEP: float = 1e-4
DERIVATIVE_STEP: float = 1e-6


@dataclass(frozen=True)
class ArmaRemlFit:
    """The REML fit of one series.

    Attributes
    ----------
    x, y, times
        Design ``(n, k)``, outcome ``(n,)`` and observation times ``(n,)`` (periods).
    order
        ``(p, q)``.
    coef
        ARMA coefficients ``(p + q,)``: AR then MA (SARIMAX signs).
    sigma2
        Innovation variance ``RSS / (n - k)``.
    params, unscaled
        GLS coefficients ``(k,)`` and ``(X'R^-1 X)^-1`` ``(k, k)``.
    converged
        Whether the optimizer reported convergence.
    """

    x: np.ndarray
    y: np.ndarray
    times: np.ndarray
    order: tuple[int, int]
    coef: np.ndarray
    sigma2: float
    params: np.ndarray
    unscaled: np.ndarray
    converged: bool

    @property
    def df_resid(self) -> int:
        """``n - k``."""
        return self.x.shape[0] - self.x.shape[1]

    @property
    def ar(self) -> tuple[float, ...]:
        """AR coefficients."""
        return tuple(float(v) for v in self.coef[:self.order[0]])

    @property
    def ma(self) -> tuple[float, ...]:
        """MA coefficients."""
        return tuple(float(v) for v in self.coef[self.order[0]:])


def autocovariances(coef: np.ndarray, order: tuple[int, int], lags: int) -> np.ndarray:
    """Autocovariances at lags ``0 .. lags - 1`` with unit innovation variance.

    Examples
    --------
    >>> autocovariances(np.array([0.5]), (1, 0), 3).round(4).tolist()
    [1.3333, 0.6667, 0.3333]
    """
    p = order[0]
    ar = np.r_[1.0, -np.asarray(coef[:p], dtype=float)]
    ma = np.r_[1.0, np.asarray(coef[p:], dtype=float)]
    return np.asarray(arma_acovf(ar, ma, nobs=max(lags, 1), sigma2=1.0), dtype=float)


def correlation(coef: np.ndarray, order: tuple[int, int], times: np.ndarray) -> np.ndarray:
    """``R(theta)``: the ``n x n`` error covariance at ``times`` (unit innovation variance)."""
    steps = np.rint(np.abs(np.subtract.outer(times, times))).astype(int)
    return autocovariances(coef, order, int(steps.max()) + 1)[steps]


def from_pacf(pacf: np.ndarray, order: tuple[int, int]) -> np.ndarray:
    """ARMA coefficients from the partial autocorrelations of the AR and MA polynomials
    (Durbin-Levinson; ``|pacf| < 1`` gives a stationary, invertible process).

    Examples
    --------
    >>> from_pacf(np.array([0.5, 0.2, -0.3]), (2, 1)).round(3).tolist()
    [0.4, 0.2, 0.3]
    """
    p = order[0]
    return np.r_[_levinson(pacf[:p]), -_levinson(pacf[p:])]


def to_pacf(coef: np.ndarray, order: tuple[int, int]) -> np.ndarray:
    """Inverse of :func:`from_pacf` (NaN where the polynomial is not stationary/invertible)."""
    p = order[0]
    return np.r_[_inverse_levinson(coef[:p]), _inverse_levinson(-np.asarray(coef[p:]))]


def _levinson(pacf: np.ndarray) -> np.ndarray:
    phi = np.zeros(0)
    for r in pacf:
        phi = np.r_[phi - r * phi[::-1], r]
    return phi


def _inverse_levinson(phi: np.ndarray) -> np.ndarray:
    phi = np.asarray(phi, dtype=float)
    out = np.empty(len(phi))
    for k in range(len(phi) - 1, -1, -1):
        r = phi[k]
        out[k] = r if abs(r) < 1 else np.nan
        phi = (phi[:k] + r * phi[:k][::-1]) / (1 - r**2) if abs(r) < 1 else np.full(k, np.nan)
    return out


@dataclass(frozen=True)
class _Gls:
    """GLS pieces at one ``theta``: ``RSS``, coefficients, ``(X'R^-1 X)^-1`` and the log
    determinants of ``X'R^-1 X`` and ``R``."""

    rss: float
    params: np.ndarray
    unscaled: np.ndarray
    logdet_gram: float
    logdet_r: float


def whiten(coef: np.ndarray, order: tuple[int, int], times: np.ndarray, z: np.ndarray
           ) -> tuple[np.ndarray, float]:
    """``L^-1 z`` and ``log|R|`` (``R = L L'`` the Cholesky factorization at ``times``).

    Without gaps the innovations algorithm (statsmodels ``arma_innovations``, ``O(n)``)
    gives the one-step prediction errors divided by their standard deviations, which is
    ``L^-1 z``; with gaps the dense Cholesky factor does.
    """
    if np.all(np.diff(times) == 1):
        return _innovations(coef, order, np.asarray(z, dtype=float))
    chol = np.linalg.cholesky(correlation(coef, order, times))
    return np.linalg.solve(chol, z), 2 * float(np.sum(np.log(np.diag(chol))))


def _innovations(coef: np.ndarray, order: tuple[int, int], z: np.ndarray
                 ) -> tuple[np.ndarray, float]:
    """``L^-1 z`` and ``log|R|`` for consecutive periods, by the innovations algorithm."""
    u, v = arma_innovations(z, coef[:order[0]], coef[order[0]:])
    v = np.asarray(v, dtype=float)
    if not np.all(v > 0):
        raise np.linalg.LinAlgError("the ARMA innovations have no positive variance")
    return u / np.sqrt(v).reshape(-1, *([1] * (z.ndim - 1))), float(np.sum(np.log(v)))


def _whitened_design(coef: np.ndarray, order: tuple[int, int], times: np.ndarray,
                     z: np.ndarray) -> tuple[np.ndarray, int, float]:
    """Whitened ``[E, z]`` (``z`` = ``[X, y]``), the number ``m`` of columns of ``E`` and the
    log determinant of the correlation of the rows used.

    With gaps the series is put on the full grid of periods, the ``m`` missing periods
    filled with 0 and given one indicator column each (``E``), and whitened by the
    innovations algorithm: the GLS fit with those columns is the GLS fit of the observed
    rows, and the REML pieces of the observed rows follow from it (:func:`_gls`). Where
    the gaps outnumber the observed rows the dense Cholesky factor is cheaper (``m = 0``).
    """
    steps = np.rint(times - times[0]).astype(int)
    total = int(steps[-1]) + 1
    m = total - len(times)
    if m > len(times):
        white, logdet = whiten(coef, order, times, z)
        return white, 0, logdet
    full = np.zeros((total, m + z.shape[1]))
    full[steps, m:] = z
    full[np.setdiff1d(np.arange(total), steps), np.arange(m)] = 1.0
    white, logdet = _innovations(coef, order, full)
    return white, m, logdet


def _gls(x: np.ndarray, y: np.ndarray, coef: np.ndarray, order: tuple[int, int],
         times: np.ndarray) -> _Gls:
    """GLS of the observed rows via :func:`_whitened_design`: with ``E`` first in the QR
    factorization of ``[E, X]``, the trailing ``k x k`` block of the triangular factor is
    that of ``X'R_obs^-1 X``, and ``log|R_obs| = log|R_full| + log|E'R_full^-1 E|``."""
    white, m, logdet_r = _whitened_design(coef, order, times, np.c_[x, y])
    q, upper = np.linalg.qr(white[:, :-1])
    projected = q.T @ white[:, -1]
    inv_upper = np.linalg.inv(upper[m:, m:])
    log_diag = np.log(np.abs(np.diag(upper)))
    resid = white[:, -1] - q @ projected
    return _Gls(float(resid @ resid), inv_upper @ projected[m:], inv_upper @ inv_upper.T,
                2 * float(np.sum(log_diag[m:])), logdet_r + 2 * float(np.sum(log_diag[:m])))


def reml_objective(x: np.ndarray, y: np.ndarray, times: np.ndarray, coef: np.ndarray,
                   order: tuple[int, int]) -> float:
    """``-2`` times the profiled REML log-likelihood (constants dropped) at ``coef``:
    ``(n - k) log RSS + log|X'R^-1 X| + log|R|``; ``inf`` where ``R`` is not usable."""
    try:
        g = _gls(x, y, coef, order, times)
    except (ValueError, np.linalg.LinAlgError):
        return np.inf
    n, k = x.shape
    return (n - k) * np.log(max(g.rss, 1e-300)) + g.logdet_gram + g.logdet_r


def _starts(m: int) -> np.ndarray:
    """Starting partial autocorrelations: a grid with about :data:`GRID_POINTS` points and
    at least 3 levels per coordinate (uniform random points where that grid would exceed
    ``4 * GRID_POINTS``), and the origin."""
    if m == 0:
        return np.zeros((1, 0))
    levels = max(3, round(GRID_POINTS ** (1 / m)))
    if levels**m <= 4 * GRID_POINTS:
        grid = np.array(list(itertools.product(np.linspace(-0.9, 0.9, levels), repeat=m)))
    else:
        grid = np.random.default_rng(0).uniform(-0.9, 0.9, (GRID_POINTS, m))
    return np.r_[np.zeros((1, m)), grid]


def fit_arma_reml(x: np.ndarray, y: np.ndarray, times: np.ndarray | None = None,
                  order: tuple[int, int] = (1, 0)) -> ArmaRemlFit:
    """REML estimates of the ARMA coefficients, ``sigma2`` and the GLS coefficients.

    Parameters
    ----------
    x
        Design ``(n, k)`` of full column rank, ``n <= DENSE_MAX``.
    y
        Outcome ``(n,)``.
    times
        Observation times in periods (default ``0 .. n-1``).
    order
        ``(p, q)``.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    times = np.arange(len(y), dtype=float) if times is None else np.asarray(times, dtype=float)

    def objective(pacf: np.ndarray) -> float:
        return reml_objective(x, y, times, from_pacf(pacf, order), order)

    starts = _starts(sum(order))
    values = np.array([objective(s) for s in starts])
    best: optimize.OptimizeResult | None = None
    visited: list[np.ndarray] = []
    for start in starts[np.argsort(values)[:STARTS]] if sum(order) else []:
        if any(np.max(np.abs(start - v)) < SEPARATION for v in visited):
            continue  # the same basin as a search already run
        found = optimize.minimize(objective, start, method="L-BFGS-B",
                                  bounds=[(-PACF_MAX, PACF_MAX)] * sum(order),
                                  options={"ftol": 1e-12, "gtol": 1e-8})
        visited += [start, found.x]
        if best is None or found.fun < best.fun:
            best = found
    pacf = starts[0] if best is None else best.x
    coef = from_pacf(pacf, order)
    g = _gls(x, y, coef, order, times)
    return ArmaRemlFit(x, y, times, order, coef, g.rss / (x.shape[0] - x.shape[1]), g.params,
                       g.unscaled, True if best is None else bool(best.success))


def restricted_loglik(fit: ArmaRemlFit, sigma2: float, coef: np.ndarray) -> float:
    """REML log-likelihood (constants dropped) at ``(sigma2, coef)``:
    ``-((n - k) log sigma2 + log|R| + log|X'R^-1 X| + RSS / sigma2) / 2``."""
    n, k = fit.x.shape
    g = _gls(fit.x, fit.y, coef, fit.order, fit.times)
    return -0.5 * ((n - k) * np.log(sigma2) + g.logdet_r + g.logdet_gram + g.rss / sigma2)


def _derivatives(fit: ArmaRemlFit) -> list[np.ndarray]:
    """``dR / dtheta_i`` (central differences of the autocovariances)."""
    steps = np.rint(np.abs(np.subtract.outer(fit.times, fit.times))).astype(int)
    lags = int(steps.max()) + 1
    out = []
    for e in np.eye(len(fit.coef)):
        h = DERIVATIVE_STEP * e
        diff = (autocovariances(fit.coef + h, fit.order, lags)
                - autocovariances(fit.coef - h, fit.order, lags))
        out.append(diff[steps] / (2 * DERIVATIVE_STEP))
    return out


def information(fit: ArmaRemlFit) -> dict:
    """Kenward-Roger's ``P_i`` and ``Q_ij`` and ``W``, the inverse observed REML information
    of ``(sigma2, theta)`` (the inverse expected information where the observed one is not
    positive definite), as :func:`reml.information` for AR(1)."""
    x, s2, m = fit.x, fit.sigma2, len(fit.coef)
    r = correlation(fit.coef, fit.order, fit.times)
    derivatives = _derivatives(fit)
    xi = np.linalg.solve(r, x)  # R^-1 X
    gram = x.T @ xi
    dx = [d @ xi for d in derivatives]  # dR_i R^-1 X
    solved = np.split(np.linalg.solve(r, np.hstack(dx)), m, axis=1) if m else []
    a1 = [xi.T @ d for d in dx]
    p_mats = [-gram / s2**2] + [-a / s2 for a in a1]
    q_mats = [[gram / s2**3] + [a / s2**2 for a in a1]]
    q_mats += [[a1[i] / s2**2] + [dx[i].T @ solved[j] / s2 for j in range(m)]
               for i in range(m)]
    return {"p": p_mats, "q": q_mats,
            "w": _observed_w(fit, lambda: _expected(fit, r, derivatives, xi, dx))}


def _expected(fit: ArmaRemlFit, r: np.ndarray, derivatives: list[np.ndarray], xi: np.ndarray,
              dx: list[np.ndarray]) -> np.ndarray:
    """Expected REML information of ``(sigma2, theta)``: ``tr(M dR_i M dR_j) / 2`` etc.,
    ``M = R^-1 - R^-1 X (X'R^-1 X)^-1 X'R^-1``."""
    md = [np.linalg.solve(r, d) - xi @ fit.unscaled @ dxi.T for d, dxi in zip(derivatives, dx)]
    m = len(md) + 1
    expected = np.empty((m, m))
    expected[0, 0] = fit.df_resid / (2 * fit.sigma2**2)
    for i in range(1, m):
        expected[0, i] = expected[i, 0] = 0.5 * np.trace(md[i - 1]) / fit.sigma2
        for j in range(1, m):
            expected[i, j] = 0.5 * np.einsum("ij,ji->", md[i - 1], md[j - 1])
    return expected


def _observed_w(fit: ArmaRemlFit, expected: Callable[[], np.ndarray]) -> np.ndarray:
    """Inverse observed REML information of ``(sigma2, theta)`` by central differences of
    :func:`restricted_loglik` (steps ``STEP * sigma2`` and ``STEP``); the inverse expected
    information where the observed one is not positive definite (or a step leaves the
    stationary region)."""
    point = np.r_[fit.sigma2, fit.coef][None]
    steps = STEP * np.r_[fit.sigma2, np.ones(len(fit.coef))][None]
    try:
        hessian = central_hessian(
            lambda t: np.array([restricted_loglik(fit, row[0], row[1:]) for row in t]),
            point, steps)[0]
        return _inverse_definite(-hessian)
    except (ValueError, np.linalg.LinAlgError):
        return np.linalg.pinv(expected())


def _inverse_definite(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite matrix; ``LinAlgError`` otherwise."""
    np.linalg.cholesky(matrix)  # raises LinAlgError unless positive definite
    return np.linalg.inv(matrix)


def adjusted_cov(fit: ArmaRemlFit, pieces: dict | None = None) -> np.ndarray:
    """Kackar-Harville covariance ``Phi + Phi (sum_ij W_ij (Q_ij - P_i Phi P_j)) Phi``."""
    pieces = information(fit) if pieces is None else pieces
    phi = fit.sigma2 * fit.unscaled
    total = np.zeros_like(phi)
    m = len(pieces["p"])
    for i in range(m):
        for j in range(m):
            term = pieces["q"][i][j] - pieces["p"][i] @ phi @ pieces["p"][j]
            total += pieces["w"][i, j] * term
    return phi + phi @ total @ phi


def kackar_harville(fit: ArmaRemlFit, contrast: np.ndarray, pieces: dict | None = None
                    ) -> ContrastTest:
    """``sqrt(c'Phi_KH c)`` (``c'Phi c`` where that is not positive) on the Satterthwaite df
    ``2 (c'Phi c)^2 / (g'Wg)``, ``g_i = -c'Phi P_i Phi c`` (as :func:`reml.kackar_harville`).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> x = np.c_[np.ones(60), np.arange(60.0) >= 30]
    >>> fit = fit_arma_reml(x, rng.normal(size=60), order=(1, 1))
    >>> test = kackar_harville(fit, np.array([0.0, 1.0]))
    >>> bool(test.std_err[0] > 0 and test.df[0] > 1)
    True
    """
    pieces = information(fit) if pieces is None else pieces
    c = np.asarray(contrast, dtype=float)
    phi = fit.sigma2 * fit.unscaled
    var = float(c @ phi @ c)
    grad = np.array([-(c @ phi @ p @ phi @ c) for p in pieces["p"]])
    spread = float(grad @ pieces["w"] @ grad)
    df = 2 * var**2 / spread if spread > 0 else np.inf
    var_a = float(c @ adjusted_cov(fit, pieces) @ c)
    var_a = var_a if np.isfinite(var_a) and var_a > 0 else var
    return ContrastTest(np.array([fit.params @ c]), np.array([np.sqrt(var_a)]), np.array([df]))


def innovations(fit: ArmaRemlFit) -> np.ndarray:
    """Innovations ``L^-1 (y - X b)`` (``R = L L'``): the one-step prediction errors of the
    GLS residuals in the outcome's units, white noise of variance ``sigma2`` under the
    model (unstandardized, so that an exact fit shows as rounding noise)."""
    white, _ = whiten(fit.coef, fit.order, fit.times, fit.y - fit.x @ fit.params)
    return white
