"""Accounting of the unexplained residual ("the missing 5 billion") from published figures.

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
>>> acc = residual.account(seed=0, n_draws=2000)
>>> round(acc.naive, 2)
5.18
>>> [r["reading"] for r in acc.results_dict()["residual_by_reading"]][:2]
['stated_output', 'march_share_on_week']
"""

from spamlab.residual.accounting import Accounting, account, weekday_grid, write_table
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
    sensitivity,
    unmodelled_points,
)

__all__ = [
    "MESSAGELABS_READINGS",
    "OTHER_VENDOR_READINGS",
    "READING_LABELS",
    "RUSTOCK_READINGS",
    "TREND_READINGS",
    "Accounting",
    "Assumptions",
    "account",
    "assumption_table",
    "collateral_curve",
    "consistency",
    "default_variants",
    "hypothesis_table",
    "sensitivity",
    "unmodelled_points",
    "weekday_grid",
    "write_table",
]
