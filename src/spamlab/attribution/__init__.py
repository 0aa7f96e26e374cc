"""The residual on data: who vanished at an interruption, and what else fell.

Public API
----------
account
    Per-source accounting of a total's fall (:class:`Accounting`): each source's change
    (counterfactual minus observed, per day over a post window; a fall is positive, the
    opposite sign of :mod:`spamlab.its` effects) with its interval and status, the
    residual the target leaves with an interval from the difference series, what the
    other sources explain of it, and by how much the sources do not add up to the total.
describe
    The accounting in plain words, each sentence chosen by the numbers (the residual's
    interval: excludes 0, rules out a material residual, or cannot tell).
displacement
    Who stepped in after a stop (:class:`Displacement`): per source (or fingerprint
    group) other than the target, the level and slope change and the volume added over
    the post window (per day and cumulative, with intervals), statuses ``'stepped in'`` /
    ``'fell'`` / ``'unchanged'`` / ``'inconclusive'`` at a Benjamini-Hochberg
    false-discovery rate, and the share of the target's loss the others made up.
vanished
    Fingerprint groups of raw mail events (sender /24, HELO, Message-ID shape, mailer,
    ...) whose volume stopped at a moment, Benjamini-Hochberg FDR-controlled
    (:class:`VanishedResult`); its ``daily`` series feed :func:`account`.

Modules: ``accounting``, ``displacement``, ``prose``, ``vanished``, ``fingerprints`` (group
keys), ``results``.

Examples
--------
>>> from spamlab import attribution
>>> sorted(attribution.FINGERPRINTS)[:3]
['from_domain', 'helo', 'mailer']
"""

from __future__ import annotations

from spamlab.attribution.accounting import account
from spamlab.attribution.displacement import (
    DISPLACEMENT_STATUSES,
    Displacement,
    displacement,
)
from spamlab.attribution.fingerprints import COLUMN_OF
from spamlab.attribution.prose import describe
from spamlab.attribution.results import (
    MATERIAL,
    STATUSES,
    VANISHED_RATIO,
    Accounting,
    VanishedResult,
)
from spamlab.attribution.vanished import vanished

FINGERPRINTS: tuple[str, ...] = tuple(COLUMN_OF)
"""The fingerprints :func:`vanished` accepts as ``by=``."""

__all__ = ["DISPLACEMENT_STATUSES", "FINGERPRINTS", "MATERIAL", "STATUSES", "VANISHED_RATIO",
           "Accounting", "Displacement", "VanishedResult", "account", "describe", "displacement",
           "vanished"]
