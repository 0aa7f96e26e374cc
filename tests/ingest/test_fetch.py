"""``spamlab fetch`` against a local archive server (no internet): the index page, yearly and
monthly files, resume, verification, provenance, and every fault an adversarial run found."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest
from archive_server import ArchiveServer

from spamlab.cli import main
from spamlab.cli.fetch import parse_months, parse_size
from spamlab.errors import DataError, ParameterError
from spamlab.ingest import fetch


def _bytes(seed: int, size: int) -> bytes:
    """``size`` random bytes that start like a 7z archive."""
    return fetch.SEVEN_Z_SIGNATURE + random.Random(seed).randbytes(size - 6)


FILES = {"2010.7z": _bytes(1, 50_000), "2011.7z": _bytes(2, 200_000),
         "2023-01.7z": _bytes(3, 120_000), "2023-02.7z": _bytes(4, 80_000),
         "README.txt": b"not an archive", "2011.7z.sha256": b"not an archive either"}


@pytest.fixture()
def server(archive_server: ArchiveServer) -> ArchiveServer:
    for name, data in FILES.items():
        (archive_server.folder / name).write_bytes(data)
    return archive_server


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fetch(server: ArchiveServer, dest: Path, months: str, *extra: str) -> int:
    return main(["fetch", "untroubled", "--months", months, "--dest", str(dest),
                 "--base-url", server.url, "--quiet", *extra])


def _part(dest: Path, name: str, data: bytes, etag: str | None, url: str) -> Path:
    """A leftover partial download (and its state, when ``etag``)."""
    dest.mkdir(parents=True, exist_ok=True)
    partial = dest / f"{name}.part"
    partial.write_bytes(data)
    if etag is not None:
        (dest / f"{name}.part.json").write_text(json.dumps({"url": url, "etag": etag}))
    return partial


def test_the_index_maps_months_to_the_yearly_file_fetched_once(server, tmp_path):
    tmp_path = tmp_path / "dest"
    assert _fetch(server, tmp_path, "2011-01..2011-06") == 0
    assert (tmp_path / "2011.7z").read_bytes() == FILES["2011.7z"]
    assert [r[1] for r in server.downloads("2011.7z")] == ["/spam/2011.7z"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2011.7z", "PROVENANCE.md",
                                                          "sources.json"]
    ledger = json.loads((tmp_path / "sources.json").read_text())["files"]
    assert ledger["2011.7z"]["sha256"] == _sha(FILES["2011.7z"])
    assert ledger["2011.7z"]["bytes"] == len(FILES["2011.7z"])
    assert ledger["2011.7z"]["url"] == server.url + "2011.7z"
    assert _sha(FILES["2011.7z"]) in (tmp_path / "PROVENANCE.md").read_text()


def test_recent_years_map_to_monthly_files_and_mixed_ranges_to_both(server, tmp_path):
    fetched = fetch.fetch_months("untroubled", parse_months("2010-12..2011-01,2023-01..2023-02"),
                                 tmp_path, base_url=server.url)
    assert [(f.name, f.months) for f in fetched] == [
        ("2010.7z", ("2010-12",)), ("2011.7z", ("2011-01",)),
        ("2023-01.7z", ("2023-01",)), ("2023-02.7z", ("2023-02",))]
    for item in fetched:
        assert (tmp_path / item.name).read_bytes() == FILES[item.name]


def test_a_month_no_file_holds_is_an_error_naming_what_the_index_offers(server, tmp_path):
    with pytest.raises(DataError, match=r"no file listed at .*/spam/ holds 2012-01, 2023-03; "
                       r"it offers yearly 2010\.7z\.\.2011\.7z; monthly "
                       r"2023-01\.7z\.\.2023-02\.7z$"):
        fetch.fetch_months("untroubled", ["2011-05", "2012-01", "2023-03"], tmp_path / "d",
                           base_url=server.url)
    assert not server.downloads("2011.7z") and not (tmp_path / "d").exists()


def test_an_index_without_archives_is_named(archive_server, tmp_path):
    (archive_server.folder / "index.txt").write_bytes(b"x")
    with pytest.raises(DataError, match="links no archive files .* is --base-url"):
        fetch.fetch_months("untroubled", ["2011-01"], tmp_path, base_url=archive_server.url)


def test_truncated_download_resumes_with_range_and_if_range(server, tmp_path):
    server.truncate.add("2011.7z")
    with pytest.raises(DataError, match="run the command again to resume"):
        fetch.fetch_months("untroubled", ["2011-03"], tmp_path, base_url=server.url)
    partial = tmp_path / "2011.7z.part"
    half = partial.stat().st_size
    assert 0 < half < len(FILES["2011.7z"]) and not (tmp_path / "2011.7z").exists()
    fetched = fetch.fetch_months("untroubled", ["2011-03"], tmp_path, base_url=server.url)
    assert server.downloads("2011.7z")[-1][2:] == (f"bytes={half}-", server.etag("2011.7z"))
    assert (tmp_path / "2011.7z").read_bytes() == FILES["2011.7z"]
    assert fetched[0].downloaded and not partial.exists()
    assert not (tmp_path / "2011.7z.part.json").exists()


def test_a_part_longer_than_the_remote_file_restarts_instead_of_passing_as_complete(
        server, tmp_path):
    """Bug: the server's 416 was taken as 'complete' and the junk accepted and recorded."""
    data = FILES["2023-01.7z"]
    _part(tmp_path, "2023-01.7z", data + b"junk" * 1000, server.etag("2023-01.7z"),
          server.url + "2023-01.7z")
    assert _fetch(server, tmp_path, "2023-01") == 0
    assert (tmp_path / "2023-01.7z").read_bytes() == data
    assert [r[2] for r in server.downloads("2023-01.7z")] == [f"bytes={len(data) + 4000}-", None]
    ledger = json.loads((tmp_path / "sources.json").read_text())["files"]
    assert ledger["2023-01.7z"]["sha256"] == _sha(data)


def test_a_changed_remote_file_restarts_instead_of_splicing(server, tmp_path):
    """Bug: a stale part of another version was spliced with the new version's tail."""
    server.truncate.add("2023-01.7z")
    with pytest.raises(DataError, match="resume"):
        _fetch_lib(server, tmp_path, "2023-01")
    new = _bytes(9, len(FILES["2023-01.7z"]))  # same size, other content: a size check passes
    (server.folder / "2023-01.7z").write_bytes(new)
    _fetch_lib(server, tmp_path, "2023-01")
    assert (tmp_path / "2023-01.7z").read_bytes() == new
    last = server.downloads("2023-01.7z")[-1]
    assert last[2] is not None and last[3] not in (None, server.etag("2023-01.7z"))


def test_a_part_without_a_recorded_validator_is_never_resumed(server, tmp_path):
    data = FILES["2023-02.7z"]
    stale = _bytes(10, 30_000)  # another version's first bytes, no state file
    _part(tmp_path, "2023-02.7z", stale, None, "")
    assert _fetch(server, tmp_path, "2023-02") == 0
    assert (tmp_path / "2023-02.7z").read_bytes() == data
    assert server.downloads("2023-02.7z")[-1][2] is None  # no Range request


@pytest.mark.parametrize("fault", ["ignore_range", "range_from_zero", "ignore_if_range"])
def test_a_server_that_does_not_resume_properly_never_yields_an_oversized_file(
        server, tmp_path, fault):
    """Bug: a 206 from byte 0 was appended to the part (an oversized file, later accepted)."""
    data = FILES["2023-01.7z"]
    if fault == "ignore_if_range":  # the part is of an older version; the server resumes anyway
        _part(tmp_path, "2023-01.7z", _bytes(11, 40_000), '"older"', server.url + "2023-01.7z")
    else:
        _part(tmp_path, "2023-01.7z", data[:40_000], server.etag("2023-01.7z"),
              server.url + "2023-01.7z")
    server.misbehave.add(fault)
    assert _fetch(server, tmp_path, "2023-01") == 0
    assert (tmp_path / "2023-01.7z").read_bytes() == data


def test_a_206_starting_elsewhere_is_refused(server, tmp_path):
    data = FILES["2023-01.7z"]
    partial = _part(tmp_path, "2023-01.7z", data[:40_000], server.etag("2023-01.7z"),
                    server.url + "2023-01.7z")
    server.misbehave.add("range_shifted")
    with pytest.raises(DataError, match=r"asked for bytes 40000- but the server sent bytes "
                                        r"39990-119999/120000; refusing to splice"):
        _fetch_lib(server, tmp_path, "2023-01")
    assert partial.read_bytes() == data[:40_000] and not (tmp_path / "2023-01.7z").exists()


def _fetch_lib(server: ArchiveServer, dest: Path, months: str,
               **options: object) -> list[fetch.FetchedFile]:
    return fetch.fetch_months("untroubled", parse_months(months), dest, base_url=server.url,
                              **options)  # type: ignore[arg-type]


def test_what_was_checked_is_said_not_verified_for_everything(server, tmp_path, capsys):
    """Bug: 'verified' was printed for any file already present, even unchecked junk."""
    dest = tmp_path / "d"
    dest.mkdir()
    (dest / "2023-02.7z").write_bytes(fetch.SEVEN_Z_SIGNATURE + b"junk nobody checked")
    argv = ["fetch", "untroubled", "--months", "2023-02", "--dest", str(dest), "--base-url",
            server.url]
    assert main(argv) == 0
    assert capsys.readouterr().out.strip().endswith(
        "; checked: present, not verified (no checksum known)")
    assert not (dest / "sources.json").exists()  # nothing unchecked enters the ledger
    (dest / "2023-02.7z").unlink()
    assert main(argv) == 0
    assert "2023-02.7z downloaded: holds 2023-02, 80000 bytes, sha256 " in capsys.readouterr().out
    assert main(argv) == 0
    assert capsys.readouterr().out.strip().endswith(
        "; checked: sha256 matches the ledger (sources.json)")
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(f"{_sha(FILES['2023-02.7z'])}  2023-02.7z\n")
    assert main([*argv, "--checksums", str(sums)]) == 0
    assert capsys.readouterr().out.strip().endswith("; checked: sha256 matches --checksums")


def test_present_files_are_checked_not_downloaded_and_tampering_is_caught(server, tmp_path):
    _fetch_lib(server, tmp_path, "2023-02")
    count = len(server.downloads("2023-02.7z"))
    again = _fetch_lib(server, tmp_path, "2023-02")
    assert len(server.downloads("2023-02.7z")) == count and not again[0].downloaded
    (tmp_path / "2023-02.7z").write_bytes(fetch.SEVEN_Z_SIGNATURE + b"tampered")
    with pytest.raises(DataError, match=r"does not match the ledger \(sources.json\)"):
        _fetch_lib(server, tmp_path, "2023-02")


def test_no_content_length_is_capped_by_max_bytes(server, tmp_path):
    """Bug: without Content-Length there was no size limit at all."""
    server.misbehave.add("no_length")
    with pytest.raises(DataError, match=r"more than the --max-bytes limit of 100000 bytes "
                                        r"arrived .*aborted and deleted"):
        _fetch_lib(server, tmp_path / "d", "2011-01", max_bytes=100_000)
    assert list((tmp_path / "d").iterdir()) == []
    fetched = _fetch_lib(server, tmp_path, "2010-01", max_bytes=100_000)
    assert fetched[0].checked == "size not announced by the server (no Content-Length)"
    assert (tmp_path / "2010.7z").read_bytes() == FILES["2010.7z"]


def test_an_announced_size_over_the_cap_is_refused_before_downloading(server, tmp_path):
    assert _fetch(server, tmp_path, "2011-01", "--max-bytes", "100k") == 2
    assert not (tmp_path / "2011.7z").exists() and not (tmp_path / "2011.7z.part").exists()
    with pytest.raises(DataError, match="announces 200000 bytes, more than the --max-bytes "
                                        "limit of 102400"):
        _fetch_lib(server, tmp_path, "2011-01", max_bytes=parse_size("100K"))


def test_the_ledger_records_the_final_url_after_redirects(server, tmp_path):
    """Bug: the URL recorded was the one requested, before redirects."""
    server.misbehave.add("redirect")
    _fetch_lib(server, tmp_path, "2023-02")
    entry = json.loads((tmp_path / "sources.json").read_text())["files"]["2023-02.7z"]
    assert entry["url"] == server.root + "/mirror/2023-02.7z"
    assert entry["requested_url"] == server.url + "2023-02.7z"
    assert f"{entry['url']} (requested {entry['requested_url']})" in \
        (tmp_path / "PROVENANCE.md").read_text()


def test_dry_run_prints_files_and_sizes_and_downloads_nothing(server, tmp_path, capsys):
    assert main(["fetch", "untroubled", "--months", "2011-02..2011-04,2023-02", "--dest",
                 str(tmp_path / "d"), "--base-url", server.url, "--dry-run"]) == 0
    yearly = (f"fetch: would download 2011.7z: 200000 bytes, holds 2011-02..2011-04 "
              f"(3 months), from {server.url}2011.7z")
    monthly = (f"fetch: would download 2023-02.7z: 80000 bytes, holds 2023-02, from "
               f"{server.url}2023-02.7z")
    assert capsys.readouterr().out.splitlines() == [yearly, monthly]
    assert not server.downloads("2011.7z") and not (tmp_path / "d").exists()


def test_checksum_mismatch_is_an_error_and_nothing_is_kept(server, tmp_path):
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(f"{'0' * 64}  2011.7z\n")
    with pytest.raises(DataError, match="does not match the expected"):
        _fetch_lib(server, tmp_path / "d", "2011-01",
                   expected_sha256=fetch.read_checksums(sums))
    assert list((tmp_path / "d").iterdir()) == []


def test_bad_checksum_file_sizes_and_months_are_named(tmp_path):
    (tmp_path / "sums").write_text("not a checksum line\n")
    with pytest.raises(DataError, match="sums: line 1: expected 'SHA256  NAME'"):
        fetch.read_checksums(tmp_path / "sums")
    with pytest.raises(ParameterError, match="ends before it starts"):
        parse_months("2011-06..2011-01")
    with pytest.raises(ParameterError, match="--max-bytes: 'lots' is not a size"):
        parse_size("lots")
    assert parse_months("2011-03,2011-01..2011-02") == ["2011-01", "2011-02", "2011-03"]


def test_unreachable_server_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="cannot connect"):
        fetch.fetch_months("untroubled", ["2011-01"], tmp_path, base_url="http://127.0.0.1:9/",
                           timeout=5)
