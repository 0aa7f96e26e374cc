"""``errors="reml"`` (AR(1) errors by REML, Kackar-Harville variance, Satterthwaite df)
against brute force.

The reference REML here maximizes the restricted log-likelihood with dense n x n
covariance matrices and scipy's bounded scalar search; the Kackar-Harville and
Kenward-Roger references take the derivatives of the covariance by finite differences
and use the general formulas of Kenward & Roger (1997) for l contrasts. Nothing is
shared with spamlab.its.reml (which whitens, uses analytic derivatives and the l = 1
algebra).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from spamlab import its
from spamlab.errors import ParameterError
from spamlab.its import reml


def _benchmark_intervals():
    """``benchmarks/_smallsample.py``: plain REML-Satterthwaite and Kenward-Roger, the
    comparison intervals of the Turner benchmarks (not part of the library)."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "_smallsample.py"
    spec = importlib.util.spec_from_file_location("benchmarks_smallsample", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


smallsample_benchmark = _benchmark_intervals()


def ar1_cov(theta: np.ndarray, times: np.ndarray) -> np.ndarray:
    sigma2, rho = theta
    gaps = np.abs(np.subtract.outer(times, times))
    return sigma2 * rho**gaps / (1 - rho**2)


def restricted_loglik(theta: np.ndarray, x: np.ndarray, y: np.ndarray, times: np.ndarray) -> float:
    v = ar1_cov(theta, times)
    vi = np.linalg.inv(v)
    xtvx = x.T @ vi @ x
    b = np.linalg.solve(xtvx, x.T @ vi @ y)
    r = y - x @ b
    return -0.5 * (np.linalg.slogdet(v)[1] + np.linalg.slogdet(xtvx)[1] + r @ vi @ r)


def reference_reml(x: np.ndarray, y: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(sigma2, rho)`` maximizing the REML likelihood, and the GLS coefficients there."""
    n, p = x.shape

    def sigma2_at(rho: float) -> tuple[float, np.ndarray]:
        vi = np.linalg.inv(ar1_cov((1.0, rho), times))
        b = np.linalg.solve(x.T @ vi @ x, x.T @ vi @ y)
        r = y - x @ b
        return r @ vi @ r / (n - p), b

    found = optimize.minimize_scalar(
        lambda rho: -restricted_loglik(np.array([sigma2_at(rho)[0], rho]), x, y, times),
        bounds=(-0.99, 0.99), method="bounded", options={"xatol": 1e-10})
    sigma2, b = sigma2_at(found.x)
    return np.array([sigma2, found.x]), b


def observed_w(x: np.ndarray, y: np.ndarray, theta: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Inverse of minus the numeric Hessian of the dense restricted log-likelihood."""
    steps = np.array([1e-4 * theta[0], 1e-4])
    hessian = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            def at(si: int, sj: int, i: int = i, j: int = j) -> float:
                t = theta.copy()
                t[i] += si * steps[i]
                t[j] += sj * steps[j]
                return restricted_loglik(t, x, y, times)
            hessian[i, j] = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * steps[i] * steps[j])
    return np.linalg.inv(-hessian)


def covariance_derivatives(theta: np.ndarray, times: np.ndarray
                           ) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    """First and second derivatives of the AR(1) covariance in ``(sigma2, rho)``, by
    central differences."""
    steps = np.array([1e-5 * theta[0], 1e-5])

    def moved(i: int, h: float, j: int | None = None, k: float = 0.0) -> np.ndarray:
        t = theta.copy()
        t[i] += h
        if j is not None:
            t[j] += k
        return ar1_cov(t, times)

    first = [(moved(i, steps[i]) - moved(i, -steps[i])) / (2 * steps[i]) for i in range(2)]
    second = [[(moved(i, steps[i], j, steps[j]) - moved(i, steps[i], j, -steps[j])
                - moved(i, -steps[i], j, steps[j]) + moved(i, -steps[i], j, -steps[j]))
               / (4 * steps[i] * steps[j]) for j in range(2)] for i in range(2)]
    return first, second


def reference_pieces(x: np.ndarray, y: np.ndarray, theta: np.ndarray, times: np.ndarray
                     ) -> tuple[np.ndarray, list, list, list, np.ndarray]:
    """``Phi``, ``P_i``, ``Q_ij``, ``R_ij`` of Kenward & Roger (1997) and ``W``."""
    first, second = covariance_derivatives(theta, times)
    si = np.linalg.inv(ar1_cov(theta, times))
    phi = np.linalg.inv(x.T @ si @ x)
    p_ = [-x.T @ si @ d @ si @ x for d in first]
    q_ = [[x.T @ si @ first[i] @ si @ first[j] @ si @ x for j in range(2)] for i in range(2)]
    r_ = [[x.T @ si @ second[i][j] @ si @ x for j in range(2)] for i in range(2)]
    return phi, p_, q_, r_, observed_w(x, y, theta, times)


def reference_kenward_roger(x: np.ndarray, y: np.ndarray, theta: np.ndarray, times: np.ndarray,
                            contrast: np.ndarray) -> tuple[float, float]:
    """Kenward-Roger (1997) for L = contrast (l = 1), derivatives by central differences,
    ``W`` the inverse observed REML information."""
    phi, p_, q_, r_, w = reference_pieces(x, y, theta, times)
    inner = sum(w[i, j] * (q_[i][j] - p_[i] @ phi @ p_[j] - 0.25 * r_[i][j])
                for i in range(2) for j in range(2))
    adjusted = phi + 2 * phi @ inner @ phi
    big_l = contrast[:, None]
    l_ = 1
    theta_m = big_l @ np.linalg.inv(big_l.T @ phi @ big_l) @ big_l.T
    a1 = sum(w[i, j] * np.trace(theta_m @ phi @ p_[i] @ phi) * np.trace(theta_m @ phi @ p_[j] @ phi)
             for i in range(2) for j in range(2))
    a2 = sum(w[i, j] * np.trace(theta_m @ phi @ p_[i] @ phi @ theta_m @ phi @ p_[j] @ phi)
             for i in range(2) for j in range(2))
    b = (a1 + 6 * a2) / (2 * l_)
    g = ((l_ + 1) * a1 - (l_ + 4) * a2) / ((l_ + 2) * a2)
    denominator = 3 * l_ + 2 * (1 - g)
    c1, c2, c3 = g / denominator, (l_ - g) / denominator, (l_ + 2 - g) / denominator
    e_star = 1 / (1 - a2 / l_)
    v_star = (2 / l_) * (1 + c1 * b) / ((1 - c2 * b) ** 2 * (1 - c3 * b))
    rho_star = v_star / (2 * e_star**2)
    m = 4 + (l_ + 2) / (l_ * rho_star - 1)
    lam = m / (e_star * (m - 2))
    return float(np.sqrt(contrast @ adjusted @ contrast / lam)), float(m)


def reference_kackar_harville(x: np.ndarray, y: np.ndarray, theta: np.ndarray,
                              times: np.ndarray, contrast: np.ndarray) -> tuple[float, float]:
    """Kackar & Harville (1984) variance ``Phi + Phi sum W_ij (Q_ij - P_i Phi P_j) Phi`` and the
    Satterthwaite df ``2 V^2 / (g'Wg)``, ``g_i = d(c'Phi c)/d theta_i`` by central differences
    of the dense GLS variance."""
    phi, p_, q_, _, w = reference_pieces(x, y, theta, times)
    inner = sum(w[i, j] * (q_[i][j] - p_[i] @ phi @ p_[j]) for i in range(2) for j in range(2))
    adjusted = phi + phi @ inner @ phi
    steps = np.array([1e-5 * theta[0], 1e-5])

    def gls_var(t: np.ndarray) -> float:
        return float(contrast @ np.linalg.inv(x.T @ np.linalg.solve(ar1_cov(t, times), x))
                     @ contrast)

    grad = np.array([(gls_var(theta + s * e) - gls_var(theta - s * e)) / (2 * s)
                     for s, e in zip(steps, np.eye(2))])
    return float(np.sqrt(contrast @ adjusted @ contrast)), 2 * gls_var(theta) ** 2 / (grad @ w @ grad)


def series(seed: int = 3, n: int = 60, rho: float = 0.6) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    noise = np.empty(n)
    noise[0] = rng.normal(0, 1 / np.sqrt(1 - rho**2))
    for t in range(1, n):
        noise[t] = rho * noise[t - 1] + rng.normal()
    t = np.arange(n, dtype=float)
    post = (t >= 30).astype(float)
    x = np.column_stack([np.ones(n), t + 1, post, np.clip(t - 30, 0, None)])
    y = x @ [10.0, 0.05, -3.0, 0.1] + noise
    return pd.DataFrame({"v": y}, index=pd.date_range("2011-01-01", periods=n)), x


def test_reml_fit_matches_brute_force_restricted_likelihood():
    frame, x = series()
    theta, b = reference_reml(x, frame["v"].to_numpy(), np.arange(60.0))
    res = its.fit(frame, y="v", interruptions=["2011-01-31"], errors="reml")
    np.testing.assert_allclose(res.rho, theta[1], atol=1e-6)
    np.testing.assert_allclose(res.params.to_numpy(), b, rtol=1e-5, atol=1e-7)
    assert "REML" in res.model and res.spec.error_structure == ("reml", (1, 0))


def test_reml_with_a_gap_uses_rho_to_the_gap():
    frame, x = series(seed=4)
    frame.iloc[[12, 13, 40]] = np.nan
    keep = frame["v"].notna().to_numpy()
    times = np.arange(60.0)[keep]
    theta, b = reference_reml(x[keep], frame["v"].to_numpy()[keep], times)
    res = its.fit(frame, y="v", interruptions=["2011-01-31"], errors="reml")
    np.testing.assert_allclose(res.rho, theta[1], atol=1e-6)
    np.testing.assert_allclose(res.params.to_numpy(), b, rtol=1e-5, atol=1e-7)


CONTRASTS = [{"level": 1.0}, {"slope": 1.0}, {"level": 1.0, "slope": 8.0}]


def contrast_vector(weights: dict[str, float]) -> np.ndarray:
    return np.array([0.0, 0.0, weights.get("level", 0.0), weights.get("slope", 0.0)])


@pytest.mark.parametrize("weights", CONTRASTS)
def test_reml_intervals_match_the_kackar_harville_formulas(weights):
    frame, x = series(seed=5, rho=0.5)
    y = frame["v"].to_numpy()
    theta, _ = reference_reml(x, y, np.arange(60.0))
    se, df = reference_kackar_harville(x, y, theta, np.arange(60.0), contrast_vector(weights))
    res = its.fit(frame, y="v", interruptions=["2011-01-31"], errors="reml")
    names = {"level": "level[2011-01-31]", "slope": "slope[2011-01-31]"}
    row = res.contrast({names[k]: v for k, v in weights.items()})
    np.testing.assert_allclose([row["std_err"], row["df"]], [se, df], rtol=2e-4)
    half = stats.t.ppf(0.975, df) * se
    np.testing.assert_allclose([row["ci_low"], row["ci_high"]],
                               [row["coef"] - half, row["coef"] + half], rtol=2e-4)
    if list(weights) == ["level"]:  # the effects table carries the same inference
        level = res.level_change()
        np.testing.assert_allclose([level["std_err"], level["df"]], [se, df], rtol=2e-4)


@pytest.mark.parametrize("weights", CONTRASTS)
def test_kenward_roger_matches_the_general_formulas(weights):
    frame, x = series(seed=5, rho=0.5)
    y = frame["v"].to_numpy()
    theta, _ = reference_reml(x, y, np.arange(60.0))
    contrast = contrast_vector(weights)
    se, df = reference_kenward_roger(x, y, theta, np.arange(60.0), contrast)
    test = smallsample_benchmark.kenward_roger(reml.fit_reml(x, y[None]), contrast)
    np.testing.assert_allclose([test.std_err[0], test.df[0]], [se, df], rtol=2e-4)


# 24 points of a stationary AR(1) (rho 0.8) on which REML-Satterthwaite's df of the slope
# change is about 0.01 (one of 40,000 Turner-design replicates): its 95% interval spans
# many orders of magnitude.
FEW_DF_SERIES = [-1.05, -0.65, -1.74, -2.44, -0.69, -0.57, 0.0, 0.77, 0.39, -1.18, -0.64, 2.69,
                 1.59, 1.79, 1.78, 0.97, 1.94, 0.79, 2.36, 1.59, 2.46, -0.08, -0.04, -1.3]


def test_an_effect_on_fewer_than_three_df_is_flagged():
    y = np.array(FEW_DF_SERIES)
    t = np.arange(24.0)
    x = np.column_stack([np.ones(24), t + 1, (t >= 12).astype(float), np.clip(t - 12, 0, None)])
    theta, _ = reference_reml(x, y, t)
    _, df = reference_kackar_harville(x, y, theta, t, contrast_vector({"slope": 1.0}))
    assert df < 1  # the brute-force reference agrees the slope's variance is barely identified
    frame = pd.DataFrame({"y": y}, index=pd.RangeIndex(1, 25))
    res = its.fit(frame, y="y", interruptions=[13], errors="reml", min_pre=0)
    flagged = [w for w in res.warnings if w.startswith("few degrees of freedom")]
    small = res.inference.loc[res.inference["df"] < 3]
    assert len(flagged) == len(small) >= 1
    assert any("slope[13]" in w for w in flagged)
    healthy = its.fit(series(seed=5, rho=0.5)[0], y="v", interruptions=["2011-01-31"],
                      errors="reml")
    assert not any(w.startswith("few degrees of freedom") for w in healthy.warnings)


def test_reml_is_gaussian_only_and_not_structural(daily):
    with pytest.raises(ParameterError, match="family='gaussian' only"):
        its.Specification(errors="reml", family="poisson")
    with pytest.raises(ParameterError, match="not available with method='structural'"):
        its.Specification(errors="reml", method="structural")


def test_arma_refuses_orders_the_data_cannot_support():
    frame, _ = series(n=60)
    with pytest.raises(ParameterError, match="arma\\(30,30\\)"):
        its.fit(frame, y="v", interruptions=["2011-01-31"], errors="arma(30,30)")


def turner_design(n: int) -> np.ndarray:
    t = np.arange(1, n + 1, dtype=float)
    post = (t > n / 2).astype(float)
    return np.column_stack([np.ones(n), t, post, (t - n / 2) * post])


def turner_noise(n: int, rho: float, reps: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = np.empty((reps, n))
    noise[:, 0] = rng.normal(0, 1 / np.sqrt(1 - rho**2), reps)
    shocks = rng.normal(size=(reps, n))
    for t in range(1, n):
        noise[:, t] = rho * noise[:, t - 1] + shocks[:, t]
    return noise


@pytest.mark.slow
@pytest.mark.parametrize(("n", "rho", "seed"), [(24, 0.4, 24001), (24, 0.8, 24002),
                                                (48, 0.8, 48002)])
def test_turner_design_coverage_in_the_hard_cells(n, rho, seed):
    """Turner et al. (2021): AR(1) errors, interruption at n/2, level and slope change.

    The three cells where REML-Satterthwaite under-covers, 1000 replications each (the
    replicates of ``benchmarks/turner.py``, same seeds and draws; about 10 s per cell).
    Monte Carlo SE of a coverage near 93% is 0.8 points, so the bound 93 - 2 x 0.8 =
    91.4% fails only if the true coverage is below 93% by more than Monte Carlo error.
    Measured (``errors="reml"``, Kackar-Harville): level 94.5, 93.5, 94.8%, mean width
    1.08, 1.07, 1.05 x REML-Satterthwaite's; slope 96.0, 93.6, 95.1% (median width
    1.02, 1.01, 1.02 x). REML-Satterthwaite on the same replicates: level 93.4, 92.0,
    93.3%. The REML estimates equal the brute-force reference on the first 3 replicates.
    """
    x = turner_design(n)
    noise = turner_noise(n, rho, 1000, seed)
    fit = reml.fit_reml(x, noise)
    for r in range(3):
        theta, _ = reference_reml(x, noise[r], np.arange(float(n)))
        assert abs(fit.rho[r] - theta[1]) < 1e-5
    pieces = reml.information(fit)
    bound = 0.93 - 2 * np.sqrt(0.93 * 0.07 / 1000)
    for column in (2, 3):
        test = reml.kackar_harville(fit, np.eye(4)[column], pieces)
        plain = smallsample_benchmark.satterthwaite(fit, np.eye(4)[column], pieces)
        half = stats.t.ppf(0.975, test.df) * test.std_err
        plain_half = stats.t.ppf(0.975, plain.df) * plain.std_err
        coverage = np.mean(np.abs(test.estimate) <= half)
        assert coverage >= bound, (n, rho, column, coverage)
        assert np.median(half) <= 1.10 * np.median(plain_half)
        if column == 2:  # the slope's mean width is dominated by a few df near 1
            assert np.mean(half) <= 1.10 * np.mean(plain_half)
