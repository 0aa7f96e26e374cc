"""What a segmented fit hands to the results layer, and what its fitters share.

:class:`Fitted` is the record every fitter (:mod:`spamlab.its.error_models` for gaussian
errors, :mod:`spamlab.its.count_models` for count families, :mod:`spamlab.its.structural`)
returns; :data:`Fitter` is the signature the dispatch tables of
:func:`spamlab.its.segmented.fit_segmented` hold. The rest is shared by the fitters: the
observed rows, the Newey-West lag rule, the small-sample adjustment of a Newey-West
covariance (:func:`small_sample_hac`) and the notes a fit carries.

Examples
--------
>>> hac_lags(180)
4
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from spamlab.errors import ParameterError
from spamlab.its import smallsample
from spamlab.its.batched import yule_walker_ar1
from spamlab.its.design import Design
from spamlab.its.prediction import ArmaErrors
from spamlab.its.specification import Specification

__all__ = ["ContrastInference", "Fitted", "Fitter", "corrected_rho", "gap_note", "gaussian_name",
           "hac_lags", "newey_west_lags", "observed_rows", "rescale_variances", "rho_notes",
           "small_sample_hac"]

ContrastInference = Callable[[np.ndarray], tuple[float, float | None]]
"""``weights -> (variance, df)`` of a linear contrast ``weights @ params`` (df ``None``: normal)."""

Fitter = Callable[[Design, np.ndarray, Specification], "Fitted"]
"""``(design, response, spec) -> Fitted``: one error model or count family (``response`` on
the model's scale, NaN where not observed)."""


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


def observed_rows(design: Design, response: np.ndarray) -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
    """The observed response, the design rows and the offset at the rows where it is observed."""
    keep = ~np.isnan(response)
    offset = np.zeros(len(response)) if design.offset is None else design.offset
    return response[keep], design.matrix[keep], offset[keep]


def newey_west_lags(n: int, lags_option: int | None) -> int:
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


def small_sample_hac(x: pd.DataFrame, resid: np.ndarray, weights: np.ndarray, cov: pd.DataFrame,
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
    rho = corrected_rho(working, resid)
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
    return (rescale_variances(cov, dict(zip(columns, factors))), dict(zip(columns, dfs)),
            float(rho[0]), contrast)


def gap_note(response: np.ndarray) -> tuple[str, ...]:
    """Autocorrelation-aware errors treat rows on either side of a gap as neighbours."""
    if not np.isnan(response).any():
        return ()
    return ("autocorrelation was estimated joining the rows on either side of each gap",)


def corrected_rho(x: np.ndarray, resid: np.ndarray) -> np.ndarray:
    """Bias-corrected AR(1) coefficient of OLS residuals (see :mod:`smallsample`)."""
    return smallsample.bias_corrected_rho(x[None], yule_walker_ar1(resid[None]))


def rescale_variances(cov: pd.DataFrame, factors: dict[str, float]) -> pd.DataFrame:
    """Divide the variances of some coefficients by ``factors`` (keeping correlations)."""
    scale = np.array([1 / np.sqrt(factors.get(c, 1.0)) for c in cov.columns])
    return cov * np.outer(scale, scale)


def gaussian_name(name: str, transform: str | None) -> str:
    """The model's description, saying ``on log(y)`` when the response is logged."""
    return f"gaussian on log(y), {name}" if transform == "log" else f"gaussian, {name}"


def rho_notes(rho: float, limit: float, how: str) -> tuple[str, ...]:
    """A caution when the AR(1) coefficient reached the edge of its search.

    Examples
    --------
    >>> rho_notes(0.5, 0.98, "REML")
    ()
    """
    if abs(rho) < limit - 1e-6:
        return ()
    text = (f"the {how} AR(1) coefficient reached its limit (rho = {rho:.3f}): the errors "
            "behave like a random walk, so the regression line X b is weakly identified and "
            "the trend and counterfactual far from the interruption are uncertain; compare "
            "errors='hac' and a shorter window")
    return (text,)
