"""Dense reference for regression with ARMA(1,1) errors by REML, written independently of
spamlab.its.armareml: autocovariances from the truncated MA(infinity) weights (not
statsmodels), ``n x n`` matrices throughout (no innovations algorithm, no partial
autocorrelations), a brute-force grid search refined by Nelder-Mead, and the Kackar-Harville
variance and Satterthwaite df written out from their definitions.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize


def arma11_acov(phi: float, theta: float, sigma2: float, n: int, terms: int = 4000) -> np.ndarray:
    """ARMA(1,1) autocovariances from the truncated MA(infinity) weights (psi_0 = 1,
    psi_j = (phi + theta) phi^(j-1)), independent of statsmodels' arma_acovf."""
    psi = np.r_[1.0, (phi + theta) * phi ** np.arange(terms - 1)]
    return sigma2 * np.array([psi[: terms - h] @ psi[h:] for h in range(n)])


def dense_r(params: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Correlation (unit innovation variance) at ``times``; ``params`` = (phi,) or (phi, theta)."""
    lags = np.abs(np.subtract.outer(times, times)).astype(int)
    phi, theta = params[0], (params[1] if len(params) > 1 else 0.0)
    return arma11_acov(phi, theta, 1.0, int(lags.max()) + 1)[lags]


def neg2_reml(params: np.ndarray, x: np.ndarray, y: np.ndarray, times: np.ndarray) -> float:
    """``(n - k) log RSS + log|X'R^-1 X| + log|R|`` with dense solves."""
    if np.any(np.abs(params) >= 0.99):
        return np.inf
    r = dense_r(params, times)
    solved = np.linalg.solve(r, np.c_[x, y])
    gram = x.T @ solved[:, :-1]
    b = np.linalg.solve(gram, x.T @ solved[:, -1])
    rss = y @ solved[:, -1] - b @ gram @ b  # y'R^-1 y - b'X'R^-1 X b at the GLS b
    n, k = x.shape
    return (n - k) * np.log(rss) + np.linalg.slogdet(gram)[1] + np.linalg.slogdet(r)[1]


def brute_force(x: np.ndarray, y: np.ndarray, times: np.ndarray, dim: int) -> np.ndarray:
    """REML ``(phi[, theta])``: the best point of a 0.2 grid, refined by Nelder-Mead."""
    axis = np.linspace(-0.9, 0.9, 10)
    grid = np.stack(np.meshgrid(*[axis] * dim), -1).reshape(-1, dim)
    best = grid[np.argmin([neg2_reml(g, x, y, times) for g in grid])]
    found = optimize.minimize(neg2_reml, best, args=(x, y, times), method="Nelder-Mead",
                              options={"xatol": 1e-6, "fatol": 1e-9, "maxiter": 2000})
    return found.x


def restricted_loglik(point: np.ndarray, x: np.ndarray, y: np.ndarray, times: np.ndarray
                      ) -> float:
    """REML log-likelihood at ``(sigma2, phi[, theta])`` (constants dropped)."""
    s2, params = point[0], point[1:]
    n, k = x.shape
    r = dense_r(params, times)
    ri_x = np.linalg.solve(r, x)
    gram = x.T @ ri_x
    resid = y - x @ np.linalg.solve(gram, ri_x.T @ y)
    rss = resid @ np.linalg.solve(r, resid)
    return -0.5 * ((n - k) * np.log(s2) + np.linalg.slogdet(r)[1]
                   + np.linalg.slogdet(gram)[1] + rss / s2)


def dense_kackar_harville(x: np.ndarray, y: np.ndarray, times: np.ndarray, params: np.ndarray,
                          c: np.ndarray, h: float = 1e-5) -> tuple[float, float, float]:
    """``c'b``, ``sqrt(c'Phi_KH c)`` and the Satterthwaite df at REML ``params``.

    ``Sigma = sigma2 R``; ``Phi = (X'Sigma^-1 X)^-1``; ``P_i = -X'Sigma^-1 Sigma_i Sigma^-1 X``,
    ``Q_ij = X'Sigma^-1 Sigma_i Sigma^-1 Sigma_j Sigma^-1 X`` (``Sigma_i`` the derivative in the
    i-th of ``(sigma2, phi[, theta])``); ``W`` the inverse of minus the Hessian of the REML
    log-likelihood; ``Phi_KH = Phi + Phi (sum W_ij (Q_ij - P_i Phi P_j)) Phi``.
    """
    n, k = x.shape
    r = dense_r(params, times)
    ri = np.linalg.inv(r)
    gram = x.T @ ri @ x
    b = np.linalg.solve(gram, x.T @ ri @ y)
    s2 = (y - x @ b) @ ri @ (y - x @ b) / (n - k)
    sigma_inv = ri / s2
    phi = np.linalg.inv(x.T @ sigma_inv @ x)
    derivs = [r]
    for e in np.eye(len(params)):
        derivs.append(s2 * (dense_r(params + h * e, times) - dense_r(params - h * e, times))
                      / (2 * h))
    a = [x.T @ sigma_inv @ d @ sigma_inv for d in derivs]
    p_mats = [-ai @ x for ai in a]
    point = np.r_[s2, params]
    m = len(point)
    steps = 1e-4 * np.r_[s2, np.ones(m - 1)]
    hessian = np.empty((m, m))
    for i in range(m):
        for j in range(m):
            ei, ej = steps[i] * np.eye(m)[i], steps[j] * np.eye(m)[j]
            hessian[i, j] = (restricted_loglik(point + ei + ej, x, y, times)
                             - restricted_loglik(point + ei - ej, x, y, times)
                             - restricted_loglik(point - ei + ej, x, y, times)
                             + restricted_loglik(point - ei - ej, x, y, times)) / (
                                 4 * steps[i] * steps[j])
    w = np.linalg.inv(-hessian)
    total = sum(w[i, j] * (a[i] @ derivs[j] @ sigma_inv @ x - p_mats[i] @ phi @ p_mats[j])
                for i in range(m) for j in range(m))
    kh = phi + phi @ total @ phi
    grad = np.array([-(c @ phi @ p @ phi @ c) for p in p_mats])
    df = 2 * (c @ phi @ c) ** 2 / (grad @ w @ grad)
    return float(c @ b), float(np.sqrt(c @ kh @ c)), float(df)
