"""spamlab: measure what a botnet takedown did to spam volume.

Modules, in the order data flows through them::

    figures   the published-figures table (data/raw/published_figures.csv)
    series    read a user's time series (CSV/Parquet) with row-numbered errors
    clean     regular frequency, explicit gaps, outlier flags, partial days
    mail      raw mail containers and header parsing
    ingest    raw mail -> per-message events -> daily counts
    events    registry of interventions (takedowns, pauses)
    its       interrupted-time-series models and robustness checks
    scenario  synthetic daily series calibrated to the published figures
    residual  accounting of the unexplained "missing 5 billion"
    plots, report, cli

Submodules are imported lazily, so ``import spamlab`` stays cheap.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__version__ = "0.1.0"

__all__ = [
    "__version__", "clean", "cli", "errors", "events", "figures", "ingest", "its",
    "mail", "paths", "plots", "report", "residual", "scenario", "series", "testing",
]
_SUBMODULES = frozenset(__all__) - {"__version__"}


def __getattr__(name: str) -> ModuleType:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'spamlab' has no attribute {name!r}")

