"""Monte Carlo residual accounting: naive value, adjustments, waterfall table."""

from __future__ import annotations

import os
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from spamlab import figures
from spamlab.deprecation import warn_renamed
from spamlab.errors import ParameterError
from spamlab.residual.adjustments import (
    STEPS,
    Levels,
    Published,
    draw_inputs,
    other_botnets_volume,
    read_published,
    step_figure_ids,
    weekday,
)
from spamlab.residual.readings import NAIVE_IDS, READING_LABELS, RUSTOCK_READINGS, Assumptions
from spamlab.results_protocol import Result

__all__ = ["MAX_DRAWS", "RANGE_KIND", "READING_COLUMNS", "TABLE_COLUMNS", "Accounting", "account",
           "weekday_grid", "write_table"]

TABLE_COLUMNS: tuple[str, ...] = (
    "component", "kind", "hypothesis", "mean", "median", "low", "high", "figure_ids", "assumptions",
    "note",
)

#: Columns of :attr:`Accounting.by_reading`.
READING_COLUMNS: tuple[str, ...] = (
    "reading", "weight", "figure_ids", "rustock_bn_per_day", "effect", "mean", "median", "low", "high",
    "p_below_zero", "label",
)

#: What the low/high columns are: quantiles of a Monte Carlo over stated priors, not sampling error.
RANGE_KIND = "sensitivity range under stated priors (not a confidence interval)"


@dataclass(frozen=True)
class Accounting(Result):
    """Result of :func:`account` (all values in billion messages per day).

    The ``low``/``high`` columns are a *sensitivity range under the stated
    priors* (quantiles of the Monte Carlo over :class:`Assumptions`), not a
    confidence interval.

    Signs: a residual is the part of the fall that Rustock does not explain, so
    it is positive when more spam vanished than Rustock sent (``naive`` = 5.18).
    An adjustment is the change it makes to the residual: negative when the
    hypothesis explains part of it. (Effects in :mod:`spamlab.its` and
    :mod:`spamlab.scenario` are observed minus counterfactual instead: a fall is
    negative.)

    Attributes
    ----------
    naive
        ``before - after - Rustock`` from rows 5, 4, 1 (52 - 33 - 13.82).
    table
        Tidy table, one row per component: ``component``, ``kind`` ("naive",
        "adjustment", "cumulative", "implied"), ``hypothesis`` (its number in
        ``docs/domain.md``, H1-H6; 0 if none), ``mean`` (means add up: naive +
        the adjustments' means = the remaining mean), ``median``, ``low``,
        ``high`` (the ``interval`` quantiles), ``figure_ids`` ("5;4;1"),
        ``assumptions`` (names of :class:`Assumptions` fields used), ``note``.
    draws
        One row per Monte Carlo draw: each adjustment (``adj_<key>``) and the
        residual after it (``res_<key>``).
    by_reading
        The remaining residual under each reading of Rustock's output (H1) alone,
        every other input drawn as in the pool: ``reading``, ``weight`` (in the
        pool; 0 = shown, not pooled), ``figure_ids``, ``rustock_bn_per_day``
        (mean), ``effect`` (its mean H1 adjustment), ``mean``, ``median``, ``low``, ``high``, ``p_below_zero``, ``label``.
    assumptions, seed, interval
        The inputs that make the run reproducible.
    """

    naive: float
    table: pd.DataFrame
    draws: pd.DataFrame = field(repr=False)
    by_reading: pd.DataFrame
    assumptions: Assumptions
    seed: int
    interval: float

    @property
    def remaining(self) -> pd.Series:
        """The final cumulative row: the residual after every adjustment."""
        return self.table[self.table["kind"] == "cumulative"].iloc[-1]

    @property
    def p_below_zero(self) -> float:
        """Share of draws whose remaining residual is below 0 (more than explained)."""
        return float((self.draws[f"res_{STEPS[-1].key}"] < 0).mean())

    @property
    def p_above_naive(self) -> float:
        """Share of draws whose remaining residual exceeds the naive 5.18."""
        return float((self.draws[f"res_{STEPS[-1].key}"] > self.naive).mean())

    def summary(self) -> str:
        """Plain-language report: the naive residual, each adjustment's mean and range, and
        what remains.

        Examples
        --------
        >>> print(account(seed=0, n_draws=2000).summary().splitlines()[0])
        Naive residual (before - after - Rustock, figure rows 5, 4, 1): 5.18 bn/day.
        """
        tab, level = self.table, f"{self.interval:.0%}"
        lines = [(f"Naive residual (before - after - Rustock, figure rows 5, 4, 1): "
                  f"{self.naive:.4g} bn/day."),
                 f"Adjustments (H1-H6, mean and {level} range; negative: explains part of it):"]
        for _, row in tab[tab["kind"] == "adjustment"].iterrows():
            name = str(row["component"]).split(": ", 1)[-1].replace("_", " ")
            lines.append(f"  H{row['hypothesis']} {name}: {row['mean']:+.3g} "
                         f"({row['low']:.3g} to {row['high']:.3g})")
        final = self.remaining
        lines += [(f"Remaining residual: mean {final['mean']:.3g}, median {final['median']:.3g} "
                   f"bn/day ({level} range {final['low']:.3g} to {final['high']:.3g}); below 0 in "
                   f"{self.p_below_zero:.0%} of {len(self.draws)} draws (seed {self.seed})."),
                  f"Ranges: {RANGE_KIND}."]
        return "\n".join(lines)

    def _html_table(self) -> pd.DataFrame:
        return self.table

    def to_dict(self) -> dict:
        """JSON-ready key numbers for ``results.json``.

        Examples
        --------
        >>> account(seed=0, n_draws=2000).to_dict()["naive_residual_bn_per_day"]
        5.18
        """
        return super().to_dict()

    def results_dict(self) -> dict:
        """Deprecated name of :meth:`to_dict` (removed in spamlab 0.3)."""
        warn_renamed("Accounting.results_dict()", "Accounting.to_dict()")
        return self.to_dict()

    def _payload(self) -> dict:
        adjustments = {}
        for step in STEPS:
            adj = self.table.loc[self.table["component"] == f"adjustment: {step.key}"].iloc[0]
            cum = self.table.loc[self.table["component"] == f"residual after {step.key}"].iloc[0]
            adjustments[step.key] = {
                **_interval(adj), "residual_after": _interval(cum),
                "hypothesis": step.hypothesis,
                "figure_ids": _ids(adj["figure_ids"]),
            }
        by_reading = [{"reading": r["reading"], "figure_ids": _ids(r["figure_ids"]),
                       "weight": round(float(r["weight"]), 4), **_interval(r),
                       "p_below_zero": round(float(r["p_below_zero"]), 4)}
                      for _, r in self.by_reading.iterrows()]
        return {
            "naive_residual_bn_per_day": round(self.naive, 4),
            "residual_bn_per_day": {**_interval(self.remaining),
                                    "p_below_zero": round(self.p_below_zero, 4),
                                    "p_above_naive": round(self.p_above_naive, 4)},
            "residual_by_reading": by_reading,
            "adjustments": adjustments,
            "range_kind": RANGE_KIND,
            "assumptions": asdict(self.assumptions),
            "weights": {"H1": self.assumptions.weights(1), "H4": self.assumptions.weights(4)},
            "interval": self.interval, "seed": self.seed, "n_draws": len(self.draws),
        }


def _interval(row: pd.Series) -> dict[str, float]:
    return {k: round(float(row[k]), 4) for k in ("mean", "median", "low", "high")}


def _ids(joined: object) -> list[int]:
    return [int(i) for i in str(joined).split(";")]


def account(
    table: pd.DataFrame | str | Path | None = None,
    *,
    seed: int = 0,
    n_draws: int = 20_000,
    assumptions: Assumptions | None = None,
    interval: float = 0.90,
) -> Accounting:
    """Account for the residual with a seeded Monte Carlo over every uncertain input.

    Parameters
    ----------
    table
        The figures table (DataFrame from :func:`spamlab.figures.load`) or a path
        to it; default ``data/raw/published_figures.csv``.
    seed
        Seed of the Monte Carlo; the same seed gives identical output.
    n_draws
        Number of Monte Carlo draws (>= 100).
    assumptions
        Named assumptions (:class:`Assumptions`); defaults are documented there.
    interval
        Central probability of the reported intervals (0.90 -> 5th and 95th percentiles).

    Examples
    --------
    >>> acc = account(seed=0, n_draws=2000)
    >>> round(acc.naive, 2)
    5.18
    """
    if not isinstance(table, pd.DataFrame):
        table = figures.load(table)
    _check_draws(n_draws, seed, interval)
    asm = assumptions or Assumptions()
    pub = read_published(table)
    if pub.after >= pub.before:
        warnings.warn(f"figures table, ids 4 and 5: spam after the takedown ({pub.after:g} bn/day) "
                      f"is not below spam before it ({pub.before:g}): these figures show no fall, "
                      "so the residual is negative", UserWarning, stacklevel=2)
    frame = _simulate(pub, asm, n_draws, seed)
    naive = pub.before - pub.after - pub.rustock
    out = _summarise(frame, naive, asm, interval)
    return Accounting(naive, out, frame, _by_reading(pub, asm, n_draws, seed, interval), asm, seed,
                      interval)


#: more draws than this would need more memory than a notebook should take (about 1 GB)
MAX_DRAWS = 2_000_000


def _check_draws(n_draws: object, seed: object, interval: object) -> None:
    """Refuse, naming the parameter, what :func:`account` cannot draw with."""
    if isinstance(n_draws, bool) or not isinstance(n_draws, int | np.integer) \
            or not 100 <= n_draws <= MAX_DRAWS:
        raise ParameterError(f"n_draws={n_draws!r}: need a whole number of draws from 100 to "
                             f"{MAX_DRAWS:,}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"seed={seed!r}: need a whole number >= 0")
    if isinstance(interval, bool) or not isinstance(interval, int | float) \
            or not 0 < interval < 1:
        raise ParameterError(f"interval={interval!r}: must be a number strictly between 0 and 1")


def _simulate(pub: Published, asm: Assumptions, n_draws: int, seed: int) -> pd.DataFrame:
    return _run_steps(pub, draw_inputs(pub, asm, n_draws, np.random.default_rng(seed)))


def _by_reading(pub: Published, asm: Assumptions, n_draws: int, seed: int,
                interval: float) -> pd.DataFrame:
    """The remaining residual with H1 fixed to each reading in turn (same seed, same other inputs)."""
    q = ((1 - interval) / 2, 0.5, (1 + interval) / 2)
    weights = asm.weights(1)
    rows = []
    for reading, ids in RUSTOCK_READINGS.items():
        frame = _simulate(pub, replace(asm, rustock_readings=(reading,), rustock_weights=None),
                          n_draws, seed)
        final = frame[f"res_{STEPS[-1].key}"]
        low, mid, high = np.quantile(final, q)
        effect = frame[f"adj_{STEPS[0].key}"].mean()
        rows.append((reading, weights.get(reading, 0.0), ";".join(map(str, ids)), pub.rustock - effect,
                     effect,
                     final.mean(), mid, low, high, (final < 0).mean(), READING_LABELS[reading]))
    return pd.DataFrame(rows, columns=list(READING_COLUMNS))


def _run_steps(pub: Published, draws: dict) -> pd.DataFrame:
    n = len(draws["z_before"])
    levels = Levels(np.full(n, pub.before), np.full(n, pub.after), np.full(n, pub.rustock))
    columns: dict[str, np.ndarray] = {}
    for step in STEPS:
        new = step.apply(levels, pub, draws)
        columns[f"adj_{step.key}"] = new.residual - levels.residual
        columns[f"res_{step.key}"] = new.residual
        levels = new
    columns["others_before"] = other_botnets_volume(levels, pub)
    columns["collateral_needed"] = columns[f"res_{STEPS[-1].key}"] / columns["others_before"]
    for key in ("rustock_reading", "trend_reading", "before_days", "after_days", "includes_16th",
                "noise_cv"):
        columns[key] = draws[key]
    return pd.DataFrame(columns)


def _summarise(frame: pd.DataFrame, naive: float, asm: Assumptions, interval: float) -> pd.DataFrame:
    q = ((1 - interval) / 2, 0.5, (1 + interval) / 2)
    naive_ids = ";".join(map(str, NAIVE_IDS))
    rows = [("naive", "naive", 0, naive, naive, naive, naive, naive_ids, "", "52 - 33 - 13.82")]
    all_ids: set[int] = set(NAIVE_IDS)
    for step in STEPS:
        all_ids |= set(step_figure_ids(step, asm))
        ids = ";".join(map(str, step_figure_ids(step, asm)))
        names = ";".join(step.assumptions)
        cum_ids = ";".join(map(str, sorted(all_ids)))
        for kind, prefix in (("adjustment", "adj"), ("cumulative", "res")):
            values = frame[f"{prefix}_{step.key}"]
            low, mid, high = np.quantile(values, q)
            if kind == "adjustment":
                rows.append((f"adjustment: {step.key}", kind, step.hypothesis, values.mean(), mid,
                             low, high, ids, names, step.note))
            else:
                rows.append((f"residual after {step.key}", kind, step.hypothesis, values.mean(), mid,
                             low, high, cum_ids, names, f"naive + adjustments H1..H{step.hypothesis}"))
    low, mid, high = np.quantile(frame["collateral_needed"], q)
    rows.append(("collateral share of other botnets needed to explain the rest", "implied", 5,
                 frame["collateral_needed"].mean(), mid, low, high,
                 ";".join(map(str, sorted(all_ids))), "all",
                 "remaining residual / other botnets' pre-takedown output (row 9 x before - Rustock)"))
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def write_table(acc: Accounting, path: str | Path) -> Path:
    """Write ``acc.table`` as CSV to ``path`` (folders created, written atomically); return the path.

    The caller chooses the location: notebook 03 writes into its run's reports folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = write_table(account(n_draws=200), pathlib.Path(tempfile.mkdtemp()) / "t.csv")
    >>> out.name
    't.csv'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    acc.table.to_csv(partial, index=False, float_format="%.4f")
    os.replace(partial, path)  # atomic: a reader never sees half a table
    return path


def weekday_grid(
    table: pd.DataFrame | None = None,
    before_days: range | tuple[int, ...] = range(5, 9),
    after_days: range | tuple[int, ...] = range(3, 9),
    *,
    includes_16th: bool = False,
) -> pd.DataFrame:
    """Weekday-composition adjustment (H3) of the naive residual for every pair of window lengths.

    The before window ends on 15 March; the after window starts on 17 March (16
    March with ``includes_16th``). Each pair is evaluated at the lowest and
    highest published weekend/weekday ratio (rows 212, 218, 219, 384).

    Returns
    -------
    DataFrame: ``before_days, after_days, weekend_ratio, adjustment`` (bn/day, the
    change to the naive residual), ``figure_ids``.

    Examples
    --------
    >>> grid = weekday_grid(before_days=(7,), after_days=(7,))
    >>> float(grid["adjustment"].abs().max())
    0.0
    """
    table = figures.load() if table is None else table
    pub = read_published(table)
    combos = [(b, a, w) for b in before_days for a in after_days for w in pub.weekend_ratio]
    if not combos or min(c[0] for c in combos) < 1 or max(c[0] for c in combos) > 15 \
            or min(c[1] for c in combos) < 1 or max(c[1] for c in combos) > 14:
        raise ParameterError("before_days must lie in 1..15 and after_days in 1..14 (non-empty)")
    b, a, w = (np.array(v) for v in zip(*combos, strict=True))
    draws = {"before_days": b, "after_days": a, "weekend_ratio": w,
             "includes_16th": np.full(len(b), includes_16th)}
    start = Levels(np.full(len(b), pub.before), np.full(len(b), pub.after), np.full(len(b), pub.rustock))
    adjusted = weekday(start, pub, draws)
    return pd.DataFrame({"before_days": b, "after_days": a, "weekend_ratio": w,
                         "adjustment": adjusted.residual - start.residual,
                         "figure_ids": "4;5;212;218;219;384"})
