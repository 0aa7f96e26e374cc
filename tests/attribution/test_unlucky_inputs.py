"""attribution.account and vanished with awkward user data: columns that are all missing or
repeated, a total that is the target, sources that exceed the total (mixed units), a window
longer than the data, events without any fingerprint. Each gets a clear error or a warning."""

from __future__ import annotations

import numpy as np
import pytest
from attribution_support import CUT, events, panel

from spamlab import attribution
from spamlab.errors import DataError

ARGS: dict[str, object] = {"total": "total", "sources": ["rustock", "bagle"], "target": "rustock",
                           "interruption": CUT, "slope_change": False}


@pytest.mark.parametrize("column", ["bagle", "rustock"])
def test_a_source_with_every_value_missing_is_named(column: str) -> None:
    # before: a missing other source was a silent fall of 0 (and 'left' 0); a missing
    # target crashed with KeyError 'total - target'
    data = panel(0)
    data[column] = np.nan
    with pytest.raises(DataError, match=f"column '{column}': every value is missing"):
        attribution.account_by_source(data, **ARGS)  # type: ignore[arg-type]


def test_a_repeated_column_is_named() -> None:
    data = panel(0)
    data.columns = ["total", "rustock", "rustock"]
    data["bagle"] = 1.0
    with pytest.raises(DataError, match=r"\['rustock'\] appear more than once"):
        attribution.account_by_source(data, **ARGS)  # type: ignore[arg-type]


def test_a_total_that_is_the_target_leaves_exactly_nothing() -> None:
    # before: KeyError 'total - target' (the difference series is all zero, never fitted)
    data = panel(0)
    data["total"] = data["rustock"]
    with pytest.warns(UserWarning, match="add up to more than 'total'"):
        acc = attribution.account_by_source(data, **ARGS)  # type: ignore[arg-type]
    res = acc.residual
    assert (res["estimate"], res["ci_low"], res["ci_high"], res["std_err"]) == (0.0, 0.0, 0.0, 0.0)
    # the total is 0 after the stop: its gap share is undefined, not -inf
    assert np.isnan(acc.non_additivity.loc["post", "gap_share"])
    assert acc.to_dict()["residual"]["estimate"] == 0.0


def test_sources_in_other_units_than_the_total_warn() -> None:
    data = panel(0)
    data["total"] = data["total"] / 1000  # total in thousands, sources in units
    with pytest.warns(UserWarning, match=r"add up to more than 'total': 22\.06 against 0\.05187 "
                                         r"per day \(pre\); check their units"):
        acc = attribution.account_by_source(data, **ARGS)  # type: ignore[arg-type]
    gap = data["total"] - data["rustock"] - data["bagle"]
    assert acc.non_additivity.loc["pre", "gap"] == pytest.approx(gap.iloc[:60].mean(), abs=1e-12)


@pytest.mark.parametrize(("window", "words"), [
    (1000, r"window=1000 asks for 1000 periods, but the data hold 29"),
    (("2011-04-01", "2012-01-01"), r"asks for up to 2012-01-01.* hold 14 whole"),
])
def test_a_window_past_the_data_warns(window: object, words: str) -> None:
    with pytest.warns(UserWarning, match=words):
        acc = attribution.account_by_source(panel(0), window=window, **ARGS)  # type: ignore[arg-type]
    assert acc.window[1] == panel(0).index[-1]


def test_events_without_any_message_or_fingerprint_are_named() -> None:
    # before: both crashed with KeyError 0 inside the /24 parser
    ev = events(0, 3)
    with pytest.raises(DataError, match="no dated, counted message"):
        attribution.vanished_groups(ev.iloc[:0], interruption=CUT)
    ev["sender_ip"] = None
    with pytest.raises(DataError, match=rf"none of the {len(ev)} dated, counted message\(s\) has a "
                                        r"'sender_net' fingerprint \(column 'sender_ip'"):
        attribution.vanished_groups(ev, interruption=CUT)
