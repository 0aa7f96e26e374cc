"""Power of a level-change test by simulation from a series' own noise structure.

The noise model is estimated on the pre-interruption part of ``data``: an OLS
baseline (intercept, trend, seasonal terms) and AR(1) errors (bias-corrected
``rho`` and innovation variance from the Cochrane-Orcutt regression). Each
simulated series continues that baseline for ``post_days`` more periods, adds
fresh AR(1) noise and a level change at the first new period, and is analysed
with the same segmented model ``its.fit`` would use (gaussian, ``errors`` iid /
hac / ar1), all replications in one batch.

Because the baseline and the step lie in the model's column space, a level
change ``delta`` moves every estimate by exactly ``delta`` and leaves standard
errors unchanged, so the simulated estimates and standard errors of the
no-effect series give the power at every ``delta`` at once, and the minimum
detectable effect exactly (for the given replications).

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> frame = pd.DataFrame({"v": 50 + rng.normal(0, 1, 90)},
...                      index=pd.date_range("2011-01-01", periods=90))
>>> mde = minimum_detectable_effect(frame, y="v", post_days=30, seasonality=None, n_sims=200)
>>> 0.3 < mde < 1.5
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from spamlab.errors import ParameterError
from spamlab.its import batched, smallsample
from spamlab.its import data as its_data
from spamlab.its.robustness import moment_label
from spamlab.its.scan import level_tests, stacked_designs


@dataclass(frozen=True)
class NoiseModel:
    """Baseline and AR(1) noise estimated from a pre-period.

    Attributes
    ----------
    baseline
        Fitted baseline of the simulated series (pre-period plus post periods).
    rho, sigma
        AR(1) coefficient and innovation standard deviation.
    n_pre
        Pre-period length used.
    """

    baseline: np.ndarray
    rho: float
    sigma: float
    n_pre: int


@dataclass(frozen=True)
class Simulation:
    """Level-change estimates, standard errors and critical values of no-effect series."""

    estimate: np.ndarray
    std_err: np.ndarray
    critical: np.ndarray

    def power(self, effect: float | np.ndarray) -> float | np.ndarray:
        """Share of replications rejecting ``no change`` at level alpha, given a true ``effect``."""
        delta = np.atleast_1d(np.asarray(effect, dtype=float))
        reject = np.abs(self.estimate[None, :] + delta[:, None]) >= (self.critical * self.std_err)
        share = reject.mean(axis=1)
        return float(share[0]) if np.ndim(effect) == 0 else share


def simulate(data: pd.DataFrame, y: str = "volume", post_days: int = 30, *,
             interruption: object | None = None, seasonality: str | list[str] | None = "dow",
             errors: str = "hac", trend: bool = True, alpha: float = 0.05, n_sims: int = 400,
             seed: int = 0, small_sample: bool = True, time: str | None = None,
             batch: bool = True) -> Simulation:
    """Simulate ``n_sims`` no-effect series and fit them (see module docstring).

    ``batch=False`` fits the replications one by one with :func:`spamlab.its.fit`
    (the reference the batched numbers are tested against).
    """
    if int(post_days) < its_data.MIN_POST:
        raise ParameterError(f"post_days={post_days!r} must be at least {its_data.MIN_POST}")
    if int(n_sims) < 20:
        raise ParameterError(f"n_sims={n_sims!r} is too small for a power estimate (>= 20)")
    pre = _pre_period(data, y, interruption, time)
    options = {"seasonality": seasonality, "trend": trend, "errors": errors}
    noise = estimate_noise(pre, y, int(post_days), options)
    rng = np.random.default_rng(seed)
    series = ar1_paths(rng, int(n_sims), len(noise.baseline), noise.rho, noise.sigma)
    extended = _extended(pre, y, int(post_days))
    design_series = its_data.prepare(extended, y, [moment_label(extended.index[noise.n_pre])],
                                     min_pre=0, min_post=0)
    outcomes = series + noise.baseline
    if batch:
        x, _, column = stacked_designs(design_series, options)
        tests = level_tests(x[0], outcomes, column, errors, small_sample, alpha)
    else:
        tests = _fit_one_by_one(extended, y, design_series.labels[0], outcomes,
                                {**options, "small_sample": small_sample, "alpha": alpha})
    crit = stats.t.ppf(1 - alpha / 2, tests["df"])
    return Simulation(tests["estimate"], tests["std_err"], np.asarray(crit))


def _fit_one_by_one(frame: pd.DataFrame, y: str, cut: str, outcomes: np.ndarray,
                    options: dict[str, Any]) -> dict[str, np.ndarray]:
    from spamlab.its.fit import fit

    rows = [fit(frame.assign(**{y: values}), y=y, interruptions=[cut], min_pre=0, min_post=0,
                **options).level_change() for values in outcomes]
    return {key: np.array([row[key] for row in rows]) for key in ("estimate", "std_err", "df")}


def power(data: pd.DataFrame, y: str = "volume", post_days: int = 30,
          effect: float | np.ndarray = -1.0, **options: Any) -> float | np.ndarray:
    """Probability that ``its.fit`` finds a level change of ``effect`` (units of ``y``).

    Parameters
    ----------
    data, y
        The series whose noise structure is used (only rows before
        ``interruption`` if one is given).
    post_days
        Observation periods after the interruption in the simulated studies.
    effect
        True level change(s); an array gives the power curve.
    **options
        ``interruption, seasonality ("dow"), errors ("hac"), trend, alpha, n_sims
        (400), seed, small_sample, time`` -- see :func:`simulate`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> frame = pd.DataFrame({"v": np.random.default_rng(1).normal(10, 1, 60)},
    ...                      index=pd.date_range("2011-01-01", periods=60))
    >>> power(frame, y="v", post_days=30, effect=-3.0, seasonality=None) > 0.95
    True
    """
    return simulate(data, y, post_days, **options).power(effect)


def minimum_detectable_effect(data: pd.DataFrame, y: str = "volume", post_days: int = 30, *,
                              target_power: float = 0.8, **options: Any) -> float:
    """Smallest level drop (positive number, units of ``y``) detected with ``target_power``.

    Divide by the baseline level for a relative effect. Options as :func:`power`.
    """
    if not 0 < target_power < 1:
        raise ParameterError(f"target_power={target_power!r} must be between 0 and 1")
    sim = simulate(data, y, post_days, **options)
    bound = sim.critical * sim.std_err
    candidates = np.sort(bound + sim.estimate)  # a drop m is found once m >= c*se + b
    candidates = candidates[candidates > 0]
    shares = sim.power(-candidates)
    reached = np.flatnonzero(np.asarray(shares) >= target_power)
    if not len(reached):
        raise ParameterError(f"target_power={target_power} not reached; use more n_sims")
    return float(candidates[reached[0]])


def estimate_noise(pre: pd.DataFrame, y: str, post_days: int, options: dict[str, Any]
                   ) -> NoiseModel:
    """Baseline (pre-period OLS, extended by ``post_days``) and bias-corrected AR(1) noise."""
    series = its_data.prepare(pre, y, ())
    x_pre, response, _ = _baseline_design(series, options)
    fit = batched.ols(x_pre, response)
    rho = smallsample.bias_corrected_rho(fit.x, batched.yule_walker_ar1(fit.resid))
    gls = batched.whitened_ols(fit.x, response[None], rho)
    extended = its_data.prepare(_extended(pre, y, post_days), y, ())
    x_all, _, _ = _baseline_design(extended, options, keep_missing=True)
    baseline = x_all @ fit.params[0]
    return NoiseModel(baseline, float(rho[0]), float(np.sqrt(gls.scale[0])), len(pre))


def _baseline_design(series: its_data.PreparedSeries, options: dict[str, Any],
                     keep_missing: bool = False) -> tuple[np.ndarray, np.ndarray, int]:
    from spamlab.its import design as its_design

    built = its_design.build(series, options["seasonality"], trend=options["trend"])
    keep = np.ones(len(series.y), bool) if keep_missing else ~np.isnan(series.y)
    return built.matrix.to_numpy()[keep], series.y[keep], 0


def ar1_paths(rng: np.random.Generator, n_sims: int, n: int, rho: float, sigma: float
              ) -> np.ndarray:
    """``(n_sims, n)`` stationary AR(1) paths."""
    shocks = rng.standard_normal((n_sims, n)) * sigma
    paths = np.empty_like(shocks)
    paths[:, 0] = shocks[:, 0] / np.sqrt(1 - rho**2)
    for t in range(1, n):
        paths[:, t] = rho * paths[:, t - 1] + shocks[:, t]
    return paths


def _pre_period(data: pd.DataFrame, y: str, interruption: object | None, time: str | None
                ) -> pd.DataFrame:
    frame = data if time is None else data.set_index(time)
    if interruption is None:
        return frame
    series = its_data.prepare(frame, y, [interruption], min_post=0)
    return frame.loc[series.exposure_fraction(0) == 0]


def _extended(pre: pd.DataFrame, y: str, post_days: int) -> pd.DataFrame:
    index = pre.index
    if isinstance(index, pd.DatetimeIndex):
        freq = its_data.frequency(index)
        new = pd.date_range(index[-1] + freq, periods=post_days, freq=freq)
    else:
        step = index[1] - index[0]
        new = pd.Index(index[-1] + step * np.arange(1, post_days + 1))
    frame = pd.DataFrame({y: np.r_[pre[y].to_numpy(float), np.zeros(post_days)]},
                         index=index.append(new))
    return frame
