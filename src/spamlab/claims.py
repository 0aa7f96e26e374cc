"""The claims of a run: one row per number a reader may quote, with where it comes from.

:func:`claims` turns a run's ``results.json`` (the dictionary
:func:`spamlab.report.write_results` writes) into a table answering the article's
questions. Each row holds:

``question``
    Which of the article's questions it answers (:data:`QUESTIONS`).
``claim``
    The claim in words.
``value``, ``low``, ``high``, ``unit``
    The number, the ends of its interval (None when it has none, or the end is
    unbounded) and its unit.
``interval`` (also as ``interval_kind``, the name the design notes' contract uses)
    ``'confidence'`` (sampling uncertainty of a fitted model), ``'sensitivity range'``
    (what the stated assumptions leave open; no sampling model behind it) or ``'none'``.
``figure_ids``
    Rows of the published-figures table the number is read or computed from.
``kind``
    ``'published'`` (a row of the figures table, as printed), ``'derived'`` (computed
    from rows of the table), ``'synthetic'`` (a model's output: the calibrated
    scenario, a synthetic trap) or ``'your data'`` (data the user supplied).
``notebook``
    The report it comes from (``''`` when the results carry no ``notebooks`` entry).

The table is built by a registry of small extractors (:data:`EXTRACTORS`), one per
results block. A missing block gives no rows; a block that is present but lacks a key
its extractor needs is a :class:`~spamlab.errors.DataError` naming the notebook, the
block and the key.

Examples
--------
>>> results = {"notebooks": {"03-the-missing-5-billion": {"synthetic": False,
...     "residual_bn_per_day": {"median": 5.0, "low": -4.1, "high": 11.4, "synthetic": False}}}}
>>> row = claims(results)[0]
>>> row["kind"], row["interval"], row["value"], row["notebook"]
('derived', 'sensitivity range', 5.0, '03-the-missing-5-billion')
>>> "claims" in with_claims(results)
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from spamlab.aftermath import AFTER_ID, BEFORE_ID
from spamlab.errors import DataError
from spamlab.residual.readings import NAIVE_IDS

__all__ = [
    "COLUMNS",
    "EXTRACTORS",
    "INTERVALS",
    "KINDS",
    "QUESTIONS",
    "Block",
    "Claim",
    "Extractor",
    "as_table",
    "claim",
    "claims",
    "figure_urls",
    "with_claims",
]

#: the columns of a claim, in the order the index page shows them
COLUMNS: tuple[str, ...] = ("question", "claim", "value", "low", "high", "unit", "interval",
                            "interval_kind", "figure_ids", "kind", "notebook", "lead")
#: what the interval of a claim is
INTERVALS: tuple[str, ...] = ("confidence", "sensitivity range", "none")
#: where the number of a claim comes from
KINDS: tuple[str, ...] = ("published", "derived", "synthetic", "your data")
#: the article's questions, in the order the index page asks them
QUESTIONS: tuple[str, ...] = (
    "How much did spam fall?",
    "How much of the fall is unexplained?",
    "Was the fall the takedown's doing?",
    "How long did the fall last?",
    "Did others fill the void?",
)
FELL, UNEXPLAINED, ROBUST, LASTED, VOID = QUESTIONS

Claim = dict[str, Any]


@dataclass(frozen=True)
class Block:
    """One results block handed to an extractor.

    Attributes
    ----------
    key : the block's key in the results (``'placebo'``, ...)
    value : the block itself (a mapping, or a list for row blocks)
    notebook : the notebook that wrote it (``''`` if unknown)
    fragment : the whole fragment of that notebook (for flags kept beside the block)
    """

    key: str
    value: Any
    notebook: str
    fragment: Mapping[str, Any]

    def need(self, mapping: Any, key: str, where: str = "") -> Any:
        """``mapping[key]``, else a DataError naming the notebook, the block and the key."""
        place = f"{self.key}{'.' + where if where else ''}"
        if not isinstance(mapping, Mapping):
            raise DataError(f"results of notebook {self.notebook or '(unknown)'}: block "
                            f"{place!r} is {type(mapping).__name__}, not a mapping of results")
        if key not in mapping:
            raise DataError(f"results of notebook {self.notebook or '(unknown)'}: block "
                            f"{place!r} has no {key!r}; rerun the notebook with this version "
                            f"of spamlab (keys present: {sorted(mapping)})")
        return mapping[key]

    def number(self, mapping: Any, key: str, where: str = "") -> float | None:
        """``mapping[key]`` as a float (None for a null or infinite value: no bound)."""
        value = self.need(mapping, key, where)
        if value is None:
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise DataError(f"results of notebook {self.notebook or '(unknown)'}: "
                            f"{self.key}{'.' + where if where else ''}[{key!r}] is {value!r}, "
                            f"not a number") from None
        return number if math.isfinite(number) else None

    def data_kind(self, mapping: Any | None = None) -> str:
        """``'synthetic'`` or ``'your data'`` from the ``synthetic`` flag of ``mapping`` (a
        part of the block), else of the block, else of the fragment; no flag is a DataError."""
        for holder in (mapping, self.value, self.fragment):
            if isinstance(holder, Mapping) and "synthetic" in holder:
                return "synthetic" if holder["synthetic"] else "your data"
        raise DataError(f"results of notebook {self.notebook or '(unknown)'}: block "
                        f"{self.key!r} has no 'synthetic' flag (nor has its notebook's "
                        f"fragment): rerun the notebook with this version of spamlab, which "
                        f"says whether its numbers come from synthetic data")

    def flag_kind(self, default: str) -> str:
        """``'synthetic'`` when the block is flagged synthetic, else ``default``."""
        flag = self.value.get("synthetic") if isinstance(self.value, Mapping) else None
        if flag is None:
            flag = self.fragment.get("synthetic", False)
        return "synthetic" if flag else default


def claim(question: str, text: str, value: float | None, *, low: float | None = None,
          high: float | None = None, unit: str = "", interval: str = "none",
          figure_ids: Sequence[int] = (), kind: str, notebook: str, lead: bool = False) -> Claim:
    """One row of the claims table, checked (:data:`INTERVALS`, :data:`KINDS`, :data:`QUESTIONS`).

    ``lead`` marks the row its extractor puts forward as the answer to its question (the
    latest month of a series of months, a source that stepped in): the index page leads
    with it.

    Examples
    --------
    >>> claim(FELL, "before", 52.0, unit="bn/day", figure_ids=[5], kind="published",
    ...       notebook="01")["figure_ids"]
    [5]
    """
    if interval not in INTERVALS or kind not in KINDS or question not in QUESTIONS:
        raise DataError(f"claim {text!r}: interval {interval!r} (one of {INTERVALS}), kind "
                        f"{kind!r} (one of {KINDS}), question {question!r} (one of {QUESTIONS})")
    return {"question": question, "claim": text, "value": value, "low": low, "high": high,
            "unit": unit, "interval": interval, "interval_kind": interval,
            "figure_ids": [int(i) for i in figure_ids],
            "kind": kind, "notebook": notebook, "lead": lead}


def _headline_figures(block: Block) -> list[Claim]:
    """01: the published before/after volumes and Rustock's output, and the fall they imply."""
    rows = {name: block.need(block.value, name) for name in
            ("before_week_average", "after_days", "rustock_output")}
    values = {name: block.number(row, "value", name) for name, row in rows.items()}
    ids = {name: int(block.need(row, "figure_id", name)) for name, row in rows.items()}
    kind = block.flag_kind("published")
    words = {"before_week_average": "Global spam, average of the week before the takedown",
             "after_days": "Global spam in the days after the takedown",
             "rustock_output": "Rustock's output before the takedown"}
    out = [claim(FELL, words[name], values[name], unit="bn/day", figure_ids=[ids[name]],
                 kind=kind, notebook=block.notebook) for name in words]
    before, after = values["before_week_average"], values["after_days"]
    if before is not None and after is not None:
        out.append(claim(FELL, "Fall from the week before to the days after (before - after)",
                         before - after, unit="bn/day",
                         figure_ids=[ids["before_week_average"], ids["after_days"]],
                         kind=block.flag_kind("derived"), notebook=block.notebook))
    return out


def _level_change(block: Block) -> list[Claim]:
    """02 and 05: the level change of the headline ITS fit, with its confidence interval."""
    level = block.value
    scale = block.need(level, "scale")
    fragment = block.fragment
    unit = ("ratio (observed / counterfactual)" if scale == "ratio"
            else str(block.need(fragment, "unit", "(beside it)")))
    what = ("Spam after the interruption as a share of the counterfactual" if scale == "ratio"
            else "Level change (observed minus counterfactual)")
    at = f" at {fragment['interruption']}" if fragment.get("interruption") else ""
    details = "; ".join(str(fragment[key]) for key in ("fit", "data") if fragment.get(key))
    text = f"{what}{at}" + (f" ({details})" if details else "")
    return [claim(FELL, text, block.number(level, "estimate"),
                  low=block.number(level, "ci_low"), high=block.number(level, "ci_high"),
                  unit=unit, interval="confidence", kind=block.data_kind(),
                  notebook=block.notebook)]


def _residual(block: Block) -> list[Claim]:
    """03: the unexplained fall, a sensitivity range from the published figures."""
    residual = block.value
    fragment = block.fragment
    share = fragment.get("interval")
    level = f"{float(share):.0%} " if isinstance(share, (int, float)) else ""
    ids = sorted({int(i) for entry in _entries(fragment.get("residual_by_reading"))
                  for i in entry.get("figure_ids", ())} |
                 {int(i) for entry in _entries(fragment.get("adjustments"))
                  for i in entry.get("figure_ids", ())} | set(NAIVE_IDS))
    return [claim(UNEXPLAINED, f"Fall not explained by Rustock's output, after every adjustment "
                  f"(median of a {level}sensitivity range under stated assumptions)",
                  block.number(residual, "median"), low=block.number(residual, "low"),
                  high=block.number(residual, "high"), unit="bn/day",
                  interval="sensitivity range", figure_ids=ids,
                  kind=block.flag_kind("derived"), notebook=block.notebook)]


def _naive_residual(block: Block) -> list[Claim]:
    """03: the naive residual, before - after - Rustock, from the headline rows as printed."""
    return [claim(UNEXPLAINED, "Naive unexplained fall: before - after - Rustock's output, "
                  "figures as printed", block.number({"value": block.value}, "value"),
                  unit="bn/day", figure_ids=NAIVE_IDS, kind=block.flag_kind("derived"),
                  notebook=block.notebook)]


def _entries(value: Any) -> list[Mapping[str, Any]]:
    """The mappings of a list of rows or of a mapping of named rows (others ignored)."""
    items = value.values() if isinstance(value, Mapping) else value or ()
    return [item for item in items if isinstance(item, Mapping)]


def _placebo(block: Block) -> list[Claim]:
    """04: where the real date's level change ranks among placebo dates."""
    rank = block.number(block.value, "real_rank")
    others = block.number(block.value, "n_placebo")
    p = block.number(block.value, "rank_p_value")
    total = f"{others + 1:.0f}" if others is not None else "?"
    p_text = f"; rank p-value {p:.3g}" if p is not None else ""
    return [claim(ROBUST, f"Rank of the real date's level change among {total} dates (the "
                  f"others placebo dates in the pre-period{p_text})", rank,
                  unit=f"rank among {total} dates", kind=block.data_kind(), notebook=block.notebook)]


def _detectable(block: Block) -> list[Claim]:
    """04: the smallest fall detectable with the target power, per post-period length."""
    unit = str(block.need(block.value, "unit"))
    power = block.number(block.value, "target_power")
    by_days = block.need(block.value, "by_post_days")
    kind = block.data_kind()
    with_power = f" with {power:.0%} power" if power is not None else ""
    return [claim(ROBUST, f"Smallest fall detectable{with_power}, {days} days after the "
                  f"interruption", block.number(by_days, days, "by_post_days"), unit=unit,
                  kind=kind, notebook=block.notebook)
            for days in sorted(by_days, key=float)]


def _attribution(block: Block) -> list[Claim]:
    """06: the total's fall not explained by the target source, with its confidence interval."""
    residual = block.need(block.value, "residual")
    # the block's unit says what is counted ("messages per day"); the residual's may not
    unit = block.value.get("unit") or (residual.get("unit") if isinstance(residual, Mapping)
                                       else "")
    target = block.value.get("target", "the target")
    window = f" over {residual['window']}" if isinstance(residual, Mapping) and residual.get(
        "window") else ""
    return [claim(UNEXPLAINED, f"Fall of the total not explained by {target}{window}",
                  block.number(residual, "estimate", "residual"),
                  low=block.number(residual, "ci_low", "residual"),
                  high=block.number(residual, "ci_high", "residual"), unit=str(unit),
                  interval="confidence", kind=block.data_kind(), notebook=block.notebook)]


def _after_takedown(block: Block) -> list[Claim]:
    """07: what persisted (published), how long recovery took, and who stepped in."""
    out: list[Claim] = []
    months = list(block.value.get("published") or ())
    for row in months:
        out.extend(_persisted(block, row))
    calendar = [claim_row for claim_row in out if claim_row["interval"] == "sensitivity range"
                and claim_row["claim"].split(", ")[-1][:3] in _MONTH_NAMES]
    if calendar:  # the latest calendar month answers "how long did it last"
        calendar[-1]["lead"] = True
    recovery = block.value.get("recovery")
    if recovery:
        out.append(_recovery(block, recovery))
    unit = str(block.value.get("unit") or "per period")
    for row in block.value.get("displacement") or ():
        source, status = block.need(row, "source", "displacement"), block.need(
            row, "status", "displacement")
        out.append(claim(VOID, f"Added by {source} after the takedown ({status})",
                         block.number(row, "added", "displacement"),
                         low=block.number(row, "low", "displacement"),
                         high=block.number(row, "high", "displacement"),
                         unit=str(row.get("unit") or unit), interval="confidence",
                         kind=block.data_kind(row), notebook=block.notebook,
                         lead=status == "stepped in"))
    return out


_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _persisted(block: Block, row: Mapping[str, Any]) -> list[Claim]:
    """One month of ``after_takedown.published``: the published volume and the share missing."""
    month = block.need(row, "month", "published")
    ids = [int(i) for i in block.need(row, "figure_ids", "published")]
    kind = "synthetic" if row.get("synthetic") else str(block.need(row, "kind", "published"))
    hedge = f" ({row['hedge']})" if row.get("hedge") else ""
    out = [claim(LASTED, f"Share of the week-after fall still missing, {month}",
                 block.number(row, "share_missing", "published"),
                 low=block.number(row, "low", "published"),
                 high=block.number(row, "high", "published"), unit="share of the fall",
                 interval="sensitivity range", figure_ids=ids, kind=kind,
                 notebook=block.notebook)]
    volume = row.get("volume")
    if isinstance(volume, (int, float)) and not isinstance(volume, bool):
        later = [i for i in ids if i not in (BEFORE_ID, AFTER_ID)]  # the fall's own rows
        out.insert(0, claim(LASTED, f"Global spam volume, {month}{hedge}", float(volume),
                            unit="bn/day", figure_ids=later or ids,
                            kind="synthetic" if row.get("synthetic") else "published",
                            notebook=block.notebook))
    return out


def _recovery(block: Block, recovery: Mapping[str, Any]) -> Claim:
    """``after_takedown.recovery``: time until a share of the fall had come back (Fieller)."""
    share = block.number(recovery, "share", "recovery")
    bounded = bool(block.need(recovery, "bounded", "recovery"))
    words = f"{share:.0%} of" if share is not None else "part of"
    note = "" if bounded else " (not recovering within the data: no upper end)"
    return claim(LASTED, f"Time until {words} the fall had come back{note}",
                 block.number(recovery, "estimate", "recovery"),
                 low=block.number(recovery, "ci_low", "recovery"),
                 high=block.number(recovery, "ci_high", "recovery") if bounded else None,
                 unit=str(block.need(recovery, "unit", "recovery")), interval="confidence",
                 kind=block.data_kind(recovery), notebook=block.notebook)


Extractor = Callable[[Block], list[Claim]]

#: block key -> extractor, in the order the claims are listed
EXTRACTORS: dict[str, Extractor] = {
    "headline_figures_bn_per_day": _headline_figures,
    "level_change": _level_change,
    "naive_residual_bn_per_day": _naive_residual,
    "residual_bn_per_day": _residual,
    "attribution": _attribution,
    "placebo": _placebo,
    "minimum_detectable_drop": _detectable,
    "after_takedown": _after_takedown,
}


def _fragments(results: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each notebook's fragment (``results['notebooks']``), else the results as one fragment.

    The fragments, not the merged top level, are read: there a later notebook's
    block replaces an earlier one's (05's level change replaces 02's).
    """
    per_notebook = results.get("notebooks")
    if isinstance(per_notebook, Mapping) and per_notebook:
        for name, fragment in per_notebook.items():
            if isinstance(fragment, Mapping):
                yield str(name), fragment
    else:
        yield "", results


def claims(results: Mapping[str, Any]) -> list[Claim]:
    """The claims of a run, one row per number, ordered by question, then by notebook.

    Parameters
    ----------
    results
        A run's merged ``results.json`` (:func:`spamlab.report.write_results`), or a
        dictionary of blocks without ``notebooks``.

    Returns
    -------
    list of dict
        The rows (:data:`COLUMNS`); empty when no known block is present.

    Raises
    ------
    DataError
        When a block is present but lacks a key its extractor needs, naming the
        notebook, the block and the key.

    Examples
    --------
    >>> rows = claims({"notebooks": {"04-robustness": {"synthetic": True,
    ...     "placebo": {"real_rank": 1, "n_placebo": 55, "rank_p_value": 0.018}}}})
    >>> rows[0]["kind"], rows[0]["value"], rows[0]["unit"]
    ('synthetic', 1.0, 'rank among 56 dates')
    >>> claims({"notebooks": {"04": {"synthetic": True, "placebo": {"n_placebo": 55}}}})
    Traceback (most recent call last):
    ...
    spamlab.errors.DataError: results of notebook 04: block 'placebo' has no 'real_rank'; rerun the notebook with this version of spamlab (keys present: ['n_placebo'])
    """
    rows = []
    for notebook, fragment in _fragments(results):
        for key, extract in EXTRACTORS.items():
            if fragment.get(key) is not None:
                rows.extend(extract(Block(key, fragment[key], notebook, fragment)))
    order = {question: number for number, question in enumerate(QUESTIONS)}
    return sorted(rows, key=lambda row: order[row["question"]])  # stable: notebook order kept


def with_claims(results: Mapping[str, Any]) -> dict[str, Any]:
    """``results`` with its ``claims`` (:func:`claims`) added, as ``results.json`` holds them.

    Examples
    --------
    >>> with_claims({"run": "x"})
    {'run': 'x', 'claims': []}
    """
    return {**results, "claims": claims(results)}


def as_table(rows: Sequence[Claim]) -> pd.DataFrame:
    """The claims as a DataFrame with :data:`COLUMNS` (for a notebook to show).

    Examples
    --------
    >>> list(as_table([]).columns) == list(COLUMNS)
    True
    """
    return pd.DataFrame(list(rows), columns=list(COLUMNS))


def figure_urls(table: pd.DataFrame) -> dict[int, str]:
    """Figure id -> source URL, from the figures table (:func:`spamlab.figures.load`).

    Examples
    --------
    >>> table = pd.DataFrame({"id": [5], "url": ["https://example.org/a"]}, index=[5])
    >>> figure_urls(table)
    {5: 'https://example.org/a'}
    """
    if "url" not in table.columns:
        raise DataError(f"figures table: no 'url' column (columns: {list(table.columns)})")
    ids = table["id"] if "id" in table.columns else pd.Series(table.index, index=table.index)
    return {int(i): str(url) for i, url in zip(ids, table["url"], strict=True)
            if isinstance(url, str) and url}
