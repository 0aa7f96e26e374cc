"""The raw rows a reader validates: their cells, file lines and rejections.

Shared by :func:`spamlab.series.read` (columns, values, duplicates) and
:mod:`spamlab.timeaxis` (the date column): each check either raises a
:class:`spamlab.errors.DataError` naming the file line, or, with
``on_bad_rows="drop"``, drops the rows and counts them by reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from spamlab.errors import DataError

__all__ = ["SHOW_LINES", "Rows", "normalise_name", "stripped_text"]

SHOW_LINES = 5


@dataclass
class Rows:
    """Raw rows being validated: text or typed cells, the file line of each, and the rejections."""

    frame: pd.DataFrame
    lines: np.ndarray
    label: str
    line_word: str
    drop: bool
    rejections: dict[str, list[int]] = field(default_factory=dict)
    #: reason -> its first rejected cell and hint, for the message about too many dropped rows
    shown: dict[str, str] = field(default_factory=dict)

    def reject(self, mask: np.ndarray, reason: str, hint: str = "",
               cells: pd.Series | None = None) -> None:
        """Raise on ``mask`` rows, or record and drop them when dropping is asked for.

        ``cells`` (aligned with the rows) shows the first offending cell in the message.
        """
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        bad = self.lines[mask]
        cell = "" if cells is None else f": {str(cells[mask].iloc[0])[:40]!r}"
        if not self.drop:
            shown = ", ".join(str(n) for n in bad[:SHOW_LINES]) + (" ..." if len(bad) > SHOW_LINES else "")
            also = f" ({len(bad)} rows: {self.line_word}s {shown})" if len(bad) > 1 else ""
            raise DataError(f"{self.label}, {self.line_word} {bad[0]}: {reason}{cell}{also}{hint}. "
                            f"Fix the data, or pass on_bad_rows='drop' to drop and count such rows")
        self.rejections.setdefault(reason, []).extend(int(n) for n in bad)
        self.shown.setdefault(reason, f"; first{cell}{hint}" if cell else hint)
        keep = ~mask
        self.frame = self.frame.loc[keep]
        self.lines = self.lines[keep]


def normalise_name(column: object) -> str:
    """A column name compared case- and whitespace-insensitively: ``" Day  Count"`` -> ``"day_count"``."""
    return re.sub(r"\s+", "_", str(column).strip().casefold())


def stripped_text(column: pd.Series) -> pd.Series:
    """Stripped text in Arrow-backed strings (vectorised regular expressions, no Python loop)."""
    return column.astype("string[pyarrow]").str.strip()
