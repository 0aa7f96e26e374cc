"""Raw mail: containers (mbox, maildir, folders, archives) and header parsing.

:mod:`~spamlab.mail.containers` finds the messages of each input and hands the
first bytes of every one to a callback; :mod:`~spamlab.mail.headers` reads a
message's header block into its arrival time and attribution features.
:mod:`~spamlab.mail.names` reads the arrival time and month that a member's name
carries (``2011/03/1300286700.12345.txt``). :mod:`spamlab.ingest` builds the
pipeline on these.
"""

from spamlab.mail import containers, headers, names

__all__ = ["containers", "headers", "names"]
