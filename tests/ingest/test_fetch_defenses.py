"""``spamlab fetch`` trusts nothing (issue 22, cases 5, 6, 7 and the fetch part of 10): http(s)
only, the 7z signature checked, resume only with a validator, one deadline per request, and one
line errors instead of tracebacks. Every server is local (127.0.0.1) and bounded in time."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from archive_server import ArchiveServer

from spamlab.cli import main
from spamlab.errors import DataError, ParameterError
from spamlab.ingest import fetch

ARCHIVE = fetch.SEVEN_Z_SIGNATURE + bytes(range(256)) * 40


class _Route:
    """What :class:`_Server` answers for one path."""

    def __init__(self, body: bytes, *, status: int = 200, headers: dict[str, str] | None = None,
                 byte_delay: float = 0.0, chunk: int = 1) -> None:
        self.body, self.status, self.byte_delay, self.chunk = body, status, byte_delay, chunk
        self.headers = {"Content-Length": str(len(body))} if headers is None else headers


class _Server:
    """A tiny server of fixed answers (``routes``: path -> :class:`_Route`); the connection
    closes after each answer. A ``byte_delay`` sends the body ``chunk`` bytes at a time
    (one by default), waiting that long before each."""

    def __init__(self, routes: dict[str, _Route]) -> None:
        self.routes, self.stop = routes, threading.Event()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/spam/"

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        owner: _Server = self.server.owner  # type: ignore[attr-defined]
        route = owner.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        self.send_response(route.status)
        for key, value in route.headers.items():
            self.send_header(key, value)
        self.end_headers()
        try:
            if not route.byte_delay:
                self.wfile.write(route.body)
                return
            for start in range(0, len(route.body), route.chunk):
                if owner.stop.wait(route.byte_delay):
                    return
                self.wfile.write(route.body[start:start + route.chunk])
                self.wfile.flush()
        except OSError:
            return

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture()
def serve() -> Iterator[Any]:
    servers: list[_Server] = []

    def start(routes: dict[str, _Route]) -> _Server:
        servers.append(_Server(routes))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _index(*links: str) -> _Route:
    rows = "".join(f'<a href="{link}">{link}</a>\n' for link in links)
    return _Route(f"<html><body>{rows}</body></html>".encode(),
                  headers={"Content-Type": "text/html"})


# case 6: http(s) only; the 7z signature and declared type are checked

@pytest.mark.parametrize("link", ["file:///etc/2011.7z", "data:text/plain,abc/2011.7z",
                                  "ftp://127.0.0.1/spam/2011.7z"])
def test_an_index_link_that_is_not_http_is_refused_naming_it(serve, tmp_path, link):
    """Bug: a file: link copied that local file into --dest as 'downloaded'."""
    server = serve({"/spam/": _index(link)})
    with pytest.raises(DataError, match=r"links '.*2011\.7z', which is not an http\(s\) URL"):
        fetch.fetch_months("untroubled", ["2011-01"], tmp_path / "d", base_url=server.url)
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("declared", ["text/html", "application/octet-stream"])
def test_an_error_page_sent_with_status_200_is_not_a_download(serve, tmp_path, declared):
    """Bug: a 503 page sent with status 200 was 'downloaded' and entered in the ledger."""
    page = b"<html><body>503 Service Unavailable</body></html>"
    server = serve({"/spam/": _index("2011.7z"),
                    "/spam/2011.7z": _Route(page, headers={"Content-Type": declared,
                                                           "Content-Length": str(len(page))})})
    with pytest.raises(DataError, match=rf"{server.url}2011\.7z: the server sent .*not a 7z "
                                        r"archive"):
        fetch.fetch_months("untroubled", ["2011-01"], tmp_path, base_url=server.url)
    assert list(tmp_path.iterdir()) == []


def test_a_7z_download_passes_the_signature_check(serve, tmp_path):
    server = serve({"/spam/": _index("2011.7z"), "/spam/2011.7z": _Route(ARCHIVE)})
    fetched = fetch.fetch_months("untroubled", ["2011-01"], tmp_path, base_url=server.url)
    assert fetched[0].downloaded and (tmp_path / "2011.7z").read_bytes() == ARCHIVE


# case 5: a 206 without a validator is not trusted

def test_a_206_without_validator_restarts_instead_of_splicing(archive_server, tmp_path):
    """Bug: a server ignoring If-Range and sending no ETag/Last-Modified gave A[:n] + B[n:]."""
    new = ARCHIVE + b"new version"
    (archive_server.folder / "2023-01.7z").write_bytes(new)
    (tmp_path / "2023-01.7z.part").write_bytes(fetch.SEVEN_Z_SIGNATURE + b"old" * 1000)
    (tmp_path / "2023-01.7z.part.json").write_text(json.dumps(
        {"url": archive_server.url + "2023-01.7z", "etag": '"old-version"'}))
    archive_server.misbehave |= {"ignore_if_range", "no_validator"}
    fetch.fetch_months("untroubled", ["2023-01"], tmp_path, base_url=archive_server.url)
    assert (tmp_path / "2023-01.7z").read_bytes() == new
    assert [r[2] for r in archive_server.downloads("2023-01.7z")] == ["bytes=3006-", None]


# case 10: one-line errors instead of tracebacks

def _served(archive_server: ArchiveServer) -> ArchiveServer:
    for name in ("2010.7z", "2011.7z"):
        (archive_server.folder / name).write_bytes(ARCHIVE)
    return archive_server


def test_a_checksums_file_that_is_not_utf8_is_named(tmp_path):
    (tmp_path / "sums").write_bytes(b"\xff\xfe" + b"0" * 64 + b"  2011.7z\n")
    with pytest.raises(DataError, match=r"sums: not a UTF-8 text file \(byte 0\)"):
        fetch.read_checksums(tmp_path / "sums")


def test_dest_naming_a_file_is_refused_before_anything_happens(archive_server, tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(DataError, match=r"--dest .*afile: exists and is not a folder"):
        fetch.fetch_months("untroubled", ["2011-01"], tmp_path / "afile",
                           base_url=_served(archive_server).url)
    assert not archive_server.requests


@pytest.mark.parametrize("value", [-1.0, 0.0, float("nan"), float("inf")])
def test_a_timeout_that_is_not_positive_and_finite_is_a_parameter_error(tmp_path, value):
    with pytest.raises(ParameterError, match=r"--timeout: .* is not a number of seconds above 0"):
        fetch.fetch_months("untroubled", ["2011-01"], tmp_path, base_url="http://127.0.0.1:9/",
                           timeout=value)
    with pytest.raises(ParameterError, match="--timeout"):
        fetch.read_index("http://127.0.0.1:9/", timeout=value)


@pytest.mark.parametrize("value", ["-1", "nan", "inf"])
def test_the_command_line_says_one_line_for_a_bad_timeout(tmp_path, capsys, value):
    code = main(["fetch", "untroubled", "--months", "2011-01", "--dest", str(tmp_path),
                 "--base-url", "http://127.0.0.1:9/", "--timeout", value])
    err = capsys.readouterr().err
    assert code == 2 and "--timeout" in err and "Traceback" not in err


def test_a_part_that_is_a_folder_is_named(archive_server, tmp_path):
    (tmp_path / "2011.7z.part").mkdir()
    with pytest.raises(DataError, match=r"2011\.7z\.part: exists and is not a regular file"):
        fetch.fetch_months("untroubled", ["2011-01"], tmp_path, base_url=_served(archive_server).url)


@pytest.mark.parametrize("ledger", [{"files": []}, {"files": {"2010.7z": "x"}}, [],
                                    {"files": {"2010.7z": {"sha256": "ab", "bytes": 1,
                                                           "source": "s", "retrieved": "t"}}}])
def test_a_malformed_ledger_is_refused_before_downloading(archive_server, tmp_path, ledger):
    """Bug: an entry without url failed after the download was in place (PROVENANCE.md stale)."""
    dest = tmp_path / "d"
    dest.mkdir()
    (dest / "sources.json").write_text(json.dumps(ledger))
    with pytest.raises(DataError, match=r"sources\.json: (not a spamlab provenance file|the "
                                        r"entry for '2010\.7z' lacks)"):
        fetch.fetch_months("untroubled", ["2011-01"], dest, base_url=_served(archive_server).url)
    assert sorted(p.name for p in dest.iterdir()) == ["sources.json"]
    assert not archive_server.downloads("2011.7z")


def test_a_content_length_that_is_not_ascii_digits_is_not_a_size(serve, tmp_path):
    """Bug: ``"²".isdigit()`` is true, and int("²") raised a ValueError traceback."""
    headers = {"Content-Length": "\u00b2", "Content-Type": "application/x-7z-compressed"}
    server = serve({"/spam/": _index("2011.7z"), "/spam/2011.7z": _Route(ARCHIVE,
                                                                         headers=headers)})
    fetched = fetch.fetch_months("untroubled", ["2011-01"], tmp_path, base_url=server.url)
    assert (tmp_path / "2011.7z").read_bytes() == ARCHIVE
    assert fetched[0].checked == "size not announced by the server (no Content-Length)"


def test_an_index_link_that_is_not_a_valid_url_is_named(serve, tmp_path):
    server = serve({"/spam/": _index("http://[::1/spam/2011.7z", "http://[::1/other")})
    with pytest.raises(DataError, match=r"links 'http://\[::1/spam/2011\.7z', which is not a "
                                        r"valid URL"):
        fetch.fetch_months("untroubled", ["2011-01"], tmp_path, base_url=server.url)


# case 7: one deadline per request for the whole transfer

def test_an_index_sent_at_one_byte_per_second_fails_after_the_timeout(serve, tmp_path):
    """Bug: the timeout was per socket read, so a page trickling in never timed out."""
    slow = _Route(b"<html>" + b" " * 600 + b"</html>", headers={"Content-Type": "text/html"},
                  byte_delay=1.0)
    server = serve({"/spam/": slow})
    started = time.monotonic()
    with pytest.raises(DataError, match=r"/spam/: the transfer did not finish within --timeout"):
        fetch.fetch_months("untroubled", ["2011-01"], tmp_path, base_url=server.url, timeout=2)
    assert time.monotonic() - started < 5


def test_a_download_trickling_in_fails_after_the_timeout_and_can_resume(serve, tmp_path):
    slow = _Route(ARCHIVE, headers={"Content-Length": str(len(ARCHIVE)), "ETag": '"v1"'},
                  byte_delay=0.05)
    server = serve({"/spam/": _index("2011.7z"), "/spam/2011.7z": slow})
    started = time.monotonic()
    with pytest.raises(DataError, match=r"2011\.7z: the download is too slow \(under 100 KiB/s "
                                        r"after --timeout\); run the command again to resume"):
        fetch.fetch_months("untroubled", ["2011-01"], tmp_path, base_url=server.url, timeout=1)
    assert time.monotonic() - started < 4
    assert 0 < (tmp_path / "2011.7z.part").stat().st_size < len(ARCHIVE)
    assert not (tmp_path / "2011.7z").exists() and not (tmp_path / "sources.json").exists()


def test_a_large_download_at_a_normal_speed_goes_on_past_the_timeout(serve, tmp_path):
    """The deadline cuts off a trickle, not a transfer that is merely longer than --timeout."""
    big = fetch.SEVEN_Z_SIGNATURE + bytes(range(256)) * 2400  # about 600 KiB
    steady = _Route(big, headers={"Content-Length": str(len(big)), "ETag": '"v1"'},
                    byte_delay=0.1, chunk=32 * 1024)  # about 320 KiB/s: 2 s in all
    server = serve({"/spam/": _index("2011.7z"), "/spam/2011.7z": steady})
    started = time.monotonic()
    fetch.fetch_months("untroubled", ["2011-01"], tmp_path, base_url=server.url, timeout=1)
    assert time.monotonic() - started > 1.5  # it did run past --timeout
    assert (tmp_path / "2011.7z").read_bytes() == big


def _trickle_headers(stop: threading.Event) -> tuple[str, threading.Thread]:
    """A raw server that answers every connection with a status line and headers sent one
    byte each 0.5 s, never reaching the body: each socket read succeeds within any timeout."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    answer = b"HTTP/1.0 200 OK\r\n" + b"X-Slow: " + b"a" * 200 + b"\r\n\r\n"

    def run() -> None:
        with listener:
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                with conn:
                    for byte in answer:
                        if stop.wait(0.5):
                            return
                        try:
                            conn.sendall(bytes([byte]))
                        except OSError:
                            break

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/spam/", thread


def test_headers_sent_one_byte_at_a_time_fail_after_the_timeout(tmp_path):
    """Bug: the deadline was checked only once the headers were in, so a server trickling its
    status line and headers (each byte within the socket timeout) was waited for for ever."""
    stop = threading.Event()
    url, thread = _trickle_headers(stop)
    started = time.monotonic()
    try:
        with pytest.raises(DataError, match=r"/spam/: no answer within --timeout"):
            fetch.fetch_months("untroubled", ["2011-01"], tmp_path, base_url=url, timeout=2)
        assert time.monotonic() - started < 4
    finally:
        stop.set()
        thread.join(5)


def test_a_file_already_in_dest_that_is_not_a_7z_archive_is_named(serve, tmp_path):
    """Bug: a file already in --dest was taken as the archive without looking at it, so an
    error page saved under its name went on to `spamlab ingest` as "present"."""
    server = serve({"/spam/": _index("2011.7z"), "/spam/2011.7z": _Route(ARCHIVE)})
    (tmp_path / "2011.7z").write_bytes(b"<html>503 Service Unavailable</html>")
    with pytest.raises(DataError, match=r"2011\.7z: already in --dest but not a 7z archive "
                                        r"\(it starts b'<html>503"):
        fetch.fetch_months("untroubled", ["2011-01"], tmp_path, base_url=server.url)
    assert (tmp_path / "2011.7z").read_bytes().startswith(b"<html>")  # named, not deleted


def test_a_part_file_planted_as_a_link_is_refused_and_its_target_untouched(serve, tmp_path):
    """Issue 22, case 1: fetch wrote the download into whatever DEST/2011.7z.part pointed to."""
    server = serve({"/spam/": _index("2011.7z"), "/spam/2011.7z": _Route(ARCHIVE)})
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "2011.7z.part").symlink_to(victim)
    with pytest.raises(DataError, match=r"2011\.7z\.part: exists and is not a regular file"):
        fetch.fetch_months("untroubled", ["2011-01"], dest, base_url=server.url)
    assert victim.read_text() == "precious"


def test_a_link_planted_after_the_check_is_refused_by_the_kernel(serve, tmp_path, monkeypatch):
    """The check and the open are two steps; a link planted between them must not be followed."""
    server = serve({"/spam/": _index("2011.7z"), "/spam/2011.7z": _Route(ARCHIVE)})
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    dest = tmp_path / "dest"
    dest.mkdir()
    checked = fetch._check_regular

    def check_then_plant(path):
        checked(path)
        if path.name == "2011.7z.part":
            path.symlink_to(victim)

    monkeypatch.setattr(fetch, "_check_regular", check_then_plant)
    with pytest.raises(DataError, match=r"2011\.7z\.part: is a symbolic link"):
        fetch.fetch_months("untroubled", ["2011-01"], dest, base_url=server.url)
    assert victim.read_text() == "precious"
