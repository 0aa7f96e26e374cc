"""method="structural" against a direct statsmodels UnobservedComponents computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.statespace.structural import UnobservedComponents

from spamlab import its
from spamlab.errors import ParameterError
from spamlab.its.structural import DRAWS


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(8)
    days = pd.date_range("2011-01-01", periods=120)
    weekly = np.array([0.0, 1.0, 1.5, 1.0, 0.5, -2.0, -2.0])[days.day_of_week]
    control = 20 + np.cumsum(rng.normal(0, 0.3, 120))
    volume = 0.5 * control + weekly - 6 * (days >= "2011-03-16 12:00") + rng.normal(0, 0.7, 120)
    volume[[10, 50]] = np.nan
    return pd.DataFrame({"volume": volume, "control": control}, index=days)


def test_matches_unobserved_components(frame):
    days = frame.index
    level = np.clip((days + pd.Timedelta(days=1) - pd.Timestamp("2011-03-16 12:00"))
                    / pd.Timedelta(days=1), 0, 1).to_numpy()
    # spamlab fits the standardized volume (mean 0, sd 1 over the observed days; computed from
    # volume / res.unit: equal up to rounding, which the likelihood search, stopping within
    # its tolerance, turns into relative differences of up to 2e-5) and the control in units
    # of its median (which only rescales its coefficient)
    exog = np.column_stack([level, frame["control"] / frame["control"].median()])
    center, sd = frame["volume"].mean(), frame["volume"].std(ddof=0)
    model = UnobservedComponents((frame["volume"].to_numpy() - center) / sd, level="llevel",
                                 seasonal=7, exog=exog, mle_regression=False)
    ref = model.fit(disp=False, maxiter=500)
    beta, beta_cov = sd * ref.smoothed_state[-2, -1], sd**2 * ref.smoothed_state_cov[-2, -2, -1]
    res = its.fit(frame, y="volume", interruptions=["2011-03-16 12:00"], method="structural",
                  seasonality="dow", covariates=["control"], trend=False, slope_change=False,
                  small_sample=False)
    row = res.level_change()
    np.testing.assert_allclose(row["estimate"], beta, rtol=5e-5)
    np.testing.assert_allclose(row["std_err"], np.sqrt(beta_cov), rtol=5e-5)
    signal = center + sd * np.einsum("kn,kn->n", model.ssm["design"][0], ref.smoothed_state)
    np.testing.assert_allclose(res.counterfactual["counterfactual"], signal - beta * level,
                               rtol=5e-5)
    np.testing.assert_allclose(res.counterfactual["fitted"], signal, rtol=5e-5)
    assert abs(row["estimate"] + 6) < 1.0
    assert res.n_pre == 72 and "gaps in the data: 2" in res.summary()


def test_structural_log_scale_reports_ratio(frame):
    res = its.fit(frame, y="volume", interruptions=["2011-03-16"], method="structural",
                  transform="log", seasonality="fourier:7:2", errors="ar1", slope_change=False)
    row = res.level_change()
    assert row["scale"] == "ratio" and 0.3 < row["estimate"] < 0.6  # about 4 / 10
    assert "AR(1) component" in res.model
    band = res.counterfactual[["counterfactual_low", "counterfactual_high"]]
    assert (band["counterfactual_low"] > 0).all() and (band.diff(axis=1).iloc[:, 1] > 0).all()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"family": "poisson"}, "method='structural' is gaussian only"),
    ({"errors": "hac"}, "errors='hac' is not available with method='structural'"),
    ({"exposure": "control"}, "exposure= needs transform='log'"),
])
def test_structural_bad_options(frame, kwargs, message):
    with pytest.raises(ParameterError, match=message):
        its.fit(frame, y="volume", interruptions=["2011-03-16"], method="structural", **kwargs)


def test_variance_parameter_uncertainty_by_hand(frame):
    """The mixed covariance, recomputed here: central-difference Hessian of the
    log-likelihood in statsmodels' unconstrained parameters, draws, smoother, mixing."""
    days = frame.index
    level = np.clip((days + pd.Timedelta(days=1) - pd.Timestamp("2011-03-16 12:00"))
                    / pd.Timedelta(days=1), 0, 1).to_numpy()
    center, sd = frame["volume"].mean(), frame["volume"].std(ddof=0)  # spamlab standardizes
    model = UnobservedComponents((frame["volume"].to_numpy() - center) / sd, level="llevel",
                                 exog=level[:, None], mle_regression=False)
    ref = model.fit(disp=False, maxiter=500)
    u = model.untransform_params(ref.params)
    k = len(u)
    step = 1e-3 * np.maximum(np.abs(u), 0.1 * np.abs(u).max())
    hess = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            total = 0.0
            for si, sj, sign in ((1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1)):
                shifted = u.copy()
                shifted[i] += si * step[i]
                shifted[j] += sj * step[j]
                total += sign * model.loglike(shifted, transformed=False)
            hess[i, j] = total / (4 * step[i] * step[j])
    draws = np.random.default_rng(0).multivariate_normal(u, np.linalg.inv(-hess), DRAWS)
    state = model.k_states - 1
    smooths = [model.smooth(model.transform_params(d)) for d in draws]
    betas = np.array([s.smoothed_state[state, -1] for s in smooths])
    variances = np.array([s.smoothed_state_cov[state, state, -1] for s in smooths])
    expected = sd * np.sqrt(variances.mean() + betas.var(ddof=1))
    res = its.fit(frame, y="volume", interruptions=["2011-03-16 12:00"], method="structural",
                  trend=False, slope_change=False, seed=0)
    plain = its.fit(frame, y="volume", interruptions=["2011-03-16 12:00"], method="structural",
                    trend=False, slope_change=False, small_sample=False)
    assert res.level_change()["std_err"] == pytest.approx(expected, rel=0.02)
    assert res.level_change()["std_err"] > plain.level_change()["std_err"]
    assert res.level_change()["estimate"] == pytest.approx(plain.level_change()["estimate"])


@pytest.mark.slow
def test_structural_interval_covers_with_small_level_variance():
    """sigma_eta 0.05, noise 1, n = 100, shift 3: 40 replications (MC SE about 3.5 points at
    95%), so the bound only catches a collapse; benchmarks/breaks.py (150 replications per
    cell) measures the coverage."""
    rng = np.random.default_rng(5)
    n, reps, hits = 100, 40, 0
    for _ in range(reps):
        y = 10 + np.cumsum(rng.normal(0, 0.05, n)) + 3.0 * (np.arange(n) >= 50) + rng.normal(0, 1, n)
        row = its.fit(pd.DataFrame({"v": y}), y="v", interruptions=[50], method="structural",
                      trend=False, slope_change=False).level_change()
        hits += row["ci_low"] <= 3.0 <= row["ci_high"]
    assert hits / reps >= 0.85
