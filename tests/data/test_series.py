"""spamlab.series.read: columns, time zones, validation with line numbers, rejections."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spamlab import clean, series, testing
from spamlab.errors import DataError, ParameterError
from spamlab.ingest import ingest


def _csv(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _utc(*stamps: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(s, tz="UTC") for s in stamps]


def test_reads_ingest_daily_counts_with_extra_columns(tmp_path):
    path = _csv(tmp_path, "date,count,messages_seen,rejected\n"
                          "2011-03-16,40,45,5\n2011-03-14,52,52,0\n2011-03-15,,0,0\n")
    frame = series.read(path, tz="UTC")
    assert list(frame.columns) == ["volume"] and frame.index.name == "time"
    assert list(frame.index) == _utc("2011-03-14", "2011-03-15", "2011-03-16")  # sorted
    assert frame["volume"].iloc[[0, 2]].tolist() == [52.0, 40.0]
    assert np.isnan(frame["volume"].iloc[1])  # an empty cell is kept as missing, not an error
    assert frame.attrs["n_missing"] == 1 and frame.attrs["n_rows"] == 3
    assert (frame.attrs["date_column"], frame.attrs["value_column"]) == ("date", "count")
    assert frame.attrs["source"] == str(path) and frame.attrs["rejections"] == {}


def test_column_names_match_ignoring_case_and_spaces(tmp_path):
    path = _csv(tmp_path, " Arrival Time ;SPAM\n2011-03-16 10:00;3\n")
    frame = series.read(path, date_col="arrival time", value_col="spam", tz="UTC", sep=";",
                        name="spam")
    assert frame["spam"].tolist() == [3.0]
    assert frame.attrs["date_column"] == " Arrival Time "


def test_mixed_offsets_become_utc(tmp_path):
    path = _csv(tmp_path, "timestamp,value\n2011-03-16T10:00:00+01:00,1\n"
                          "2011-03-16T09:30:00Z,2\n2011-03-16 11:00:00-05:00,4\n")
    frame = series.read(path)
    # by hand: 10:00+01 = 09:00Z; 11:00-05 = 16:00Z
    assert list(frame.index) == _utc("2011-03-16 09:00", "2011-03-16 09:30", "2011-03-16 16:00")
    assert frame["volume"].tolist() == [1.0, 2.0, 4.0]


def test_naive_timestamps_need_tz(tmp_path):
    path = _csv(tmp_path, "date,count\n2011-03-15 10:00,1\n2011-03-16 10:00,2\n")
    with pytest.raises(DataError, match=r"data.csv, line 2: timestamp '2011-03-15 10:00' has no "
                                        r"time zone; pass tz="):
        series.read(path)


def test_date_only_values_are_utc_days_and_the_assumption_is_recorded(tmp_path):
    path = _csv(tmp_path, "date,count\n2011-03-15,1\n2011-03-16,2\n")
    frame = series.read(path)  # no tz= needed for bare dates
    assert list(frame.index) == _utc("2011-03-15", "2011-03-16")
    assert frame.attrs["n_assumed_utc"] == 2
    assert frame.attrs["tz"] == "UTC days (date-only values, no tz given)"
    assert series.read(path, tz="Europe/Berlin").attrs["n_assumed_utc"] == 0
    mixed = _csv(tmp_path, "date,count\n2011-03-15,1\n2011-03-16 10:00,2\n", "mixed.csv")
    with pytest.raises(DataError, match="line 3: timestamp '2011-03-16 10:00' has no time zone"):
        series.read(mixed)  # a clock time without an offset still needs tz=


def test_dates_in_a_given_format_without_clock_time_are_date_only(tmp_path):
    # a European export "15/03/2011" read with date_format="%d/%m/%Y" used to demand tz=,
    # though the values are calendar dates like ISO "2011-03-15"
    path = _csv(tmp_path, "Datum;Anzahl\n15/03/2011;1\n16/03/2011;2\n")
    frame = series.read(path, value_col="Anzahl", date_col="Datum", date_format="%d/%m/%Y")
    assert list(frame.index) == _utc("2011-03-15", "2011-03-16")
    assert frame.attrs["n_assumed_utc"] == 2
    timed = _csv(tmp_path, "date,count\n15/03/2011 10:00,1\n", "timed.csv")
    with pytest.raises(DataError, match="has no time zone"):
        series.read(timed, date_format="%d/%m/%Y %H:%M")  # a clock time still needs tz=


def test_naive_local_times_are_converted(tmp_path):
    path = _csv(tmp_path, "time,count\n2011-03-16 00:30,1\n2011-07-01 12:00,2\n")
    frame = series.read(path, tz="Europe/Berlin")
    # CET is UTC+1 in March, CEST UTC+2 in July
    assert list(frame.index) == _utc("2011-03-15 23:30", "2011-07-01 10:00")
    assert frame.attrs["tz"] == "Europe/Berlin"


def test_offsets_and_naive_times_mixed(tmp_path):
    path = _csv(tmp_path, "time,count\n2011-03-16 12:00+00:00,1\n2011-03-16 12:00,2\n")
    with pytest.raises(DataError, match="line 3: timestamp '2011-03-16 12:00' has no time zone"):
        series.read(path)
    frame = series.read(path, tz="Asia/Kolkata")  # UTC+05:30 for the naive one only
    assert list(frame.index) == _utc("2011-03-16 06:30", "2011-03-16 12:00")
    assert frame["volume"].tolist() == [2.0, 1.0]
    assert frame.attrs["tz"] == "offsets in the data, else Asia/Kolkata"


def test_nonexistent_local_time_is_reported_and_can_be_shifted(tmp_path):
    path = _csv(tmp_path, "time,count\n2011-03-27 01:30,1\n2011-03-27 02:30,2\n")
    with pytest.raises(DataError, match=r"line 3: local time in column 'time' does not exist in "
                                        r"Europe/Berlin \(clocks go forward\); pass nonexistent="):
        series.read(path, tz="Europe/Berlin")
    # by hand: 01:30 CET = 00:30Z; 02:30 does not exist, the next valid time is 03:00 CEST = 01:00Z
    shifted = series.read(path, tz="Europe/Berlin", nonexistent="shift_forward")
    assert list(shifted.index) == _utc("2011-03-27 00:30", "2011-03-27 01:00")
    dropped = series.read(path, tz="Europe/Berlin", on_bad_rows="drop", max_bad_share=1)
    assert len(dropped) == 1 and sum(dropped.attrs["rejections"].values()) == 1


def test_ambiguous_local_times_are_reported_and_can_be_resolved(tmp_path):
    hourly = "time,count\n2011-10-30 01:30,1\n2011-10-30 02:30,2\n2011-10-30 02:30,3\n2011-10-30 03:30,4\n"
    path = _csv(tmp_path, hourly)
    with pytest.raises(DataError, match=r"line 3: local time in column 'time' occurs twice in "
                                        r"Europe/Berlin \(clocks go back\) \(2 rows: lines 3, 4\); "
                                        r"pass ambiguous="):
        series.read(path, tz="Europe/Berlin")
    # by hand: CEST (UTC+2) until 03:00 CEST, then CET (UTC+1): 01:30 CEST = 23:30Z (29th),
    # 02:30 CEST = 00:30Z, 02:30 CET = 01:30Z, 03:30 CET = 02:30Z
    inferred = series.read(path, tz="Europe/Berlin", ambiguous="infer")
    assert list(inferred.index) == _utc("2011-10-29 23:30", "2011-10-30 00:30", "2011-10-30 01:30",
                                        "2011-10-30 02:30")
    assert inferred["volume"].tolist() == [1.0, 2.0, 3.0, 4.0]
    single = _csv(tmp_path, "time,count\n2011-10-30 02:30,1\n", "single.csv")
    assert series.read(single, tz="Europe/Berlin", ambiguous="earlier").index[0] == _utc(
        "2011-10-30 00:30")[0]
    assert series.read(single, tz="Europe/Berlin", ambiguous="later").index[0] == _utc(
        "2011-10-30 01:30")[0]
    with pytest.raises(ParameterError, match="ambiguous='first'"):
        series.read(single, tz="Europe/Berlin", ambiguous="first")


def test_interruption_at_a_dst_change_is_a_parameter_error_asking_for_an_offset():
    with pytest.raises(ParameterError, match=r"--interruption='2011-10-30 02:30' is an ambiguous "
                                             r"local time in Europe/Berlin .* e.g. '2011-10-30 02:30\+02:00'"):
        series.as_timestamp("2011-10-30 02:30", "--interruption", "Europe/Berlin")
    with pytest.raises(ParameterError, match=r"'2011-03-27 02:30' is a nonexistent local time"):
        series.as_timestamp("2011-03-27 02:30", "interruption", "Europe/Berlin")
    assert series.as_timestamp("2011-10-30 02:30+01:00", "x", "Europe/Berlin") == _utc(
        "2011-10-30 01:30")[0]


def test_semicolon_german_export_is_sniffed(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes("Datum;Spam;Ham\n01.03.2011;1.234,5;7\n2.3.2011;12;3\n\n"
                     "03.03.2011;0,5;1\n".encode("cp1252"))
    frame = series.read(path, date_col="Datum", value_col="Spam", encoding="cp1252")
    assert frame["volume"].tolist() == [1234.5, 12.0, 0.5]
    assert list(frame.index) == _utc("2011-03-01", "2011-03-02", "2011-03-03")
    assert (frame.attrs["sep"], frame.attrs["decimal"], frame.attrs["date_format"]) == (
        ";", ",", "%d.%m.%Y")
    tabbed = _csv(tmp_path, "date\tcount\n2011-03-14\t5\n", "tabs.tsv")
    assert series.read(tabbed)["volume"].tolist() == [5.0]
    point = _csv(tmp_path, "date;count\n2011-03-14;1.5\n", "point.csv")
    assert series.read(point)["volume"].tolist() == [1.5]  # no comma in values: a decimal point
    with pytest.raises(ParameterError, match="decimal=';'"):
        series.read(point, decimal=";")
    grouped = _csv(tmp_path, "date;count\n2011-03-14;25.057\n2011-03-15;981\n", "grouped.csv")
    assert series.read(grouped)["volume"].tolist() == [25057.0, 981.0]  # German thousands
    assert series.read(grouped, decimal=".")["volume"].tolist() == [25.057, 981.0]


def test_rows_longer_than_the_header(tmp_path):
    trailing = _csv(tmp_path, "date,count\n2011-03-14,1,\n2011-03-15,2\n")  # a trailing comma
    assert series.read(trailing)["volume"].tolist() == [1.0, 2.0]
    extra = _csv(tmp_path, "date,count\n2011-03-14,1\n2011-03-15,2,7\n", "extra.csv")
    with pytest.raises(DataError, match=r"extra.csv, line 3: more fields than the header's 2"):
        series.read(extra)
    dropped = series.read(extra, on_bad_rows="drop", max_bad_share=1)
    assert dropped["volume"].tolist() == [1.0]
    assert dropped.attrs["rejected_lines"] == {"more fields than the header's 2": [3]}


def test_dates_outside_the_timestamp_range_are_bad_rows(tmp_path):
    path = _csv(tmp_path, "date,count\n2011-03-14,1\n9999-12-31,2\n")
    with pytest.raises(DataError, match=r"line 3: date in column 'date' is outside the years 1677-2262"):
        series.read(path)
    assert series.read(path, on_bad_rows="drop", max_bad_share=1)["volume"].tolist() == [1.0]
    far = pd.Series([pd.Timestamp("2011-03-14"), pd.Timestamp("3000-01-01")], dtype="datetime64[s, UTC]")
    pd.DataFrame({"date": far, "count": [1, 2]}).to_parquet(tmp_path / "far.parquet")
    with pytest.raises(DataError, match=r"far.parquet, row 2: date in column 'date' is outside"):
        series.read(tmp_path / "far.parquet")


def test_unparseable_date_names_the_file_line_with_blank_lines_counted(tmp_path):
    path = _csv(tmp_path, "date,count\n2011-03-14,1\n\n2011-03-15,2\n16/03/2011,3\n17/03/2011,3\n")
    with pytest.raises(DataError) as info:
        series.read(path, tz="UTC")
    message = str(info.value)
    assert message.startswith(f"{path}, line 5: date in column 'date' could not be parsed")
    assert "2 rows: lines 5, 6" in message and "mixes ISO 8601 dates with dates like" in message
    frame = series.read(path, tz="UTC", date_format="%d/%m/%Y", on_bad_rows="drop", max_bad_share=1)
    assert frame.attrs["rejections"] == {"date in column 'date' could not be parsed": 2}
    assert frame.attrs["rejected_lines"]["date in column 'date' could not be parsed"] == [2, 4]


def test_missing_date_is_an_error(tmp_path):
    path = _csv(tmp_path, "date,count\n2011-03-14,1\n,2\n")
    with pytest.raises(DataError, match="line 3: missing date in column 'date'"):
        series.read(path, tz="UTC")


def test_duplicates_are_errors_unless_aggregated(tmp_path):
    path = _csv(tmp_path, "date,count\n2011-03-14,1\n2011-03-15,2\n2011-03-15,5\n2011-03-15,\n")
    with pytest.raises(DataError, match=r"line 4: duplicate timestamp 2011-03-15 00:00:00\+00:00 "
                                        r"\(also at line 3; 3 rows share a timestamp\); pass aggregate="):
        series.read(path, tz="UTC")
    summed = series.read(path, tz="UTC", aggregate="sum")
    assert summed["volume"].tolist() == [1.0, 7.0] and summed.attrs["n_aggregated"] == 2
    assert series.read(path, tz="UTC", aggregate="mean")["volume"].tolist() == [1.0, 3.5]


def test_duplicates_after_utc_conversion_are_caught(tmp_path):
    path = _csv(tmp_path, "time,count\n2011-03-16T10:00+01:00,1\n2011-03-16T09:00Z,2\n")
    with pytest.raises(DataError, match="line 3: duplicate timestamp"):
        series.read(path)


@pytest.mark.parametrize(
    ("cell", "message"),
    [("-3", "line 3: value in column 'count' is negative"),
     ("lots", "line 3: value in column 'count' is not a number"),
     ("inf", "line 3: value in column 'count' is infinite")],
)
def test_bad_values_name_the_line(tmp_path, cell, message):
    path = _csv(tmp_path, f"date,count\n2011-03-14,1\n2011-03-15,{cell}\n")
    with pytest.raises(DataError, match=message):
        series.read(path, tz="UTC")


def test_dropping_bad_rows_counts_every_one(tmp_path):
    path = _csv(tmp_path, "date,count\n2011-03-14,1\nnot a date,2\n2011-03-16,-1\n"
                          "2011-03-17,x\n2011-03-18,4\n2011-03-19,\n")
    frame = series.read(path, tz="UTC", on_bad_rows="drop", max_bad_share=1)
    assert frame["volume"].tolist()[:2] == [1.0, 4.0] and np.isnan(frame["volume"].iloc[2])
    rejections = frame.attrs["rejections"]
    assert sum(rejections.values()) == 3 and frame.attrs["n_rows"] == 6
    assert len(frame) + sum(rejections.values()) == frame.attrs["n_rows"]  # nothing lost silently
    assert frame.attrs["rejected_lines"]["value in column 'count' is negative"] == [4]


def test_empty_and_header_only_files(tmp_path):
    with pytest.raises(DataError, match="empty.csv: the file is empty"):
        series.read(_csv(tmp_path, "", "empty.csv"), tz="UTC")
    with pytest.raises(DataError, match="header.csv: no data rows below the header"):
        series.read(_csv(tmp_path, "date,count\n\n", "header.csv"), tz="UTC")


def test_wrong_encoding_is_reported_and_can_be_chosen(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("date,count,note\n2011-03-14,1,ok\n2011-03-15,2,caf\u00e9\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin.csv, line 3: the file is not valid utf-8 text "
                                        r"\(byte 0xe9\); pass encoding="):
        series.read(path, tz="UTC")
    assert series.read(path, tz="UTC", encoding="latin-1")["volume"].tolist() == [1.0, 2.0]
    with pytest.raises(ParameterError, match="encoding='klingon'"):
        series.read(path, tz="UTC", encoding="klingon")


def test_utf8_byte_order_mark_is_ignored(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffdate,count\n2011-03-14,1\n".encode())
    assert series.read(path, tz="UTC").attrs["date_column"] == "date"


def test_columns_missing_or_ambiguous(tmp_path):
    path = _csv(tmp_path, "day,count,volume\n2011-03-14,1,2\n")
    with pytest.raises(DataError, match=r"value column 'total' not found; available columns: "
                                        r"\['day', 'count', 'volume'\]"):
        series.read(path, value_col="total", tz="UTC")
    with pytest.raises(DataError, match=r"several possible value columns \['count', 'volume'\]; pass value_col="):
        series.read(path, tz="UTC")
    with pytest.raises(DataError, match=r"no date column found .* pass date_col= one of the available"):
        series.read(_csv(tmp_path, "when,count\n2011-03-14,1\n", "x.csv"), tz="UTC")


def test_missing_file_and_bad_options(tmp_path):
    with pytest.raises(DataError, match="absent.csv: file not found"):
        series.read(tmp_path / "absent.csv")
    path = _csv(tmp_path, "date,count\n2011-03-14,1\n")
    with pytest.raises(ParameterError, match="aggregate='total'"):
        series.read(path, tz="UTC", aggregate="total")
    with pytest.raises(ParameterError, match="tz='Mars/Olympus'"):
        series.read(path, tz="Mars/Olympus")
    with pytest.raises(ParameterError, match="on_bad_rows='ignore'"):
        series.read(path, tz="UTC", on_bad_rows="ignore")


def test_parquet_round_trip_and_corrupt_parquet(tmp_path):
    times = pd.date_range("2011-03-14", periods=3, freq="D", tz="Europe/Berlin")
    pd.DataFrame({"Date": times, "Messages": [3, 1, 2]}).to_parquet(tmp_path / "s.parquet")
    frame = series.read(tmp_path / "s.parquet")
    assert list(frame.index) == list(times.tz_convert("UTC"))
    assert frame["volume"].tolist() == [3.0, 1.0, 2.0]
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match="bad.parquet: not a readable Parquet file"):
        series.read(tmp_path / "bad.parquet")


def test_dataframe_input_with_datetime_index_and_naive_datetimes():
    index = pd.DatetimeIndex(["2011-03-16 12:00", "2011-03-15 12:00"], name="time")
    frame = pd.DataFrame({"count": [2, 1]}, index=index)
    with pytest.raises(DataError, match="timestamps without a time zone; pass tz="):
        series.read(frame)
    out = series.read(frame, tz="America/New_York")
    assert list(out.index) == _utc("2011-03-15 16:00", "2011-03-16 16:00")
    assert out["volume"].tolist() == [1.0, 2.0]
    unnamed = pd.DataFrame({"count": [1.0]}, index=pd.DatetimeIndex(["2011-03-14"], tz="UTC"))
    assert series.read(unnamed).attrs["date_column"] == "time"
    clash = pd.DataFrame({"time": ["2011-03-14T00:00Z"], "count": [1.0]}, index=index[:1])
    assert series.read(clash).index[0] == pd.Timestamp("2011-03-14", tz="UTC")  # the column is used
    negative = pd.DataFrame({"date": ["2011-03-14T00:00Z"], "count": [-1.0]})
    with pytest.raises(DataError, match="DataFrame, row 1: value in column 'count' is negative"):
        series.read(negative)


def test_module_examples_run():
    result = doctest.testmod(series, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_reads_the_daily_counts_that_spamlab_ingest_writes(tmp_path):
    truth = testing.write_corpus(tmp_path / "trap", n_messages=60, formats=("tree", "mbox"), seed=1)
    ingest([tmp_path / "trap"], tmp_path / "out", workers=1)
    frame = series.read(tmp_path / "out" / "daily_counts.csv", tz="UTC")
    assert frame.attrs["value_column"] == "count" and frame.attrs["rejections"] == {}
    assert frame["volume"].sum() == truth.counted
    observed = {t.strftime("%Y-%m-%d"): v for t, v in frame["volume"].items() if v > 0}
    assert observed == {day: float(n) for day, n in truth.daily.items()}
    daily = clean.regularize(frame)
    assert len(daily) == len(frame) and not daily["is_gap"].any()


_cells = st.one_of(
    st.tuples(st.just("ok"), st.integers(0, 10**9).map(str)),
    st.tuples(st.just("empty"), st.just("")),
    st.tuples(st.just("negative"), st.integers(-10**6, -1).map(str)),
    st.tuples(st.just("text"), st.sampled_from(["n/a", "12x", "--"])),
)


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(st.booleans(), _cells), min_size=1, max_size=30))
def test_every_row_is_kept_or_counted_as_rejected(tmp_path_factory, rows):
    # row i: day i (valid) or a malformed date; a value cell of a known kind
    lines = ["date,count"]
    expected_bad: dict[str, list[int]] = {}
    for i, (good_date, (kind, cell)) in enumerate(rows):
        day = (pd.Timestamp("2011-01-01") + pd.Timedelta(days=i)).date() if good_date else f"2011-02-3{i}x"
        lines.append(f"{day},{cell}")
        line = i + 2
        if not good_date:
            expected_bad.setdefault("date in column 'date' could not be parsed", []).append(line)
        elif kind == "negative":
            expected_bad.setdefault("value in column 'count' is negative", []).append(line)
        elif kind == "text":
            expected_bad.setdefault("value in column 'count' is not a number", []).append(line)
    path = tmp_path_factory.mktemp("prop") / "rows.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if len(expected_bad) and sum(map(len, expected_bad.values())) == len(rows):
        with pytest.raises(DataError, match="no valid rows left"):
            series.read(path, tz="UTC", on_bad_rows="drop", max_bad_share=1)
        return
    frame = series.read(path, tz="UTC", on_bad_rows="drop", max_bad_share=1)
    assert frame.attrs["rejected_lines"] == expected_bad
    assert len(frame) + sum(frame.attrs["rejections"].values()) == len(rows) == frame.attrs["n_rows"]
    kept = [cell for good, (kind, cell) in rows if good and kind in ("ok", "empty")]
    assert frame.attrs["n_missing"] == kept.count("")
    assert np.nansum(frame["volume"]) == sum(float(c) for c in kept if c)
