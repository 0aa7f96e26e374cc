"""Tests of spamlab.residual against hand computations from the figures table."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from spamlab import figures, paths, plots, residual
from spamlab.errors import DataError, ParameterError
from spamlab.residual import Assumptions

N = 4000


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return figures.load()


def _csv_value(figure_id: int) -> float:
    """Read one value straight from the CSV with the csv module (independent of figures.load)."""
    with open(paths.figures_csv(), encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if int(row["id"]) == figure_id:
                return float(row["value"])
    raise AssertionError(figure_id)


def _with_values(table: pd.DataFrame, values: dict[int, float]) -> pd.DataFrame:
    out = table.copy()
    for figure_id, number in values.items():
        out.loc[figure_id, ["value", "value_low", "value_high", "value_mid"]] = number
    return out


def _fixed(**kwargs) -> Assumptions:
    """Assumptions with every window and probability pinned, overridable."""
    base = {"before_days": (7, 7), "after_days": (7, 7), "p_after_includes_16th": 0.0,
                "rustock_readings": ("stated_output",), "trend_readings": ("march_10_vs_15",),
                "other_botnets_change": (0.0, 0.0), "daily_noise_cv": (0.0, 0.0), "rounding": 0.0}
    base.update(kwargs)
    return Assumptions(**base)


def _adj(acc: residual.Accounting, key: str) -> np.ndarray:
    return acc.draws[f"adj_{key}"].to_numpy()


def test_naive_is_52_minus_33_minus_13_82_read_independently():
    expected = _csv_value(5) - _csv_value(4) - _csv_value(1)
    acc = residual.account(seed=0, n_draws=200)
    assert acc.naive == pytest.approx(expected)
    assert acc.naive == pytest.approx(5.18)
    assert acc.results_dict()["naive_residual_bn_per_day"] == pytest.approx(5.18)


def test_rustock_share_of_the_week_reading_by_hand(table):
    acc = residual.account(table, n_draws=200, assumptions=_fixed(rustock_readings=("march_share_on_week",)))
    np.testing.assert_allclose(_adj(acc, "different_bases"), -(0.285 * 52 - 13.82))


def test_rustock_share_pre_takedown_reading_lies_between_hand_bounds(table):
    acc = residual.account(table, n_draws=500, assumptions=_fixed(rustock_readings=("march_share_pre_takedown",)))
    outputs = 13.82 - _adj(acc, "different_bases")
    bounds = [0.285 * (p * 52 + (31 - p) * 33) / p for p in (15 + 14.75 / 24, 15 + 15.5 / 24)]
    assert outputs.min() >= min(bounds) - 1e-9 and outputs.max() <= max(bounds) + 1e-9
    assert outputs.max() - outputs.min() > 0.01  # the stop time is really uncertain


def test_partial_day_adds_rustocks_morning_of_the_16th(table):
    acc = residual.account(table, n_draws=500, assumptions=_fixed(p_after_includes_16th=1.0))
    adj = _adj(acc, "partial_day")
    assert adj.min() >= 13.82 * 14.75 / 24 / 7 - 1e-9
    assert adj.max() <= 13.82 * 15.5 / 24 / 7 + 1e-9
    none = residual.account(table, n_draws=200, assumptions=_fixed())
    assert np.all(_adj(none, "partial_day") == 0)


def test_weekday_adjustment_by_hand_for_a_four_day_after_window(table):
    pinned = _with_values(table, {212: 80.0, 218: 80.0, 384: 80.0, 219: -20.0})  # weekend = 0.8
    acc = residual.account(pinned, n_draws=200, assumptions=_fixed(after_days=(4, 4)))
    # 9-15 March holds one weekend (12-13): a typical week. 17-20 March: Thu, Fri, Sat, Sun.
    week = (5 + 2 * 0.8) / 7
    after_typical = 33 * week / ((2 + 2 * 0.8) / 4)
    np.testing.assert_allclose(_adj(acc, "weekday"), -(after_typical - 33))
    same = residual.account(pinned, n_draws=200, assumptions=_fixed())
    np.testing.assert_allclose(_adj(same, "weekday"), 0.0, atol=1e-12)


def test_trend_from_10_vs_15_march_by_hand(table):
    acc = residual.account(table, n_draws=200, assumptions=_fixed())
    slope = math.log((1 - 0.404) / (1 - 0.336)) / 5
    gap = 19.5 - 11.5  # centres of 17-23 and 9-15 March, days after 1 March 00:00
    np.testing.assert_allclose(_adj(acc, "trend"), (52 - 13.82) * (math.exp(slope * gap) - 1))


def test_trend_from_february_by_hand(table):
    acc = residual.account(table, n_draws=300, assumptions=_fixed(trend_readings=("feb_to_march",)))
    expected = []
    for hour in (14.75, 15.5):
        pre = 15 + hour / 24
        february = (pre * 52 + (31 - pre) * 33) / 31 / (1 - 0.2743)
        slope = math.log(52 / february) / (11.5 + 14)
        expected.append((52 - 13.82) * (math.exp(slope * 8) - 1))
    adj = _adj(acc, "trend")
    assert min(expected) - 1e-9 <= adj.min() and adj.max() <= max(expected) + 1e-9


def test_other_botnets_change_by_hand(table):
    acc = residual.account(table, n_draws=200, assumptions=_fixed(other_botnets_change=(0.1, 0.1)))
    before = 13.82 + (52 - 13.82) * math.exp(math.log(0.596 / 0.664) / 5 * 8)
    np.testing.assert_allclose(_adj(acc, "other_botnets"), 0.1 * (0.831 * before - 13.82))


def test_measurement_spread_matches_the_sampling_formula(table):
    asm = _fixed(daily_noise_cv=(0.08, 0.08), noise_ar1=0.0, rounding=0.0)
    acc = residual.account(table, n_draws=20_000, seed=3, assumptions=asm)
    before = 13.82 + (52 - 13.82) * math.exp(math.log(0.596 / 0.664) / 5 * 8)
    expected_sd = math.sqrt((0.08 * before) ** 2 / 7 + (0.08 * 33) ** 2 / 7)
    adj = _adj(acc, "measurement")
    assert abs(adj.mean()) < 4 * expected_sd / math.sqrt(len(adj))
    assert adj.std() == pytest.approx(expected_sd, rel=0.03)


def test_cumulative_rows_chain_the_adjustments(table):
    acc = residual.account(table, n_draws=N)
    steps = [c for c in acc.draws.columns if c.startswith("adj_")]
    total = acc.naive + acc.draws[steps].sum(axis=1)
    np.testing.assert_allclose(total, acc.draws["res_measurement"], atol=1e-9)


def test_intervals_are_ordered_and_every_row_names_existing_figures(table):
    acc = residual.account(table, n_draws=N)
    tab = acc.table
    assert (tab["low"] <= tab["median"]).all() and (tab["median"] <= tab["high"]).all()
    for ids in tab["figure_ids"]:
        assert ids, "every row names its figure ids"
        figures.get(table, [int(i) for i in ids.split(";")])
    assert set(tab["kind"]) == {"naive", "adjustment", "cumulative", "implied"}
    assert tab.loc[tab["kind"] == "adjustment", "hypothesis"].tolist() == [1, 2, 3, 4, 5, 6]


def test_seeded_runs_reproduce_and_seeds_differ(table):
    first = residual.account(table, seed=7, n_draws=1000).table
    pd.testing.assert_frame_equal(first, residual.account(table, seed=7, n_draws=1000).table)
    other = residual.account(table, seed=8, n_draws=1000).table
    assert not np.allclose(first["median"], other["median"])


def test_results_dict_is_json_ready(table):
    out = json.loads(json.dumps(residual.account(table, n_draws=N).results_dict()))
    assert set(out["residual_bn_per_day"]) == {"median", "low", "high"}
    assert set(out["adjustments"]) == {
        "different_bases", "partial_day", "weekday", "trend", "other_botnets", "measurement"}
    for entry in out["adjustments"].values():
        assert entry["low"] <= entry["median"] <= entry["high"] and entry["figure_ids"]


def test_write_table_writes_where_it_is_told_and_nowhere_else(tmp_path, monkeypatch, table):
    processed = tmp_path / "processed"
    monkeypatch.setenv("SPAMLAB_DATA_PROCESSED", str(processed))
    acc = residual.account(table, n_draws=300)
    target = tmp_path / "run" / "residual_table.csv"
    assert residual.write_table(acc, target) == target
    back = pd.read_csv(target, dtype={"figure_ids": str})
    assert back["component"].tolist() == acc.table["component"].tolist()
    np.testing.assert_allclose(back["median"], acc.table["median"], atol=1e-4)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["residual_table.csv", "run"]
    assert not processed.exists()
    with pytest.raises(TypeError, match="path"):
        residual.write_table(acc)  # type: ignore[call-arg]  # no default location


def test_waterfall_is_a_figure_with_one_bar_per_component(table):
    fig = plots.plot_waterfall(residual.account(table, n_draws=500))
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.patches) == 1 + 6 + 1
    assert "missing 5 billion" in ax.get_title()


@pytest.mark.parametrize("figure_id", [5, 4, 1, 2, 236, 384])
def test_missing_figure_is_named(table, figure_id):
    with pytest.raises(DataError, match=f"id {figure_id} is missing"):
        residual.account(table.drop(index=figure_id), n_draws=200)


def test_wrong_unit_is_named(table):
    bad = table.copy()
    bad.loc[5, "unit"] = "billion_per_week"
    with pytest.raises(DataError, match="id 5: unit is 'billion_per_week'"):
        residual.account(bad, n_draws=200)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_draws": 10}, "n_draws=10"),
        ({"interval": 1.0}, "interval=1.0"),
    ],
)
def test_bad_account_arguments(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        residual.account(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"before_days": (8, 5)}, "before_days"),
        ({"after_days": (0, 3)}, "after_days"),
        ({"p_after_includes_16th": 1.5}, "p_after_includes_16th"),
        ({"noise_ar1": 1.0}, "noise_ar1"),
        ({"rounding": -1}, "rounding"),
        ({"daily_noise_cv": (0.2, 0.1)}, "daily_noise_cv"),
        ({"rustock_readings": ("guess",)}, "rustock_readings"),
        ({"trend_readings": ()}, "trend_readings"),
    ],
)
def test_bad_assumptions_are_named(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        Assumptions(**kwargs)


def test_consistency_values_by_hand(table):
    out = residual.consistency(table).set_index("check")
    assert out.loc["base implied by Rustock's output and March share", "implied"] == pytest.approx(13.82 / 0.285)
    assert out.loc["the two implied bases agree", "consistent"]
    compound = (1 - 0.247) * (1 - 0.119) - 1
    row = out.loc["compound of the day-over-day steps (percent)"]
    assert row["implied"] == pytest.approx(100 * compound) and row["consistent"]
    share16 = 0.247 / -compound
    boundary = out.loc[out.index.str.contains("CBL time"), "implied"].iloc[0]
    assert boundary == pytest.approx(14.75 - 24 * (1 - share16))
    assert not out.loc["Rustock's output as March share of the before week", "consistent"]
    assert pd.isna(out.loc["level of 10 March relative to 15 March", "consistent"])


def test_consistency_follows_the_table(table):
    edited = _with_values(table, {1: 14.82})
    out = residual.consistency(edited).set_index("check")
    assert out.loc["Rustock's output as March share of the before week", "consistent"]


def test_consistency_errors(table):
    with pytest.raises(DataError, match="id 28 is missing"):
        residual.consistency(table.drop(index=28))
    with pytest.raises(ParameterError, match="rel_tol"):
        residual.consistency(table, rel_tol=0)


@settings(max_examples=15, deadline=None)
@given(
    before=st.tuples(st.integers(1, 8), st.integers(0, 4)),
    after=st.tuples(st.integers(1, 8), st.integers(0, 4)),
    p16=st.floats(0, 1),
    seed=st.integers(0, 2**16),
)
def test_property_intervals_and_signs(before, after, p16, seed):
    asm = Assumptions(before_days=(before[0], before[0] + before[1]),
                      after_days=(after[0], after[0] + after[1]), p_after_includes_16th=p16)
    acc = residual.account(figures.load(), seed=seed, n_draws=300, assumptions=asm)
    tab = acc.table
    assert (tab["low"] <= tab["median"]).all() and (tab["median"] <= tab["high"]).all()
    assert (acc.draws["adj_partial_day"] >= 0).all()  # leftover Rustock can only hide a drop
    assert np.isfinite(acc.draws.filter(like="res_")).all().all()


def test_weekday_grid_by_hand(table):
    grid = residual.weekday_grid(table, before_days=(7, 8), after_days=(4, 7))
    assert len(grid) == 2 * 2 * 2
    same = grid[(grid["before_days"] == 7) & (grid["after_days"] == 7)]
    np.testing.assert_allclose(same["adjustment"], 0.0, atol=1e-12)
    row = grid[(grid["before_days"] == 7) & (grid["after_days"] == 4)].sort_values("weekend_ratio").iloc[0]
    w = row["weekend_ratio"]
    assert w == pytest.approx(0.71)  # row 384, the lowest published ratio
    week = (5 + 2 * w) / 7
    assert row["adjustment"] == pytest.approx(-(33 * week / ((2 + 2 * w) / 4) - 33))
    # 8-15 March holds one weekend in 8 days: the before mean is weekday-heavy, so it drops.
    eight = grid[(grid["before_days"] == 8) & (grid["after_days"] == 7)].sort_values("weekend_ratio").iloc[0]
    assert eight["adjustment"] == pytest.approx(52 * week / ((6 + 2 * w) / 8) - 52)


def test_weekday_grid_bad_lengths(table):
    with pytest.raises(ParameterError, match="before_days must lie in 1..15"):
        residual.weekday_grid(table, before_days=(0,))


def test_cumulative_rows_name_every_figure_used_so_far(table):
    tab = residual.account(table, n_draws=300).table
    cumulative = tab[tab["kind"] == "cumulative"]["figure_ids"].map(lambda s: set(s.split(";")))
    adjustments = tab[tab["kind"] == "adjustment"]["figure_ids"].map(lambda s: set(s.split(";")))
    seen = {"5", "4", "1"}
    for cum, adj in zip(cumulative, adjustments, strict=True):
        seen |= adj
        assert cum == seen


def test_consistency_marks_hedged_figures(table):
    out = residual.consistency(table).set_index("check")
    assert "1:upper" in out.loc["base implied by Rustock's output and March share", "bounds"]
    assert "361:upper" in out.loc["residual from the later ISTR levels", "bounds"]


def test_as_many_as_reading_lies_between_13_and_13_82(table):
    acc = residual.account(table, n_draws=500, assumptions=_fixed(rustock_readings=("stated_upper_bound",)))
    adj = _adj(acc, "different_bases")  # a smaller Rustock leaves a larger residual
    assert adj.min() >= 0 and adj.max() <= 13.82 - 13.0 + 1e-12
    assert adj.max() - adj.min() > 0.5
