"""End to end on an archive in untroubled.org's real layout, served locally: ``spamlab fetch``
(the yearly file, once) -> ``spamlab ingest --from/--to`` -> ``spamlab run --data``.

The truth is the generator's (:func:`spamlab.testing.write_trap_archive`): each message's
arrival second is its file name, fixed when the archive was written, never computed by
spamlab. Some days' messages carry no Received line at all, so only the file name dates them.
"""

from __future__ import annotations

import email
import json
import re
import shlex
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pandas as pd
import py7zr
import pytest
from archive_server import ArchiveServer

from doc_pages import documentation_text
from spamlab.cli import main
from spamlab.testing import TrapArchiveTruth, write_trap_archive

FIRST, LAST = "2011-02-01", "2011-04-30"
TAKEDOWN, TRUE_RATIO = "2011-03-16 14:45", 0.5


@pytest.fixture(scope="module")
def fetched(tmp_path_factory: pytest.TempPathFactory,
            ) -> Iterator[tuple[ArchiveServer, TrapArchiveTruth, Path]]:
    """The archive server with 2010.7z, 2011.7z, 2023-01.7z, 2023-02.7z; 2011-02..04 fetched."""
    root = tmp_path_factory.mktemp("real")
    served = root / "served"
    truth = write_trap_archive(served, year=2011, months=range(1, 6), per_day=10, seed=7,
                               change_at=TAKEDOWN, change_ratio=TRUE_RATIO)
    write_trap_archive(served, year=2010, months=[12], per_day=1, seed=8)
    recent = write_trap_archive(served, year=2023, months=[1, 2], per_day=1, seed=9, monthly=True)
    assert [p.name for p in recent.paths] == ["2023-01.7z", "2023-02.7z"]
    server = ArchiveServer(served)
    assert main(["fetch", "untroubled", "--months", "2011-02..2011-04", "--base-url", server.url,
                 "--dest", str(root / "raw"), "--quiet"]) == 0
    yield server, truth, root
    server.close()


@pytest.fixture(scope="module")
def ingested(fetched: tuple[ArchiveServer, TrapArchiveTruth, Path]) -> tuple[pd.DataFrame, dict]:
    _, _, root = fetched
    out = root / "counts"
    assert main(["ingest", str(root / "raw" / "2011.7z"), "--out", str(out), "--from", FIRST,
                 "--to", LAST, "--quiet"]) == 0
    report = json.loads((out / "ingest_report.json").read_text())
    return pd.read_csv(out / "daily_counts.csv", dtype={"date": str}), report


def _in_range(daily: dict[str, int]) -> dict[str, int]:
    return {day: n for day, n in daily.items() if FIRST <= day <= LAST}


def test_fetch_downloads_only_the_yearly_file_once(fetched):
    server, truth, root = fetched
    assert [r[1] for r in server.requests if r[0] == "GET"] == ["/spam/", "/spam/2011.7z"]
    assert (root / "raw" / "2011.7z").read_bytes() == truth.paths[0].read_bytes()
    assert sorted(p.name for p in (root / "raw").iterdir()) == ["2011.7z", "PROVENANCE.md",
                                                                "sources.json"]


def test_ingest_gives_the_true_daily_counts_of_the_requested_days(fetched, ingested):
    _, truth, _ = fetched
    daily, _ = ingested
    want = _in_range(truth.daily)
    assert len(want) == 89
    assert dict(zip(daily["date"], daily["count"].astype(int), strict=True)) == want
    bare = [day for day in truth.no_received_days if FIRST <= day <= LAST]
    assert len(bare) == 3 and all(want[day] > 0 for day in bare)  # one per month, dated by name


def test_the_file_name_dates_exactly_the_messages_without_received(fetched, ingested):
    _, truth, _ = fetched
    daily, _ = ingested
    in_range = {name for name, when in truth.arrivals if name in truth.no_received
                and FIRST <= pd.Timestamp(when, unit="s").strftime("%Y-%m-%d") <= LAST}
    assert int(daily["from_filename"].sum()) == len(in_range) > 0
    assert int(daily["from_date_header"].sum()) == 0


def test_the_report_accounts_for_every_message(fetched, ingested):
    _, truth, _ = fetched
    _, report = ingested
    outside = truth.monthly["2011-01"] + truth.monthly["2011-05"]
    assert report["messages_seen"] == truth.n_messages
    assert report["out_of_range"] == outside
    assert report["messages_counted"] == truth.n_messages - outside
    assert report["rejected_total"] == 0 and report["duplicates"] == 0


@pytest.mark.notebook
def test_run_on_the_ingested_counts_recovers_the_step(fetched, ingested, tmp_path):
    _, _, root = fetched
    assert main(["run", "--data", str(root / "counts" / "daily_counts.csv"), "--interruption",
                 TAKEDOWN, "--only", "02", "--name", "trap", "--reports-dir", str(tmp_path),
                 "--no-html"]) == 0
    results = json.loads((tmp_path / "trap" / "results.json").read_text())
    assert results["notebooks_run"] == ["02-rustock-its"]
    assert (results["n_pre"], results["n_post"]) == (43, 46)  # Feb 1..Mar 15, Mar 16..Apr 30
    level = results["level_change"]
    assert level["scale"] == "ratio" and level["ci_low"] <= TRUE_RATIO <= level["ci_high"]


def _readme_recipe() -> list[list[str]]:
    """The commands of the README's "Rerun on a real archive" block."""
    text = documentation_text()
    section = text.split("<!-- section: ingest -->")[1].split("<!-- /section: ingest -->")[0]
    recipe = section.split("**Rerun on a real archive.**")[1]
    block = re.search(r"```bash\n(.*?)```", recipe, flags=re.DOTALL)
    assert block is not None
    lines = block.group(1).replace("\\\n", " ").splitlines()
    return [shlex.split(line) for line in lines if line.strip()]


def test_the_readme_recipe_does_what_the_readme_says(fetched, tmp_path, capsys):
    server, truth, _ = fetched
    commands = _readme_recipe()
    assert {tuple(argv[:2]) for argv in commands} == {("spamlab", "fetch"), ("spamlab", "ingest")}
    for argv in commands:
        argv = [arg.replace("data/", f"{tmp_path}/data/") for arg in argv[1:]]
        extra = ["--base-url", server.url] if argv[0] == "fetch" else ["--quiet"]
        assert main([*argv, *extra]) == 0
    out = capsys.readouterr().out
    assert f"fetch: would download 2011.7z: {truth.paths[0].stat().st_size} bytes, holds " \
           "2011-02..2011-04 (3 months), from " in out
    assert "fetch: 2011.7z downloaded: holds 2011-02..2011-04 (3 months), " in out
    assert out.rstrip().endswith("; checked: size matches what the server announced")
    daily = pd.read_csv(tmp_path / "data/processed/untroubled/daily_counts.csv",
                        dtype={"date": str})
    assert dict(zip(daily["date"], daily["count"].astype(int), strict=True)) == \
        _in_range(truth.daily)


def test_the_generator_writes_the_real_layout_and_its_truth_holds(tmp_path):
    """Checked with the standard library and py7zr, not with spamlab's readers."""
    truth = write_trap_archive(tmp_path / "a", months=[2, 3], per_day=3, seed=4)
    monthly = write_trap_archive(tmp_path / "m", year=2023, months=[1, 2], per_day=2, seed=5,
                                 monthly=True)
    with py7zr.SevenZipFile(truth.paths[0]) as archive:
        assert len(archive.header.main_streams.unpackinfo.folders) == 1  # solid
        archive.extractall(tmp_path / "x")
    names = sorted(str(p.relative_to(tmp_path / "x")) for p in (tmp_path / "x").rglob("*.txt"))
    assert names == [name for name, _ in truth.arrivals] and len(names) == truth.n_messages
    for name, when in truth.arrivals:
        match = re.fullmatch(r"2011/(0[23])/(\d+)\.\d+\.txt", name)
        assert match and int(match.group(2)) == when
        assert datetime.fromtimestamp(when, UTC).month == int(match.group(1))
        message = email.message_from_bytes((tmp_path / "x" / name).read_bytes())
        sent = parsedate_to_datetime(message["Date"]).astimezone(UTC).date()
        if name in truth.no_received:
            assert message.get_all("Received") is None
            assert sent != datetime.fromtimestamp(when, UTC).date()  # Date would mislead
        else:
            top = message.get_all("Received")[0].rsplit(";", 1)[1]
            assert parsedate_to_datetime(top).timestamp() == when
    assert sum(truth.daily.values()) == truth.n_messages == sum(truth.monthly.values())
    assert [p.name for p in monthly.paths] == ["2023-01.7z", "2023-02.7z"]
    for path in monthly.paths:
        with py7zr.SevenZipFile(path) as archive:
            assert {n[:7] for n in archive.getnames() if n.endswith(".txt")} == \
                {path.stem.replace("-", "/")}
