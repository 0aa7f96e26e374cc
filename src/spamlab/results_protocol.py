"""What every spamlab result offers: ``summary()``, ``to_dict()`` and ``_repr_html_()``.

A result class (``its.fit``'s :class:`~spamlab.its.results.ITSResult`, the placebo and
sensitivity results, the per-source and the Monte Carlo accountings, ...) mixes in
:class:`Result` and says three things about itself: its plain-language report
(:meth:`Result.summary`), the plain values that describe it (:meth:`Result._payload`)
and the table JupyterLab shows (:meth:`Result._html_table`). The JSON conversion is
:func:`jsonable`, the one function every result and :mod:`spamlab.report` use; the
HTML is :func:`table_html`.

Importing this module loads neither matplotlib nor any other spamlab module.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Count(Result):
...     table: pd.DataFrame
...     def summary(self) -> str:
...         return f"{len(self.table)} row(s)"
...     def _payload(self) -> dict:
...         return {"rows": len(self.table), "mean": self.table["x"].mean()}
...     def _html_table(self) -> pd.DataFrame:
...         return self.table
>>> result = Count(pd.DataFrame({"x": [1.0, np.nan]}))
>>> result.to_dict()
{'rows': 2, 'mean': 1.0}
>>> result._repr_html_().startswith("<p>2 row(s)</p><table")
True
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Result", "jsonable", "table_html"]


def jsonable(obj: Any) -> Any:
    """``obj`` converted to plain JSON types: numpy scalars to Python, NaN, infinities,
    ``NaT`` and ``NA`` to ``None``, timestamps and dates to ISO text, durations to text,
    frames to lists of records, series and mappings to dictionaries (keys as text),
    sequences to lists.

    Examples
    --------
    >>> jsonable({"x": np.float64(1.5), "y": float("nan"), "t": pd.Timestamp("2011-03-16")})
    {'x': 1.5, 'y': None, 't': '2011-03-16T00:00:00'}
    >>> jsonable(pd.DataFrame({"n": [np.int64(2)], "inf": [np.inf]}))
    [{'n': 2, 'inf': None}]
    """
    if isinstance(obj, Mapping):
        return {str(key): jsonable(val) for key, val in obj.items()}
    if isinstance(obj, pd.DataFrame):
        return jsonable(obj.to_dict(orient="records"))
    if isinstance(obj, pd.Series):
        return jsonable(obj.to_dict())
    if isinstance(obj, (list, tuple, set, np.ndarray)):
        return [jsonable(item) for item in obj]
    if obj is pd.NaT or obj is pd.NA:
        return None
    if isinstance(obj, (pd.Timestamp, dt.datetime, dt.date)):
        return obj.isoformat()
    if isinstance(obj, (pd.Timedelta, dt.timedelta)):
        return str(obj)
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def table_html(caption: str, table: pd.DataFrame) -> str:
    """A compact HTML table (4 significant digits) under a one-line ``caption``.

    Examples
    --------
    >>> table_html("a & b", pd.DataFrame({"x": [1.23456]})).startswith("<p>a &amp; b</p>")
    True
    """
    body = table.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0)
    return f"<p>{html.escape(caption)}</p>{body}"


class Result:
    """Mixin of spamlab's results: a text report, a JSON-ready dictionary, an HTML table.

    A subclass defines :meth:`summary` and :meth:`_payload`, and :meth:`_html_table` when
    it has a table to show; :meth:`to_dict` and :meth:`_repr_html_` follow from them.
    """

    def summary(self) -> str:
        """Plain-language report of the result, several lines of text."""
        raise NotImplementedError(f"{type(self).__name__} does not define summary()")

    def _payload(self) -> Mapping[str, Any]:
        """The values :meth:`to_dict` converts (numpy, pandas and dates allowed)."""
        raise NotImplementedError(f"{type(self).__name__} does not define _payload()")

    def _html_table(self) -> pd.DataFrame | None:
        """The table JupyterLab shows under the caption (``None``: the summary as text)."""
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary of plain Python values (:func:`jsonable`); ``None`` stands
        for a value that is not a finite number."""
        return jsonable(dict(self._payload()))

    def _repr_html_(self) -> str:
        """The first line of :meth:`summary` over :meth:`_html_table` (JupyterLab's display)."""
        text = self.summary()
        table = self._html_table()
        if table is None:
            return "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines())
        return table_html(text.splitlines()[0] if text else type(self).__name__, table)
