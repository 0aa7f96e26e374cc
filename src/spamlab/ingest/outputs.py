"""Outputs of an ingestion, each written atomically (temp file + rename).

- ``daily_counts.csv``: ``date,count,covered,from_received,from_date_header,duplicates``
  (:func:`daily_counts`);
- ``events/month=YYYY-MM/part-0.parquet`` (``month=none`` for undated rejects)
  (:func:`write_events`, read back by :func:`read_events`);
- ``ingest_report.json`` (built by :func:`spamlab.ingest.pipeline.build_report`),
  written last, so its presence marks a complete run (:func:`write_outputs`).

Every output is sorted and free of run timestamps, so a rerun on the same input
gives byte-identical files whatever the engine or the number of workers.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from spamlab.errors import DataError

#: Event columns taken as parsed from the shards when the merged table is at hand.
_PARSED_TEXT = ("member", "time_source", "tz_flag", "message_id", "from_domain", "subject_hash",
                "sender_ip", "mailer")


def write_outputs(out: Path, frame: pd.DataFrame, daily: pd.DataFrame, report: dict[str, Any],
                  source: pa.Table | None = None) -> None:
    """Write the events, the daily counts and, last, the report into ``out``.

    ``frame`` holds the classified messages (:func:`spamlab.ingest.rules.classify`),
    ``source`` the merged task results of the same rows, if at hand.
    """
    out.mkdir(parents=True, exist_ok=True)
    replace_directory(out / "events", lambda staging: write_events(frame, staging, source))
    csv = daily.to_csv(index=False, lineterminator="\n", na_rep="")
    write_atomic(out / "daily_counts.csv", csv.encode("utf-8"))
    text = json.dumps(report, indent=2, sort_keys=True, ensure_ascii=True) + "\n"
    write_atomic(out / "ingest_report.json", text.encode("ascii"))


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    ``durable=False`` skips the fsync (for checkpoint shards: a shard lost in a
    crash is unreadable and simply recomputed).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> write_atomic(target, b"hello"); target.read_bytes()
    b'hello'
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def replace_directory(target: Path, build: Callable[[Path], None]) -> None:
    """Build a folder in a temporary sibling, then swap it in place of ``target``."""
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        build(staging)
        if target.exists():
            retired = target.with_name(f".{target.name}.old")
            shutil.rmtree(retired, ignore_errors=True)
            os.replace(target, retired)
            os.replace(staging, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _days(arrival: np.ndarray, tz: str | None) -> np.ndarray:
    """Calendar day (datetime64[D]) of each arrival (epoch seconds, NaN allowed) in ``tz``."""
    if tz is None:
        seconds = np.where(np.isnan(arrival), 0, arrival).astype("int64")
        days = (seconds // 86400).astype("datetime64[D]")
        return np.where(np.isnan(arrival), np.datetime64("NaT"), days).astype("datetime64[D]")
    stamps = pd.to_datetime(pd.Series(arrival), unit="s", utc=True).dt.tz_convert(tz)
    return stamps.dt.tz_localize(None).dt.floor("D").to_numpy().astype("datetime64[D]")


def daily_counts(frame: pd.DataFrame, tz: str | None = None) -> pd.DataFrame:
    """Daily counts of counted messages, every day from the first to the last.

    Returns
    -------
    DataFrame with columns ``date`` (YYYY-MM-DD), ``count`` (empty on uncovered
    days), ``covered``, ``from_received``, ``from_date_header``, ``duplicates``.
    """
    arrival = frame["arrival"].to_numpy(dtype="float64", na_value=np.nan)
    day = pd.Series(_days(arrival, tz), index=frame.index)
    counted = frame["status"] == "counted"
    live = counted | (frame["status"] == "duplicate")
    if not counted.any():
        return pd.DataFrame({c: [] for c in ("date", "count", "covered", "from_received",
                                             "from_date_header", "duplicates")})
    calendar = pd.date_range(day[counted].min(), day[counted].max(), freq="D")
    tally = pd.DataFrame({
        "count": counted.groupby(day).sum(),
        "from_received": (counted & (frame["time_source"] == "received")).groupby(day).sum(),
        "from_date_header": (counted & (frame["time_source"] == "date")).groupby(day).sum(),
        "duplicates": (frame["status"] == "duplicate").groupby(day).sum(),
    }).reindex(calendar, fill_value=0).astype("int64")
    covered = _covered(day[live], frame.loc[live, "container"], calendar)
    table = tally.astype("Int64")
    table.loc[~covered, ["count", "from_received", "from_date_header", "duplicates"]] = pd.NA
    table.insert(0, "date", calendar.strftime("%Y-%m-%d"))
    table.insert(2, "covered", covered)
    return table.reset_index(drop=True)


def _covered(day: pd.Series, container: pd.Series, calendar: pd.DatetimeIndex) -> np.ndarray:
    """Boolean array over ``calendar``: inside some container's first..last day."""
    spans = day.groupby(container).agg(["min", "max"])
    covered = np.zeros(len(calendar), dtype=bool)
    for first, last in zip(spans["min"], spans["max"]):
        covered |= (calendar >= first) & (calendar <= last)
    return covered


def _events_table(frame: pd.DataFrame, source: pa.Table | None = None) -> pa.Table:
    """The Arrow table of events, in output column order and types.

    ``source`` (:func:`~spamlab.ingest.pipeline.concat_shards`, same rows) supplies the parsed columns
    without a round trip through Python objects.
    """
    if source is None:
        arrival = pa.array(frame["arrival"].astype("float64").to_numpy(), from_pandas=True)
        arrival = arrival.cast(pa.int64())
        parsed = {name: pa.array(frame[name].to_numpy(dtype=object), type=pa.string(),
                                 from_pandas=True) for name in _PARSED_TEXT}
        truncated = pa.array(frame["truncated"].to_numpy(dtype=bool), type=pa.bool_())
    else:
        source = source.combine_chunks()
        arrival = source.column("arrival").chunk(0) if len(source) else pa.array([], pa.int64())
        parsed = {name: source.column(name) for name in _PARSED_TEXT}
        truncated = source.column("truncated")
    arrival = arrival.cast(pa.timestamp("s", tz="UTC"))
    text = {name: pa.array(frame[name].to_numpy(dtype=object), type=pa.string(), from_pandas=True)
            for name in ("container", "status", "reason")}
    text.update(parsed)
    return pa.table({
        "container": text["container"].dictionary_encode(), "member": text["member"],
        "status": text["status"].dictionary_encode(), "reason": text["reason"],
        "arrival": arrival, "time_source": text["time_source"], "tz_flag": text["tz_flag"],
        "truncated": truncated,
        "message_id": text["message_id"], "from_domain": text["from_domain"],
        "subject_hash": text["subject_hash"], "sender_ip": text["sender_ip"],
        "mailer": text["mailer"],
    })


def write_events(frame: pd.DataFrame, folder: Path, source: pa.Table | None = None) -> None:
    """Write events as ``folder/month=YYYY-MM/part-0.parquet`` (UTC month; ``none`` if undated).

    Rows are sorted by arrival, then input order, so files are deterministic.
    ``source`` is the :func:`~spamlab.ingest.pipeline.concat_shards` table of the same rows,
    if at hand.
    """
    arrival = frame["arrival"].to_numpy(dtype="float64", na_value=np.nan)
    undated = np.isnan(arrival)
    months = _days(arrival, None).astype("datetime64[M]").astype("int64")
    months[undated] = np.iinfo("int64").max  # "none" sorts after every YYYY-MM
    order = np.lexsort((np.arange(len(frame)), arrival, months))  # month first, NaN last
    table = _events_table(frame, source).take(pa.array(order)).combine_chunks()
    codes, firsts = np.unique(months[order], return_index=True)
    labels = ["none" if undated[order[first]] else
              str(np.datetime64(int(code), "M")) for code, first in zip(codes, firsts)]
    bounds = [*firsts.tolist(), len(frame)]

    def write(label: str, first: int, last: int) -> None:
        target = folder / f"month={label}"
        target.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.slice(first, last - first), target / "part-0.parquet",
                       compression="zstd")

    # Parquet encoding and zstd run without the GIL: months are written in parallel.
    with ThreadPoolExecutor(max_workers=min(len(labels), os.cpu_count() or 1) or 1) as pool:
        for done in [pool.submit(write, *part) for part in zip(labels, bounds[:-1], bounds[1:])]:
            done.result()


def read_events(out: str | Path) -> pd.DataFrame:
    """Read the events of an ingestion output folder as one DataFrame.

    Examples
    --------
    >>> read_events("/nonexistent")
    Traceback (most recent call last):
    ...
    spamlab.errors.DataError: /nonexistent/events: no events folder (run spamlab ingest first)
    """
    folder = Path(out) / "events"
    if not folder.is_dir():
        raise DataError(f"{folder}: no events folder (run spamlab ingest first)")
    parts = []
    for path in sorted(folder.glob("month=*/part-0.parquet")):
        part = pd.read_parquet(path)
        part.insert(0, "month", path.parent.name.split("=", 1)[1])
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

