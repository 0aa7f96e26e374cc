"""Figure algebra: which combinations of published figures agree with each other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spamlab import figures
from spamlab.errors import DataError, ParameterError

__all__ = [
    "CHECKS",
    "Check",
    "Lookup",
    "consistency",
]


def _row(table: pd.DataFrame, figure_id: int) -> pd.Series:
    try:
        return figures.get(table, figure_id).iloc[0]
    except KeyError:
        raise DataError(f"figures table: id {figure_id} is missing; consistency() needs it") from None


@dataclass(frozen=True)
class Check:
    """An implied value computed from figures, optionally compared with a stated one."""

    name: str
    figure_ids: tuple[int, ...]
    formula: str
    implied: Callable[[Lookup], float]
    stated: Callable[[Lookup], float] | None = None


def _pct(v: Lookup, i: int) -> float:
    return v(i) / 100


def _two_day(v: Lookup) -> float:
    return (1 + _pct(v, 28)) * (1 + _pct(v, 29)) - 1


def _implied_total(v: Lookup, part: int, share: int) -> float:
    return figures.implied_total(v.row(part), v.row(share)).estimate


def _implied_volume(v: Lookup, share: int, total: int) -> float:
    return figures.implied_volume(v.row(share), v.row(total)).estimate


def _march_mean(v: Lookup) -> float:
    pre = 15 + v(125) / 24
    return (pre * v(5) + (31 - pre) * v(4)) / 31


CHECKS: tuple[Check, ...] = (
    Check("base implied by Rustock's output and March share", (1, 2, 5),
          "row1 / row2 vs row5", lambda v: _implied_total(v, 1, 2), lambda v: v(5)),
    Check("base implied by Bagle's output and March share", (8, 18, 5),
          "row8 / row18 vs row5", lambda v: _implied_total(v, 8, 18), lambda v: v(5)),
    Check("the two implied bases agree", (1, 2, 8, 18),
          "row1 / row2 vs row8 / row18", lambda v: v(1) / _pct(v, 2), lambda v: v(8) / _pct(v, 18)),
    Check("Rustock's output as March share of the before week", (2, 5, 1),
          "row2 x row5 vs row1", lambda v: _implied_volume(v, 2, 5), lambda v: v(1)),
    Check("Rustock share that would close the residual (percent)", (5, 4, 2),
          "(row5 - row4) / row5 vs row2", lambda v: 100 * (v(5) - v(4)) / v(5), lambda v: v(2)),
    Check("compound of the day-over-day steps (percent)", (28, 29, 3),
          "(1 + row28)(1 + row29) - 1 vs row3", lambda v: 100 * _two_day(v), lambda v: v(3)),
    Check("drop of the window means vs the 15->17 March change (percent)", (4, 5, 3),
          "row4 / row5 - 1 vs row3", lambda v: 100 * (v(4) / v(5) - 1), lambda v: v(3)),
    Check("drop of the window means vs the 16-23 March change (percent)", (4, 5, 14),
          "row4 / row5 - 1 vs row14", lambda v: 100 * (v(4) / v(5) - 1), lambda v: v(14)),
    Check("drop if only Rustock had stopped (percent)", (5, 1, 3),
          "-row1 / row5 vs row3", lambda v: -100 * v(1) / v(5), lambda v: v(3)),
    Check("level of 10 March relative to 15 March", (3, 30),
          "(1 + row3) / (1 + row30)", lambda v: (1 + _pct(v, 3)) / (1 + _pct(v, 30))),
    Check("residual from the later ISTR levels", (361, 362, 1, 5, 4),
          "row361 - row362 - row1 vs row5 - row4 - row1",
          lambda v: v(361) - v(362) - v(1), lambda v: v(5) - v(4) - v(1)),
    Check("December base implied by Rustock's output and share", (7, 6, 38),
          "row7 / row6 vs row38 (24 Dec)", lambda v: v(7) / _pct(v, 6), lambda v: v(38)),
    Check("February average implied by the March change", (236, 4, 5, 125),
          "March mean of rows 5/4 split at row125, / (1 + row236)",
          lambda v: _march_mean(v) / (1 + _pct(v, 236))),
    Check("Rustock share in Commtouch's figures (percent)", (328, 326, 2),
          "row328 / row326 vs row2", lambda v: 100 * v(328) / v(326), lambda v: v(2)),
    Check("share of spam from other botnets in March (percent)", (9, 2, 18),
          "row9 - row2 - row18", lambda v: v(9) - v(2) - v(18)),
    Check("fraction of the two-day drop that fell on 16 March vs Rustock's lost hours (UTC days)",
          (28, 29, 125), "row28 / ((1+row28)(1+row29) - 1) vs (24 - row125) / 24",
          lambda v: _pct(v, 28) / _two_day(v), lambda v: (24 - v(125)) / 24),
    Check("vendor day boundary (hours behind UTC) that makes 16 March's share fit (CBL time)",
          (28, 29, 125), "row125 - 24 (1 - row28 / two-day drop)",
          lambda v: v(125) - 24 * (1 - _pct(v, 28) / _two_day(v))),
    Check("vendor day boundary (hours behind UTC) that makes 16 March's share fit (MessageLabs time)",
          (28, 29, 130), "row130 - 24 (1 - row28 / two-day drop)",
          lambda v: v(130) - 24 * (1 - _pct(v, 28) / _two_day(v))),
)


def consistency(table: pd.DataFrame | None = None, *, rel_tol: float = 0.05) -> pd.DataFrame:
    """Implied values from combinations of published figures, compared where possible.

    Parameters
    ----------
    table
        The figures table (default: :func:`spamlab.figures.load`).
    rel_tol
        Relative difference up to which an implied and a stated value count as consistent.

    Returns
    -------
    DataFrame with columns ``check``, ``figure_ids`` ("1;2;5"), ``formula``,
    ``implied``, ``stated`` (NaN when the check only derives a value),
    ``rel_diff`` (implied / stated - 1), ``consistent`` (bool, NA if no stated value) and
    ``bounds``: figures whose qualifier makes them a bound (``"1:upper"``: row 1 is "as many as").

    Examples
    --------
    >>> out = consistency()
    >>> round(float(out.loc[0, "implied"]), 1)
    48.5
    """
    if not rel_tol > 0:
        raise ParameterError(f"rel_tol={rel_tol}: must be > 0")
    table = figures.load() if table is None else table
    lookup = Lookup(table)
    rows = []
    for check in CHECKS:
        implied = float(check.implied(lookup))
        stated = float(check.stated(lookup)) if check.stated else np.nan
        rel = implied / stated - 1 if check.stated else np.nan
        rows.append({
            "check": check.name, "figure_ids": ";".join(map(str, check.figure_ids)),
            "formula": check.formula, "implied": implied, "stated": stated, "rel_diff": rel,
            "consistent": pd.NA if np.isnan(rel) else bool(abs(rel) <= rel_tol),
            "bounds": _bounds(table, check.figure_ids),
        })
    out = pd.DataFrame(rows)
    out["consistent"] = out["consistent"].astype("boolean")
    return out


@dataclass(frozen=True)
class Lookup:
    """Figures by id: ``lookup(id)`` is the checked number, ``lookup.row(id)`` the table row."""

    table: pd.DataFrame

    def __call__(self, figure_id: int) -> float:
        number = float(_row(self.table, figure_id)["value_mid"])
        if not np.isfinite(number):
            raise DataError(f"figures table, id {figure_id}: no number")
        return number

    def row(self, figure_id: int) -> pd.Series:
        return _row(self.table, figure_id)


def _bounds(table: pd.DataFrame, ids: tuple[int, ...]) -> str:
    """Figures among ``ids`` whose qualifier makes them a bound, e.g. '1:upper' ("as many as")."""
    marks = [(i, figures.bound(_row(table, i))) for i in ids]
    return ";".join(f"{i}:{b}" for i, b in marks if b != "none")
