"""The residual on data: who vanished at an interruption, and what else fell.

Public API
----------
account_by_source
    Per-source accounting of a total's fall (:class:`SourceAccounting`): each source's
    ``fall`` (counterfactual minus observed, per day over a post window; negative when the
    source grew; :mod:`spamlab.its` effects are observed minus counterfactual) with its
    interval and status, the residual the target leaves with an interval from the
    difference series, what the other sources explain of it, and by how much the sources
    do not add up to the total.
describe
    The accounting in plain words, each sentence chosen by the numbers (the residual's
    interval: excludes 0, rules out a material residual, or cannot tell).
displacement
    Who stepped in after a stop (:class:`Displacement`): per source (or fingerprint
    group) other than the target, the level and slope change and the volume ``added``
    (observed minus counterfactual: positive when it stepped in) over the post window
    (per day and cumulative, with intervals), statuses ``'stepped in'`` /
    ``'fell'`` / ``'unchanged'`` / ``'inconclusive'`` at a Benjamini-Hochberg
    false-discovery rate, and the share of the target's loss the others made up.
vanished_groups
    Fingerprint groups of raw mail events (sender /24, HELO, Message-ID shape, mailer,
    ...) whose volume stopped at a moment, Benjamini-Hochberg FDR-controlled
    (:class:`VanishedResult`); its ``daily`` series feed :func:`account_by_source`.

The moment of the stop is ``interruption=`` everywhere (``at=`` still works in
:func:`account_by_source` and :func:`vanished_groups`, with a :class:`DeprecationWarning`).
Old names kept until spamlab 0.3, each with a :class:`DeprecationWarning`: ``account``
(now :func:`account_by_source`: ``spamlab.residual.account_from_figures`` is the accounting
of published figures), ``Accounting`` (:class:`SourceAccounting`) and ``vanished``
(:func:`vanished_groups`: the module ``vanished`` no longer shares its function's name).

Modules: ``accounting``, ``displacement``, ``prose``, ``vanished``, ``fingerprints`` (group
keys), ``results``.

Examples
--------
>>> from spamlab import attribution
>>> sorted(attribution.FINGERPRINTS)[:3]
['from_domain', 'helo', 'mailer']
"""

from __future__ import annotations

from typing import Any

from spamlab.attribution.accounting import account_by_source
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
    VanishedResult,
)
from spamlab.attribution.results import Accounting as SourceAccounting
from spamlab.attribution.vanished import vanished_groups
from spamlab.deprecation import deprecated_alias, deprecated_attribute

FINGERPRINTS: tuple[str, ...] = tuple(COLUMN_OF)
"""The fingerprints :func:`vanished_groups` accepts as ``by=``."""

#: bound here, not left to ``__getattr__``: importing the submodule ``vanished`` sets this name
vanished = deprecated_alias(vanished_groups, "vanished", module=__name__)

#: old name -> (new name, object), kept for one release (removed in spamlab 0.3)
_RENAMED: dict[str, tuple[str, Any]] = {
    "account": ("account_by_source", account_by_source),
    "Accounting": ("SourceAccounting", SourceAccounting),
}

__all__ = ["DISPLACEMENT_STATUSES", "FINGERPRINTS", "MATERIAL", "STATUSES", "VANISHED_RATIO",
           "Displacement", "SourceAccounting", "VanishedResult", "account_by_source", "describe",
           "displacement", "vanished_groups"]


def __getattr__(name: str) -> Any:
    return deprecated_attribute(__name__, _RENAMED, name)
