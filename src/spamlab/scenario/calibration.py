"""Calibrate the synthetic scenario to the published figures under each hypothesis."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from spamlab import figures
from spamlab.errors import ParameterError
from spamlab.residual.readings import figure
from spamlab.scenario.constraints import DIAGNOSTIC, FITTED, Constraint, build
from spamlab.scenario.model import PARAM_BASIS, Params, ar1_noise, generate, sources, volume_arrays

__all__ = ["COMMON_FREE", "EXTRA_BOUNDS", "HYPOTHESES", "Calibration", "Hypothesis", "calibrate",
           "calibrate_all", "constraints_for", "param_table", "summary"]

#: Parameters fitted under every hypothesis, with bounds.
COMMON_FREE: dict[str, tuple[float, float]] = {
    "rustock_level": (0.0, 80.0),
    "bagle_level": (0.0, 40.0),
    "others_level": (0.0, 120.0),
    "nonbot_level": (0.0, 40.0),
    "winter_trend": (-0.05, 0.05),
    "post_growth": (-0.05, 0.05),
    "holiday_depth": (0.0, 0.9),
    "day_offset_hours": (0.0, 12.0),
}

#: Bounds of the hypothesis-specific parameters (weekend_factor's come from the figures).
EXTRA_BOUNDS: dict[str, tuple[float, float]] = {
    "march_trend": (-0.05, 0.05),
    "collateral": (0.0, 1.0),
    "second_drop": (0.0, 30.0),
}


@dataclass(frozen=True)
class Hypothesis:
    """A residual hypothesis as a scenario switch.

    ``extra_free``: parameters freed on top of :data:`COMMON_FREE`; ``swap``:
    (fitted id replaced, id fitted instead); ``windows``: re-read periods;
    ``fixed``: parameter values set from a figure or an assumption.
    """

    name: str
    description: str
    domain_number: int
    extra_free: tuple[str, ...] = ()
    swap: tuple[tuple[int, int], ...] = ()
    windows: tuple[tuple[int, str, str], ...] = ()
    fixed: tuple[tuple[str, float], ...] = ()


HYPOTHESES: dict[str, Hypothesis] = {h.name: h for h in (
    Hypothesis("baseline", "Rustock sent its stated 13.82 bn/day (row 1) and nothing else changed", 0),
    Hypothesis("different_bases", "Rustock's output is its March share (row 2), not row 1's 13.82", 1,
               swap=((1, 2),)),
    Hypothesis("partial_day", "the after window holds 16 March (row 14's 16-23); stop at 15:30 (row 130)",
               2, windows=((4, "2011-03-16", "2011-03-23"),), fixed=(("takedown_hour", 15.5),)),
    Hypothesis("weekday_window", "a 4-day after window 17-20 March with a weekend; weekend ratio free",
               3, extra_free=("weekend_factor",), windows=((4, "2011-03-17", "2011-03-20"),)),
    Hypothesis("pre_trend", "a decline within March that started before the takedown", 4,
               extra_free=("march_trend",)),
    Hypothesis("other_botnets", "other named botnets lost a fraction of output at the takedown", 5,
               extra_free=("collateral",)),
    Hypothesis("second_source", "a second source stopped at 00:00 UTC on 17 March", 5,
               extra_free=("second_drop",)),
    Hypothesis("combined", "pre-existing March decline and a second source together", 0,
               extra_free=("march_trend", "second_drop")),
)}


@dataclass(frozen=True)
class Calibration:
    """Result of :func:`calibrate`.

    Attributes
    ----------
    hypothesis
        Name of the hypothesis (a key of :data:`HYPOTHESES`).
    params
        Fitted :class:`Params`.
    series
        Daily synthetic volume by source (UTC days, noise from ``seed``); columns end in
        ``_synthetic``, ``attrs["synthetic"]`` is True.
    constraints
        ``figure_id, target, achieved, rel_error, fitted, definition, achieved_noisy``.
        ``achieved`` is on the noise-free path; ``achieved_noisy`` on ``series``.
    consistent
        Whether every fitted constraint is within ``tolerance`` (relative).
    """

    hypothesis: str
    params: Params
    series: pd.DataFrame = field(repr=False)
    constraints: pd.DataFrame = field(repr=False)
    consistent: bool
    max_rel_error: float
    tolerance: float
    free: tuple[str, ...]
    seed: int


def constraints_for(hyp: Hypothesis, table: pd.DataFrame, exclude: tuple[int, ...] = ()
                    ) -> tuple[list[Constraint], list[Constraint]]:
    """Fitted and diagnostic constraints of a hypothesis, periods as it reads them.

    Ids in ``exclude`` are moved from the fitted to the diagnostic constraints.
    """
    windows = {i: (a, b) for i, a, b in hyp.windows}
    swap = dict(hyp.swap)
    specs = {s[0]: s for s in FITTED + DIAGNOSTIC}
    fitted_ids = [swap.get(s[0], s[0]) for s in FITTED]
    unknown = set(exclude) - set(fitted_ids)
    if unknown or len(fitted_ids) - len(exclude) < 5:
        raise ParameterError(f"exclude={exclude!r}: can only drop fitted ids {sorted(fitted_ids)} "
                             "and must keep at least 5")
    fitted_ids = [i for i in fitted_ids if i not in exclude]
    diag_ids = [s[0] for s in DIAGNOSTIC if s[0] not in fitted_ids] + list(swap) + list(exclude)
    make = [build(table, specs[i], windows.get(i)) for i in fitted_ids + diag_ids]
    return make[:len(fitted_ids)], make[len(fitted_ids):]


def _bounds(hyp: Hypothesis, table: pd.DataFrame) -> dict[str, tuple[float, float]]:
    bounds = dict(COMMON_FREE)
    for name in hyp.extra_free:
        bounds[name] = _weekend_bounds(table) if name == "weekend_factor" else EXTRA_BOUNDS[name]
    return bounds


def _weekend_bounds(table: pd.DataFrame) -> tuple[float, float]:
    ratios = [figure(table, i, "percent_of_weekday_avg") / 100 for i in (212, 218)]
    ratios += [figure(table, 384, "percent") / 100, 1 + figure(table, 219, "percent") / 100]
    return min(ratios), max(ratios)


def _achieved(p: Params, cons: list[Constraint], noise: dict | None = None) -> np.ndarray:
    arrays = volume_arrays(sources(p, noise), p.day_offset_hours)
    return np.array([c.evaluate(arrays) for c in cons])


def _fit(start: Params, names: list[str], bounds: dict, cons: list[Constraint]) -> Params:
    targets = np.array([c.target for c in cons])
    lower = np.array([bounds[n][0] for n in names])
    upper = np.array([bounds[n][1] for n in names])
    x0 = np.clip([getattr(start, n) for n in names], lower, upper)

    def residuals(x: np.ndarray) -> np.ndarray:
        values: dict[str, Any] = dict(zip(names, x, strict=True))
        return _achieved(replace(start, **values), cons) / targets - 1

    sol = least_squares(residuals, x0, bounds=(lower, upper), x_scale=np.maximum(upper - lower, 1e-3) / 10,
                        xtol=1e-10, ftol=1e-10, max_nfev=2000)
    fitted: dict[str, Any] = dict(zip(names, (float(v) for v in sol.x), strict=True))
    return replace(start, **fitted)


def calibrate(
    hypothesis: str = "baseline",
    seed: int = 0,
    *,
    table: pd.DataFrame | None = None,
    tolerance: float = 0.02,
    start: Params | None = None,
    exclude: tuple[int, ...] = (),
) -> Calibration:
    """Fit the scenario's free parameters so it reproduces the published figures.

    Parameters
    ----------
    hypothesis
        One of :data:`HYPOTHESES` (``"baseline"``, ``"different_bases"``,
        ``"partial_day"``, ``"weekday_window"``, ``"pre_trend"``,
        ``"other_botnets"``, ``"second_source"``).
    seed
        Seed of the AR(1) noise of ``series`` (the fit itself is deterministic and
        uses the noise-free path).
    table
        Figures table (default :func:`spamlab.figures.load`).
    tolerance
        Largest relative error of a fitted constraint for the hypothesis to count
        as consistent with the figures. An inconsistent hypothesis is a finding.
    start
        Starting / fixed parameter values (default :class:`Params`).
    exclude
        Figure ids to leave out of the fit (still reported, with ``fitted=False``):
        shows which single figure makes a hypothesis inconsistent.

    Examples
    --------
    >>> cal = calibrate("second_source", seed=0)
    >>> cal.series.attrs["synthetic"], "figure_id" in cal.constraints
    (True, True)
    """
    if hypothesis not in HYPOTHESES:
        raise ParameterError(f"hypothesis={hypothesis!r}: choose one of {sorted(HYPOTHESES)}")
    if not 0 < tolerance < 1:
        raise ParameterError(f"tolerance={tolerance}: must lie strictly between 0 and 1")
    hyp = HYPOTHESES[hypothesis]
    table = figures.load() if table is None else table
    fitted, diagnostic = constraints_for(hyp, table, tuple(exclude))
    bounds = _bounds(hyp, table)
    fixed: dict[str, Any] = dict(hyp.fixed)
    start = replace(start or Params(), **fixed)
    params = _fit(start, list(bounds), bounds, fitted)
    frame = _constraint_table(params, fitted, diagnostic, seed)
    worst = float(frame.loc[frame["fitted"], "rel_error"].abs().max())
    series = generate(params, seed)
    series.attrs.update({"hypothesis": hypothesis, "consistent_with_figures": worst <= tolerance,
                         "excluded_figure_ids": list(exclude)})
    return Calibration(hypothesis, params, series, frame, worst <= tolerance, worst, tolerance,
                       tuple(bounds), seed)


def _constraint_table(p: Params, fitted: list[Constraint], diagnostic: list[Constraint],
                      seed: int) -> pd.DataFrame:
    cons = fitted + diagnostic
    achieved = _achieved(p, cons)
    noisy = _achieved(p, cons, ar1_noise(p, seed))
    targets = np.array([c.target for c in cons])
    return pd.DataFrame({
        "figure_id": [c.figure_id for c in cons],
        "target": targets,
        "achieved": achieved,
        "rel_error": achieved / targets - 1,
        "fitted": [True] * len(fitted) + [False] * len(diagnostic),
        "definition": [c.describe() for c in cons],
        "achieved_noisy": noisy,
    })


def calibrate_all(seed: int = 0, *, table: pd.DataFrame | None = None,
                  tolerance: float = 0.02) -> dict[str, Calibration]:
    """:func:`calibrate` every hypothesis; returns name -> :class:`Calibration`.

    Examples
    --------
    >>> sorted(calibrate_all())[:2]
    ['baseline', 'combined']
    """
    table = figures.load() if table is None else table
    return {name: calibrate(name, seed, table=table, tolerance=tolerance) for name in HYPOTHESES}


def summary(cals: dict[str, Calibration]) -> pd.DataFrame:
    """One row per hypothesis: consistent, worst fitted figure and its error, key fitted params.

    Examples
    --------
    >>> bool(summary({"baseline": calibrate("baseline")})["consistent"].iloc[0])
    False
    """
    rows = []
    for name, cal in cals.items():
        fit = cal.constraints[cal.constraints["fitted"]]
        worst = fit.loc[fit["rel_error"].abs().idxmax()]
        rows.append({
            "hypothesis": name, "domain_number": HYPOTHESES[name].domain_number,
            "consistent": cal.consistent, "max_rel_error": cal.max_rel_error,
            "worst_figure_id": int(worst["figure_id"]),
            **{k: getattr(cal.params, k) for k in (*COMMON_FREE, *EXTRA_BOUNDS, "weekend_factor")},
        })
    return pd.DataFrame(rows)


def param_table(cal: Calibration) -> pd.DataFrame:
    """Every scenario parameter with its value and basis: fitted, set by the hypothesis, a figure row,
    or an assumption.

    Examples
    --------
    >>> out = param_table(calibrate("baseline"))
    >>> out.set_index("parameter").loc["rustock_december", "basis"]
    'row 7'
    """
    fixed = dict(HYPOTHESES[cal.hypothesis].fixed)
    rows = []
    for name, basis in PARAM_BASIS.items():
        if name in cal.free:
            basis = "fitted"
        elif name in fixed:
            basis = f"set by hypothesis {cal.hypothesis!r}"
        rows.append({"parameter": name, "value": getattr(cal.params, name), "basis": basis})
    return pd.DataFrame(rows)
