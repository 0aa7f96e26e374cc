"""Issue 21 item 4: one parser of moments; a day/month date that could be read two ways is refused
everywhere a moment is read, and the unambiguous ones mean what they say.

Expected dates are written as ``datetime`` objects here, never computed by spamlab.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from spamlab import clean, inputs, its, series
from spamlab.cli import run as cli_run
from spamlab.errors import ParameterError

AMBIGUOUS = "'04/03/2011 15:00' could be 4 March or 3 April 2011; write it as ISO 8601, e.g. " \
            "'2011-03-04 15:00'"


def _daily() -> pd.DataFrame:
    """Daily UTC data from 1 February to 31 May 2011: both readings of 04/03 are inside."""
    days = pd.date_range("2011-02-01", "2011-05-31", freq="D", tz="UTC")
    return pd.DataFrame({"volume": np.arange(len(days), dtype=float) + 100}, index=days)


@pytest.mark.parametrize("read", [
    lambda text: cli_run.parse_timestamp(text, None),
    lambda text: cli_run.parse_timestamp(text, "Europe/Berlin"),
    lambda text: inputs.moments([text]),
    lambda text: series.as_timestamp(text, "interruption"),
    lambda text: series.parse_moment(text, "interruption"),
    lambda text: its.fit(_daily(), y="volume", interruptions=[text]),
    lambda text: clean.mark_partial(clean.regularize(_daily()), start=text, end="2011-05-31"),
], ids=["cli", "cli-tz", "inputs.moments", "series.as_timestamp", "series.parse_moment",
        "its.fit", "clean.mark_partial"])
def test_an_ambiguous_day_month_moment_is_refused_with_both_readings(read):
    with pytest.raises(ParameterError) as caught:
        read("04/03/2011 15:00")
    assert AMBIGUOUS in str(caught.value)


@pytest.mark.parametrize("text, expected", [
    ("16/03/2011", dt.datetime(2011, 3, 16)),
    ("3/16/2011 14:45", dt.datetime(2011, 3, 16, 14, 45)),
    ("16.03.2011 14:45", dt.datetime(2011, 3, 16, 14, 45)),
    ("16-03-11", dt.datetime(2011, 3, 16)),
    ("03/03/2011", dt.datetime(2011, 3, 3)),  # both readings are the same day
    ("2011-03-04 15:00", dt.datetime(2011, 3, 4, 15)),
    ("2011-03-04T15:00:00+01:00", dt.datetime(2011, 3, 4, 14)),
    ("4 March 2011 15:00", dt.datetime(2011, 3, 4, 15)),
])
def test_unambiguous_moments_mean_what_they_say(text, expected):
    utc = pd.Timestamp(expected, tz="UTC")
    assert cli_run.parse_timestamp(text, None) == utc
    assert inputs.moments(text) == [utc.isoformat()]


def test_the_day_month_order_no_longer_depends_on_the_day():
    # before: "04/03/2011" was 3 April (month first) while "16/03/2011" was 16 March (day first)
    assert cli_run.parse_timestamp("16/03/2011", None).month == 3
    with pytest.raises(ParameterError, match="could be 4 March or 3 April 2011"):
        cli_run.parse_timestamp("04/03/2011", None)


@pytest.mark.parametrize("text", ["03/04", "last tuesday", "16/13/2011", "00/03/2011"])
def test_text_that_is_not_a_whole_date_is_refused(text):
    with pytest.raises(ParameterError, match="is not a date"):
        cli_run.parse_timestamp(text, None)


def test_an_interruption_at_a_dst_change_still_needs_its_offset():
    with pytest.raises(ParameterError, match=r"'2011-10-30 02:30' is an ambiguous local time in "
                                             r"Europe/Berlin.*'2011-10-30 02:30\+02:00'"):
        cli_run.parse_timestamp("2011-10-30 02:30", "Europe/Berlin")
    assert cli_run.parse_timestamp("2011-10-30 02:30+01:00", "Europe/Berlin") == pd.Timestamp(
        dt.datetime(2011, 10, 30, 1, 30), tz="UTC")
