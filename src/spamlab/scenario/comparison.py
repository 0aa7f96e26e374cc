"""What data would tell the hypotheses apart: ITS fits to each scenario, and power.

All series here are SYNTHETIC (calibrated scenarios); results describe what a
method would find on such data, not what happened in 2011.

Sign convention (the package's): an effect or step is observed minus
counterfactual in bn/day, so a fall is negative. ``second_source_power(effect=-5.0)``
simulates a second source of 5 bn/day that stops; the estimates, intervals and
true steps in the tables carry the same sign.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pandas as pd

from spamlab import its
from spamlab.errors import ParameterError
from spamlab.scenario.calibration import Calibration
from spamlab.scenario.model import Params, ar1_noise, generate, sources, volumes

TAKEDOWN_LABEL = "2011-03-16 14:45"
#: Scenario volumes the power analyses can fit (``<name>_synthetic`` columns of :func:`its_frame`).
SERIES: tuple[str, ...] = ("non_rustock", "total")
SECOND_LABEL = "2011-03-17 00:00"

__all__ = ["SECOND_LABEL", "SERIES", "TAKEDOWN_LABEL", "day_shape", "days_needed", "distinguish",
           "its_frame", "noise_residual", "power_by_noise", "second_source_power"]


def its_frame(data: pd.DataFrame, pre_days: int = 42, post_days: int = 28) -> pd.DataFrame:
    """Window of a scenario series around the takedown, with a ``non_rustock_synthetic`` column.

    ``data`` is a series from :func:`generate` (or ``Calibration.series``). The
    window starts ``pre_days`` days before 16 March and holds ``post_days``
    whole days from 17 March on.

    Examples
    --------
    >>> its_frame(generate(Params(), seed=0), pre_days=14, post_days=7).shape
    (22, 3)
    """
    if pre_days < 14 or post_days < 1:
        raise ParameterError(f"pre_days={pre_days}, post_days={post_days}: need >= 14 and >= 1")
    start = pd.Timestamp("2011-03-16") - pd.Timedelta(days=pre_days)
    end = pd.Timestamp("2011-03-16") + pd.Timedelta(days=post_days)
    frame = data.loc[start:end, ["total_synthetic", "rustock_synthetic"]].copy()
    frame["non_rustock_synthetic"] = frame["total_synthetic"] - frame["rustock_synthetic"]
    frame.attrs = dict(data.attrs)
    return frame


def _step(frame: pd.DataFrame, y: str, cuts: list[str], errors: str, alpha: float) -> pd.Series:
    res = its.fit(frame, y=y, interruptions=cuts, seasonality="dow", slope_change=len(cuts) == 1,
                  errors=errors, alpha=alpha, min_post=1)
    eff = res.effects
    return eff[eff["kind"] == "level_change"].set_index("interruption").loc[cuts[-1]]


def day_shape(p: Params) -> dict[str, float]:
    """Day-over-day percent changes of total volume, 15->16 ... 19->20 March (noise-free, UTC days).

    Examples
    --------
    >>> list(day_shape(Params()))[0]
    'change_16_vs_15_pct'
    """
    total = volumes(sources(p))["total"]
    days = pd.date_range("2011-03-15", "2011-03-20")
    return {f"change_{b:%d}_vs_{a:%d}_pct": float(100 * (total[b] / total[a] - 1))
            for a, b in itertools.pairwise(days)}


def distinguish(cals: dict[str, Calibration], *, pre_days: int = 42, post_days: int = 28,
                errors: str = "ar1", alpha: float = 0.05) -> pd.DataFrame:
    """Fit ITS to every hypothesis' synthetic series and tabulate what tells them apart.

    Per hypothesis: the takedown step in total volume; the step in non-Rustock
    volume (what per-source data would show); the second step at 17 March 00:00
    in total volume fitted next to the takedown step (what daily totals alone
    can show); and the day-by-day shape 15-20 March.

    Returns
    -------
    DataFrame, one row per hypothesis: ``hypothesis, consistent``,
    ``true_non_rustock_step`` (the noise-free change of non-Rustock volume,
    17 vs 15 March), then per fitted step (``total_step``, ``non_rustock_step``,
    ``second_step_in_total``) its estimate, ``_low``, ``_high`` and ``_p``, then
    :func:`day_shape`. All steps in bn/day, signed: a fall is negative.

    Examples
    --------
    >>> from spamlab.scenario import calibrate
    >>> out = distinguish({"second_source": calibrate("second_source")})
    >>> "non_rustock_step" in out.columns
    True
    """
    rows = []
    for name, cal in cals.items():
        frame = its_frame(cal.series, pre_days, post_days)
        row = {"hypothesis": name, "consistent": cal.consistent,
               "true_non_rustock_step": _true_non_rustock_step(cal.params)}
        fits = {
            "total_step": _step(frame, "total_synthetic", [TAKEDOWN_LABEL], errors, alpha),
            "non_rustock_step": _step(frame, "non_rustock_synthetic", [TAKEDOWN_LABEL], errors, alpha),
            "second_step_in_total": _step(frame, "total_synthetic", [TAKEDOWN_LABEL, SECOND_LABEL],
                                          errors, alpha),
        }
        for key, eff in fits.items():
            row |= {key: eff["estimate"], f"{key}_low": eff["ci_low"], f"{key}_high": eff["ci_high"],
                    f"{key}_p": eff["p_value"]}
        rows.append(row | day_shape(cal.params))
    out = pd.DataFrame(rows)
    out.attrs["note"] = "ITS fits to SYNTHETIC calibrated scenarios (bn/day); not data about 2011"
    return out


def _true_non_rustock_step(p: Params) -> float:
    """Change of non-Rustock volume in the noise-free scenario (bn/day, 17 minus 15 March; a fall < 0)."""
    frame = volumes(sources(p))
    non = frame["total"] - frame["rustock"]
    return float(non["2011-03-17"] - non["2011-03-15"])


def _detects(frame: pd.DataFrame, y: str, cuts: list[str], errors: str, alpha: float,
             effect: float) -> tuple[bool, float, bool, bool]:
    """(significant drop, estimate, CI covers the signed ``effect``, significant either way)."""
    eff = _step(frame, y, cuts, errors, alpha)
    significant = bool(eff["p_value"] < alpha)
    covered = bool(eff["ci_low"] <= effect <= eff["ci_high"])
    return significant and eff["estimate"] < 0, float(eff["estimate"]), covered, significant


def second_source_power(
    effect: float = -5.0,
    post_days: tuple[int, ...] = (3, 7, 14, 28),
    *,
    params: Params | None = None,
    series: tuple[str, ...] = ("non_rustock", "total"),
    n_sims: int = 100,
    pre_days: int = 42,
    noise_sd: float = 0.05,
    noise_ar1: float = 0.5,
    errors: str = "ar1",
    alpha: float = 0.05,
    seed: int = 0,
) -> pd.DataFrame:
    """Power to detect a second source's step of ``effect`` bn/day, by simulation (SYNTHETIC).

    ``effect`` is signed like every effect in spamlab (observed minus
    counterfactual): ``-5.0`` is a fall of 5 bn/day. Each simulation draws a
    scenario with a second source of ``-effect`` bn/day stopping at 17 March
    00:00 UTC (AR(1) log-noise ``noise_sd``, ``noise_ar1``:
    assumptions for a spam-trap-like series), keeps ``pre_days`` days before the
    takedown and ``post_days`` whole days after it, and fits :func:`spamlab.its.fit`:
    on ``"non_rustock"`` volume (per-source data) one step at 17 March; on
    ``"total"`` volume two steps (takedown, 17 March) with the second tested.

    Returns
    -------
    DataFrame: ``series, post_days, power`` (share of simulations with a significant drop),
    ``size`` (share significant in either direction when the step is 0; nominal ``alpha``),
    ``mean_estimate`` (signed, near ``effect``), ``coverage`` (share of intervals holding
    ``effect``), ``n_sims, effect, noise_sd, noise_ar1``.

    Examples
    --------
    >>> out = second_source_power(-5.0, post_days=(7,), series=("non_rustock",), n_sims=5, errors="hac")
    >>> list(out.columns[:4])
    ['series', 'post_days', 'power', 'size']
    """
    _check_power_args(effect, post_days, series, n_sims)
    base = replace(params or Params(), noise_sd=noise_sd, noise_ar1=noise_ar1)
    rows = []
    for name in series:
        y = f"{name}_synthetic"
        cuts = [SECOND_LABEL] if name == "non_rustock" else [TAKEDOWN_LABEL, SECOND_LABEL]
        for days in post_days:
            sims = [_simulate(base, effect, i, seed, pre_days, days, y, cuts, errors, alpha)
                    for i in range(n_sims)]
            hits, estimates, covered, false_alarms = (np.array(v) for v in zip(*sims, strict=True))
            rows.append({"series": name, "post_days": days, "power": hits.mean(),
                         "size": false_alarms.mean(), "mean_estimate": estimates.mean(),
                         "coverage": covered.mean(), "n_sims": n_sims, "effect": effect,
                         "noise_sd": noise_sd, "noise_ar1": noise_ar1})
    out = pd.DataFrame(rows)
    out.attrs["note"] = "power by simulation on SYNTHETIC scenarios; noise parameters are assumptions"
    return out


def _simulate(base: Params, effect: float, i: int, seed: int, pre_days: int, days: int, y: str,
              cuts: list[str], errors: str, alpha: float) -> tuple[bool, float, bool, bool]:
    sim_seed = int(np.random.SeedSequence([seed, i]).generate_state(1)[0])
    with_step = its_frame(generate(replace(base, second_drop=-effect), sim_seed), pre_days, days)
    without = its_frame(generate(replace(base, second_drop=0.0), sim_seed), pre_days, days)
    hit, estimate, covered, _ = _detects(with_step, y, cuts, errors, alpha, effect)
    false_alarm = _detects(without, y, cuts, errors, alpha, 0.0)[3]
    return hit, estimate, covered, false_alarm


def _check_power_args(effect: float, post_days: tuple[int, ...], series: tuple[str, ...],
                      n_sims: int) -> None:
    _check_effect(effect)
    if not post_days or min(post_days) < 1 or max(post_days) > 100:
        raise ParameterError(f"post_days={post_days!r}: need whole days between 1 and 100")
    _check_series(series)
    if n_sims < 2:
        raise ParameterError(f"n_sims={n_sims}: need at least 2 simulations")


def _check_effect(effect: float) -> None:
    if not effect < 0:
        raise ParameterError(f"effect={effect}: the step to detect is a source stopping, a fall: "
                             "give it as a negative number of bn/day (e.g. -5.0)")


def _check_series(series: str | tuple[str, ...]) -> None:
    chosen = (series,) if isinstance(series, str) else series
    if not chosen or set(chosen) - set(SERIES):
        raise ParameterError(f"series={series!r}: choose from {', '.join(map(repr, SERIES))}")


def days_needed(table: pd.DataFrame, target: float = 0.8) -> pd.Series:
    """Fewest post days reaching ``target`` power per series (NaN if none in the table).

    Examples
    --------
    >>> t = pd.DataFrame({"series": ["total"] * 2, "post_days": [3, 7], "power": [0.5, 0.9]})
    >>> float(days_needed(t)["total"])
    7.0
    """
    ok = table[table["power"] >= target]
    first = ok.groupby("series")["post_days"].min()
    return first.reindex(table["series"].unique()).astype(float)


def noise_residual(
    params: Params | None = None,
    noise_sd: tuple[float, ...] = (0.05, 0.10, 0.20),
    *,
    noise_ar1: float = 0.5,
    n_sims: int = 500,
    naive: float = 5.18,
    seed: int = 0,
) -> pd.DataFrame:
    """How large a residual sampling noise alone produces (hypothesis 6, SYNTHETIC).

    Simulates a scenario in which only Rustock stops (``second_drop``,
    ``collateral`` and ``march_trend`` set to 0) and computes the residual the way
    the headline figures were defined: mean total 8-15 March minus mean total
    17-23 March minus Rustock's mean 1-15 March, on the vendor's days.

    Returns
    -------
    DataFrame: ``noise_sd, noise_ar1, noise_free`` (the residual without noise),
    ``median, low, high`` (5th and 95th percentiles), ``p_at_least_naive``
    (share of simulations with a residual >= ``naive``; default 5.18 from rows 5, 4, 1).

    Examples
    --------
    >>> out = noise_residual(noise_sd=(0.1,), n_sims=20)
    >>> list(out.columns[:3])
    ['noise_sd', 'noise_ar1', 'noise_free']
    """
    if n_sims < 2 or not noise_sd or min(noise_sd) < 0:
        raise ParameterError(f"n_sims={n_sims}, noise_sd={noise_sd!r}: need n_sims >= 2 and sds >= 0")
    null = replace(params or Params(), second_drop=0.0, collateral=0.0, march_trend=0.0)
    rows = []
    for sd in noise_sd:
        p = replace(null, noise_sd=sd, noise_ar1=noise_ar1)
        sims = np.array([_headline_residual(p, ar1_noise(p, int(s)))
                         for s in np.random.SeedSequence([seed, int(sd * 1e6)]).generate_state(n_sims)])
        low, mid, high = np.quantile(sims, (0.05, 0.5, 0.95))
        rows.append({"noise_sd": sd, "noise_ar1": noise_ar1, "noise_free": _headline_residual(p, None),
                     "median": mid, "low": low, "high": high,
                     "p_at_least_naive": float((sims >= naive).mean()), "n_sims": n_sims})
    out = pd.DataFrame(rows)
    out.attrs["note"] = "SYNTHETIC: residual produced by noise alone; noise parameters are assumptions"
    return out


def _headline_residual(p: Params, noise: dict | None) -> float:
    frame = volumes(sources(p, noise), p.day_offset_hours)
    total, rustock = frame["total"], frame["rustock"]
    return float(total["2011-03-08":"2011-03-15"].mean() - total["2011-03-17":"2011-03-23"].mean()
                 - rustock["2011-03-01":"2011-03-15"].mean())


def power_by_noise(
    params: Params | None = None,
    effect: float = -5.0,
    post_days: tuple[int, ...] = (3, 7, 14, 28),
    noise_sd: tuple[float, ...] = (0.05, 0.10, 0.20),
    *,
    series: str = "non_rustock",
    pre_days: int = 42,
    noise_ar1: float = 0.5,
    errors: str = "ar1",
    n_sims: int = 400,
    seed: int = 0,
) -> pd.DataFrame:
    """Power and minimum detectable effect from :func:`spamlab.its.power` on a SYNTHETIC pre-period.

    For each daily noise level, a scenario series is generated (``params`` with
    that ``noise_sd``), its ``pre_days`` days before 16 March are handed to
    :func:`spamlab.its.power` and :func:`spamlab.its.minimum_detectable_effect`,
    which estimate the baseline and AR(1) noise there and simulate a level change
    of ``effect`` bn/day (signed: ``-5.0`` is a fall of 5) after ``post_days``
    days. Unlike :func:`second_source_power`, no second source is built into the series: this
    is the engine's view from the noise alone.

    Returns
    -------
    DataFrame: ``series, noise_sd, post_days, power, mde`` (the smallest fall detected
    with 80% power, bn/day, signed: negative), ``mde_pct`` (``mde`` in percent of the
    pre-period mean), ``effect``.

    Examples
    --------
    >>> out = power_by_noise(post_days=(7,), noise_sd=(0.1,), n_sims=50)
    >>> list(out.columns[:4])
    ['series', 'noise_sd', 'post_days', 'power']
    """
    _check_series(series)
    _check_effect(effect)
    if not noise_sd or min(noise_sd) <= 0:
        raise ParameterError(f"noise_sd={noise_sd!r}: every level must be > 0")
    y = f"{series}_synthetic"
    spec = its.Specification(seasonality="dow", errors=errors, seed=seed, slope_change=False)
    rows = []
    for sd in noise_sd:
        p = replace(params or Params(), noise_sd=sd, noise_ar1=noise_ar1)
        pre = its_frame(generate(p, seed), pre_days, 1).loc[:"2011-03-15", [y]]
        for days in post_days:
            rows.append({
                "series": series, "noise_sd": sd, "post_days": days,
                "power": its.power(pre, y=y, post_days=days, effect=effect, n_sims=n_sims, spec=spec),
                "mde": its.minimum_detectable_effect(pre, y=y, post_days=days, n_sims=n_sims, spec=spec),
                "pre_mean": float(pre[y].mean()), "effect": effect,
            })
    out = pd.DataFrame(rows)
    out.insert(5, "mde_pct", 100 * out["mde"] / out.pop("pre_mean"))
    out.attrs["note"] = "power from spamlab.its.power on SYNTHETIC pre-periods; noise levels are assumptions"
    return out
