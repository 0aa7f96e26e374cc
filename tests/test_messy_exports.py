"""Exports as mail administrators and journalists bring them: totals rows, comments above
the header, joined files, UTF-16, compressed files, thousands separators, old Mac line ends.

Each test writes the file itself and compares with values written independently of spamlab.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spamlab import inputs, its, series
from spamlab.cli import build_parser
from spamlab.cli import run as cli_run
from spamlab.errors import DataError, ParameterError

DAYS = [f"2011-03-{day:02d}" for day in range(1, 11)]
COUNTS = [1000 + 7 * i for i in range(len(DAYS))]


def _daily(sep: str = ",") -> str:
    return f"date{sep}count\n" + "".join(f"{d}{sep}{c}\n" for d, c in zip(DAYS, COUNTS, strict=True))


def _german(days: list[pd.Timestamp], counts: list[int]) -> str:
    return "Datum;Spam\n" + "".join(f"{d:%d.%m.%Y};{c}\n" for d, c in zip(days, counts, strict=True))


def test_a_totals_row_below_day_month_year_dates_is_one_counted_bad_row(tmp_path):
    days = list(pd.date_range("2011-03-01", periods=10, freq="D"))
    path = tmp_path / "summe.csv"
    path.write_text(_german(days, COUNTS) + f"Summe;{sum(COUNTS)}\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"summe.csv, line 12: date in column 'Datum' could not be "
                                        r"parsed: 'Summe' \(a totals row\)"):
        series.read(path, date_col="Datum", value_col="Spam")
    frame = series.read(path, date_col="Datum", value_col="Spam", on_bad_rows="drop",
                        max_bad_share=0.1)  # one row of eleven
    assert frame["volume"].tolist() == COUNTS
    assert frame.index[0] == pd.Timestamp("2011-03-01", tz="UTC")
    assert frame.attrs["rejected_lines"] == {"date in column 'Datum' could not be parsed": [12]}


@pytest.mark.parametrize("cell, says", [
    ("Total", "a totals row"),
    ("date", "a repeated header line"),
    ("# second export", "a comment line"),
    ("40613", "spreadsheet serial dates"),
    ("03/11/2011", "the column mixes ISO 8601 dates with dates like '03/11/2011'"),
])
def test_an_unparseable_date_is_not_blamed_on_a_missing_time_zone(tmp_path, cell, says):
    path = tmp_path / "export.csv"
    path.write_text(_daily() + f"{cell},5\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        series.read(path)
    message = str(caught.value)
    assert f"export.csv, line 12: date in column 'date' could not be parsed: {cell!r}" in message
    assert says in message and "time zone" not in message
    assert series.read(path, on_bad_rows="drop", max_bad_share=0.1).attrs["rejections"] == {
        "date in column 'date' could not be parsed": 1}


def test_quoted_values_with_thousands_commas_are_read_as_numbers(tmp_path):
    path = tmp_path / "english.csv"
    path.write_text('date,count\n2011-03-01,"1,234,567"\n2011-03-02,"52,000.5"\n2011-03-03,999\n',
                    encoding="utf-8")
    assert series.read(path)["volume"].tolist() == [1234567.0, 52000.5, 999.0]
    path.write_text('date,count\n2011-03-01,"12,5"\n', encoding="utf-8")  # not groups of three
    with pytest.raises(DataError, match=r"line 2: value in column 'count' is not a number: "
                                        r"'12,5'; pass decimal=','"):
        series.read(path)


def test_excel_unicode_text_utf16_tab_separated_is_read_without_options(tmp_path):
    path = tmp_path / "excel.txt"
    path.write_text(_daily("\t"), encoding="utf-16")  # with its byte-order mark, as Excel writes it
    frame = series.read(path)
    assert frame["volume"].tolist() == COUNTS and frame.attrs["sep"] == "\t"
    with pytest.raises(DataError, match=r"excel.txt: the file starts with a UTF-16 byte-order "
                                        r"mark .*not latin-1 text; pass encoding='utf-16'"):
        series.read(path, encoding="latin-1")  # not column names full of NULs


@pytest.mark.parametrize("suffix, compress", [
    (".gz", gzip.compress), (".bz2", bz2.compress), (".xz", lzma.compress), (".zip", None)])
def test_compressed_exports_are_read_by_their_suffix(tmp_path, suffix, compress):
    path = tmp_path / f"counts.csv{suffix}"
    text = "# exported by the mail server\n" + _daily()
    if compress is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("counts.csv", text)
    else:
        path.write_bytes(compress(text.encode("utf-8")))
    frame = series.read(path)
    assert frame["volume"].tolist() == COUNTS and frame.attrs["n_preamble_lines"] == 1


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_lines_above_the_header_are_skipped_and_line_numbers_stay_those_of_the_file(
        tmp_path, newline):
    text = "# spam per day\n\n# server mx1\n" + _daily() + "\n2011-03-11,lots\n"
    path = tmp_path / "preamble.csv"
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    # the header is line 4, the ten days lines 5-14, a blank line 15, the bad value line 16
    with pytest.raises(DataError, match=r"preamble.csv, line 16: value in column 'count' is not "
                                        r"a number"):
        series.read(path)
    frame = series.read(path, on_bad_rows="drop", max_bad_share=0.1)
    assert frame["volume"].tolist() == COUNTS  # no row lost to the skipped lines
    assert frame.attrs["n_preamble_lines"] == 3 and frame.attrs["n_rows"] == 11


def test_duplicates_repeating_their_value_warn_that_a_sum_counts_them_twice(tmp_path):
    path = tmp_path / "joined.csv"
    path.write_text(_daily() + f"{DAYS[3]},{COUNTS[3]}\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"line 12: duplicate timestamp .*aggregate='max' \(or "
                                        r"'mean'\) to keep one, 'sum' would count it twice"):
        series.read(path)
    frame = series.read(path, aggregate="max")
    assert frame["volume"].tolist() == COUNTS and frame.attrs["n_aggregated"] == 1


@pytest.mark.parametrize("cell, says", [
    ("n/a", "only empty cells are read as missing: replace 'n/a' by an empty cell"),
    ("\u2014", "only empty cells are read as missing: replace '\u2014' by an empty cell"),
    ("52 bn", "a unit after the number is not read"),
])
def test_missing_markers_and_units_are_shown_with_what_to_do(tmp_path, cell, says):
    path = tmp_path / "vendor.csv"
    path.write_text(_daily() + f"2011-03-11,{cell}\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        series.read(path)
    assert f"line 12: value in column 'count' is not a number: {cell!r}; " + says in str(caught.value)


@pytest.mark.parametrize("name, write", [
    ("daily_counts.csv", lambda p, t: p.write_text(t, encoding="utf-16")),
    ("daily_counts.csv.gz", lambda p, t: p.write_bytes(gzip.compress(t.encode()))),
    ("daily_counts.csv", lambda p, t: p.write_text("# from spamlab ingest\n" + t)),
])
def test_the_covered_column_is_found_in_any_readable_file(tmp_path, name, write):
    path = tmp_path / name
    write(path, "date,count,covered\n" + "".join(
        f"{d},{c},{0.0 if i == 4 else 0.5}\n" for i, (d, c) in enumerate(zip(DAYS, COUNTS, strict=True))))
    inp = inputs.read_daily(path)
    assert inp.exposure == "exposure"
    assert inp.frame["is_gap"].tolist() == [i == 4 for i in range(len(DAYS))]  # covered 0: a gap


def _run_args(path: Path, *extra: str) -> object:
    return build_parser("run").parse_args(
        ["run", "--data", str(path), "--date-col", "Datum", "--value-col", "Spam",
         "--interruption", "2024-02-01", "--reports-dir", str(path.parent / "reports"), *extra])


@pytest.fixture
def summe_csv(tmp_path):
    days = list(pd.date_range("2024-01-01", periods=60, freq="D"))
    counts = [1000 + i for i in range(60)]
    path = tmp_path / "server.csv"
    path.write_text(_german(days, counts) + f"Summe;{sum(counts)}\n", encoding="utf-8")
    return path


def test_the_command_line_names_its_own_options_in_errors(summe_csv):
    with pytest.raises(DataError) as caught:
        cli_run.plan_run(_run_args(summe_csv))
    assert "line 62" in str(caught.value) and "pass --on-bad-rows drop" in str(caught.value)
    assert "on_bad_rows=" not in str(caught.value)


def test_the_command_line_reports_the_rows_it_dropped(summe_csv, capsys):
    plan = cli_run.plan_run(_run_args(summe_csv, "--on-bad-rows", "drop", "--max-bad-share", "0.02"))
    assert plan.parameters["reading"]["on_bad_rows"] == "drop"
    out = capsys.readouterr().out
    assert ("read server.csv: 61 rows; 1 rejected (date in column 'Datum' could not be parsed: "
            "1, line 62)") in out


# issue 21, item 3: following the date hint gave a wrong answer; item 4: a column named twice,
# a non-numeric value without the value

def _us_year(tmp_path: Path) -> tuple[Path, pd.DatetimeIndex, np.ndarray]:
    """A year of daily counts written month first (3/16/2011); 40% fewer after 16 March 14:45."""
    days = pd.date_range("2011-01-01", periods=365, freq="D")
    share_after = np.clip((days + pd.Timedelta(days=1) - pd.Timestamp("2011-03-16 14:45"))
                          / pd.Timedelta(days=1), 0, 1)
    counts = np.random.default_rng(1).poisson(5000 * (1 - 0.4 * share_after))
    path = tmp_path / "us.csv"
    path.write_text("date,count\n" + "".join(
        f"{d.month}/{d.day}/{d.year},{c}\n" for d, c in zip(days, counts, strict=True)))
    return path, days, counts


def test_us_dates_are_read_month_first_and_the_fall_is_recovered(tmp_path):
    path, days, counts = _us_year(tmp_path)
    inp = inputs.read_daily(path)
    assert inp.frame.attrs["date_format"] == "%m/%d/%Y"
    assert list(inp.frame.index) == list(days.tz_localize("UTC"))  # every day, none swapped
    assert inp.frame["volume"].tolist() == [float(c) for c in counts]
    res = its.fit(inp.frame, y="volume", interruptions=["2011-03-16 14:45"],
                  family="quasipoisson", errors="hac", seasonality="dow")
    effect = res.effects.query("kind == 'level_change'").iloc[0]
    assert effect.ci_low < 0.6 < effect.ci_high  # the truth written into the file


def test_a_day_first_format_on_us_dates_is_refused_not_two_thirds_dropped(tmp_path):
    path, _, _ = _us_year(tmp_path)
    with pytest.raises(DataError) as caught:  # the "follow the hint" reading
        inputs.read_daily(path, date_format="%d/%m/%Y", on_bad_rows="drop")
    message = str(caught.value)
    assert "would drop 221 of 365 rows (60.5%)" in message  # 8 months x 19 days, less 31 Dec...
    assert "date_format='%m/%d/%Y'" in message and "'1/13/2011'" in message
    with pytest.raises(DataError) as caught:
        series.read(path, date_format="%d/%m/%Y")
    assert "pass date_format='%m/%d/%Y'" in str(caught.value)  # never the contradicted one
    assert "'%d/%m/%Y'" not in str(caught.value)


def test_the_share_of_dropped_rows_is_counted_by_hand(tmp_path):
    days = pd.date_range("2011-01-01", periods=100, freq="D")
    lines = [f"{d:%Y-%m-%d},{i}" for i, d in enumerate(days)]
    lines[10], lines[20] = "2011-01-11,n/a", "Total,99"  # 2 of 100 rows bad
    path = tmp_path / "two-bad.csv"
    path.write_text("date,count\n" + "\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"would drop 2 of 100 rows \(2.0%\), more than allowed "
                                        r"\(max_bad_share= is 0.01\)"):
        series.read(path, on_bad_rows="drop")
    frame = series.read(path, on_bad_rows="drop", max_bad_share=0.02)
    assert len(frame) == 98 and sum(frame.attrs["rejections"].values()) == 2
    with pytest.raises(ParameterError, match="max_bad_share=1.5"):
        series.read(path, max_bad_share=1.5)


def test_the_command_line_stops_at_too_many_bad_rows_in_its_own_words(tmp_path):
    days = pd.date_range("2024-01-01", periods=60, freq="D")
    lines = [f"{d:%d.%m.%Y};{1000 + i}" for i, d in enumerate(days)] + ["Summe;1", "Gesamt;2"]
    path = tmp_path / "server.csv"
    path.write_text("Datum;Spam\n" + "\n".join(lines) + "\n")
    with pytest.raises(DataError) as caught:
        cli_run.plan_run(_run_args(path, "--on-bad-rows", "drop"))
    assert "would drop 2 of 62 rows" in str(caught.value)
    assert "--max-bad-share" in str(caught.value) and "max_bad_share=" not in str(caught.value)
    plan = cli_run.plan_run(_run_args(path, "--on-bad-rows", "drop", "--max-bad-share", "0.05"))
    assert plan.parameters["reading"]["max_bad_share"] == 0.05


@pytest.mark.parametrize("written, date_format", [
    ("{d.day}/{d.month}/{d.year}", "%d/%m/%Y"),
    ("{d:%d-%m-%Y}", "%d-%m-%Y"),
    ("{d:%d/%m/%y} 10:00", "%d/%m/%y"),
    ("{d.month}.{d.day}.{d.year}", "%m.%d.%Y"),  # dots, but a second number above 12
    ("{d:%m/%d/%y}", "%m/%d/%y"),
])
def test_the_order_of_day_and_month_is_read_from_the_dates(tmp_path, written, date_format):
    days = pd.date_range("2011-03-01", periods=20, freq="D")
    path = tmp_path / "dates.csv"
    path.write_text("date,count\n" + "".join(f"{written.format(d=d)},5\n" for d in days))
    frame = series.read(path, tz="UTC")
    assert frame.attrs["date_format"] == date_format
    expected = days + pd.Timedelta(hours=10) if "10:00" in written else days
    assert list(frame.index) == list(expected.tz_localize("UTC"))


def test_dates_that_do_not_tell_day_from_month_are_refused_with_both_readings(tmp_path):
    days = pd.date_range("2011-03-01", periods=12, freq="D")  # 01/03/2011 .. 12/03/2011
    path = tmp_path / "short.csv"
    path.write_text("date,count\n" + "".join(f"{d:%d/%m/%Y},5\n" for d in days))
    with pytest.raises(DataError, match=r"short.csv, line 2: '01/03/2011' could be 1 March or 3 "
                                        r"January 2011, .*pass date_format='%d/%m/%Y' \(day "
                                        r"first\) or date_format='%m/%d/%Y' \(month first\)"):
        series.read(path)
    frame = series.read(path, date_format="%d/%m/%Y")
    assert list(frame.index) == list(days.tz_localize("UTC"))


def test_dates_in_both_orders_are_refused_naming_a_row_of_each(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("date,count\n01/03/2011,1\n16/03/2011,2\n03/17/2011,3\n")
    with pytest.raises(DataError, match=r"mixed.csv, line 3: '16/03/2011' has the day first but "
                                        r"line 4: '03/17/2011' has the month first"):
        series.read(path, on_bad_rows="drop")  # not a bad row: no date of the column is trusted


@pytest.mark.parametrize("cell, says, never", [
    ("3/16/2011", "mixes ISO 8601 dates with dates like '3/16/2011'", "%d/%m/%Y"),
    ("16/03/2011", "mixes ISO 8601 dates with dates like '16/03/2011'", "%m/%d/%Y"),
    ("16 Mar 2011", "pass date_format= with the dates' strftime format", "%d/%m/%Y"),
])
def test_the_date_hint_never_suggests_a_format_the_data_contradict(tmp_path, cell, says, never):
    path = tmp_path / "export.csv"
    path.write_text(_daily() + f"{cell},5\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        series.read(path)
    assert says in str(caught.value) and never not in str(caught.value)


def test_a_header_naming_the_value_column_twice_is_refused(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("date,count,count\n2011-03-01,5,7\n2011-03-02,6,8\n")
    for value_col in (None, "count"):
        with pytest.raises(DataError, match=r"twice.csv, line 1: the header names the value "
                                            r"column 'count' twice \(fields 2, 3\)"):
            series.read(path, value_col=value_col)
    path.write_text("date,count,date\n2011-03-01,5,2011-03-02\n")
    with pytest.raises(DataError, match=r"date column 'date' twice \(fields 1, 3\)"):
        series.read(path)


def test_a_non_numeric_value_is_named_with_its_line(tmp_path):
    path = tmp_path / "abc.csv"
    path.write_text("date,count\n2011-03-01,5\n2011-03-02,abc\n")
    with pytest.raises(DataError, match=r"abc.csv, line 3: value in column 'count' is not a "
                                        r"number: 'abc'"):
        series.read(path)
