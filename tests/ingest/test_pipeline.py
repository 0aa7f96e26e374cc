"""The ingestion pipeline end to end, against the synthetic corpus's ground truth."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from spamlab import ingest as ing
from spamlab import series, testing
from spamlab.cli import main
from spamlab.errors import ParameterError
from spamlab.ingest import checkpoints, engines, outputs
from spamlab.mail import containers
from spamlab.testing import mbox_bytes

OUTPUTS = ("daily_counts.csv", "ingest_report.json")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> testing.CorpusTruth:
    return testing.write_corpus(tmp_path_factory.mktemp("corpus"), n_messages=420, seed=7)


@pytest.fixture(scope="module")
def reference_run(corpus: testing.CorpusTruth, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out") / "ref"
    ing.ingest(corpus.paths, out, workers=1)
    return out


def test_every_format_matches_ground_truth(corpus: testing.CorpusTruth,
                                           reference_run: Path) -> None:
    report = json.loads((reference_run / "ingest_report.json").read_text())
    assert report["messages_seen"] == corpus.n_messages
    assert report["messages_counted"] == corpus.counted
    assert report["duplicates"] == corpus.duplicates
    assert {k: v for k, v in report["rejected"].items() if v} == corpus.rejected
    assert report["timestamp_source"] == {"received": corpus.source.get("received", 0),
                                          "filename": corpus.source.get("filename", 0),
                                          "from_line": corpus.source.get("from_line", 0),
                                          "date_header": corpus.source.get("date", 0)}
    assert report["messages_seen"] == (report["messages_counted"] + report["rejected_total"]
                                       + report["duplicates"] + report["out_of_range"])
    assert report["out_of_range"] == 0
    assert {c["kind"] for c in report["containers"]} == {"tree", "mbox", "maildir", "zip", "tar",
                                                         "7z"}
    daily = pd.read_csv(reference_run / "daily_counts.csv")
    assert list(daily.columns[:2]) == ["date", "count"]
    nonzero = {d: int(c) for d, c in zip(daily["date"], daily["count"]) if c > 0}
    assert nonzero == corpus.daily


def test_events_hold_one_row_per_message(corpus: testing.CorpusTruth, reference_run: Path) -> None:
    events = ing.read_events(reference_run)
    assert len(events) == corpus.n_messages
    assert events["status"].value_counts().to_dict() == {
        k: v for k, v in {"counted": corpus.counted, "duplicate": corpus.duplicates,
                          "rejected": sum(corpus.rejected.values())}.items() if v}
    counted = events[events["status"] == "counted"]
    months = counted["arrival"].dt.strftime("%Y-%m")
    assert (months == counted["month"]).all()
    assert counted["sender_ip"].notna().mean() > 0.9


def test_rerun_and_other_worker_counts_are_byte_identical(corpus: testing.CorpusTruth,
                                                          reference_run: Path,
                                                          tmp_path: Path) -> None:
    ing.ingest(corpus.paths, tmp_path / "two", workers=2,
               options=ing.IngestOptions(files_per_task=25, mbox_bytes_per_task=4096))
    ing.ingest(corpus.paths, reference_run, workers=1)  # rerun into the same folder
    for name in OUTPUTS:
        assert (tmp_path / "two" / name).read_bytes() == (reference_run / name).read_bytes()
    assert _tree_bytes(tmp_path / "two" / "events") == _tree_bytes(reference_run / "events")


def test_interrupted_run_resumes_from_checkpoints(corpus: testing.CorpusTruth,
                                                  reference_run: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    options = ing.IngestOptions(files_per_task=20)
    real = engines.parse_task
    calls: list[str] = []
    crash = [True]

    def flaky(task):
        calls.append(task.container.name)
        if crash[0] and len(calls) == 4:
            raise RuntimeError("simulated crash")
        return real(task)

    monkeypatch.setattr(engines, "parse_task", flaky)
    with pytest.raises(RuntimeError, match="simulated crash"):
        ing.ingest(corpus.paths, tmp_path / "out", workers=1, options=options)
    assert not (tmp_path / "out" / "ingest_report.json").exists()
    assert len(list((tmp_path / "out" / checkpoints.CHECKPOINT_DIR).glob("*.arrow"))) == 3
    total_tasks = len(containers.plan_tasks(containers.discover(corpus.paths), files_per_task=20))
    calls.clear()
    crash[0] = False
    ing.ingest(corpus.paths, tmp_path / "out", workers=1, options=options)
    assert len(calls) == total_tasks - 3
    for name in OUTPUTS:
        assert (tmp_path / "out" / name).read_bytes() == (reference_run / name).read_bytes()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_rerun_reuses_every_shard_of_a_first_run(corpus: testing.CorpusTruth,
                                                  tmp_path: Path, workers: int) -> None:
    """A first run's shards are named by the keys a rerun computes, so a rerun reuses every
    one and writes none again (a change to how or where keys are computed must keep this)."""
    options = ing.IngestOptions(files_per_task=30)
    out = tmp_path / "out"
    ing.ingest(corpus.paths, out, workers=workers, options=options)
    tasks = containers.plan_tasks(containers.discover(corpus.paths), files_per_task=30,
                                  archive_parts=workers)
    shards = {p.stem for p in (out / checkpoints.CHECKPOINT_DIR).glob("*.arrow")}
    assert shards == {checkpoints.task_key(task) for task in tasks}
    assert len(shards) == len(tasks) > 5
    written = {p.name: p.stat().st_mtime_ns
               for p in (out / checkpoints.CHECKPOINT_DIR).glob("*.arrow")}
    ing.ingest(corpus.paths, out, workers=workers, options=options)
    assert {p.name: p.stat().st_mtime_ns  # every shard reused, none written again
            for p in (out / checkpoints.CHECKPOINT_DIR).glob("*.arrow")} == written


def _message(when: str, message_id: str = "", zone: str = "+0000") -> bytes:
    moment = datetime.fromisoformat(when)
    text = moment.strftime("%d %b %Y %H:%M:%S ") + zone
    head = f"Received: from a ([91.198.174.192]) by trap; {text}\n"
    if message_id:
        head += f"Message-ID: {message_id}\n"
    return (head + "Subject: test\n\nbody\n").encode()


def test_duplicate_window_is_respected(tmp_path: Path) -> None:
    box = tmp_path / "trap.mbox"
    box.write_bytes(mbox_bytes([_message("2011-03-10 10:00", "<a@x>"),
                                _message("2011-03-10 12:00", "<a@x>"),
                                _message("2011-03-10 12:30", "<a@x>"),
                                _message("2011-03-10 12:30")]))
    hourly = ing.ingest([box], tmp_path / "h", workers=1,
                        options=ing.IngestOptions(duplicate_window=3600)).report
    daily = ing.ingest([box], tmp_path / "d", workers=1).report
    assert (hourly["messages_counted"], hourly["duplicates"]) == (3, 1)
    assert (daily["messages_counted"], daily["duplicates"]) == (2, 2)


def test_gaps_between_containers_are_empty_not_zero(tmp_path: Path) -> None:
    (tmp_path / "march").mkdir()
    (tmp_path / "march" / "1").write_bytes(_message("2011-03-01 10:00"))
    (tmp_path / "march" / "2").write_bytes(_message("2011-03-03 10:00"))
    (tmp_path / "april.mbox").write_bytes(mbox_bytes([_message("2011-03-06 23:59"),
                                                      _message("2011-03-07 00:01")]))
    result = ing.ingest([tmp_path / "march", tmp_path / "april.mbox"], tmp_path / "out",
                        workers=1)
    text = (tmp_path / "out" / "daily_counts.csv").read_text().splitlines()
    # a container covers its first to its last message, widened at each end by its mean gap
    # between messages, at most an hour: march 09:00 on the 1st to 11:00 on the 3rd, the mbox
    # 23:57 on the 6th to 00:03 on the 7th (mean gap 2 minutes)
    assert text[:8] == [
        ("date,count,covered,from_received,from_filename,from_mbox_line,from_date_header,"
         "duplicates"),
        f"2011-03-01,1,{round(15 / 24, 6)},1,0,0,0,0",
        "2011-03-02,0,1.0,0,0,0,0,0",  # inside the folder's span: a real zero
        f"2011-03-03,1,{round(11 / 24, 6)},1,0,0,0,0",
        "2011-03-04,,0.0,,,,,",     # no container covers it: a gap, never zero-filled
        "2011-03-05,,0.0,,,,,",
        f"2011-03-06,1,{round(180 / 86400, 6)},1,0,0,0,0",
        f"2011-03-07,1,{round(180 / 86400, 6)},1,0,0,0,0",
    ]
    assert result.report["days"] == {
        "timezone": "UTC", "first": "2011-03-01", "last": "2011-03-07", "listed": 7,
        "covered": 5, "partly_covered": 4, "gaps": 2,
        "covered_days": round(15 / 24 + 1 + 11 / 24 + 2 * round(180 / 86400, 6), 6)}
    # the foundation's reader takes the file as it is
    volume = series.read(tmp_path / "out" / "daily_counts.csv", tz="UTC")["volume"]
    assert volume.isna().tolist() == [False, False, False, True, True, False, False]
    assert volume.sum() == 4


def test_local_time_zone_moves_day_boundaries(tmp_path: Path) -> None:
    times = ["2011-03-13 03:30", "2011-03-13 06:30", "2011-03-13 23:30"]  # UTC
    box = tmp_path / "t.mbox"
    box.write_bytes(mbox_bytes([_message(t) for t in times]))
    zone = "America/New_York"
    expected: dict[str, int] = {}
    for t in times:
        local = datetime.fromisoformat(t).replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
        expected[local.strftime("%Y-%m-%d")] = expected.get(local.strftime("%Y-%m-%d"), 0) + 1
    daily = ing.ingest([box], tmp_path / "o", workers=1, options=ing.IngestOptions(tz=zone)).daily
    assert dict(zip(daily["date"], daily["count"].astype(int))) == expected


def test_not_after_and_before_1990_reject_with_reasons(tmp_path: Path) -> None:
    box = tmp_path / "t.mbox"
    box.write_bytes(mbox_bytes([_message("2011-03-13 03:30"), _message("2011-03-20 03:30"),
                                _message("1989-12-31 23:59")]))
    cutoff = int(datetime(2011, 3, 15, tzinfo=UTC).timestamp())
    report = ing.ingest([box], tmp_path / "o", workers=1,
                        options=ing.IngestOptions(not_after=cutoff)).report
    assert report["rejected"]["in_future"] == 1
    assert report["rejected"]["before_1990"] == 1
    assert report["parameters"]["not_after"] == cutoff


def test_unreadable_container_is_reported_and_fails_the_command(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]
                                                                ) -> None:
    (tmp_path / "good.mbox").write_bytes(mbox_bytes([_message("2011-03-13 03:30")]))
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    status = main(["ingest", str(tmp_path / "good.mbox"), str(tmp_path / "broken.zip"),
                   "--out", str(tmp_path / "o"), "--workers", "1", "--quiet"])
    captured = capsys.readouterr()
    assert status == 1
    assert "broken.zip: not a readable zip archive" in captured.err
    report = json.loads((tmp_path / "o" / "ingest_report.json").read_text())
    assert report["messages_counted"] == 1
    assert report["errors"] and "broken.zip" in report["errors"][0]


def test_cli_prints_summary_and_validates_arguments(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "m.eml").write_bytes(_message("2011-03-13 03:30", "<z@y>"))
    assert main(["ingest", str(tmp_path / "m.eml"), "--out", str(tmp_path / "o")]) == 0
    assert "ingest: 1 messages seen: 1 counted, 0 duplicates, 0 rejected" in capsys.readouterr().out
    assert main(["ingest", str(tmp_path / "m.eml"), "--out", str(tmp_path / "o"),
                 "--header-limit", "lots"]) == 2
    assert "--header-limit: 'lots' is not a size" in capsys.readouterr().err
    assert main(["ingest", str(tmp_path / "m.eml"), "--out", str(tmp_path / "o"),
                 "--duplicate-window", "soon"]) == 2
    assert "--duplicate-window: 'soon' is not a duration" in capsys.readouterr().err
    assert main(["ingest", str(tmp_path / "m.eml"), "--out", str(tmp_path / "o"),
                 "--not-after", "tomorrow"]) == 2
    assert "--not-after: 'tomorrow' is not an ISO time" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"engine": "spark"}, "engine must be one of"),
     ({"engine": "dask"}, "engine 'dask' needs scheduler"),
     ({"workers": 0}, "workers must be at least 1"),
     ({"options": ing.IngestOptions(duplicate_window=-1)}, "duplicate_window must be >= 0"),
     ({"options": ing.IngestOptions(tz="Nowhere/Land")}, "tz: unknown time zone 'Nowhere/Land'")],
)
def test_bad_parameters_are_named(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        ing.ingest([tmp_path], tmp_path / "o", **kwargs)


def test_empty_input_writes_empty_but_valid_outputs(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "junk").write_bytes(b"")
    result = ing.ingest([tmp_path / "in"], tmp_path / "o", workers=1)
    assert result.report["messages_seen"] == 1 and result.report["rejected"]["empty"] == 1
    assert (tmp_path / "o" / "daily_counts.csv").read_text().startswith("date,count")


@pytest.mark.dask
def test_dask_engine_gives_identical_outputs(corpus: testing.CorpusTruth, reference_run: Path,
                                             tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None,
                      silence_logs=50) as cluster:
        with Client(cluster) as client:
            ing.ingest(corpus.paths, tmp_path / "dask", engine="dask", scheduler=client,
                       options=ing.IngestOptions(files_per_task=40))
        status = main(["ingest", *map(str, corpus.paths), "--out", str(tmp_path / "cli"),
                       "--engine", "dask", "--scheduler", cluster.scheduler_address, "--quiet"])
    assert status == 0
    for out in (tmp_path / "dask", tmp_path / "cli"):
        for name in OUTPUTS:
            assert (out / name).read_bytes() == (reference_run / name).read_bytes()
        assert _tree_bytes(out / "events") == _tree_bytes(reference_run / "events")


def _tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_truncated_and_oversized_headers(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "cut").write_bytes(_message("2011-03-13 03:30").split(b"\n\n")[0][:-3])
    (folder / "big").write_bytes(b"X-Junk: " + b"y" * 3000 + b"\n" + _message("2011-03-13 03:30"))
    (folder / "ok").write_bytes(_message("2011-03-13 04:30"))
    result = ing.ingest([folder], tmp_path / "o", workers=1,
                        options=ing.IngestOptions(header_limit=2048))
    assert result.report["rejected"]["header_too_large"] == 1
    assert (result.report["messages_counted"], result.report["truncated_counted"]) == (2, 1)
    events = ing.read_events(tmp_path / "o").set_index("member")
    assert bool(events.loc["cut", "truncated"]) and not bool(events.loc["ok", "truncated"])


def test_atomic_write_keeps_the_old_file_when_interrupted(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "daily_counts.csv"
    outputs.write_atomic(target, b"old")

    def broken_replace(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(outputs.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        outputs.write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["daily_counts.csv"]
