"""Property tests (issue 22): for any input, one clear error or a correct answer.

hypothesis draws option values, moments and CSV exports of odd shapes; each function must
either answer or raise spamlab's own one-line errors (``DataError``/``ParameterError``),
never a raw exception from deep inside pandas, numpy or the standard library.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spamlab import moments, series
from spamlab.cli import ingest as cli_ingest
from spamlab.errors import SpamlabError

FAST = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

#: characters exports are made of, plus a few that break naive parsers
CELL = st.text(alphabet=st.sampled_from(list("0123456789-/.:;, +TZe\"'x\t") + ["²", "١", "\u00a0"]),
               max_size=14)


@FAST
@given(st.text(max_size=30))
def test_sizes_and_durations_are_numbers_or_one_line_errors(text):
    for parse in (cli_ingest.parse_size, cli_ingest.parse_duration):
        try:
            value = parse(text, "--option")
        except SpamlabError:
            continue
        assert isinstance(value, int) and value >= 0


@FAST
@given(st.one_of(st.text(max_size=30), CELL))
def test_a_moment_is_a_timestamp_or_a_one_line_error(text):
    try:
        stamp = moments.to_utc(text, "--interruption", "Europe/Berlin")
    except SpamlabError:
        return
    assert isinstance(stamp, pd.Timestamp) and str(stamp.tz) == "UTC"


@FAST
@given(rows=st.lists(st.tuples(CELL, CELL), min_size=1, max_size=12),
       sep=st.sampled_from([",", ";", "\t"]))
def test_an_export_of_any_shape_is_read_or_refused_in_one_line(tmp_path_factory, rows, sep):
    path = tmp_path_factory.mktemp("csv") / "export.csv"
    text = sep.join(["date", "count"]) + "\n" + "\n".join(
        sep.join(cell.replace(sep, "") for cell in row) for row in rows) + "\n"
    path.write_text(text, encoding="utf-8")
    for drop in ("raise", "drop"):
        try:
            frame = series.read(path, tz="UTC", on_bad_rows=drop, max_bad_share=1.0)
        except SpamlabError:
            continue
        # an answer: one value per kept row, a sorted UTC index, nothing invented
        assert len(frame) <= len(rows)
        assert frame.index.is_monotonic_increasing and str(frame.index.tz) == "UTC"


@FAST
@given(st.binary(max_size=200))
def test_a_file_of_any_bytes_is_read_or_refused_in_one_line(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "export.csv"
    path.write_bytes(b"date,count\n" + data)
    try:
        frame = series.read(path, tz="UTC", on_bad_rows="drop", max_bad_share=1.0)
    except SpamlabError:
        return
    assert frame.index.is_monotonic_increasing


@pytest.mark.parametrize("text", ["2011-03-16 14:45", "2011-03-16T14:45+01:00", "16/03/2011"])
def test_the_property_tests_see_real_answers_too(text):
    assert isinstance(moments.to_utc(text, "--interruption", "UTC"), pd.Timestamp)


HEADER_BYTES = st.binary(max_size=300) | st.lists(
    st.sampled_from([b"Received: ", b"from x ", b"; ", b"Wed, 16 Mar 2011 10:00:00 +0000", b"\n\t",
                     b"Date: ", b"\n", b"Message-ID: <a@b>", b"(", b")", b"\xff", b"=?utf-8?q?x?=",
                     b"9999", b"-2400", b"GMT"]), max_size=40).map(b"".join)


@FAST
@given(HEADER_BYTES)
def test_header_fields_of_any_bytes_parse_to_fields_or_nothing(data):
    from spamlab.mail import headers

    block = headers.header_block(data + b"\n\n")
    fields = headers.parse_header_block(block if block is not None else data)
    assert fields is not None
    parsed = headers.parse_date(data)
    assert parsed is None or isinstance(parsed.epoch, int)
    headers.decode_words(data)  # text, never an exception


OPTION_VALUES = st.one_of(st.text(max_size=12), st.sampled_from(
    ["nan", "inf", "-inf", "-1", "0", "1e309", "9" * 60, "1.5", "²", "64k", "1d", "UTC", ""]))


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(option=st.sampled_from(["--header-limit", "--member-limit", "--duplicate-window",
                               "--isolation-days", "--isolation-share", "--isolation-count",
                               "--tz", "--not-after", "--workers"]), value=OPTION_VALUES)
def test_ingest_options_of_any_value_answer_or_refuse_in_one_line(tmp_path_factory, capsys,
                                                                  option, value):
    from spamlab.cli import main

    folder = tmp_path_factory.mktemp("trap")
    (folder / "1.eml").write_bytes(b"Received: from a ([203.0.113.7]) by t; "
                                   b"Wed, 16 Mar 2011 10:00:00 +0000\nSubject: x\n\nb\n")
    capsys.readouterr()
    try:
        code = main(["ingest", str(folder), "--out", str(folder / "out"), "--quiet",
                     f"{option}={value}"])
    except SystemExit as exc:  # argparse's own one-line usage error
        code = exc.code
    err = capsys.readouterr().err
    assert code in (0, 2), (option, value, err)
    assert "Traceback" not in err and "internal error" not in err, err
