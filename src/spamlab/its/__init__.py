"""Interrupted-time-series models and robustness checks.

Public API
----------
Specification
    The model: family, transform, seasonality, errors, slope change, covariates,
    method, alpha, trend, ... with their defaults, validated once. Every function
    below takes ``spec=`` or the same options as keywords.
fit
    Segmented regression (gaussian/log, Poisson, quasi-Poisson, negative binomial;
    iid, HAC, AR(1) by FGLS or REML, ARMA errors) or a structural state-space model;
    returns an :class:`ITSResult` (effects, the effect at a horizon, window averages
    and sums, any contrast, each with its interval and df).
placebo, sensitivity, breakpoints, break_search
    Robustness: fake dates in the pre-period (:class:`PlaceboResult`), the effect
    across dates, windows and specifications (:class:`SensitivityResult`), unknown
    break dates (``breakpoints``: the table of dates and confidence sets;
    ``break_search``: the same in a :class:`BreakpointsResult` with the scan's statistics).
power, minimum_detectable_effect
    Power of a level-change test by simulation from a series' noise structure.
Recovery, RecoveredShare
    What :meth:`ITSResult.recovery` (when the fall has come back by a share) and
    :meth:`ITSResult.recovered_share` (how much had by the last period) return, with
    Fieller intervals (:mod:`spamlab.its.recovery`).

Effects are observed minus counterfactual on the model's scale: a fall is negative
(difference) or below 1 (ratio).

Keywords: the moments of change are ``interruptions=`` (one moment or a list) in every
function that fits data (:func:`fit`, :func:`placebo`, :func:`sensitivity`, :func:`power`,
:func:`minimum_detectable_effect`); ``interruption=`` names *one* of them, by position or
label, in the methods of a result (:meth:`ITSResult.effect_at`, ``window_effect``,
``recovery``, ``to_dict``), as it names the one moment of a stop in
:func:`spamlab.attribution.account_by_source` and :func:`spamlab.attribution.vanished_groups`.

Modules: ``specification`` (:class:`Specification`), ``data`` (validation, time axis,
partial exposure), ``scaling`` (the outcome and covariates fitted in units of their median
size, so that any unit gives the same relative answer), ``design`` (regressors), ``segmented`` (statsmodels fits,
dispatched by errors to ``error_models`` and by family to ``count_models``; ``fitted`` holds
the shared fit record), ``smallsample`` (AR(1)/HAC small-sample corrections), ``reml`` (AR(1)
regression by REML with Kackar-Harville/Satterthwaite inference), ``prediction``
(predictions carrying AR/ARMA errors forward), ``structural``
(state space), ``counterfactual``, ``results`` (:class:`ITSResult`), ``diagnostics``
(residual tests and warnings), ``model`` (:func:`fit`), ``batched`` and ``scan``
(stacked least squares for scans), ``robustness`` (placebo, sensitivity), ``breaks``
(breakpoints), ``breakset`` (break-date sets: a bootstrap likelihood ratio, the default, and
inverted tests after Elliott & Mueller 2007),
``longrun`` (long-run variances: Bartlett, prewhitened QS with automatic bandwidth),
``simulation`` (power), ``recovery`` (recovery time and share). Figures of ITS results are
in :mod:`spamlab.plots.its`.

Examples
--------
>>> from spamlab import its
>>> its.Specification(errors="ar1").errors
'ar1'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names below are loaded on first use (see __getattr__)
    from spamlab.its.breaks import BreakpointsResult, break_search, breakpoints
    from spamlab.its.model import fit
    from spamlab.its.recovery import RecoveredShare, Recovery
    from spamlab.its.results import ITSResult
    from spamlab.its.robustness import PlaceboResult, SensitivityResult, placebo, sensitivity
    from spamlab.its.simulation import minimum_detectable_effect, power
    from spamlab.its.specification import Specification

#: where each public name lives; a module is imported when one of its names is first used,
#: so ``from spamlab.its import data`` (the command line's checks) does not load statsmodels
_HOMES = {
    "BreakpointsResult": "breaks", "break_search": "breaks", "breakpoints": "breaks",
    "fit": "model", "ITSResult": "results", "PlaceboResult": "robustness",
    "SensitivityResult": "robustness", "placebo": "robustness", "sensitivity": "robustness",
    "minimum_detectable_effect": "simulation", "power": "simulation",
    "Specification": "specification", "Recovery": "recovery", "RecoveredShare": "recovery",
}

__all__ = [
    "BreakpointsResult", "ITSResult", "PlaceboResult", "RecoveredShare", "Recovery",
    "SensitivityResult", "Specification",
    "break_search", "breakpoints", "fit", "minimum_detectable_effect", "placebo", "power", "sensitivity",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        value = getattr(importlib.import_module(f"spamlab.its.{_HOMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'spamlab.its' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
