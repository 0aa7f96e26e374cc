"""Break-date sets on designs they were not tuned on (issue 28, out of sample).

The library's default set (``its.break_search(..., errors="hac")``) draws the AR(1) coefficient
of its bootstrap around the estimate with a spread chosen on issue 28's design (n = 120, shift
at 70, phi 0.5; ``benchmarks/breaks.py``). This script runs the same default on other lengths,
break positions, autocorrelations and shifts and prints the coverage of the true date by the
set, its Monte Carlo standard error and the mean set size. Synthetic series, not data.

Run: ``.venv/bin/python benchmarks/breaks_other_designs.py [--reps 200] [--seed 7]``.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from breaks import ar1_noise

from spamlab import its

#: (n, break position, AR(1) phi, shift in marginal sd)
DESIGNS: tuple[tuple[int, int, float, float], ...] = (
    (200, 80, 0.3, 1.5), (200, 80, 0.7, 1.5), (80, 50, 0.5, 2.0), (365, 200, 0.5, 1.0))


def coverage(n: int, at: int, phi: float, shift: float, reps: int, seed: int
             ) -> tuple[float, float, float]:
    """Share of ``reps`` series whose set holds ``at``, its MC standard error, mean set size."""
    values = ar1_noise(np.random.default_rng(seed), reps, n, phi) + shift * (np.arange(n) >= at)
    hits, sizes = 0, 0
    for row in values:
        found = its.break_search(pd.DataFrame({"v": row}), y="v", errors="hac")
        dates = np.asarray(found.sets[0], dtype=int)
        hits += int(at in dates)
        sizes += len(dates)
    share = hits / reps
    return share, math.sqrt(share * (1 - share) / reps), sizes / reps


def main() -> None:
    """Print one Markdown row per design."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print("| n | break at | AR(1) phi | shift (sd) | covers | MC SE | mean set size |")
    print("|---|---|---|---|---|---|---|")
    for n, at, phi, shift in DESIGNS:
        share, se, size = coverage(n, at, phi, shift, args.reps, args.seed)
        print(f"| {n} | {at} | {phi} | {shift} | {share:.3f} | {se:.3f} | {size:.1f} |",
              flush=True)


if __name__ == "__main__":
    main()
