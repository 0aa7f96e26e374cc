"""Scale-free fits: the outcome is fitted in a unit near its typical size, the result mapped back.

A regression's answer does not depend on the unit of its outcome, but floating point
does: on values near 1e160 a variance (1e320) overflows, near 1e-200 it underflows to
0, and optimizers and eigensolvers fail on matrices whose entries differ by hundreds of
orders of magnitude (intervals of ``(-inf, inf)`` or zero width, NaN HAC variances, a
raw ``LinAlgError`` from REML at 1e100). :func:`spamlab.its.fit` therefore fits
``y / unit``, with ``unit`` the median size of the observed outcome
(:func:`outcome_unit`: the same series in any unit is then fitted as the same numbers, up
to rounding, so even iterative fits take the same path), and each covariate in its own
median size (:func:`covariate_units`), and maps the result back (:func:`to_data_units`):
on the difference scale estimates, intervals, coefficients, standard errors, the
counterfactual and its bands are multiplied by ``unit``; on a log scale
(``transform="log"``, a log link) only the intercept moves, by ``log(unit)``, and ratios
are unchanged; a covariate's coefficient is divided by its unit. The intervals are
computed in the fitted units, so they stay finite at any scale.

``family="poisson"`` and ``"negbin"`` have a variance with an absolute scale (``mu``,
``mu + alpha mu^2``): their intervals *should* change with the unit, and the data must
be counts (:func:`check_counts`): whole numbers no larger than ``2**53`` (beyond which a
float holds no exact count). They are fitted as they are (``unit`` 1).
``"quasipoisson"`` (the Pearson dispersion absorbs the unit) is scale-free and fitted
standardized, so it also takes non-integer rates.

Examples
--------
>>> import numpy as np
>>> float(outcome_unit(np.array([3e160, 5e160, np.nan]), "v", "gaussian"))
4e+160
>>> outcome_unit(np.array([3.0, 5.0]), "v", "poisson")
1.0
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from spamlab.errors import DataError
from spamlab.its.data import PreparedSeries
from spamlab.its.results import ITSResult
from spamlab.its.segmented import ContrastInference

__all__ = [
    "ABSOLUTE_SCALE_FAMILIES",
    "COUNT_MAX",
    "check_counts",
    "covariate_units",
    "divided",
    "outcome_unit",
    "to_data_units",
]

COUNT_MAX: float = 2.0**53
"""Largest count a float holds exactly (every whole number up to it is representable)."""
ABSOLUTE_SCALE_FAMILIES: tuple[str, ...] = ("poisson", "negbin")
"""Families whose variance has an absolute scale: not standardized, and needing counts."""


def outcome_unit(y: np.ndarray, column: str, family: str) -> float:
    """The unit the outcome is fitted in: the median size of the observed non-zero values
    (1 when there are none, and for Poisson/NB2 counts: :func:`check_counts`).

    Raises
    ------
    DataError
        When a non-zero value is below the smallest normal float (about 2.2e-308: such
        values have already lost precision), or for Poisson/NB2 data that are not counts.

    Examples
    --------
    >>> outcome_unit(np.array([0.0, 48.0, 50.0, 70.0]), "v", "gaussian")
    50.0
    """
    values = np.abs(y[~np.isnan(y)])
    values = values[values > 0]
    if family in ABSOLUTE_SCALE_FAMILIES:
        check_counts(y, column, family)
        return 1.0
    tiny = np.finfo(float).tiny
    if len(values) and values.min() < tiny:
        raise DataError(f"column {column!r}: values as small as {values.min():.3g} are below the "
                        f"smallest normal float ({tiny:.3g}) and have lost precision; express "
                        f"{column!r} in a smaller unit (multiply it by a power of ten) and fit again")
    return float(np.median(values)) if len(values) else 1.0


def check_counts(y: np.ndarray, column: str, family: str) -> None:
    """Refuse Poisson/NB2 models of values that are not counts (whole numbers up to 2**53).

    Their variance is ``mu`` (``mu + alpha mu^2``) in the data's own unit, so on rates,
    scaled counts or values in the 1e100s the intervals depend on the unit chosen (1e-200
    times a count gives a ratio interval of (1, 1)), or the fit overflows.

    Raises
    ------
    DataError
        Naming the column, the first offending value and its row, and what to use instead.

    Examples
    --------
    >>> check_counts(np.array([3.0, np.nan, 4.0]), "n", "poisson")
    >>> check_counts(np.array([3.0, 0.5]), "n", "negbin")
    Traceback (most recent call last):
    ...
    spamlab.errors.DataError: family='negbin' models counts, but column 'n' holds a non-integer value (0.5 at row 1); its variance has an absolute scale, so its intervals would depend on the unit of 'n'. Use family='quasipoisson' (the same ratio, with intervals that do not depend on the unit) or family='gaussian' with transform='log'
    """
    if np.nanmin(y) < 0:
        return  # the fit refuses negative values first, with its own message
    large = np.flatnonzero(y > COUNT_MAX)
    fractional = np.flatnonzero(np.isfinite(y) & (y != np.round(y)))
    if not len(large) and not len(fractional):
        return
    if len(large):
        row = int(large[0])
        what = (f"a value above 2**53 ({y[row]:.3g} at row {row}; the largest is "
                f"{np.nanmax(y):.3g}), beyond which a float holds no exact count")
    else:
        row = int(fractional[0])
        what = f"a non-integer value ({y[row]:.6g} at row {row})"
    raise DataError(f"family={family!r} models counts, but column {column!r} holds {what}; its "
                    f"variance has an absolute scale, so its intervals would depend on the unit "
                    f"of {column!r}. Use family='quasipoisson' (the same ratio, with intervals "
                    "that do not depend on the unit) or family='gaussian' with transform='log'")


def covariate_units(frame: pd.DataFrame, covariates: tuple[str, ...]) -> dict[str, float]:
    """The unit each covariate is fitted in: the median size of its non-zero values (1 when
    there are none; columns that are missing or not numbers are left to the design's checks).

    Examples
    --------
    >>> covariate_units(pd.DataFrame({"c": [0.0, 2.0, 4.0], "d": [0.0, 0.0, 0.0]}), ("c", "d"))
    {'c': 3.0, 'd': 1.0}
    """
    units = {}
    for name in covariates:
        if name in frame.columns:
            values = np.abs(pd.to_numeric(frame[name], errors="coerce").to_numpy(float))
            values = values[np.isfinite(values) & (values > 0)]
            units[name] = float(np.median(values)) if len(values) else 1.0
    return units


def divided(series: PreparedSeries, unit: float, covariates: dict[str, float]) -> PreparedSeries:
    """``series`` with its outcome divided by ``unit`` and each covariate by its unit (the
    exposure as it is: it enters as ``log(exposure)``, where a unit is an intercept shift)."""
    frame = series.frame.assign(**{name: pd.to_numeric(series.frame[name], errors="coerce") / c
                                   for name, c in covariates.items()})
    return dataclasses.replace(series, y=series.y / unit, frame=frame)


def to_data_units(res: ITSResult, unit: float, y: np.ndarray, covariates: dict[str, float]
                  ) -> ITSResult:
    """The result of a fit to ``y / unit`` (covariates divided by their ``covariates`` units)
    expressed in the data's units (module docstring); ``y`` is the outcome as given (the
    ``observed`` column, exactly).

    ``res.unit`` records ``unit``: ``contrast_inference`` and ``model_result`` stay in the
    fitted units (``contrast_inference`` takes weights for the coefficients in the data's
    units); ``cov`` is mapped (on the difference scale it is multiplied by ``unit**2``,
    which over- or underflows for data beyond about 1e+-150: use
    :meth:`~spamlab.its.results.ITSResult.contrast`, which works in the fitted unit).
    """
    fitted = res.contrast_inference or _from_cov(res.cov.to_numpy(), res.df_resid)
    per = pd.Series(1.0, index=res.params.index)  # a coefficient in the data's units is
    per[list(covariates)] = list(covariates.values())  # the fitted one / its covariate's unit
    divisors = per.to_numpy()

    def inference(weights: np.ndarray) -> tuple[float, float | None]:
        return fitted(np.asarray(weights, dtype=float) / divisors)

    log_scale = res.spec.log_scale
    linear = 1.0 if log_scale else unit
    effects, extra = res.effects.copy(), res.inference.copy()
    if not log_scale:
        effects[["estimate", "ci_low", "ci_high"]] *= unit
    extra[["coef", "std_err"]] *= linear
    params = res.params / per * linear
    if log_scale and "const" in params.index:
        params["const"] += np.log(unit)
    with np.errstate(over="ignore", under="ignore"):  # inf or 0 beyond about 1e+-154
        cov = res.cov / np.outer(divisors, divisors) * linear * linear
    return dataclasses.replace(
        res, effects=effects, inference=extra, params=params, cov=cov,
        counterfactual=(res.counterfactual * unit).assign(observed=y),
        mean_band=res.mean_band * unit, contrast_inference=inference, unit=unit)


def _from_cov(cov: np.ndarray, df: float | None) -> ContrastInference:
    """``weights -> (weights' cov weights, df)``: the default contrast inference."""
    def contrast(weights: np.ndarray) -> tuple[float, float | None]:
        return float(weights @ cov @ weights), df
    return contrast
