"""Download a public spam archive with resume and provenance (``spamlab fetch``).

The one source supported so far is untroubled.org's monthly spam archive
(one ``YYYY-MM.7z`` file per month, one message per file inside).

Downloads go to ``NAME.part`` and resume with an HTTP ``Range`` request when
interrupted; the file is renamed into place only once its size matches what
the server announced (and its SHA-256 matches the expected one when given).
Every file is recorded in ``DEST/sources.json`` (source URL, retrieval time,
bytes, SHA-256), rendered as ``DEST/PROVENANCE.md`` in the style of
``data/raw/README.md``. An already recorded file is verified, not downloaded.
The command line is in :mod:`spamlab.cli.fetch`.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from spamlab.errors import DataError
from spamlab.ingest.outputs import write_atomic

SOURCES = {"untroubled": "http://untroubled.org/spam/"}
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class FetchedFile:
    """One downloaded (or verified) file and its provenance."""

    name: str
    url: str
    size: int
    sha256: str
    retrieved: str
    downloaded: bool


def read_checksums(path: Path) -> dict[str, str]:
    """``{file name: sha256}`` from a ``sha256sum``-style file.

    Raises
    ------
    DataError
        Naming the file and line of a malformed entry.
    """
    table: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DataError(f"{path}: cannot read checksums ({exc.strerror})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        match = re.match(r"^([0-9a-fA-F]{64})\s+\*?(\S.*)$", line.strip())
        if not match:
            raise DataError(f"{path}: line {number}: expected 'SHA256  NAME', got {line!r}")
        table[Path(match.group(2)).name] = match.group(1).lower()
    return table


def fetch_months(source: str, months: list[str], dest: Path, *, base_url: str,
                 expected_sha256: dict[str, str] | None = None, timeout: float = 60.0,
                 progress: bool = False) -> list[FetchedFile]:
    """Download (or verify) one archive per month and record provenance in ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    ledger = _load_ledger(dest)
    fetched = []
    for month in months:
        name = f"{month}.7z"
        url = base_url.rstrip("/") + "/" + name
        item = _fetch_one(url, dest / name, ledger.get(name), (expected_sha256 or {}).get(name),
                          timeout, progress)
        ledger[name] = {"source": source, "url": item.url, "retrieved": item.retrieved,
                        "bytes": item.size, "sha256": item.sha256}
        _save_ledger(dest, ledger)
        fetched.append(item)
    return fetched


def _fetch_one(url: str, target: Path, record: dict[str, Any] | None, expected: str | None,
               timeout: float, progress: bool) -> FetchedFile:
    if target.is_file():
        digest = sha256_of(target)
        known = expected or (record or {}).get("sha256")
        if known and digest != known:
            raise DataError(f"{target}: sha256 {digest} does not match the recorded {known}; "
                            "delete the file to download it again")
        retrieved = (record or {}).get("retrieved", "unknown (file was already present)")
        return FetchedFile(target.name, (record or {}).get("url", url), target.stat().st_size,
                           digest, retrieved, False)
    partial = target.with_name(target.name + ".part")
    total = _download(url, partial, timeout, progress)
    size = partial.stat().st_size
    if total is not None and size != total:
        raise DataError(f"{url}: got {size} of {total} bytes; run the command again to resume")
    digest = sha256_of(partial)
    if expected and digest != expected:
        partial.unlink()
        raise DataError(f"{url}: sha256 {digest} does not match the expected {expected}")
    partial.replace(target)
    retrieved = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return FetchedFile(target.name, url, size, digest, retrieved, True)


def _download(url: str, partial: Path, timeout: float, progress: bool) -> int | None:
    """Append the missing bytes of ``url`` to ``partial``; return the announced total size."""
    offset = partial.stat().st_size if partial.is_file() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={offset}-"} if offset else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            return offset  # nothing left to fetch: the part file is complete
        raise DataError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DataError(f"{url}: cannot connect ({getattr(exc, 'reason', exc)})") from None
    with response:
        resumed = response.status == 206
        total = _announced_total(response, offset if resumed else 0)
        mode = "ab" if resumed else "wb"
        with open(partial, mode) as sink, _bar(progress, partial.name, total,
                                               offset if resumed else 0) as bar:
            _copy(response, sink, bar, url)
    return total


def _announced_total(response: Any, offset: int) -> int | None:
    content_range = response.headers.get("Content-Range", "")
    match = re.match(r"bytes \d+-\d+/(\d+)", content_range)
    if match:
        return int(match.group(1))
    length = response.headers.get("Content-Length")
    return offset + int(length) if length and length.isdigit() else None


def _copy(response: Any, sink: Any, bar: Any, url: str) -> None:
    """Copy the body in chunks; an interrupted transfer keeps what arrived for a resume."""
    try:
        while True:
            chunk = response.read(_CHUNK)
            if not chunk:
                return
            sink.write(chunk)
            bar.update(len(chunk))
    except (http.client.IncompleteRead, ConnectionError, TimeoutError) as exc:
        if isinstance(exc, http.client.IncompleteRead):
            sink.write(exc.partial)
        sink.flush()
        raise DataError(f"{url}: download interrupted ({type(exc).__name__}); "
                        "run the command again to resume") from None


def _bar(enabled: bool, name: str, total: int | None, initial: int) -> Any:
    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, desc=name,
                disable=not (enabled and sys.stderr.isatty()), file=sys.stderr)


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _load_ledger(dest: Path) -> dict[str, dict[str, Any]]:
    path = dest / "sources.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError, TypeError):
        raise DataError(f"{path}: not a spamlab provenance file (expected a 'files' object)") from None


def _save_ledger(dest: Path, ledger: dict[str, dict[str, Any]]) -> None:
    text = json.dumps({"files": dict(sorted(ledger.items()))}, indent=2, sort_keys=True) + "\n"
    write_atomic(dest / "sources.json", text.encode("utf-8"))
    write_atomic(dest / "PROVENANCE.md", provenance_markdown(ledger).encode("utf-8"))


def provenance_markdown(ledger: dict[str, dict[str, Any]]) -> str:
    """The ``PROVENANCE.md`` text for the recorded files.

    Examples
    --------
    >>> print(provenance_markdown({"2011-01.7z": {"source": "untroubled", "url": "http://x/2011-01.7z",
    ...       "retrieved": "2026-01-01T00:00:00Z", "bytes": 3, "sha256": "ab"}}).splitlines()[0])
    # Provenance of the files in this folder
    """
    lines = [
        "# Provenance of the files in this folder", "",
        "Written by `spamlab fetch`; raw inputs, never edit them. Licence: not stated by the",
        "tool; check the terms of the source site before redistributing.", "",
        "| file | source | URL | retrieved (UTC) | bytes | sha256 |",
        "|---|---|---|---|---|---|",
    ]
    for name, entry in sorted(ledger.items()):
        lines.append(f"| {name} | {entry['source']} | {entry['url']} | {entry['retrieved']} | "
                     f"{entry['bytes']} | `{entry['sha256']}` |")
    return "\n".join(lines) + "\n"
