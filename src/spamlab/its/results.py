"""The result of :func:`spamlab.its.fit`: effects, counterfactual, words, figure, JSON.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from spamlab import its
>>> t = np.arange(60.0)
>>> frame = pd.DataFrame({"v": 10 + 0.1 * t - 4 * (t >= 40) + np.sin(t)},
...                      index=pd.date_range("2011-01-01", periods=60))
>>> res = its.fit(frame, y="v", interruptions=["2011-02-10"])
>>> res.to_dict()["level_change"]["scale"]
'difference'
>>> list(res.effect_at([0, 10])["horizon"])
[0, 10]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from spamlab.errors import ParameterError
from spamlab.its.counterfactual import critical_value
from spamlab.its.data import PreparedSeries
from spamlab.its.design import Design
from spamlab.its.diagnostics import few_df_warnings
from spamlab.its.recovery import RecoveredShare, Recovery
from spamlab.its.recovery import recovered_share as share_recovered
from spamlab.its.recovery import recovery as recovery_time
from spamlab.its.segmented import ContrastInference, Fitted
from spamlab.its.specification import Specification
from spamlab.results_protocol import Result, jsonable, table_html

if TYPE_CHECKING:  # matplotlib is loaded by plot() only
    from matplotlib.figure import Figure

__all__ = [
    "CONTRAST_COLUMNS", "COUNTERFACTUAL_COLUMNS", "EFFECT_COLUMNS", "INFERENCE_COLUMNS",
    "MEAN_BAND_COLUMNS", "ITSResult", "assemble", "effects_table", "interval_row", "table_html",
]

EFFECT_COLUMNS: tuple[str, ...] = (
    "interruption", "kind", "estimate", "ci_low", "ci_high", "p_value", "scale",
)
INFERENCE_COLUMNS: tuple[str, ...] = ("coef", "std_err", "df")
COUNTERFACTUAL_COLUMNS: tuple[str, ...] = (
    "observed", "fitted", "counterfactual", "counterfactual_low", "counterfactual_high",
    "effect", "cumulative_effect",
)
MEAN_BAND_COLUMNS: tuple[str, ...] = ("counterfactual_mean_low", "counterfactual_mean_high")
CONTRAST_COLUMNS: tuple[str, ...] = (
    "estimate", "ci_low", "ci_high", "p_value", "scale", "coef", "std_err", "df",
)


@dataclass(frozen=True, kw_only=True, eq=False)
class ITSResult(Result):
    """An interrupted-time-series fit.

    Attributes
    ----------
    effects
        One row per (interruption, kind) with columns ``interruption, kind,
        estimate, ci_low, ci_high, p_value, scale``. ``scale`` is ``'ratio'``
        (``exp(coef)``) for log links and ``transform='log'``, else ``'difference'``.
        Estimates are observed minus counterfactual: a fall is negative (difference)
        or below 1 (ratio).
    counterfactual
        On the data's index: ``observed, fitted, counterfactual,
        counterfactual_low, counterfactual_high`` (prediction band for an
        observation without the interruption), ``effect, cumulative_effect``.
    model
        Description of the model fitted.
    y
        Name of the outcome.
    n_pre, n_post
        Observed outcomes before the first interruption and at/after it.
    warnings
        Plain-language cautions (autocorrelation left, few pre points, gaps, ...).
    diagnostics
        Residual diagnostics: Ljung-Box, Durbin-Watson, ACF.
    params, cov
        All coefficients and their covariance (linear scale) as used for the intervals
        (after any small-sample adjustment).
    spec
        The :class:`~spamlab.its.specification.Specification` fitted.
    series
        The data as fitted: the validated series with its periods and interruption
        moments (:class:`~spamlab.its.data.PreparedSeries`, in the data's unit).
    design
        The regressors of a segmented fit (:class:`~spamlab.its.design.Design`: the
        columns of :attr:`params`, covariates in the data's unit), so that a contrast's
        weights can be read from it without building it again; ``None`` for
        ``method="structural"``.
    inference
        Rows aligned with ``effects``: ``interruption, kind, coef, std_err, df``
        (linear scale; ``df`` the t degrees of freedom of each interval, ``inf`` for
        normal intervals).
    mean_band
        ``counterfactual_mean_low/high``: band of the expected value without the
        interruption (parameter uncertainty only), on the data's index.
    rho
        The AR(1) coefficient the fit used (FGLS ``rho`` for ``errors="ar1"``, the
        working ``rho`` of the small-sample HAC adjustment, the structural AR(1)
        component), else ``None``.
    df_resid
        Residual degrees of freedom of the t intervals (``None``: normal intervals);
        single terms may use other df, listed in ``inference["df"]``.
    model_result
        The fitted statsmodels results object, for experts (for ``errors="reml"`` the
        :class:`~spamlab.its.reml.RemlFit`).
    terms
        ``(interruption label, kind, column)`` of every interruption coefficient.
    contrast_inference
        ``weights -> (variance, df)`` for a contrast of :attr:`params` (weights in
        ``params`` order), with the fit's small-sample corrections; used by
        :meth:`contrast`, :meth:`effect_at` and :meth:`window_effect`. The variance is
        in the fitted unit (times ``unit**2`` on the difference scale).
    unit
        The outcome was fitted as ``y / unit`` (:mod:`spamlab.its.scaling`: its median
        size, so that no variance over- or underflows); everything above
        is in the data's unit except ``contrast_inference`` and ``model_result``. 1 for
        ``family="poisson"`` and ``"negbin"``.
    """

    effects: pd.DataFrame
    counterfactual: pd.DataFrame
    model: str
    y: str
    n_pre: int
    n_post: int
    warnings: tuple[str, ...]
    diagnostics: dict[str, Any]
    params: pd.Series
    cov: pd.DataFrame
    spec: Specification
    inference: pd.DataFrame
    mean_band: pd.DataFrame
    rho: float | None = None
    df_resid: float | None = None
    model_result: Any = None
    terms: tuple[tuple[str, str, str], ...] = ()
    contrast_inference: ContrastInference | None = field(default=None, repr=False)
    unit: float = 1.0
    series: PreparedSeries | None = field(default=None, repr=False)
    design: Design | None = field(default=None, repr=False)

    @property
    def alpha(self) -> float:
        """1 - confidence level of the intervals (``spec.alpha``)."""
        return self.spec.alpha

    @property
    def interruptions(self) -> list[str]:
        """The interruptions' labels, in time order."""
        return list(dict.fromkeys(self.effects["interruption"]))

    def level_change(self, interruption: int | str = 0) -> pd.Series:
        """The ``level_change`` row of one interruption (position or label), with
        ``coef``, ``std_err`` and ``df`` from :attr:`inference` appended.

        Raises
        ------
        ParameterError
            When ``interruption`` is neither a position nor a label of this fit.
        """
        rows = self.effects.index[self.effects["kind"] == "level_change"]
        labels = list(self.effects.loc[rows, "interruption"])
        if isinstance(interruption, (int, np.integer)) and not isinstance(interruption, bool):
            if not -len(rows) <= interruption < len(rows):
                raise ParameterError(f"interruption={interruption}: this fit has {len(rows)} "
                                     f"interruption(s), {labels}; give a position from 0 to "
                                     f"{len(rows) - 1} or one of these labels")
            pick = rows[interruption]
        elif str(interruption) in labels:
            pick = rows[labels.index(str(interruption))]
        else:
            raise ParameterError(f"interruption={interruption!r} is not an interruption of this "
                                 f"fit; its interruptions are {labels}")
        extra = self.inference.loc[pick, list(INFERENCE_COLUMNS)]
        return pd.concat([self.effects.loc[pick], extra])

    def contrast(self, weights: Mapping[str, float]) -> pd.Series:
        """Any linear contrast ``sum_j weights[j] * params[j]`` with its interval and df.

        Parameters
        ----------
        weights
            Coefficient name (a column of :attr:`params`, e.g. ``"level[2011-03-16]"``,
            ``"slope[2011-03-16]"``, ``"trend"``) to weight; others get 0.

        Returns
        -------
        pandas.Series
            ``estimate, ci_low, ci_high, p_value, scale, coef, std_err, df``: ``coef``
            the contrast on the linear scale, ``estimate`` and the interval
            exponentiated on a log scale (a ratio); ``p_value`` tests ``coef = 0``;
            ``df`` the t degrees of freedom (``inf``: normal quantiles). With
            ``errors="ar1"`` the df is the Satterthwaite df of this contrast, with
            small-sample ``hac`` its own Bell-McCaffrey factor and df. Fewer than 3 df
            give a ``UserWarning`` (as :func:`spamlab.its.fit` warns for its effects).

        Raises
        ------
        ParameterError
            For a name that is not a coefficient, a weight that is not a finite number,
            or no weights.
        """
        return self._contrast(weights, stacklevel=3)

    def _contrast(self, weights: Mapping[str, float], stacklevel: int) -> pd.Series:
        """:meth:`contrast`, its few-df warning ``stacklevel`` frames up (the user's call)."""
        unknown = sorted(set(weights) - set(self.params.index))
        if unknown or not weights:
            raise ParameterError(f"contrast weights {unknown or dict(weights)}: give weights for "
                                 f"coefficients among {list(self.params.index)}")
        weights = {name: _finite_number(value, f"contrast weight for {name!r}")
                   for name, value in weights.items()}
        vector = np.array([weights.get(name, 0.0) for name in self.params.index])
        coef = float(vector @ self.params.to_numpy())
        unit = 1.0 if self.spec.log_scale else self.unit  # contrast_inference's unit
        if self.contrast_inference is None:
            variance, df = float(vector @ self.cov.to_numpy() @ vector), self.df_resid
            unit = 1.0
        else:
            variance, df = self.contrast_inference(vector)
        label = " + ".join(f"{w:g} {name}" for name, w in weights.items() if w != 0)
        for text in few_df_warnings({label or "the contrast": df}):
            warnings.warn(text, UserWarning, stacklevel=stacklevel)
        row = interval_row(coef, unit * float(np.sqrt(max(variance, 0.0))), df,
                           self.spec.log_scale, self.alpha)
        if not np.isfinite([row["estimate"], row["ci_low"], row["ci_high"]]).all():
            warnings.warn(f"{label or 'the contrast'}: the estimate or its interval is not finite "
                          f"({row['estimate']:.4g}, {row['ci_low']:.4g} to {row['ci_high']:.4g}): "
                          "the data do not bound it", UserWarning, stacklevel=stacklevel)
        return pd.Series(row)

    def effect_at(self, horizon: float | Sequence[float], interruption: int | str = 0
                  ) -> pd.DataFrame:
        """The effect ``horizon`` periods after an interruption: level change + horizon x
        slope change (the level change alone without ``slope_change``).

        Parameters
        ----------
        horizon
            Periods elapsed since the interruption (0: the level change), one or several.
        interruption
            Position or label of the interruption (its own terms only; other
            interruptions' changes are not added).

        Returns
        -------
        pandas.DataFrame
            One row per horizon: ``horizon`` and the columns of :meth:`contrast`.

        Raises
        ------
        ParameterError
            For a horizon that is negative, missing or infinite, or an unknown interruption.
        """
        level, slope = self._columns(interruption)
        horizons = np.array([_finite_number(h, "horizon") for h in np.atleast_1d(horizon)])
        if (horizons < 0).any():
            raise ParameterError(f"horizon={horizon!r}: give periods elapsed since the "
                                 "interruption (>= 0); before it there is no effect")
        rows = [self._contrast({level: 1.0, **({slope: float(h)} if slope else {})}, 4)
                for h in horizons]
        table = pd.DataFrame(rows, columns=list(CONTRAST_COLUMNS))
        labels = [int(h) if float(h).is_integer() else float(h) for h in horizons]
        return table.assign(horizon=labels)[["horizon", *CONTRAST_COLUMNS]]

    def window_effect(self, start: int, stop: int, interruption: int | str = 0) -> pd.DataFrame:
        """Average and cumulative effect over horizons ``start .. stop`` (whole periods
        after an interruption, both included; CausalImpact's headline numbers).

        The average is ``level + mean(h) x slope`` and the cumulative ``m x level +
        sum(h) x slope`` over the ``m`` horizons. On a log scale the average is a ratio
        (the geometric mean of the ratios) and no cumulative row is given: a sum of
        ratios is not a contrast of the coefficients.

        Returns
        -------
        pandas.DataFrame
            Rows ``statistic`` = ``average`` (and ``cumulative``), ``start``, ``stop``
            and the columns of :meth:`contrast`.

        Raises
        ------
        ParameterError
            When ``start`` or ``stop`` is not a whole number with ``0 <= start <= stop``.
        """
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                   for v in (start, stop)) or not 0 <= start <= stop:
            raise ParameterError(f"start={start!r}, stop={stop!r}: give whole periods with "
                                 "0 <= start <= stop")
        level, slope = self._columns(interruption)
        horizons = np.arange(start, stop + 1, dtype=float)
        sums = {"average": (1.0, float(horizons.mean()))}
        if not self.spec.log_scale:
            sums["cumulative"] = (float(len(horizons)), float(horizons.sum()))
        rows = [self._contrast({level: a, **({slope: b} if slope else {})}, 4)
                for a, b in sums.values()]
        table = pd.DataFrame(rows, columns=list(CONTRAST_COLUMNS))
        return table.assign(statistic=list(sums), start=int(start), stop=int(stop))[
            ["statistic", "start", "stop", *CONTRAST_COLUMNS]]

    def recovery(self, share: float = 0.5, interruption: int | str = 0) -> Recovery:
        """When the fall at ``interruption`` has come back by ``share`` (0.5: half of it),
        in periods after it, with a Fieller interval from the fit's own contrast tests.

        The gap ``t`` periods after the interruption is ``level + slope x t`` (as in
        :meth:`effect_at`); it has closed by ``share`` at ``-share x level / slope``. On a
        log scale the shares are of the log-ratio gap. See :mod:`spamlab.its.recovery`.

        Returns
        -------
        Recovery
            ``estimate, ci_low, ci_high`` (periods; ``inf``: never), ``unit``, ``bounded``
            (``False``: not recovering within the data, ``ci_high`` infinite), ``shape``,
            ``status``, ``scale`` and ``describe()``.

        Raises
        ------
        ParameterError
            For ``share`` outside ``(0, 1]``, no slope change at the interruption, or a
            level change that is not a fall.
        """
        return recovery_time(self, share, interruption)

    def recovered_share(self, interruption: int | str = 0) -> RecoveredShare:
        """The share of the fall at ``interruption`` that had come back at the last observed
        period (``-T x slope / level``, ``T`` its periods after the interruption), with a
        Fieller interval. See :meth:`recovery` and :mod:`spamlab.its.recovery`.

        Raises
        ------
        ParameterError
            For no slope change at the interruption, or a level change that is not a fall.
        """
        return share_recovered(self, interruption)

    def _columns(self, interruption: int | str) -> tuple[str, str | None]:
        """Level and slope (or ``None``) coefficient names of one interruption."""
        label = self.level_change(interruption)["interruption"]
        names = {kind: column for name, kind, column in self.terms if name == label}
        return names["level_change"], names.get("slope_change")

    def summary(self) -> str:
        """Plain-language report: effect(s) in words with intervals, model, warnings."""
        return _summary_text(self)

    def plot(self, title: str | None = None, ylabel: str | None = None) -> Figure:
        """Figure: observed, fit, counterfactual band, pointwise and cumulative effect
        (:func:`spamlab.plots.plot_its`; matplotlib is imported at the first call).

        ``ylabel`` names the outcome with its unit (default: the column name).
        """
        from spamlab.plots.its import plot_its  # plots sit above its: loaded when drawn

        return plot_its(self, title=title, ylabel=ylabel)

    def observations(self, interruption: int | str = 0) -> tuple[int, int]:
        """Observed periods before an interruption (position or label) and at or after it.

        *Before* means the whole period ends by the moment; *at or after* runs from the
        period holding the moment (a partly exposed day counts) to the period before the
        one the next interruption starts, or to the end. For the first interruption of a
        fit with one interruption these are :attr:`n_pre` and :attr:`n_post`.

        Raises
        ------
        ParameterError
            For an unknown interruption, or a result made without its :attr:`series`.
        """
        label = self.level_change(interruption)["interruption"]
        if self.series is None:
            raise ParameterError("this ITSResult does not carry the series it was fitted to "
                                 "(series=None): refit with spamlab.its.fit")
        series = self.series
        this = series.cuts[list(series.labels).index(label)]
        until = min([cut for cut in series.cuts if cut > this], default=np.inf)
        observed = ~np.isnan(series.y)
        before = observed & (series.ends <= this)
        after = observed & (series.ends > this) & (series.starts < until)
        return int(before.sum()), int(after.sum())

    def _payload(self, interruption: int | str = 0) -> dict[str, Any]:
        asked = self.level_change(interruption)
        n_pre, n_post = self.observations(interruption)
        return {
            "level_change": {k: asked[k] for k in ("estimate", "ci_low", "ci_high", "scale")},
            "interruption": str(asked["interruption"]),
            "model": self.model,
            "n_pre": n_pre,
            "n_post": n_post,
            "warnings": list(self.warnings),
            "effects": self.effects,
        }

    def to_dict(self, interruption: int | str = 0) -> dict[str, Any]:
        """JSON-ready summary of one interruption (position or label; default the first):
        its level change and label, the model, the observations before it and at or after
        it (:meth:`observations`), the warnings and all effects."""
        return jsonable(self._payload(interruption))

    def _html_table(self) -> pd.DataFrame:
        return self.effects

    def __repr__(self) -> str:
        lines = [f"ITSResult of {self.y!r}: {self.model}",
                 (f"  {self.n_pre} observations before, {self.n_post} at or after; "
                  f"{len(self.warnings)} warning(s)")]
        level = round(100 * (1 - self.alpha))
        lines += [f"  {row['kind']} at {row['interruption']}: {row['estimate']:.4g} "
                  f"({level}% CI {row['ci_low']:.4g} to {row['ci_high']:.4g}, {row['scale']})"
                  for _, row in self.effects.iterrows()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        caption = (f"ITS of {self.y!r}: {self.model}; {self.n_pre} observations before, "
                   f"{self.n_post} at or after; {len(self.warnings)} warning(s)")
        return table_html(caption, self._html_table())


def _finite_number(value: object, what: str) -> float:
    """``value`` as a finite float, else a ParameterError naming ``what``.

    Examples
    --------
    >>> _finite_number("2", "horizon")
    2.0
    """
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = np.nan
    if not np.isfinite(number):
        raise ParameterError(f"{what} is {value!r}: give a finite number")
    return number


def assemble(effects: pd.DataFrame, table: pd.DataFrame, fitted: Fitted, y: str,
             counts: tuple[int, int], notes: tuple[str, ...], diagnostics: dict[str, Any],
             spec: Specification, terms: tuple[tuple[str, str, str], ...],
             series: PreparedSeries | None = None, design: Design | None = None) -> ITSResult:
    """An :class:`ITSResult` from the full effects and counterfactual tables, with the
    ``series`` and ``design`` it was fitted with.

    Splits the contract columns (``effects``, ``counterfactual``) from the extras
    (``inference``: coef/std_err/df; ``mean_band``).
    """
    return ITSResult(
        effects=effects[list(EFFECT_COLUMNS)], counterfactual=table[list(COUNTERFACTUAL_COLUMNS)],
        model=fitted.description, y=y, n_pre=counts[0], n_post=counts[1], warnings=notes,
        diagnostics=diagnostics, params=fitted.params, cov=fitted.cov, spec=spec,
        inference=effects[["interruption", "kind", *INFERENCE_COLUMNS]],
        mean_band=table[list(MEAN_BAND_COLUMNS)], rho=fitted.rho, df_resid=fitted.df_resid,
        model_result=fitted.result, terms=terms, contrast_inference=fitted.contrast_inference,
        series=series, design=design)


def effects_table(terms: tuple[tuple[str, str, str], ...], params: pd.Series, cov: pd.DataFrame,
                  dfs: dict[str, float | None], log_scale: bool, alpha: float) -> pd.DataFrame:
    """Rows of :attr:`ITSResult.effects` from coefficients and covariance.

    ``dfs`` maps each column to the t degrees of freedom of its interval
    (``None`` or missing: normal quantiles).

    Examples
    --------
    >>> p = pd.Series({"level[x]": np.log(0.5)})
    >>> c = pd.DataFrame([[0.01]], index=p.index, columns=p.index)
    >>> t = effects_table((("x", "level_change", "level[x]"),), p, c, {}, True, 0.05)
    >>> round(float(t["estimate"].iloc[0]), 3), t["scale"].iloc[0]
    (0.5, 'ratio')
    """
    rows = [{"interruption": label, "kind": kind,
             **interval_row(float(params[column]), float(np.sqrt(cov.loc[column, column])),
                            dfs.get(column), log_scale, alpha)}
            for label, kind, column in terms]
    return pd.DataFrame(rows, columns=[*EFFECT_COLUMNS, "coef", "std_err", "df"])


def interval_row(coef: float, se: float, df: float | None, log_scale: bool, alpha: float
                 ) -> dict[str, Any]:
    """Estimate, ``1 - alpha`` interval, two-sided p-value (t with ``df``, normal for
    ``None``) of a linear-scale ``coef``; exponentiated on a log scale.

    Examples
    --------
    >>> row = interval_row(-2.0, 1.0, None, False, 0.05)
    >>> round(row["ci_high"], 3), round(row["p_value"], 4), row["df"]
    (-0.04, 0.0455, inf)
    """
    crit = critical_value(alpha, df)
    stat = coef / se if se > 0 else np.inf
    tail = stats.norm.sf(abs(stat)) if df is None else stats.t.sf(abs(stat), df)
    low, high = coef - crit * se, coef + crit * se
    back = np.exp if log_scale else (lambda v: v)
    with np.errstate(over="ignore"):  # an infinite bound is warned by the callers
        estimate, low, high = float(back(coef)), float(back(low)), float(back(high))
    return {"estimate": estimate, "ci_low": low, "ci_high": high, "p_value": float(2 * tail),
            "scale": "ratio" if log_scale else "difference", "coef": coef, "std_err": se,
            "df": np.inf if df is None else float(df)}


def _effect_words(row: pd.Series, y: str, level: int) -> str:
    what = "level" if row["kind"] == "level_change" else "slope (per period)"
    interval = f"{level}% CI {row['ci_low']:.4g} to {row['ci_high']:.4g}"
    if row["scale"] == "ratio":
        pct = 100 * (row["estimate"] - 1)
        direction = "fell" if pct < 0 else "rose"
        words = (f"the {what} of {y} {direction} by {abs(pct):.3g}% (ratio {row['estimate']:.4g}, "
                 f"{interval})")
    else:
        direction = "fell" if row["estimate"] < 0 else "rose"
        words = f"the {what} of {y} {direction} by {abs(row['estimate']):.4g} ({interval})"
    return f"At {row['interruption']}, {words}; p = {row['p_value']:.3g}."


def _summary_text(res: ITSResult) -> str:
    level = round(100 * (1 - res.alpha))
    lines = [f"Interrupted time series of {res.y!r}", f"Model: {res.model}",
             f"Observations: {res.n_pre} before the first interruption, {res.n_post} at or after it."]
    lines += [_effect_words(row, res.y, level) for _, row in res.effects.iterrows()]
    diag = res.diagnostics
    if "ljung_box_p" in diag:
        lines.append(f"Residuals: Ljung-Box p = {diag['ljung_box_p']:.3g} "
                     f"(lag {diag['ljung_box_lag']}), Durbin-Watson = {diag['durbin_watson']:.3f}.")
    post = res.counterfactual["cumulative_effect"].iloc[-1]
    lines.append(f"Cumulative effect over the post period: {post:.4g} (observed minus counterfactual).")
    lines += ["Warnings:"] + [f"  - {w}" for w in res.warnings] if res.warnings else ["Warnings: none."]
    return "\n".join(lines)
