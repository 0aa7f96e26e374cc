"""Simulated truth for the attribution tests: daily panels and mail events.

Panels: ``total = rustock + bagle + unnamed`` on 90 days (2011-01-15 to 2011-04-14),
each part with its own AR(1) noise (rho 0.5), so the total shares the target's noise.
At 2011-03-16 14:45 ``rustock`` (14/day) stops, ``bagle`` (8/day) falls by 2 and the
unnamed rest (30/day) by 3: the residual's truth is 2 + 3 = 5 per day. The interruption
day carries the fraction of the day before the stop (partial exposure).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CUT = "2011-03-16 14:45"
TRUE_RESIDUAL = 5.0
RHO = 0.5


def ar1(rng: np.random.Generator, n: int, sd: float, rho: float = RHO) -> np.ndarray:
    """Stationary AR(1) noise with innovation sd ``sd``."""
    shocks = rng.normal(0.0, sd, n)
    shocks[0] /= np.sqrt(1 - rho**2)
    out = np.empty(n)
    out[0] = shocks[0]
    for t in range(1, n):
        out[t] = rho * out[t - 1] + shocks[t]
    return out


def panel(seed: int, n: int = 90) -> pd.DataFrame:
    """One simulated panel (synthetic): columns total, rustock, bagle."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2011-01-15", periods=n, freq="D", tz="UTC")
    cut = pd.Timestamp(CUT, tz="UTC")
    after = np.clip(((days + pd.Timedelta(days=1)) - cut) / pd.Timedelta(days=1), 0.0, 1.0)
    rustock = (1 - after) * (14.0 + ar1(rng, n, 0.4))
    bagle = 8.0 - 2.0 * after + ar1(rng, n, 0.4)
    unnamed = 30.0 - 3.0 * after + ar1(rng, n, 0.6)
    return pd.DataFrame({"total": rustock + bagle + unnamed, "rustock": rustock,
                         "bagle": bagle}, index=days)


def events(seed: int, n_groups: int, stop: np.ndarray | None = None, *, days: int = 60,
           rate: float = 15.0, shape: float = 8.0) -> pd.DataFrame:
    """Synthetic mail events: ``n_groups`` sender /24 networks over ``days`` days from
    2011-02-14, daily counts gamma-Poisson (overdispersed: shape ``shape``) around a
    group rate drawn around ``rate``; groups flagged in ``stop`` send nothing from
    :data:`CUT` on. Columns ``arrival`` (UTC) and ``sender_ip`` (group g in 10.x.y.0/24)."""
    rng = np.random.default_rng(seed)
    stop = np.zeros(n_groups, dtype=bool) if stop is None else stop
    level = rate * rng.gamma(4.0, 0.25, n_groups)
    mean = level[:, None] * rng.gamma(shape, 1 / shape, (n_groups, days))
    counts = rng.poisson(mean)
    group = np.repeat(np.repeat(np.arange(n_groups), days), counts.ravel())
    day = np.repeat(np.tile(np.arange(days), n_groups), counts.ravel())
    start = pd.Timestamp("2011-02-14", tz="UTC").value // 10**9
    seconds = start + day * 86_400 + rng.uniform(0, 86_400, len(day))
    cut = pd.Timestamp(CUT, tz="UTC").value / 1e9
    keep = ~(stop[group] & (seconds >= cut))
    group, seconds = group[keep], seconds[keep]
    host = rng.integers(1, 255, len(group))
    ips = [f"10.{g // 256}.{g % 256}.{h}" for g, h in zip(group.tolist(), host.tolist())]
    return pd.DataFrame({"arrival": pd.to_datetime(seconds, unit="s", utc=True),
                         "sender_ip": ips})
