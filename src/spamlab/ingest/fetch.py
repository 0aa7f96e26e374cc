"""Download a public spam archive with resume and provenance (``spamlab fetch``).

The one source supported so far is untroubled.org's spam-trap archive. It is
published as **one file per year** for the early years (``1998.7z`` ...
``2012.7z``) and one ``YYYY-MM.7z`` per month for recent ones; the archive's
index page (an HTML directory listing) links both. :func:`fetch_months` reads
that index, maps each requested month to the file holding it (the yearly file
when the year has one, else the monthly file) and downloads each file once. A
month that no listed file holds is an error naming what the index offers,
raised before anything is downloaded.

Downloads are safe to interrupt and resume:

- bytes go to ``NAME.part``; ``NAME.part.json`` records the URL and the
  validator (strong ``ETag``, else ``Last-Modified``) seen when the download
  started. A resume sends ``Range`` with ``If-Range`` set to that validator, so
  a file that changed on the server is sent whole (HTTP 200) and the download
  restarts from byte 0 instead of splicing two versions. A ``.part`` without a
  recorded validator is never resumed.
- a ``416`` (e.g. a leftover ``.part`` longer than the remote file) restarts
  from byte 0; it is never taken as "complete".
- a server that ignores ``Range`` (200) or answers with a 206 from byte 0 has
  the ``.part`` truncated and rewritten, never appended to; a 206 starting at
  any other byte is refused.
- the size must equal what the server announced, and no download may exceed
  ``max_bytes`` (default 20 GiB), announced or not.

Nothing is trusted: only http(s) URLs are followed (an index link or redirect
to ``file:``, ``data:``, ``ftp:`` ... is refused, naming it); a 206 is spliced
only when it carries the same validator as the partial download, else the
download restarts from byte 0; each request (the index page, each download
attempt) has one deadline for the whole transfer, not per socket read:
``timeout`` seconds for the index page; a download may go on past it only while it
has brought at least 100 KiB per second of the time since (a slow-trickling server is
cut off, a large file at a normal speed is not); a body declared ``text/*`` or not
starting with the 7z signature is refused. The file is renamed into place only after these checks (and the
SHA-256 check when an expected digest is given), and the ledger is validated
before anything is downloaded and written only after the file is in place. Each downloaded file is recorded in
``DEST/sources.json`` (the URL requested, the final URL after redirects,
retrieval time, bytes, SHA-256), rendered as ``DEST/PROVENANCE.md`` in the
style of ``data/raw/README.md``. A file already present is not downloaded
again; :attr:`FetchedFile.checked` says what was checked (its SHA-256 against
the given checksums, against the ledger, or nothing).
The command line is in :mod:`spamlab.cli.fetch`.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import json
import math
import os
import re
import stat
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from spamlab.errors import DataError, ParameterError
from spamlab.ingest.outputs import write_atomic
from spamlab.ingest.watchdog import DeadlinePassed, open_by

__all__ = [
    "ARCHIVE_NAME",
    "DEFAULT_MAX_BYTES",
    "SEVEN_Z_SIGNATURE",
    "SOURCES",
    "ArchiveFile",
    "FetchedFile",
    "Log",
    "check_timeout",
    "describe_offer",
    "fetch_months",
    "plan_files",
    "provenance_markdown",
    "read_checksums",
    "read_index",
    "remote_size",
    "sha256_of",
]

SOURCES = {"untroubled": "http://untroubled.org/spam/"}
#: names of archive files on the index page: ``2011.7z`` (a year) or ``2023-02.7z`` (a month)
ARCHIVE_NAME = re.compile(r"^(\d{4})(?:-(\d{2}))?\.7z$")
#: default cap on one download, announced or not (``--max-bytes``)
DEFAULT_MAX_BYTES = 20 * 1024**3
_CHUNK = 1024 * 1024
_INDEX_LIMIT = 16 * 1024 * 1024
_LINK = re.compile(r"""href\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
#: the first bytes of every 7z archive
SEVEN_Z_SIGNATURE = b"7z\xbc\xaf\x27\x1c"
_SCHEMES = ("http", "https")
#: past --timeout a download must have brought this many bytes per second of the time since
_MIN_RATE = 100 * 1024
_DIGITS = re.compile(r"[0-9]+", re.ASCII)

Log = Callable[[str], None]


@dataclass(frozen=True)
class ArchiveFile:
    """One file of the archive and the requested months it holds."""

    name: str
    url: str
    months: tuple[str, ...]


@dataclass(frozen=True)
class FetchedFile:
    """One downloaded (or already present) file and its provenance.

    ``url`` is where the bytes came from (the final URL after redirects),
    ``requested_url`` the URL asked for; ``checked`` says in words what was
    verified, e.g. ``"present, not verified (no checksum known)"``.
    """

    name: str
    url: str
    requested_url: str
    size: int
    sha256: str
    retrieved: str
    downloaded: bool
    checked: str
    months: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Options:
    timeout: float
    progress: bool
    max_bytes: int
    log: Log


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
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not a UTF-8 text file (byte {exc.start}); expected "
                        "sha256sum-style 'SHA256  NAME' lines") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        match = re.match(r"^([0-9a-fA-F]{64})\s+\*?(\S.*)$", line.strip())
        if not match:
            raise DataError(f"{path}: line {number}: expected 'SHA256  NAME', got {line!r}")
        table[Path(match.group(2)).name] = match.group(1).lower()
    return table


def read_index(base_url: str, *, timeout: float = 60.0) -> dict[str, str]:
    """``{file name: absolute URL}`` of the archive files linked from the index page.

    Links are kept when their last path segment matches :data:`ARCHIVE_NAME`
    (``2011.7z``, ``2023-02.7z``); relative links are resolved against the
    index's final URL (after redirects).

    Raises
    ------
    DataError
        When the page cannot be read within ``timeout`` seconds (the whole
        transfer), links no archive file, or links one that is not http(s) or
        not a valid URL.
    """
    index_url = base_url.rstrip("/") + "/"
    _check_url(index_url, "--base-url")
    deadline = time.monotonic() + check_timeout(timeout)
    with _open(urllib.request.Request(index_url), timeout, deadline=deadline) as response:
        final = response.geturl()
        page = _read_page(response, final, deadline).decode("utf-8", errors="replace")
    offered = {}
    # each distinct link once, and only an archive's name resolved: a hostile page of a
    # million links costs a pass over its text, within the same deadline as its transfer
    for number, href in enumerate(dict.fromkeys(_LINK.findall(page))):
        if number % 4096 == 0:
            _check_deadline(deadline, index_url)
        try:
            path = urllib.parse.unquote(urllib.parse.urlsplit(href).path)
            name = path.rsplit("/", 1)[-1]
            url = urllib.parse.urljoin(final, href) if ARCHIVE_NAME.match(name) else ""
        except ValueError:
            if ARCHIVE_NAME.match(href.rsplit("/", 1)[-1]):
                raise DataError(f"{index_url}: the index links {href!r}, which is not a valid "
                                "URL; use a mirror whose index is well formed") from None
            continue
        if url:
            _check_url(url, f"the index {index_url} links {href!r}, which")
            offered[name] = url
    if not offered:
        raise DataError(f"{index_url}: the index page links no archive files (names like "
                        "2011.7z or 2023-02.7z); is --base-url the archive's folder?")
    return offered


def check_timeout(timeout: float) -> float:
    """``timeout`` when it is a finite number of seconds above 0.

    Raises
    ------
    ParameterError
        For 0, negative, NaN or infinite values.
    """
    if not (isinstance(timeout, int | float) and math.isfinite(timeout) and timeout > 0):
        raise ParameterError(f"--timeout: {timeout!r} is not a number of seconds above 0 "
                             "(e.g. 60)")
    return float(timeout)


def _check_url(url: str, what: str) -> None:
    """Refuse any URL but http(s): ``file:``, ``data:``, ``ftp:`` ... would copy other data."""
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in _SCHEMES:
        raise DataError(f"{what} is not an http(s) URL ({url!r}); spamlab fetch downloads only "
                        "over http or https")


def _read_page(response: Any, url: str, deadline: float) -> bytes:
    """The body, failing when ``deadline`` passes or the page is over the index limit (a
    page cut there would silently lose the links after the cut)."""
    chunks: list[bytes] = []
    size = 0
    while size <= _INDEX_LIMIT:
        _check_deadline(deadline, url)
        try:
            chunk = response.read1(min(_CHUNK, _INDEX_LIMIT + 1 - size))
        except (http.client.HTTPException, OSError) as exc:
            raise DataError(f"{url}: reading the index failed ({type(exc).__name__})") from None
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    raise DataError(f"{url}: the index page is larger than {_INDEX_LIMIT // 1024**2} MiB, far "
                    "more than an archive's index; is --base-url the archive's folder?")


def _check_deadline(deadline: float | None, url: str) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise DataError(f"{url}: the transfer did not finish within --timeout; "
                        "raise --timeout or try again later")


def plan_files(months: list[str], offered: Mapping[str, str], *,
               index_url: str = "the index") -> list[ArchiveFile]:
    """The files holding ``months``: ``YYYY.7z`` where offered, else ``YYYY-MM.7z``.

    Raises
    ------
    DataError
        Naming the months no offered file holds and what the index offers.

    Examples
    --------
    >>> plan = plan_files(["2011-02", "2011-03", "2023-02"],
    ...                   {"2011.7z": "u/2011.7z", "2023-02.7z": "u/2023-02.7z"})
    >>> [(f.name, f.months) for f in plan]
    [('2011.7z', ('2011-02', '2011-03')), ('2023-02.7z', ('2023-02',))]
    """
    holding: dict[str, list[str]] = {}
    missing = []
    for month in sorted(months):
        yearly, monthly = f"{month[:4]}.7z", f"{month}.7z"
        name = yearly if yearly in offered else monthly if monthly in offered else None
        if name is None:
            missing.append(month)
        else:
            holding.setdefault(name, []).append(month)
    if missing:
        raise DataError(f"no file listed at {index_url} holds {', '.join(missing)}; it offers "
                        f"{describe_offer(offered)}")
    return [ArchiveFile(name, offered[name], tuple(held)) for name, held in holding.items()]


def describe_offer(names: Mapping[str, str] | list[str]) -> str:
    """Archive file names compressed into runs, for messages.

    Examples
    --------
    >>> describe_offer(["1998.7z", "1999.7z", "2000.7z", "2012.7z", "2023-01.7z", "2023-02.7z"])
    'yearly 1998.7z..2000.7z, 2012.7z; monthly 2023-01.7z..2023-02.7z'
    """
    yearly, monthly = [], []
    for name in names:
        match = ARCHIVE_NAME.match(name)
        if match and match.group(2):
            monthly.append(int(match.group(1)) * 12 + int(match.group(2)) - 1)
        elif match:
            yearly.append(int(match.group(1)))
    parts = []
    if yearly:
        parts.append("yearly " + _runs(yearly, lambda year: f"{year}.7z"))
    if monthly:
        parts.append("monthly " + _runs(monthly, lambda n: f"{n // 12}-{n % 12 + 1:02d}.7z"))
    return "; ".join(parts) or "no archive files"


def _runs(keys: list[int], label: Callable[[int], str]) -> str:
    ordered = sorted(set(keys))
    runs: list[list[int]] = []
    for key in ordered:
        if runs and key == runs[-1][1] + 1:
            runs[-1][1] = key
        else:
            runs.append([key, key])
    return ", ".join(label(a) if a == b else f"{label(a)}..{label(b)}" for a, b in runs)


def fetch_months(source: str, months: list[str], dest: Path, *, base_url: str,
                 expected_sha256: dict[str, str] | None = None, timeout: float = 60.0,
                 progress: bool = False, max_bytes: int = DEFAULT_MAX_BYTES,
                 log: Log | None = None) -> list[FetchedFile]:
    """Download (or check) the archive files holding ``months``; record provenance in ``dest``.

    Parameters
    ----------
    source
        Name recorded in the ledger (``"untroubled"``).
    months
        ``YYYY-MM`` strings; each maps to one file of the index at ``base_url``
        (see :func:`plan_files`); a file holding several months is fetched once.
    dest
        Folder for the files, ``sources.json`` and ``PROVENANCE.md``.
    expected_sha256
        ``{file name: sha256}`` to verify against (``--checksums``).
    timeout, progress
        Seconds allowed for each whole request (the index page, each download
        attempt: one deadline, not per socket read; past it a download goes on
        only at 100 KiB/s or more on average since); a progress bar on a terminal.
    max_bytes
        Largest download accepted, whether or not the server announces a size.
    log
        Called with one line per notable step (sizes announced, restarts).

    Examples
    --------
    ::

        fetch_months("untroubled", ["2011-02", "2011-03"], Path("raw"),
                     base_url=SOURCES["untroubled"])   # downloads 2011.7z once
    """
    options = _Options(check_timeout(timeout), progress, max_bytes, log or (lambda line: None))
    if dest.exists() and not dest.is_dir():
        raise DataError(f"--dest {dest}: exists and is not a folder; name a folder to download into")
    ledger = _load_ledger(dest)
    offered = read_index(base_url, timeout=timeout)
    plan = plan_files(months, offered, index_url=base_url)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"--dest {dest}: cannot create the folder ({exc.strerror})") from None
    fetched = []
    for item in plan:
        result = _fetch_one(item, dest / item.name, ledger.get(item.name),
                            (expected_sha256 or {}).get(item.name), options)
        if result.downloaded:
            ledger[item.name] = {"source": source, "url": result.url,
                                 "requested_url": result.requested_url,
                                 "retrieved": result.retrieved, "bytes": result.size,
                                 "sha256": result.sha256}
            _save_ledger(dest, ledger)
        fetched.append(result)
    return fetched


def remote_size(url: str, *, timeout: float = 60.0) -> int | None:
    """The size a server announces for ``url`` (a HEAD request), ``None`` when it does not."""
    with _open(urllib.request.Request(url, method="HEAD"), check_timeout(timeout)) as response:
        length = response.headers.get("Content-Length", "")
    return int(length) if _DIGITS.fullmatch(length) else None


def _open(request: urllib.request.Request, timeout: float, *, allow: int = 0,
          deadline: float | None = None) -> Any:
    """The response to ``request`` (redirects followed); ``None`` for HTTP status ``allow``.

    Connecting, redirects and the response headers must all be in before
    ``deadline`` (``timeout`` from now when not given): a server that trickles
    its headers is cut off then, not waited for byte by byte. A redirect to
    anything but http(s) is refused.
    """
    if deadline is None:
        deadline = time.monotonic() + timeout
    _check_deadline(deadline, request.full_url)
    timeout = max(0.01, min(timeout, deadline - time.monotonic()))
    try:
        response = open_by(request, timeout, deadline)
    except DeadlinePassed:
        raise DataError(f"{request.full_url}: no answer within --timeout (the server sent "
                        "too little too slowly); raise --timeout or try again later") from None
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == allow:
            return None
        reason = " ".join(str(exc.reason).split())  # one line (a redirect loop's has three)
        raise DataError(f"{request.full_url}: HTTP {exc.code} {reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DataError(f"{request.full_url}: cannot connect "
                        f"({getattr(exc, 'reason', exc)})") from None
    except (http.client.HTTPException, ValueError) as exc:
        raise DataError(f"{request.full_url}: invalid answer or URL ({exc})") from None
    if urllib.parse.urlsplit(response.geturl()).scheme.lower() not in _SCHEMES:
        response.close()
        raise DataError(f"{request.full_url}: redirected to {response.geturl()!r}, which is not "
                        "http(s); refused")
    return response


def _fetch_one(item: ArchiveFile, target: Path, record: dict[str, Any] | None,
               expected: str | None, options: _Options) -> FetchedFile:
    if target.is_file():
        return _present(item, target, record, expected)
    partial = target.with_name(target.name + ".part")
    for path in (partial, _state_path(partial)):
        _check_regular(path)
    final_url, total = _download(item.url, partial, options)
    size = partial.stat().st_size
    if total is not None and size != total:
        if size > total:
            _discard(partial)
        raise DataError(f"{final_url}: got {size} of {total} bytes; run the command again "
                        + ("to download it again" if size > total else "to resume"))
    _check_signature(partial, final_url)
    digest = sha256_of(partial)
    checked = "size matches what the server announced" if total is not None else \
        "size not announced by the server (no Content-Length)"
    if expected:
        if digest != expected:
            _discard(partial)
            raise DataError(f"{final_url}: sha256 {digest} does not match the expected {expected}")
        checked += "; sha256 matches --checksums"
    partial.replace(target)
    _state_path(partial).unlink(missing_ok=True)
    retrieved = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return FetchedFile(target.name, final_url, item.url, size, digest, retrieved, True, checked,
                       item.months)


def _check_regular(path: Path) -> None:
    """Refuse a leftover ``NAME.part`` (or its state) that is a folder, link or device."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise DataError(f"{path}: exists and is not a regular file (a folder or link?); "
                        "remove it and run the command again")


def _head(path: Path) -> bytes | None:
    """The first 64 bytes of ``path``, ``None`` when they do not start like a 7z archive."""
    with open(path, "rb") as stream:
        head = stream.read(64)
    return None if head.startswith(SEVEN_Z_SIGNATURE) else head


def _check_signature(partial: Path, url: str) -> None:
    """Refuse (and delete) a download that does not start like a 7z archive."""
    head = _head(partial)
    if head is None:
        return
    _discard(partial)
    raise DataError(f"{url}: the server sent something that is not a 7z archive (it starts "
                    f"{head[:40]!r}); refused and deleted; check --base-url or try again later")


def _present(item: ArchiveFile, target: Path, record: dict[str, Any] | None,
             expected: str | None) -> FetchedFile:
    """A file already in ``dest``: checked against what is known, never downloaded.

    It must start like a 7z archive whatever the ledger says (an error page saved
    by hand or by another tool is named, not passed on to ``spamlab ingest``).
    """
    head = _head(target)
    if head is not None:
        raise DataError(f"{target}: already in --dest but not a 7z archive (it starts "
                        f"{head[:40]!r}); delete it to download it again")
    digest = sha256_of(target)
    known, against = (expected, "--checksums") if expected else \
        ((record or {}).get("sha256"), "the ledger (sources.json)")
    if known and digest != known:
        raise DataError(f"{target}: sha256 {digest} does not match {against} ({known}); "
                        "delete the file to download it again")
    checked = f"sha256 matches {against}" if known else "present, not verified (no checksum known)"
    record = record or {}
    return FetchedFile(target.name, record.get("url", "unknown (file was already present)"),
                       item.url, target.stat().st_size, digest,
                       record.get("retrieved", "unknown (file was already present)"), False,
                       checked, item.months)


def _download(url: str, partial: Path, options: _Options) -> tuple[str, int | None]:
    """Fetch ``url`` into ``partial``, resuming when safe; (final URL, announced size)."""
    offset = partial.stat().st_size if partial.is_file() else 0
    state = _load_state(partial)
    if offset and not (state.get("url") == url and _validator(state)):
        options.log(f"{partial.name}: {offset} bytes from an earlier download with no recorded "
                    "ETag/Last-Modified cannot be checked; starting again from byte 0")
        offset = 0
    result = _attempt(url, partial, offset, state, options)
    if result is None:
        options.log(f"{partial.name}: the server did not resume from byte {offset} "
                    "(the file changed or the part is too long); starting again from byte 0")
        _discard(partial)
        result = _attempt(url, partial, 0, {}, options)
    if result is None:  # a request without Range is never refused as a resume
        raise DataError(f"{url}: the server refused a fresh download")
    return result


def _attempt(url: str, partial: Path, offset: int, state: dict[str, str],
             options: _Options) -> tuple[str, int | None] | None:
    """One request; ``None`` when resuming from ``offset`` is impossible (restart from 0)."""
    headers = {"Range": f"bytes={offset}-", "If-Range": _validator(state)} if offset else {}
    deadline = time.monotonic() + options.timeout
    response = _open(urllib.request.Request(url, headers=headers), options.timeout,
                     allow=416 if offset else 0, deadline=deadline)
    if response is None:
        return None  # 416: the part is longer than the file (or the server cannot resume)
    with response:
        final = response.geturl()
        declared = response.headers.get("Content-Type", "")
        if declared.lower().startswith("text/"):
            raise DataError(f"{final}: the server sent {declared!r} (HTTP {response.status}), "
                            "not a 7z archive; check --base-url or try again later")
        start, total = _body_start(response, offset, final)
        if start and _validator(_response_state(url, response)) != _validator(state):
            return None  # a 206 of another (or an unknown) version of the file
        if total is not None and total > options.max_bytes:
            raise DataError(f"{final}: the server announces {total} bytes, more than the "
                            f"--max-bytes limit of {options.max_bytes}; raise it to download")
        if start == 0:
            if offset:
                options.log(f"{partial.name}: the server sent the whole file; "
                            "rewriting the partial download from byte 0")
            _save_state(partial, _response_state(url, response))
        options.log(f"downloading {partial.name[:-5]}: {_size_text(total)} from {final}")
        _write_body(response, partial, start, total, options, final, deadline)
    return final, total


def _body_start(response: Any, offset: int, url: str) -> tuple[int, int | None]:
    """Where the body starts in the file, and the file's announced size."""
    length = response.headers.get("Content-Length", "")
    if response.status != 206:
        return 0, int(length) if _DIGITS.fullmatch(length) else None
    match = re.match(r"bytes (\d+)-(\d+)/(\d+|\*)", response.headers.get("Content-Range", ""))
    if not match:
        raise DataError(f"{url}: a partial answer (206) without a valid Content-Range "
                        f"({response.headers.get('Content-Range')!r}); refusing to splice")
    start = int(match.group(1))
    if start not in (0, offset):
        raise DataError(f"{url}: asked for bytes {offset}- but the server sent bytes "
                        f"{match.group(0)[6:]}; refusing to splice them into the download")
    return start, int(match.group(3)) if match.group(3) != "*" else None


def _write_body(response: Any, partial: Path, start: int, total: int | None,
                options: _Options, url: str, deadline: float) -> None:
    """Write the body at ``start`` (truncating the file there), at most ``max_bytes`` in all.

    The part is opened with ``O_NOFOLLOW``: a link planted in ``--dest`` after
    :func:`_check_regular` looked is refused by the kernel, never written through.
    """
    try:
        fd = os.open(partial, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        raise DataError(f"{partial}: is a symbolic link; spamlab fetch never writes through a "
                        "link in --dest (remove it and run the command again)") from None
    with os.fdopen(fd, "r+b") as sink, _bar(options.progress, partial.name, total, start) as bar:
        sink.seek(start)
        sink.truncate()
        written = _copy(response, sink, bar, url, options.max_bytes - start, deadline)
    if written is None:
        _discard(partial)
        raise DataError(f"{url}: more than the --max-bytes limit of {options.max_bytes} bytes "
                        "arrived (the server announced no size); download aborted and deleted")


def _copy(response: Any, sink: Any, bar: Any, url: str, limit: int,
          deadline: float | None = None) -> int | None:
    """Copy the body in chunks; ``None`` beyond ``limit`` bytes. An interrupted transfer
    (or one too slow past ``deadline``) keeps what arrived for a resume.

    Past ``deadline`` (the request's start plus ``--timeout``) a transfer goes on only while
    it has brought at least :data:`_MIN_RATE` bytes per second of the time since: a large
    file at a normal speed finishes, a server trickling bytes is cut off a second later.
    """
    written = 0
    try:
        while True:
            overdue = 0.0 if deadline is None else time.monotonic() - deadline
            if overdue > 0 and written < _MIN_RATE * overdue:
                sink.flush()
                raise DataError(f"{url}: the download is too slow (under {_MIN_RATE // 1024} "
                                f"KiB/s after --timeout); run the command again to resume "
                                f"(or raise --timeout)")
            chunk = response.read1(_CHUNK)
            if not chunk:
                return written
            written += len(chunk)
            if written > limit:
                return None
            sink.write(chunk)
            bar.update(len(chunk))
    except (http.client.IncompleteRead, ConnectionError, TimeoutError) as exc:
        if isinstance(exc, http.client.IncompleteRead):
            sink.write(exc.partial[:max(0, limit - written)])
        sink.flush()
        raise DataError(f"{url}: download interrupted ({type(exc).__name__}); "
                        "run the command again to resume") from None


def _size_text(total: int | None) -> str:
    if total is None:
        return "size not announced (no Content-Length)"
    return f"{total} bytes ({total / 1024**2:.1f} MiB)"


def _bar(enabled: bool, name: str, total: int | None, initial: int) -> Any:
    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, desc=name,
                disable=not (enabled and sys.stderr.isatty()), file=sys.stderr)


def _state_path(partial: Path) -> Path:
    return partial.with_name(partial.name + ".json")


def _load_state(partial: Path) -> dict[str, str]:
    """What ``NAME.part.json`` recorded when the partial download started ({} if nothing)."""
    try:
        state = json.loads(_state_path(partial).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in state.items() if isinstance(v, str)} if isinstance(state, dict) \
        else {}


def _save_state(partial: Path, state: dict[str, str]) -> None:
    write_atomic(_state_path(partial), (json.dumps(state, sort_keys=True) + "\n").encode(),
                 durable=False)


def _response_state(url: str, response: Any) -> dict[str, str]:
    etag = response.headers.get("ETag", "")
    return {"url": url, "etag": "" if etag.startswith("W/") else etag,
            "last_modified": response.headers.get("Last-Modified", "")}


def _validator(state: Mapping[str, str]) -> str:
    """The ``If-Range`` value: a strong ETag, else Last-Modified, else ``""``."""
    return state.get("etag") or state.get("last_modified") or ""


def _discard(partial: Path) -> None:
    partial.unlink(missing_ok=True)
    _state_path(partial).unlink(missing_ok=True)


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
        files = json.loads(path.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        files = None
    if not isinstance(files, dict):
        raise DataError(f"{path}: not a spamlab provenance file (expected a 'files' object); "
                        "move it away to start a new ledger")
    for name, entry in files.items():
        missing = [key for key in _LEDGER_KEYS if not isinstance(entry, dict) or key not in entry]
        if missing:
            raise DataError(f"{path}: the entry for {name!r} lacks {', '.join(missing)}; "
                            "fix or delete that entry")
    return files


_LEDGER_KEYS = ("source", "url", "retrieved", "bytes", "sha256")


def _save_ledger(dest: Path, ledger: dict[str, dict[str, Any]]) -> None:
    text = json.dumps({"files": dict(sorted(ledger.items()))}, indent=2, sort_keys=True) + "\n"
    write_atomic(dest / "sources.json", text.encode("utf-8"))
    write_atomic(dest / "PROVENANCE.md", provenance_markdown(ledger).encode("utf-8"))


def provenance_markdown(ledger: dict[str, dict[str, Any]]) -> str:
    """The ``PROVENANCE.md`` text for the recorded files.

    ``URL`` is where the bytes came from (after redirects); the URL requested
    follows it when different.

    Examples
    --------
    >>> print(provenance_markdown({"2011.7z": {"source": "untroubled", "url": "http://x/2011.7z",
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
        url = entry["url"]
        requested = entry.get("requested_url", url)
        if requested != url:
            url += f" (requested {requested})"
        lines.append(f"| {name} | {entry['source']} | {url} | {entry['retrieved']} | "
                     f"{entry['bytes']} | `{entry['sha256']}` |")
    return "\n".join(lines) + "\n"
