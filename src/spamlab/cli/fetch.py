"""``spamlab fetch``: download a public spam archive with resume and provenance.

Examples
--------
::

    spamlab fetch untroubled --months 2011-01..2011-06 --dest data/raw/untroubled --dry-run
    spamlab fetch untroubled --months 2011-01..2011-06 --dest data/raw/untroubled

The first command reads the archive's index page and prints which file holds
the months (``2011.7z``, once) and the size the server announces, without
downloading; the second downloads it. The downloading and the provenance
records are :mod:`spamlab.ingest.fetch`.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from spamlab.errors import ParameterError
from spamlab.ingest.fetch import (
    DEFAULT_MAX_BYTES,
    SOURCES,
    FetchedFile,
    fetch_months,
    plan_files,
    read_checksums,
    read_index,
    remote_size,
)

__all__ = [
    "configure_parser",
    "describe",
    "parse_months",
    "parse_size",
    "run_command",
]

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_SIZE = re.compile(r"^(\d+)\s*([kmgt]?)i?b?$", re.IGNORECASE)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the ``fetch`` arguments to ``parser``."""
    parser.add_argument("source", choices=sorted(SOURCES), help="which public archive")
    parser.add_argument("--months", required=True, metavar="YYYY-MM..YYYY-MM",
                        help="a month, a range (2011-01..2011-06) or a comma list; each maps to "
                             "the file holding it (YYYY.7z for early years, else YYYY-MM.7z)")
    parser.add_argument("--dest", required=True, metavar="DIR", help="folder to download into")
    parser.add_argument("--base-url", metavar="URL",
                        help="the archive's index page: a mirror or test server "
                             "(default: the source's)")
    parser.add_argument("--checksums", metavar="FILE",
                        help="sha256sum-style file ('HEX  NAME' lines) to verify against")
    parser.add_argument("--max-bytes", default=str(DEFAULT_MAX_BYTES), metavar="SIZE",
                        help="refuse or abort any download larger than this "
                             "(e.g. 500M, 20G; default 20 GiB)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print which files hold the months and their announced sizes; "
                             "download nothing")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="time allowed for each whole request (the index page, each "
                             "download attempt), not per read; past it a download goes on "
                             "only at 100 KiB/s or more on average since; default 60")
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def run_command(args: argparse.Namespace) -> int:
    """Fetch (or, with ``--dry-run``, plan) the requested months; 0 on success."""
    base = args.base_url or SOURCES[args.source]
    months, max_bytes = parse_months(args.months), parse_size(args.max_bytes)
    if args.dry_run:
        return _dry_run(base, months, args.timeout)
    expected = read_checksums(Path(args.checksums)) if args.checksums else {}
    files = fetch_months(args.source, months, Path(args.dest), base_url=base,
                         expected_sha256=expected, timeout=args.timeout,
                         progress=not args.quiet, max_bytes=max_bytes,
                         log=None if args.quiet else _log)
    if not args.quiet:
        for item in files:
            print(describe(item))
    return 0


def _dry_run(base: str, months: list[str], timeout: float) -> int:
    """Print the files holding ``months`` and their announced sizes (HEAD requests)."""
    for planned in plan_files(months, read_index(base, timeout=timeout), index_url=base):
        size = remote_size(planned.url, timeout=timeout)
        shown = f"{size} bytes" if size is not None else "size not announced"
        print(f"fetch: would download {planned.name}: {shown}, holds {_span(planned.months)}, "
              f"from {planned.url}")
    return 0


def _log(line: str) -> None:
    print(f"fetch: {line}", file=sys.stderr, flush=True)


def describe(item: FetchedFile) -> str:
    """The line printed for one file: what happened and what was checked.

    Examples
    --------
    >>> line = describe(FetchedFile("2011.7z", "u", "u", 9, "ab" * 32, "t", False,
    ...                             "present, not verified (no checksum known)", ("2011-02",)))
    >>> head, checked = line.split("; checked: ")
    >>> head
    'fetch: 2011.7z present: holds 2011-02, 9 bytes, sha256 abababababab...'
    >>> checked
    'present, not verified (no checksum known)'
    """
    verb = "downloaded" if item.downloaded else "present"
    return (f"fetch: {item.name} {verb}: holds {_span(item.months)}, {item.size} bytes, "
            f"sha256 {item.sha256[:12]}...; checked: {item.checked}")


def _span(months: tuple[str, ...]) -> str:
    return months[0] if len(months) == 1 else f"{months[0]}..{months[-1]} ({len(months)} months)"


def parse_size(text: str) -> int:
    """Bytes from ``20G``, ``500M``, ``64k`` or a plain number (binary units).

    Examples
    --------
    >>> parse_size("20G") == 20 * 1024**3, parse_size("1500")
    (True, 1500)
    """
    match = _SIZE.match(text.strip())
    if not match:
        raise ParameterError(f"--max-bytes: {text!r} is not a size (e.g. 500M, 20G, 1048576)")
    return int(match.group(1)) * 1024 ** "_kmgt".index(match.group(2).lower() or "_")


def parse_months(text: str) -> list[str]:
    """Expand ``2011-01..2011-03``, ``2011-02`` or ``2011-01,2011-05`` into months.

    Examples
    --------
    >>> parse_months("2010-11..2011-02")
    ['2010-11', '2010-12', '2011-01', '2011-02']
    >>> parse_months("2011-13")
    Traceback (most recent call last):
    ...
    spamlab.errors.ParameterError: --months: '2011-13' is not a month (YYYY-MM, 01-12)
    """
    months: list[str] = []
    for part in text.split(","):
        first, _, last = part.strip().partition("..")
        start, stop = _month_number(first), _month_number(last or first)
        if stop < start:
            raise ParameterError(f"--months: range {part.strip()!r} ends before it starts")
        months += [f"{n // 12}-{n % 12 + 1:02d}" for n in range(start, stop + 1)]
    return sorted(set(months))


def _month_number(text: str) -> int:
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ParameterError(f"--months: {text.strip()!r} is not a month (YYYY-MM, 01-12)")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1
