"""Old home of the synthetic spam corpora: a thin re-export of :mod:`spamlab.synthetic`.

The generators moved to :mod:`spamlab.synthetic.mail` (a corpus in every container
format) and :mod:`spamlab.synthetic.botnets` (a trap with botnets in it), out of the
ingest stage they imitate. This module keeps ``from spamlab.ingest.corpus import ...``
working; new code imports from :mod:`spamlab.synthetic`.
"""

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
           "SyntheticMessage", "as_delivered", "botnet_messages", "format_date", "mbox_bytes",
           "synthetic_messages", "truth_of", "write_botnet_corpus", "write_corpus"]
