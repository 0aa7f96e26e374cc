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

from pathlib import Path

import numpy as np
import pandas as pd

from spamlab import paths
from spamlab.errors import DataError

COLUMNS: tuple[str, ...] = (
    "id", "publisher", "report", "published", "period_start", "period_end", "metric",
    "entity", "value", "value_low", "value_high", "unit", "qualifier", "url",
)
DATE_COLUMNS: tuple[str, ...] = ("published", "period_start", "period_end")
NUMBER_COLUMNS: tuple[str, ...] = ("value", "value_low", "value_high")


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
        ``value_low > value_high``, a point value outside its range, or a row
        without any number.
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
    checks = [
        (table["value_low"].isna() | table["value_high"].isna(), "value_low and value_high must both be set"),
        (table["value_low"] > table["value_high"], "value_low is greater than value_high"),
        (table["value"].notna() & ((table["value"] < table["value_low"]) | (table["value"] > table["value_high"])),
         "value lies outside [value_low, value_high]"),
        (table["period_start"] > table["period_end"], "period_start is after period_end"),
        (table["unit"] == "", "unit is empty"),
        (table["url"] == "", "url is empty: every figure needs its source"),
    ]
    for mask, reason in checks:
        if mask.any():
            first = int(table.loc[mask, "id"].iloc[0])
            raise DataError(f"{path}, id {first}: {reason} ({int(mask.sum())} row(s))")


def get(table: pd.DataFrame, ids: int | list[int]) -> pd.DataFrame:
    """Rows of the table by id, in the order asked; a missing id raises ``KeyError`` naming it."""
    wanted = [ids] if isinstance(ids, (int, np.integer)) else list(ids)
    absent = [i for i in wanted if i not in table.index]
    if absent:
        raise KeyError(f"figure id(s) {absent} not in the figures table")
    return table.loc[wanted]


def value(table: pd.DataFrame, figure_id: int) -> float:
    """The single number of one figure (the midpoint for a range)."""
    return float(get(table, figure_id)["value_mid"].iloc[0])
