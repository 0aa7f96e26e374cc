"""Results of :func:`~spamlab.attribution.account` and :func:`~spamlab.attribution.vanished`.

Both are small frozen dataclasses holding DataFrames, with the protocol of every spamlab
result (:class:`spamlab.results_protocol.Result`): a plain-text ``summary()``, a
JSON-ready ``to_dict()`` and a compact HTML table for JupyterLab, and a short ``repr``.

Examples
--------
>>> import pandas as pd
>>> status_of(pd.Series([0.5, -3.0, -0.5, -1.0]), pd.Series([2.0, -1.0, 0.5, 4.0]),
...           pd.Series([0.05, 0.8, 0.7, 0.9]), pd.Series([10.0, 10.0, 10.0, 10.0])).tolist()
['vanished', 'grew', 'unchanged', 'inconclusive']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from spamlab.deprecation import renamed_keywords
from spamlab.results_protocol import Result, jsonable, table_html

__all__ = ["GROUP_COLUMNS", "MATERIAL", "SOURCE_COLUMNS", "STATUSES", "VANISHED_RATIO",
           "Accounting", "VanishedResult", "json_value", "records", "status_of"]

VANISHED_RATIO: float = 0.1
"""A source *vanished* when the upper end of its ratio interval (observed over
counterfactual, post window) is below this: at least 90% of it is gone."""

MATERIAL: float = 0.1
"""A fall (or rise) is *material* when it is at least this share of the pre level (10%):
an interval that holds 0 and also a material fall or rise cannot tell ``'fell'`` (or
``'grew'``) from ``'unchanged'``, and the status is ``'inconclusive'``."""

STATUSES: tuple[str, ...] = ("vanished", "fell", "unchanged", "grew", "inconclusive")

SOURCE_COLUMNS: tuple[str, ...] = (
    "source", "pre_level", "fall", "fall_low", "fall_high", "ratio", "ratio_low",
    "ratio_high", "status",
)
GROUP_COLUMNS: tuple[str, ...] = (
    "group", "pre_count", "post_count", "pre_level", "post_level", "ratio", "ratio_low",
    "ratio_high", "dispersion", "p_value", "q_value", "status",
)


@renamed_keywords(change_low="fall_low", change_high="fall_high")
def status_of(fall_low: pd.Series, fall_high: pd.Series, ratio_high: pd.Series,
              pre_level: pd.Series, vanished_ratio: float = VANISHED_RATIO,
              material: float = MATERIAL) -> pd.Series:
    """Status from the interval of ``fall`` (counterfactual minus observed) and the ratio.

    ``'vanished'``: ``ratio_high < vanished_ratio`` (and the fall's interval above 0);
    ``'fell'``: ``fall_low > 0``; ``'grew'``: ``fall_high < 0``. An interval holding 0
    is ``'unchanged'`` only when it also rules out a material fall or rise, one of
    ``material`` (10%) of ``|pre_level|`` or more; otherwise it is ``'inconclusive'``
    (too wide to tell a fall or rise from none). ``change_low=`` / ``change_high=`` are
    accepted as deprecated spellings (a :class:`DeprecationWarning`).
    """
    low, high = np.asarray(fall_low, dtype=float), np.asarray(fall_high, dtype=float)
    fell, grew = low > 0, high < 0
    gone = fell & (np.asarray(ratio_high, dtype=float) < vanished_ratio)
    size = material * np.abs(np.asarray(pre_level, dtype=float))
    wide = (high > size) | (low < -size)
    labels = np.select([gone, fell, grew, wide], ["vanished", "fell", "grew", "inconclusive"],
                       default="unchanged")
    return pd.Series(labels, index=getattr(fall_low, "index", None), dtype=object)


@dataclass(frozen=True, kw_only=True, eq=False)
class Accounting(Result):
    """Per-source accounting of a fall in a total (see :func:`~spamlab.attribution.account`).

    Attributes
    ----------
    sources
        One row per source and the total (last): ``source, pre_level, fall,
        fall_low, fall_high, ratio, ratio_low, ratio_high, status`` (``ratio*`` clipped
        at 0; ``status`` one of :data:`STATUSES`, see :func:`status_of`), plus
        ``p_value`` and ``counterfactual`` (the counterfactual mean per day over the
        window). ``fall`` is counterfactual minus observed per day, averaged over the
        post window: positive when the series fell, negative when it grew (``its``
        effects are observed minus counterfactual, so a fall of 5 is an effect of -5).
    residual
        ``estimate, ci_low, ci_high, p_value, unit, window, method``: the part of the
        total's fall (per day, window average) that the target's fall does not explain,
        ``fall(total) - fall(target)``, with its interval from the fit of the
        difference series ``total - target``.
    explained
        How much of the residual the other named sources account for: one row per
        other source, ``named sources together`` and ``left`` (the fall of
        ``total - sum(sources)``), columns ``part, fall, fall_low, fall_high,
        share`` (share of the residual's estimate). The other sources' falls plus
        ``left`` equal the residual exactly under least squares (``errors="iid"`` or
        ``"hac"``); with AR(1) errors each series has its own estimated coefficient, so
        they agree up to that.
    non_additivity
        By how much the sources do not add up to the total: rows ``pre`` and ``post``
        (the window), columns ``total, sum_of_sources, gap, gap_share`` (mean per day;
        ``gap = total - sum_of_sources``, ``gap_share = gap / total``).
    total, target
        The column names.
    window
        ``(first, last)`` day of the post window (both included).
    interruption
        The interruption as given.
    model
        Description of the ITS model fitted to every series.
    alpha
        Intervals are ``1 - alpha``.
    """

    sources: pd.DataFrame
    residual: pd.Series
    explained: pd.DataFrame
    non_additivity: pd.DataFrame
    total: str
    target: str
    window: tuple[pd.Timestamp, pd.Timestamp]
    interruption: str
    model: str
    alpha: float

    def summary(self) -> str:
        """Plain-language report: the residual, what explains it, every source's status."""
        level = round(100 * (1 - self.alpha))
        res = self.residual
        lines = [(f"Per-source accounting of {self.total!r} at {self.interruption} "
                  f"(target {self.target!r})"),
                 f"Model: {self.model}; post window {res['window']}.",
                 (f"Residual (the fall not explained by {self.target!r}): {res['estimate']:.4g} "
                  f"{res['unit']} ({level}% CI {res['ci_low']:.4g} to {res['ci_high']:.4g})."),
                 "Falls are counterfactual minus observed (negative: the series grew)."]
        for _, row in self.sources.iterrows():
            lines.append(f"  {row['source']}: {row['status']}, fall {row['fall']:.4g} "
                         f"({row['fall_low']:.4g} to {row['fall_high']:.4g}), ratio "
                         f"{row['ratio']:.3g} ({row['ratio_low']:.3g} to {row['ratio_high']:.3g})")
        lines.append("Residual explained by the other sources:")
        lines += [f"  {row['part']}: fall {row['fall']:.4g} ({row['fall_low']:.4g} to "
                  f"{row['fall_high']:.4g})" for _, row in self.explained.iterrows()]
        gap = self.non_additivity["gap_share"]
        lines.append(f"Total minus the sum of the sources: {100 * gap['pre']:.3g}% of the total "
                     f"before, {100 * gap['post']:.3g}% in the post window.")
        return "\n".join(lines)

    def _payload(self) -> dict[str, Any]:
        return {"residual": self.residual, "sources": self.sources, "explained": self.explained,
                "non_additivity": self.non_additivity.reset_index(),
                "total": self.total, "target": self.target, "model": self.model}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: residual, sources table, explained table, non-additivity."""
        return super().to_dict()

    def _html_table(self) -> pd.DataFrame:
        return self.sources

    def __repr__(self) -> str:
        res = self.residual
        return (f"Accounting of {self.total!r} (target {self.target!r}): residual "
                f"{res['estimate']:.4g} {res['unit']} [{res['ci_low']:.4g}, "
                f"{res['ci_high']:.4g}] over {res['window']}")

    def _repr_html_(self) -> str:
        return table_html(repr(self), self._html_table())


@dataclass(frozen=True, kw_only=True, eq=False)
class VanishedResult(Result):
    """Fingerprint groups tested for a stop (see :func:`~spamlab.attribution.vanished`).

    Attributes
    ----------
    groups
        One row per tested group: ``group, pre_count, post_count, pre_level,
        post_level`` (messages per day of exposure), ``ratio, ratio_low, ratio_high``
        (post over pre rate, ``1 - alpha`` interval), ``dispersion`` (quasi-Poisson
        scale over days), ``p_value`` (two-sided, ratio = 1), ``q_value``
        (Benjamini-Hochberg), ``status``. Sorted by ``p_value``.
    skipped
        Groups with fewer than ``min_pre`` messages before ``at`` (not tested).
    skipped_messages
        Messages in those groups.
    unkeyed
        Messages without the fingerprint (e.g. no sender IP); never in a group.
    excluded
        Messages not used, by reason: ``not_counted`` (``status`` other than
        ``'counted'``: duplicates, rejects), ``undated``, ``out_of_range_time``
        (counted, but dated outside 1677-2262: misdated; warned), ``outside_window``
        (outside ``pre_days``/``post_days``).
    daily
        Daily counts: ``total``, ``vanished`` (groups called vanished) and
        ``everything_else`` (all other messages, skipped and unkeyed included), ready
        for ``account(daily, total="total", sources=["vanished", "everything_else"],
        target="vanished", interruption=at)``. Days without any message are missing
        (NaN), not zero.
    by, at
        Fingerprint and interruption.
    fdr, alpha, min_pre, vanished_ratio
        The settings used.
    exposure
        ``(pre_days, post_days)``: exposure in days on each side of ``at`` (partial
        day split at ``at``; days without any message excluded).
    """

    groups: pd.DataFrame
    skipped: int
    skipped_messages: int
    unkeyed: int
    excluded: dict[str, int]
    daily: pd.DataFrame
    by: str
    at: pd.Timestamp
    fdr: float
    alpha: float
    min_pre: int
    vanished_ratio: float
    exposure: tuple[float, float]

    @property
    def vanished_groups(self) -> list[str]:
        """The groups called ``'vanished'``."""
        return self.groups.loc[self.groups["status"] == "vanished", "group"].tolist()

    def summary(self) -> str:
        """Plain-language report: groups tested, skipped, and how many of each status."""
        counts = self.groups["status"].value_counts()
        share = self.daily["vanished"].sum() / max(self.daily["total"].sum(), 1)
        lines = [(f"Fingerprint {self.by!r}, stop at {self.at}: {len(self.groups)} group(s) "
                  f"tested, {self.skipped} skipped (< {self.min_pre} messages before), "
                  f"{self.unkeyed} message(s) without the fingerprint."),
                 f"Statuses at FDR {self.fdr:g}: " + ", ".join(
                     f"{counts.get(s, 0)} {s}" for s in STATUSES if s != "inconclusive") + ".",
                 f"Vanished groups carried {100 * share:.3g}% of all messages."]
        return "\n".join(lines)

    def _payload(self) -> dict[str, Any]:
        return {"groups": self.groups, "vanished_groups": self.vanished_groups,
                "skipped": self.skipped, "skipped_messages": self.skipped_messages,
                "unkeyed": self.unkeyed, "excluded": self.excluded, "by": self.by, "at": self.at,
                "fdr": self.fdr, "alpha": self.alpha, "min_pre": self.min_pre,
                "vanished_ratio": self.vanished_ratio, "exposure": self.exposure}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the groups table, the vanished groups, what was skipped or excluded,
        and the settings (the daily counts are :attr:`daily`)."""
        return super().to_dict()

    def _html_table(self) -> pd.DataFrame:
        return self.groups.head(20)

    def __repr__(self) -> str:
        return (f"VanishedResult by {self.by!r} at {self.at}: {len(self.groups)} tested, "
                f"{len(self.vanished_groups)} vanished, {self.skipped} skipped")

    def _repr_html_(self) -> str:
        return table_html(repr(self), self._html_table())


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``table`` as JSON-ready dictionaries (:func:`spamlab.results_protocol.jsonable`)."""
    return jsonable(table)


def json_value(value: Any) -> Any:
    """A JSON-ready scalar: NaN/inf to ``None``, numpy scalars to Python, timestamps to text
    (:func:`spamlab.results_protocol.jsonable`)."""
    return jsonable(value)
