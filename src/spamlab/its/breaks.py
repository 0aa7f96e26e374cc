"""Unknown break dates: least-squares (Bai-Perron) search with a minimum segment length.

Model: ``y_t = mu_j + z_t' gamma + e_t`` for ``t`` in segment ``j`` -- the level
shifts at each break; common regressors ``z`` (optional trend, seasonal terms)
do not. Breaks minimise the total sum of squared residuals subject to every
segment holding at least ``min_size`` observations (default 15% of the series,
the usual trimming).

* One break: every admissible date is scored in one batch (the residualised
  step regressor gives each candidate's SSR in closed form); ``sup_f`` is the
  largest F statistic of "one break" against "no break" (Andrews 1993).
* Several breaks: dynamic programming over segment SSRs (exact without common
  regressors). With common regressors, the partial-structural-change iteration
  of Bai & Perron (2003): alternate the break search on ``y - z' gamma`` and the
  estimate of ``gamma`` given the breaks until the breaks no longer move.
* Confidence set for each date, ``interval=``:

  - ``"lr"`` (default): every date at which the likelihood-ratio test of "the
    break is here" against the best date does not reject, with critical values
    from a parametric bootstrap under the fitted model
    (:func:`spamlab.its.breakset.likelihood_ratio_set`). With ``errors="hac"`` the
    data are whitened by the REML AR(1) coefficient (date integrated out), the
    bootstrap draws the coefficient around it, and the reported date is the
    least-squares date of the whitened data (the centre of the set; the set is
    searched between the neighbouring breaks). On the benchmark of
    ``docs/methods/break-dates.md`` it covered near the nominal rate for shifts of
    1 and 2 sd with the smallest sets among the methods that covered.
  - ``"inverted"``: every date at which a test of "the break is here"
    does not reject, in the manner of Elliott & Müller (2007)
    (:mod:`spamlab.its.breakset`); it keeps its coverage for small breaks, at the
    cost of wider sets (the default with ``errors="hac(L)"``, whose Bartlett
    long-run variance it uses).
  - ``"bai"``: Bai (1997), ``k_hat -/+ (floor(c / L) + 1)`` with
    ``L = delta^2 / sigma^2`` (shift over residual variance, or over the long-run
    variance with ``errors="hac"``) and ``c`` the ``1 - alpha/2`` quantile of
    ``argmax_s W(s) - |s|/2`` (two-sided Brownian motion), whose distribution
    function is known in closed form (``c = 11.03`` for 95%). Narrow, but it
    under-covers when the shift is small relative to the noise.

  With several breaks, each date's set is searched between its neighbours, the
  other breaks held fixed. ``errors="hac"``: the likelihood-ratio sets whiten by
  the same AR(1) coefficient as the inverted sets; the inverted sets are a feasible-GLS
  test under AR(1) errors (REML ``rho`` with the break date integrated out,
  Prais-Winsten whitening, critical values exact for the whitened design;
  :mod:`spamlab.its.breakset`); Bai's interval uses the AR(1)-prewhitened long-run
  variance with automatic bandwidth (:mod:`spamlab.its.longrun`). ``"hac(L)"``: the
  Bartlett long-run variance with ``L`` lags for both (not defined for ``"lr"``).
* The trend: ``trend="auto"`` (the default when neither ``trend`` nor ``spec`` is
  given) searches with a common linear trend only when it lowers the BIC of the
  least-squares break model with AR(1) errors (independent errors with
  ``errors="iid"``); the result says which model was used and both criteria
  (:attr:`BreakpointsResult.trend_selection`). A trend and a level shift are hard to
  tell apart, so a trend the data do not need widens the set a great deal.

Examples
--------
>>> import statsmodels.api as sm
>>> nile = sm.datasets.nile.load_pandas().data
>>> nile["year"] = nile["year"].astype(int)
>>> result = break_search(nile, y="volume", time="year", trend=False)
>>> int(result.table["break_at"].iloc[0]), result.sup_f > 20
(1899, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.regression.linear_model import OLS

from spamlab.errors import DataError, ParameterError
from spamlab.its import batched
from spamlab.its import data as its_data
from spamlab.its import design as its_design
from spamlab.its.breakset import integrated_rho, inverted_set, likelihood_ratio_set, rho_spread
from spamlab.its.longrun import bartlett_long_run_variance, prewhitened_long_run_variance
from spamlab.its.results import table_html
from spamlab.its.scaling import outcome_unit
from spamlab.its.specification import Specification, resolve

__all__ = [
    "INTERVALS",
    "MAX_ITER",
    "TABLE_COLUMNS",
    "BreakpointsResult",
    "argmax_quantile",
    "argmax_tail",
    "break_search",
    "breakpoints",
    "long_run_variance",
    "optimal_breaks",
    "scan_one_break",
    "segment_costs",
    "trend_bic",
]

MAX_ITER: int = 50
INTERVALS: tuple[str, ...] = ("lr", "inverted", "bai")
TABLE_COLUMNS: list[str] = ["break_at", "ci_low", "ci_high", "shift", "position", "set_size"]


def argmax_tail(x: float) -> float:
    """``P(V > x)`` for ``V = argmax_s W(s) - |s|/2`` (symmetric case of Bai 1997), ``x >= 0``.

    Examples
    --------
    >>> round(argmax_tail(0.0), 6)
    0.5
    """
    root = math.sqrt(x)
    return float(-math.sqrt(x / (2 * math.pi)) * math.exp(-x / 8)
                 - 1.5 * math.exp(x + stats.norm.logcdf(-1.5 * root))
                 + (x / 2 + 2.5) * stats.norm.cdf(-root / 2))


def argmax_quantile(alpha: float = 0.05) -> float:
    """``c`` with ``P(|V| > c) = alpha``: the half-width factor of Bai's interval.

    Examples
    --------
    >>> round(argmax_quantile(0.05), 1)
    11.0
    """
    return float(optimize.brentq(lambda x: argmax_tail(x) - alpha / 2, 1e-9, 500.0, xtol=1e-12))


@dataclass(frozen=True, eq=False)
class BreakpointsResult:
    """Estimated level breaks with a confidence set for each date.

    Attributes
    ----------
    table
        One row per break: ``break_at`` (first observation of the new regime),
        ``ci_low``, ``ci_high`` (the first and last date of its confidence set: the
        set's hull; the set need not be an interval), ``shift`` (new minus old
        level), ``position`` (row number among observed rows), ``set_size`` (number
        of dates in the confidence set, at most the hull's length).
    ssr
        Sum of squared residuals of the model with these breaks.
    sup_f
        With one break: the largest F statistic of "one break" against "no break"
        over all admissible dates (Andrews 1993); else ``None``.
    min_size
        Minimum observations per segment used.
    n_missing
        Missing outcomes skipped.
    interval
        The confidence-set method used (``"lr"``, ``"inverted"`` or ``"bai"``).
    trend
        Whether the search had a common linear trend.
    trend_selection
        With ``trend="auto"``: ``{"criterion": "BIC", "no_trend": ..., "trend": ...}``
        (lower is better; the trend is used when its BIC is lower); else ``None``.
    sets
        For each break (in table order), the time labels of the dates in its
        confidence set: the set itself, of which ``ci_low``/``ci_high`` are the hull.
    """

    table: pd.DataFrame
    ssr: float
    sup_f: float | None
    min_size: int
    n_missing: int
    interval: str = "lr"
    trend: bool = True
    trend_selection: dict[str, Any] | None = None
    sets: tuple[list[object], ...] = ()

    def __repr__(self) -> str:
        dates = ", ".join(str(d) for d in self.table["break_at"])
        sup_f = "" if self.sup_f is None else f", sup F = {self.sup_f:.4g}"
        return (f"BreakpointsResult: {len(self.table)} break(s) at {dates} "
                f"(min_size {self.min_size}{sup_f}); .table has the confidence sets")

    def summary(self) -> str:
        """Plain-language report: each break, its set and how the search was set up."""
        if self.trend_selection is None:
            how = "with a common linear trend" if self.trend else "without a trend"
        else:
            chosen = "trend" if self.trend else "no_trend"
            other = "no_trend" if self.trend else "trend"
            how = (f"{'with' if self.trend else 'without'} a common linear trend (chosen by "
                   f"BIC: {self.trend_selection[chosen]:.1f} against "
                   f"{self.trend_selection[other]:.1f})")
        lines = [(f"{len(self.table)} level break(s), searched {how}; "
                  f"{self.interval!r} confidence sets")]
        for _, row in self.table.iterrows():
            lines.append(f"break at {row['break_at']}: shift {row['shift']:.4g}, confidence "
                         f"set of {row['set_size']} dates between {row['ci_low']} and "
                         f"{row['ci_high']}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The table's rows and the search's settings as plain values."""
        return {"breaks": self.table.to_dict(orient="records"), "ssr": self.ssr,
                "sup_f": self.sup_f, "min_size": self.min_size, "n_missing": self.n_missing,
                "interval": self.interval, "trend": self.trend,
                "trend_selection": self.trend_selection, "sets": list(self.sets)}

    def _repr_html_(self) -> str:
        return table_html(repr(self), self.table)


def breakpoints(data: pd.DataFrame, *, y: str = "volume", n_breaks: int = 1,
                min_size: int | None = None, time: str | None = None,
                spec: Specification | None = None, batch: bool = True,
                interval: str | None = None, **model: Any) -> pd.DataFrame:
    """The table of :func:`break_search`: one row per break with its confidence set.

    Columns ``break_at`` (first observation of the new regime), ``ci_low``,
    ``ci_high``, ``shift``, ``position`` and ``set_size``; the arguments are those
    of :func:`break_search`, which also returns the scan's statistics.
    """
    return break_search(data, y=y, n_breaks=n_breaks, min_size=min_size, time=time,
                        spec=spec, batch=batch, interval=interval, **model).table


def break_search(data: pd.DataFrame, *, y: str = "volume", n_breaks: int = 1,
                 min_size: int | None = None, time: str | None = None,
                 spec: Specification | None = None, batch: bool = True,
                 interval: str | None = None, **model: Any) -> BreakpointsResult:
    """Estimate ``n_breaks`` level breaks and a confidence set for each date.

    Parameters
    ----------
    data, y, time
        As for :func:`spamlab.its.fit` (missing outcomes are skipped and counted).
    n_breaks
        Number of breaks to find.
    min_size
        Minimum observations per segment (default ``max(ceil(0.15 n), k + 2)``).
    spec, **model
        The model, as for :func:`spamlab.its.fit`. Its ``seasonality`` and ``trend``
        are the common (non-breaking) regressors, ``alpha`` sets the ``1 - alpha``
        confidence sets, and ``errors`` is ``"iid"`` (the residual variance),
        ``"hac"`` (serially correlated errors: the likelihood-ratio and inverted sets
        whiten by a REML AR(1) fit, Bai's interval uses the prewhitened long-run
        variance, which Bai (1997) allows) or ``"hac(L)"`` (Bartlett, ``L`` lags);
        wider sets when the noise is positively autocorrelated. The dates are the
        least-squares ones, except that with ``interval="lr"`` and ``errors="hac"``
        each is the least-squares date of the whitened data (feasible GLS) between
        its neighbours, the centre of its set. ``trend`` may also be ``"auto"``, the default when neither
        ``trend`` nor ``spec`` is given: a trend only when the BIC prefers it (module
        docstring). The search is a gaussian level-shift model on ``y``: other
        families, a transform, covariates, exposure and the structural method are
        refused; ``slope_change`` (a term of the fitted model at known dates) is not used.
    batch
        ``False`` scores one-break candidates with one statsmodels OLS fit each (reference).
    interval
        ``"lr"`` (inverted likelihood-ratio test with bootstrap critical values),
        ``"inverted"`` (Elliott & Müller 2007) or ``"bai"`` (Bai 1997); ``None``:
        ``"lr"``, or ``"inverted"`` with ``errors="hac(L)"``. See the module docstring;
        the coverage and widths of each are measured in ``benchmarks/breaks.py`` and
        reported in ``docs/methods/break-dates.md``. ``set_size`` counts the dates in
        the set; ``ci_low``/``ci_high`` are its hull (the set need not be an
        interval) and always include ``break_at``.

    Raises
    ------
    ParameterError
        ``n_breaks < 1``, a series too short for ``(n_breaks + 1) * min_size``, an
        unknown ``interval`` or ``trend``, ``interval="lr"`` with ``errors="hac(L)"``,
        or a model the search does not support.
    """
    trend_option = model.pop("trend", "auto" if spec is None else None)
    if trend_option not in (True, False, "auto", None):
        raise ParameterError(f"trend={trend_option!r}: use True, False or 'auto'")
    if trend_option is not None:
        model["trend"] = trend_option is True
    spec = resolve(spec, model)
    _check_model(spec)
    interval = _interval(interval, spec)
    series = its_data.prepare(data, y, (), time=time)
    observed = ~np.isnan(series.y)
    common = _common_regressors(series, spec)[observed]
    unit = outcome_unit(series.y, y, "gaussian")  # scale-free: squares of 1e160 overflow
    values = series.y[observed] / unit
    auto = trend_option == "auto"
    size = _check_sizes(len(values), n_breaks, min_size, common.shape[1] + auto)
    selection, used_trend = None, bool(spec.trend)
    if auto:
        with_trend = np.column_stack([series.starts[observed] + 1.0, common])
        selection = trend_bic(values, common, with_trend, n_breaks, size,
                              spec.error_structure[0] == "iid")
        used_trend = selection["trend"] < selection["no_trend"]
        common = with_trend if used_trend else common
    if n_breaks == 1:
        ssr = scan_one_break(values, common, size, batch=batch)
        breaks = [int(np.nanargmin(ssr))]
    else:
        breaks = _partial_change_breaks(values, common, n_breaks, size)
    table, sets = _confidence_table(values, common, breaks, series.index[observed], spec,
                                    size, interval)
    table["shift"] *= unit
    breaks = [int(k) for k in table["position"]]
    with np.errstate(over="ignore", under="ignore"):  # inf or 0 beyond about 1e+-154
        ssr_found = _ssr_given(values, common, breaks) * unit * unit
    return BreakpointsResult(table, ssr_found,
                             _sup_f(values, common, ssr) if n_breaks == 1 else None, size,
                             int((~observed).sum()), interval, used_trend, selection, sets)


def _interval(interval: str | None, spec: Specification) -> str:
    if interval is None:
        return "inverted" if spec.hac_lags is not None else "lr"
    if interval not in INTERVALS:
        raise ParameterError(f"interval={interval!r} is unknown; use one of {list(INTERVALS)}")
    if interval == "lr" and spec.hac_lags is not None:
        raise ParameterError(f"interval='lr' with errors={spec.errors!r}: the likelihood-ratio "
                             "sets model the errors as AR(1); use errors='hac', or "
                             "interval='inverted' or 'bai' for a Bartlett long-run variance")
    return interval


def trend_bic(values: np.ndarray, common: np.ndarray, with_trend: np.ndarray, n_breaks: int,
              size: int, iid: bool) -> dict[str, Any]:
    """BIC of the least-squares break model without and with a common linear trend.

    Each model's breaks are searched as in :func:`break_search`; its residuals ``e``
    give the gaussian log-likelihood with AR(1) errors (``rho`` the lag-1 least-squares
    coefficient of ``e``, exact likelihood with the stationary first observation;
    ``iid=True``: ``rho = 0``). ``BIC = -2 log L + p log n``, ``p`` counting the
    segment means, the common regressors, the dates, ``rho`` and the variance.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(100.0)
    >>> flat = rng.normal(size=100) + 2 * (t >= 50)
    >>> bic = trend_bic(flat, np.empty((100, 0)), t[:, None], 1, 15, False)
    >>> bic["no_trend"] < bic["trend"]
    True
    """
    out: dict[str, Any] = {"criterion": "BIC"}
    n = len(values)
    for name, design in (("no_trend", common), ("trend", with_trend)):
        if n_breaks == 1:
            breaks = [int(np.nanargmin(scan_one_break(values, design, size)))]
        else:
            breaks = _partial_change_breaks(values, design, n_breaks, size)
        resid = batched.ols(_segment_design(n, breaks, design), values).resid[0]
        rho = 0.0 if iid else float(np.clip(resid[1:] @ resid[:-1] / (resid[:-1] @ resid[:-1]),
                                            -0.98, 0.98))
        innovations = (1 - rho**2) * resid[0] ** 2 + np.sum((resid[1:] - rho * resid[:-1]) ** 2)
        params = 2 * n_breaks + 1 + design.shape[1] + (0 if iid else 1) + 1
        out[name] = float(n * math.log(innovations / n) - math.log(1 - rho**2)
                          + params * math.log(n))
    return out


def _check_model(spec: Specification) -> None:
    if spec.error_structure[0] not in ("iid", "hac"):
        raise ParameterError(f"errors={spec.errors!r}: breakpoints supports 'iid', 'hac' or "
                             "'hac(LAGS)'")
    default = Specification()
    for name in ("family", "transform", "covariates", "exposure", "method"):
        if getattr(spec, name) != getattr(default, name):
            raise ParameterError(f"{name}={getattr(spec, name)!r}: breakpoints searches level "
                                 f"shifts of a gaussian series; leave {name} at "
                                 f"{getattr(default, name)!r}")


def _common_regressors(series: its_data.PreparedSeries, spec: Specification) -> np.ndarray:
    """Trend and seasonal terms (no constant: each segment has its own mean), checked to
    be identified with a constant on the observed rows of a non-constant series."""
    columns = its_design.seasonal_columns(series, spec.seasonality)
    if spec.trend:
        columns = {"trend": series.starts + 1.0, **columns}
    observed = ~np.isnan(series.y)
    if np.ptp(series.y[observed]) == 0:
        raise DataError(f"breakpoints: every observed value of y is {series.y[observed][0]:.6g}; "
                        "a constant series has no break to find")
    its_design.check_identified(pd.DataFrame({"const": np.ones(len(observed)), **columns}),
                                observed)
    if not columns:
        return np.empty((len(series.y), 0))
    return np.column_stack(list(columns.values()))


def _check_sizes(n: int, n_breaks: int, min_size: int | None, k: int) -> int:
    if int(n_breaks) < 1:
        raise ParameterError(f"n_breaks={n_breaks!r} must be at least 1")
    size = int(min_size) if min_size is not None else max(math.ceil(0.15 * n), k + 2)
    if size < 2:
        raise ParameterError(f"min_size={min_size!r} must be at least 2")
    if (n_breaks + 1) * size > n:
        raise ParameterError(f"{n} observations cannot hold {n_breaks + 1} segments of "
                             f"min_size={size}; lower n_breaks or min_size")
    return size


def scan_one_break(values: np.ndarray, common: np.ndarray, size: int, batch: bool = True
                   ) -> np.ndarray:
    """SSR of the one-break model for every break position (NaN where inadmissible)."""
    n = len(values)
    positions = np.arange(size, n - size + 1)
    ssr = np.full(n, np.nan)
    if batch:
        steps = (np.arange(n)[None, :] >= positions[:, None]).astype(float)
        x = np.concatenate([np.ones((len(positions), n, 1)), steps[:, :, None],
                            np.broadcast_to(common, (len(positions), *common.shape))], axis=2)
        fit = batched.ols(x, values)
        ssr[positions] = np.einsum("kn,kn->k", fit.resid, fit.resid)
        return ssr
    for k in positions:
        x = np.column_stack([np.ones(n), np.arange(n) >= k, common])
        ssr[k] = OLS(values, x).fit().ssr
    return ssr


def _sup_f(values: np.ndarray, common: np.ndarray, ssr: np.ndarray) -> float:
    x0 = np.column_stack([np.ones(len(values)), common])
    ssr0 = float(np.sum(batched.ols(x0, values).resid ** 2))
    df = len(values) - x0.shape[1] - 1
    return float(np.nanmax((ssr0 - ssr) / (ssr / df)))


def segment_costs(values: np.ndarray) -> np.ndarray:
    """``cost[i, j]``: SSR of a constant fitted to ``values[i:j]`` (``inf`` when ``j <= i``)."""
    n = len(values)
    s1 = np.r_[0.0, np.cumsum(values)]
    s2 = np.r_[0.0, np.cumsum(values**2)]
    length = np.subtract.outer(np.arange(n + 1), np.arange(n + 1)).T.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cost = (s2[None, :] - s2[:, None]) - (s1[None, :] - s1[:, None]) ** 2 / length
    cost[length <= 0] = np.inf
    return cost


def optimal_breaks(values: np.ndarray, n_breaks: int, size: int) -> list[int]:
    """Exact least-squares break positions of a mean-shift model by dynamic programming."""
    n = len(values)
    cost = segment_costs(values)
    cost[np.subtract.outer(np.arange(n + 1), np.arange(n + 1)).T < size] = np.inf
    best = cost[0].copy()  # best[j]: one segment covering [0, j)
    choice = []
    for _ in range(n_breaks):
        total = best[:, None] + cost  # break at i, last segment [i, j)
        arg = np.argmin(total, axis=0)
        best = total[arg, np.arange(n + 1)]
        choice.append(arg)
    breaks, end = [], n
    for arg in reversed(choice):
        end = int(arg[end])
        breaks.append(end)
    return sorted(breaks)


def _partial_change_breaks(values: np.ndarray, common: np.ndarray, n_breaks: int,
                           size: int) -> list[int]:
    if common.shape[1] == 0:
        return optimal_breaks(values, n_breaks, size)
    gamma = batched.ols(np.column_stack([np.ones(len(values)), common]), values).params[0, 1:]
    breaks: list[int] = []
    for _ in range(MAX_ITER):
        new = optimal_breaks(values - common @ gamma, n_breaks, size)
        if new == breaks:
            break
        breaks = new
        gamma = batched.ols(_segment_design(len(values), breaks, common), values
                            ).params[0, len(breaks) + 1:]
    return breaks


def _segment_design(n: int, breaks: list[int], common: np.ndarray) -> np.ndarray:
    bounds = [0, *breaks, n]
    dummies = [(np.arange(n) >= a) & (np.arange(n) < b) for a, b in pairwise(bounds)]
    return np.column_stack([*dummies, common]).astype(float)


def _ssr_given(values: np.ndarray, common: np.ndarray, breaks: list[int]) -> float:
    fit = batched.ols(_segment_design(len(values), breaks, common), values)
    return float(np.sum(fit.resid**2))


def _confidence_table(values: np.ndarray, common: np.ndarray, breaks: list[int],
                      labels: pd.Index, spec: Specification, size: int, interval: str
                      ) -> tuple[pd.DataFrame, tuple[list[object], ...]]:
    """The table and the sets. With ``interval="lr"`` each date is the centre of its set:
    the least-squares date of the whitened data between its neighbours (the search's
    own date with ``errors="iid"``)."""
    n = len(values)
    masks = []
    if interval == "lr":
        found = [_window_lr_set(values, common, breaks, j, size, spec) for j in range(len(breaks))]
        masks, breaks = [mask for mask, _ in found], [date for _, date in found]
    fit = batched.ols(_segment_design(n, breaks, common), values)
    levels = fit.params[0, : len(breaks) + 1]
    rows, sets = [], []
    for j, k in enumerate(breaks):
        shift = float(levels[j + 1] - levels[j])
        if interval == "bai":
            inside = _bai_set(n, k, shift, fit.resid[0], fit.scale[0], spec)
        elif interval == "inverted":
            inside = _window_inverted_set(values, common, breaks, j, size, spec)
        else:
            inside = masks[j]
        inside[k] = True
        where = np.flatnonzero(inside)
        rows.append({"break_at": _label(labels[k]), "ci_low": _label(labels[where[0]]),
                     "ci_high": _label(labels[where[-1]]), "shift": shift, "position": k,
                     "set_size": len(where)})
        sets.append([_label(labels[i]) for i in where])
    return pd.DataFrame(rows, columns=TABLE_COLUMNS), tuple(sets)


def _bai_set(n: int, k: int, shift: float, resid: np.ndarray, scale: float,
             spec: Specification) -> np.ndarray:
    """Bai's (1997) interval as a mask over positions ``0..n-1``."""
    variance = float(scale) if spec.errors == "iid" else long_run_variance(resid, spec.hac_lags)
    half = math.floor(argmax_quantile(spec.alpha) / (shift**2 / variance)) + 1
    inside = np.zeros(n, dtype=bool)
    inside[max(k - half, 1): min(k + half, n - 1) + 1] = True
    return inside


def _window(breaks: list[int], j: int, n: int) -> tuple[int, int]:
    """The rows between the neighbours of break ``j``."""
    bounds = [0, *breaks, n]
    return bounds[j], bounds[j + 2]


def _window_lr_set(values: np.ndarray, common: np.ndarray, breaks: list[int], j: int,
                   size: int, spec: Specification) -> tuple[np.ndarray, int]:
    """The likelihood-ratio set of break ``j`` and its centre, searched between its
    neighbours (AR(1) coefficient estimated there with ``errors="hac"``)."""
    start, stop = _window(breaks, j, len(values))
    window, regressors = values[start:stop], common[start:stop]
    rho = spread = 0.0
    if spec.error_structure[0] != "iid":
        positions = np.arange(size, len(window) - size + 1)
        rho = float(integrated_rho(window[None], regressors, positions)[0])
        spread = rho_spread(rho, len(window))
    inside = np.zeros(len(values), dtype=bool)
    inside[start:stop], date = likelihood_ratio_set(window, regressors, size, rho, spec.alpha,
                                                    rho_sd=spread)
    return inside, start + date


def _window_inverted_set(values: np.ndarray, common: np.ndarray, breaks: list[int], j: int,
                         size: int, spec: Specification) -> np.ndarray:
    """The inverted-test set of break ``j``, searched between its neighbours."""
    start, stop = _window(breaks, j, len(values))
    inside = np.zeros(len(values), dtype=bool)
    inside[start:stop] = inverted_set(values[start:stop], common[start:stop], size,
                                      spec.error_structure[0], spec.hac_lags, spec.alpha)
    return inside


def long_run_variance(resid: np.ndarray, lags: int | None = None) -> float:
    """Long-run variance of ``resid``: Bartlett with ``lags`` lags, or (``None``) the
    AR(1)-prewhitened automatic-bandwidth estimate of :mod:`spamlab.its.longrun`.

    Examples
    --------
    >>> round(long_run_variance(np.array([1.0, -1.0] * 50), lags=1), 3)
    0.01
    """
    if lags is None:
        return float(prewhitened_long_run_variance(resid))
    return float(bartlett_long_run_variance(resid, lags))


def _label(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value
