"""Accounting of the unexplained residual ("the missing 5 billion") from published figures.

Public API: :func:`account_from_figures` (the Monte Carlo accounting, a
:class:`FiguresAccounting`), :func:`assumption_sensitivity` (the residual with one
assumption changed at a time), the tables of :mod:`~spamlab.residual.summary` and the
readings of :mod:`~spamlab.residual.readings`. The per-source accounting *on data* is
:func:`spamlab.attribution.account_by_source`. The old names ``account``, ``Accounting``
and ``sensitivity`` still work until spamlab 0.3, with a :class:`DeprecationWarning`.

The naive residual is ``before - after - Rustock`` = 52 - 33 - 13.82 bn/day
(figure ids 5, 4, 1). Each hypothesis of ``docs/domain.md`` is an explicit adjustment
with its own figure ids, applied in waterfall order (different bases, partial
first day, weekday composition, pre-existing trend, other botnets,
measurement). A seeded Monte Carlo draws every uncertain input (competing
figures, unknown window lengths, stated ranges, and the named
:class:`Assumptions`) and reports means, medians and sensitivity ranges under
those stated priors (not confidence intervals). Rustock's output (H1) is read
several ways; ``Accounting.by_reading`` gives the result under each reading.

No synthetic data is used here: every number traces to figure ids or to a
named assumption.

Examples
--------
>>> from spamlab import residual
>>> acc = residual.account_from_figures(seed=0, n_draws=2000)
>>> round(acc.naive, 2)
5.18
>>> [r["reading"] for r in acc.to_dict()["residual_by_reading"]][:2]
['stated_output', 'march_share_on_week']
"""

from typing import Any

from spamlab.deprecation import deprecated_attribute
from spamlab.residual.accounting import Accounting as FiguresAccounting
from spamlab.residual.accounting import account as account_from_figures
from spamlab.residual.accounting import weekday_grid, write_table
from spamlab.residual.algebra import consistency
from spamlab.residual.readings import (
    MESSAGELABS_READINGS,
    OTHER_VENDOR_READINGS,
    READING_LABELS,
    RUSTOCK_READINGS,
    TREND_READINGS,
    Assumptions,
)
from spamlab.residual.summary import (
    assumption_table,
    collateral_curve,
    default_variants,
    hypothesis_table,
    unmodelled_points,
)
from spamlab.residual.summary import sensitivity as assumption_sensitivity

#: old name -> (new name, object), kept for one release (removed in spamlab 0.3)
_RENAMED: dict[str, tuple[str, Any]] = {
    "account": ("account_from_figures", account_from_figures),
    "Accounting": ("FiguresAccounting", FiguresAccounting),
    "sensitivity": ("assumption_sensitivity", assumption_sensitivity),
}

__all__ = [
    "MESSAGELABS_READINGS",
    "OTHER_VENDOR_READINGS",
    "READING_LABELS",
    "RUSTOCK_READINGS",
    "TREND_READINGS",
    "Assumptions",
    "FiguresAccounting",
    "account_from_figures",
    "assumption_sensitivity",
    "assumption_table",
    "collateral_curve",
    "consistency",
    "default_variants",
    "hypothesis_table",
    "unmodelled_points",
    "weekday_grid",
    "write_table",
]


def __getattr__(name: str) -> Any:
    return deprecated_attribute(__name__, _RENAMED, name)

