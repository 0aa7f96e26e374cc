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

import pandas as pd
import pytest

from spamlab import inputs, series
from spamlab.cli import build_parser
from spamlab.cli import run as cli_run
from spamlab.errors import DataError

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
    frame = series.read(path, date_col="Datum", value_col="Spam", on_bad_rows="drop")
    assert frame["volume"].tolist() == COUNTS
    assert frame.index[0] == pd.Timestamp("2011-03-01", tz="UTC")
    assert frame.attrs["rejected_lines"] == {"date in column 'Datum' could not be parsed": [12]}


@pytest.mark.parametrize("cell, says", [
    ("Total", "a totals row"),
    ("date", "a repeated header line"),
    ("# second export", "a comment line"),
    ("40613", "spreadsheet serial dates"),
    ("03/11/2011", "pass date_format="),
])
def test_an_unparseable_date_is_not_blamed_on_a_missing_time_zone(tmp_path, cell, says):
    path = tmp_path / "export.csv"
    path.write_text(_daily() + f"{cell},5\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        series.read(path)
    message = str(caught.value)
    assert f"export.csv, line 12: date in column 'date' could not be parsed: {cell!r}" in message
    assert says in message and "time zone" not in message
    assert series.read(path, on_bad_rows="drop").attrs["rejections"] == {
        "date in column 'date' could not be parsed": 1}


def test_quoted_values_with_thousands_commas_are_read_as_numbers(tmp_path):
    path = tmp_path / "english.csv"
    path.write_text('date,count\n2011-03-01,"1,234,567"\n2011-03-02,"52,000.5"\n2011-03-03,999\n',
                    encoding="utf-8")
    assert series.read(path)["volume"].tolist() == [1234567.0, 52000.5, 999.0]
    path.write_text('date,count\n2011-03-01,"12,5"\n', encoding="utf-8")  # not groups of three
    with pytest.raises(DataError, match=r"line 2: value in column 'count' is not a number; "
                                        r"pass decimal=','"):
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
    frame = series.read(path, on_bad_rows="drop")
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
    ("52 bn", "'52 bn': a unit after the number is not read"),
])
def test_missing_markers_and_units_are_shown_with_what_to_do(tmp_path, cell, says):
    path = tmp_path / "vendor.csv"
    path.write_text(_daily() + f"2011-03-11,{cell}\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        series.read(path)
    assert "line 12: value in column 'count' is not a number; " + says in str(caught.value)


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
    plan = cli_run.plan_run(_run_args(summe_csv, "--on-bad-rows", "drop"))
    assert plan.parameters["on_bad_rows"] == "drop"
    out = capsys.readouterr().out
    assert ("read server.csv: 61 rows; 1 rejected (date in column 'Datum' could not be parsed: "
            "1, line 62)") in out
