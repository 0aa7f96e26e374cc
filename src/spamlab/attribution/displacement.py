"""Who stepped in after an interruption, and how much of the loss came back: :func:`displacement`.

Every source other than the target (a column of a daily panel, or a fingerprint group of
mail events) is fitted with the same interrupted-time-series model
(:func:`spamlab.its.fit`, additive: level change, slope change, as :func:`account` fits
them). For each one the result holds the level and slope change at the interruption and
the volume it *added*: observed minus counterfactual, per day averaged over the post
window and cumulated over it, in the data's unit (the sign of :mod:`spamlab.its`
effects: a source that stepped in has ``added > 0``, a source that fell ``added < 0``;
``added`` is minus the ``fall`` of :func:`account_by_source`; the target's ``lost`` is
counterfactual minus observed, a fall). The window effect is one linear contrast of the
fit (mean of the level indicator and of the slope ramp over the window's rows), so its
interval and p-value carry the model's small-sample corrections (Satterthwaite df with
AR(1) errors).

The statuses are called at a stated false-discovery rate across every source (or group)
tested in the call: the two-sided p-values of ``added`` are adjusted by
Benjamini-Hochberg (:func:`~spamlab.attribution.vanished.benjamini_hochberg`, the
machinery of :func:`vanished`). ``'stepped in'`` / ``'fell'``: ``q_value <= fdr`` with
``added`` above / below 0; otherwise ``'unchanged'`` when the ``1 - alpha`` interval of
``added`` also rules out a change of :data:`~spamlab.attribution.results.MATERIAL` (10%)
of the source's pre level either way, else ``'inconclusive'``.

How much of the target's loss the others made up (:attr:`Displacement.made_up`): the
others together (``total - target`` when a total is given, all mail outside the target
groups for events, else the sum of the other sources) against the target's loss, at the
last period of the data (the model's effect there: level change plus slope change times
the time elapsed) and over the whole post window (cumulative added over cumulative lost).
The share is a ratio of two effects estimated on different series; its interval is
Fieller's (the set of shares ``s`` that the contrast ``added - s * lost`` does not
reject), with the covariance of the two effects read from a fit of their sum (the noise
the others share with the target enters without being modelled, as in :func:`account`).
When the loss itself is not significant the set is unbounded (``bounded`` False, limits
``-inf``/``inf``).

Measured (synthetic panels, 90 days, AR(1) noise and a weekly cycle;
docs/guide/attribution.md): with 2 of 10 sources stepping in (+1.7 per day over the window, 17% of their
level), over 400 panels the false share of the calls was 3.6% (MC SE 0.6 points) and 83.9%
of the stepping sources were called ``'stepped in'``; with none stepping in, some source was
called in 6.9% of 1,000 panels (MC SE 0.8): the AR(1) p-values are a little liberal far in
the tail.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from spamlab import attribution
>>> days = pd.date_range("2011-02-01", periods=70, tz="UTC")
>>> rng = np.random.default_rng(1)
>>> post = (days >= "2011-03-16").astype(float)
>>> panel = pd.DataFrame({"rustock": 14 * (1 - post) + abs(rng.normal(0, 0.3, 70)),
...                       "bagle": 8 + 4 * post + rng.normal(0, 0.3, 70),
...                       "cutwail": 10 + rng.normal(0, 0.3, 70)}, index=days)
>>> found = attribution.displacement(panel, interruption="2011-03-16", target="rustock",
...                                  slope_change=False)
>>> found.sources[["source", "status"]].to_dict("records")
[{'source': 'bagle', 'status': 'stepped in'}, {'source': 'cutwail', 'status': 'unchanged'}]
>>> round(float(found.made_up.loc["end", "share"]), 1)
0.3
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from spamlab import its, moments
from spamlab.attribution.accounting import (
    _additive,
    _counts,
    _data_defaults,
    _is_auto,
    _is_daily,
    _is_zero,
    _window_rows,
)
from spamlab.attribution.fingerprints import group_keys
from spamlab.attribution.results import MATERIAL, json_value, records
from spamlab.attribution.vanished import (
    DAY_NS,
    _arrival_ns,
    benjamini_hochberg,
    count_matrix,
    vanished_groups,
)
from spamlab.deprecation import renamed_keywords
from spamlab.errors import DataError, ParameterError
from spamlab.its import data as its_data
from spamlab.its import design as its_design
from spamlab.its.counterfactual import critical_value
from spamlab.its.results import table_html
from spamlab.its.specification import Specification, resolve

DISPLACEMENT_STATUSES: tuple[str, ...] = ("stepped in", "fell", "unchanged", "inconclusive")
DISPLACEMENT_COLUMNS: tuple[str, ...] = (
    "source", "pre_level", "level_change", "level_low", "level_high", "slope_change",
    "slope_low", "slope_high", "added", "low", "high", "cumulative", "cumulative_low",
    "cumulative_high", "p_value", "q_value", "status",
)
MADE_UP_COLUMNS: tuple[str, ...] = (
    "share", "share_low", "share_high", "bounded", "added", "added_low", "added_high",
    "lost", "lost_low", "lost_high", "period",
)
TARGET, OTHERS, TOTAL = "<target>", "<others together>", "<all messages>"
MAX_NAMED: int = 6
"""Most sources named per status in :meth:`Displacement.describe`."""


@dataclass(frozen=True, kw_only=True, eq=False)
class Displacement:
    """Who stepped in after an interruption (see :func:`~spamlab.attribution.displacement`).

    Attributes
    ----------
    sources
        One row per source (or fingerprint group) other than the target, sorted by
        ``p_value``: ``source, pre_level`` (mean per period before), ``level_change,
        level_low, level_high`` and ``slope_change, slope_low, slope_high`` (per period;
        NaN without ``slope_change``), ``added, low, high`` (observed minus counterfactual
        per period, mean over the window, ``1 - alpha`` interval), ``cumulative,
        cumulative_low, cumulative_high`` (the same summed over the window), ``p_value``
        (two-sided, ``added = 0``), ``q_value`` (Benjamini-Hochberg) and ``status`` (one of
        :data:`DISPLACEMENT_STATUSES`).
    made_up
        Rows ``end`` (the last period of the data) and ``window`` (the post window,
        cumulative): ``share`` of the target's loss that the others together made up,
        ``share_low, share_high`` (Fieller), ``bounded``, ``added*`` (the others'
        effect, observed minus counterfactual, per period), ``lost*`` (the target's loss,
        counterfactual minus observed per period: its ``fall``, positive when it fell),
        ``period`` (the day, or the window).
    target, at
        The target (a column, or the target groups joined by ``', '``) and the
        interruption as given.
    by
        The fingerprint of event groups, or ``None`` for a panel.
    others
        What "the others together" are (``total - target``, ...).
    window
        ``(first, last)`` period of the post window; ``periods`` their number.
    unit
        ``'per day'`` for daily data, else ``'per period'``.
    model
        The ITS model fitted to every series (ends with what ``'auto'`` chose).
    fdr, alpha
        False-discovery rate of the statuses; intervals are ``1 - alpha``.
    """

    sources: pd.DataFrame
    made_up: pd.DataFrame
    target: str
    at: str
    by: str | None
    others: str
    window: tuple[pd.Timestamp, pd.Timestamp]
    periods: int
    unit: str
    model: str
    fdr: float
    alpha: float

    def table(self) -> pd.DataFrame:
        """The per-source table (a copy of :attr:`sources`)."""
        return self.sources.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``sources`` (records with ``source, added, low, high, status``, ...),
        ``made_up``, and the settings."""
        return {"sources": records(self.sources),
                "made_up": records(self.made_up.rename_axis("over").reset_index()),
                "target": self.target, "at": self.at, "by": self.by, "others": self.others,
                "window": [json_value(day) for day in self.window], "periods": self.periods,
                "unit": self.unit, "model": self.model, "fdr": self.fdr, "alpha": self.alpha}

    def summary(self) -> str:
        """Plain-text report: one line per source, then the share made up."""
        lines = [(f"Displacement after {self.target!r} at {self.at}: {self.model}; window "
                  f"{_window_text(self)}. 'added' is observed minus counterfactual {self.unit}.")]
        lines += [f"  {row['source']}: {row['status']}, added {row['added']:.4g} "
                  f"({row['low']:.4g} to {row['high']:.4g}), q {row['q_value']:.3g}"
                  for _, row in self.sources.iterrows()]
        lines.append(_share_sentence(self))
        return "\n".join(lines)

    def describe(self) -> str:
        """One paragraph in words chosen by the numbers (as :func:`~spamlab.attribution.describe`)."""
        level = round(100 * (1 - self.alpha))
        tested = len(self.sources)
        head = (f"Over {_window_text(self)} after the interruption at {self.at}, {tested} "
                f"{'group' if self.by else 'source'}(s) other than {self.target!r} were tested "
                f"at a false-discovery rate of {100 * self.fdr:.3g}%.")
        parts = [head, *(_status_sentence(self, status, level) for status in
                         DISPLACEMENT_STATUSES), _share_sentence(self)]
        return " ".join(part for part in parts if part)

    def __repr__(self) -> str:
        counts = self.sources["status"].value_counts()
        return (f"Displacement after {self.target!r} at {self.at}: " + ", ".join(
            f"{counts.get(s, 0)} {s}" for s in DISPLACEMENT_STATUSES) + f" ({_window_text(self)})")

    def _repr_html_(self) -> str:
        return table_html(repr(self), self.sources)


@renamed_keywords(at="interruption")
def displacement(
    data: pd.DataFrame,
    *,
    interruption: object,
    target: str | Sequence[str] | None = None,
    sources: Sequence[str] | None = None,
    total: str | None = None,
    by: str | None = None,
    window: int | tuple[object, object] | None = None,
    fdr: float = 0.05,
    min_pre: int = 20,
    time: str = "arrival",
    spec: Specification | None = None,
    **model: Any,
) -> Displacement:
    """Which sources stepped in after ``target`` stopped, FDR-controlled, and how much of
    its loss they made up.

    Parameters
    ----------
    data
        A daily (or any regular) panel with a ``DatetimeIndex`` and a column per source
        (counts >= 0, missing values are gaps), or, with ``by``, per-message mail events
        (:func:`spamlab.ingest.outputs.read_events`, as for :func:`vanished`).
    interruption
        The moment of the interruption (a panel: read in the index's zone, as
        :func:`spamlab.its.fit` reads interruptions; events: UTC unless it carries a zone).
    target
        Panel: the target's column. Events: a group label or a list of them; ``None``
        takes the groups :func:`vanished` calls ``'vanished'`` at ``at`` (same ``fdr``).
    sources
        Panel only: the columns tested (the target may be among them and is left out);
        default every numeric column other than ``target`` and ``total``.
    total
        Panel only: a column of the total; the others together are then ``total -
        target`` (named or not), else the sum of the other sources.
    by
        Events only: the fingerprint (``"sender_net"``, ``"helo"``, ... as for
        :func:`vanished`); every group with at least ``min_pre`` messages before ``at`` is
        tested on its daily counts (days without any message are gaps, never zeros).
    window
        The post window: ``None`` (every whole period after the interruption's), an int
        ``n`` (the first ``n``) or ``(first, last)`` (as :func:`account`).
    fdr
        Benjamini-Hochberg false-discovery rate of the statuses.
    min_pre, time
        Events only: fewest messages before ``at`` for a group to be tested; the arrival
        time column.
    spec, **model
        The ITS model (additive, as :func:`account`). Without ``spec``, ``errors`` and
        ``seasonality`` are ``"auto"``: AR(1) errors and, for daily data with two weeks
        before ``at``, a weekday term. ``alpha`` sets the intervals.

    Returns
    -------
    Displacement
        ``sources``, ``made_up``, ``table()``, ``describe()``, ``to_dict()``.

    Raises
    ------
    ParameterError
        A bad ``fdr``/``min_pre``/window, a non-additive model, a target that is not a
        column (group), events whose target is ``None`` and where no group vanished,
        panel options given with events (or the reverse), nothing to test.
    DataError
        A missing, repeated or all-missing column, a negative or non-numeric count; events
        without a time or fingerprint column.
    """
    at = interruption
    _check_settings(fdr, min_pre, by, sources, total)
    frame, others, target_name, described = (
        _panel(data, target, sources, total) if by is None
        else _groups(data, at, target, by, min_pre, fdr, time))
    given = _additive(resolve(spec, {k: v for k, v in model.items() if not _is_auto(v)}))
    frame = _with_covariates(frame, data, given.covariates, by)
    prepared = its_data.prepare(frame, TARGET, [at], min_pre=given.min_pre,
                                min_post=given.min_post)
    spec, chosen = _data_defaults(given, prepared, spec is None, model)
    design = its_design.build(prepared, spec.seasonality, spec.slope_change, spec.covariates,
                              spec.exposure, spec.trend)
    rows = _window_rows(prepared, window)
    weights = _effect_weights(design, rows)
    before = prepared.exposure_fraction(0) == 0
    fits = {name: _fit(frame, name, at, spec, weights) for name in [*others, TARGET, OTHERS]}
    fits["<sum>"] = _fit(frame.assign(**{"<sum>": frame[OTHERS] + frame[TARGET]}), "<sum>", at,
                         spec, weights)
    periods = int(rows.sum())
    table = _source_table(frame, others, fits, before, periods)
    table = _with_status(table, fdr)
    first, last = frame.index[rows][0], frame.index[rows][-1]
    return Displacement(
        sources=table, made_up=_made_up(fits, spec.alpha, frame.index[-1], (first, last)),
        target=target_name, at=str(at), by=by, others=described, window=(first, last),
        periods=periods, unit="per day" if _is_daily(prepared) else "per period",
        model=next((f["model"] for f in fits.values() if f["model"]), "") + chosen, fdr=fdr,
        alpha=spec.alpha)


def _with_covariates(frame: pd.DataFrame, data: pd.DataFrame, covariates: tuple[str, ...],
                     by: str | None) -> pd.DataFrame:
    """The panel's covariate columns beside the series (every series is fitted with them)."""
    if not covariates:
        return frame
    if by is not None:
        raise ParameterError(f"covariates={list(covariates)}: mail events have no control "
                             "series; give a daily panel to use covariates")
    missing = [name for name in covariates if name not in data.columns]
    if missing:
        raise DataError(f"covariate column(s) {missing} not in data (columns: "
                        f"{list(data.columns)})")
    return frame.assign(**{name: data[name].to_numpy() for name in covariates})


def _check_settings(fdr: float, min_pre: int, by: str | None, sources: object,
                    total: object) -> None:
    if isinstance(fdr, bool) or not isinstance(fdr, (int, float, np.floating)) or not 0 < fdr < 1:
        raise ParameterError(f"fdr={fdr!r} must be between 0 and 1")
    if isinstance(min_pre, bool) or not isinstance(min_pre, (int, np.integer)) or min_pre < 1:
        raise ParameterError(f"min_pre={min_pre!r} must be a whole number >= 1")
    if by is not None and (sources is not None or total is not None):
        raise ParameterError(f"by={by!r} reads mail events, whose groups are the sources: "
                             "sources= and total= are for a panel of columns; drop them")


def _panel(data: pd.DataFrame, target: object, sources: Sequence[str] | None,
           total: str | None) -> tuple[pd.DataFrame, list[str], str, str]:
    """The panel's series: the other sources, the target and the others together."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a DataFrame, got {type(data).__name__}")
    if not isinstance(target, str):
        raise ParameterError(f"target={target!r} must name the target's column of the panel")
    if sources is None:
        sources = [c for c in data.columns if c not in (target, total)
                   and pd.api.types.is_numeric_dtype(data[c])]
    elif isinstance(sources, str) or not all(isinstance(s, str) for s in sources):
        raise ParameterError(f"sources={sources!r} must be a list of column names")
    others = list(dict.fromkeys(s for s in sources if s != target))
    if not others:
        raise ParameterError(f"sources={sources!r}: no source other than target={target!r} to test")
    named = [target, *others, *([total] if total is not None else [])]
    missing = [name for name in named if name not in data.columns]
    if missing:
        raise DataError(f"column(s) {missing} not in data (columns: {list(data.columns)})")
    repeated = sorted({name for name in named if list(data.columns).count(name) > 1})
    if repeated or total in others or total == target:
        raise DataError(f"column(s) {repeated or [total]} named twice: which one is meant is "
                        "ambiguous")
    frame = pd.DataFrame({name: _counts(data[name], name) for name in others}, index=data.index)
    frame[TARGET] = _counts(data[target], target)
    if total is None:
        frame[OTHERS] = frame[others].sum(axis=1, min_count=len(others))
        return frame, others, target, "the other sources together"
    frame[OTHERS] = _counts(data[total], total) - frame[TARGET]
    return frame, others, target, f"the rest of {total!r} ({total} - {target})"


def _groups(events: pd.DataFrame, at: object, target: str | Sequence[str] | None, by: str,
            min_pre: int, fdr: float, time: str) -> tuple[pd.DataFrame, list[str], str, str]:
    """Daily counts per fingerprint group (days without any message NaN), the target groups
    summed, and all mail outside them."""
    stamps, usable, _ = _arrival_ns(events, time)
    codes, labels = group_keys(events, by)
    moment = moments.to_utc(at, "at")
    if not usable.any():
        raise DataError("events: no dated, counted message")
    day = stamps // DAY_NS
    first, last = int(day[usable].min()), int(day[usable].max())
    matrix = count_matrix(codes[usable] + 1, day[usable] - first, len(labels) + 1,
                          last - first + 1).astype(float)  # row 0: no key
    matrix[:, matrix.sum(axis=0) == 0] = np.nan  # a day without any message is a gap
    keyed = usable & (codes >= 0) & (stamps < moment.value)
    pre = np.bincount(codes[keyed], minlength=len(labels))
    chosen = _target_groups(events, at, target, by, min_pre, fdr, time, list(labels))
    index = pd.date_range(pd.Timestamp(first * DAY_NS, tz="UTC"), periods=last - first + 1,
                          freq="D", name="date")
    is_target = np.isin(labels, chosen)
    tested = np.flatnonzero((pre >= min_pre) & ~is_target)
    if not len(tested):
        raise DataError(f"events: no {by!r} group besides the target has {min_pre} or more "
                        f"messages before at={at!r}: nothing to test (lower min_pre=)")
    frame = pd.DataFrame(matrix[tested + 1].T, index=index, columns=labels[tested].tolist())
    frame[TARGET] = matrix[np.flatnonzero(is_target) + 1].sum(axis=0)
    frame[OTHERS] = matrix.sum(axis=0) - frame[TARGET].to_numpy()
    name = ", ".join(chosen) if len(chosen) <= MAX_NAMED else f"{len(chosen)} {by} groups"
    return frame, labels[tested].tolist(), name, "all messages outside the target groups"


def _target_groups(events: pd.DataFrame, at: object, target: str | Sequence[str] | None,
                   by: str, min_pre: int, fdr: float, time: str, labels: list[str]) -> list[str]:
    """The target's group labels: as given (checked), or those :func:`vanished` calls
    ``'vanished'``."""
    if target is None:
        chosen = vanished_groups(events, interruption=at, by=by, min_pre=min_pre, fdr=fdr,
                               time=time).vanished_groups
        if not chosen:
            raise ParameterError(f"target=None: no {by!r} group vanished at {at!r} (vanished(), "
                                 f"fdr={fdr}); name the target group(s) with target=")
        return [str(c) for c in chosen]
    chosen = [target] if isinstance(target, str) else list(target)
    unknown = [name for name in chosen if name not in labels]
    if unknown or not chosen:
        raise ParameterError(f"target={target!r}: {unknown or 'no'} {by!r} group(s) in the "
                             f"events (e.g. {labels[:3]})")
    return chosen


def _effect_weights(design: its_design.Design, rows: np.ndarray) -> dict[str, pd.Series]:
    """Contrast weights of the interruption's effect: window mean and at the last period."""
    effect = design.matrix - design.counterfactual_matrix()
    return {"window": effect.loc[rows].mean(), "end": effect.iloc[-1]}


def _fit(frame: pd.DataFrame, name: str, at: object, spec: Specification,
         weights: dict[str, pd.Series]) -> dict[str, Any]:
    """One series' level and slope change and its window and end effects (observed minus
    counterfactual), each with ``estimate, ci_low, ci_high, p_value, std_err, df``."""
    if _is_zero(frame[name]):
        zero = pd.Series({"estimate": 0.0, "ci_low": 0.0, "ci_high": 0.0, "p_value": 1.0,
                          "std_err": 0.0, "df": np.inf})
        return {"level": zero, "slope": zero, "window": zero, "end": zero, "model": ""}
    res = its.fit(frame, y=name, interruptions=[at], spec=spec)
    level = res.level_change(0)
    slope = res.effects[res.effects["kind"] == "slope_change"]
    return {"level": level, "slope": slope.iloc[0] if len(slope) else None,
            "window": res.contrast(weights["window"].to_dict()),
            "end": res.contrast(weights["end"].to_dict()), "model": res.model}


def _source_table(frame: pd.DataFrame, others: list[str], fits: dict[str, dict[str, Any]],
                  before: np.ndarray, periods: int) -> pd.DataFrame:
    rows = []
    for name in others:
        fit = fits[name]
        slope = fit["slope"]
        window = fit["window"]
        rows.append({
            "source": name, "pre_level": float(np.nanmean(frame[name].to_numpy()[before])),
            **_triple(fit["level"], "level_change", "level_low", "level_high"),
            **(_triple(slope, "slope_change", "slope_low", "slope_high") if slope is not None
               else dict.fromkeys(("slope_change", "slope_low", "slope_high"), np.nan)),
            **_triple(window, "added", "low", "high"),
            **_triple(window, "cumulative", "cumulative_low", "cumulative_high", periods),
            "p_value": float(window["p_value"])})
    return pd.DataFrame(rows)


def _triple(row: pd.Series, *names: str | int) -> dict[str, float]:
    """``estimate, ci_low, ci_high`` of ``row`` under three ``names`` (times a scale)."""
    scale = float(names[3]) if len(names) > 3 else 1.0
    return {str(n): scale * float(row[k]) for n, k in zip(names[:3],
                                                          ("estimate", "ci_low", "ci_high"))}


def _with_status(table: pd.DataFrame, fdr: float) -> pd.DataFrame:
    """``q_value`` (Benjamini-Hochberg) and ``status``, sorted by ``p_value``."""
    q = benjamini_hochberg(table["p_value"].to_numpy(dtype=float))
    added = table["added"].to_numpy(dtype=float)
    called = q <= fdr
    size = MATERIAL * np.abs(table["pre_level"].to_numpy(dtype=float))
    wide = (table["high"].to_numpy(dtype=float) > size) | (table["low"].to_numpy(dtype=float)
                                                            < -size)
    status = np.select([called & (added > 0), called & (added < 0), wide],
                       ["stepped in", "fell", "inconclusive"], default="unchanged")
    table = table.assign(q_value=q, status=status)
    return table.sort_values(["p_value", "source"]).reset_index(drop=True)[
        list(DISPLACEMENT_COLUMNS)]


def _made_up(fits: dict[str, dict[str, Any]], alpha: float, end: pd.Timestamp,
             window: tuple[pd.Timestamp, pd.Timestamp]) -> pd.DataFrame:
    """The share of the target's loss the others made up: at the last period and over the
    window, Fieller interval with the covariance from the fit of their sum."""
    rows = {}
    for over, label in (("end", _day(end)), ("window", f"{_day(window[0])} to {_day(window[1])}")):
        others, target, both = (fits[k][over] for k in (OTHERS, TARGET, "<sum>"))
        added, lost = float(others["estimate"]), -float(target["estimate"])
        var_a, var_t = float(others["std_err"]) ** 2, float(target["std_err"]) ** 2
        cov_al = -(float(both["std_err"]) ** 2 - var_a - var_t) / 2  # cov(added, lost)
        df = min(float(others["df"]), float(target["df"]))
        crit = critical_value(alpha, None if np.isinf(df) else df)
        low, high, bounded = fieller(added, lost, var_a, var_t, cov_al, crit)
        rows[over] = {"share": added / lost if lost != 0 else np.nan, "share_low": low,
                      "share_high": high, "bounded": bounded,
                      **_triple(others, "added", "added_low", "added_high"),
                      "lost": lost, "lost_low": -float(target["ci_high"]),
                      "lost_high": -float(target["ci_low"]), "period": label}
    return pd.DataFrame.from_dict(rows, orient="index")[list(MADE_UP_COLUMNS)]


def fieller(numerator: float, denominator: float, var_num: float, var_den: float,
            cov: float, crit: float) -> tuple[float, float, bool]:
    """Fieller's interval of ``numerator / denominator``: the ``s`` with
    ``(a - s b)**2 <= crit**2 var(a - s b)``.

    Returns ``(low, high, True)`` when the denominator is significant (a bounded
    interval), else ``(-inf, inf, False)`` (the set is the whole line, or two rays).

    Examples
    --------
    >>> low, high, bounded = fieller(1.0, 2.0, 0.01, 0.01, 0.0, 1.96)
    >>> round(low, 4), round(high, 4), bounded
    (0.3946, 0.6151, True)
    >>> fieller(1.0, 0.1, 0.01, 0.01, 0.0, 1.96)
    (-inf, inf, False)
    """
    c2 = crit * crit
    quad = denominator**2 - c2 * var_den
    if quad <= 0:
        return -np.inf, np.inf, False
    half = -(numerator * denominator - c2 * cov)
    const = numerator**2 - c2 * var_num
    root = np.sqrt(max(half * half - quad * const, 0.0))
    return float((-half - root) / quad), float((-half + root) / quad), True


def _day(stamp: object) -> str:
    return f"{stamp:%Y-%m-%d}" if isinstance(stamp, pd.Timestamp) else str(stamp)


def _window_text(found: Displacement) -> str:
    word = "days" if found.unit == "per day" else "periods"
    return f"{_day(found.window[0])} to {_day(found.window[1])} ({found.periods} {word})"


def _status_sentence(found: Displacement, status: str, level: int) -> str:
    rows = found.sources[found.sources["status"] == status]
    if rows.empty:
        return ""
    named = "; ".join(f"{row['source']!r} {row['added']:+.3g} {found.unit} ({level}% CI "
                      f"{row['low']:+.3g} to {row['high']:+.3g})"
                      for _, row in rows.head(MAX_NAMED).iterrows())
    more = f" and {len(rows) - MAX_NAMED} more" if len(rows) > MAX_NAMED else ""
    return f"{status.capitalize()} ({len(rows)}): {named}{more}.{_MEANING[status]}"


_MEANING: dict[str, str] = {
    "stepped in": " These added volume against their counterfactual after the stop.",
    "fell": " These lost volume at the same moment.",
    "unchanged": (f" Their intervals rule out a change of {100 * MATERIAL:.3g}% of their "
                  "pre level."),
    "inconclusive": (f" Their intervals hold both no change and a change of "
                     f"{100 * MATERIAL:.3g}% of their pre level or more: the data cannot tell."),
}


def _share_sentence(found: Displacement) -> str:
    """The share of the target's loss made up at the last period, read by its interval."""
    row = found.made_up.loc["end"]
    head = (f"By the last period ({row['period']}) {found.target!r} was {row['lost']:.4g} "
            f"{found.unit} below its counterfactual")
    if not row["bounded"]:
        return (f"{head}, a loss not distinguishable from 0 there, so the share of it that "
                f"{found.others} made up has no bounded interval.")
    ci = (f"{round(100 * (1 - found.alpha))}% CI {100 * row['share_low']:.3g}% to "
          f"{100 * row['share_high']:.3g}%")
    share = f"{100 * row['share']:.3g}% of it ({ci})"
    if row["share_low"] > 0:
        return f"{head}; {found.others} had made up {share}."
    if row["share_high"] < 0:
        return (f"{head}; {found.others} had not made up any of it: they fell too, by a further "
                f"{-100 * row['share']:.3g}% of it ({round(100 * (1 - found.alpha))}% CI "
                f"{-100 * row['share_high']:.3g}% to {-100 * row['share_low']:.3g}%).")
    return (f"{head}; {found.others} had made up {share}: the interval holds 0, so the data "
            "cannot tell whether any of the loss came back.")


__all__ = ["DISPLACEMENT_STATUSES", "Displacement", "displacement", "fieller"]
