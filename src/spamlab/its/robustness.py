"""Robustness of an ITS estimate: placebo dates in time and sensitivity tables.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from spamlab import its
>>> rng = np.random.default_rng(0)
>>> days = pd.date_range("2011-01-01", periods=120)
>>> frame = pd.DataFrame({"v": rng.normal(50, 1, 120) - 8 * (days >= "2011-03-16")}, index=days)
>>> result = its.placebo(frame, y="v", interruptions=["2011-03-16"])
>>> result.real_rank, result.n_placebo
(1, 64)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from spamlab.errors import ParameterError
from spamlab.its import data as its_data
from spamlab.its.model import fit
from spamlab.its.scan import SCAN_COLUMNS, scan_dates
from spamlab.its.specification import Specification, resolve
from spamlab.results_protocol import Result

if TYPE_CHECKING:
    from spamlab.its.results import ITSResult

__all__ = ["PlaceboResult", "SensitivityResult", "admissible_dates", "default_specifications",
           "placebo", "sensitivity"]


@dataclass(frozen=True, eq=False)
class PlaceboResult(Result):
    """Level changes at fake dates in the pre-period, and where the real one ranks.

    Attributes
    ----------
    table
        One row per placebo date plus the real one (``is_real``): ``interruption,
        estimate, ci_low, ci_high, p_value, scale, coef, std_err, df, is_real, rank``
        (rank 1 = the largest absolute change on the model's linear scale).
    real_rank
        Rank of the real interruption's level change.
    n_placebo
        Number of placebo dates.
    """

    table: pd.DataFrame
    real_rank: int
    n_placebo: int

    @property
    def rank_p_value(self) -> float:
        """Permutation-style p-value ``real_rank / (n_placebo + 1)``."""
        return self.real_rank / (self.n_placebo + 1)

    def summary(self) -> str:
        """Plain-language report: where the real level change ranks among the placebo dates,
        and the largest placebo changes."""
        real = self.table[self.table["is_real"]].iloc[0]
        placebos = self.table[~self.table["is_real"]]
        largest = placebos.loc[placebos["coef"].abs().idxmax()]
        return "\n".join([
            repr(self),
            (f"Real interruption {real['interruption']}: level change {real['estimate']:.4g} "
             f"({real['ci_low']:.4g} to {real['ci_high']:.4g}, {real['scale']})."),
            (f"Largest placebo change: {largest['estimate']:.4g} at {largest['interruption']} "
             f"(p = {largest['p_value']:.3g})."),
            "Rank 1 is the largest absolute change on the model's linear scale.",
        ])

    def _payload(self) -> dict[str, float | int]:
        return {"real_rank": self.real_rank, "n_placebo": self.n_placebo,
                "rank_p_value": self.rank_p_value}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``real_rank``, ``n_placebo``, ``rank_p_value`` (the table is :attr:`table`)."""
        return super().to_dict()

    def _html_table(self) -> pd.DataFrame:
        return self.table

    def __repr__(self) -> str:
        return (f"PlaceboResult: the real level change ranks {self.real_rank} of "
                f"{self.n_placebo + 1} (rank p-value {self.rank_p_value:.3g}); .table has the dates")


@dataclass(frozen=True, eq=False)
class SensitivityResult(Result):
    """The first interruption's level change across dates, pre-windows and specifications.

    Attributes
    ----------
    table
        ``varied`` (``'interruption' | 'pre_window' | 'specification'``), ``setting``,
        ``interruption``, ``estimate, ci_low, ci_high, p_value, scale``.
    skipped_shifts
        Date shifts left out: too few points before/after, or crossing another interruption.
    base
        The baseline model's own fit (:func:`spamlab.its.fit` with the arguments given), for
        its other numbers (e.g. the AR(1) ``rho``) without fitting it again.
    """

    table: pd.DataFrame
    skipped_shifts: tuple[int, ...]
    base: ITSResult | None = field(default=None, repr=False, compare=False)

    def summary(self) -> str:
        """Plain-language report: the range of the level change for each axis varied."""
        lines = [repr(self)]
        for (varied, scale), part in self.table.groupby(["varied", "scale"], sort=False):
            low, high = part["estimate"].idxmin(), part["estimate"].idxmax()
            lines.append(f"  {varied.replace('_', ' ')} ({len(part)} settings, {scale}): "
                         f"{part.loc[low, 'estimate']:.4g} ({part.loc[low, 'setting']}) to "
                         f"{part.loc[high, 'estimate']:.4g} ({part.loc[high, 'setting']})")
        return "\n".join(lines)

    def _payload(self) -> dict[str, Any]:
        return {"table": self.table, "skipped_shifts": list(self.skipped_shifts)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``table`` (its rows as records) and ``skipped_shifts``."""
        return super().to_dict()

    def _html_table(self) -> pd.DataFrame:
        return self.table

    def __repr__(self) -> str:
        skipped = f"; shifts skipped: {list(self.skipped_shifts)}" if self.skipped_shifts else ""
        return f"SensitivityResult: {len(self.table)} settings in .table{skipped}"


def placebo(data: pd.DataFrame, *, y: str = "volume",
            interruptions: Sequence[object] | object, time: str | None = None,
            spec: Specification | None = None, batch: bool = True, **model: Any
            ) -> PlaceboResult:
    """Refit at every admissible fake date in the pre-period and rank the real effect.

    The pre-period is the data before the first interruption. A fake date is
    admissible when at least ``min_pre`` observed points precede it and
    ``min_post`` follow it inside the pre-period. Each placebo fit uses the same
    model as the real one (single fake interruption). The real effect's rank
    compares absolute level changes on the model's linear scale (log scale for
    ratios); rank 1 is the largest.

    Parameters
    ----------
    data, y, interruptions, time, spec, **model
        Exactly as for :func:`spamlab.its.fit`.
    batch
        Solve the placebo fits in one batch where possible (same numbers as the loop).

    Raises
    ------
    ParameterError
        When the pre-period admits no placebo date.
    """
    spec = resolve(spec, model)
    real_row = fit(data, y=y, interruptions=interruptions, time=time, spec=spec).level_change(0)
    series = its_data.prepare(data, y, interruptions, time=time, min_pre=spec.min_pre,
                              min_post=spec.min_post)
    pre = _pre_period(data, series, time)
    dates = admissible_dates(pre, y, spec, time)
    if not dates:
        raise ParameterError("placebo: the pre-period is too short for any placebo date "
                             f"({len(pre)} rows; needs more than min_pre + min_post)")
    table = scan_dates(pre, dates, y=y, spec=spec, time=time, batch=batch).assign(is_real=False)
    real_table = pd.DataFrame([{c: real_row[c] for c in SCAN_COLUMNS}]).assign(is_real=True)
    table = pd.concat([table, real_table], ignore_index=True)
    table["rank"] = table["coef"].abs().rank(ascending=False, method="min").astype(int)
    rank = int(table.loc[table["is_real"], "rank"].iloc[0])
    return PlaceboResult(table, rank, len(dates))


def _pre_period(data: pd.DataFrame, series: its_data.PreparedSeries, time: str | None
                ) -> pd.DataFrame:
    keep = series.exposure_fraction(0) == 0
    return data.loc[keep] if time is None else data.loc[data.index[keep]]


def admissible_dates(pre: pd.DataFrame, y: str, spec: Specification, time: str | None = None
                     ) -> list[object]:
    """Labels of pre-period rows that can serve as placebo interruptions."""
    series = its_data.prepare(pre, y, (), time=time)
    observed = ~np.isnan(series.y)
    before = np.cumsum(observed) - observed
    after = observed[::-1].cumsum()[::-1]
    ok = (before >= spec.min_pre) & (after >= spec.min_post)
    return [its_data.moment_label(v) for v in series.index[ok]]


def sensitivity(data: pd.DataFrame, *, y: str = "volume",
                interruptions: Sequence[object] | object, time: str | None = None,
                spec: Specification | None = None,
                shifts: Sequence[int] = (-7, -3, -1, 0, 1, 3, 7),
                pre_windows: Sequence[int] | None = None,
                specifications: Mapping[str, Mapping[str, Any]] | None = None,
                **model: Any) -> SensitivityResult:
    """The first interruption's level change across dates, pre-windows and model specifications.

    Parameters
    ----------
    data, y, interruptions, time, spec, **model
        The baseline model, as for :func:`spamlab.its.fit`.
    shifts
        Moves of the first interruption, in observation periods.
    pre_windows
        Numbers of pre-period observations to keep (default: the whole pre-period,
        3/4 and 1/2 of it).
    specifications
        ``{name: overrides}``: fields of the baseline specification to change; default:
        :func:`default_specifications` (iid / HAC errors, AR(1) errors by ``ar1``
        and ``reml`` for gaussian models, with and without day-of-week terms for
        daily data, a log transform).
    """
    spec = resolve(spec, model)
    series = its_data.prepare(data, y, interruptions, time=time, min_pre=spec.min_pre,
                              min_post=spec.min_post)
    call: dict[str, Any] = {"y": y, "time": time, "spec": spec}
    base = fit(data, interruptions=interruptions, **call)  # the whole pre-window, as specified
    by_date, skipped = _by_date(data, series, shifts, call)
    parts = [by_date, _by_window(data, series, interruptions, pre_windows, call, base),
             _by_specification(data, series, interruptions, specifications, call, base)]
    return SensitivityResult(pd.concat(parts, ignore_index=True), tuple(skipped), base)


def _row(varied: str, setting: str, effect: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("interruption", "estimate", "ci_low", "ci_high", "p_value", "scale")
    return {"varied": varied, "setting": setting, **{k: effect[k] for k in keys}}


def _by_date(data: pd.DataFrame, series: its_data.PreparedSeries, shifts: Sequence[int],
             call: dict[str, Any]) -> tuple[pd.DataFrame, list[int]]:
    """The first interruption moved by whole periods (time of day kept); inadmissible moves skipped."""
    rest = list(series.labels[1:])
    dates, names, skipped = [], [], []
    for shift in sorted({int(s) for s in shifts}):
        moment = series.labels[0] if shift == 0 else _shifted(series, shift)
        if moment is None or not _admissible(data, [moment, *rest], call):
            skipped.append(shift)
            continue
        dates.append(moment)
        names.append(f"{shift:+d} periods")
    if rest:
        effects = [fit(data, interruptions=[d, *rest], **call).level_change(0) for d in dates]
    else:
        effects = [row for _, row in scan_dates(data, dates, **call).iterrows()]
    table = pd.DataFrame([_row("interruption", n, e) for n, e in zip(names, effects)])
    return table, skipped


def _admissible(data: pd.DataFrame, interruptions: list[object], call: dict[str, Any]) -> bool:
    """Whether ``interruptions`` leave enough points before and after each (as ``its.fit`` checks)."""
    spec: Specification = call["spec"]
    try:
        its_data.prepare(data, call["y"], interruptions, time=call["time"],
                         min_pre=spec.min_pre, min_post=spec.min_post)
    except ParameterError:
        return False
    return True


def _shifted(series: its_data.PreparedSeries, shift: int) -> object | None:
    """The first interruption moved by ``shift`` periods, keeping its offset inside the period
    (``None`` when that leaves the data)."""
    start = int(np.floor(series.cuts[0]))
    index = series.index
    if not 0 <= start + shift < len(index):
        return None
    if not series.is_datetime:
        return index[start + shift] + (series.cuts[0] - start) * (index[1] - index[0])
    offset = its_data.as_timestamp(series.labels[0], index) - index[start]
    return its_data.moment_label(index[start + shift] + offset)


def _by_window(data: pd.DataFrame, series: its_data.PreparedSeries, interruptions: Any,
               pre_windows: Sequence[int] | None, call: dict[str, Any], base: ITSResult
               ) -> pd.DataFrame:
    """The first interruption's level change with the last ``window`` pre-period rows kept
    (``base``, the fit of all the data, where the window keeps them all)."""
    n_pre = int((series.exposure_fraction(0) == 0).sum())
    windows = pre_windows or sorted({n_pre, (3 * n_pre) // 4, n_pre // 2}, reverse=True)
    rows = []
    for window in windows:
        start = n_pre - int(window)
        if start < 0 or window < call["spec"].min_pre:
            continue
        res = base if start == 0 else fit(data.iloc[start:], interruptions=interruptions, **call)
        rows.append(_row("pre_window", f"{window} pre periods", res.level_change(0)))
    return pd.DataFrame(rows)


def default_specifications(series: its_data.PreparedSeries, spec: Specification
                           ) -> dict[str, dict[str, Any]]:
    """The specifications :func:`sensitivity` compares by default.

    iid and HAC errors for every family; AR(1) errors (``ar1``, and ``reml``, which
    holds its coverage on short series) for a gaussian baseline only (count families
    refuse them); with and without day-of-week terms (daily data); a log-scale gaussian
    model when ``y`` is positive.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"v": range(1, 41)})
    >>> series = its_data.prepare(frame, "v", [20])
    >>> list(default_specifications(series, Specification(family="poisson")))
    ['errors=iid', 'errors=hac', 'log(y) + hac']
    """
    specs: dict[str, dict[str, Any]] = {"errors=iid": {"errors": "iid"},
                                        "errors=hac": {"errors": "hac"}}
    if spec.family == "gaussian":
        specs["errors=ar1"] = {"errors": "ar1"}
        specs["errors=reml"] = {"errors": "reml"}
    if series.is_datetime and getattr(its_data.frequency(series.index), "freqstr", "") == "D":
        specs["dow + hac"] = {"seasonality": "dow", "errors": "hac"}
        specs["no seasonality + hac"] = {"seasonality": None, "errors": "hac"}
    if np.nanmin(series.y) > 0:
        specs["log(y) + hac"] = {"transform": "log", "errors": "hac", "family": "gaussian"}
    return specs


def _by_specification(data: pd.DataFrame, series: its_data.PreparedSeries, interruptions: Any,
                      specifications: Mapping[str, Mapping[str, Any]] | None,
                      call: dict[str, Any], base: ITSResult) -> pd.DataFrame:
    """The first interruption's level change under each specification (``base`` where the
    overrides change nothing)."""
    specs = (specifications if specifications is not None
             else default_specifications(series, call["spec"]))
    rows = []
    for name, overrides in specs.items():
        same = resolve(call["spec"], overrides) == call["spec"]
        res = base if same else fit(data, interruptions=interruptions, **call, **overrides)
        rows.append(_row("specification", name, res.level_change(0)))
    return pd.DataFrame(rows)
