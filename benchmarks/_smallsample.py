"""Comparison intervals of the Turner benchmarks: plain REML-Satterthwaite and Kenward-Roger.

``errors="reml"`` (:func:`spamlab.its.reml.kackar_harville`) is the interval spamlab
reports. ``benchmarks/turner.py`` and ``benchmarks/turner_floor.py`` set it beside two
others computed from the same REML fits, which nothing in the library uses and which
therefore live here:

:func:`satterthwaite`
    ``c'Phi c`` on ``2 (c'Phi c)^2 / (g'Wg)`` df (REML-Satterthwaite, what Turner et al.
    2021 recommend); the df are those of Kackar-Harville.
:func:`kenward_roger`
    Kenward & Roger (1997): ``Phi_A = Phi + 2 Phi (sum_ij W_ij (Q_ij - P_i Phi P_j -
    R_ij / 4)) Phi`` (adds a bias correction of ``Phi(rho_hat)``) and, for one contrast,
    the df with ``lambda = 1`` (where the moment matching is undefined, ``A2 >= 1/2``,
    the Satterthwaite df ``2 / A2``); where ``c'Phi_A c`` is not positive ``c'Phi c``.

On the Turner design Kenward-Roger's level-change intervals are up to 21% wider than
REML-Satterthwaite's at n = 24 and its slope-change intervals under-cover (90% at
n = 24, rho = 0.8); Kackar-Harville is at most 8% wider and covers at least 93%.

Import from a benchmark script (``benchmarks/`` is on ``sys.path`` when one runs)::

    from _smallsample import kenward_roger, satterthwaite
"""

from __future__ import annotations

import numpy as np

from spamlab.its.reml import ContrastTest, RemlFit, information, kackar_harville

__all__ = ["kenward_roger", "kenward_roger_r", "satterthwaite"]


def satterthwaite(fit: RemlFit, contrast: np.ndarray, pieces: dict | None = None
                  ) -> ContrastTest:
    """Plain REML-Satterthwaite: ``sqrt(c'Phi c)`` on ``2 (c'Phi c)^2 / (g'Wg)`` df."""
    pieces = information(fit) if pieces is None else pieces
    c = np.asarray(contrast, dtype=float)
    adjusted = kackar_harville(fit, c, pieces)
    var = np.einsum("i,kij,j->k", c, fit.sigma2[:, None, None] * fit.unscaled, c)
    return ContrastTest(adjusted.estimate, np.sqrt(var), adjusted.df)


def kenward_roger_r(fit: RemlFit) -> list[list[np.ndarray]]:
    """Kenward & Roger's ``R_ij = X'R^-1 (d2 Sigma / d theta_i d theta_j) R^-1 X`` terms
    for ``theta = (sigma2, rho)``, ``(K, p, p)`` each, from dense ``n x n`` AR(1) matrices."""
    x, rho, s2 = fit.x, fit.rho, fit.sigma2
    d = np.abs(np.subtract.outer(fit.times, fit.times))
    r = rho[:, None, None]
    one = 1 - r**2
    power = r**d
    cov = power / one
    d_cov = (np.where(d >= 1, d * r ** np.where(d >= 1, d - 1, 0), 0.0) / one
             + 2 * r * power / one**2)
    d2_cov = (np.where(d >= 2, d * (d - 1) * r ** np.where(d >= 2, d - 2, 0), 0.0) / one
              + (4 * d + 2) * power / one**2 + 8 * r**2 * power / one**3)
    xi = np.linalg.inv(cov) @ x  # R^-1 X
    xit = np.swapaxes(xi, 1, 2)
    sig = s2[:, None, None]
    r12 = xit @ d_cov @ xi / sig**2
    return [[np.zeros_like(r12), r12], [r12, (xit @ d2_cov @ xi) / sig]]


def kenward_roger(fit: RemlFit, contrast: np.ndarray, pieces: dict | None = None
                  ) -> ContrastTest:
    """Kenward-Roger adjusted standard error and df of ``contrast @ b`` for every series."""
    pieces = information(fit) if pieces is None else pieces
    c = np.asarray(contrast, dtype=float)
    phi = fit.sigma2[:, None, None] * fit.unscaled
    w, p_mats, r_mats = pieces["w"], pieces["p"], kenward_roger_r(fit)
    total = np.zeros_like(phi)
    for i in range(2):
        for j in range(2):
            term = pieces["q"][i][j] - p_mats[i] @ phi @ p_mats[j] - 0.25 * r_mats[i][j]
            total += w[:, i, j, None, None] * term
    adjusted = phi + 2 * phi @ total @ phi
    var = np.einsum("i,kij,j->k", c, phi, c)
    var_a = np.einsum("i,kij,j->k", c, adjusted, c)
    var_a = np.where(np.isfinite(var_a) & (var_a > 0), var_a, var)  # Phi_A not positive: Phi
    a = np.stack([np.einsum("i,kij,j->k", c, phi @ p @ phi, c) for p in p_mats], axis=1) / var[:, None]
    a2 = np.einsum("ki,kij,kj->k", a, w, a)
    # l = 1: A1 = A2, B = 7 A2 / 2, g = -1, c1 = -1/7, c2 = 2/7, c3 = 4/7
    valid = a2 < 0.5  # 1 - c3 B > 0 (and then 1 - A2 > 0): the moment matching is defined
    a2v = np.where(valid, a2, 0.0)
    e_star = 1 / (1 - a2v)
    v_star = 2 * (1 - a2v / 2) / ((1 - a2v) ** 2 * (1 - 2 * a2v))
    rho_star = v_star / (2 * e_star**2)
    m = 4 + 3 / np.maximum(rho_star - 1, 1e-12)
    lam = m / (e_star * (m - 2))
    # beyond that (Satterthwaite df 2 / A2 <= 4) keep Phi_A with the Satterthwaite df
    m = np.where(valid, m, 2 / np.maximum(a2, 1e-300))
    lam = np.where(valid, lam, 1.0)
    return ContrastTest(fit.params @ c, np.sqrt(var_a / lam), m)
