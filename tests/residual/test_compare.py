"""Tests of the ITS comparison of hypotheses and of the power analysis (synthetic data)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from spamlab import plots, scenario
from spamlab.errors import ParameterError
from spamlab.scenario import Params, generate
from spamlab.scenario.comparison import _step

QUIET = Params(others_level=24.0, bagle_level=8.0, nonbot_level=6.0, noise_sd=0.02, noise_ar1=0.3)


def test_its_recovers_a_known_second_step_in_non_rustock_volume():
    for drop, seed in ((6.0, 11), (0.0, 12)):
        frame = scenario.its_frame(generate(replace(QUIET, second_drop=drop), seed))
        eff = _step(frame, "non_rustock_synthetic", ["2011-03-17 00:00"], "ar1", 0.05)
        assert eff["ci_low"] <= -drop <= eff["ci_high"], (drop, eff)
        assert eff["estimate"] == pytest.approx(-drop, abs=1.0)
    assert eff["p_value"] > 0.01  # no step, no strong evidence of one


def test_its_frame_window_and_columns():
    frame = scenario.its_frame(generate(QUIET, 1), pre_days=20, post_days=5)
    assert frame.index[0] == pd.Timestamp("2011-02-24") and frame.index[-1] == pd.Timestamp("2011-03-21")
    np.testing.assert_allclose(frame["non_rustock_synthetic"],
                               frame["total_synthetic"] - frame["rustock_synthetic"])
    assert frame.attrs["synthetic"]


def test_day_shape_by_hand():
    p = replace(QUIET, second_drop=3.0)
    total = generate(p, seed=None)["total_synthetic"]
    shape = scenario.day_shape(p)
    assert shape["change_16_vs_15_pct"] == pytest.approx(100 * (total["2011-03-16"] / total["2011-03-15"] - 1))
    assert shape["change_20_vs_19_pct"] == pytest.approx(100 * (total["2011-03-20"] / total["2011-03-19"] - 1))


def test_distinguish_separates_a_second_source_from_the_baseline():
    cals = {name: scenario.calibrate(name, seed=4) for name in ("baseline", "second_source")}
    out = scenario.distinguish(cals).set_index("hypothesis")
    assert "SYNTHETIC" in out.attrs["note"]
    second = out.loc["second_source"]
    assert second["true_non_rustock_step"] < -2
    assert second["non_rustock_step_low"] <= second["true_non_rustock_step"] <= second["non_rustock_step_high"]
    assert out.loc["baseline", "non_rustock_step_low"] > second["non_rustock_step"]
    for col in ("total_step", "non_rustock_step", "second_step_in_total"):
        assert (out[f"{col}_low"] <= out[col]).all() and (out[col] <= out[f"{col}_high"]).all()


def test_power_is_high_for_a_large_step_in_quiet_data_and_size_is_controlled():
    out = scenario.second_source_power(effect=-5.0, post_days=(7,), params=QUIET, series=("non_rustock",),
                                       n_sims=12, noise_sd=0.02, noise_ar1=0.3, seed=1)
    row = out.iloc[0]
    assert row["power"] == 1.0
    assert row["size"] <= 2 / 12
    assert row["mean_estimate"] == pytest.approx(-5.0, abs=0.8)


@pytest.mark.slow
def test_power_grows_with_post_days_and_falls_with_noise():
    kwargs = {"effect": -5.0, "params": QUIET, "series": ("non_rustock",), "n_sims": 30, "seed": 2}
    noisy = scenario.second_source_power(post_days=(3, 28), noise_sd=0.15, noise_ar1=0.5, **kwargs)
    quiet = scenario.second_source_power(post_days=(3,), noise_sd=0.03, noise_ar1=0.5, **kwargs)
    assert noisy["power"].iloc[1] >= noisy["power"].iloc[0]
    assert quiet["power"].iloc[0] > noisy["power"].iloc[0]
    assert (noisy["coverage"] >= 0.7).all()


def test_days_needed_from_a_power_table():
    table = pd.DataFrame({"series": ["a", "a", "a", "b", "b"], "post_days": [3, 7, 14, 3, 7],
                          "power": [0.3, 0.85, 0.95, 0.1, 0.2]})
    needed = scenario.days_needed(table, target=0.8)
    assert needed["a"] == 7 and np.isnan(needed["b"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"effect": 0}, "effect=0"),
        ({"effect": 5.0}, "effect=5.0: .* negative"),
        ({"post_days": ()}, "post_days"),
        ({"post_days": (0, 3)}, "post_days"),
        ({"series": ("rustock",)}, "series"),
        ({"n_sims": 1}, "n_sims=1"),
    ],
)
def test_power_bad_arguments(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        scenario.second_source_power(**kwargs)


def test_its_frame_bad_window():
    with pytest.raises(ParameterError, match="pre_days=5"):
        scenario.its_frame(generate(QUIET, 0), pre_days=5)


def test_plot_scenario_title_says_synthetic():
    cal = scenario.calibrate("other_botnets", seed=0)
    fig = plots.plot_scenario(cal)
    title = fig.axes[0].get_title()
    assert "SYNTHETIC" in title and "other_botnets" in title
    unfitted = cal.constraints[~cal.constraints["fitted"]]
    for figure_id in unfitted.loc[unfitted["rel_error"].abs() > 0.02, "figure_id"]:
        assert str(figure_id) in title  # a figure the scenario breaks is named, not hidden
    assert len(fig.axes[0].collections) == len(scenario.SOURCES)


def test_noise_residual_without_noise_is_the_hand_computed_residual():
    p = replace(QUIET, rustock_level=14.0, second_drop=3.0)  # the null scenario drops second_drop
    out = scenario.noise_residual(p, noise_sd=(0.0, 0.15), n_sims=60, seed=3)
    frame = generate(replace(p, second_drop=0.0), seed=None)
    total, rustock = frame["total_synthetic"], frame["rustock_synthetic"]
    hand = (total["2011-03-08":"2011-03-15"].mean() - total["2011-03-17":"2011-03-23"].mean()
            - rustock["2011-03-01":"2011-03-15"].mean())
    quiet, noisy = out.iloc[0], out.iloc[1]
    assert quiet["noise_free"] == pytest.approx(hand)
    assert quiet["low"] == pytest.approx(hand) and quiet["high"] == pytest.approx(hand)
    assert noisy["high"] - noisy["low"] > 1.0
    assert 0 <= noisy["p_at_least_naive"] <= 1
    with pytest.raises(ParameterError, match="n_sims=1"):
        scenario.noise_residual(p, n_sims=1)


def test_engine_power_falls_and_mde_grows_with_noise():
    out = scenario.power_by_noise(QUIET, effect=-5.0, post_days=(7,), noise_sd=(0.03, 0.3), n_sims=60)
    quiet, noisy = out.iloc[0], out.iloc[1]
    assert quiet["power"] > noisy["power"]
    assert noisy["mde"] < quiet["mde"] < 0  # signed: the smallest detectable fall is negative
    quiet_series = generate(replace(QUIET, noise_sd=0.03, noise_ar1=0.5), 0)["2011-02-02":"2011-03-15"]
    pre_mean = (quiet_series["total_synthetic"] - quiet_series["rustock_synthetic"]).mean()
    assert quiet["mde_pct"] == pytest.approx(100 * quiet["mde"] / pre_mean)
    # the two engine answers agree: a fall of 5 bn/day is found with >= 80% power iff the MDE is
    # a fall of at most 5 (mde >= -5)
    for _, row in out.iterrows():
        assert (row["power"] >= 0.8) == (row["mde"] >= -5.0 - 0.25) or abs(row["mde"] + 5.0) < 0.5
    assert "SYNTHETIC" in out.attrs["note"]


def test_engine_power_bad_arguments():
    with pytest.raises(ParameterError, match="series='rustock'"):
        scenario.power_by_noise(series="rustock")
    with pytest.raises(ParameterError, match="noise_sd"):
        scenario.power_by_noise(noise_sd=(0.0,))
    with pytest.raises(ParameterError, match="effect=5.0: .* negative"):
        scenario.power_by_noise(effect=5.0)
