"""Power by simulation: analytic white-noise answer, test size, monotonicity, every model, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from its_support import ar1_matrix, daily_series
from scipy import stats

from spamlab import its
from spamlab.errors import DataError, ParameterError
from spamlab.its.simulation import estimate_noise, simulate


def white_noise(n: int = 120, sigma: float = 2.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"v": 30 + rng.normal(0, sigma, n)},
                        index=pd.date_range("2011-01-01", periods=n))


def test_white_noise_mde_matches_normal_theory():
    data = white_noise()
    post = 40
    n = len(data) + post
    x = np.column_stack([np.ones(n), np.arange(1, n + 1), np.arange(n) >= len(data)])
    unit_se = np.sqrt(np.linalg.inv(x.T @ x)[2, 2])
    sigma = np.std(data["v"] - np.polyval(np.polyfit(np.arange(120), data["v"], 1), np.arange(120)),
                   ddof=2)
    theory = (stats.t.ppf(0.975, n - 3) + stats.norm.ppf(0.8)) * sigma * unit_se
    mde = its.minimum_detectable_effect(data, y="v", post_days=post, errors="iid", n_sims=800,
                                        seed=1, slope_change=False)
    assert mde < 0  # a fall: observed minus counterfactual
    assert -mde == pytest.approx(theory, rel=0.12)
    assert its.power(data, y="v", post_days=post, effect=mde, errors="iid", n_sims=800,
                     seed=1, slope_change=False) >= 0.8


def test_size_under_ar1_noise():
    data = daily_series(n=150, drop=0.0)
    options = {"post_days": 30, "effect": 0.0, "n_sims": 400, "seed": 2, "seasonality": "dow"}
    assert its.power(data, y="volume", errors="hac", **options) < 0.09
    assert its.power(data, y="volume", errors="ar1", **options) < 0.09
    assert its.power(data, y="volume", errors="iid", **options) > 0.2  # iid ignores the AR(1)


def test_power_grows_with_effect_and_post_days():
    data = daily_series(n=150)
    model = its.Specification(seasonality="dow", errors="ar1", slope_change=False)
    curve = its.power(data, y="volume", interruptions="2011-03-16", post_days=30,
                      effect=np.array([-0.5, -1.0, -2.0, -4.0]), spec=model)
    assert np.all(np.diff(curve) >= 0) and curve[-1] > 0.95
    short = its.minimum_detectable_effect(data, y="volume", interruptions=["2011-03-16"],
                                          post_days=7, spec=model)
    long = its.minimum_detectable_effect(data, y="volume", interruptions="2011-03-16",
                                         post_days=60, spec=model)
    assert short < long < 0  # a shorter post period needs a larger fall


def test_noise_model_recovers_ar1():
    rng = np.random.default_rng(9)
    days = pd.date_range("2010-01-01", periods=730)
    data = pd.DataFrame({"v": 10 + 1.5 * ar1_matrix(rng, 1, 730, 0.6)[0]}, index=days)
    noise = estimate_noise(data, "v", 10, its.Specification(slope_change=False))
    assert noise.rho == pytest.approx(0.6, abs=0.05)
    assert noise.sigma == pytest.approx(1.5, rel=0.08)
    assert len(noise.baseline) == 740 and noise.n_pre == 730


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"post_days": 1}, "post_days=1 must be at least 3"),
    ({"n_sims": 5}, "n_sims=5 is too small"),
    ({"family": "poisson"}, "family='poisson': power simulates gaussian AR\\(1\\) noise"),
    ({"covariates": ["v"]}, "covariates=\\('v',\\): power cannot simulate the post period"),
    ({"interruptions": ["2011-02-01", "2011-03-01"]}, "interruptions=.*power needs one moment"),
    ({"effect": 0.0, "transform": "log"}, "with transform='log' an effect is a ratio"),
    ({"slope_chnage": True}, "unknown model option\\(s\\) \\['slope_chnage'\\]"),
])
def test_power_bad_input(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        its.power(white_noise(), y="v", **{"post_days": 30, "effect": -1.0, **kwargs})
    with pytest.raises(ParameterError, match="target_power=1.2 must be between 0 and 1"):
        its.minimum_detectable_effect(white_noise(), y="v", target_power=1.2, slope_change=False)


@pytest.mark.parametrize("options", [
    {"errors": "iid"}, {"errors": "hac", "seasonality": "dow"}, {"errors": "ar1", "seasonality": "dow"},
    {"errors": "hac", "slope_change": True}, {"errors": "ar1", "transform": "log"},
])
def test_batched_simulation_equals_one_by_one_fits(options):
    data = daily_series(n=100)
    spec = its.Specification(seed=4, **options)
    fast = simulate(data, y="volume", spec=spec, post_days=20, n_sims=20)
    slow = simulate(data, y="volume", spec=spec, post_days=20, n_sims=20, batch=False)
    for key in ("estimate", "std_err", "critical"):
        np.testing.assert_allclose(getattr(fast, key), getattr(slow, key), rtol=1e-8, atol=1e-12)


def test_power_accepts_every_gaussian_model_fit_accepts():
    """slope changes, log scale, ARMA errors and the structural model all simulate."""
    data = daily_series(n=100, drop=0.0)
    falls = np.array([-1.0, -6.0])
    curves = [
        its.power(data, y="volume", post_days=20, effect=falls, n_sims=20, seasonality="dow",
                  slope_change=True, errors="hac"),
        its.power(data, y="volume", post_days=20, effect=np.exp(falls / 50), n_sims=20,
                  transform="log", seasonality="dow", errors="ar1", slope_change=False),
        its.power(data.iloc[:40], y="volume", post_days=10, effect=falls, n_sims=20,
                  errors="arma(1,0)", slope_change=False),
        its.power(data.iloc[:40], y="volume", post_days=10, effect=falls, n_sims=20,
                  method="structural", trend=False, slope_change=False),
    ]
    for curve in curves:
        assert curve[0] < curve[1] and curve[1] > 0.9
    mde = its.minimum_detectable_effect(data, y="volume", post_days=20, n_sims=50,
                                        transform="log", seasonality="dow", errors="ar1", slope_change=False)
    assert 0.8 < mde < 1  # a ratio: observed / counterfactual for the smallest detectable fall


def test_log_scale_power_needs_positive_values():
    data = white_noise().assign(v=lambda f: f["v"] - 30)
    with pytest.raises(DataError, match=r"transform='log' needs y > 0"):
        its.power(data, y="v", effect=0.9, transform="log", slope_change=False)


def test_log_power_is_the_power_of_the_log_ratio():
    """On the log scale a ratio r is a level change log(r) of log(y): same simulated studies."""
    data = daily_series(n=100)
    logged = data.assign(volume=np.log(data["volume"]))
    ratio = its.power(data, y="volume", post_days=20, effect=np.array([0.9, 0.95]), n_sims=50,
                      transform="log", errors="ar1", slope_change=False)
    shift = its.power(logged, y="volume", post_days=20, effect=np.log([0.9, 0.95]), n_sims=50,
                      errors="ar1", slope_change=False)
    np.testing.assert_allclose(ratio, shift)
