"""Arrival times from file names, --from/--to and covered fractions, against a known truth.

The trap here is written in untroubled.org's layout (``2011/MM/<unixtime>.<pid>.txt``): each
member's true arrival is the time in its name, and its headers are made to agree, disagree or
be missing in known ways. The expected counts are computed from those generated values alone.
"""

from __future__ import annotations

import io
import json
import random
import tarfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import py7zr
import pytest

from spamlab import ingest as ing
from spamlab.cli import main
from spamlab.errors import ParameterError
from spamlab.ingest import parse
from spamlab.testing import format_date

START, STOP = int(datetime(2011, 1, 20, tzinfo=UTC).timestamp()), int(
    datetime(2011, 5, 10, tzinfo=UTC).timestamp())
FIRST, LAST = "2011-03-01", "2011-04-30"
LO, HI = int(datetime(2011, 3, 1, tzinfo=UTC).timestamp()), int(
    datetime(2011, 5, 1, tzinfo=UTC).timestamp())


@dataclass(frozen=True)
class Member:
    """One generated message: its name, its bytes, and the times its headers carry."""

    name: str
    data: bytes
    name_time: int | None
    received: int | None
    date: int | None


def _member(rng: random.Random, index: int) -> Member:
    when = rng.randrange(START, STOP)
    kind = rng.random()
    received = date = None
    if kind < 0.6:
        received = when + rng.randrange(0, 600)            # the trap's clock agrees
    elif kind < 0.75:
        received = when + rng.choice([-3, 2, 5]) * 3600     # ... or is hours off
    elif kind < 0.9:
        date = when - rng.randrange(0, 20) * 86400          # no Received: the sender's Date only
    lines = []
    if received is not None:
        lines.append(f"Received: from x ([91.198.174.{index % 250 + 1}]) by trap; "
                     f"{format_date(received, 'rfc')[0]}")
    if date is not None:
        lines.append(f"Date: {format_date(date, 'rfc')[0]}")
    lines += [f"Message-ID: <{index}@spam.example>", "Subject: offer", "", "body"]
    month = datetime.fromtimestamp(when, UTC).strftime("%Y/%m")
    return Member(f"2011/{month[5:]}/{when}.{rng.randrange(100, 99999)}.txt",
                  "\n".join(lines).encode(), when, received, date)


def _trap(n: int = 240, seed: int = 11) -> list[Member]:
    rng = random.Random(seed)
    members = [_member(rng, i) for i in range(n)]
    january = int(datetime(2011, 1, 25, tzinfo=UTC).timestamp())
    members.append(Member("2011/01/odd.txt", f"Received: from x by trap; "
                          f"{format_date(january, 'rfc')[0]}\n\nbody".encode(), None, january,
                          None))
    return members


def _choose(member: Member, mode: str) -> tuple[str, int | None]:
    order = {"auto": ("received", "name_time", "date"), "received": ("received", "date"),
             "filename": ("name_time", "received", "date")}[mode]
    return next(((s, getattr(member, s)) for s in order if getattr(member, s) is not None),
                ("", None))


@dataclass
class Expected:
    """What an ingestion of the members must report."""

    daily: dict[str, int]
    counted: int
    out_of_range: int
    unparsed: int
    no_timestamp: int
    sources: dict[str, int]
    both: int
    apart: int


def _expected(members: list[Member], mode: str, window: tuple[int, int] | None) -> Expected:
    margin = 0 if mode == "filename" else 86400
    truth = Expected({}, 0, 0, 0, 0, {"received": 0, "filename": 0, "from_line": 0, "date_header": 0}, 0, 0)
    for member in members:
        if window is not None and _skipped_by_name(member, window, margin):
            truth.out_of_range += 1
            truth.unparsed += 1
            continue
        source, arrival = _choose(member, mode)
        if arrival is None:
            truth.no_timestamp += 1
        elif window is not None and not window[0] <= arrival < window[1]:
            truth.out_of_range += 1
        else:
            truth.counted += 1
            day = datetime.fromtimestamp(arrival, UTC).strftime("%Y-%m-%d")
            truth.daily[day] = truth.daily.get(day, 0) + 1
            truth.sources[{"name_time": "filename", "date": "date_header"}.get(source, source)] += 1
            if member.received is not None and member.name_time is not None:
                truth.both += 1
                truth.apart += abs(member.received - member.name_time) > 3600
    return truth


def _skipped_by_name(member: Member, window: tuple[int, int], margin: int) -> bool:
    if member.name_time is not None:
        return not window[0] - margin <= member.name_time < window[1] + margin
    month_end = int(datetime(2011, 2, 1, tzinfo=UTC).timestamp())  # only odd.txt: January
    return month_end + 86400 <= window[0]


def _write(members: list[Member], folder: Path, fmt: str) -> Path:
    if fmt == "tree":
        for member in members:
            target = folder / "trap" / member.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(member.data)
        return folder / "trap"
    path = folder / f"2011.{fmt}"
    if fmt == "7z":
        with py7zr.SevenZipFile(path, "w") as archive:  # solid: one folder
            for member in members:
                archive.writestr(member.data, member.name)
    elif fmt == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            for member in members:
                archive.writestr(member.name, member.data)
    else:
        with tarfile.open(path, "w") as archive:
            for member in members:
                info = tarfile.TarInfo(member.name)
                info.size = len(member.data)
                archive.addfile(info, io.BytesIO(member.data))
    return path


@pytest.fixture(scope="module")
def members() -> list[Member]:
    return _trap()


def _run(path: Path, out: Path, mode: str, window: bool,
         **options: object) -> ing.IngestResult:
    days = {"first_day": FIRST, "last_day": LAST} if window else {}
    return ing.ingest([path], out, workers=1, options=ing.IngestOptions(
        time_source=mode, not_after=STOP + 86400, **days, **options))  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["tree", "7z", "zip", "tar"])
def test_range_counts_match_truth_and_skip_unparsed(members: list[Member], tmp_path: Path,
                                                    fmt: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    real = parse.scan_row
    monkeypatch.setattr(parse, "scan_row", lambda member, *a: parsed.append(member) or real(
        member, *a))
    result = _run(_write(members, tmp_path, fmt), tmp_path / "out", "auto", window=True)
    truth = _expected(members, "auto", (LO, HI))
    report = result.report
    assert report["messages_seen"] == len(members)
    assert report["messages_seen"] == (report["messages_counted"] + report["rejected_total"]
                                       + report["duplicates"] + report["out_of_range"])
    assert (report["messages_counted"], report["out_of_range"],
            report["out_of_range_unparsed"]) == (truth.counted, truth.out_of_range, truth.unparsed)
    assert truth.unparsed > len(members) / 3 and len(parsed) == len(members) - truth.unparsed
    daily = result.daily
    assert daily["date"].iloc[0] == FIRST and daily["date"].iloc[-1] == LAST and len(daily) == 61
    assert {d: int(c) for d, c in zip(daily["date"], daily["count"]) if c} == truth.daily
    assert (daily["covered"] == 1.0).all()  # the trap ran before and after the range
    events = ing.read_events(tmp_path / "out")
    assert len(events) == len(members) - truth.out_of_range
    assert set(events["month"]) == {"2011-03", "2011-04"}


@pytest.mark.parametrize("mode", ["auto", "received", "filename"])
def test_time_sources_and_disagreement(members: list[Member], tmp_path: Path, mode: str) -> None:
    report = _run(_write(members, tmp_path, "tree"), tmp_path / "out", mode, window=False).report
    truth = _expected(members, mode, None)
    assert report["timestamp_source"] == truth.sources
    assert report["rejected"]["no_timestamp"] == truth.no_timestamp
    assert report["messages_counted"] == truth.counted
    agreement = report["filename_vs_received"]
    if mode == "received":
        assert truth.sources["filename"] == 0 and truth.no_timestamp > 10
    assert (agreement["messages_with_both"], agreement["apart"]) == (truth.both, truth.apart)
    assert truth.apart > 10 and agreement["share_apart"] == round(truth.apart / truth.both, 6)
    assert report["parameters"]["time_source"] == mode


def test_maildir_names_and_implausible_times(tmp_path: Path) -> None:
    box = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True)
    (box / "new" / "1300286700.M1P2.host").write_bytes(b"Subject: no dates\n\nbody")
    (box / "cur" / "1300373100.M3P4.host:2,S").write_bytes(b"Subject: no dates\n\nbody")
    (box / "cur" / "9999999999.M5P6.host:2,S").write_bytes(b"Subject: far future\n\nbody")
    result = ing.ingest([box], tmp_path / "out", workers=1,
                        options=ing.IngestOptions(not_after=1400000000))
    report = result.report
    assert report["timestamp_source"]["filename"] == 2
    assert report["rejected"]["no_timestamp"] == 1  # 2286 is no plausible arrival
    assert dict(zip(result.daily["date"], result.daily["count"])) == {
        "2011-03-16": 1, "2011-03-17": 1}
    events = ing.read_events(tmp_path / "out").set_index("member")
    assert events.loc["new/1300286700.M1P2.host", "time_source"] == "filename"
    assert events.loc["new/1300286700.M1P2.host", "arrival"] == datetime(
        2011, 3, 16, 14, 45, tzinfo=UTC)


def test_covered_fraction_of_partial_days_and_gaps(tmp_path: Path) -> None:
    day = int(datetime(2011, 3, 10, tzinfo=UTC).timestamp())
    members = [Member(f"2011/03/{t}.1.txt", f"Received: x; {format_date(t, 'rfc')[0]}\n\nb"
                      .encode(), t, t, None)
               for t in (day + 6 * 3600, day + 6 * 3600 + 60, day + 86400 + 7200)]
    result = _run(_write(members, tmp_path, "tree"), tmp_path / "out", "auto", window=False,
                  first_day="2011-03-09", last_day="2011-03-12")
    gap = (86400 + 7200 - 6 * 3600) / 2  # mean gap between the three messages: over an hour
    expected = [0.0, round((18 * 3600 + 3600) / 86400, 6), round((7200 + 3600) / 86400, 6), 0.0]
    assert gap > 3600
    assert result.daily["covered"].tolist() == expected
    assert result.daily["count"].isna().tolist() == [True, False, False, True]


def test_range_in_local_days_and_checkpoints_follow_the_range(members: list[Member],
                                                              tmp_path: Path) -> None:
    path = _write(members, tmp_path, "7z")
    first = _run(path, tmp_path / "out", "filename", window=True).report
    wider = ing.ingest([path], tmp_path / "out", workers=1, options=ing.IngestOptions(
        time_source="filename", not_after=STOP + 86400, first_day="2011-02-01",
        last_day=LAST, tz="America/New_York")).report
    zone_lo = int(datetime(2011, 2, 1, 5, tzinfo=UTC).timestamp())
    zone_hi = int(datetime(2011, 5, 1, 4, tzinfo=UTC).timestamp())
    truth = _expected(members, "filename", (zone_lo, zone_hi))
    assert first["messages_counted"] == _expected(members, "filename", (LO, HI)).counted
    assert (wider["messages_counted"], wider["out_of_range"]) == (truth.counted,
                                                                  truth.out_of_range)
    assert wider["days"]["first"] == "2011-02-01" and wider["days"]["listed"] == 89


def test_cli_range_options(members: list[Member], tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(members[:40], tmp_path, "zip")
    status = main(["ingest", str(path), "--out", str(tmp_path / "o"), "--from", FIRST,
                   "--to", LAST, "--time-source", "filename", "--workers", "1"])
    report = json.loads((tmp_path / "o" / "ingest_report.json").read_text())
    assert status == 0 and report["parameters"]["first_day"] == FIRST
    assert f"{report['out_of_range']} out of range" in capsys.readouterr().out
    assert main(["ingest", str(path), "--out", str(tmp_path / "o"), "--from", "March"]) == 2
    assert "first_day: 'March' is not a day (use YYYY-MM-DD)" in capsys.readouterr().err
    with pytest.raises(ParameterError, match="first_day 2011-05-01 is after last_day"):
        ing.ingest([path], tmp_path / "o", options=ing.IngestOptions(
            first_day="2011-05-01", last_day="2011-04-30"))


def _daily_file(path: Path, covered: list[float], counts: list[float]) -> Path:
    days = [datetime.fromtimestamp(START + i * 86400, UTC).strftime("%Y-%m-%d")
            for i in range(len(counts))]
    rows = ["date,count,covered"] + [
        f"{d},{'' if c == 0 else int(n)},{c}" for d, n, c in zip(days, counts, covered)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_covered_column_is_the_exposure_of_count_models(tmp_path: Path) -> None:
    import numpy as np

    from spamlab import inputs, its

    rng = np.random.default_rng(5)
    n, cut = 84, 56  # 2011-01-20 .. 2011-04-13, the interruption on day 56 (2011-03-17)
    covered = np.ones(n)
    covered[[0, n - 1]] = [0.3, 0.6]                 # first and last day of the archive
    covered[cut:n - 1:2] = 0.4                       # the trap often down after the interruption
    covered[20:23] = 0.0                             # and down for three days before it
    rate = 2000.0 * np.where(np.arange(n) >= cut, 0.7, 1.0)
    counts = rng.poisson(rate * covered).astype(float)
    path = _daily_file(tmp_path / "daily_counts.csv", covered.tolist(), counts.tolist())
    inp = inputs.read_daily(path)
    frame = inp.frame
    assert inp.exposure == "exposure"
    assert frame["volume"].isna().sum() == 3 and frame["is_gap"].sum() == 3
    assert frame["exposure"].iloc[[0, 21, n - 1]].tolist() == [0.3, 1.0, 0.6]
    spec = {"y": "volume", "interruptions": ["2011-03-17"], "family": "quasipoisson",
            "seasonality": None, "slope_change": False, "errors": "hac"}
    with_exposure = its.fit(frame, exposure=inp.exposure_for("quasipoisson"), **spec).effects
    without = its.fit(frame, **spec).effects
    assert with_exposure["ci_low"].iloc[0] < 0.7 < with_exposure["ci_high"].iloc[0]
    assert without["ci_high"].iloc[0] < 0.7  # partly covered days taken as whole ones: biased
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(path.read_text().replace("covered", "share"))
    assert inputs.read_daily(renamed).exposure is None
    assert inputs.read_daily(renamed, exposure_col="share").frame["exposure"].iloc[0] == 0.3


def test_exposure_outside_zero_one_is_refused_and_run_passes_the_option(tmp_path: Path) -> None:
    import argparse

    from spamlab import inputs
    from spamlab.cli import run as cli_run
    from spamlab.errors import DataError

    path = _daily_file(tmp_path / "bad.csv", [1.0, 2.0, 1.0], [5, 6, 7])
    with pytest.raises(DataError, match=r"bad.csv: exposure column 'covered': 1 value\(s\) "
                       r"outside 0..1, first on 2011-01-21 \(2.0\)"):
        inputs.read_daily(path)
    parser = argparse.ArgumentParser()
    cli_run.configure_parser(parser)
    args = parser.parse_args(["--data", str(path), "--exposure-col", "covered"])
    assert args.exposure_col == "covered"
    assert cli_run._OWN_OPTIONS["exposure_col"] == "--exposure-col"


def test_threaded_reading_passes_the_same_heads_and_errors(members: list[Member],
                                                           tmp_path: Path) -> None:
    import threading

    from spamlab.mail import containers

    path = _write(members * 3, tmp_path, "tar")  # over 700 members: several batches
    cut = tmp_path / "cut.tar"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    for source in (path, cut):
        task = containers.plan_tasks(containers.discover([source]))[0]
        plain: list[tuple[str, bytes, str]] = []
        threaded: list[tuple[str, bytes, str]] = []
        errors = []
        for read, heads in ((containers.read_task, plain), (parse.read_in_thread, threaded)):
            try:
                read(task, lambda *head, heads=heads: heads.append(head))
            except Exception as exc:  # noqa: BLE001 (compared below)
                errors.append(str(exc))
        assert threaded == plain and len(plain) > 300
        assert len(errors) == (0 if source == path else 2) and len(set(errors)) <= 1
    before = threading.active_count()

    def failing(member: str, data: bytes, problem: str) -> None:
        raise RuntimeError("parser gave up")

    with pytest.raises(RuntimeError, match="parser gave up"):
        parse.read_in_thread(containers.plan_tasks(containers.discover([path]))[0], failing)
    assert threading.active_count() == before  # the reading thread stopped


def test_open_ended_range_lists_the_counted_days_on_its_open_side(tmp_path: Path) -> None:
    from spamlab.testing import mbox_bytes

    box = tmp_path / "t.mbox"
    box.write_bytes(mbox_bytes([f"Received: x; {day} Mar 2011 10:00:00 +0000\n\nb".encode()
                                for day in (1, 5, 9)]))
    since = ing.ingest([box], tmp_path / "a", workers=1,
                       options=ing.IngestOptions(first_day="2011-03-04"))
    until = ing.ingest([box], tmp_path / "b", workers=1,
                       options=ing.IngestOptions(last_day="2011-03-06"))
    assert since.daily["date"].tolist() == [f"2011-03-0{d}" for d in range(4, 10)]
    assert until.daily["date"].tolist() == [f"2011-03-0{d}" for d in range(1, 7)]
    assert since.daily["count"].sum() == until.daily["count"].sum() == 2
    assert since.report["out_of_range"] == until.report["out_of_range"] == 1
    assert since.daily["covered"].iloc[0] == 1.0  # the mbox ran before the 4th
