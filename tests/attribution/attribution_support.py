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


EVENING = "2011-03-16 18:30"
"""The moment of the two-drop trap: botnet A stops and botnet B halves."""
TWO_DROP_SOURCES: tuple[tuple[str, float, float, int], ...] = (
    ("A", 300.0, 0.0, 10), ("B", 150.0, 0.5, 6), ("C", 450.0, 1.0, 20))
"""(name, messages per day, factor from EVENING on, /24 networks): A is a third of the mail."""


def weekly(days: pd.DatetimeIndex, amplitude: float = 0.25) -> np.ndarray:
    """A weekday cycle of mean about 1 (peak on Mondays)."""
    return 1 + amplitude * np.cos(2 * np.pi * days.day_of_week.to_numpy() / 7)


def two_drop_trap(seed: int, n: int = 56, noise: float = 0.03) -> tuple[pd.DataFrame, float]:
    """Synthetic trap events: A stops at :data:`EVENING`, B halves then, C goes on, all with
    a weekday cycle and lognormal day noise (``noise``) on Poisson counts. Columns
    ``arrival``, ``sender_ip`` (source i's networks in 10.i.x.0/24), ``source``. Returns the
    events and the true residual per day over every whole day after the evening's day (B's
    expected fall: half its expected volume)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2011-02-14", periods=n, freq="D", tz="UTC")
    cut = pd.Timestamp(EVENING, tz="UTC").value / 1e9
    parts = []
    for i, (name, rate, factor, nets) in enumerate(TWO_DROP_SOURCES):
        mean = rate * weekly(days) * np.exp(rng.normal(-noise**2 / 2, noise, n))
        count = rng.poisson(mean)
        seconds = np.repeat(days.as_unit("s").asi8, count) + rng.uniform(0, 86_400, count.sum())
        keep = (seconds < cut) | (rng.random(len(seconds)) < factor)
        net, host = rng.integers(0, nets, keep.sum()), rng.integers(1, 255, keep.sum())
        parts.append(pd.DataFrame({"arrival": pd.to_datetime(seconds[keep], unit="s", utc=True),
                                   "sender_ip": [f"10.{i}.{a}.{b}" for a, b in zip(net, host)],
                                   "source": name}))
    after = days > pd.Timestamp(EVENING, tz="UTC").floor("D")
    truth = 0.5 * TWO_DROP_SOURCES[1][1] * float(weekly(days)[after].mean())
    return pd.concat(parts).sort_values("arrival", ignore_index=True), truth


def by_source(events_: pd.DataFrame) -> pd.DataFrame:
    """Daily counts per source and their total (what a vendor's export by botnet gives)."""
    day = events_["arrival"].dt.floor("D")
    daily = pd.crosstab(day, events_["source"]).astype(float)
    daily["total"] = daily.sum(axis=1)
    return daily.rename_axis(index="date", columns=None)
