"""``spamlab ingest``: raw mail (mbox, maildir, folders, archives) -> daily counts.

Examples
--------
::

    spamlab ingest data/raw/untroubled/2011.7z --out counts --from 2011-02-01 --to 2011-04-30
    spamlab ingest ~/Maildir/.Spam trap.mbox --out counts --tz Europe/Berlin --workers 2
    spamlab ingest /shared/archives --out /shared/counts --engine dask --scheduler tcp://head:8786

This module parses the arguments and prints; the work is :func:`spamlab.ingest.ingest`.
"""

from __future__ import annotations

import argparse
import errno
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from spamlab.errors import ParameterError
from spamlab.ingest import IngestOptions, ingest
from spamlab.ingest.rules import ISOLATION_COUNT, ISOLATION_DAYS, ISOLATION_SHARE

__all__ = [
    "check_inputs",
    "configure_parser",
    "isolated_warning",
    "parse_duration",
    "parse_size",
    "parse_time",
    "run_command",
    "summary_line",
]

_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]?)(?:i?b)?\s*$", re.IGNORECASE)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the ``ingest`` arguments to ``parser``."""
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="mbox files (also .gz/.bz2/.xz), maildirs, folders of message files, "
                        ".7z/.zip/.tar(.gz|.bz2|.xz)")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="output folder: daily_counts.csv, events/, ingest_report.json")
    parser.add_argument("--engine", choices=("local", "dask"), default="local")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler (tcp://host:8786)")
    parser.add_argument("--workers", type=int, metavar="N", help="local processes (default: all cores)")
    parser.add_argument("--tz", metavar="ZONE", help="IANA zone for day boundaries (default UTC)")
    parser.add_argument("--duplicate-window", default="1d", metavar="DURATION",
                        help="same Message-ID within this time is a duplicate (e.g. 600, 30m, 6h, 1d)")
    parser.add_argument("--header-limit", default="64k", metavar="BYTES",
                        help="largest header block accepted (default 64k)")
    parser.add_argument("--member-limit", default="64m", metavar="BYTES",
                        help="largest message/archive member accepted (default 64m)")
    parser.add_argument("--not-after", metavar="ISO-TIME",
                        help="reject arrivals after this UTC time as in_future (default: now)")
    parser.add_argument("--from", dest="first_day", metavar="YYYY-MM-DD",
                        help="first day counted (in --tz); earlier messages are out_of_range")
    parser.add_argument("--to", dest="last_day", metavar="YYYY-MM-DD",
                        help="last day counted, inclusive; later messages are out_of_range")
    parser.add_argument("--time-source", choices=("auto", "received", "filename"),
                        default="auto",
                        help="arrival time: auto = topmost Received date, else the delivery "
                             "stamp (Unix time in the file name, or the mbox From_ line's date), "
                             "else the sender's Date (default); received = stamps ignored; "
                             "filename = the stamp, else Received, else Date")
    parser.add_argument("--isolation-days", type=float, default=ISOLATION_DAYS, metavar="DAYS",
                        help="arrivals cut off from the rest of their container by more than "
                             f"DAYS days without mail may be isolated (default {ISOLATION_DAYS:g})")
    parser.add_argument("--isolation-share", type=float, default=ISOLATION_SHARE,
                        metavar="SHARE", help="... when their group holds at most this share of "
                        f"the container's arrivals (default {ISOLATION_SHARE:g}) ...")
    parser.add_argument("--isolation-count", type=int, default=ISOLATION_COUNT, metavar="N",
                        help="... or at most N arrivals (default "
                             f"{ISOLATION_COUNT}); isolated arrivals are counted but do not "
                             "extend the recorded span (the days between are gaps)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary")


#: the largest --header-limit / --member-limit (1 TiB) and --duplicate-window (ten years)
MAX_SIZE, MAX_DURATION = 1 << 40, 3650 * 86400


def check_inputs(paths: list[str]) -> None:
    """Refuse an input that is a symbolic link loop, or that overlaps another input (the same
    file or folder under two names, or one inside the other): one line, not a traceback.

    Examples
    --------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> os.symlink(f"{folder}/b", f"{folder}/a"); os.symlink(f"{folder}/a", f"{folder}/b")
    >>> check_inputs([f"{folder}/a"])
    Traceback (most recent call last):
    spamlab.errors.ParameterError: .../a: a symbolic link loop (it leads back to itself); give the file or folder itself
    """
    resolved: dict[str, Path] = {}
    for path in paths:
        try:
            resolved[path] = Path(path).resolve(strict=True)
        except RuntimeError:  # Python's "symlink loop" (3.11-3.12)
            raise ParameterError(f"{path}: a symbolic link loop (it leads back to itself); give "
                                 f"the file or folder itself") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ParameterError(f"{path}: a symbolic link loop (it leads back to itself); "
                                     f"give the file or folder itself") from None
    _refuse_overlap(resolved)


def _refuse_overlap(resolved: dict[str, Path]) -> None:
    """Refuse two inputs where one is the other (a link to it) or lies inside it: their
    messages would be read twice, and those without a Message-ID counted twice."""
    items = list(resolved.items())
    identity = {path: (info.st_dev, info.st_ino)
                for path, info in ((p, os.stat(p)) for p in resolved.values())}
    for i, (one, first) in enumerate(items):
        for other, second in items[i + 1:]:
            if first == second or identity[first] == identity[second]:  # a link, or a hard link
                raise ParameterError(f"{one} and {other} are the same input (one leads to the "
                                     f"other); give it once")
            inner, outer = (other, one) if second.is_relative_to(first) else (one, other)
            if second.is_relative_to(first) or first.is_relative_to(second):
                raise ParameterError(f"{inner} lies inside {outer}, also given: its messages "
                                     f"would be read twice; give {outer} alone")


def run_command(args: argparse.Namespace) -> int:
    """Run the ingestion; 0 on success, 1 when some container could not be read to the end."""
    check_inputs(args.paths)
    options = IngestOptions(
        tz=args.tz,
        duplicate_window=parse_duration(args.duplicate_window, "--duplicate-window"),
        header_limit=parse_size(args.header_limit, "--header-limit"),
        member_limit=parse_size(args.member_limit, "--member-limit"),
        not_after=parse_time(args.not_after, "--not-after") if args.not_after else None,
        time_source=args.time_source, first_day=args.first_day, last_day=args.last_day,
        isolation_days=args.isolation_days, isolation_share=args.isolation_share,
        isolation_count=args.isolation_count,
    )
    result = ingest(args.paths, args.out, engine=args.engine, workers=args.workers,
                    scheduler=args.scheduler, options=options, progress=not args.quiet)
    report = result.report
    if not args.quiet:
        print(summary_line(report, args.out))
    for error in report["errors"]:
        print(f"spamlab ingest: warning: {error}", file=sys.stderr)
    isolated = isolated_warning(report.get("isolated_arrivals", {}))
    if isolated:
        print(f"spamlab ingest: warning: {isolated}", file=sys.stderr)
    return 1 if report["errors"] else 0


def isolated_warning(summary: dict) -> str:
    """The warning naming isolated arrivals (count, days, first messages), or ``""`` if none.

    Examples
    --------
    >>> isolated_warning({"messages": 1, "days": ["2012-02-27"], "listed": [
    ...     {"container": "trap.mbox", "member": "@175", "time_source": "date"}]})
    ... # doctest: +NORMALIZE_WHITESPACE
    '1 isolated arrival(s) on 2012-02-27 (trap.mbox@175 dated by date), far from the rest of
    their container: counted on their day, the days between are gaps, not zeros; check them
    (ingest_report.json: isolated_arrivals)'
    """
    count = summary.get("messages", 0)
    if not count:
        return ""
    days = summary["days"]
    shown = ", ".join(days[:5]) + (f" and {len(days) - 5} more days" if len(days) > 5 else "")
    names = ", ".join(f"{_where(item)} dated by {item['time_source']}"
                      for item in summary["listed"][:3])
    more = " ..." if count > 3 else ""
    return (f"{count} isolated arrival(s) on {shown} ({names}{more}), far from the rest of their "
            "container: counted on their day, the days between are gaps, not zeros; check them "
            "(ingest_report.json: isolated_arrivals)")


def summary_line(report: dict, out: str) -> str:
    """One line summarising an ingestion report.

    Examples
    --------
    >>> summary_line({"messages_seen": 4, "messages_counted": 1, "duplicates": 1,
    ...               "rejected_total": 1, "rejected": {"empty": 1, "in_future": 0},
    ...               "out_of_range": 1}, "out")
    'ingest: 4 messages seen: 1 counted, 1 duplicates, 1 rejected (empty 1), 1 out of range -> out'
    """
    reasons = ", ".join(f"{k} {v}" for k, v in report["rejected"].items() if v)
    detail = f" ({reasons})" if reasons else ""
    outside = report.get("out_of_range", 0)
    return (f"ingest: {report['messages_seen']} messages seen: {report['messages_counted']} "
            f"counted, {report['duplicates']} duplicates, {report['rejected_total']} rejected"
            f"{detail}{f', {outside} out of range' if outside else ''} -> {out}")


def _where(item: dict) -> str:
    """``container/member`` (``container@offset`` for an mbox message) of a report entry."""
    member = str(item["member"])
    return f"{item['container']}{'' if member.startswith('@') else '/'}{member}"


def parse_size(text: str, name: str) -> int:
    """Bytes from ``123``, ``64k``, ``64MiB``, ``1g`` (binary units).

    Examples
    --------
    >>> parse_size("64k", "--header-limit")
    65536
    >>> parse_size("lots", "--header-limit")
    Traceback (most recent call last):
    ...
    spamlab.errors.ParameterError: --header-limit: 'lots' is not a size (use e.g. 65536, 64k, 64m)
    """
    match = _SIZE.match(text)
    if not match or int(match.group(1)) == 0:
        raise ParameterError(f"{name}: {text!r} is not a size (use e.g. 65536, 64k, 64m)")
    size = int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]
    if size > MAX_SIZE:
        raise ParameterError(f"{name}: {text!r} is more than spamlab reads of one message or "
                             f"member ({MAX_SIZE >> 40} TiB); give a smaller size, e.g. 64m")
    return size


def parse_duration(text: str, name: str) -> int:
    """Seconds from ``600``, ``30m``, ``6h``, ``1d``.

    Examples
    --------
    >>> parse_duration("6h", "--duplicate-window")
    21600
    """
    match = _DURATION.match(text)
    if not match:
        raise ParameterError(f"{name}: {text!r} is not a duration (use e.g. 600, 30m, 6h, 1d)")
    seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2).lower()]
    if not seconds <= MAX_DURATION:
        raise ParameterError(f"{name}: {text!r} is longer than {MAX_DURATION // 86400} days; "
                             f"give a shorter duration, e.g. 1d")
    return int(seconds)


def parse_time(text: str, name: str) -> int:
    """Epoch seconds of an ISO 8601 time (UTC when no zone is given).

    Examples
    --------
    >>> parse_time("2011-03-16", "--not-after")
    1300233600
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ParameterError(f"{name}: {text!r} is not an ISO time (e.g. 2011-12-31T23:59)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())
