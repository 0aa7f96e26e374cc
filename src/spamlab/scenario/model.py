"""A synthetic generator of daily spam volume by source, 1 Dec 2010 - 30 Jun 2011.

Every source has a piecewise-constant daily rate (bn/day) built from a level, a
weekly profile, slow log-linear trends, the New Year dip and, for Rustock, its
December level, holiday pause and the takedown. A source can *stop* (or drop
by a fraction) at an instant inside a day; volumes over any interval (UTC days,
a vendor's days starting ``day_offset_hours`` later, hours) are exact
integrals of the rates. Multiplicative AR(1) noise acts on the daily rates.

Everything here is synthetic: a model calibrated to published figures, not data
about 2011.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from spamlab.errors import ParameterError

__all__ = ["BOTNETS", "END", "N_DAYS", "PARAM_BASIS", "SOURCES", "START", "SUFFIX", "Params", "Source",
           "ar1_noise", "day_number", "generate", "sources", "volume_arrays", "volumes"]

START = pd.Timestamp("2010-12-01")
END = pd.Timestamp("2011-06-30")
N_DAYS = (END - START).days + 1
SOURCES: tuple[str, ...] = ("rustock", "bagle", "other_named", "other_botnets", "non_botnet")
BOTNETS: tuple[str, ...] = SOURCES[:-1]
SUFFIX = "_synthetic"


def day_number(when: str | pd.Timestamp) -> float:
    """Days (float) from 1 Dec 2010 00:00 UTC to ``when`` (naive timestamps are UTC)."""
    return (pd.Timestamp(when) - START) / pd.Timedelta(days=1)


@dataclass(frozen=True)
class Params:
    """Scenario parameters. Levels are bn/day on 15 March 2011 before the takedown.

    Figure-based inputs name their row; the others are labelled assumptions.

    Examples
    --------
    >>> Params().takedown_hour
    14.75
    """

    rustock_level: float = 13.82  # row 1 (free in calibration)
    rustock_december: float = 44.1  # row 7
    rustock_pause_level: float = 0.5  # row 53
    pause_start: str = "2010-12-25"  # rows 53, 337
    pause_end: str = "2011-01-10"  # rows 54, 337
    takedown_hour: float = 14.75  # row 125 (row 130: 15.5)
    bagle_level: float = 8.31  # row 8 (free)
    others_level: float = 24.0  # other named + other botnets (free)
    nonbot_level: float = 6.0  # free
    named_fraction: float = 0.5  # assumption: other named botnets' part of "others"
    winter_trend: float = 0.0  # log-slope per day, Dec -> Mar, non-Rustock (free)
    march_trend: float = 0.0  # extra log-slope per day from 1 March to the takedown (pre_trend)
    post_growth: float = 0.0  # log-slope per day of non-Rustock after the takedown (free)
    holiday_depth: float = 0.1  # depth of the New Year dip, non-Rustock (free)
    holiday_width_days: float = 3.0  # assumption
    weekend_factor: float = 0.8  # assumption: mid of rows 384 (0.71) and 219 (0.89)
    day_offset_hours: float = 0.0  # vendor's day starts this many hours after 00:00 UTC
    collateral: float = 0.0  # fraction of other named botnets lost at the takedown
    second_drop: float = 0.0  # bn/day lost by a second source (in other_botnets) at second_time
    second_time: str = "2011-03-17 00:00"  # assumption
    noise_sd: float = 0.05  # assumption: sd of daily log-noise (spam-trap-like)
    noise_ar1: float = 0.5  # assumption: lag-1 autocorrelation of the log-noise

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float | int) and not np.isfinite(value):
                raise ParameterError(f"Params.{f.name}={value}: must be finite")
        for name in ("rustock_level", "bagle_level", "others_level", "nonbot_level",
                     "rustock_december", "rustock_pause_level", "second_drop", "noise_sd"):
            if getattr(self, name) < 0:
                raise ParameterError(f"Params.{name}={getattr(self, name)}: must be >= 0")
        for name in ("named_fraction", "collateral", "holiday_depth"):
            if not 0 <= getattr(self, name) <= 1:
                raise ParameterError(f"Params.{name}={getattr(self, name)}: must lie in [0, 1]")
        if not 0 < self.weekend_factor <= 1.5:
            raise ParameterError(f"Params.weekend_factor={self.weekend_factor}: must lie in (0, 1.5]")
        if not 0 <= self.takedown_hour < 24 or not -12 <= self.day_offset_hours <= 12:
            raise ParameterError("Params.takedown_hour must lie in [0, 24) and day_offset_hours in [-12, 12]")
        if not -1 < self.noise_ar1 < 1:
            raise ParameterError(f"Params.noise_ar1={self.noise_ar1}: must lie in (-1, 1)")

    def takedown_as_timestamp(self) -> pd.Timestamp:
        """Takedown instant as a UTC-naive timestamp (16 March 2011 + ``takedown_hour``)."""
        return pd.Timestamp("2011-03-16") + pd.Timedelta(hours=self.takedown_hour)

    @property
    def takedown(self) -> float:
        """Takedown instant in days since 1 Dec 2010 00:00 UTC."""
        return day_number("2011-03-16") + self.takedown_hour / 24


#: Where each non-fitted parameter's default comes from (a figure row or an assumption).
PARAM_BASIS: dict[str, str] = {
    "rustock_level": "row 1", "rustock_december": "row 7", "rustock_pause_level": "row 53",
    "pause_start": "rows 53, 337", "pause_end": "rows 54, 337", "takedown_hour": "row 125",
    "bagle_level": "row 8", "others_level": "assumption", "nonbot_level": "assumption",
    "named_fraction": "assumption", "winter_trend": "assumption", "march_trend": "assumption",
    "post_growth": "assumption", "holiday_depth": "assumption", "holiday_width_days": "assumption",
    "weekend_factor": "rows 384, 219 (midpoint)", "day_offset_hours": "assumption (UTC days)",
    "collateral": "assumption", "second_drop": "assumption", "second_time": "assumption",
    "noise_sd": "assumption", "noise_ar1": "assumption",
}


@dataclass(frozen=True)
class Source:
    """Daily base rates of one source, and an instant after which they are multiplied."""

    rates: np.ndarray  # bn/day during UTC day d (length N_DAYS + 1: one padding day)
    stop: float = np.inf  # days since START
    after_stop: float = 1.0  # multiplier after ``stop``

    def integral(self, t: np.ndarray) -> np.ndarray:
        """Volume (bn) emitted from START to each time ``t`` (days)."""
        return _integral(self.rates, np.minimum(t, self.stop)) + self.after_stop * (
            _integral(self.rates, t) - _integral(self.rates, np.minimum(t, self.stop)))


def _integral(rates: np.ndarray, t: np.ndarray) -> np.ndarray:
    cum = np.concatenate([[0.0], np.cumsum(rates)])
    t = np.clip(t, 0, len(rates))
    whole = np.minimum(np.floor(t).astype(int), len(rates) - 1)
    return cum[whole] + rates[whole] * (t - whole)


def _midpoints() -> np.ndarray:
    return np.arange(N_DAYS + 1) + 0.5


def _weekly(p: Params) -> np.ndarray:
    dow = (START + pd.to_timedelta(np.arange(N_DAYS + 1), unit="D")).day_of_week.to_numpy()
    return np.where(dow >= 5, p.weekend_factor, 1.0)


def _log_trend(p: Params) -> np.ndarray:
    t = _midpoints()
    ref, march = day_number("2011-03-15"), day_number("2011-03-01")
    return (p.winter_trend * (t - ref) + p.march_trend * (np.clip(t, march, p.takedown) - ref)
            + p.post_growth * np.maximum(t - p.takedown, 0.0))


def _holiday(p: Params) -> np.ndarray:
    z = (_midpoints() - day_number("2011-01-01 12:00")) / p.holiday_width_days
    return 1 - p.holiday_depth * np.exp(-0.5 * z**2)


def _rustock_rates(p: Params) -> np.ndarray:
    t = _midpoints()
    rates = np.full(t.shape, p.rustock_level)
    rates[t < day_number(p.pause_end)] = p.rustock_pause_level
    rates[t < day_number(p.pause_start)] = p.rustock_december
    return rates


def sources(p: Params, noise: dict[str, np.ndarray] | None = None) -> dict[str, Source]:
    """The five sources' rates for ``p``; ``noise`` maps source -> daily log-noise."""
    common = _weekly(p) * np.exp(_log_trend(p)) * _holiday(p)
    others = p.others_level * common
    base = {
        "rustock": _rustock_rates(p) * _weekly(p),
        "bagle": p.bagle_level * common,
        "other_named": p.named_fraction * others,
        "other_botnets": (1 - p.named_fraction) * others,
        "non_botnet": p.nonbot_level * common,
    }
    if noise is not None:
        base = {k: v * np.exp(noise[k]) for k, v in base.items()}
    base["second_source"] = np.full(N_DAYS + 1, p.second_drop)  # flat: the step is exactly second_drop
    return {
        "rustock": Source(base["rustock"], p.takedown, 0.0),
        "bagle": Source(base["bagle"]),
        "other_named": Source(base["other_named"], p.takedown, 1 - p.collateral),
        "other_botnets": Source(base["other_botnets"]),
        "second_source": Source(base["second_source"], day_number(p.second_time), 0.0),
    } | {"non_botnet": Source(base["non_botnet"])}


def ar1_noise(p: Params, seed: int) -> dict[str, np.ndarray]:
    """Stationary AR(1) log-noise per source (sd ``noise_sd``, autocorrelation ``noise_ar1``)."""
    rng = np.random.default_rng(seed)
    out = {}
    for name in SOURCES:
        shocks = rng.standard_normal(N_DAYS + 1) * p.noise_sd * np.sqrt(1 - p.noise_ar1**2)
        series = np.empty_like(shocks)
        series[0] = rng.standard_normal() * p.noise_sd
        for i in range(1, len(shocks)):
            series[i] = p.noise_ar1 * series[i - 1] + shocks[i]
        out[name] = series - p.noise_sd**2 / 2  # mean-one multiplicative noise
    return out


def volume_arrays(srcs: dict[str, Source], offset_hours: float = 0.0, freq: str = "D") -> dict:
    """Per-period volumes (bn) as arrays, second source folded into ``other_botnets``, plus ``total``."""
    step = 1.0 if freq == "D" else 1 / 24
    n = N_DAYS if freq == "D" else N_DAYS * 24
    edges = np.arange(n + 1) * step + offset_hours / 24
    out = {k: np.diff(s.integral(edges)) for k, s in srcs.items()}
    out["other_botnets"] = out["other_botnets"] + out.pop("second_source")
    out["total"] = sum((out[k] for k in SOURCES), np.zeros(n))
    return out


def volumes(srcs: dict[str, Source], offset_hours: float = 0.0, freq: str = "D") -> pd.DataFrame:
    """Volume per period and source (bn) as a DataFrame, periods starting ``offset_hours`` late."""
    arrays = volume_arrays(srcs, offset_hours, freq)
    index = pd.date_range(START, periods=len(arrays["total"]), freq="D" if freq == "D" else "h")
    return pd.DataFrame({k: arrays[k] for k in (*SOURCES, "total")}, index=index)


def generate(p: Params, seed: int | None = 0, *, freq: str = "D") -> pd.DataFrame:
    """Synthetic volume by source on UTC days (``freq="D"``, bn/day) or hours (``"h"``, bn/hour).

    ``seed=None`` gives the noise-free expected path. Columns end in
    ``_synthetic`` and ``attrs`` say the series is synthetic.

    Examples
    --------
    >>> frame = generate(Params(), seed=1)
    >>> frame.attrs["synthetic"], frame.index[0].date().isoformat(), len(frame)
    (True, '2010-12-01', 212)
    """
    if freq not in ("D", "h"):
        raise ParameterError(f"freq={freq!r}: use 'D' (days) or 'h' (hours)")
    noise = None if seed is None else ar1_noise(p, seed)
    frame = volumes(sources(p, noise), 0.0, freq).add_suffix(SUFFIX)
    frame.index.name = "time_utc"
    frame.attrs.update({
        "synthetic": True, "seed": seed, "freq": freq,
        "units": "billion messages per " + ("day" if freq == "D" else "hour"),
        "note": "SYNTHETIC scenario calibrated to published figures; not data about 2011",
    })
    return frame
