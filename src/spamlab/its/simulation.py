"""Power of a level-change test by simulation from a series' own noise structure.

The noise model is estimated on the pre-interruption part of ``data``, on the
model's scale (``log(y)`` for ``transform="log"``): an OLS baseline (intercept,
trend, seasonal terms of the specification) and AR(1) errors (bias-corrected
``rho`` and innovation variance from the Cochrane-Orcutt regression). Each
simulated series continues that baseline for ``post_days`` more periods, adds
fresh AR(1) noise and a level change at the first new period, and is analysed
with the model of the specification. Gaussian segmented models with ``errors``
iid / hac / ar1 are fitted all at once (:mod:`spamlab.its.scan`); every other
gaussian model (``arma(p,q)`` errors, ``method="structural"``) one by one with
:func:`spamlab.its.fit`.

Because the baseline and the step lie in the model's column space, a level
change ``delta`` moves every estimate by exactly ``delta`` and leaves standard
errors unchanged, so the simulated estimates and standard errors of the
no-effect series give the power at every ``delta`` at once, and the minimum
detectable effect exactly (for the given replications).

Effects are signed, observed minus counterfactual: ``effect=-5.0`` is a fall of
5 (units of ``y``); with ``transform="log"`` an effect is a ratio (``0.7``: 30% less).

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> frame = pd.DataFrame({"v": 50 + rng.normal(0, 1, 90)},
...                      index=pd.date_range("2011-01-01", periods=90))
>>> mde = minimum_detectable_effect(frame, y="v", post_days=30, n_sims=200)
>>> -1.5 < mde < -0.3
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from spamlab.errors import DataError, ParameterError
from spamlab.its import batched, smallsample
from spamlab.its import data as its_data
from spamlab.its import design as its_design
from spamlab.its.model import fit
from spamlab.its.scan import can_batch, level_tests, stacked_designs
from spamlab.its.specification import Specification, resolve

__all__ = [
    "NoiseModel",
    "Simulation",
    "ar1_paths",
    "estimate_noise",
    "minimum_detectable_effect",
    "power",
    "simulate",
]


@dataclass(frozen=True)
class NoiseModel:
    """Baseline and AR(1) noise estimated from a pre-period.

    Attributes
    ----------
    baseline
        Fitted baseline of the simulated series (pre-period plus post periods), on
        the model's scale.
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
    """Level-change estimates, standard errors and critical values of no-effect series
    (linear scale: ``log`` ratios for log-scale models)."""

    estimate: np.ndarray
    std_err: np.ndarray
    critical: np.ndarray

    def power(self, delta: float | np.ndarray) -> float | np.ndarray:
        """Share of replications rejecting ``no change`` at level alpha, given a true change
        ``delta`` on the linear scale."""
        shift = np.atleast_1d(np.asarray(delta, dtype=float))
        reject = np.abs(self.estimate[None, :] + shift[:, None]) >= (self.critical * self.std_err)
        share = reject.mean(axis=1)
        return float(share[0]) if np.ndim(delta) == 0 else share


def simulate(data: pd.DataFrame, *, y: str, spec: Specification, post_days: int = 30,
             interruptions: Sequence[object] | object = (), time: str | None = None,
             n_sims: int = 400, batch: bool = True) -> Simulation:
    """Simulate ``n_sims`` no-effect series and fit them with ``spec`` (see module docstring).

    ``batch=False`` fits the replications one by one with :func:`spamlab.its.fit`
    (the reference the batched numbers are tested against).
    """
    _check_simulation(spec, post_days, n_sims)
    pre = _pre_period(data, y, interruptions, time, spec)
    noise = estimate_noise(pre, y, int(post_days), spec)
    rng = np.random.default_rng(spec.seed)
    outcomes = ar1_paths(rng, int(n_sims), len(noise.baseline), noise.rho, noise.sigma)
    outcomes += noise.baseline
    extended = _extended(pre, y, int(post_days))
    observed = extended[y].notna().to_numpy()  # the simulated studies miss the days the data miss
    cut = its_data.moment_label(extended.index[noise.n_pre])
    if batch and can_batch(spec):
        design_series = its_data.prepare(extended, y, [cut], min_pre=0, min_post=0)
        x, _, column = stacked_designs(design_series, spec)
        tests = level_tests(x[0], outcomes[:, observed], column, spec)
    else:
        tests = _fit_one_by_one(extended, y, cut, np.where(observed, outcomes, np.nan), spec)
    crit = stats.t.ppf(1 - spec.alpha / 2, tests["df"])
    return Simulation(tests["estimate"], tests["std_err"], np.asarray(crit))


def _check_simulation(spec: Specification, post_days: int, n_sims: int) -> None:
    """The simulation draws gaussian noise around a baseline it can extend into the future."""
    if int(post_days) < its_data.MIN_POST:
        raise ParameterError(f"post_days={post_days!r} must be at least {its_data.MIN_POST}")
    if int(n_sims) < 20:
        raise ParameterError(f"n_sims={n_sims!r} is too small for a power estimate (>= 20)")
    if spec.family != "gaussian":
        raise ParameterError(f"family={spec.family!r}: power simulates gaussian AR(1) noise; "
                             "use family='gaussian' (with transform='log' for ratio effects)")
    for name in ("covariates", "exposure"):
        if getattr(spec, name):
            raise ParameterError(f"{name}={getattr(spec, name)!r}: power cannot simulate the "
                                 "post period, whose values of that column are unknown")


def _fit_one_by_one(frame: pd.DataFrame, y: str, cut: object, outcomes: np.ndarray,
                    spec: Specification) -> dict[str, np.ndarray]:
    spec = replace(spec, min_pre=0, min_post=0)
    values = np.exp(outcomes) if spec.transform == "log" else outcomes
    rows = [fit(frame.assign(**{y: row}), y=y, interruptions=[cut], spec=spec).level_change()
            for row in values]
    columns = {"estimate": "coef", "std_err": "std_err", "df": "df"}  # on the linear scale
    return {key: np.array([row[column] for row in rows], dtype=float)
            for key, column in columns.items()}


def power(data: pd.DataFrame, *, effect: float | np.ndarray, y: str = "volume",
          post_days: int = 30, interruptions: Sequence[object] | object = (),
          time: str | None = None, n_sims: int = 400, batch: bool = True,
          spec: Specification | None = None, **model: Any) -> float | np.ndarray:
    """Probability that :func:`spamlab.its.fit` finds a level change of ``effect``.

    Parameters
    ----------
    data, y, time
        The series whose noise structure is used (only rows before the interruption
        if one is given).
    effect
        True level change(s), observed minus counterfactual: ``-5.0`` is a fall of 5
        (units of ``y``); with ``transform="log"`` a ratio (``0.7``: 30% less). An
        array gives the power curve.
    post_days
        Observation periods after the interruption in the simulated studies.
    interruptions
        One moment (or none: every row is pre-period).
    n_sims
        Simulated studies.
    batch
        Fit the simulated studies at once where possible (same numbers as one by one).
    spec, **model
        The model, as for :func:`spamlab.its.fit` (gaussian; no covariates or exposure,
        whose future values are unknown).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> frame = pd.DataFrame({"v": np.random.default_rng(1).normal(10, 1, 60)},
    ...                      index=pd.date_range("2011-01-01", periods=60))
    >>> power(frame, y="v", post_days=30, effect=-3.0) > 0.95
    True
    """
    spec = resolve(spec, model)
    sim = simulate(data, y=y, spec=spec, post_days=post_days, interruptions=interruptions,
                   time=time, n_sims=n_sims, batch=batch)
    return sim.power(_linear(effect, spec))


def minimum_detectable_effect(data: pd.DataFrame, *, y: str = "volume", post_days: int = 30,
                              interruptions: Sequence[object] | object = (),
                              time: str | None = None, target_power: float = 0.8,
                              n_sims: int = 400, batch: bool = True,
                              spec: Specification | None = None, **model: Any) -> float:
    """The smallest fall detected with ``target_power``, signed as an effect.

    Returns a negative change in units of ``y`` (a ratio below 1 with
    ``transform="log"``). Divide by the baseline level for a relative effect.
    Arguments as :func:`power`.
    """
    if not 0 < target_power < 1:
        raise ParameterError(f"target_power={target_power!r} must be between 0 and 1")
    spec = resolve(spec, model)
    sim = simulate(data, y=y, spec=spec, post_days=post_days, interruptions=interruptions,
                   time=time, n_sims=n_sims, batch=batch)
    bound = sim.critical * sim.std_err
    sizes = np.sort(bound + sim.estimate)  # a fall of size m is found once m >= c*se + b
    sizes = sizes[sizes > 0]
    shares = sim.power(-sizes)
    reached = np.flatnonzero(np.asarray(shares) >= target_power)
    if not len(reached):
        raise ParameterError(f"target_power={target_power} not reached; use more n_sims")
    fall = -float(sizes[reached[0]])
    return float(np.exp(fall)) if spec.log_scale else fall


def _linear(effect: float | np.ndarray, spec: Specification) -> float | np.ndarray:
    """An effect on the model's linear scale (``log`` of a ratio for log-scale models)."""
    if not spec.log_scale:
        return effect
    ratio = np.asarray(effect, dtype=float)
    if (ratio <= 0).any():
        raise ParameterError(f"effect={effect!r}: with transform='log' an effect is a ratio "
                             "(observed / counterfactual) and must be > 0")
    return np.log(ratio) if np.ndim(effect) else float(np.log(ratio))


def estimate_noise(pre: pd.DataFrame, y: str, post_days: int, spec: Specification) -> NoiseModel:
    """Baseline (pre-period OLS, extended by ``post_days``) and bias-corrected AR(1) noise."""
    series = its_data.prepare(pre, y, ())
    observed = ~np.isnan(series.y)
    if spec.transform == "log" and (series.y[observed] <= 0).any():
        raise DataError(f"transform='log' needs y > 0; {(series.y[observed] <= 0).sum()} "
                        "value(s) are <= 0")
    response = np.log(series.y) if spec.transform == "log" else series.y
    fit_ = batched.ols(_baseline_matrix(series, spec)[observed], response[observed])
    rho = smallsample.bias_corrected_rho(fit_.x, batched.yule_walker_ar1(fit_.resid))
    gls = batched.whitened_ols(fit_.x, response[observed][None], rho)
    extended = its_data.prepare(_extended(pre, y, post_days), y, ())
    baseline = _baseline_matrix(extended, spec) @ fit_.params[0]
    return NoiseModel(baseline, float(rho[0]), float(np.sqrt(gls.scale[0])), len(pre))


def _baseline_matrix(series: its_data.PreparedSeries, spec: Specification) -> np.ndarray:
    """Intercept, trend and seasonal terms of ``spec`` on ``series``' rows (row-major: the
    products with it then add in the same order as for the fitted designs)."""
    matrix = its_design.build(series, spec.seasonality, trend=spec.trend).matrix
    return np.ascontiguousarray(matrix.to_numpy())


def ar1_paths(rng: np.random.Generator, n_sims: int, n: int, rho: float, sigma: float
              ) -> np.ndarray:
    """``(n_sims, n)`` stationary AR(1) paths."""
    shocks = rng.standard_normal((n_sims, n)) * sigma
    paths = np.empty_like(shocks)
    paths[:, 0] = shocks[:, 0] / np.sqrt(1 - rho**2)
    for t in range(1, n):
        paths[:, t] = rho * paths[:, t - 1] + shocks[:, t]
    return paths


def _pre_period(data: pd.DataFrame, y: str, interruptions: Sequence[object] | object,
                time: str | None, spec: Specification) -> pd.DataFrame:
    frame = data if time is None else data.set_index(time)
    moments = [] if interruptions is None else its_data.as_list(interruptions)
    if len(moments) > 1:
        raise ParameterError(f"interruptions={interruptions!r}: power needs one moment (its "
                             f"pre-period gives the noise), got {len(moments)}")
    if not moments:
        return frame
    series = its_data.prepare(frame, y, moments, min_pre=spec.min_pre, min_post=0)
    return frame.loc[series.exposure_fraction(0) == 0]


def _extended(pre: pd.DataFrame, y: str, post_days: int) -> pd.DataFrame:
    """``pre[y]`` followed by ``post_days`` periods of placeholder outcomes (1.0; the designs
    built on it do not depend on them, and simulated outcomes replace them)."""
    index = pre.index
    if isinstance(index, pd.DatetimeIndex):
        freq = its_data.frequency(index)
        new = pd.date_range(index[-1] + freq, periods=post_days, freq=freq)
    else:
        step = index[1] - index[0]
        new = pd.Index(index[-1] + step * np.arange(1, post_days + 1))
    return pd.DataFrame({y: np.r_[pre[y].to_numpy(float), np.ones(post_days)]},
                        index=index.append(new))
