"""Synthetic spam with known ground truth, to test an ingestion (yours or spamlab's).

The public face of :mod:`spamlab.ingest.corpus` (a corpus in every container
format) and :mod:`spamlab.ingest.trap_archive` (a yearly archive in the layout
untroubled.org publishes), which live beside the code they imitate. Everything
they write is *synthetic*: made-up messages whose headers imitate the mess of
real spam traps, each carrying the outcome an ingester must
reach, so a test compares against a truth computed when the message was made.

Examples
--------
>>> import tempfile, pathlib
>>> truth = write_corpus(pathlib.Path(tempfile.mkdtemp()), n_messages=50, seed=3)
>>> truth.n_messages == truth.counted + truth.duplicates + sum(truth.rejected.values())
True
"""

from spamlab.ingest.corpus import (
    BOTNET_INTERRUPTION,
    BOTNET_PROFILES,
    FORMATS,
    STAMPED,
    STEPPED_IN_SOURCE,
    STOPPED_SOURCE,
    BotnetProfile,
    BotnetTruth,
    CorpusTruth,
    SyntheticMessage,
    as_delivered,
    botnet_messages,
    format_date,
    mbox_bytes,
    synthetic_messages,
    truth_of,
    write_botnet_corpus,
    write_corpus,
)
from spamlab.ingest.trap_archive import TrapArchiveTruth, write_trap_archive

__all__ = ["FORMATS", "STAMPED", "CorpusTruth", "SyntheticMessage", "TrapArchiveTruth",
           "as_delivered", "format_date", "mbox_bytes", "synthetic_messages", "truth_of",
           "write_corpus", "write_trap_archive"]
# the synthetic trap with botnets in it (issue 12)
__all__ += ["BOTNET_INTERRUPTION", "BOTNET_PROFILES", "STEPPED_IN_SOURCE", "STOPPED_SOURCE",
            "BotnetProfile", "BotnetTruth", "botnet_messages", "write_botnet_corpus"]
