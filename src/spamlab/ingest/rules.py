"""The rules that judge parsed messages: the arrival time, the date range and duplicates.

First :func:`choose_arrival` picks each message's arrival time among the topmost
``Received:`` date, the delivery agent's stamp (the Unix time in its file name, or the
date on its mbox ``From_`` line) and the sender's ``Date:`` header (:data:`TIME_SOURCES`). Then :func:`classify` judges: a message that parsed is
*rejected* when it arrived before 1990 (``before_1990``) or after the run's
``not_after`` time (``in_future``); of the others, one outside the requested days
(``--from``/``--to``) is *out_of_range*, a re-delivery of an earlier kept message
(same Message-ID, within the duplicate window) is a *duplicate*, and the rest are
*counted*.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spamlab.mail.names import FUTURE_SLACK

__all__ = [
    "DISAGREEMENT",
    "EARLIEST",
    "ISOLATION_COUNT",
    "ISOLATION_DAYS",
    "ISOLATION_SHARE",
    "TIME_SOURCES",
    "choose_arrival",
    "classify",
    "isolated_arrivals",
    "mark_duplicates",
]

#: Earliest accepted arrival (1990-01-01 UTC); earlier dates are rejected as ``before_1990``.
EARLIEST = 631152000
#: Orders of preference among the arrival times of a message, by ``--time-source``.
#: ``"filename"`` stands for the delivery agent's stamp: the Unix time in a maildir or
#: archive file name, or the date on an mbox ``From_`` line.
TIME_SOURCES = {
    "auto": ("received", "filename", "date"),
    "received": ("received", "date"),
    "filename": ("filename", "received", "date"),
}
#: File-name and Received times further apart than this (seconds) are counted as disagreeing.
DISAGREEMENT = 3600


def choose_arrival(frame: pd.DataFrame, time_source: str, now: int) -> pd.DataFrame:
    """A copy of ``frame`` with each message's arrival taken from the preferred source.

    Parameters
    ----------
    frame
        One row per message, as parsed: ``arrival``/``time_source``/``tz_flag`` from
        the header (``time_source`` ``"received"``, ``"date"`` or ``""``), ``name_time``
        (the delivery stamp, nullable), optionally ``stamp_source`` (``"filename"`` or
        ``"from_line"``: where the stamp was read) and ``reason``.
    time_source
        A key of :data:`TIME_SOURCES`: ``"auto"`` prefers the topmost Received date,
        then the delivery stamp (file name or mbox ``From_`` line), then Date (the
        sender's clock, the least trusted); ``"received"`` ignores delivery stamps;
        ``"filename"`` prefers the delivery stamp.
    now
        Epoch seconds; a file-name time more than a day after it is not plausible
        and is ignored.

    Returns
    -------
    DataFrame
        ``arrival``, ``time_source`` (now also ``"filename"`` or ``"from_line"``), ``tz_flag`` and
        ``reason`` updated (a message without header dates but with a name time is no
        longer ``no_timestamp``), plus ``name_gap``: Received minus file-name time in
        seconds where a parsed message has both, else NaN.

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "arrival": pd.array([1300000000, None, 1300000000], dtype="Int64"),
    ...     "time_source": ["received", "", "date"], "tz_flag": ["", "", "missing"],
    ...     "name_time": pd.array([1300007200, 1300000100, 1300000100], dtype="Int64"),
    ...     "reason": ["", "no_timestamp", ""]})
    >>> chosen = choose_arrival(frame, "auto", now=1400000000)
    >>> chosen["time_source"].tolist(), chosen["reason"].tolist(), chosen["name_gap"].tolist()
    (['received', 'filename', 'filename'], ['', '', ''], [-7200.0, nan, nan])
    """
    frame = frame.copy()
    name = frame["name_time"].to_numpy(dtype="float64", na_value=np.nan)
    header = frame["arrival"].to_numpy(dtype="float64", na_value=np.nan)
    parsed = frame["reason"].isin(["", "no_timestamp"]).to_numpy()
    has_name = parsed & (name >= EARLIEST) & (name <= now + FUTURE_SLACK)
    received = parsed & (frame["time_source"] == "received").to_numpy()
    frame["name_gap"] = np.where(has_name & received, header - name, np.nan)
    take = _prefers_name(TIME_SOURCES[time_source], has_name, received,
                         parsed & ~np.isnan(header))
    if take.any():
        arrival = frame["arrival"].astype("Int64").copy()
        arrival[take] = frame.loc[take, "name_time"].astype("int64").to_numpy()
        frame["arrival"] = arrival
        stamp = (frame["stamp_source"].astype(object).replace("", "filename")
                 if "stamp_source" in frame else "filename")
        frame["time_source"] = frame["time_source"].astype(object).where(~take, stamp)
        frame["tz_flag"] = frame["tz_flag"].astype(object).where(~take, "")
        frame["reason"] = frame["reason"].where(~take, "")
    return frame


def _prefers_name(order: tuple[str, ...], has_name: np.ndarray, received: np.ndarray,
                  dated: np.ndarray) -> np.ndarray:
    """Boolean array: the file-name time is the first available source in ``order``."""
    if "filename" not in order:
        return np.zeros(len(has_name), dtype=bool)
    before = order[:order.index("filename")]
    blocked = np.zeros(len(has_name), dtype=bool)
    for source in before:
        blocked |= received if source == "received" else (dated & ~received)
    return has_name & ~blocked


def classify(frame: pd.DataFrame, *, not_after: int, duplicate_window: int,
             window: tuple[int, int] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with ``status`` (counted | duplicate | rejected | out_of_range) added.

    Parameters
    ----------
    frame
        One row per message, with ``arrival`` (epoch seconds, nullable), ``reason``
        (``""`` when the message parsed) and ``message_id``.
    not_after
        Epoch seconds; later arrivals are rejected as ``in_future``.
    duplicate_window
        Seconds (see :func:`mark_duplicates`).
    window
        ``[start, end)`` epoch seconds of the requested days; a valid message
        arriving outside gets the reason and status ``out_of_range`` (as do the
        members skipped unparsed, which arrive with that reason). Duplicates are
        judged among the messages inside.

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
    if window is not None:
        outside = (frame["reason"] == "").to_numpy() & ~((arrival >= window[0])
                                                         & (arrival < window[1]))
        frame.loc[outside, "reason"] = "out_of_range"
    valid = (frame["reason"] == "").to_numpy()
    duplicate = mark_duplicates(frame["message_id"].to_numpy(), arrival, valid, duplicate_window)
    status = np.where(valid, np.where(duplicate, "duplicate", "counted"),
                      "rejected").astype(object)
    status[(frame["reason"] == "out_of_range").to_numpy()] = "out_of_range"
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



#: Default isolation rule (see :func:`isolated_arrivals`): a run of more than this many days
#: without arrivals in a container separates its arrivals into groups...
ISOLATION_DAYS = 30.0
#: ... and a group other than the container's largest holding at most this share of the
#: container's arrivals ...
ISOLATION_SHARE = 0.01
#: ... or at most this many arrivals, is isolated.
ISOLATION_COUNT = 3


def isolated_arrivals(times: np.ndarray, containers: np.ndarray, *,
                      days: float = ISOLATION_DAYS, share: float = ISOLATION_SHARE,
                      count: int = ISOLATION_COUNT) -> np.ndarray:
    """Label arrivals far from the bulk of their container's arrivals: ``-1`` (not isolated) or a group id.

    Within each container the arrivals are sorted and cut wherever two consecutive
    ones are more than ``days`` days apart. The group holding the most arrivals is
    the bulk (the earliest, on a tie). Any other group holding at most
    ``max(count, share * n)`` of the container's ``n`` arrivals is *isolated*: a
    misdated message, or a stray one long after recording stopped. Isolated
    arrivals are still counted on their day, but they do not extend the span the
    container is taken to have recorded (so the days between are gaps, not zeros).
    A larger group after a quiet stretch is a trap that kept recording: not isolated.

    Parameters
    ----------
    times
        Epoch seconds (NaN: no time, never isolated).
    containers
        The container of each arrival (any hashable labels).
    days, share, count
        The rule's parameters (``--isolation-days``, ``--isolation-share``,
        ``--isolation-count``).

    Returns
    -------
    ndarray of int64: ``-1``, or the same id for arrivals of the same isolated group.

    Examples
    --------
    >>> day = 86400.0
    >>> times = np.array([0, day, 2 * day, 362 * day, np.nan])
    >>> isolated_arrivals(times, np.array(["box"] * 5)).tolist()
    [-1, -1, -1, 1, -1]
    >>> quiet = np.r_[np.arange(20) * day, 80 * day + np.arange(20) * day]  # 50 quiet days, 2 runs
    >>> (isolated_arrivals(quiet, np.zeros(40)) == -1).all()
    np.True_
    """
    labels = np.full(len(times), -1, dtype="int64")
    rows = np.flatnonzero(~np.isnan(times))
    if len(rows) < 2:
        return labels
    codes = pd.factorize(pd.Series(containers[rows], dtype=object))[0]
    order = np.lexsort((times[rows], codes))
    sorted_times, sorted_codes = times[rows][order], codes[order]
    starts = np.r_[True, (sorted_codes[1:] != sorted_codes[:-1])
                   | (np.diff(sorted_times) > days * 86400)]
    group = np.cumsum(starts) - 1
    sizes = np.bincount(group)
    owner = sorted_codes[starts]
    bulk = pd.Series(sizes).groupby(owner).idxmax().to_numpy()
    limit = np.maximum(count, share * np.bincount(sorted_codes)[owner])
    isolated = sizes <= limit
    isolated[bulk] = False
    labels[rows[order]] = np.where(isolated[group], group, -1)
    return labels
