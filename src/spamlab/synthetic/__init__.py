"""Synthetic spam with known ground truth, to test an ingestion (yours or spamlab's).

Everything these generators write is *synthetic*: made-up messages whose headers imitate
the mess of real spam traps, each carrying the outcome an ingester must reach, so a test
compares against a truth computed when the message was made.

================  ==========================================================================
module            writes
================  ==========================================================================
``mail``          a corpus in every container format (:func:`write_corpus`), single
                  messages (:func:`synthetic_messages`), mbox bytes, dates in every style
``botnets``       a trap with botnets in it and the true counts of every source
                  (:func:`write_botnet_corpus`, :class:`BotnetTruth`)
================  ==========================================================================

:func:`write_trap_archive` (a yearly archive in the layout untroubled.org publishes) is
:mod:`spamlab.ingest.trap_archive`, re-exported here on first use. The older homes,
:mod:`spamlab.testing` and :mod:`spamlab.ingest.corpus`, re-export these names.

Examples
--------
>>> import tempfile, pathlib
>>> truth = write_corpus(pathlib.Path(tempfile.mkdtemp()), n_messages=50, seed=3)
>>> truth.n_messages == truth.counted + truth.duplicates + sum(truth.rejected.values())
True
"""

from __future__ import annotations

import importlib
from typing import Any

from spamlab.synthetic.botnets import (
    BOTNET_INTERRUPTION,
    BOTNET_PROFILES,
    STEPPED_IN_SOURCE,
    STOPPED_SOURCE,
    BotnetProfile,
    BotnetTruth,
    botnet_messages,
    write_botnet_corpus,
)
from spamlab.synthetic.mail import (
    FORMATS,
    RESERVED_NETWORKS,
    STAMPED,
    CorpusTruth,
    SyntheticMessage,
    as_delivered,
    format_date,
    mbox_bytes,
    synthetic_messages,
    truth_of,
    write_corpus,
)

__all__ = ["BOTNET_INTERRUPTION", "BOTNET_PROFILES", "FORMATS", "RESERVED_NETWORKS", "STAMPED",
           "STEPPED_IN_SOURCE", "STOPPED_SOURCE", "BotnetProfile", "BotnetTruth", "CorpusTruth",
           "SyntheticMessage", "TrapArchiveTruth", "as_delivered", "botnet_messages",
           "format_date", "mbox_bytes", "synthetic_messages", "truth_of",
           "write_botnet_corpus", "write_corpus", "write_trap_archive"]

_TRAP_ARCHIVE = ("TrapArchiveTruth", "write_trap_archive")


def __getattr__(name: str) -> Any:
    """:mod:`spamlab.ingest.trap_archive`'s generator, imported on first use (that module
    imports :mod:`spamlab.synthetic.mail`, so importing it here eagerly would be circular)."""
    if name in _TRAP_ARCHIVE:
        return getattr(importlib.import_module("spamlab.ingest.trap_archive"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
