"""``spamlab fetch``: download a public spam archive with resume and provenance.

Examples
--------
::

    spamlab fetch untroubled --months 2011-01..2011-06 --dest data/raw/untroubled

The downloading and the provenance records are :mod:`spamlab.ingest.fetch`.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from spamlab.errors import ParameterError
from spamlab.ingest.fetch import SOURCES, fetch_months, read_checksums

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the ``fetch`` arguments to ``parser``."""
    parser.add_argument("source", choices=sorted(SOURCES), help="which public archive")
    parser.add_argument("--months", required=True, metavar="YYYY-MM..YYYY-MM",
                        help="a month, a range (2011-01..2011-06) or a comma list")
    parser.add_argument("--dest", required=True, metavar="DIR", help="folder to download into")
    parser.add_argument("--base-url", metavar="URL", help="mirror or test server (default: the source's)")
    parser.add_argument("--checksums", metavar="FILE",
                        help="sha256sum-style file ('HEX  NAME' lines) to verify against")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS")
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def run_command(args: argparse.Namespace) -> int:
    """Fetch the requested months; 0 when all are present and verified."""
    base = args.base_url or SOURCES[args.source]
    expected = read_checksums(Path(args.checksums)) if args.checksums else {}
    files = fetch_months(args.source, parse_months(args.months), Path(args.dest), base_url=base,
                         expected_sha256=expected, timeout=args.timeout,
                         progress=not args.quiet)
    if not args.quiet:
        for item in files:
            verb = "downloaded" if item.downloaded else "verified"
            print(f"fetch: {verb} {item.name} ({item.size} bytes, sha256 {item.sha256[:12]}...)")
    return 0


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
