"""spamlab: measure what a botnet takedown did to spam volume.

Stages, in the order data flows through them (docs/architecture.md)::

    figures    the published-figures table (data/raw/published_figures.csv)
    events     registry of interventions (takedowns, pauses)
    mail       raw mail containers and header parsing
    ingest     raw mail -> per-message events -> daily counts (and fetch)
    moments    the one parser of moments (interruptions, dates in files): ambiguity refused
    series     read a user's time series (CSV/Parquet) with row-numbered errors
    timeaxis   the time axis of such a series: moments, zones, the date column
    tablerows  the raw rows a reader validates: cells, file lines, rejections
    tables     small labelled tables and the sentences that read results in the notebooks
    clean      regular frequency, explicit gaps, outlier flags, partial days
    inputs     what a notebook reads: the user's file or the labelled-synthetic default
    its        interrupted-time-series models and robustness checks
    scenario   synthetic daily series calibrated to the published figures
    residual   accounting of the unexplained "missing 5 billion"
    attribution  the residual on data: per-source accounting, fingerprint groups that vanished
    aftermath  after the takedown, from the published figures: the fall that persisted, who grew
    plots      every figure spamlab draws (one seaborn theme, plots.theme)
    explore    an ipywidgets explorer that refits an ITS model as you move its controls
    report     what a notebook writes: fragments, results.json, figures, HTML
    claims     the run's numbers as claims: value, interval, kind (published/derived/synthetic/your data)
    index_page the entry page of a run (index.html): what it shows, reading order, claims
    warnlog    the warnings of a run: recorded while notebooks execute, kept with the answer
    notebooks  executes the analysis notebooks for ``spamlab run``
    kernels    warm Jupyter kernels that run those notebooks, several at once
    cli        the ``spamlab`` command (fetch, ingest, run)
    synthetic  synthetic spam with known ground truth: mail corpora, a trap with botnets
    testing    synthetic mail corpora with known ground truth, for tests and demos
    results_protocol  what every result offers: summary(), to_dict(), _repr_html_()
    deprecation  old names kept for one release, each warning with its new name
    paths, errors

Submodules are imported lazily, so ``import spamlab`` stays cheap; ``dir(spamlab)``
lists them (tab completion in JupyterLab).

Examples
--------
>>> import spamlab
>>> "its" in dir(spamlab) and spamlab.its.fit is not None
True
"""

from __future__ import annotations

import importlib
from types import ModuleType

__version__ = "0.1.0"

__all__ = [
    "__version__", "aftermath", "attribution", "claims", "clean", "cli", "deprecation", "errors",
    "events",
    "explore", "figures", "index_page", "ingest", "inputs", "its", "kernels", "mail", "moments",
    "notebooks", "paths", "plots", "report", "residual", "results_protocol", "scenario", "series",
    "synthetic", "tablerows", "tables", "testing", "timeaxis", "warnlog",
]
_SUBMODULES = frozenset(__all__) - {"__version__"}


def __getattr__(name: str) -> ModuleType:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'spamlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES})
