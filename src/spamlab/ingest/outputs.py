"""Outputs of an ingestion, each written atomically (temp file + rename).

- ``daily_counts.csv``: ``date,count,covered,from_received,from_filename,from_mbox_line,
  from_date_header,duplicates`` (:func:`daily_counts`; ``covered`` is the fraction of the day covered);
- ``events/month=YYYY-MM/part-0.parquet`` (``month=none`` for undated rejects)
  (:func:`write_events`, read back by :func:`read_events`);
- ``ingest_report.json`` (built by :func:`spamlab.ingest.pipeline.build_report`),
  written last, so its presence marks a complete run (:func:`write_outputs`).

Every output is sorted and free of run timestamps, so a rerun on the same input
gives byte-identical files whatever the engine or the number of workers.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from spamlab.errors import DataError, ParameterError

__all__ = [
    "DAILY_COLUMNS",
    "LOCK_FILE",
    "MAX_EDGE",
    "OPEN_END",
    "check_events_folder",
    "check_output",
    "covered_fraction",
    "current_umask",
    "daily_counts",
    "day_labels",
    "foreign_entries",
    "output_lock",
    "read_events",
    "refuse_link",
    "remove_abandoned",
    "span_times",
    "staged_file",
    "write_atomic",
    "write_events",
    "write_outputs",
]

#: Event columns taken as parsed from the shards when the merged table is at hand.
_PARSED_TEXT = ("member", "time_source", "tz_flag", "message_id", "from_domain", "subject_hash",
                "sender_ip", "mailer", "helo")


def write_outputs(out: Path, frame: pd.DataFrame, daily: pd.DataFrame, report: dict[str, Any],
                  source: pa.Table | None = None) -> None:
    """Write the events, the daily counts and the report into ``out``, all or nothing.

    Everything is first written beside its place (the events in a hidden sibling folder,
    each file as a hidden temporary file, all synced); only then are they renamed into
    place, the old report removed first and the new one renamed last, so ``out`` never
    holds parts of two runs, and a failure while writing (a full disk) leaves the
    previous complete output as it was. ``frame`` holds the classified messages
    (:func:`spamlab.ingest.rules.classify`), ``source`` the merged task results of the
    same rows, if at hand.
    """
    out.mkdir(parents=True, exist_ok=True)
    check_events_folder(out / "events")
    csv = daily.to_csv(index=False, lineterminator="\n", na_rep="").encode("utf-8")
    text = (json.dumps(report, indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode("ascii")
    staged: list[Path] = []
    events = _staging_folder(out / "events")
    try:
        write_events(frame, events, source)
        staged.append(staged_file(out / "daily_counts.csv", csv))
        staged.append(staged_file(out / "ingest_report.json", text))
        # the commit: renames only; without a report the folder never looks complete
        (out / "ingest_report.json").unlink(missing_ok=True)
        _swap_in(events, out / "events")
        os.replace(staged[0], out / "daily_counts.csv")
        os.replace(staged[1], out / "ingest_report.json")
    except BaseException:
        shutil.rmtree(events, ignore_errors=True)
        for path in staged:
            path.unlink(missing_ok=True)
        raise


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
    temporary = staged_file(path, data, durable=durable)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def staged_file(path: Path, data: bytes, *, durable: bool = True) -> Path:
    """Write ``data`` to a new hidden temporary file beside ``path`` (synced unless not
    ``durable``) and return it, for the caller to rename into place; removed on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, 0o666 & ~current_umask())  # mkstemp makes 0600: use the user's umask
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def _staging_folder(target: Path) -> Path:
    """A new hidden sibling folder of ``target``, with the user's umask (mkdtemp makes 0700)."""
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    os.chmod(staging, 0o777 & ~current_umask())
    return staging


def _swap_in(staging: Path, target: Path) -> None:
    """Rename folder ``staging`` to ``target``, deleting the folder ``target`` was.

    The old folder is first renamed onto a new empty hidden folder of this run's (a fixed
    name such as ``.events.old`` could be taken: by a file, a link or another user's folder).
    """
    if target.exists():
        retired = _staging_folder(target)
        os.replace(target, retired)
        os.replace(staging, target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, target)


#: Names of what :func:`write_outputs` stages in an output folder (a folder per run, a
#: temporary file per output): left behind only by a run that was killed (``SIGKILL``,
#: ``SIGTERM``, a power cut) while writing.
_STAGED_FOLDER = re.compile(r"\.events\.[A-Za-z0-9_]+")
_STAGED_FILE = re.compile(r"\.(?:daily_counts\.csv|ingest_report\.json)\.[A-Za-z0-9_]+\.tmp")


def remove_abandoned(out: Path) -> list[str]:
    """Delete what killed ingestions staged in ``out`` and never renamed into place.

    Call only while holding :func:`output_lock`: no other ingestion is then writing into
    ``out``, so every staged folder or file there was abandoned by a run that ended
    without cleaning up (each a full copy of the events, for a large run). Only real
    folders and regular files with the staging names are deleted; a link is never
    followed or removed. Returns the names deleted.
    """
    removed = []
    for entry in sorted(out.iterdir()):
        mode = entry.lstat().st_mode
        if stat.S_ISDIR(mode) and _STAGED_FOLDER.fullmatch(entry.name):
            shutil.rmtree(entry)
        elif stat.S_ISREG(mode) and _STAGED_FILE.fullmatch(entry.name):
            entry.unlink()
        else:
            continue
        removed.append(entry.name)
    return removed


def current_umask() -> int:
    """The process's file-mode creation mask, read without changing it for other threads.

    Examples
    --------
    >>> previous = os.umask(0o027); mask = current_umask(); _ = os.umask(previous); oct(mask)
    '0o27'
    """
    with contextlib.suppress(OSError, ValueError, StopIteration):
        with open("/proc/self/status", encoding="ascii") as status:  # Linux 4.7+
            line = next(line for line in status if line.startswith("Umask:"))
        return int(line.split()[1], 8)
    mask = os.umask(0o022)  # elsewhere: set and restore at once
    os.umask(mask)
    return mask


def foreign_entries(folder: Path) -> list[str]:
    """Entries of an events folder that spamlab did not write (it writes ``month=*/part-0.parquet``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> events = pathlib.Path(tempfile.mkdtemp())
    >>> (events / "month=2011-03").mkdir(); _ = (events / "month=2011-03" / "notes").write_text("")
    >>> foreign_entries(events)
    ['month=2011-03/notes']
    """
    if not folder.exists() and not folder.is_symlink():
        return []
    if folder.is_symlink() or not folder.is_dir():
        return [folder.name]
    foreign = []
    for entry in sorted(folder.iterdir()):
        if entry.is_symlink() or not entry.is_dir() or not entry.name.startswith("month="):
            foreign.append(entry.name)
            continue
        foreign += [f"{entry.name}/{part.name}" for part in sorted(entry.iterdir())
                    if part.name != "part-0.parquet" or part.is_symlink() or not part.is_file()]
    return foreign


def check_events_folder(folder: Path) -> None:
    """Refuse to replace an events folder holding anything spamlab did not write.

    Raises
    ------
    DataError
        Naming the folder and the first foreign entries.
    """
    foreign = foreign_entries(folder)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise DataError(f"{folder}: holds files spamlab did not write ({shown}); ingest replaces "
                        "this folder on every run, so move them elsewhere or choose another --out")


def check_output(out: Path, inputs: Sequence[str | Path]) -> None:
    """Check an output folder before any work: a folder (or new), outside the inputs, ours.

    Raises
    ------
    ParameterError
        When ``out`` is an existing file, or lies inside (or is) an input folder,
        whose next ingestion would read the outputs as mail.
    DataError
        When ``out/events`` holds files spamlab did not write.
    """
    if out.exists() and not out.is_dir():
        raise ParameterError(f"out: {out} exists and is not a folder; give a folder to write "
                             "daily_counts.csv, events/ and ingest_report.json into")
    try:
        os.fspath(out.absolute()).encode("utf-8")
    except UnicodeEncodeError:
        raise ParameterError(f"out: {os.fspath(out)!r} is not a UTF-8 path name, which the events "
                             "writer (Parquet) needs; choose a folder whose path is UTF-8") from None
    for name in ("daily_counts.csv", "ingest_report.json"):
        if (out / name).is_dir() and not (out / name).is_symlink():
            raise DataError(f"{out / name}: a folder where ingest writes its file {name}; move "
                            "it elsewhere or choose another --out")
    where = out.resolve()
    for raw in inputs:
        folder = Path(raw).resolve()
        if folder.is_dir() and (where == folder or folder in where.parents):
            raise ParameterError(f"out: {out} is inside the input folder {raw}; the next run "
                                 "would read the outputs as mail: choose a folder outside the inputs")
    check_events_folder(out / "events")


#: Lock file of an output folder, held while an ingestion writes into it.
LOCK_FILE = ".spamlab-lock"


def refuse_link(path: Path, what: str, *, planted: bool = False) -> None:
    """Raise a DataError if ``path`` (inside an output folder) is a symbolic link.

    Nothing inside an output folder is followed if it is a link: writing through it
    would truncate or fill whatever it points to, outside the folder.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / LOCK_FILE).symlink_to(folder / "elsewhere")
    >>> refuse_link(folder / LOCK_FILE, "the lock file")
    Traceback (most recent call last):
    spamlab.errors.DataError: ...spamlab-lock: the lock file is a symbolic link (to .../elsewhere); spamlab never writes through a link inside an output folder: remove it, or choose another --out
    """
    if planted or path.is_symlink():
        target = os.readlink(path) if path.is_symlink() else "?"
        raise DataError(f"{path}: {what} is a symbolic link (to {target}); spamlab never writes "
                        f"through a link inside an output folder: remove it, or choose another "
                        f"--out")


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold ``out/.spamlab-lock`` (created with ``out``), so two ingestions cannot mix outputs.

    The lock is an advisory ``flock`` that the kernel releases when the holder
    exits, however it ends; the file holds the holder's process id.

    Raises
    ------
    DataError
        When another process holds the lock, naming the folder and that process.
    """
    out.mkdir(parents=True, exist_ok=True)
    refuse_link(out / LOCK_FILE, "the lock file")
    try:  # O_NOFOLLOW: a link planted after the check is refused by the kernel, not followed
        fd = os.open(out / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        refuse_link(out / LOCK_FILE, "the lock file", planted=True)
        raise
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise DataError(f"{out}: already being written by another spamlab ingest (process "
                            f"{holder}); wait for it to end or choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            remove_abandoned(out)
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def _days(arrival: np.ndarray, tz: str | None) -> np.ndarray:
    """Calendar day (datetime64[D]) of each arrival (epoch seconds, NaN allowed) in ``tz``."""
    if tz is None:
        seconds = np.where(np.isnan(arrival), 0, arrival).astype("int64")
        days = (seconds // 86400).astype("datetime64[D]")
        return np.where(np.isnan(arrival), np.datetime64("NaT"), days).astype("datetime64[D]")
    stamps = pd.to_datetime(pd.Series(arrival), unit="s", utc=True).dt.tz_convert(tz)
    return stamps.dt.tz_localize(None).dt.floor("D").to_numpy().astype("datetime64[D]")


def day_labels(arrival: np.ndarray, tz: str | None) -> list[str]:
    """``YYYY-MM-DD`` of each arrival (epoch seconds, no NaN) in ``tz`` (``None``: UTC).

    Examples
    --------
    >>> day_labels(np.array([1298973600.0]), None), day_labels(np.array([1298937600.0]), "America/New_York")
    (['2011-03-01'], ['2011-02-28'])
    """
    return [str(day) for day in _days(np.asarray(arrival, dtype="float64"), tz)]


#: Columns of ``daily_counts.csv``, in order.
DAILY_COLUMNS = ("date", "count", "covered", "from_received", "from_filename", "from_mbox_line",
                 "from_date_header", "duplicates")


def daily_counts(frame: pd.DataFrame, tz: str | None = None,
                 window: tuple[int, int] | None = None) -> pd.DataFrame:
    """Daily counts of counted messages, with the fraction of each day the inputs cover.

    Parameters
    ----------
    frame
        Classified messages (:func:`spamlab.ingest.rules.classify`) with ``arrival``,
        ``status``, ``time_source``, ``container`` and, when names carry times,
        ``name_time``.
    tz
        IANA zone of the day boundaries (``None``: UTC).
    window
        ``[start, end)`` epoch seconds of the requested days (whole days in ``tz``):
        exactly those days are listed, and coverage stops at its ends. Without it,
        every day from the first to the last counted message is listed.

    Returns
    -------
    DataFrame with the columns :data:`DAILY_COLUMNS`: ``covered`` is the fraction of
    the day (0 to 1, :func:`covered_fraction`); the counts are empty on days with
    ``covered`` 0 (gaps, never zero-filled).

    Examples
    --------
    >>> frame = pd.DataFrame({"arrival": pd.array([1299927600, 1300093200], dtype="Int64"),
    ...                       "status": ["counted"] * 2, "time_source": ["received"] * 2,
    ...                       "container": ["trap"] * 2})
    >>> daily_counts(frame)[["date", "count", "covered"]].to_dict("list")
    {'date': ['2011-03-12', '2011-03-13', '2011-03-14'], 'count': [1, 0, 1], 'covered': [0.583333, 1.0, 0.416667]}
    """
    arrival = frame["arrival"].to_numpy(dtype="float64", na_value=np.nan)
    day = pd.Series(_days(arrival, tz), index=frame.index)
    counted = frame["status"] == "counted"
    calendar = _calendar(day[counted], tz, window)
    if len(calendar) == 0:
        return pd.DataFrame({c: [] for c in DAILY_COLUMNS})
    source = frame["time_source"]
    tally = pd.DataFrame({
        "count": counted.groupby(day).sum(),
        "from_received": (counted & (source == "received")).groupby(day).sum(),
        "from_filename": (counted & (source == "filename")).groupby(day).sum(),
        "from_mbox_line": (counted & (source == "from_line")).groupby(day).sum(),
        "from_date_header": (counted & (source == "date")).groupby(day).sum(),
        "duplicates": (frame["status"] == "duplicate").groupby(day).sum(),
    }).reindex(calendar, fill_value=0).astype("int64")
    covered = covered_fraction(_spans(frame, window), _day_bounds(calendar, tz))
    table = tally.astype("Int64")
    table.loc[covered == 0, list(tally.columns)] = pd.NA
    table.insert(0, "date", calendar.strftime("%Y-%m-%d"))
    table.insert(2, "covered", covered)
    return table[list(DAILY_COLUMNS)].reset_index(drop=True)


#: End of a window open at its end (0 opens its start): year 2286, past any 10-digit time.
OPEN_END = 10**10


def _calendar(counted_days: pd.Series, tz: str | None,
              window: tuple[int, int] | None) -> pd.DatetimeIndex:
    """The listed days: the requested ones, else (or at an open end) the first or last counted."""
    start, end = window if window is not None else (0, OPEN_END)
    ends = _days(np.array([start, end - 1], dtype="float64"), tz)
    first = ends[0] if start > 0 else counted_days.min()
    last = ends[1] if end < OPEN_END else counted_days.max()
    if pd.isna(first) or pd.isna(last):
        return pd.DatetimeIndex([])
    return pd.date_range(first, last, freq="D")


def _day_bounds(calendar: pd.DatetimeIndex, tz: str | None) -> np.ndarray:
    """Epoch seconds of the start of each listed day and of the day after the last one."""
    edges = calendar.append(calendar[-1:] + pd.Timedelta(days=1))
    local = edges.tz_localize(tz or "UTC", nonexistent="shift_forward", ambiguous=False)
    return np.asarray(local.as_unit("s").asi8, dtype="float64")


#: Coverage is widened at each end of a container by its mean gap between messages, at most this.
MAX_EDGE = 3600


def span_times(frame: pd.DataFrame) -> np.ndarray:
    """Epoch seconds of the messages that show a container was recording (NaN for the others).

    Counted, duplicate and out-of-range messages with a time; for a member skipped
    unparsed by its name, the name time.
    """
    status = frame["status"]
    times = frame["arrival"].to_numpy(dtype="float64", na_value=np.nan).copy()
    if "name_time" in frame:
        skipped = np.isnan(times) & (status == "out_of_range").to_numpy()
        times[skipped] = frame["name_time"].to_numpy(dtype="float64", na_value=np.nan)[skipped]
    live = status.isin(["counted", "duplicate", "out_of_range"]).to_numpy()
    times[~live] = np.nan
    return times


def _spans(frame: pd.DataFrame, window: tuple[int, int] | None) -> np.ndarray:
    """``(start, end)`` seconds each container is taken to have recorded mail, clipped to ``window``.

    A container covers its first to its last message (counted, duplicate or out of
    range; for a member skipped by its name, the name time: :func:`span_times`),
    widened at each end by the mean gap between its messages, at most :data:`MAX_EDGE`
    (the first message of a steady stream arrives one mean gap after recording
    starts; an hour for a container of one message). Each group of isolated
    arrivals (column ``isolated`` >= 0, :func:`spamlab.ingest.rules.isolated_arrivals`)
    spans only itself, so it never stretches its container's span.
    """
    times = span_times(frame)
    live = ~np.isnan(times)
    if not live.any():
        return np.empty((0, 2))
    isolated = (frame["isolated"].to_numpy() if "isolated" in frame
                else np.full(len(frame), -1))
    stats = pd.Series(times[live]).groupby(
        [frame["container"].to_numpy()[live], isolated[live]]).agg(["min", "max", "count"])
    gaps = (stats["max"] - stats["min"]) / (stats["count"] - 1).clip(lower=1)
    edge = np.where(stats["count"] > 1, np.minimum(gaps, MAX_EDGE), MAX_EDGE)
    spans = np.column_stack([stats["min"] - edge, stats["max"] + edge])
    if window is not None:
        spans = np.clip(spans, window[0], window[1])
    return spans


def covered_fraction(spans: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Fraction of each day (``bounds[i]`` to ``bounds[i + 1]``) inside the union of ``spans``.

    Rounded to 6 decimals (about a tenth of a second).

    Examples
    --------
    >>> import numpy as np
    >>> covered_fraction(np.array([[0, 43200], [21600, 64800], [172800, 259200]]),
    ...                  np.array([0, 86400, 172800, 259200])).tolist()
    [0.75, 0.0, 1.0]
    """
    seconds = np.zeros(len(bounds) - 1)
    for start, end in _union(spans):
        seconds += np.clip(np.minimum(bounds[1:], end) - np.maximum(bounds[:-1], start), 0, None)
    return np.round(seconds / np.diff(bounds), 6)


def _union(spans: np.ndarray) -> list[tuple[float, float]]:
    """Overlapping ``(start, end)`` spans merged, in order."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(map(tuple, spans)):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


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
        "mailer": text["mailer"], "helo": text["helo"],
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

