"""Raw mail -> per-message events -> daily counts, on local processes or a Dask cluster.

Modules, in the order a run goes through them:

=============== ==============================================================
``pipeline``    :func:`ingest`: plans the tasks, merges the results, accounts
                for every message (seen = counted + rejected + duplicates
                + out_of_range)
``parse``       one task in a worker: the header block of each message -> a row
``engines``     run the tasks on local worker processes or a Dask cluster
``checkpoints`` one shard per finished task, so an interrupted run resumes
``rules``       the arrival time's source, the date range, duplicates
``outputs``     daily counts, Parquet events, the report; atomic writes
``fetch``       download a public spam archive, with resume and provenance
``corpus``      synthetic spam with known ground truth (public as :mod:`spamlab.testing`)
=============== ==============================================================

``trap_archive`` writes a small yearly archive in untroubled.org's real layout, with its
truth (public as :mod:`spamlab.testing` too).

Containers (mbox, maildir, archives) and header parsing are :mod:`spamlab.mail`;
the command line is :mod:`spamlab.cli.ingest` and :mod:`spamlab.cli.fetch`.

Daily counts list every day from the first to the last counted day (or exactly
the days of ``first_day``..``last_day``), with ``covered``, the fraction of each day
the inputs recorded (the exposure of count models): a covered day without messages
has ``count`` 0, a day covered 0 is a gap (``count`` empty, never zero-filled). The
coverage rules (container spans, isolated arrivals) are documented once, in the
guide page docs/guide/ingest.md; the code is
:func:`spamlab.ingest.outputs.daily_counts` and :func:`spamlab.ingest.rules.isolated_arrivals`.
"""

from spamlab.ingest.outputs import read_events
from spamlab.ingest.pipeline import IngestOptions, IngestResult, ingest

__all__ = ["IngestOptions", "IngestResult", "ingest", "read_events"]
