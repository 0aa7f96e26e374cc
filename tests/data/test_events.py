"""spamlab.events: every registered date is checked against the rows it cites."""

from __future__ import annotations

import doctest

import pandas as pd
import pytest

from spamlab import events, figures
from spamlab.errors import ParameterError

SLACK = {"minute": pd.Timedelta("1D"), "day": pd.Timedelta("1D"), "week": pd.Timedelta("7D"),
         "month": pd.Timedelta("31D")}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return figures.load()


def _period(row: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp]:
    """A row's period (UTC), falling back to whichever end or the publication date is known."""
    known = [row[c] for c in ("period_start", "period_end", "published") if pd.notna(row[c])]
    start = row["period_start"] if pd.notna(row["period_start"]) else known[0]
    end = row["period_end"] if pd.notna(row["period_end"]) else known[0]
    return pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC") + pd.Timedelta("1D")


@pytest.mark.parametrize("name", events.names())
def test_cited_rows_exist_and_their_periods_touch_the_event(table, name):
    event = events.get(name)
    assert event.figure_ids, f"{name} cites no figure"
    figures.get(table, list(event.figure_ids))  # KeyError if an id is missing
    slack = SLACK[event.precision]
    lo, hi = event.start - slack, (event.end or event.start) + slack
    for figure_id in event.figure_ids:
        start, end = _period(table.loc[figure_id])
        assert start <= hi and end >= lo, f"{name}: row {figure_id} ({start:%Y-%m-%d}..{end:%Y-%m-%d}) " \
                                          f"is not near {event.start:%Y-%m-%d}"


@pytest.mark.parametrize("name", events.names())
def test_takedown_times_in_the_table_match_the_registry(table, name):
    event = events.get(name)
    timed = table.loc[list(event.figure_ids)].query("unit == 'hour_of_day_utc'")
    registered = {event.start} | {alt.start for alt in event.alternatives}
    for _, row in timed.iterrows():
        stamp = pd.Timestamp(row["period_start"], tz="UTC") + pd.Timedelta(hours=row["value"])
        assert stamp in registered, f"{name}: row {row['id']} says {stamp}, registry has {registered}"
    for alt in event.alternatives:
        assert alt.figure_id in table.index


def test_rustock_takedown_and_its_alternative(table):
    takedown = events.get("rustock_takedown")
    assert takedown.start == pd.Timestamp("2011-03-16 14:45", tz="UTC")
    assert takedown.precision == "minute" and takedown.kind == "takedown" and takedown.end is None
    assert 125 in takedown.figure_ids and takedown.alternatives[0].figure_id == 130
    # both times follow from the table: 14.75 h and 15.5 h after midnight UTC
    assert takedown.alternatives[0].start - takedown.start == pd.Timedelta(
        hours=figures.value(table, 130) - figures.value(table, 125))


def test_holiday_pause_cites_the_domain_rows():
    pause = events.get("rustock_holiday_pause")
    assert {38, 39, 53, 54, 337} <= set(pause.figure_ids)
    assert pause.kind == "pause" and pause.start < pause.end
    assert (pause.start.date().isoformat(), pause.end.date().isoformat()) == ("2010-12-25", "2011-01-10")


def test_dates_from_outside_the_table_cite_their_pages():
    for name in events.names():
        event = events.get(name)
        if "no row" in event.note.lower() or event.precision in ("week", "month"):
            assert event.sources, f"{name}: the date is not in the table, so its page must be cited"
            assert all(src.startswith("http") for src in event.sources)


def test_registry_frame_and_within():
    frame = events.registry()
    assert list(frame.index) == events.names() == sorted(events.names(), key=lambda n: events.get(n).start)
    assert {"start", "end", "kind", "figure_ids", "note", "precision"} <= set(frame.columns)
    assert str(frame["start"].dt.tz) == "UTC"
    assert [e.name for e in events.within("2011-01-05", "2011-03-16 14:44")] == ["rustock_holiday_pause"]
    assert [e.name for e in events.within("2011-03-16 14:45", "2011-03-16 14:45")] == ["rustock_takedown"]
    # bounds with an offset: 15:30+01:00 is 14:30 UTC, before the takedown
    assert events.within("2011-03-16T00:00+01:00", "2011-03-16T15:30+01:00") == []
    assert [e.name for e in events.within("2008-01-01", "2009-01-01")] == ["mccolo_cutoff"]


def test_errors_name_what_was_wrong():
    with pytest.raises(ParameterError, match=r"unknown event 'rustok'; registered events: \['mccolo_cutoff'"):
        events.get("rustok")
    with pytest.raises(ParameterError, match="end 2011-01-01 00:00:00\\+00:00 is before start"):
        events.within("2011-03-01", "2011-01-01")
    with pytest.raises(ParameterError, match="start='soon' is not a date"):
        events.within("soon", "2011-01-01")
    utc = pd.Timestamp("2011-01-01", tz="UTC")
    with pytest.raises(ParameterError, match="kind='raid'"):
        events.Event("x", utc, None, "raid", (1,), "")
    with pytest.raises(ParameterError, match="precision='hour'"):
        events.Event("x", utc, None, "takedown", (1,), "", precision="hour")
    with pytest.raises(ParameterError, match="end .* is before start"):
        events.Event("x", utc, utc - pd.Timedelta("1D"), "pause", (1,), "")


def test_events_are_immutable():
    event = events.get("grum_takedown")
    with pytest.raises(AttributeError):
        event.start = pd.Timestamp("2000-01-01", tz="UTC")  # type: ignore[misc]


def test_module_examples_run():
    result = doctest.testmod(events, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
