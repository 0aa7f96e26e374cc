"""The ITS model as one object: every model option with its default, validated once.

:class:`Specification` is the one place where the defaults of :func:`spamlab.its.fit`,
:func:`~spamlab.its.placebo`, :func:`~spamlab.its.sensitivity`, :func:`~spamlab.its.power`,
:func:`~spamlab.its.minimum_detectable_effect` and :func:`~spamlab.its.breakpoints`
live. Each of them takes ``spec=`` (a specification), the same options as keywords,
or both (keywords then override the specification's fields)::

    model = its.Specification(transform="log", seasonality="dow", errors="ar1")
    res = its.fit(data, y="volume", interruptions=["2011-03-16 14:45"], spec=model)
    iid = its.fit(data, y="volume", interruptions=["2011-03-16 14:45"], spec=model, errors="iid")

Examples
--------
>>> spec = Specification(transform="log", errors="ar1", seasonality=["dow"])
>>> spec.seasonality, spec.alpha, spec.log_scale
(('dow',), 0.05, True)
>>> resolve(spec, {"errors": "hac"}).errors
'hac'
>>> Specification(errors="garch")
Traceback (most recent call last):
...
spamlab.errors.ParameterError: errors='garch' is unknown; use 'iid', 'hac', 'hac(LAGS)', 'ar1', 'reml' or 'arma(p,q)'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from spamlab.errors import ParameterError
from spamlab.its.data import MIN_POST, MIN_PRE

__all__ = [
    "FAMILIES",
    "FIELD_NAMES",
    "METHODS",
    "Specification",
    "fourier_terms",
    "hac_lag_option",
    "parse_errors",
    "resolve",
    "seasonal_items",
]

FAMILIES: tuple[str, ...] = ("gaussian", "poisson", "quasipoisson", "negbin")
METHODS: tuple[str, ...] = ("segmented", "structural")


@dataclass(frozen=True, kw_only=True)
class Specification:
    """An interrupted-time-series model: what :func:`spamlab.its.fit` fits.

    Attributes
    ----------
    family
        ``"gaussian" | "poisson" | "quasipoisson" | "negbin"``.
    exposure
        Column whose log enters as offset (log link or ``transform="log"``).
    transform
        ``None`` or ``"log"`` (gaussian on ``log(y)``; effects are ratios).
    seasonality
        ``None | "dow" | "fourier:PERIOD:ORDER"`` or a list of these (kept as a tuple).
    slope_change
        Add a change-in-slope term per interruption (default: the standard segmented
        model, level and slope change; ``False`` for a level change only).
    errors
        ``"iid" | "hac" | "hac(LAGS)" | "ar1" | "reml" | "arma(p,q)"`` (``ar1``,
        ``reml`` and ``arma`` gaussian only). ``"hac"`` chooses the Newey-West lags by
        the Newey-West (1994) rule, ``"hac(1)"`` uses one lag (Turner et al. 2021's
        Newey-West). ``"reml"``: AR(1) errors with rho by REML, Kackar-Harville
        variance and Satterthwaite df (:mod:`spamlab.its.reml`).
    covariates
        Control series columns (a tuple).
    method
        ``"segmented"`` (regression) or ``"structural"`` (local level + seasonal state space).
    alpha
        Intervals are ``1 - alpha`` (default 95%).
    trend
        Include a linear trend (observation periods 1, 2, 3, ...).
    min_pre, min_post
        Minimum observed points before the first interruption and after each. On a
        monthly or coarser axis a pre-period shorter than ``min_pre`` (but at least
        :data:`~spamlab.its.data.MIN_PRE_COARSE`) gives a warning instead of an error.
    small_sample
        Small-sample corrections for ``errors="hac"`` and gaussian ``"ar1"``
        (:mod:`spamlab.its.smallsample`), and for ``method="structural"`` effects
        that carry the variance parameters' uncertainty (:mod:`spamlab.its.structural`);
        ``False`` gives statsmodels' plain numbers.
    seed
        Seed of everything random: simulated count bands, power simulations.

    Raises
    ------
    ParameterError
        On construction, for any invalid option or combination; the message names it.
    """

    family: str = "gaussian"
    exposure: str | None = None
    transform: str | None = None
    seasonality: str | tuple[str, ...] | None = None
    slope_change: bool = True
    errors: str = "iid"
    covariates: tuple[str, ...] = ()
    method: str = "segmented"
    alpha: float = 0.05
    trend: bool = True
    min_pre: int = MIN_PRE
    min_post: int = MIN_POST
    small_sample: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.seasonality, Sequence) and not isinstance(self.seasonality, str):
            object.__setattr__(self, "seasonality", tuple(self.seasonality))
        covariates = self.covariates
        object.__setattr__(self, "covariates",
                           (covariates,) if isinstance(covariates, str) else tuple(covariates))
        _check_types(self)
        _check_options(self)
        if self.method == "structural":
            _check_structural(self)
        else:
            _check_segmented(self)

    @property
    def error_structure(self) -> tuple[str, tuple[int, int]]:
        """``errors`` split into its kind and ARMA order (see :func:`parse_errors`)."""
        return parse_errors(self.errors)

    @property
    def hac_lags(self) -> int | None:
        """The lags of ``errors="hac(LAGS)"``; ``None`` for the automatic rule (or no HAC)."""
        return hac_lag_option(self.errors)

    @property
    def log_scale(self) -> bool:
        """Whether effects are ratios (log link or ``transform="log"``)."""
        return self.transform == "log" or self.family != "gaussian"


FIELD_NAMES: frozenset[str] = frozenset(f.name for f in fields(Specification))


def resolve(spec: Specification | None, overrides: Mapping[str, Any]) -> Specification:
    """``spec`` (default: every default) with ``overrides`` (fields of :class:`Specification`).

    Raises
    ------
    ParameterError
        For an ``overrides`` key that is not a model option, or a ``spec`` of another type.
    """
    unknown = sorted(set(overrides) - FIELD_NAMES)
    if unknown:
        raise ParameterError(f"unknown model option(s) {unknown}; the options are "
                             f"{sorted(FIELD_NAMES)}")
    if spec is None:
        return Specification(**overrides)
    if not isinstance(spec, Specification):
        raise ParameterError(f"spec= must be an its.Specification, got {type(spec).__name__}")
    return replace(spec, **overrides) if overrides else spec


def parse_errors(errors: str) -> tuple[str, tuple[int, int]]:
    """Split an ``errors`` option into its kind and ARMA order.

    Examples
    --------
    >>> parse_errors("arma(2,1)")
    ('arma', (2, 1))
    >>> parse_errors("ar1")
    ('ar1', (1, 0))
    """
    text = str(errors).replace(" ", "").lower()
    if text in ("iid", "hac"):
        return text, (0, 0)
    if text == "reml":
        return "reml", (1, 0)
    if hac_lag_option(text) is not None:
        return "hac", (0, 0)
    if text == "ar1":
        return "ar1", (1, 0)
    match = re.fullmatch(r"arma\((\d+),(\d+)\)", text)
    if match and int(match[1]) + int(match[2]) > 0:
        return "arma", (int(match[1]), int(match[2]))
    raise ParameterError(f"errors={errors!r} is unknown; use 'iid', 'hac', 'hac(LAGS)', 'ar1', "
                         "'reml' or 'arma(p,q)'")


def hac_lag_option(errors: str) -> int | None:
    """The lag count of ``"hac(LAGS)"`` (``LAGS >= 0``), else ``None``.

    Examples
    --------
    >>> hac_lag_option("hac(1)"), hac_lag_option("hac")
    (1, None)
    """
    match = re.fullmatch(r"hac\((\d+)\)", str(errors).replace(" ", "").lower())
    return int(match[1]) if match else None


def seasonal_items(seasonality: str | Sequence[str] | None) -> tuple[str, ...]:
    """The seasonal terms of a ``seasonality`` option, each checked.

    Examples
    --------
    >>> seasonal_items(["dow", "fourier:30.5:1"])
    ('dow', 'fourier:30.5:1')
    """
    items = () if seasonality is None else (
        (seasonality,) if isinstance(seasonality, str) else tuple(seasonality))
    for item in items:
        if item != "dow":
            fourier_terms(item)
    return items


def fourier_terms(item: object) -> tuple[float, int]:
    """``(PERIOD, ORDER)`` of a ``"fourier:PERIOD:ORDER"`` item (PERIOD in observation periods).

    Examples
    --------
    >>> fourier_terms("fourier:7:2")
    (7.0, 2)
    """
    if not (isinstance(item, str) and item.startswith("fourier:")):
        raise ParameterError(f"seasonality {item!r} is unknown; use None, 'dow', "
                             "'fourier:PERIOD:ORDER' or a list of these")
    parts = item.split(":")
    try:
        period, order = float(parts[1]), int(parts[2])
        if len(parts) != 3 or period <= 1 or order < 1 or 2 * order > period:
            raise ValueError
    except (ValueError, IndexError):
        raise ParameterError(f"seasonality {item!r}: expected 'fourier:PERIOD:ORDER' with "
                             "PERIOD > 1 observation periods and 1 <= ORDER <= PERIOD/2") from None
    return period, order


def _check_types(spec: Specification) -> None:
    for name in ("slope_change", "trend", "small_sample"):
        if not isinstance(getattr(spec, name), (bool, np.bool_)):
            raise ParameterError(f"{name}={getattr(spec, name)!r} must be True or False")
    for name in ("min_pre", "min_post", "seed"):
        value = getattr(spec, name)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ParameterError(f"{name}={value!r} must be a whole number >= 0")
    if spec.exposure is not None and not isinstance(spec.exposure, str):
        raise ParameterError(f"exposure={spec.exposure!r} is not a column name")
    for column in spec.covariates:
        if not isinstance(column, str):
            raise ParameterError(f"covariates: {column!r} is not a column name")


def _check_options(spec: Specification) -> None:
    if not isinstance(spec.alpha, (int, float, np.floating)) or not 0 < spec.alpha < 1:
        raise ParameterError(f"alpha={spec.alpha!r} must be between 0 and 1")
    if spec.method not in METHODS:
        raise ParameterError(f"method={spec.method!r} is unknown; use one of {list(METHODS)}")
    if spec.family not in FAMILIES:
        raise ParameterError(f"family={spec.family!r} is unknown; use one of {list(FAMILIES)}")
    if spec.transform not in (None, "log"):
        raise ParameterError(f"transform={spec.transform!r} is unknown; use None or 'log'")
    parse_errors(spec.errors)
    seasonal_items(spec.seasonality)


def _check_segmented(spec: Specification) -> None:
    kind, _ = spec.error_structure
    if spec.transform == "log" and spec.family != "gaussian":
        raise ParameterError(f"transform='log' applies to family='gaussian' only; "
                             f"family={spec.family!r} already has a log link")
    if spec.family != "gaussian" and kind in ("ar1", "reml", "arma"):
        raise ParameterError(f"errors={kind!r} is available for family='gaussian' only; for "
                             f"family={spec.family!r} use errors='hac' (or gaussian with "
                             "transform='log')")
    if spec.exposure is not None and not spec.log_scale:
        raise ParameterError("exposure= needs a log scale: use a count family or transform='log'")


def _check_structural(spec: Specification) -> None:
    if spec.family != "gaussian":
        raise ParameterError(f"method='structural' is gaussian only (family={spec.family!r}); "
                             "use transform='log' for multiplicative effects")
    if spec.exposure is not None and spec.transform != "log":
        raise ParameterError("exposure= needs transform='log' with method='structural'")
    kind, order = spec.error_structure
    if kind in ("hac", "reml") or (kind == "arma" and order[1] > 0):
        raise ParameterError(f"errors={spec.errors!r} is not available with "
                             "method='structural'; use 'iid', 'ar1' or 'arma(p,0)'")
