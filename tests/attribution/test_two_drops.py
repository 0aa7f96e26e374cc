"""Issue 21 item 5: botnet A (a third of the mail) stops and botnet B halves the same evening.

The trap (attribution_support.two_drop_trap) has a weekday cycle (+-25%) and day-to-day
noise; its truth is B's expected fall (half of 150 a day, times the weekday cycle over the
post window). Before the fix, account's defaults (iid errors, no weekday term) put the
residual of the events' daily series at 104.9 (-33.7 to 243.4) against a truth of 73.9,
called `everything_else` 'unchanged' while vanished() called each of B's networks 'fell',
and the target's ratio interval started at -0.057.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from attribution_support import EVENING, TWO_DROP_SOURCES, by_source, two_drop_trap

from spamlab import attribution, its

SOURCES = ["vanished", "everything_else"]


@pytest.fixture(scope="module")
def trap() -> tuple[pd.DataFrame, float, attribution.VanishedResult]:
    events, truth = two_drop_trap(0)
    return events, truth, attribution.vanished_groups(events, interruption=EVENING, by="sender_net")


def _account(found: attribution.VanishedResult, **model: object) -> attribution.SourceAccounting:
    return attribution.account_by_source(found.daily, total="total", sources=SOURCES, target="vanished",
                                         interruption=EVENING, **model)


def test_the_groups_are_found_as_simulated(trap) -> None:
    _, _, found = trap
    status = found.groups.set_index("group")["status"]
    assert set(found.vanished_groups) == {f"10.0.{n}.0/24" for n in range(TWO_DROP_SOURCES[0][3])}
    assert {status[f"10.1.{n}.0/24"] for n in range(TWO_DROP_SOURCES[1][3])} == {"fell"}


def test_the_default_model_finds_the_second_drop_and_covers_the_truth(trap) -> None:
    _, truth, found = trap
    acc = _account(found)
    rows = acc.sources.set_index("source")
    assert rows.loc["everything_else", "status"] == "fell"  # was 'unchanged'
    assert acc.residual["ci_low"] <= truth <= acc.residual["ci_high"]
    assert acc.residual["ci_low"] > 0
    assert "errors='ar1'" in acc.model and "seasonality='dow'" in acc.model


def test_a_wide_interval_is_inconclusive_not_unchanged(trap) -> None:
    _, _, found = trap
    acc = _account(found, errors="iid", seasonality=None)  # the old defaults
    row = acc.sources.set_index("source").loc["everything_else"]
    assert row["fall_low"] < 0 < row["fall_high"]
    assert row["fall_high"] > attribution.MATERIAL * row["pre_level"]
    assert row["status"] == "inconclusive"


def test_the_words_follow_the_numbers(trap) -> None:
    _, _, found = trap
    text = attribution.describe(_account(found), found)
    assert "may explain the whole fall" not in text
    assert "excludes 0: something besides 'vanished' fell" in text
    assert "Fell: 'everything_else'" in text
    assert "6 sender_net group(s) fell without vanishing" in text and "10.1.0.0/24" in text
    wide = attribution.describe(_account(found, errors="iid", seasonality=None))
    assert "may explain the whole fall" not in wide
    assert "the data cannot tell whether 'vanished' explains the whole fall" in wide


def test_may_explain_only_when_the_interval_rules_out_a_material_residual() -> None:
    rng = np.random.default_rng(1)
    days = pd.date_range("2011-02-14", periods=56, freq="D", tz="UTC")
    gone = np.where(days >= "2011-03-17", 0.0, rng.poisson(300, 56))
    data = pd.DataFrame({"A": gone, "C": rng.normal(450, 5, 56)}, index=days)
    data["total"] = data["A"] + data["C"]
    acc = attribution.account_by_source(data, total="total", sources=["A", "C"], target="A",
                                        interruption="2011-03-17")
    assert acc.residual["ci_low"] < 0 < acc.residual["ci_high"]
    assert acc.residual["ci_high"] < attribution.MATERIAL * data["C"].iloc[:30].mean()
    assert acc.sources.set_index("source").loc["C", "status"] == "unchanged"
    assert "'A' may explain the whole fall" in attribution.describe(acc)


def test_ratio_bounds_are_not_below_zero(trap) -> None:
    events, _, found = trap
    for acc in (_account(found, errors="iid", seasonality=None),  # ratio_low was -0.057
                attribution.account_by_source(by_source(events), total="total", sources=["A", "B", "C"],
                                              target="A", interruption=EVENING)):
        table = acc.sources
        assert (table[["ratio", "ratio_low", "ratio_high"]] >= 0).all().all()
        assert (table["ratio_low"] <= table["ratio"]).all()
        assert (table["ratio"] <= table["ratio_high"]).all()
        assert table.set_index("source").loc[acc.target, "ratio_low"] == 0.0


def test_explicit_settings_and_a_spec_are_used_as_given(trap) -> None:
    _, _, found = trap
    assert "chosen" not in _account(found, errors="hac", seasonality=None).model
    given = _account(found, spec=its.Specification(errors="iid"))
    assert given.model == "gaussian, OLS, iid errors"
    half = _account(found, errors="iid")
    assert half.model.endswith("chosen from the data (daily data): seasonality='dow'")
    assert _account(found, spec=its.Specification(errors="iid"), seasonality="auto").model.endswith(
        "seasonality='dow'")


def test_weekly_data_get_no_weekday_term() -> None:
    rng = np.random.default_rng(2)
    weeks = pd.date_range("2010-06-07", periods=60, freq="W-MON", tz="UTC")
    post = (weeks >= "2011-03-16").astype(float)
    data = pd.DataFrame({"A": (1 - post) * rng.poisson(2000, 60), "C": rng.poisson(3000, 60)},
                        index=weeks).astype(float)
    data["total"] = data["A"] + data["C"]
    acc = attribution.account_by_source(data, total="total", sources=["A", "C"], target="A",
                                        interruption="2011-03-16", slope_change=False)
    assert acc.model.endswith("chosen from the data (not daily data): errors='ar1', "
                              "seasonality=None")


@pytest.mark.parametrize(("high", "status"), [(0.9, "unchanged"), (1.1, "inconclusive")])
def test_inconclusive_is_an_interval_holding_zero_and_a_material_change(high: float,
                                                                        status: str) -> None:
    got = attribution.results.status_of(pd.Series([-0.5]), pd.Series([high]), pd.Series([1.0]),
                                        pd.Series([10.0]))  # material: 10% of 10
    assert got.tolist() == [status]


@pytest.mark.slow
def test_the_second_drop_over_seeds() -> None:
    """Daily counts by source (A, B, C columns) over 40 seeds: B fell every time before the
    fix too; the residual's interval under the default model covered the truth in 38 of 40
    (95%) when measured; here at least 36 of 40 and B 'fell' in at least 38."""
    hits, fell = 0, 0
    for seed in range(100, 140):
        events, truth = two_drop_trap(seed)
        acc = attribution.account_by_source(by_source(events), total="total", sources=["A", "B", "C"],
                                            target="A", interruption=EVENING)
        hits += bool(acc.residual["ci_low"] <= truth <= acc.residual["ci_high"])
        fell += acc.sources.set_index("source").loc["B", "status"] == "fell"
    assert hits >= 36 and fell >= 38, (hits, fell)


def test_every_status_has_its_own_colour_in_the_figures():
    from spamlab.attribution.results import STATUSES
    from spamlab.plots.attribution import STATUS_COLOURS

    assert set(STATUSES) <= set(STATUS_COLOURS)
    assert len({STATUS_COLOURS[status] for status in STATUSES}) == len(set(STATUSES))
