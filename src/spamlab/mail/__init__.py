"""Raw mail: containers (mbox, maildir, folders, archives) and header parsing.

:mod:`~spamlab.mail.containers` finds the messages of each input and hands the
first bytes of every one to a callback; :mod:`~spamlab.mail.headers` reads a
message's header block into its arrival time and attribution features.
:mod:`spamlab.ingest` builds the pipeline on these two.
"""

from spamlab.mail import containers, headers

__all__ = ["containers", "headers"]
