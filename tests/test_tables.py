"""Reading sentences of :mod:`spamlab.tables` checked on hand-made tables."""

from __future__ import annotations

import pandas as pd

from spamlab import tables


def _breaks(low: str, high: str) -> pd.DataFrame:
    """A one-search break table whose one break is dated ``low`` with the set ``low..high``."""
    at = pd.Timestamp(low, tz="UTC")
    return pd.DataFrame({"search": ["1 break(s)"], "break_at": [at], "shift": [-20.0],
                         "set_size": [(pd.Timestamp(high) - pd.Timestamp(low)).days + 1],
                         "ci_low": [at], "ci_high": [pd.Timestamp(high, tz="UTC")]})


def test_a_mid_day_interruption_is_held_by_a_set_on_the_next_whole_day_and_says_so():
    text = tables.breaks_reading(_breaks("2011-03-17", "2011-03-17"),
                                 pd.Timestamp("2011-03-16 14:45", tz="UTC"), "bn/day")
    assert "first whole day after it (17 Mar) is inside a confidence set" in text
    assert "outside" not in text


def test_a_midnight_interruption_is_not_held_by_a_set_on_the_next_day():
    text = tables.breaks_reading(_breaks("2011-03-17", "2011-03-17"),
                                 pd.Timestamp("2011-03-16", tz="UTC"), "bn/day")
    assert "the interruption's day is outside every confidence set" in text
    assert "first whole day" not in text


def test_a_set_two_days_after_a_mid_day_interruption_does_not_hold_it():
    text = tables.breaks_reading(_breaks("2011-03-18", "2011-03-20"),
                                 pd.Timestamp("2011-03-16 14:45", tz="UTC"), "bn/day")
    assert "is outside every confidence set" in text and "not every search variant" in text
