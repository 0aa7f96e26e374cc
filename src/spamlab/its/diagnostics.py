"""Residual diagnostics: Ljung-Box, Durbin-Watson and the autocorrelation function.

Examples
--------
>>> import numpy as np
>>> d = residual_diagnostics(np.random.default_rng(0).standard_normal(200))
>>> sorted(d)
['acf', 'durbin_watson', 'ljung_box_lag', 'ljung_box_p', 'ljung_box_stat']
"""

from __future__ import annotations

import numpy as np
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.stats.stattools import durbin_watson
from statsmodels.tsa.stattools import acf


def ljung_box_lag(n: int) -> int:
    """Lags tested by Ljung-Box: ``min(10, n // 5)``, at least 1."""
    return max(1, min(10, n // 5))


def residual_diagnostics(residuals: np.ndarray) -> dict[str, object]:
    """Ljung-Box statistic and p-value, Durbin-Watson and ACF (up to 20 lags) of ``residuals``.

    Parameters
    ----------
    residuals
        Residuals in time order (missing values removed).
    """
    resid = np.asarray(residuals, dtype=float)
    resid = resid[np.isfinite(resid)]
    lag = ljung_box_lag(len(resid))
    box = acorr_ljungbox(resid, lags=[lag])
    return {
        "ljung_box_lag": lag,
        "ljung_box_stat": float(box["lb_stat"].iloc[0]),
        "ljung_box_p": float(box["lb_pvalue"].iloc[0]),
        "durbin_watson": float(durbin_watson(resid)),
        "acf": [float(v) for v in acf(resid, nlags=min(20, len(resid) - 1), fft=True)],
    }
