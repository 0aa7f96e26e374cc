"""Interrupted-time-series models and robustness checks.

Public API
----------
fit
    Segmented regression (gaussian/log, Poisson, quasi-Poisson, negative binomial;
    iid, HAC, AR(1), ARMA errors) or a structural state-space model.
placebo, breakpoints, sensitivity, plot_sensitivity
    Robustness: fake dates in the pre-period, unknown break dates, the effect across
    dates, windows and specifications.
power, minimum_detectable_effect
    Power of a level-change test by simulation from a series' noise structure.

Modules: ``data`` (validation, time axis, partial exposure), ``design`` (regressors),
``segmented`` (statsmodels fits per family/errors), ``smallsample`` (AR(1)/HAC
small-sample corrections), ``structural`` (state space), ``counterfactual``,
``results`` (:class:`ITSResult`), ``diagnostics``, ``plotting``, ``batched`` and
``scan`` (stacked least squares for scans), ``robustness`` (placebo, sensitivity),
``breaks`` (breakpoints), ``power``.

Examples
--------
>>> from spamlab import its
>>> callable(its.fit)
True
"""

from __future__ import annotations

from spamlab.its.breaks import breakpoints
from spamlab.its.fit import fit
from spamlab.its.power import minimum_detectable_effect, power
from spamlab.its.results import ITSResult
from spamlab.its.robustness import placebo, plot_sensitivity, sensitivity

__all__ = [
    "ITSResult", "breakpoints", "fit", "minimum_detectable_effect", "placebo",
    "plot_sensitivity", "power", "sensitivity",
]
