"""Raw mail: containers (mbox, maildir, folders, archives) and header parsing.

:mod:`~spamlab.mail.containers` finds the messages of each input and hands the
first bytes of every one to a callback (:func:`~spamlab.mail.containers.read_task`); its
work is split by job into :mod:`~spamlab.mail.discovery` (inputs into containers),
:mod:`~spamlab.mail.planning` (containers into tasks), :mod:`~spamlab.mail.reading` (what
the readers share) and one module per reader (:mod:`~spamlab.mail.files`,
:mod:`~spamlab.mail.mbox`, :mod:`~spamlab.mail.archives`, :mod:`~spamlab.mail.sevenzip`),
all still importable from ``containers``. :mod:`~spamlab.mail.headers` reads a
message's header block into its arrival time and attribution features.
:mod:`~spamlab.mail.names` reads the arrival time and month that a member's name
carries (``2011/03/1300286700.12345.txt``). :mod:`spamlab.ingest` builds the
pipeline on these.
"""

from spamlab.mail import containers, headers, names

__all__ = ["containers", "headers", "names"]
