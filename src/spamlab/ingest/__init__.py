"""Raw mail -> per-message events -> daily counts, on local processes or a Dask cluster.

Modules, in the order a run goes through them:

=============== ==============================================================
``pipeline``    :func:`ingest`: plans the tasks, merges the results, accounts
                for every message (seen = counted + rejected + duplicates)
``parse``       one task in a worker: the header block of each message -> a row
``engines``     run the tasks on local worker processes or a Dask cluster
``checkpoints`` one shard per finished task, so an interrupted run resumes
``rules``       the accepted date range and the duplicate rule
``outputs``     daily counts, Parquet events, the report; atomic writes
``fetch``       download a public spam archive, with resume and provenance
``corpus``      synthetic spam with known ground truth (public as :mod:`spamlab.testing`)
=============== ==============================================================

Containers (mbox, maildir, archives) and header parsing are :mod:`spamlab.mail`;
the command line is :mod:`spamlab.cli.ingest` and :mod:`spamlab.cli.fetch`.

Daily counts list every day from the first to the last counted day. A day is
*covered* when it lies between the first and the last counted message of some
container (an archive, an mbox, a maildir, a folder of files); a covered day
without messages has ``count`` 0. A day outside every container's span is a gap:
``count`` is empty and ``covered`` false (never zero-filled).
"""

from spamlab.ingest.outputs import read_events
from spamlab.ingest.pipeline import IngestOptions, IngestResult, ingest

__all__ = ["IngestOptions", "IngestResult", "ingest", "read_events"]
