"""Published figures as constraints on the synthetic scenario, defined as each figure was.

A constraint reads its target, unit and period from the figures table, so a
window mean uses the period the compiler recorded (e.g. row 5: 8-15 March) and
a day-over-day change compares the period's last day with its first. A
hypothesis may re-read a window (e.g. row 4 as 16-23 March, as row 14 has it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spamlab.errors import DataError
from spamlab.residual.readings import figure
from spamlab.scenario.model import BOTNETS, START

__all__ = ["DIAGNOSTIC", "DOMAIN_OF_KIND", "FITTED", "KINDS", "Constraint", "build"]

KINDS = ("mean", "day", "change", "share", "month_change")
#: The possible values of each kind's target (a key of :data:`spamlab.residual.readings.DOMAINS`):
#: targets are matched in relative terms, so none may be 0.
DOMAIN_OF_KIND: dict[str, str] = {"mean": "positive", "day": "positive", "share": "share",
                                  "change": "target_change", "month_change": "target_change"}


@dataclass(frozen=True)
class Constraint:
    """How one figure is reproduced by the scenario.

    ``kind``: "mean" (mean daily volume over the period), "day" (volume on the
    period's day), "change" (percent change from the first to the last day),
    "share" (percent of total volume over the period) or "month_change"
    (percent change of the period's mean on the previous month's mean).
    ``source``: a scenario source, "total" or "botnets".
    """

    figure_id: int
    kind: str
    source: str
    unit: str
    start: pd.Timestamp
    end: pd.Timestamp
    target: float

    def describe(self) -> str:
        """Plain-language definition, e.g. 'mean total 2011-03-08..2011-03-15'."""
        span = f"{self.start:%Y-%m-%d}..{self.end:%Y-%m-%d}"
        return f"{self.kind} of {self.source} {span}"

    def evaluate(self, arrays: dict[str, np.ndarray]) -> float:
        """The figure as the scenario produces it from per-day ``arrays``."""
        series = _column(arrays, self.source)
        first, last = _pos(self.start), _pos(self.end)
        if self.kind == "mean":
            return float(series[first:last + 1].mean())
        if self.kind == "day":
            return float(series[first])
        if self.kind == "change":
            return float(100 * (series[last] / series[first] - 1))
        if self.kind == "share":
            return float(100 * series[first:last + 1].sum() / arrays["total"][first:last + 1].sum())
        previous = _pos(self.start - pd.DateOffset(months=1))
        return float(100 * (series[first:last + 1].mean() / series[previous:first].mean() - 1))


def _pos(day: pd.Timestamp) -> int:
    return int((day - START).days)


def _column(arrays: dict[str, np.ndarray], source: str) -> np.ndarray:
    if source == "botnets":
        return sum((arrays[k] for k in BOTNETS), np.zeros_like(arrays["total"]))
    return arrays[source]


#: (figure id, kind, source, unit) of the constraints the scenario is calibrated to.
FITTED: tuple[tuple[int, str, str, str], ...] = (
    (1, "mean", "rustock", "billion_per_day"),
    (3, "change", "total", "percent"),
    (4, "mean", "total", "billion_per_day"),
    (5, "mean", "total", "billion_per_day"),
    (8, "mean", "bagle", "billion_per_day"),
    (9, "share", "botnets", "percent"),
    (28, "change", "total", "percent"),
    (29, "change", "total", "percent"),
    (30, "change", "total", "percent"),
    (38, "day", "total", "billion_per_day"),
    (39, "day", "total", "billion_per_day"),
    (249, "mean", "total", "billion_per_day"),
)

#: Constraints only reported (not fitted): they show where the figures disagree.
DIAGNOSTIC: tuple[tuple[int, str, str, str], ...] = (
    (2, "share", "rustock", "percent"),
    (18, "share", "bagle", "percent"),
    (236, "month_change", "total", "percent"),
    (250, "mean", "total", "billion_per_day"),
    (251, "mean", "total", "billion_per_day"),
    (338, "share", "rustock", "percent"),
    (361, "mean", "total", "billion_per_day"),
    (362, "mean", "total", "billion_per_day"),
)


def build(table: pd.DataFrame, spec: tuple[int, str, str, str],
          window: tuple[str, str] | None = None) -> Constraint:
    """A :class:`Constraint` for ``spec`` read from the figures table (period overridable)."""
    figure_id, kind, source, unit = spec
    target = figure(table, figure_id, unit, DOMAIN_OF_KIND[kind])
    row = table.loc[figure_id]
    start, end = (pd.Timestamp(w) for w in window) if window else (row["period_start"], row["period_end"])
    if pd.isna(start) or pd.isna(end):
        raise DataError(f"figures table, id {figure_id}: period_start/period_end needed for a constraint")
    return Constraint(figure_id, kind, source, unit, pd.Timestamp(start), pd.Timestamp(end), target)
