"""data/sample/mailserver_daily.csv: read as shipped, against a parse by hand and the truth it
was built with; the guide's commands are accepted by `spamlab run` (no notebook is executed)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import shlex
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spamlab import inputs, its, paths
from spamlab.cli import build_parser
from spamlab.cli.run import plan_run

SAMPLE = paths.project_root() / "data" / "sample"
EXPORT = SAMPLE / "mailserver_daily.csv"
SOURCES = ["BotnetA", "BotnetB", "Other"]


def by_hand() -> dict[str, dict[dt.date, float | None]]:
    """Each column by day, read with plain string handling: '#' lines skipped, ';' split,
    day.month.year dates, empty cells as None."""
    lines = [line for line in EXPORT.read_bytes().decode("utf-8").split("\r\n")
             if line and not line.startswith("#")]
    header = lines[0].split(";")
    columns: dict[str, dict[dt.date, float | None]] = {name: {} for name in header[1:]}
    for line in lines[1:]:
        cells = line.split(";")
        day = dt.datetime.strptime(cells[0], "%d.%m.%Y").date()
        for name, cell in zip(header[1:], cells[1:], strict=True):
            columns[name][day] = float(cell) if cell else None
    return columns


def generator():
    spec = importlib.util.spec_from_file_location("make_sample", SAMPLE / "make_mailserver_daily.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_file_says_it_is_synthetic():
    first = EXPORT.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("#") and "SYNTHETIC" in first
    assert "SYNTHETIC" in (SAMPLE / "README.md").read_text(encoding="utf-8").splitlines()[0]


def test_read_as_shipped_days_values_and_gaps():
    expected = by_hand()["Total"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # reading it as shipped raises no warning either
        inp = inputs.read_daily(EXPORT, date_col="Date", value_col="Total")
    frame = inp.frame
    days = [stamp.date() for stamp in frame.index]
    calendar = pd.date_range(min(expected), max(expected), freq="D").date
    assert days == list(calendar)  # absent days are rows of the regular series
    gaps = {day for day in calendar if expected.get(day) is None}
    assert len(gaps) == 4  # three absent days and one with empty cells
    assert {stamp.date() for stamp in frame.index[frame["is_gap"]]} == gaps
    assert frame["volume"][frame["is_gap"]].isna().all()  # never zero-filled
    observed = frame.loc[~frame["is_gap"], "volume"]
    assert {stamp.date(): value for stamp, value in observed.items()} == {
        day: value for day, value in expected.items() if value is not None}
    # its own header calls it synthetic, so every result from it is labelled so
    assert inp.synthetic and "SYNTHETIC" in inp.label and inp.unit == "messages per day"
    assert frame.attrs["n_preamble_lines"] == 2 and frame.attrs["rejections"] == {}


def test_sources_read_as_shipped_and_add_up_to_the_total():
    columns = by_hand()
    inp = inputs.read_sources(EXPORT, date_col="Date", value_col="Total", sources=SOURCES,
                              target="BotnetA")
    kept = inp.frame[~inp.frame["is_gap"]]
    for name in ["Total", *SOURCES]:
        assert {s.date(): v for s, v in kept[name].items()} == {
            d: v for d, v in columns[name].items() if v is not None}
    np.testing.assert_array_equal(kept["Total"], kept[SOURCES].sum(axis=1))


def test_the_file_is_what_its_generator_writes(tmp_path):
    make = generator()
    target = tmp_path / "again.csv"
    make.write(make.build(), target)
    assert target.read_bytes() == EXPORT.read_bytes()


def test_notebook_05s_model_finds_the_fall_the_file_was_built_with():
    truth = generator().TRUE_RATIO  # 0.20 * 1.1 + 0.35 (BotnetA stops, BotnetB + 10%)
    assert truth == pytest.approx(0.57)
    inp = inputs.read_daily(EXPORT, date_col="Date", value_col="Total")
    spec = its.Specification(family="quasipoisson", seasonality="dow", errors="hac",
                             slope_change=False, exposure=inp.exposure_for("quasipoisson"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the gaps and the leftover autocorrelation are warned of
        res = its.fit(inp.frame, y=inp.y_for("quasipoisson"),
                      interruptions=["2011-03-16T14:45:00+00:00"], spec=spec)
    level = res.level_change(0)
    assert level["scale"] == "ratio" and level["ci_high"] < 1
    assert abs(level["estimate"] - truth) < 0.06


def guide_commands() -> list[str]:
    text = (SAMPLE / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^spamlab run .+$", text, flags=re.MULTILINE)


@pytest.mark.parametrize("command", guide_commands())
def test_the_guides_commands_are_accepted(command, tmp_path):
    args = shlex.split(command)[2:] + ["--reports-dir", str(tmp_path)]
    plan = plan_run(build_parser("run").parse_args(["run", *args]))
    assert "05-your-data" in plan.notebooks
    assert Path(plan.parameters["data"]) == EXPORT.resolve()
    assert plan.parameters["interruption"] == "2011-03-16T14:45:00+00:00"


def test_the_guide_has_two_commands():
    assert len(guide_commands()) == 2


def test_a_file_is_synthetic_only_when_its_own_comment_says_so(tmp_path):
    from spamlab import inputs

    days = "".join(f"2024-01-{d:02d},{100 + d}\n" for d in range(1, 29))
    plain = tmp_path / "plain.csv"
    plain.write_text("# exported by the gateway\ndate,count\n" + days)
    marked = tmp_path / "marked.csv"
    marked.write_text("# a synthetic series for a demo\ndate,count\n" + days)
    assert not inputs.read_daily(plain).synthetic
    made = inputs.read_daily(marked)
    assert made.synthetic and made.label == "marked.csv (SYNTHETIC, as its header says)"
