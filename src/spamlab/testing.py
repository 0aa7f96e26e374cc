"""Synthetic spam with known ground truth, to test an ingestion (yours or spamlab's).

The public face of :mod:`spamlab.ingest.corpus`, which lives beside the code it
imitates. Everything it writes is *synthetic*: made-up messages whose headers
imitate the mess of real spam traps, each carrying the outcome an ingester must
reach, so a test compares against a truth computed when the message was made.

Examples
--------
>>> import tempfile, pathlib
>>> truth = write_corpus(pathlib.Path(tempfile.mkdtemp()), n_messages=50, seed=3)
>>> truth.n_messages == truth.counted + truth.duplicates + sum(truth.rejected.values())
True
"""

from spamlab.ingest.corpus import (
    FORMATS,
    CorpusTruth,
    SyntheticMessage,
    format_date,
    mbox_bytes,
    synthetic_messages,
    truth_of,
    write_corpus,
)

__all__ = ["FORMATS", "CorpusTruth", "SyntheticMessage", "format_date", "mbox_bytes",
           "synthetic_messages", "truth_of", "write_corpus"]
