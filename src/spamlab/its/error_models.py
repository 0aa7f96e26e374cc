"""The gaussian error models of the segmented regression, one fitter per ``errors=``.

``iid``/``hac`` (:func:`fit_ols`), ``ar1`` (:func:`fit_ar1`), ``reml`` (:func:`fit_reml`)
and ``arma(p,q)`` (:func:`fit_arma`); what each estimates is tabled in
:mod:`spamlab.its.segmented`, which dispatches to them (``GAUSSIAN_ERRORS``). Every fitter
takes ``(design, response, spec)`` and returns a :class:`~spamlab.its.fitted.Fitted`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from statsmodels.regression.linear_model import GLSAR, OLS
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.arima_process import arma_acovf
from statsmodels.tsa.statespace.sarimax import SARIMAX

from spamlab.errors import ParameterError
from spamlab.its import armareml, reml, smallsample
from spamlab.its.design import Design
from spamlab.its.fitted import (
    ContrastInference,
    Fitted,
    corrected_rho,
    gap_note,
    gaussian_name,
    newey_west_lags,
    observed_rows,
    rescale_variances,
    rho_notes,
    small_sample_hac,
)
from spamlab.its.prediction import ArmaErrors
from spamlab.its.specification import Specification

__all__ = ["GLSAR_MAXITER", "GLSAR_RTOL", "check_arma_order", "fit_ar1", "fit_arma", "fit_ols",
           "fit_reml"]

GLSAR_MAXITER: int = 100


GLSAR_RTOL: float = 1e-10


def fit_ols(design: Design, response: np.ndarray, spec: Specification) -> Fitted:
    """``errors="iid"`` or ``"hac"``/``"hac(L)"``: OLS, with the small-sample adjusted
    Newey-West covariance on request (:func:`~spamlab.its.fitted.small_sample_hac`)."""
    transform, kind = spec.transform, spec.error_structure[0]
    small_sample, lags_option = spec.small_sample, spec.hac_lags
    yv, x, offset = observed_rows(design, response)
    model = OLS(yv - offset, x)
    if kind != "hac":
        res = model.fit()
        return Fitted(res.params, res.cov_params(), res.df_resid, transform == "log",
                      ("gaussian", float(res.scale)), np.asarray(res.resid),
                      gaussian_name("OLS, iid errors", transform), result=res)
    lags = newey_west_lags(len(yv), lags_option)
    res = model.fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True)
    cov, name = res.cov_params(), f"OLS, Newey-West HAC standard errors ({lags} lags"
    term_df: dict[str, float] = {}
    rho: float | None = None
    contrast: ContrastInference | None = None
    if small_sample:
        cov, term_df, rho, contrast = small_sample_hac(x, np.asarray(res.resid),
                                                        np.ones(len(yv)), cov,
                                                        design.interruption_columns, lags, True)
        name += f", small-sample adjusted under AR(1) rho={rho:.3f}"
    return Fitted(res.params, cov, res.df_resid, transform == "log",
                  ("gaussian", float(res.scale)), np.asarray(res.resid),
                  gaussian_name(name + ")", transform), gap_note(response), term_df, rho, res,
                  contrast)


def fit_ar1(design: Design, response: np.ndarray, spec: Specification) -> Fitted:
    """``errors="ar1"``: feasible GLS with AR(1) errors (Cochrane-Orcutt, statsmodels
    ``GLSAR``); bias-corrected ``rho`` and Satterthwaite df with ``small_sample=True``."""
    transform, small_sample = spec.transform, spec.small_sample
    yv, x, offset = observed_rows(design, response)
    term_df: dict[str, float] = {}
    if small_sample:
        ols = OLS(yv - offset, x).fit()
        rho = corrected_rho(x.to_numpy(), np.asarray(ols.resid))
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
    notes = gap_note(response) + rho_notes(rho_value, smallsample.RHO_LIMIT, "FGLS")
    variance = float(res.scale) / max(1e-12, 1 - rho_value**2)
    name = gaussian_name(f"feasible GLS with AR(1) errors (rho={rho_value:.3f}, {how})", transform)
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


def fit_reml(design: Design, response: np.ndarray, spec: Specification) -> Fitted:
    """``errors="reml"``: AR(1) regression by REML with Kackar-Harville variance and Satterthwaite df for
    every contrast (:func:`~spamlab.its.reml.kackar_harville`).

    Where the adjusted covariance of all coefficients is not positive definite (``rho``
    at the edge of the search, a nearly singular information) the unadjusted ``Phi``
    stands in for it (the bands of the counterfactual use it); the effects keep their
    own adjusted variance where it is positive.
    """
    transform = spec.transform
    yv, x, offset = observed_rows(design, response)
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
    notes = rho_notes(float(fit.rho[0]), reml.RHO_MAX, "REML") + notes
    rho = float(fit.rho[0])
    resid = reml.innovations(fit, (yv - offset)[None])[0]
    name = gaussian_name(f"AR(1) errors by REML (rho={rho:.3f}), Kackar-Harville variance, "
                       "Satterthwaite df", transform)
    noise = ("gaussian", float(fit.sigma2[0]) / max(1e-12, 1 - rho**2))
    return Fitted(pd.Series(fit.params[0], index=columns), cov, float(fit.df_resid),
                  transform == "log", noise, resid, name, notes, term_df, rho, fit, contrast,
                  ArmaErrors((rho,), (), float(fit.sigma2[0])))


def fit_arma(design: Design, response: np.ndarray, spec: Specification) -> Fitted:
    """``errors="arma(p,q)"``: ARMA(p, q) errors by REML with Kackar-Harville variance and Satterthwaite df for every
    contrast (:mod:`~spamlab.its.armareml`; gaps enter as longer time steps); beyond
    ``armareml.DENSE_MAX`` observed rows exact ML (:func:`_fit_arma_ml`)."""
    transform, order = spec.transform, spec.error_structure[1]
    observed = ~np.isnan(response)
    check_arma_order(order, int(observed.sum()), design.matrix.shape[1])
    if observed.sum() > armareml.DENSE_MAX:
        return _fit_arma_ml(design, response, transform, order)
    yv, x, offset = observed_rows(design, response)
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
    name = gaussian_name(f"regression with ARMA({order[0]},{order[1]}) errors by REML"
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
    return rescale_variances(cov, factors), term_df, notes


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
    name = gaussian_name(f"regression with ARMA({order[0]},{order[1]}) errors (exact ML, "
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
