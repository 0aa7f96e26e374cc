"""``spamlab fetch`` against a local HTTP server (no internet): resume, verification, provenance."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from spamlab.cli import main
from spamlab.cli.fetch import parse_months
from spamlab.errors import DataError, ParameterError
from spamlab.ingest import fetch

FILES = {"2011-01.7z": bytes(range(256)) * 400, "2011-02.7z": b"february archive" * 1000}


class ArchiveHandler(http.server.BaseHTTPRequestHandler):
    """Serves FILES with Range support; the first full GET of a name listed in
    ``server.truncate`` announces the full length but sends only half."""

    def do_GET(self) -> None:
        name = self.path.rsplit("/", 1)[-1]
        self.server.requests.append((name, self.headers.get("Range")))  # type: ignore[attr-defined]
        if name not in FILES:
            self.send_error(404, "Not Found")
            return
        data = FILES[name]
        start = int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers.get("Range") else 0
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        if name in self.server.truncate:  # type: ignore[attr-defined]
            self.server.truncate.discard(name)  # type: ignore[attr-defined]
            self.wfile.write(data[start:start + len(data) // 2])
            self.close_connection = True
            return
        self.wfile.write(data[start:])

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture()
def server() -> Iterator[http.server.ThreadingHTTPServer]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ArchiveHandler)
    httpd.requests, httpd.truncate = [], set()  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def base_url(httpd: http.server.ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{httpd.server_address[1]}/spam/"


def test_download_records_provenance(server: http.server.ThreadingHTTPServer,
                                     tmp_path: Path) -> None:
    status = main(["fetch", "untroubled", "--months", "2011-01..2011-02", "--dest",
                   str(tmp_path), "--base-url", base_url(server), "--quiet"])
    assert status == 0
    for name, data in FILES.items():
        assert (tmp_path / name).read_bytes() == data
    ledger = json.loads((tmp_path / "sources.json").read_text())["files"]
    assert ledger["2011-01.7z"]["sha256"] == hashlib.sha256(FILES["2011-01.7z"]).hexdigest()
    assert ledger["2011-02.7z"]["bytes"] == len(FILES["2011-02.7z"])
    assert ledger["2011-02.7z"]["url"] == base_url(server) + "2011-02.7z"
    provenance = (tmp_path / "PROVENANCE.md").read_text()
    assert hashlib.sha256(FILES["2011-02.7z"]).hexdigest() in provenance


def test_truncated_download_resumes_with_a_range_request(server: http.server.ThreadingHTTPServer,
                                                         tmp_path: Path) -> None:
    server.truncate.add("2011-01.7z")  # type: ignore[attr-defined]
    with pytest.raises(DataError, match="run the command again to resume"):
        fetch.fetch_months("untroubled", ["2011-01"], tmp_path, base_url=base_url(server))
    partial = tmp_path / "2011-01.7z.part"
    assert 0 < partial.stat().st_size < len(FILES["2011-01.7z"])
    assert not (tmp_path / "2011-01.7z").exists()
    half = partial.stat().st_size
    fetched = fetch.fetch_months("untroubled", ["2011-01"], tmp_path, base_url=base_url(server))
    assert server.requests[-1] == ("2011-01.7z", f"bytes={half}-")  # type: ignore[attr-defined]
    assert (tmp_path / "2011-01.7z").read_bytes() == FILES["2011-01.7z"]
    assert fetched[0].downloaded and not partial.exists()


def test_present_file_is_verified_not_downloaded(server: http.server.ThreadingHTTPServer,
                                                tmp_path: Path) -> None:
    fetch.fetch_months("untroubled", ["2011-02"], tmp_path, base_url=base_url(server))
    count = len(server.requests)  # type: ignore[attr-defined]
    again = fetch.fetch_months("untroubled", ["2011-02"], tmp_path, base_url=base_url(server))
    assert len(server.requests) == count and not again[0].downloaded  # type: ignore[attr-defined]
    (tmp_path / "2011-02.7z").write_bytes(b"tampered")
    with pytest.raises(DataError, match="does not match the recorded"):
        fetch.fetch_months("untroubled", ["2011-02"], tmp_path, base_url=base_url(server))


def test_checksum_mismatch_and_missing_month_are_errors(server: http.server.ThreadingHTTPServer,
                                                        tmp_path: Path) -> None:
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(f"{'0' * 64}  2011-01.7z\n")
    with pytest.raises(DataError, match="does not match the expected"):
        fetch.fetch_months("untroubled", ["2011-01"], tmp_path / "d", base_url=base_url(server),
                           expected_sha256=fetch.read_checksums(sums))
    assert not (tmp_path / "d" / "2011-01.7z").exists()
    with pytest.raises(DataError, match="2011-03.7z: HTTP 404"):
        fetch.fetch_months("untroubled", ["2011-03"], tmp_path / "d", base_url=base_url(server))


def test_bad_checksum_file_and_months_are_named(tmp_path: Path) -> None:
    (tmp_path / "sums").write_text("not a checksum line\n")
    with pytest.raises(DataError, match="sums: line 1: expected 'SHA256  NAME'"):
        fetch.read_checksums(tmp_path / "sums")
    with pytest.raises(ParameterError, match="ends before it starts"):
        parse_months("2011-06..2011-01")
    assert parse_months("2011-03,2011-01..2011-02") == ["2011-01", "2011-02", "2011-03"]


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot connect"):
        fetch.fetch_months("untroubled", ["2011-01"], tmp_path, base_url="http://127.0.0.1:9/",
                           timeout=5)
