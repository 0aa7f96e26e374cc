"""Residual diagnostics: Ljung-Box, Durbin-Watson and the autocorrelation function.

Examples
--------
>>> import numpy as np
>>> d = residual_diagnostics(np.random.default_rng(0).standard_normal(200))
>>> sorted(d)
['acf', 'durbin_watson', 'exact_fit', 'ljung_box_lag', 'ljung_box_p', 'ljung_box_stat']
"""

from __future__ import annotations

import numpy as np
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.stats.stattools import durbin_watson
from statsmodels.tsa.stattools import acf


def ljung_box_lag(n: int) -> int:
    """Lags tested by Ljung-Box: ``min(10, n // 5)``, at least 1."""
    return max(1, min(10, n // 5))


def residual_diagnostics(residuals: np.ndarray, scale: float = 1.0) -> dict[str, object]:
    """Ljung-Box statistic and p-value, Durbin-Watson and ACF (up to 20 lags) of ``residuals``.

    Parameters
    ----------
    residuals
        Residuals in time order (missing values removed).
    scale
        Typical size of the outcome; residuals below ``1e-9 * scale`` mean an
        exact fit (``exact_fit`` is then True and the tests are not computed).
    """
    resid = np.asarray(residuals, dtype=float)
    resid = resid[np.isfinite(resid)]
    if np.max(np.abs(resid), initial=0.0) <= 1e-9 * max(scale, 1e-300):
        return {"exact_fit": True}
    lag = ljung_box_lag(len(resid))
    box = acorr_ljungbox(resid, lags=[lag])
    return {
        "exact_fit": False,
        "ljung_box_lag": lag,
        "ljung_box_stat": float(box["lb_stat"].iloc[0]),
        "ljung_box_p": float(box["lb_pvalue"].iloc[0]),
        "durbin_watson": float(durbin_watson(resid)),
        "acf": [float(v) for v in acf(resid, nlags=min(20, len(resid) - 1), fft=True)],
    }
