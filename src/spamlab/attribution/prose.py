"""What an accounting says, in words generated from its numbers: :func:`describe`.

Notebook 06 prints this text instead of writing conditional prose by hand, so the words
cannot say more than the intervals do. The residual is read with the same three-way rule as
a source's status (:func:`~spamlab.attribution.results.status_of`): its interval excludes 0
(something else fell, or grew), holds 0 and rules out a material residual (at least
:data:`~spamlab.attribution.results.MATERIAL` of the pre level of ``total - target``: the
target may explain the whole fall), or holds 0 and a material residual (the data cannot
tell).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from spamlab import attribution
>>> days = pd.date_range("2011-02-01", periods=60, tz="UTC")
>>> rng = np.random.default_rng(0)
>>> post = (days >= "2011-03-16").astype(float)
>>> data = pd.DataFrame({"rustock": 14 * (1 - post) + abs(rng.normal(0, 0.3, 60)),
...                      "bagle": 8 - 4 * post + rng.normal(0, 0.3, 60)}, index=days)
>>> data["total"] = data["rustock"] + data["bagle"] + 30 + rng.normal(0, 0.3, 60)
>>> acc = attribution.account_by_source(data, total="total", sources=["rustock", "bagle"],
...                           target="rustock", interruption="2011-03-16")
>>> print(attribution.describe(acc).splitlines()[1])  # doctest: +ELLIPSIS
The residual, 3.7... per day (95% CI 3... to 4...), excludes 0: something besides 'rustock' fell at the same moment.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from spamlab.attribution.results import MATERIAL, STATUSES, Accounting

__all__ = [
    "MAX_NAMED",
    "describe",
]

MAX_NAMED: int = 6
"""Most groups named in the sentence on fingerprint groups that fell without vanishing."""


def describe(acc: Accounting, found: Any = None) -> str:
    """The accounting in plain words, every sentence chosen by the numbers.

    Parameters
    ----------
    acc
        The result of :func:`~spamlab.attribution.account`.
    found
        The :class:`~spamlab.attribution.VanishedResult` the accounting's sources came
        from (ingested mail), or None. Its groups that fell without vanishing are named:
        they sit in ``everything_else`` and are part of the residual.

    Returns
    -------
    str
        One paragraph per line: the fall and the target's part (with its status), the
        residual's reading, the other sources by status, and (with ``found``) the groups
        that fell without vanishing.
    """
    lines = [_fall(acc), _residual(acc), *_statuses(acc)]
    if found is not None:
        lines += _fallen_groups(found)
    return "\n".join(lines)


def _level(acc: Accounting) -> int:
    return round(100 * (1 - acc.alpha))


def _fall(acc: Accounting) -> str:
    rows = acc.sources.set_index("source")
    total, target, unit = rows.loc[acc.total], rows.loc[acc.target], acc.residual["unit"]
    return (f"Over {acc.residual['window']}, {acc.total!r} "
            f"{_fell_by(total, acc, f' {unit} against its counterfactual')}; the target "
            f"{acc.target!r} {_fell_by(target, acc)}, status {target['status']!r} "
            f"({_ratio(target, acc)}).")


def _fell_by(row: pd.Series, acc: Accounting, after: str = "") -> str:
    """``'fell by F<after> (CI)'`` from a row's ``fall``, or ``'grew by -F<after> (CI)'``
    when it is negative: each number in the direction its verb names."""
    sign = 1 if float(row["fall"]) >= 0 else -1
    verb = "fell" if sign > 0 else "grew"
    return f"{verb} by {sign * float(row['fall']):.4g}{after} ({_interval(row, acc, sign)})"


def _ratio(row: pd.Series, acc: Accounting) -> str:
    return (f"ratio {row['ratio']:.3g}, {_level(acc)}% CI {row['ratio_low']:.3g} to "
            f"{row['ratio_high']:.3g}")


def _interval(row: pd.Series, acc: Accounting, sign: int = 1) -> str:
    low, high = sorted((sign * float(row["fall_low"]), sign * float(row["fall_high"])))
    return f"{_level(acc)}% CI {low:.4g} to {high:.4g}"


def _residual(acc: Accounting) -> str:
    res, rows = acc.residual, acc.sources.set_index("source")
    low, high, unit = float(res["ci_low"]), float(res["ci_high"]), res["unit"]
    ci = f"{_level(acc)}% CI {low:.4g} to {high:.4g}"
    head = f"The residual, {float(res['estimate']):.4g} {unit} ({ci}),"
    if low > 0:
        return f"{head} excludes 0: something besides {acc.target!r} fell at the same moment."
    if high < 0:
        return (f"{head} is below 0: the rest of {acc.total!r} grew at the same moment, making "
                f"up for part of {acc.target!r}'s fall.")
    rest = float(rows.loc[acc.total, "pre_level"] - rows.loc[acc.target, "pre_level"])
    size = MATERIAL * abs(rest)
    if high > size or low < -size:
        return (f"{head} holds 0 but also a residual of {max(high, -low):.4g} {unit}, "
                f"{100 * max(high, -low) / abs(rest):.3g}% of the rest of {acc.total!r} before "
                f"({rest:.4g}): the data cannot tell whether {acc.target!r} explains the whole "
                "fall (inconclusive).")
    return (f"{head} holds 0 and rules out a residual of {100 * MATERIAL:.3g}% of the rest of "
            f"{acc.total!r} ({size:.4g} {unit}): {acc.target!r} may explain the whole fall.")


def _statuses(acc: Accounting) -> list[str]:
    """One line per status among the other sources (neither the total nor the target)."""
    table = acc.sources[~acc.sources["source"].isin([acc.total, acc.target])]
    lines = []
    for status in STATUSES:
        rows = table[table["status"] == status]
        if not rows.empty:
            named = "; ".join(f"{row['source']!r} ({_ratio(row, acc)})"
                              for _, row in rows.iterrows())
            lines.append(f"{status.capitalize()}: {named}.{_MEANING[status]}")
    return lines


_MEANING: dict[str, str] = {
    "vanished": " At least 90% of it is gone: part of the residual.",
    "fell": " Its fall is part of the residual.",
    "grew": "",
    "unchanged": (f" Its interval rules out a fall or rise of {100 * MATERIAL:.3g}% of its pre "
                  "level."),
    "inconclusive": (f" Its interval holds both 0 and a fall or rise of "
                     f"{100 * MATERIAL:.3g}% of its pre level or more: the data cannot tell "
                     "which."),
}


def _fallen_groups(found: Any) -> list[str]:
    groups = found.groups[found.groups["status"] == "fell"]
    if groups.empty:
        return []
    named = ", ".join(f"{row['group']} ({row['ratio']:.2g})"
                      for _, row in groups.head(MAX_NAMED).iterrows())
    more = f" and {len(groups) - MAX_NAMED} more" if len(groups) > MAX_NAMED else ""
    share = groups["pre_count"].sum() / max(found.groups["pre_count"].sum(), 1)
    return [(f"{len(groups)} {found.by} group(s) fell without vanishing (post/pre ratio): "
             f"{named}{more}; they held {100 * share:.3g}% of the tested groups' mail before, "
             "and their fall is in 'everything_else'.")]
