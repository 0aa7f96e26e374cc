"""Recovery: the residual's 95% interval covers the simulated truth about 95% of the time.

Panels from attribution_support.panel: total = rustock + bagle + an unnamed rest, each
with AR(1) noise (rho 0.5), so the total shares the target's noise; truth 5 per day.
Model: AR(1) errors (FGLS, small-sample corrected), level change, 60 days before and 29
after the partial day. 200 panels (seeds 0-199): MC SE about 1.5 points. The README
reports a 400-panel run of the same design.
"""

from __future__ import annotations

import numpy as np
import pytest
from attribution_support import CUT, TRUE_RESIDUAL, panel

from spamlab import attribution


@pytest.mark.slow
def test_residual_interval_covers_the_truth() -> None:
    hits = []
    for seed in range(200):
        acc = attribution.account_by_source(panel(seed), total="total", sources=["rustock"],
                                            target="rustock", interruption=CUT, errors="ar1",
                                            slope_change=False)
        hits.append(acc.residual["ci_low"] <= TRUE_RESIDUAL <= acc.residual["ci_high"])
    coverage = float(np.mean(hits))
    assert 0.93 <= coverage <= 0.97, (coverage, np.sqrt(coverage * (1 - coverage) / len(hits)))
