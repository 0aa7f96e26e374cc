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
            "less_than_width": 0.0,
                "rustock_readings": ("stated_output",), "trend_readings": ("march_10_vs_15",),
                "other_botnets_change": (0.0, 0.0), "daily_noise_cv": (0.0, 0.0), "rounding": 0.0}
    base.update(kwargs)
    return Assumptions(**base)


def _adj(acc: residual.FiguresAccounting, key: str) -> np.ndarray:
    return acc.draws[f"adj_{key}"].to_numpy()


def test_naive_is_52_minus_33_minus_13_82_read_independently():
    expected = _csv_value(5) - _csv_value(4) - _csv_value(1)
    acc = residual.account_from_figures(seed=0, n_draws=200)
    assert acc.naive == pytest.approx(expected)
    assert acc.naive == pytest.approx(5.18)
    assert acc.to_dict()["naive_residual_bn_per_day"] == pytest.approx(5.18)


def test_rustock_share_of_the_week_reading_by_hand(table):
    acc = residual.account_from_figures(table, n_draws=200, assumptions=_fixed(rustock_readings=("march_share_on_week",)))
    np.testing.assert_allclose(_adj(acc, "different_bases"), -(0.285 * 52 - 13.82))


@pytest.mark.parametrize(
    ("reading", "output"),
    [
        ("stated_output", 13.82),
        ("march_share_of_botnet_spam", 0.285 * 0.831 * 52),  # row 2 as a share of botnet spam (row 9)
        ("commtouch_share", 30 / 150 * 52),  # rows 328, 326 on row 5
        ("commtouch_q1_share", 50 / 149 * 52),  # rows 75, 76 on row 5
    ],
)
def test_fixed_rustock_readings_by_hand(table, reading, output):
    acc = residual.account_from_figures(table, n_draws=200, assumptions=_fixed(rustock_readings=(reading,)))
    np.testing.assert_allclose(_adj(acc, "different_bases"), 13.82 - output)


def test_kaspersky_reading_spans_30_to_40_percent_of_the_week(table):
    acc = residual.account_from_figures(table, n_draws=2000, assumptions=_fixed(rustock_readings=("kaspersky_share",)))
    outputs = 13.82 - _adj(acc, "different_bases")
    assert 0.30 * 52 - 1e-9 <= outputs.min() < 0.31 * 52 and 0.39 * 52 < outputs.max() <= 0.40 * 52 + 1e-9


def test_dropped_readings_are_gone():
    """The 24 bn 'March share on the pre-takedown days' and the '13 floor' readings were dropped."""
    assert set(residual.RUSTOCK_READINGS) == {"stated_output", "march_share_on_week",
                                             "march_share_of_botnet_spam", "commtouch_share",
                                             "commtouch_q1_share", "kaspersky_share"}
    assert residual.Assumptions().rustock_readings == residual.MESSAGELABS_READINGS
    assert not {148, 323} & {i for ids in residual.RUSTOCK_READINGS.values() for i in ids}


def test_partial_day_on_utc_days_adds_rustocks_hours_before_the_stop(table):
    acc = residual.account_from_figures(table, n_draws=500, assumptions=_fixed(p_after_includes_16th=1.0,
                                                                 vendor_day_from_figures=False))
    adj = _adj(acc, "partial_day")
    assert adj.min() >= 13.82 * 14.75 / 24 / 7 - 1e-9
    assert adj.max() <= 13.82 * 15.5 / 24 / 7 + 1e-9
    none = residual.account_from_figures(table, n_draws=200, assumptions=_fixed())
    assert np.all(_adj(none, "partial_day") == 0)


def test_partial_day_on_the_vendor_day_the_figures_imply(table):
    acc = residual.account_from_figures(table, n_draws=200, assumptions=_fixed(p_after_includes_16th=1.0))
    share_on_16th = 0.247 / (1 - (1 - 0.247) * (1 - 0.119))  # rows 28, 29
    hours = 24 * (1 - share_on_16th)
    assert 6.0 < hours < 7.0
    np.testing.assert_allclose(_adj(acc, "partial_day"), 13.82 * hours / 24 / 7)
    assert {28, 29} <= set(acc.to_dict()["adjustments"]["partial_day"]["figure_ids"])


def test_weekday_adjustment_by_hand_for_a_four_day_after_window(table):
    pinned = _with_values(table, {212: 80.0, 218: 80.0, 384: 80.0, 219: -20.0})  # weekend = 0.8
    acc = residual.account_from_figures(pinned, n_draws=200, assumptions=_fixed(after_days=(4, 4)))
    # 9-15 March holds one weekend (12-13): a typical week. 17-20 March: Thu, Fri, Sat, Sun.
    week = (5 + 2 * 0.8) / 7
    after_typical = 33 * week / ((2 + 2 * 0.8) / 4)
    np.testing.assert_allclose(_adj(acc, "weekday"), -(after_typical - 33))
    same = residual.account_from_figures(pinned, n_draws=200, assumptions=_fixed())
    np.testing.assert_allclose(_adj(same, "weekday"), 0.0, atol=1e-12)


def test_trend_from_10_vs_15_march_by_hand(table):
    acc = residual.account_from_figures(table, n_draws=200, assumptions=_fixed())
    slope = math.log((1 - 0.404) / (1 - 0.336)) / 5
    gap = 19.5 - 11.5  # centres of 17-23 and 9-15 March, days after 1 March 00:00
    np.testing.assert_allclose(_adj(acc, "trend"), (52 - 13.82) * (math.exp(slope * gap) - 1))


def test_trend_from_february_by_hand(table):
    acc = residual.account_from_figures(table, n_draws=300, assumptions=_fixed(trend_readings=("feb_to_march",)))
    expected = []
    for hour in (14.75, 15.5):
        pre = 15 + hour / 24
        february = (pre * 52 + (31 - pre) * 33) / 31 / (1 - 0.2743)
        slope = math.log(52 / february) / (11.5 + 14)
        expected.append((52 - 13.82) * (math.exp(slope * 8) - 1))
    adj = _adj(acc, "trend")
    assert min(expected) - 1e-9 <= adj.min() and adj.max() <= max(expected) + 1e-9


def test_first_half_reading_uses_less_than_51_as_an_upper_bound(table):
    exact = residual.account_from_figures(table, n_draws=200, assumptions=_fixed(trend_readings=("first_half_vs_week",)))
    slope = math.log(52 / 51) / (11.5 - 7.5)  # centres of 8-15 and 1-15 March
    at_51 = (52 - 13.82) * (math.exp(slope * 8) - 1)
    np.testing.assert_allclose(_adj(exact, "trend"), at_51)
    below = residual.account_from_figures(table, n_draws=500, assumptions=_fixed(
        trend_readings=("first_half_vs_week",), less_than_width=1.0))
    steepest = (52 - 13.82) * (math.exp(math.log(52 / 50) / 4 * 8) - 1)
    assert at_51 - 1e-9 <= _adj(below, "trend").min() and _adj(below, "trend").max() <= steepest + 1e-9
    assert _adj(below, "trend").mean() > at_51 + 0.1  # "less than" moves it one way only


def test_two_single_days_carry_the_day_to_day_noise(table):
    acc = residual.account_from_figures(table, n_draws=20_000, seed=5, assumptions=_fixed(daily_noise_cv=(0.05, 0.05)))
    slopes = np.log(1 + _adj(acc, "trend") / (52 - 13.82)) / 8
    assert slopes.std() == pytest.approx(math.sqrt(2) * 0.05 / 5, rel=0.03)
    assert slopes.mean() == pytest.approx(math.log(0.596 / 0.664) / 5, abs=0.001)


def test_other_botnets_change_by_hand(table):
    acc = residual.account_from_figures(table, n_draws=200, assumptions=_fixed(other_botnets_change=(0.1, 0.1)))
    before = 13.82 + (52 - 13.82) * math.exp(math.log(0.596 / 0.664) / 5 * 8)
    np.testing.assert_allclose(_adj(acc, "other_botnets"), 0.1 * (0.831 * before - 13.82))


def test_measurement_spread_matches_the_sampling_formula(table):
    asm = _fixed(daily_noise_cv=(0.08, 0.08), noise_ar1=0.0, rounding=0.0)
    acc = residual.account_from_figures(table, n_draws=20_000, seed=3, assumptions=asm)
    before = 13.82 + (52 - 13.82) * math.exp(math.log(0.596 / 0.664) / 5 * 8)
    expected_sd = math.sqrt((0.08 * before) ** 2 / 7 + (0.08 * 33) ** 2 / 7)
    adj = _adj(acc, "measurement")
    assert abs(adj.mean()) < 4 * expected_sd / math.sqrt(len(adj))
    assert adj.std() == pytest.approx(expected_sd, rel=0.03)


def test_other_botnets_apply_nothing_by_default(table):
    acc = residual.account_from_figures(table, n_draws=500)
    assert np.all(_adj(acc, "other_botnets") == 0)


def test_means_add_up_in_the_dict(table):
    acc = residual.account_from_figures(table, n_draws=N, seed=2)
    out = json.loads(json.dumps(acc.to_dict()))
    total = out["naive_residual_bn_per_day"] + sum(a["mean"] for a in out["adjustments"].values())
    assert total == pytest.approx(out["residual_bn_per_day"]["mean"], abs=0.01)
    assert out["residual_bn_per_day"]["mean"] == pytest.approx(acc.draws["res_measurement"].mean(), abs=1e-4)
    final = acc.draws["res_measurement"].to_numpy()
    assert out["residual_bn_per_day"]["p_below_zero"] == pytest.approx((final < 0).mean(), abs=1e-4)
    assert out["residual_bn_per_day"]["p_above_naive"] == pytest.approx((final > 5.18).mean(), abs=1e-4)
    assert "not a confidence interval" in out["range_kind"]


def test_residual_by_reading_names_existing_rows_and_hand_effects(table):
    acc = residual.account_from_figures(table, n_draws=2000)
    with open(paths.figures_csv(), encoding="utf-8") as handle:
        ids_in_csv = {int(row["id"]) for row in csv.DictReader(handle)}
    out = acc.to_dict()["residual_by_reading"]
    assert [r["reading"] for r in out] == list(residual.RUSTOCK_READINGS)
    for entry in out:
        assert entry["figure_ids"] and set(entry["figure_ids"]) <= ids_in_csv, entry
        assert entry["low"] <= entry["median"] <= entry["high"]
    effects = acc.by_reading.set_index("reading")["effect"]
    expected = {"stated_output": 0.0, "march_share_on_week": 13.82 - 0.285 * 52,
                "march_share_of_botnet_spam": 13.82 - 0.285 * 0.831 * 52,
                "commtouch_share": 13.82 - 0.2 * 52, "commtouch_q1_share": 13.82 - 50 / 149 * 52,
                "kaspersky_share": 13.82 - 0.35 * 52}
    for reading, value in expected.items():
        assert effects[reading] == pytest.approx(value, abs=0.05), reading
    weights = acc.by_reading.set_index("reading")["weight"]
    assert (weights[list(residual.OTHER_VENDOR_READINGS)] == 0).all()  # other vendors: not pooled
    assert set(residual.OTHER_VENDOR_READINGS) | set(residual.MESSAGELABS_READINGS) \
        == set(residual.RUSTOCK_READINGS)
    assert weights[list(residual.MESSAGELABS_READINGS)].sum() == pytest.approx(1)


def test_a_reading_alone_shifts_the_residual_by_its_output(table):
    acc = residual.account_from_figures(table, n_draws=2000, seed=4)
    by = acc.by_reading.set_index("reading")
    # same seed, same other draws: the remaining residual moves by the difference in output
    shift = by.loc["stated_output", "mean"] - by.loc["commtouch_share", "mean"]
    assert shift == pytest.approx(10.4 - 13.82, abs=0.3)


def test_weights_set_how_often_a_reading_is_drawn(table):
    asm = Assumptions(rustock_weights=(2.0, 1.0, 1.0))
    acc = residual.account_from_figures(table, n_draws=20_000, assumptions=asm)
    share = (acc.draws["rustock_reading"] == "stated_output").mean()
    assert share == pytest.approx(0.5, abs=0.015)
    assert acc.to_dict()["weights"]["H1"]["stated_output"] == pytest.approx(0.5)


def test_hypothesis_table_one_row_each_with_existing_rows(table):
    acc = residual.account_from_figures(table, n_draws=1000)
    tab = residual.hypothesis_table(acc)
    assert tab["hypothesis"].tolist() == [f"H{i}" for i in range(1, 7)]
    for rows in tab["rows"]:
        figures.get(table, [int(i) for i in rows.split(", ")])
    h2 = tab.set_index("hypothesis").loc["H2"]
    assert "ENLARGE" in h2["claim"] and "+0.00" in h2["readings (effect)"]
    h4 = tab.set_index("hypothesis").loc["H4", "readings (effect)"]
    assert all(name in h4 for name in residual.TREND_READINGS)
    assert tab["mean_effect"].tolist() == pytest.approx(
        [acc.draws[f"adj_{k}"].mean() for k in tab["adjustment"]], abs=0.006)


def test_assumption_table_lists_every_field_untruncated():
    tab = residual.assumption_table(Assumptions(noise_ar1=0.4))
    assert set(tab["assumption"]) == set(Assumptions.__dataclass_fields__)
    assert tab.set_index("assumption").loc["noise_ar1", "value"] == "0.4"


def test_collateral_curve_by_hand(table):
    acc = residual.account_from_figures(table, n_draws=200, assumptions=_fixed())
    curve = residual.collateral_curve(acc, [0.0, 0.25])
    before = 13.82 + (52 - 13.82) * math.exp(math.log(0.596 / 0.664) / 5 * 8)
    remaining = before - 33 - 13.82
    others = 0.831 * before - 13.82
    np.testing.assert_allclose(curve["median"], [remaining, remaining - 0.25 * others])
    with pytest.raises(ParameterError, match="fractions"):
        residual.collateral_curve(acc, [1.5])


def test_cumulative_rows_chain_the_adjustments(table):
    acc = residual.account_from_figures(table, n_draws=N)
    steps = [c for c in acc.draws.columns if c.startswith("adj_")]
    total = acc.naive + acc.draws[steps].sum(axis=1)
    np.testing.assert_allclose(total, acc.draws["res_measurement"], atol=1e-9)


def test_intervals_are_ordered_and_every_row_names_existing_figures(table):
    acc = residual.account_from_figures(table, n_draws=N)
    tab = acc.table
    assert (tab["low"] <= tab["median"]).all() and (tab["median"] <= tab["high"]).all()
    for ids in tab["figure_ids"]:
        assert ids, "every row names its figure ids"
        figures.get(table, [int(i) for i in ids.split(";")])
    assert set(tab["kind"]) == {"naive", "adjustment", "cumulative", "implied"}
    assert tab.loc[tab["kind"] == "adjustment", "hypothesis"].tolist() == [1, 2, 3, 4, 5, 6]


def test_seeded_runs_reproduce_and_seeds_differ(table):
    first = residual.account_from_figures(table, seed=7, n_draws=1000).table
    pd.testing.assert_frame_equal(first, residual.account_from_figures(table, seed=7, n_draws=1000).table)
    other = residual.account_from_figures(table, seed=8, n_draws=1000).table
    assert not np.allclose(first["median"], other["median"])


def test_to_dict_is_json_ready(table):
    out = json.loads(json.dumps(residual.account_from_figures(table, n_draws=N).to_dict()))
    assert set(out["residual_bn_per_day"]) == {"mean", "median", "low", "high", "p_below_zero",
                                               "p_above_naive"}
    assert set(out["adjustments"]) == {
        "different_bases", "partial_day", "weekday", "trend", "other_botnets", "measurement"}
    for entry in out["adjustments"].values():
        assert entry["low"] <= entry["median"] <= entry["high"] and entry["figure_ids"]


def test_write_table_writes_where_it_is_told_and_nowhere_else(tmp_path, monkeypatch, table):
    processed = tmp_path / "processed"
    monkeypatch.setenv("SPAMLAB_DATA_PROCESSED", str(processed))
    acc = residual.account_from_figures(table, n_draws=300)
    target = tmp_path / "run" / "residual_table.csv"
    assert residual.write_table(acc, target) == target
    back = pd.read_csv(target, dtype={"figure_ids": str})
    assert back["component"].tolist() == acc.table["component"].tolist()
    np.testing.assert_allclose(back["median"], acc.table["median"], atol=1e-4)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["residual_table.csv", "run"]
    assert not processed.exists()
    with pytest.raises(TypeError, match="path"):
        residual.write_table(acc)  # type: ignore[call-arg]  # no default location


def test_waterfall_bars_are_means_that_add_up(table):
    acc = residual.account_from_figures(table, n_draws=2000)
    fig = plots.plot_waterfall(acc)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.patches) == 1 + 6 + 1
    assert "missing 5 billion" in ax.get_title() and "mean" in ax.get_title()
    heights = [p.get_height() for p in ax.patches]
    expected = [5.18] + [acc.draws[f"adj_{k}"].mean() for k in
                         ("different_bases", "partial_day", "weekday", "trend", "other_botnets",
                          "measurement")] + [acc.draws["res_measurement"].mean()]
    np.testing.assert_allclose(heights, expected, atol=1e-9)
    assert ax.patches[6].get_y() + heights[6] == pytest.approx(heights[-1])  # the last step lands on it
    assert len(fig.axes[1].get_yticklabels()) == len(residual.RUSTOCK_READINGS)


def test_collateral_plot_is_a_figure(table):
    fig = plots.plot_collateral(residual.collateral_curve(residual.account_from_figures(table, n_draws=300)))
    assert "Collateral needed" in fig.axes[0].get_title()


@pytest.mark.parametrize("figure_id", [5, 4, 1, 2, 9, 28, 236, 328, 384])
def test_missing_figure_is_named(table, figure_id):
    with pytest.raises(DataError, match=f"id {figure_id} is missing"):
        residual.account_from_figures(table.drop(index=figure_id), n_draws=200)


def test_wrong_unit_is_named(table):
    bad = table.copy()
    bad.loc[5, "unit"] = "billion_per_week"
    with pytest.raises(DataError, match="id 5: unit is 'billion_per_week'"):
        residual.account_from_figures(bad, n_draws=200)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_draws": 10}, "n_draws=10"),
        ({"interval": 1.0}, "interval=1.0"),
    ],
)
def test_bad_account_arguments(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        residual.account_from_figures(**kwargs)


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
        ({"rustock_weights": (1.0,)}, "rustock_weights"),
        ({"trend_weights": (0.0, 0.0, 0.0)}, "trend_weights"),
        ({"less_than_width": -1.0}, "less_than_width"),
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
    acc = residual.account_from_figures(figures.load(), seed=seed, n_draws=300, assumptions=asm)
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
    tab = residual.account_from_figures(table, n_draws=300).table
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



def test_sensitivity_h2_only_enlarges_and_the_reference_comes_first(table):
    acc = residual.account_from_figures(table, n_draws=2000)
    out = residual.assumption_sensitivity(acc, table, {"p0": {"p_after_includes_16th": 0.0},
                                            "p1": {"p_after_includes_16th": 1.0}}).set_index("variant")
    assert out.index[0] == "as stated (reference)"
    assert out.loc["as stated (reference)", "mean"] == pytest.approx(acc.draws["res_measurement"].mean())
    assert out.loc["p0", "mean"] < out.loc["as stated (reference)", "mean"] < out.loc["p1", "mean"]
