"""Refit one segmented model at many interruption dates, batched.

``scan_dates`` is the engine of :func:`spamlab.its.placebo` and of the date axis
of :func:`spamlab.its.sensitivity`. For gaussian models with ``errors`` in
``iid``/``hac``/``ar1`` it stacks the designs and solves them at once
(:mod:`spamlab.its.batched`, :mod:`spamlab.its.smallsample`), giving the numbers
``its.fit`` gives date by date; other models fall back to that loop.

Examples
--------
>>> import numpy as np, pandas as pd
>>> days = pd.date_range("2011-01-01", periods=60)
>>> frame = pd.DataFrame({"v": np.sin(np.arange(60)) + 3 * (days >= "2011-02-10")}, index=days)
>>> from spamlab.its.specification import Specification
>>> table = scan_dates(frame, ["2011-02-05", "2011-02-10"], y="v", spec=Specification())
>>> int(table["estimate"].abs().idxmax())
1
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from spamlab.errors import ParameterError
from spamlab.its import batched, smallsample
from spamlab.its import data as its_data
from spamlab.its import design as its_design
from spamlab.its.model import fit
from spamlab.its.segmented import GLSAR_MAXITER, GLSAR_RTOL, hac_lags
from spamlab.its.specification import Specification

__all__ = [
    "SCAN_COLUMNS",
    "can_batch",
    "level_tests",
    "scan_dates",
    "stacked_designs",
]

SCAN_COLUMNS: tuple[str, ...] = (
    "interruption", "estimate", "ci_low", "ci_high", "p_value", "scale", "coef", "std_err", "df",
)


def can_batch(spec: Specification) -> bool:
    """Whether :func:`scan_dates` can solve a model in one batch (gaussian segmented
    regressions with ``errors`` iid, hac or ar1)."""
    kind, _ = spec.error_structure
    return spec.family == "gaussian" and spec.method == "segmented" and kind in ("iid", "hac", "ar1")


def scan_dates(data: pd.DataFrame, dates: Sequence[object], *, y: str, spec: Specification,
               time: str | None = None, batch: bool = True) -> pd.DataFrame:
    """Level change of a one-interruption model at each of ``dates``.

    Parameters
    ----------
    data, y, time
        As for :func:`spamlab.its.fit`.
    dates
        Candidate interruption moments (sorted, distinct).
    spec
        The model (:class:`~spamlab.its.specification.Specification`).
    batch
        ``False`` forces the one-by-one ``its.fit`` loop (the reference).

    Returns
    -------
    DataFrame with one row per date: ``interruption, estimate, ci_low, ci_high,
    p_value, scale, coef, std_err, df``.
    """
    if not batch or not can_batch(spec):
        return _loop(data, dates, y, spec, time)
    return _batched(data, list(dates), y, spec, time)


def _loop(data: pd.DataFrame, dates: Sequence[object], y: str, spec: Specification,
          time: str | None) -> pd.DataFrame:
    rows = []
    for date in dates:
        row = fit(data, y=y, interruptions=[date], time=time, spec=spec).level_change()
        rows.append({c: row[c] for c in SCAN_COLUMNS})
    return pd.DataFrame(rows, columns=list(SCAN_COLUMNS))


def _batched(data: pd.DataFrame, dates: list[object], y: str, spec: Specification,
             time: str | None) -> pd.DataFrame:
    for date in (dates[0], dates[-1]):  # same validation (and messages) as its.fit
        its_data.prepare(data, y, [date], time=time, min_pre=spec.min_pre, min_post=spec.min_post)
    series = its_data.prepare(data, y, dates, time=time, min_pre=0, min_post=0)
    x, response, column = stacked_designs(series, spec)
    tests = level_tests(x, response, column, spec)
    back = np.exp if spec.log_scale else (lambda v: v)
    return pd.DataFrame({
        "interruption": list(series.labels), "estimate": back(tests["estimate"]),
        "ci_low": back(tests["ci_low"]), "ci_high": back(tests["ci_high"]),
        "p_value": tests["p_value"], "scale": "ratio" if spec.log_scale else "difference",
        "coef": tests["estimate"], "std_err": tests["std_err"], "df": tests["df"],
    }, columns=list(SCAN_COLUMNS))


def stacked_designs(series: its_data.PreparedSeries, spec: Specification
                    ) -> tuple[np.ndarray, np.ndarray, int]:
    """Designs ``(K, n, p)`` (one per cut of ``series``), the response on the model's
    scale less any offset (rows with an observed outcome) and the position of the level column."""
    no_cut = its_data.PreparedSeries(series.frame, series.y, series.starts, series.ends, (), (),
                                     series.is_datetime)
    base = its_design.build(no_cut, spec.seasonality, False, spec.covariates, spec.exposure,
                            spec.trend)
    head = 2 if spec.trend else 1
    matrix = base.matrix.to_numpy()
    extra = [np.stack([series.exposure_fraction(k) for k in range(len(series.cuts))])]
    if spec.slope_change:
        extra.append(np.stack([series.elapsed(k) for k in range(len(series.cuts))]))
    k_ = len(series.cuts)
    x = np.concatenate([np.broadcast_to(matrix[:, :head], (k_, *matrix[:, :head].shape)),
                        np.stack(extra, axis=2),
                        np.broadcast_to(matrix[:, head:], (k_, *matrix[:, head:].shape))], axis=2)
    response = np.log(series.y) if spec.transform == "log" else series.y.copy()
    if base.offset is not None:
        response = response - base.offset
    keep = ~np.isnan(response)
    return x[:, keep], response[keep], head


def level_tests(x: np.ndarray, y: np.ndarray, column: int, spec: Specification,
                chunk: int = 128) -> dict[str, np.ndarray]:
    """Estimate, se, df, interval and p-value of coefficient ``column`` in each stacked fit.

    Mirrors ``its.fit`` for gaussian ``spec.errors`` ``iid``, ``hac`` and ``ar1``
    (``x`` ``(n, p)`` shared or ``(K, n, p)``; ``y`` ``(n,)`` shared or ``(K, n)``),
    ``chunk`` problems at a time to bound memory.
    """
    stacks = max(x.shape[0] if x.ndim == 3 else 1, y.shape[0] if y.ndim == 2 else 1)
    if stacks > chunk:
        pieces = [level_tests(x[i:i + chunk] if x.ndim == 3 else x,
                              y[i:i + chunk] if y.ndim == 2 else y, column, spec, chunk)
                  for i in range(0, stacks, chunk)]
        return {key: np.concatenate([p[key] for p in pieces]) for key in pieces[0]}
    kind, _ = spec.error_structure
    if kind not in ("iid", "hac", "ar1"):
        raise ParameterError(f"errors={spec.errors!r}: batched fits support 'iid', 'hac' and 'ar1'")
    fit_ = batched.ols(x, y)
    df = np.full(fit_.params.shape[0], float(fit_.df_resid))
    if kind == "iid":
        cov = batched.cov_iid(fit_)
    elif kind == "hac":
        lags = hac_lags(fit_.x.shape[1]) if spec.hac_lags is None else spec.hac_lags
        cov = batched.cov_hac(fit_, lags)
        if spec.small_sample:
            rho = smallsample.bias_corrected_rho(fit_.x, batched.yule_walker_ar1(fit_.resid))
            factor, dfs = smallsample.hac_adjustment(
                fit_.x, rho, lags, smallsample.unit_contrasts(fit_.x.shape[2], [column]))
            cov = cov.copy()
            cov[:, column, column] /= factor[:, 0]
            df = dfs[:, 0]
    else:
        fit_, df = _ar1_fit(fit_, column, spec.small_sample)
        cov = batched.cov_iid(fit_)
    return _t_tests(fit_.params[:, column], np.sqrt(cov[:, column, column]), df, spec.alpha)


def _ar1_fit(fit_: batched.BatchFit, column: int, small_sample: bool
             ) -> tuple[batched.BatchFit, np.ndarray]:
    x, y = fit_.x, fit_.resid + np.einsum("knp,kp->kn", fit_.x, fit_.params)
    if not small_sample:
        gls = batched.glsar(x, y, GLSAR_MAXITER, GLSAR_RTOL)
        return gls, np.full(x.shape[0], float(gls.df_resid))
    rho = smallsample.bias_corrected_rho(x, batched.yule_walker_ar1(fit_.resid))
    gls = batched.whitened_ols(x, y, rho)
    unit = smallsample.unit_contrasts(x.shape[2], [column])
    return gls, smallsample.gls_satterthwaite_df(x, rho, unit, gls.df_resid)[:, 0]


def _t_tests(estimate: np.ndarray, se: np.ndarray, df: np.ndarray, alpha: float
             ) -> dict[str, np.ndarray]:
    crit = stats.t.ppf(1 - alpha / 2, df)
    return {"estimate": estimate, "std_err": se, "df": df, "ci_low": estimate - crit * se,
            "ci_high": estimate + crit * se,
            "p_value": 2 * stats.t.sf(np.abs(estimate / se), df)}
