"""Old public home of the synthetic spam generators: a thin re-export of :mod:`spamlab.synthetic`.

Everything these names write is *synthetic* (made-up messages with the outcome an ingester
must reach). ``from spamlab.testing import ...`` keeps working; new code imports from
:mod:`spamlab.synthetic`.

Examples
--------
>>> import tempfile, pathlib
>>> truth = write_corpus(pathlib.Path(tempfile.mkdtemp()), n_messages=50, seed=3)
>>> truth.n_messages == truth.counted + truth.duplicates + sum(truth.rejected.values())
True
"""

from spamlab.ingest.trap_archive import TrapArchiveTruth, write_trap_archive
from spamlab.synthetic import (
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

__all__ = ["BOTNET_INTERRUPTION", "BOTNET_PROFILES", "FORMATS", "STAMPED", "STEPPED_IN_SOURCE",
           "STOPPED_SOURCE", "BotnetProfile", "BotnetTruth", "CorpusTruth", "SyntheticMessage",
           "TrapArchiveTruth", "as_delivered", "botnet_messages", "format_date", "mbox_bytes",
           "synthetic_messages", "truth_of", "write_botnet_corpus", "write_corpus",
           "write_trap_archive"]
