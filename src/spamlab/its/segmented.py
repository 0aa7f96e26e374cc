"""Fit the segmented regression with statsmodels, per family and error structure.

=============  ==========================================================================
family         model
=============  ==========================================================================
gaussian       OLS on y (or on log y with ``transform="log"``; exposure as offset)
poisson        GLM Poisson, log link, ``log(exposure)`` offset
quasipoisson   GLM Poisson with Pearson chi-square dispersion (``scale="X2"``) and
               t-based intervals, as R's ``quasipoisson``
negbin         NB2 negative binomial by maximum likelihood (dispersion estimated)
=============  ==========================================================================

=========  ===============================================================================
errors     covariance
=========  ===============================================================================
iid        the model's usual covariance
hac        Newey-West (Bartlett kernel) with ``hac_lags(n)`` lags (the Newey-West 1994
           rule ``floor(4 (n/100)^(2/9))``), or ``L`` lags with ``"hac(L)"``. OLS: n/(n-p) correction, and with
           ``small_sample=True`` (default) the Bell-McCaffrey style bias factor and
           Satterthwaite t df of :mod:`spamlab.its.smallsample` for the interruption
           terms. Poisson/quasi-Poisson: Newey-West without n/(n-p) (as statsmodels),
           and with ``small_sample=True`` the same adjustment computed on the
           working linear model (design ``sqrt(w) X`` with the working weights
           ``w``, Pearson residuals); the same for NB2 (``w = mu / (1 + alpha mu)``).
ar1        gaussian only: feasible GLS with AR(1) errors (Cochrane-Orcutt, as
           statsmodels ``GLSAR``). ``small_sample=True``: rho from the OLS residuals,
           bias-corrected (:func:`~spamlab.its.smallsample.bias_corrected_rho`), and
           Satterthwaite t df; ``False``: ``GLSAR.iterative_fit`` to convergence.
reml       gaussian only: AR(1) errors with rho by REML, Kackar-Harville standard errors
           (the variance added by estimating rho) and Satterthwaite df for every
           coefficient and contrast (:mod:`spamlab.its.reml`; gaps enter as longer time
           steps, ``rho^gap``)
arma(p,q)  gaussian only: regression with ARMA(p, q) errors by REML, Kackar-Harville
           variance and Satterthwaite df for every coefficient and contrast
           (:mod:`spamlab.its.armareml`, the ``reml`` estimator for any order; gaps enter
           as longer time steps); beyond ``armareml.DENSE_MAX`` observed rows exact ML
           (statsmodels ``SARIMAX``) with observed information; orders the data cannot
           support are refused (:func:`check_arma_order`)
=========  ===============================================================================

Examples
--------
>>> hac_lags(180)
4
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.discrete.discrete_model import NegativeBinomial
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.regression.linear_model import GLSAR, OLS
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.arima_process import arma_acovf
from statsmodels.tsa.statespace.sarimax import SARIMAX

from spamlab.errors import DataError, ParameterError
from spamlab.its import armareml, reml, smallsample
from spamlab.its.batched import yule_walker_ar1
from spamlab.its.design import Design, check_identified
from spamlab.its.prediction import ArmaErrors
from spamlab.its.specification import Specification

GLSAR_MAXITER: int = 100
GLSAR_RTOL: float = 1e-10

ContrastInference = Callable[[np.ndarray], tuple[float, float | None]]
"""``weights -> (variance, df)`` of a linear contrast ``weights @ params`` (df ``None``: normal)."""


@dataclass(frozen=True)
class Fitted:
    """What the results layer needs from a fitted model (segmented or structural).

    Attributes
    ----------
    params, cov
        Coefficients of the design columns and their covariance.
    df_resid
        Degrees of freedom for t intervals, or ``None`` for normal intervals.
    log_scale
        True when the linear predictor is on the log scale (log link or log transform).
    noise
        ``(kind, value)``: ``("gaussian", variance)``, ``("poisson", 1.0)``,
        ``("quasipoisson", dispersion)`` or ``("negbin", alpha)``.
    residuals
        Residuals for diagnostics (whitened for AR errors), observed rows only.
    description
        Human-readable model name.
    notes
        Cautions from the fit (optimizer messages, gaps joined by the error model).
    term_df
        t degrees of freedom of single columns where they differ from ``df_resid``.
    rho
        AR(1) coefficient the fit used: the FGLS ``rho`` (``errors="ar1"``), the
        working ``rho`` of the small-sample HAC adjustment, the structural model's
        AR(1) component; ``None`` otherwise.
    result
        The fitted statsmodels results object.
    contrast
        ``weights -> (variance, df)`` for any linear contrast of ``params`` (weights in
        ``params`` order), carrying the fit's small-sample corrections; ``None``: the
        contrast's variance from ``cov`` with ``df_resid`` (see :meth:`contrast_inference`).
    """

    params: pd.Series
    cov: pd.DataFrame
    df_resid: float | None
    log_scale: bool
    noise: tuple[str, float]
    residuals: np.ndarray
    description: str
    notes: tuple[str, ...] = ()
    term_df: dict[str, float] = field(default_factory=dict)
    rho: float | None = None
    result: Any = None
    contrast: ContrastInference | None = None
    error_process: ArmaErrors | None = None

    def df_for(self, column: str) -> float | None:
        """Degrees of freedom for the interval of ``column`` (``None``: normal)."""
        return self.term_df.get(column, self.df_resid)

    def contrast_inference(self, weights: np.ndarray) -> tuple[float, float | None]:
        """Variance and t df of ``weights @ params`` (``weights`` in ``params`` order).

        For a single interruption column this is that column's variance and
        :meth:`df_for`; other contrasts get their own small-sample df where the fit
        has a correction (``ar1``, small-sample ``hac``).
        """
        weights = np.asarray(weights, dtype=float)
        if self.contrast is not None:
            return self.contrast(weights)
        return float(weights @ self.cov.to_numpy() @ weights), self.df_resid


def hac_lags(n: int) -> int:
    """Newey-West lag rule ``floor(4 * (n / 100) ** (2 / 9))``, at least 1.

    Examples
    --------
    >>> hac_lags(100)
    4
    """
    return max(1, int(np.floor(4 * (n / 100) ** (2 / 9))))


def fit_segmented(design: Design, y: np.ndarray, spec: Specification) -> Fitted:
    """Fit the model; ``y`` may hold NaN (those rows are left out, or filtered by SARIMAX).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from spamlab.its import data, design
    >>> frame = pd.DataFrame({"v": np.arange(20.0) + 5 * (np.arange(20) >= 10)})
    >>> d = design.build(data.prepare(frame, "v", [10]))
    >>> fitted = fit_segmented(d, frame["v"].to_numpy(), Specification())
    >>> round(float(fitted.params["level[10]"]), 6)
    5.0
    """
    kind, order = spec.error_structure
    family, transform, small_sample = spec.family, spec.transform, spec.small_sample
    response = _response(y, family, transform)
    check_identified(design.matrix, ~np.isnan(response))
    if family == "gaussian":
        if kind == "ar1":
            return _fit_glsar(design, response, transform, small_sample)
        if kind == "reml":
            return _fit_reml(design, response, transform)
        if kind == "arma":
            return _fit_arma(design, response, transform, order)
        return _fit_ols(design, response, transform, kind, small_sample, spec.hac_lags)
    check_zero_segments(design, response, family)
    if family == "negbin":
        return _fit_negbin(design, response, kind, small_sample, spec.hac_lags)
    return _fit_poisson(design, response, family == "quasipoisson", kind, small_sample,
                        spec.hac_lags)


def _response(y: np.ndarray, family: str, transform: str | None) -> np.ndarray:
    observed = y[~np.isnan(y)]
    if transform == "log" and (observed <= 0).any():
        raise DataError(f"transform='log' needs y > 0; {(observed <= 0).sum()} value(s) are <= 0")
    if family != "gaussian" and (observed < 0).any():
        raise DataError(f"family={family!r} needs y >= 0; {(observed < 0).sum()} value(s) are < 0")
    if family != "gaussian" and not observed.any():
        raise DataError(f"family={family!r}: every observed value of y is 0, so there is no "
                        "rate to model on a log scale (and no effect to estimate)")
    return np.log(y) if transform == "log" else y


def check_zero_segments(design: Design, y: np.ndarray, family: str) -> None:
    """Refuse a count model when a whole segment (the pre-period, or the span after an
    interruption up to the next) is observed as exactly 0.

    The log-scale level change is then on the boundary (``-inf`` or ``+inf``): the
    fit reports a ratio of about 0 with a meaningless Wald interval and p-value
    (``(0, inf)`` and ``p ~ 1`` with iid errors, a spuriously tight interval with HAC).

    Raises
    ------
    DataError
        Naming the segment and what to do instead.
    """
    levels = [design.matrix[column].to_numpy() for _, kind, column in design.terms
              if kind == "level_change"]
    labels = [label for label, kind, _ in design.terms if kind == "level_change"]
    observed = ~np.isnan(y)
    spans = [("before " + repr(labels[0]), levels[0] == 0)]
    spans += [(f"from {label!r} to the {'next interruption' if k + 1 < len(levels) else 'end'}",
               (levels[k] > 0) & ((levels[k + 1] < 1) if k + 1 < len(levels) else True))
              for k, label in enumerate(labels)]
    for where, rows in spans:
        values = y[rows & observed]
        if len(values) and not values.any():
            raise DataError(f"family={family!r}: y is 0 in all {len(values)} observed period(s) "
                            f"{where}; the ratio for that change is on the boundary (0 or "
                            "infinite), where its interval and p-value mean nothing. Report the "
                            "drop to zero as it is, or model the difference with "
                            "family='gaussian'")


def _rows(design: Design, response: np.ndarray) -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
    keep = ~np.isnan(response)
    offset = np.zeros(len(response)) if design.offset is None else design.offset
    return response[keep], design.matrix[keep], offset[keep]


def _fit_ols(design: Design, response: np.ndarray, transform: str | None, kind: str,
             small_sample: bool, lags_option: int | None) -> Fitted:
    yv, x, offset = _rows(design, response)
    model = OLS(yv - offset, x)
    if kind != "hac":
        res = model.fit()
        return Fitted(res.params, res.cov_params(), res.df_resid, transform == "log",
                      ("gaussian", float(res.scale)), np.asarray(res.resid),
                      _gauss_name("OLS, iid errors", transform), result=res)
    lags = _lags(len(yv), lags_option)
    res = model.fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True)
    cov, name = res.cov_params(), f"OLS, Newey-West HAC standard errors ({lags} lags"
    term_df: dict[str, float] = {}
    rho: float | None = None
    contrast: ContrastInference | None = None
    if small_sample:
        cov, term_df, rho, contrast = _small_sample_hac(x, np.asarray(res.resid),
                                                        np.ones(len(yv)), cov,
                                                        design.interruption_columns, lags, True)
        name += f", small-sample adjusted under AR(1) rho={rho:.3f}"
    return Fitted(res.params, cov, res.df_resid, transform == "log",
                  ("gaussian", float(res.scale)), np.asarray(res.resid),
                  _gauss_name(name + ")", transform), _gap_note(response), term_df, rho, res,
                  contrast)


def _lags(n: int, lags_option: int | None) -> int:
    """Newey-West lags: ``errors="hac(L)"``'s ``L``, else :func:`hac_lags`.

    Raises
    ------
    ParameterError
        When ``L`` is not below the ``n`` observed rows (no pairs of rows that far apart).
    """
    if lags_option is not None and lags_option >= n:
        raise ParameterError(f"errors='hac({lags_option})': {lags_option} lags need more than "
                             f"{lags_option} observed rows, and there are {n}; use fewer lags "
                             f"(errors='hac' chooses {hac_lags(n)} for {n} rows)")
    return hac_lags(n) if lags_option is None else lags_option


def _small_sample_hac(x: pd.DataFrame, resid: np.ndarray, weights: np.ndarray, cov: pd.DataFrame,
                      columns: list[str], lags: int, use_correction: bool,
                      ) -> tuple[pd.DataFrame, dict[str, float], float, ContrastInference]:
    """Newey-West ``cov`` with the bias factors and Satterthwaite df of the interruption terms.

    The corrections (:func:`~spamlab.its.smallsample.hac_adjustment`) are those of
    the linear model with design ``sqrt(weights) * X`` and residuals ``resid``.
    For OLS the weights are 1 and ``resid`` the residuals. For a GLM or NB2 fit
    they are the working weights and the Pearson residuals at the estimate: the
    score of row ``i`` is then ``sqrt(w_i) x_i`` times its Pearson residual and
    the bread ``X'WX``, so the GLM sandwich is that linear model's sandwich, and
    Pearson residuals are approximately its residual maker applied to
    standardized errors (the working model, as in small-sample corrections
    for GEE). ``use_correction`` says whether ``cov`` carries the ``n/(n-p)``
    factor (statsmodels: OLS yes, GLM and NB no). Returns the adjusted
    covariance, the df per column, the bias-corrected AR(1) coefficient and the
    same adjustment for any contrast (its Newey-West variance divided by its own
    factor, with its own df).
    """
    working = x.to_numpy() * np.sqrt(weights)[:, None]
    rho = _corrected_rho(working, resid)
    raw = cov.to_numpy()

    def adjust(contrasts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        factors, dfs = smallsample.hac_adjustment(working[None], rho, lags, contrasts,
                                                  use_correction=use_correction)
        return factors[0], dfs[0]

    def contrast(w: np.ndarray) -> tuple[float, float | None]:
        factor, df = adjust(w[None])
        return float(w @ raw @ w / factor[0]), float(df[0])

    factors, dfs = adjust(smallsample.unit_contrasts(
        x.shape[1], [list(x.columns).index(c) for c in columns]))
    return (_rescale(cov, dict(zip(columns, factors))), dict(zip(columns, dfs)),
            float(rho[0]), contrast)


def _gap_note(response: np.ndarray) -> tuple[str, ...]:
    """Autocorrelation-aware errors treat rows on either side of a gap as neighbours."""
    if not np.isnan(response).any():
        return ()
    return ("autocorrelation was estimated joining the rows on either side of each gap",)


def _corrected_rho(x: np.ndarray, resid: np.ndarray) -> np.ndarray:
    """Bias-corrected AR(1) coefficient of OLS residuals (see :mod:`smallsample`)."""
    return smallsample.bias_corrected_rho(x[None], yule_walker_ar1(resid[None]))


def _rescale(cov: pd.DataFrame, factors: dict[str, float]) -> pd.DataFrame:
    """Divide the variances of some coefficients by ``factors`` (keeping correlations)."""
    scale = np.array([1 / np.sqrt(factors.get(c, 1.0)) for c in cov.columns])
    return cov * np.outer(scale, scale)


def _gauss_name(name: str, transform: str | None) -> str:
    return f"gaussian on log(y), {name}" if transform == "log" else f"gaussian, {name}"


def _fit_glsar(design: Design, response: np.ndarray, transform: str | None,
               small_sample: bool) -> Fitted:
    yv, x, offset = _rows(design, response)
    term_df: dict[str, float] = {}
    if small_sample:
        ols = OLS(yv - offset, x).fit()
        rho = _corrected_rho(x.to_numpy(), np.asarray(ols.resid))
        model = GLSAR(yv - offset, x, rho=rho)
        res = model.fit()
        columns = design.interruption_columns
        contrast = _gls_contrast(x.to_numpy(), rho, res.cov_params().to_numpy(),
                                 float(res.df_resid))
        dfs = [contrast(row)[1] for row in smallsample.unit_contrasts(
            x.shape[1], [list(x.columns).index(c) for c in columns])]
        term_df = {c: float(d) for c, d in zip(columns, dfs) if d is not None}
        how = "bias-corrected rho, Satterthwaite df"
    else:
        model = GLSAR(yv - offset, x, rho=1)
        res = model.iterative_fit(maxiter=GLSAR_MAXITER, rtol=GLSAR_RTOL)
        how = "iterated Yule-Walker rho"
        contrast = None
    rho_value = float(np.atleast_1d(model.rho)[0])
    notes = _gap_note(response) + _rho_notes(rho_value, smallsample.RHO_LIMIT, "FGLS")
    variance = float(res.scale) / max(1e-12, 1 - rho_value**2)
    name = _gauss_name(f"feasible GLS with AR(1) errors (rho={rho_value:.3f}, {how})", transform)
    return Fitted(res.params, res.cov_params(), res.df_resid, transform == "log",
                  ("gaussian", variance), np.asarray(res.wresid), name, notes,
                  term_df, rho_value, res, contrast,
                  ArmaErrors((rho_value,), (), float(res.scale), conditional=True))


def _gls_contrast(x: np.ndarray, rho: np.ndarray, cov: np.ndarray, df_resid: float
                  ) -> ContrastInference:
    """Variance and Satterthwaite df (:func:`~spamlab.its.smallsample.gls_satterthwaite_df`)
    of any contrast of an FGLS fit with the bias-corrected ``rho``."""

    def contrast(w: np.ndarray) -> tuple[float, float | None]:
        df = smallsample.gls_satterthwaite_df(x[None], rho, w[None], df_resid)
        return float(w @ cov @ w), float(df[0, 0])

    return contrast


def _fit_reml(design: Design, response: np.ndarray, transform: str | None) -> Fitted:
    """AR(1) regression by REML with Kackar-Harville variance and Satterthwaite df for
    every contrast (:func:`~spamlab.its.reml.kackar_harville`).

    Where the adjusted covariance of all coefficients is not positive definite (``rho``
    at the edge of the search, a nearly singular information) the unadjusted ``Phi``
    stands in for it (the bands of the counterfactual use it); the effects keep their
    own adjusted variance where it is positive.
    """
    yv, x, offset = _rows(design, response)
    times = np.flatnonzero(~np.isnan(response)).astype(float)
    fit = reml.fit_reml(x.to_numpy(), (yv - offset)[None], times)
    columns = list(x.columns)
    pieces = reml.information(fit)

    def contrast(w: np.ndarray) -> tuple[float, float | None]:
        test = reml.kackar_harville(fit, w, pieces)
        return float(test.std_err[0] ** 2), float(test.df[0])

    cov, term_df, notes = _kackar_harville_cov(
        reml.adjusted_cov(fit, pieces=pieces)[0], fit.sigma2[0] * fit.unscaled[0], columns,
        design.interruption_columns, contrast)
    notes = _rho_notes(float(fit.rho[0]), reml.RHO_MAX, "REML") + notes
    rho = float(fit.rho[0])
    resid = reml.innovations(fit, (yv - offset)[None])[0]
    name = _gauss_name(f"AR(1) errors by REML (rho={rho:.3f}), Kackar-Harville variance, "
                       "Satterthwaite df", transform)
    noise = ("gaussian", float(fit.sigma2[0]) / max(1e-12, 1 - rho**2))
    return Fitted(pd.Series(fit.params[0], index=columns), cov, float(fit.df_resid),
                  transform == "log", noise, resid, name, notes, term_df, rho, fit, contrast,
                  ArmaErrors((rho,), (), float(fit.sigma2[0])))


def _rho_notes(rho: float, limit: float, how: str) -> tuple[str, ...]:
    """A caution when the AR(1) coefficient reached the edge of its search.

    Examples
    --------
    >>> _rho_notes(0.5, 0.98, "REML")
    ()
    """
    if abs(rho) < limit - 1e-6:
        return ()
    text = (f"the {how} AR(1) coefficient reached its limit (rho = {rho:.3f}): the errors "
            "behave like a random walk, so the regression line X b is weakly identified and "
            "the trend and counterfactual far from the interruption are uncertain; compare "
            "errors='hac' and a shorter window")
    return (text,)


def _fit_arma(design: Design, response: np.ndarray, transform: str | None,
              order: tuple[int, int]) -> Fitted:
    """ARMA(p, q) errors by REML with Kackar-Harville variance and Satterthwaite df for every
    contrast (:mod:`~spamlab.its.armareml`; gaps enter as longer time steps); beyond
    ``armareml.DENSE_MAX`` observed rows exact ML (:func:`_fit_arma_ml`)."""
    observed = ~np.isnan(response)
    check_arma_order(order, int(observed.sum()), design.matrix.shape[1])
    if observed.sum() > armareml.DENSE_MAX:
        return _fit_arma_ml(design, response, transform, order)
    yv, x, offset = _rows(design, response)
    fit = armareml.fit_arma_reml(x.to_numpy(), yv - offset,
                                 np.flatnonzero(observed).astype(float), order)
    pieces = armareml.information(fit)
    columns = list(x.columns)

    def contrast(w: np.ndarray) -> tuple[float, float | None]:
        test = armareml.kackar_harville(fit, w, pieces)
        return float(test.std_err[0] ** 2), float(test.df[0])

    cov, term_df, notes = _kackar_harville_cov(
        armareml.adjusted_cov(fit, pieces), fit.sigma2 * fit.unscaled, columns,
        design.interruption_columns, contrast)
    notes = _arma_notes(fit) + notes
    rho = fit.coef[0] if order == (1, 0) else None
    shown = ", ".join(f"{n}={v:.3f}" for n, v in zip(
        [f"ar{i + 1}" for i in range(order[0])] + [f"ma{j + 1}" for j in range(order[1])],
        fit.coef))
    name = _gauss_name(f"regression with ARMA({order[0]},{order[1]}) errors by REML"
                       f"{' (' + shown + ')' if shown else ''}, Kackar-Harville variance, "
                       "Satterthwaite df", transform)
    variance = fit.sigma2 * float(armareml.autocovariances(fit.coef, order, 1)[0])
    return Fitted(pd.Series(fit.params, index=columns), cov, float(fit.df_resid),
                  transform == "log", ("gaussian", variance), armareml.innovations(fit), name,
                  notes, term_df, None if rho is None else float(rho), fit, contrast,
                  ArmaErrors(fit.ar, fit.ma, fit.sigma2))


def _kackar_harville_cov(adjusted: np.ndarray, phi: np.ndarray, columns: list[str],
                         effects: list[str], contrast: ContrastInference
                         ) -> tuple[pd.DataFrame, dict[str, float], tuple[str, ...]]:
    """The covariance of a Kackar-Harville fit, the df of its effect columns and a note.

    ``adjusted`` (or ``phi``, the GLS covariance, where it is not positive definite) with
    the variance of each effect column set to that column's own adjusted variance from
    ``contrast``.
    """
    notes: tuple[str, ...] = ()
    if not np.all(np.linalg.eigvalsh(adjusted) > 0):
        adjusted = phi
        notes = (("the REML covariance adjusted for the uncertainty of the error parameters "
                  "is not positive definite; the counterfactual bands use the unadjusted GLS "
                  "covariance"),)
    cov = pd.DataFrame(adjusted, index=columns, columns=columns)
    term_df, factors = {}, {}
    for column in effects:
        variance, df = contrast(np.eye(len(columns))[columns.index(column)])
        term_df[column] = np.inf if df is None else float(df)
        factors[column] = float(cov.loc[column, column] / variance)
    return _rescale(cov, factors), term_df, notes


def _arma_notes(fit: armareml.ArmaRemlFit) -> tuple[str, ...]:
    """Cautions: the optimizer did not converge; a partial autocorrelation at its bound."""
    notes: tuple[str, ...] = ()
    if not fit.converged:
        notes += (("optimizer: the REML search for the ARMA coefficients did not report "
                   "convergence"),)
    pacf = armareml.to_pacf(fit.coef, fit.order)
    if np.any(np.abs(pacf) >= armareml.PACF_MAX - 1e-6):
        notes += ((f"a partial autocorrelation of the ARMA errors reached its bound "
                   f"(+-{armareml.PACF_MAX}): the errors are close to non-stationary (or the "
                   "MA part to non-invertible), the trend and the counterfactual far from the "
                   "interruption are weakly identified; compare a lower order and "
                   "errors='hac'"),)
    return notes


def _fit_arma_ml(design: Design, response: np.ndarray, transform: str | None,
                 order: tuple[int, int]) -> Fitted:
    """Exact ML (SARIMAX) with observed-information covariance and Satterthwaite t df, for
    series longer than ``armareml.DENSE_MAX`` observed rows."""
    observed = ~np.isnan(response)
    offset = np.zeros(len(response)) if design.offset is None else design.offset
    model = SARIMAX(response - offset, exog=design.matrix.to_numpy(), order=(order[0], 0, order[1]),
                    trend="n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(disp=False, maxiter=500, cov_type="oim")
    columns = list(design.matrix.columns)
    k = len(columns)
    params = pd.Series(res.params[:k], index=columns)
    full = np.asarray(res.cov_params())
    cov = pd.DataFrame(full[:k, :k], index=columns, columns=columns)
    theta = np.asarray(res.params[k:], dtype=float)
    variance = float(_arma_acov(theta, order, 1)[0])
    contrast = _arma_contrast(design.matrix.to_numpy()[observed], np.flatnonzero(observed),
                              theta, full, order)
    term_df = {c: float(contrast(row)[1] or np.inf) for c, row in zip(
        columns, np.eye(k)) if c in design.interruption_columns}
    resid = np.asarray(res.standardized_forecasts_error[0])
    notes: tuple[str, ...] = ((f"more than {armareml.DENSE_MAX} observed rows: exact ML "
                               "(SARIMAX) instead of REML, without the Kackar-Harville "
                               "adjustment (small for series this long)"),)
    notes += tuple(f"optimizer: {w.message}" for w in caught
                   if issubclass(w.category, (ConvergenceWarning, RuntimeWarning, UserWarning)))
    name = _gauss_name(f"regression with ARMA({order[0]},{order[1]}) errors (exact ML, "
                       "observed information, Satterthwaite df)", transform)
    process = ArmaErrors(tuple(map(float, theta[:order[0]])),
                         tuple(map(float, theta[order[0]:order[0] + order[1]])), float(theta[-1]))
    return Fitted(params, cov, None, transform == "log", ("gaussian", variance),
                  resid[~np.isnan(resid)], name, notes, term_df, result=res, contrast=contrast,
                  error_process=process)


def _arma_acov(theta: np.ndarray, order: tuple[int, int], n: int) -> np.ndarray:
    """Autocovariances at lags ``0 .. n-1`` of ARMA errors with parameters ``theta``
    (AR coefficients, MA coefficients, innovation variance; SARIMAX's order and signs)."""
    p, q = order
    ar = np.r_[1, -theta[:p]]
    ma = np.r_[1, theta[p:p + q]]
    return np.asarray(arma_acovf(ar, ma, nobs=n, sigma2=theta[p + q]))


def _arma_contrast(x: np.ndarray, rows: np.ndarray, theta: np.ndarray, full: np.ndarray,
                   order: tuple[int, int], step: float = 1e-5) -> ContrastInference:
    """Observed-information variance and Satterthwaite df ``2 V^2 / (g' W g)`` of a contrast.

    ``V`` is the contrast's variance from the observed information (``full``, the
    covariance of all SARIMAX parameters, regression coefficients first); ``g`` the
    gradient in the ARMA parameters and the variance of ``c'(X' Sigma^-1 X)^-1 c``
    (``Sigma`` the ARMA covariance at the observed rows; central differences) and ``W``
    their block of ``full``.
    """
    k = x.shape[1]
    lags = np.abs(np.subtract.outer(rows, rows))

    def gls_var(t: np.ndarray, c: np.ndarray) -> float:
        sigma = _arma_acov(t, order, int(rows[-1]) + 1)[lags]
        return float(c @ np.linalg.inv(x.T @ np.linalg.solve(sigma, x)) @ c)

    w = full[k:, k:]

    def contrast(c: np.ndarray) -> tuple[float, float | None]:
        variance = float(c @ full[:k, :k] @ c)
        grad = np.array([(gls_var(theta + step * e, c) - gls_var(theta - step * e, c)) / (2 * step)
                         for e in np.eye(len(theta))])
        spread = float(grad @ w @ grad)
        return variance, (2 * variance**2 / spread if spread > 0 else None)

    return contrast


def check_arma_order(order: tuple[int, int], n: int, k: int) -> None:
    """Refuse ARMA orders the data cannot support: ``p + q`` above a quarter of the ``n``
    observed points, or more than ``n / 2`` parameters in all (``k`` regressors, the
    ARMA coefficients and the variance); exact ML would then search a flat likelihood
    for minutes (``arma(30,30)`` on 60 points took 232 s).

    Examples
    --------
    >>> check_arma_order((2, 1), 150, 9)
    >>> check_arma_order((30, 30), 60, 4)
    Traceback (most recent call last):
    ...
    spamlab.errors.ParameterError: errors='arma(30,30)' needs more data: 60 observed points support at most p + q = 15 and 30 parameters in all (here 4 regressors + 60 ARMA coefficients + 1 variance)
    """
    p, q = order
    if p + q > n // 4 or k + p + q + 1 > n / 2:
        raise ParameterError(f"errors='arma({p},{q})' needs more data: {n} observed points "
                             f"support at most p + q = {n // 4} and {n // 2} parameters in all "
                             f"(here {k} regressors + {p + q} ARMA coefficients + 1 variance)")


def _fit_poisson(design: Design, response: np.ndarray, quasi: bool, kind: str,
                 small_sample: bool, lags_option: int | None) -> Fitted:
    yv, x, offset = _rows(design, response)
    model = GLM(yv, x, family=families.Poisson(), offset=offset)
    plain = model.fit(scale="X2" if quasi else None, use_t=quasi)
    res, cov = plain, plain.cov_params()
    term_df: dict[str, float] = {}
    notes: tuple[str, ...] = ()
    rho: float | None = None
    contrast: ContrastInference | None = None
    name = ("quasi-Poisson (Pearson dispersion)" if quasi else "Poisson") + " GLM, log link"
    if kind == "hac":
        lags = _lags(len(yv), lags_option)
        res = model.fit(cov_type="HAC", cov_kwds={"maxlags": lags})
        mu = np.asarray(res.mu)
        cov, term_df, described, rho, contrast = _count_hac(
            x, (yv - mu) / np.sqrt(mu), mu, res.cov_params(), design, lags, small_sample)
        name, notes = name + described, _gap_note(response)
    elif not quasi:
        notes = overdispersion_notes(float(plain.pearson_chi2), float(plain.df_resid))
    dispersion = float(plain.scale) if quasi else 1.0
    noise = ("quasipoisson", dispersion) if quasi else ("poisson", 1.0)
    df = plain.df_resid if (quasi and kind != "hac") else None
    return Fitted(res.params, cov, df, True, noise, np.asarray(plain.resid_pearson), name, notes,
                  term_df, rho, res, contrast)


def overdispersion_notes(pearson_chi2: float, df_resid: float, level: float = 0.01
                         ) -> tuple[str, ...]:
    """A caution when a Poisson fit's Pearson chi-square rejects the Poisson variance.

    With overdispersed counts (any count series with extra day-to-day variation, and
    every series in the millions) Poisson ``iid`` intervals are ``sqrt(dispersion)``
    times too narrow: 0.7471 with a 95% interval 0.747119 to 0.747122 for daily counts
    near 2e11.

    Examples
    --------
    >>> overdispersion_notes(110.0, 100.0)
    ()
    >>> overdispersion_notes(900.0, 100.0)[0][:45]
    'overdispersion: the Pearson dispersion is 9, '
    """
    if not df_resid > 0 or stats.chi2.sf(pearson_chi2, df_resid) >= level:
        return ()
    dispersion = pearson_chi2 / df_resid
    return ((f"overdispersion: the Pearson dispersion is {dispersion:.3g}, not 1 as Poisson "
             f"counts have (chi-square test p < {level:g}), so these Poisson intervals are "
             f"about {np.sqrt(dispersion):.3g} times too narrow; use family='quasipoisson' or "
             "'negbin', or errors='hac'"),)


def _fit_negbin(design: Design, response: np.ndarray, kind: str, small_sample: bool,
                lags_option: int | None) -> Fitted:
    yv, x, offset = _rows(design, response)
    model = NegativeBinomial(yv, x, offset=offset, loglike_method="nb2")
    options: dict[str, object] = {"disp": False, "maxiter": 200}
    if kind == "hac":
        options.update(cov_type="HAC", cov_kwds={"maxlags": _lags(len(yv), lags_option)})
    res, notes = _quiet_fit(model, method="newton", **options)
    if not (np.all(np.isfinite(res.params)) and res.mle_retvals.get("converged", False)):
        res, notes = _quiet_fit(model, method="bfgs", **{**options, "maxiter": 2000})
        notes = ("Newton-Raphson failed; negative binomial fitted by BFGS",) + notes
    columns = list(x.columns)
    alpha = float(res.params["alpha"])
    try:
        cov = res.cov_params().loc[columns, columns]
    except ValueError:
        cov = None
    boundary = alpha < 1e-4 and not res.mle_retvals.get("converged", False)
    if cov is None or not np.all(np.isfinite(cov.to_numpy())) or boundary:
        # alpha -> 0 is the Poisson boundary, where NB2's likelihood has no interior maximum
        # and its covariance depends on where the optimizer happened to stop
        why = ("no overdispersion?" if alpha < 1e-4 else
               f"the likelihood search failed on counts up to {np.max(yv):.3g}")
        raise ParameterError(f"family='negbin': the fit has no usable covariance (dispersion "
                             f"alpha = {alpha:.2g}; {why}); use family='poisson' "
                             "or 'quasipoisson'")
    if alpha < 1e-4:
        notes += (f"no overdispersion found (alpha = {alpha:.2g}): family='poisson' is adequate",)
    mu = np.exp(x.to_numpy() @ res.params[columns].to_numpy() + offset)
    pearson = (yv - mu) / np.sqrt(mu + alpha * mu**2)
    name = "negative binomial (NB2), log link"
    term_df: dict[str, float] = {}
    rho: float | None = None
    contrast: ContrastInference | None = None
    if kind == "hac":
        cov, term_df, described, rho, contrast = _count_hac(
            x, pearson, mu / (1 + alpha * mu), cov, design, _lags(len(yv), lags_option),
            small_sample)
        name, notes = name + described, notes + _gap_note(response)
    return Fitted(res.params[columns], cov, None, True, ("negbin", alpha), pearson, name, notes,
                  term_df, rho, res, contrast)


def _count_hac(x: pd.DataFrame, pearson: np.ndarray, weights: np.ndarray, cov: pd.DataFrame,
               design: Design, lags: int, small_sample: bool,
               ) -> tuple[pd.DataFrame, dict[str, float], str, float | None,
                          ContrastInference | None]:
    """A count model's Newey-West ``cov`` (statsmodels: no ``n/(n-p)``), small-sample adjusted
    on request (:func:`_small_sample_hac`), with its df, the text for the model name, the
    working AR(1) ``rho`` of the adjustment and its contrast inference (``None`` without it)."""
    described = f", Newey-West HAC ({lags} lags"
    term_df: dict[str, float] = {}
    rho: float | None = None
    contrast: ContrastInference | None = None
    if small_sample:
        cov, term_df, rho, contrast = _small_sample_hac(x, pearson, weights, cov,
                                                        design.interruption_columns, lags, False)
        described += f", small-sample adjusted under AR(1) rho={rho:.3f}"
    return cov, term_df, described + ")", rho, contrast


def _quiet_fit(model: NegativeBinomial, **options: object) -> tuple[Any, tuple[str, ...]]:
    """Fit, turning optimizer warnings into notes for the result's warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(**options)
    return res, tuple(f"optimizer: {w.message}" for w in caught)
