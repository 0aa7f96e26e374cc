"""The rules that judge parsed messages: the accepted date range and duplicates.

A message that parsed is *rejected* when it arrived before 1990 (``before_1990``)
or after the run's ``not_after`` time (``in_future``); of the others, a
re-delivery of an earlier kept message (same Message-ID, within the duplicate
window) is a *duplicate*, and the rest are *counted*.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Earliest accepted arrival (1990-01-01 UTC); earlier dates are rejected as ``before_1990``.
EARLIEST = 631152000


def classify(frame: pd.DataFrame, *, not_after: int, duplicate_window: int) -> pd.DataFrame:
    """A copy of ``frame`` with ``status`` (counted | duplicate | rejected) added.

    Parameters
    ----------
    frame
        One row per message, with ``arrival`` (epoch seconds, nullable), ``reason``
        (``""`` when the message parsed) and ``message_id``.
    not_after
        Epoch seconds; later arrivals are rejected as ``in_future``.
    duplicate_window
        Seconds (see :func:`mark_duplicates`).

    Examples
    --------
    >>> frame = pd.DataFrame({"arrival": pd.array([1300000000, 1300000060, 1], dtype="Int64"),
    ...                       "reason": ["", "", ""], "message_id": ["<a>", "<a>", "<b>"]})
    >>> judged = classify(frame, not_after=1400000000, duplicate_window=600)
    >>> judged["status"].tolist(), judged["reason"].tolist()
    (['counted', 'duplicate', 'rejected'], ['', '', 'before_1990'])
    """
    frame = frame.copy()
    arrival = frame["arrival"].to_numpy(dtype="float64", na_value=np.nan)
    ok = frame["reason"].to_numpy() == ""
    frame.loc[ok & (arrival < EARLIEST), "reason"] = "before_1990"
    frame.loc[ok & (arrival > not_after), "reason"] = "in_future"
    valid = (frame["reason"] == "").to_numpy()
    duplicate = mark_duplicates(frame["message_id"].to_numpy(), arrival, valid, duplicate_window)
    status = np.where(valid, np.where(duplicate, "duplicate", "counted"), "rejected")
    frame["status"] = pd.Series(status, index=frame.index, dtype=object)
    return frame


def mark_duplicates(message_id: np.ndarray, arrival: np.ndarray, valid: np.ndarray,
                    window: int) -> np.ndarray:
    """Boolean array: True for a message whose Message-ID matches an earlier kept one.

    Messages are taken in arrival order (input order breaks ties); a message is a
    duplicate when it arrives within ``window`` seconds of the last *kept* copy
    with the same Message-ID. Messages without a Message-ID are never duplicates.

    Examples
    --------
    >>> import numpy as np
    >>> ids = np.array(["<a>", "<a>", "<a>", None], dtype=object)
    >>> mark_duplicates(ids, np.array([0., 10., 5000., 0.]), np.ones(4, bool), 60).tolist()
    [False, True, False, False]
    """
    result = np.zeros(len(arrival), dtype=bool)
    has_id = pd.notna(message_id) & valid
    candidates = np.flatnonzero(has_id)
    if len(candidates) < 2:
        return result
    ids = pd.Series(message_id[candidates], dtype=object)
    repeated = ids.duplicated(keep=False).to_numpy()
    rows = candidates[repeated]
    order = pd.DataFrame({"id": message_id[rows], "t": arrival[rows], "row": rows}).sort_values(
        ["id", "t", "row"], kind="stable")
    last_id, kept_at = None, 0.0
    for mid, when, row in zip(order["id"], order["t"], order["row"]):
        if mid == last_id and when - kept_at <= window:
            result[row] = True
        else:
            last_id, kept_at = mid, when
    return result

