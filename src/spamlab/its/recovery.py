"""Recovery after an interruption: when the fall has come back by a share, and how much had.

In the segmented model the gap between observed and counterfactual ``t`` periods after an
interruption is ``gap(t) = level + slope * t`` (:meth:`~spamlab.its.results.ITSResult.effect_at`:
``level`` the level change, ``slope`` the slope change, ``t`` the periods elapsed since the
interruption moment, measured at the start of each observation as in the design's
``slope[...]`` column: 0 is the first whole period after it). A fall (``level < 0``) has
come back by a share ``s`` when ``gap(t) = (1 - s) * level``, that is at

    t_s = -s * level / slope         (s = 0.5: half of the fall has come back),

and the share back at the last observed period ``T`` is ``-T * slope / level``. Both are
ratios of linear contrasts of the coefficients; their intervals invert the fit's own test of
the contrast that vanishes at the candidate value (Fieller's theorem), here
``s * level + t * slope = 0`` and ``r * level + T * slope = 0``, each with the variance and
t degrees of freedom :meth:`~spamlab.its.results.ITSResult.contrast` gives that contrast
(every error model, with its small-sample corrections). The set of candidates the test does
not reject can be a bounded interval, a ray (``t`` from some time on, "not recovering within
the data": the slope change is not significantly positive), the whole half-line, or, for the
share, two rays when the fall itself is not significant. A recovery time of ``inf`` means
"never": the fitted gap does not close (``slope <= 0``).

On a log scale (``transform="log"``, log-link families) the gap is the log ratio, and the
shares are shares of the log-gap: half of a fall to a ratio of 0.6 has come back when the
ratio is ``0.6 ** 0.5 = 0.77``.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from spamlab import its
>>> days = pd.date_range("2011-01-01", periods=120)
>>> t = np.arange(120.0)
>>> gap = np.where(t >= 60, -10 + 0.2 * (t - 60), 0.0)
>>> frame = pd.DataFrame({"v": 50 + gap + np.sin(t)}, index=days)
>>> res = its.fit(frame, y="v", interruptions=["2011-03-02"])
>>> rec = res.recovery(share=0.5)
>>> round(rec.estimate), rec.unit, rec.bounded
(25, 'days', True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import optimize

from spamlab.errors import ParameterError
from spamlab.its import data as its_data
from spamlab.its.counterfactual import critical_value

if TYPE_CHECKING:
    from spamlab.its.results import ITSResult

__all__ = [
    "GRID",
    "UNIT_NAMES",
    "Pieces",
    "RecoveredShare",
    "Recovery",
    "Test",
    "Weights",
    "confidence_set",
    "period_unit",
    "recovered_share",
    "recovery",
]

Weights = tuple[float, float]
"""Weights of (level change, slope change) in a contrast."""
Test = Callable[[Weights], tuple[float, float, float | None]]
"""``weights -> (coef, std_err, df)`` of a contrast of the level and slope change."""
Pieces = tuple[tuple[float, float], ...]
GRID: int = 24
"""Evenly spaced angles at which the test is evaluated before the roots are refined."""


@dataclass(frozen=True)
class Recovery:
    """When the fall at an interruption has come back by ``share``.

    Attributes
    ----------
    share
        The share of the fall (of the gap at the interruption) that has come back.
    estimate
        Periods after the interruption at which the fitted gap has closed by ``share``
        (``inf``: never, the slope change is not positive).
    ci_low, ci_high
        The smallest and largest time of the ``1 - alpha`` confidence set (``ci_high`` is
        ``inf`` when the set reaches "never"; both ``inf`` when only "never" is left).
    unit
        What a period is: ``'days'``, ``'weeks'``, ``'months'``, ... or ``'periods'``.
    bounded
        Whether the set is bounded (``ci_high`` finite). ``False``: not recovering within
        the data at this level.
    shape
        ``'bounded'``, ``'unbounded above'`` (from ``ci_low`` on), ``'unbounded'`` (from 0
        on: the data cannot say) or ``'never'`` (the gap significantly widens).
    status
        One line on what the interval says (extrapolation, significance).
    scale
        ``'difference'`` (the outcome's unit) or ``'log'`` (shares of the log-ratio gap).
    interruption
        Its label.
    last_horizon
        Periods from the interruption to the last observed period (the data's reach).
    alpha
        ``1 - confidence level``.
    pieces
        The confidence set as disjoint intervals ``(low, high)``; more than one when it has a hole.
    """

    share: float
    estimate: float
    ci_low: float
    ci_high: float
    unit: str
    bounded: bool
    shape: str
    status: str
    scale: str
    interruption: str
    last_horizon: float
    alpha: float
    pieces: Pieces

    def describe(self) -> str:
        """One sentence: the estimate, its interval and what they mean."""
        return _describe_recovery(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (``inf`` as ``None``)."""
        return _json_ready(self)


@dataclass(frozen=True)
class RecoveredShare:
    """The share of the fall at an interruption that had come back at the last observed period.

    Attributes
    ----------
    estimate
        ``-horizon * slope / level``: 0 nothing back, 1 all of it, above 1 overshoot,
        below 0 a deeper fall.
    ci_low, ci_high
        Bounds of the ``1 - alpha`` confidence set (``-inf, inf`` when it is unbounded).
    bounded
        Whether the set is a bounded interval.
    shape
        ``'bounded'``, ``'two rays'`` (all but ``pieces``' gap: the fall is not
        significant) or ``'unbounded'``.
    status
        One line on what the interval says.
    scale
        ``'difference'`` or ``'log'`` (share of the log-ratio gap).
    interruption
        Its label.
    horizon
        Periods from the interruption to the last observed period.
    unit
        What a period is (``'days'``, ...).
    at
        The last observed period's label.
    alpha
        ``1 - confidence level``.
    pieces
        The confidence set as disjoint intervals.
    """

    estimate: float
    ci_low: float
    ci_high: float
    bounded: bool
    shape: str
    status: str
    scale: str
    interruption: str
    horizon: float
    unit: str
    at: str
    alpha: float
    pieces: Pieces

    def describe(self) -> str:
        """One sentence: the share back, its interval and the scale."""
        return _describe_share(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (``inf`` as ``None``)."""
        return _json_ready(self)


def recovery(res: ITSResult, share: float = 0.5, interruption: int | str = 0) -> Recovery:
    """Time after ``interruption`` at which the gap has closed by ``share``, with its
    Fieller interval (module docstring).

    Parameters
    ----------
    res
        A fit with a slope change at ``interruption``.
    share
        In ``(0, 1]``: 0.5 when half of the fall has come back, 1 when all of it has.
    interruption
        Position or label of the interruption.

    Raises
    ------
    ParameterError
        For a ``share`` outside ``(0, 1]``, a fit without a slope change, or a level change
        that is not a fall.
    """
    share = _share(share)
    gap = _gap(res, interruption)
    horizon, _ = _last_observed(res, gap.label)
    level, slope = gap.estimates
    estimate = -share * level / slope if slope > 0 else np.inf
    scale_t = share * max(abs(level), gap.std_errs[0]) / max(abs(slope), gap.std_errs[1])
    pieces = confidence_set(gap.test, (share, 0.0), (0.0, 1.0), scale_t, 0.0, res.alpha)
    if slope <= 0 and not (pieces and np.isinf(pieces[-1][1])):
        pieces = (*pieces, (np.inf, np.inf))  # "never": the fitted gap does not close
    low, high = _hull(pieces)
    shape = ("bounded" if np.isfinite(high) else "never" if np.isinf(low)
             else "unbounded above" if low > 0 else "unbounded")
    unit = period_unit(res.counterfactual.index)
    return Recovery(
        share=share, estimate=float(estimate), ci_low=low, ci_high=high, unit=unit,
        bounded=bool(np.isfinite(high)), shape=shape,
        status=_recovery_status(shape, estimate, high, horizon, len(pieces), unit),
        scale=gap.scale, interruption=gap.label, last_horizon=horizon, alpha=res.alpha,
        pieces=pieces)


def recovered_share(res: ITSResult, interruption: int | str = 0) -> RecoveredShare:
    """The share of the fall at ``interruption`` that had come back at the last observed
    period, with its Fieller interval (module docstring).

    Raises
    ------
    ParameterError
        For a fit without a slope change, or a level change that is not a fall.
    """
    gap = _gap(res, interruption)
    horizon, at = _last_observed(res, gap.label)
    level, slope = gap.estimates
    scale_r = horizon * max(abs(slope), gap.std_errs[1]) / max(abs(level), gap.std_errs[0])
    pieces = confidence_set(gap.test, (0.0, horizon), (1.0, 0.0), scale_r, -np.pi / 2,
                            res.alpha)
    low, high = _hull(pieces)
    shape = ("bounded" if np.isfinite([low, high]).all()
             else "two rays" if len(pieces) == 2 else "unbounded")
    return RecoveredShare(
        estimate=float(-horizon * slope / level), ci_low=low, ci_high=high,
        bounded=shape == "bounded", shape=shape, status=_share_status(shape, low, high, pieces),
        scale=gap.scale, interruption=gap.label, horizon=horizon,
        unit=period_unit(res.counterfactual.index), at=str(its_data.moment_label(at)),
        alpha=res.alpha, pieces=pieces)


@dataclass(frozen=True)
class _Gap:
    """The level and slope change of one interruption and the fit's test of their contrasts."""

    label: str
    estimates: tuple[float, float]
    std_errs: tuple[float, float]
    scale: str
    test: Test


def _gap(res: ITSResult, interruption: int | str) -> _Gap:
    """The interruption's terms, refusing a fit without a slope change or a level rise."""
    row = res.level_change(interruption)
    label = str(row["interruption"])
    names = {kind: column for name, kind, column in res.terms if name == label}
    if "slope_change" not in names:
        raise ParameterError(f"interruption {label!r}: the model has no slope change there "
                             "(slope_change=False), so the fitted gap never closes and no "
                             "recovery can be estimated; fit with slope_change=True")
    level, slope = (float(res.params[names[k]]) for k in ("level_change", "slope_change"))
    scale = "log" if res.spec.log_scale else "difference"
    if not level < 0:
        shown = f"ratio {np.exp(level):.4g}" if scale == "log" else f"{level:.4g}"
        raise ParameterError(f"interruption {label!r}: the level change is {shown}, not a fall, "
                             "so there is no fall to recover from; recovery needs a level "
                             "change below 0 (a ratio below 1)")
    test = _contrast_test(res, names["level_change"], names["slope_change"])
    errs = tuple(test(w)[1] for w in ((1.0, 0.0), (0.0, 1.0)))
    return _Gap(label, (level, slope), (errs[0], errs[1]), scale, test)


def _contrast_test(res: ITSResult, level: str, slope: str) -> Test:
    """The fit's own test of ``w[0] * level + w[1] * slope``: the coefficient, standard
    error and df :meth:`~spamlab.its.results.ITSResult.contrast` reports for it (same
    ``contrast_inference`` and unit; without building its table row, as the scan evaluates
    it dozens of times)."""
    names = list(res.params.index)
    where = [names.index(level), names.index(slope)]
    coefs = res.params.to_numpy()[where]
    unit = 1.0 if res.spec.log_scale else res.unit  # contrast_inference's unit

    def test(weights: Weights) -> tuple[float, float, float | None]:
        if res.contrast_inference is None:
            w = np.asarray(weights)
            return float(w @ coefs), float(np.sqrt(max(w @ res.cov.to_numpy()[np.ix_(
                where, where)] @ w, 0.0))), res.df_resid
        vector = np.zeros(len(names))
        vector[where] = weights
        variance, df = res.contrast_inference(vector)
        return float(vector[where] @ coefs), unit * float(np.sqrt(max(variance, 0.0))), df
    return test


def confidence_set(test: Test, base: Weights, direction: Weights, spread: float, start: float,
                   alpha: float) -> Pieces:
    """The values ``x`` whose contrast ``base + x * direction`` the ``test`` does not reject
    at level ``alpha`` (a generalized Fieller set), as disjoint intervals.

    ``x = spread * tan(phi)`` for angles ``phi`` from ``start`` (``0``: ``x >= 0``;
    ``-pi/2``: all ``x``) to ``pi/2`` (``x = inf``), where the contrast is proportional to
    ``cos(phi) * base + sin(phi) * spread * direction``. The test is evaluated on a grid of
    angles, the Fieller roots of its quadratic approximation added, and each sign change of
    ``t^2 - crit^2`` refined by Brent's method. ``spread`` should be the size of a typical
    ``x`` (it spreads the grid where the roots are).

    Examples
    --------
    The ratio ``a / b`` of independent normal estimates ``a = 2`` (se 0.5) and ``b = 1``
    (se 0.1): ``(2 - x)^2 <= 1.96^2 (0.25 + 0.01 x^2)`` holds from 1.001 to 3.159.

    >>> def normal(w):
    ...     return 2 * w[0] + w[1], float(np.hypot(0.5 * w[0], 0.1 * w[1])), None
    >>> [tuple(round(v, 3) for v in piece)
    ...  for piece in confidence_set(normal, (1.0, 0.0), (0.0, -1.0), 2.0, 0.0, 0.05)]
    [(1.001, 3.159)]
    """
    def statistic(phi: float) -> float:
        weights = _along(base, direction, spread, phi)
        coef, se, df = test(weights)
        return (coef / se) ** 2 - critical_value(alpha, df) ** 2 if se > 0 else np.inf

    angles = np.unique(np.r_[np.linspace(start, np.pi / 2, GRID + 1),
                             _fieller_angles(test, base, direction, spread, start, alpha)])
    values = np.array([statistic(phi) for phi in angles])
    inside = values <= 0
    edges = [float(optimize.brentq(statistic, angles[i], angles[i + 1], xtol=1e-12))
             for i in np.flatnonzero(inside[:-1] != inside[1:])]
    bounds = np.r_[angles[0], edges, angles[-1]]
    starts_inside = bool(inside[0])
    pieces = [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)
              if (i % 2 == 0) == starts_inside]
    return tuple((_value(a, spread), _value(b, spread)) for a, b in pieces)


def _along(base: Weights, direction: Weights, spread: float, phi: float) -> Weights:
    """The contrast at angle ``phi`` (see :func:`confidence_set`)."""
    c, s = np.cos(phi), np.sin(phi) * spread
    return (c * base[0] + s * direction[0], c * base[1] + s * direction[1])


def _value(phi: float, spread: float) -> float:
    """``spread * tan(phi)``, exactly infinite at ``+-pi/2``."""
    if np.isclose(abs(phi), np.pi / 2, rtol=0, atol=1e-15):
        return float(np.sign(phi) * np.inf)
    return float(spread * np.tan(phi))


def _fieller_angles(test: Test, base: Weights, direction: Weights, spread: float,
                    start: float, alpha: float) -> np.ndarray:
    """Angles of the roots of Fieller's quadratic in ``x`` (variances of ``base``,
    ``direction`` and their sum; the ``direction``'s df), as extra grid points."""
    (cb, sb, _), (cd, sd, df) = test(base), test(direction)
    _, s_sum, _ = test((base[0] + direction[0], base[1] + direction[1]))
    cov = (s_sum**2 - sb**2 - sd**2) / 2
    crit2 = critical_value(alpha, df) ** 2
    quadratic = [cd**2 - crit2 * sd**2, 2 * (cb * cd - crit2 * cov), cb**2 - crit2 * sb**2]
    roots = np.roots(quadratic) if np.any(quadratic) else np.array([])
    real = roots[np.isreal(roots)].real
    angles = np.arctan(real / spread)
    return angles[(angles > start) & (angles < np.pi / 2)]


def _hull(pieces: Pieces) -> tuple[float, float]:
    """Smallest and largest value of the set (NaN when it is empty)."""
    if not pieces:
        return np.nan, np.nan
    return float(pieces[0][0]), float(pieces[-1][1])


def _share(share: object) -> float:
    try:
        value = float(share)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = np.nan
    if not 0 < value <= 1:
        raise ParameterError(f"share={share!r}: give the share of the fall that has come back, "
                             "above 0 and at most 1 (0.5: half of it)")
    return value


def _last_observed(res: ITSResult, label: str) -> tuple[float, object]:
    """Periods from the interruption ``label`` to the start of the last observed period
    (the design's ``slope[...]`` value there) and that period's label."""
    observed = res.counterfactual[["observed"]]
    series = its_data.prepare(observed, "observed", [label], min_pre=0, min_post=0)
    last = int(np.flatnonzero(np.isfinite(series.y))[-1])
    return float(series.elapsed(0)[last]), observed.index[last]


UNIT_NAMES: tuple[tuple[type, str], ...] = (
    (pd.offsets.Day, "days"), (pd.offsets.Week, "weeks"), (pd.offsets.MonthBegin, "months"),
    (pd.offsets.MonthEnd, "months"), (pd.offsets.QuarterBegin, "quarters"),
    (pd.offsets.QuarterEnd, "quarters"), (pd.offsets.YearBegin, "years"),
    (pd.offsets.YearEnd, "years"), (pd.offsets.Hour, "hours"), (pd.offsets.Minute, "minutes"),
)
"""Names of one period of the common regular frequencies."""


def period_unit(index: pd.Index) -> str:
    """What one period of ``index`` is: ``'days'``, ``'weeks'``, ... or ``'periods'``.

    Examples
    --------
    >>> period_unit(pd.date_range("2011-01-02", periods=4, freq="W"))
    'weeks'
    >>> period_unit(pd.RangeIndex(5))
    'periods'
    >>> period_unit(pd.date_range("2011-01-01", periods=4, freq="2D"))
    'periods of 2D'
    """
    if not isinstance(index, pd.DatetimeIndex):
        return "periods"
    freq = its_data.frequency(index)
    if freq is None:
        return "periods"
    if freq.n != 1:
        return f"periods of {freq.freqstr}"
    return next((name for kind, name in UNIT_NAMES if isinstance(freq, kind)),
                f"periods of {freq.freqstr}")


def _recovery_status(shape: str, estimate: float, high: float, horizon: float, pieces: int,
                     unit: str) -> str:
    reach = f"the data reach {horizon:.4g} {unit} after the interruption"
    if shape == "never":
        return ("not recovering: the slope change is significantly negative, the gap widens; "
                "no recovery time is consistent with the data")
    if shape == "unbounded":
        return ("not recovering within the data, and the fall itself is not significant: "
                "the data cannot say when it comes back" + ("" if pieces == 1 else
                                                           " (the set has a hole)"))
    if shape == "unbounded above":
        return ("not recovering within the data: the slope change is not significantly "
                f"positive, so the interval has no upper end; {reach}")
    if high <= horizon:
        return f"recovered within the data ({reach})"
    what = "the estimate and the upper end lie" if estimate > horizon else "the upper end lies"
    return f"recovering, but {what} beyond the data ({reach}): the fitted line is extrapolated"


def _share_status(shape: str, low: float, high: float, pieces: Pieces) -> str:
    if shape == "two rays":
        gap = f"{pieces[0][1]:.3g} to {pieces[1][0]:.3g}"
        return (f"the fall is not significant, so the share is unbounded; the set excludes "
                f"only {gap}")
    if shape == "unbounded":
        return "the fall is not significant: the data cannot say how much came back"
    if low > 1:
        return "more than the whole fall had come back (above the counterfactual)"
    if high < 0:
        return "none had come back: the gap had widened"
    return ("some of the fall had come back" if low > 0 else
            "the interval includes 0: possibly nothing had come back")


def _scale_words(scale: str) -> str:
    return " (log scale: of the log-ratio gap)" if scale == "log" else ""


def _describe_recovery(rec: Recovery) -> str:
    what = f"{100 * rec.share:.3g}% of the fall at {rec.interruption}{_scale_words(rec.scale)}"
    what = what[0].upper() + what[1:]
    level = f"{100 * (1 - rec.alpha):.3g}%"
    if rec.shape == "never":
        return f"{what} is not coming back ({level} level): {rec.status}."
    interval = (f"{level} CI {rec.ci_low:.4g} to {rec.ci_high:.4g} {rec.unit}" if rec.bounded
                else f"{level} set: from {rec.ci_low:.4g} {rec.unit} to never")
    if np.isinf(rec.estimate):
        return (f"{what} does not come back on the fitted line, whose slope change is not "
                f"positive ({interval}); {rec.status}.")
    return (f"{what} comes back an estimated {rec.estimate:.4g} {rec.unit} after it "
            f"({interval}); {rec.status}.")


def _describe_share(rec: RecoveredShare) -> str:
    level = f"{100 * (1 - rec.alpha):.3g}%"
    interval = (f"{level} CI {100 * rec.ci_low:.3g}% to {100 * rec.ci_high:.3g}%" if rec.bounded
                else f"{level} set unbounded")
    return (f"By {rec.at} ({rec.horizon:.4g} {rec.unit} after {rec.interruption}), "
            f"{100 * rec.estimate:.3g}% of the fall{_scale_words(rec.scale)} had come back "
            f"({interval}); {rec.status}.")


def _json_ready(result: Recovery | RecoveredShare) -> dict[str, Any]:
    def clean(value: Any) -> Any:
        if isinstance(value, float):
            return value if np.isfinite(value) else None
        if isinstance(value, tuple):
            return [clean(v) for v in value]
        return value
    return {key: clean(value) for key, value in asdict(result).items()}
