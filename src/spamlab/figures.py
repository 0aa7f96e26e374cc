"""The published-figures table: load, validate, look up by id.

The table (``data/raw/published_figures.csv``) holds figures about spam volume,
botnets and takedowns read from public web pages, one row per figure, with the
source URL and the qualifier the source used ("as many as", "average", ...).

Ranges have an empty ``value`` and ``value_low``/``value_high`` set; point
values have all three equal. :func:`load` keeps ``value`` as published (NaN for
ranges) and adds ``value_mid``, the midpoint used where one number is needed.

Examples
--------
>>> from spamlab import figures
>>> table = figures.load()
>>> figures.value(table, 5)
52.0
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spamlab import paths
from spamlab.errors import DataError, ParameterError

__all__ = [
    "COLUMNS",
    "CONTRADICTION_GROUPS",
    "DATE_COLUMNS",
    "DAYS_PER_MONTH",
    "NUMBER_COLUMNS",
    "PER_DAY_FACTORS",
    "QUALIFIERS",
    "TAKEDOWN_DAY",
    "UNITS",
    "VENDOR_ALIASES",
    "ContradictionGroup",
    "Implied",
    "bound",
    "contradictions",
    "get",
    "implied_total",
    "implied_volume",
    "load",
    "qualifiers",
    "to_per_day",
    "value",
    "vendor",
]

COLUMNS: tuple[str, ...] = (
    "id", "publisher", "report", "published", "period_start", "period_end", "metric",
    "entity", "value", "value_low", "value_high", "unit", "qualifier", "url",
)
DATE_COLUMNS: tuple[str, ...] = ("published", "period_start", "period_end")
NUMBER_COLUMNS: tuple[str, ...] = ("value", "value_low", "value_high")

DAYS_PER_MONTH = 365.25 / 12
#: the day of the Rustock takedown (rows 125, 130): the drop figures must span it
TAKEDOWN_DAY = pd.Timestamp("2011-03-16")
#: rate units -> factor giving billions of messages per day
PER_DAY_FACTORS: dict[str, float] = {
    "billion_per_day": 1.0,
    "million_per_day": 1e-3,
    "per_day": 1e-9,
    "count_per_day": 1e-9,
    "per_week": 1e-9 / 7,
    "per_month": 1e-9 / DAYS_PER_MONTH,
    "count_per_month": 1e-9 / DAYS_PER_MONTH,
    "billion_per_month": 1.0 / DAYS_PER_MONTH,
    "per_hour": 24e-9,
    "per_minute": 24 * 60e-9,
    "per_second": 24 * 3600e-9,
}
#: units the table may use: the rates above plus quantities that are not rates
UNITS: frozenset[str] = frozenset(PER_DAY_FACTORS) | {
    "percent", "percentage_points", "percent_of_weekday_avg", "count", "ratio", "rank",
    "hour_of_day_utc", "million_per_day_per_1000_per_second",
}
#: how each qualifier bounds the true number relative to the published one
QUALIFIERS: dict[str, str] = {
    "as many as": "upper", "up to": "upper", "less than": "upper", "nearly": "upper",
    "more than": "lower",
    "approximately": "approximate", "estimated": "approximate",
    "average": "statistic", "peak": "statistic",
}


def load(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate the published-figures table.

    Parameters
    ----------
    path
        CSV file; defaults to ``data/raw/published_figures.csv``.

    Returns
    -------
    DataFrame indexed by integer ``id`` (also kept as a column), with dates as
    ``datetime64`` (NaT where the source gave none), numbers as float, and an
    added ``value_mid`` column.

    Raises
    ------
    DataError
        Naming the file, the row id and the reason, for missing columns,
        duplicate or non-integer ids, unparseable dates or numbers,
        ``value_low > value_high``, a point value outside its range, a period
        ending before it starts, an unknown unit or qualifier, or an empty url.

    Examples
    --------
    >>> table = load()
    >>> len(table), table.loc[1, "qualifier"]
    (391, 'as many as')
    """
    path = Path(path) if path is not None else paths.figures_csv()
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: figures table not found") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing}; expected {list(COLUMNS)}")
    table = _typed(raw, path)
    _validate(table, path)
    table["value_mid"] = table["value"].fillna((table["value_low"] + table["value_high"]) / 2)
    return table.set_index("id", drop=False).rename_axis(None)


def _typed(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    table = raw.copy()
    ids = pd.to_numeric(table["id"], errors="coerce")
    bad = table.loc[ids.isna() | (ids % 1 != 0), "id"]
    if len(bad):
        line = int(bad.index[0]) + 2
        raise DataError(f"{path}, line {line}: id {bad.iloc[0]!r} is not an integer")
    table["id"] = ids.astype(int)
    for col in NUMBER_COLUMNS:
        numbers = pd.to_numeric(table[col].replace("", np.nan), errors="coerce")
        bad_rows = numbers.isna() & (table[col] != "")
        if bad_rows.any():
            row = table.loc[bad_rows].iloc[0]
            raise DataError(f"{path}, id {row['id']}: {col}={row[col]!r} is not a number")
        table[col] = numbers.astype(float)
    for col in DATE_COLUMNS:
        dates = pd.to_datetime(table[col].replace("", None), format="%Y-%m-%d", errors="coerce")
        bad_rows = dates.isna() & (table[col] != "")
        if bad_rows.any():
            row = table.loc[bad_rows].iloc[0]
            raise DataError(f"{path}, id {row['id']}: {col}={row[col]!r} is not a YYYY-MM-DD date")
        table[col] = dates
    return table


def _validate(table: pd.DataFrame, path: Path) -> None:
    dup = table.loc[table["id"].duplicated(), "id"]
    if len(dup):
        raise DataError(f"{path}: id {int(dup.iloc[0])} appears more than once")
    checks = [  # (rows failing, reason, column whose value the message shows)
        (table["value_low"].isna() | table["value_high"].isna(), "value_low and value_high must both be set", None),
        (table["value_low"] > table["value_high"], "value_low is greater than value_high", None),
        (table["value"].notna() & ((table["value"] < table["value_low"]) | (table["value"] > table["value_high"])),
         "value lies outside [value_low, value_high]", None),
        (table["period_start"] > table["period_end"], "period_start is after period_end", None),
        (table["unit"] == "", "unit is empty", None),
        (~table["unit"].isin(UNITS), f"unknown unit (known: {sorted(UNITS)})", "unit"),
        (~table["qualifier"].map(_known_qualifiers),
         f"unknown qualifier (a ';'-separated list of {sorted(QUALIFIERS)})", "qualifier"),
        (table["url"] == "", "url is empty: every figure needs its source", None),
    ]
    for mask, reason, column in checks:
        if mask.any():
            first = table.loc[mask].iloc[0]
            shown = f"{column}={first[column]!r}: " if column else ""
            raise DataError(f"{path}, id {int(first['id'])}: {shown}{reason} ({int(mask.sum())} row(s))")


def _known_qualifiers(text: str) -> bool:
    return all(part.strip() in QUALIFIERS for part in text.split(";") if part.strip())


def get(table: pd.DataFrame, ids: int | list[int]) -> pd.DataFrame:
    """Rows of the table by id, in the order asked; a missing id raises ``KeyError`` naming it.

    Examples
    --------
    >>> get(load(), [5, 4])["value"].tolist()
    [52.0, 33.0]
    """
    wanted = [ids] if isinstance(ids, (int, np.integer)) else list(ids)
    absent = [i for i in wanted if i not in table.index]
    if absent:
        raise KeyError(f"figure id(s) {absent} not in the figures table")
    return table.loc[wanted]


def value(table: pd.DataFrame, figure_id: int) -> float:
    """The single number of one figure (the midpoint for a range).

    Examples
    --------
    >>> value(load(), 180)  # Kaspersky: spam fell 2-3%
    -2.5
    """
    return float(get(table, figure_id)["value_mid"].iloc[0])


def to_per_day(value: float | np.ndarray | pd.Series, unit: str,
               days: float | np.ndarray | None = None) -> float | np.ndarray | pd.Series:
    """Convert a rate to billions of messages per day.

    Parameters
    ----------
    value
        Number(s) in ``unit``.
    unit
        One of :data:`PER_DAY_FACTORS`: ``billion_per_day``,
        ``million_per_day``, ``per_day``, ``per_week``, ``per_month``,
        ``billion_per_month``, ``per_hour``, ``per_minute``, ``per_second``
        (and the table's ``count_per_day``/``count_per_month``).
    days
        For the monthly units: the month's length in days (default
        365.25 / 12, an average month). Ignored for other units.

    Raises
    ------
    ParameterError
        For a unit that is not a rate (``percent``, ``count``, ...).

    Examples
    --------
    >>> to_per_day(14, "billion_per_month", days=28)
    0.5
    >>> to_per_day(2000, "per_second")
    0.1728
    """
    if unit not in PER_DAY_FACTORS:
        raise ParameterError(f"unit {unit!r} is not a rate; convertible units: {sorted(PER_DAY_FACTORS)}")
    factor: float | np.ndarray = PER_DAY_FACTORS[unit]
    if days is not None and unit in ("per_month", "count_per_month", "billion_per_month"):
        factor = factor * DAYS_PER_MONTH / np.asarray(days, dtype=float)
    result = value * factor
    return float(result) if np.ndim(result) == 0 else result


def qualifiers(row: pd.Series | str) -> frozenset[str]:
    """The qualifiers of a figure (a table row or its ``qualifier`` text) as a set.

    Examples
    --------
    >>> sorted(qualifiers("approximately;more than"))
    ['approximately', 'more than']
    """
    text = row if isinstance(row, str) else str(row["qualifier"])
    found = frozenset(part.strip() for part in text.split(";") if part.strip())
    unknown = found - set(QUALIFIERS)
    if unknown:
        raise ParameterError(f"unknown qualifier(s) {sorted(unknown)}; known: {sorted(QUALIFIERS)}")
    return found


def bound(row: pd.Series | str) -> str:
    """How the published number bounds the truth: ``"upper"``, ``"lower"``, ``"both"`` or ``"none"``.

    "as many as", "up to", "less than" and "nearly" make the number an upper
    bound; "more than" a lower bound; a figure carrying both kinds (e.g. row
    97, "more than;less than") is ``"both"``; "approximately", "estimated",
    "average" and "peak" do not bound it.

    Examples
    --------
    >>> bound("as many as"), bound("more than;estimated"), bound("average")
    ('upper', 'lower', 'none')
    """
    kinds = {QUALIFIERS[q] for q in qualifiers(row)}
    upper, lower = "upper" in kinds, "lower" in kinds
    return "both" if upper and lower else "upper" if upper else "lower" if lower else "none"


@dataclass(frozen=True)
class Implied:
    """A number derived from figures of the table, with its range and sources."""

    estimate: float
    low: float
    high: float
    unit: str
    figure_ids: tuple[int, ...]
    formula: str


def _rate_row(row: pd.Series) -> tuple[float, float, float]:
    unit = str(row["unit"])
    mid, low, high = (float(to_per_day(float(row[c]), unit)) for c in ("value_mid", "value_low", "value_high"))
    return mid, low, high


def _share_row(row: pd.Series) -> tuple[float, float, float]:
    if row["unit"] != "percent":
        raise ParameterError(f"figure {int(row['id'])} has unit {row['unit']!r}; a share must be in percent")
    mid, low, high = (float(row[c]) / 100 for c in ("value_mid", "value_low", "value_high"))
    return mid, low, high


def implied_volume(share_row: pd.Series, total_row: pd.Series) -> Implied:
    """Volume implied by a share (percent) of a total: ``share / 100 * total`` in billions per day.

    E.g. spam at 79.3% of all mail (row 88) times a total mail volume, or a
    botnet's share of spam times global spam (row 2 x row 5). Ranges multiply
    end to end.

    Examples
    --------
    >>> t = load()
    >>> round(implied_volume(get(t, 2).iloc[0], get(t, 5).iloc[0]).estimate, 2)
    14.82
    """
    share, total = _share_row(share_row), _rate_row(total_row)
    ids = (int(share_row["id"]), int(total_row["id"]))
    return Implied(share[0] * total[0], share[1] * total[1], share[2] * total[2], "billion_per_day",
                   ids, f"row {ids[0]} (share) x row {ids[1]} (total)")


def implied_total(part_row: pd.Series, share_row: pd.Series) -> Implied:
    """Total implied by a part and its share: ``part / (share / 100)`` in billions per day.

    E.g. Rustock's 13.82 bn/day (row 1) at 28.5% of spam (row 2) implies a
    base of about 48.5 bn/day, not the 52 of row 5.

    Examples
    --------
    >>> t = load()
    >>> round(implied_total(get(t, 1).iloc[0], get(t, 2).iloc[0]).estimate, 1)
    48.5
    """
    part, share = _rate_row(part_row), _share_row(share_row)
    if min(share) <= 0:
        raise ParameterError(f"figure {int(share_row['id'])}: a share of 0 implies no total")
    ids = (int(part_row["id"]), int(share_row["id"]))
    return Implied(part[0] / share[0], part[1] / share[2], part[2] / share[1], "billion_per_day",
                   ids, f"row {ids[0]} (part) / row {ids[1]} (share)")


@dataclass(frozen=True)
class ContradictionGroup:
    """A query over the table selecting figures that should agree but do not."""

    name: str
    metrics: tuple[str, ...]
    entity_pattern: str  # regular expression the whole entity must match
    window: tuple[str, str]
    question: str
    after_takedown: bool = False  # True: the period must start inside the window and end on or
    # after the takedown day (a change measured across it); False: overlap the window, or be undated


#: The contradiction groups of docs/domain.md, as queries (metric, entity, period) rather than values.
CONTRADICTION_GROUPS: tuple[ContradictionGroup, ...] = (
    ContradictionGroup(
        "vendor_scale", ("spam_volume_per_day",), r"global( \(.*\))?", ("2010-01-01", "2011-12-31"),
        "How much spam a day in 2010-2011? Each vendor extrapolates from its own traps and "
        "customers, and their scales differ several-fold."),
    ContradictionGroup(
        "rustock_output", ("botnet_output_per_day", "botnet_output_per_day_peak",
                           "botnet_capacity_per_day"), "Rustock", ("2010-01-01", "2011-03-16"),
        "How many messages a day did Rustock send before the takedown?"),
    ContradictionGroup(
        "rustock_share", ("botnet_share_of_spam", "botnet_share_of_spam_min", "botnet_share_of_spam_max",
                          "botnet_share_of_spam_peak"), "Rustock", ("2010-12-01", "2011-03-16"),
        "What share of spam was Rustock's in the months before the takedown?"),
    ContradictionGroup(
        "size_of_drop", ("percent_change", "percent_change_pp", "percent_change_range"), ".*",
        ("2011-03-01", "2011-04-30"),
        "By how much did spam fall after the takedown? (Rates of spam in mail and volumes, "
        "one day or several, differ.)", after_takedown=True),
)


def contradictions(table: pd.DataFrame) -> pd.DataFrame:
    """Figures that contradict each other, grouped as in ``docs/domain.md``, found by querying the table.

    Groups (see :data:`CONTRADICTION_GROUPS` for the exact queries):
    ``vendor_scale`` (global spam per day by vendor, 2010-2011),
    ``rustock_output`` (Rustock's messages per day up to the takedown),
    ``rustock_share`` (Rustock's share of spam, December 2010 to the takedown) and
    ``size_of_drop`` (percent changes over periods starting in March or April
    2011 and ending on or after the takedown day). In the first three groups
    figures with no period are kept: the source did not say when.

    Returns
    -------
    Tidy DataFrame, one row per (group, figure): ``group``, ``question``,
    ``figure_id``, ``publisher``, ``vendor`` (first word of the
    publisher), ``metric``, ``entity``, ``period_start``, ``period_end``,
    ``value``, ``value_low``, ``value_high``, ``unit``, ``qualifier``,
    ``bound`` and ``bn_per_day`` (the figure in billions per day when its unit
    is a rate, else NaN).

    Examples
    --------
    >>> c = contradictions(load())
    >>> c.loc[c["group"] == "rustock_output"].set_index("figure_id").loc[[1, 111, 7, 75], "value"].tolist()
    [13.82, 30.0, 44.1, 50.0]
    """
    parts = [_query_group(table, group) for group in CONTRADICTION_GROUPS]
    result = pd.concat(parts, ignore_index=True)
    result["vendor"] = result["publisher"].map(vendor)
    result["bound"] = result["qualifier"].map(bound)
    rate = result["unit"].isin(list(PER_DAY_FACTORS))
    result["bn_per_day"] = np.nan
    result.loc[rate, "bn_per_day"] = [to_per_day(v, u) for v, u in result.loc[rate, ["value_mid", "unit"]].to_numpy()]
    columns = ["group", "question", "figure_id", "publisher", "vendor", "metric", "entity",
               "period_start", "period_end", "value", "value_low", "value_high", "unit",
               "qualifier", "bound", "bn_per_day"]
    return result.rename(columns={"id": "figure_id"})[columns]


def _query_group(table: pd.DataFrame, group: ContradictionGroup) -> pd.DataFrame:
    """Rows matching one group's metric, entity and period window."""
    lo, hi = (pd.Timestamp(d) for d in group.window)
    start = table["period_start"].fillna(table["period_end"])
    end = table["period_end"].fillna(table["period_start"])
    if group.after_takedown:
        in_time = (start >= lo) & (start <= hi) & (end >= TAKEDOWN_DAY) & (end <= hi)
    else:
        in_time = ((start <= hi) & (end >= lo)) | start.isna()
    matches = (table["metric"].isin(group.metrics)
               & table["entity"].str.fullmatch(group.entity_pattern)
               & in_time)
    return table.loc[matches].assign(group=group.name, question=group.question)


#: Former or alternative names of one organisation, mapped to the name used in plots and tables.
VENDOR_ALIASES: dict[str, str] = {
    "MessageLabs": "Symantec",      # part of Symantec since 2008
    "Marshal": "M86",               # Marshal8e6 became M86 Security in 2009
    "Marshal8e6": "M86",
    "IronPort": "Cisco",            # Cisco's mail-security line
}


def vendor(publisher: str) -> str:
    """The organisation whose measurement a figure reports.

    The publisher column names the outlet and, in parentheses, how the figure
    was read ("via Softpedia", "citing Microsoft"). The vendor is the first
    word before the parentheses (a leading "The" skipped), unless the outlet
    only *cites* someone, in which case the cited organisation is the vendor.
    Known former names are merged (:data:`VENDOR_ALIASES`).

    Examples
    --------
    >>> vendor("Symantec MessageLabs (via Softpedia)")
    'Symantec'
    >>> vendor("Redmond Magazine (citing Microsoft)")
    'Microsoft'
    >>> vendor("MessageLabs (via Computerwoche/PC World)")
    'Symantec'
    """
    cited = re.search(r"\(citing (?:the )?([^)\s]+)", publisher, flags=re.IGNORECASE)
    head = cited.group(1) if cited else publisher.split("(")[0].strip().strip('"')
    words = head.split()
    if len(words) > 1 and words[0].lower() == "the":
        words = words[1:]
    name = words[0].rstrip(",") if words else publisher
    return VENDOR_ALIASES.get(name, name)
