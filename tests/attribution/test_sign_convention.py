"""One sign convention per word: ``its`` effects are observed - counterfactual, attribution's
``fall`` is counterfactual - observed, ``displacement``'s ``added`` is observed - counterfactual.

A simulated (synthetic) panel with known truth: at 2011-03-16 14:45 the target (14/day) stops,
a source that grows (5/day) rises by 3, and an unnamed rest (30/day) falls by 2, so the total
falls by 14 - 3 + 2 = 13 per day. Fitted with one model (no slope change), the window mean of
the effect is the level coefficient, so ``its``' level change and the total's ``fall`` must be
equal and opposite, and each must be near its truth.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from spamlab import attribution, its
from spamlab.attribution import accounting, results
from spamlab.synthetic.botnets import BotnetTruth

CUT = "2011-03-16 14:45"
TARGET_FALL, GROWER_RISE, REST_FALL = 14.0, 3.0, 2.0
TOTAL_FALL = TARGET_FALL - GROWER_RISE + REST_FALL  # 13 per day: the truth
MODEL: dict[str, object] = {"errors": "iid", "seasonality": None, "slope_change": False}
TOLERANCE = 0.6  # about 5 standard errors of a level change on this panel (noise sd 0.3 each)


def sign_panel(seed: int, n: int = 90) -> pd.DataFrame:
    """Synthetic daily panel: total = target + grower + rest (rest unnamed), partial cut day."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2011-01-15", periods=n, freq="D", tz="UTC")
    cut = pd.Timestamp(CUT, tz="UTC")
    after = np.clip(((days + pd.Timedelta(days=1)) - cut) / pd.Timedelta(days=1), 0.0, 1.0)
    target = (1 - after) * (TARGET_FALL + rng.normal(0, 0.3, n))
    grower = 5.0 + GROWER_RISE * after + rng.normal(0, 0.3, n)
    rest = 30.0 - REST_FALL * after + rng.normal(0, 0.3, n)
    return pd.DataFrame({"total": target + grower + rest, "target": target, "grower": grower},
                        index=days)


@pytest.fixture(scope="module")
def fitted() -> tuple[pd.DataFrame, pd.Series, attribution.SourceAccounting]:
    data = sign_panel(0)
    effects = its.fit(data, y="total", interruptions=[CUT], **MODEL).effects
    level = effects.loc[effects["kind"] == "level_change"].iloc[0]
    acc = attribution.account_by_source(data, total="total", sources=["target", "grower"],
                                        target="target", interruption=CUT, **MODEL)
    return data, level, acc


def test_a_fall_is_a_negative_effect_and_a_positive_fall(fitted) -> None:
    _, level, acc = fitted
    total = acc.sources.set_index("source").loc["total"]
    assert level["estimate"] == pytest.approx(-TOTAL_FALL, abs=TOLERANCE)
    assert total["fall"] == pytest.approx(TOTAL_FALL, abs=TOLERANCE)
    # the same fit read two ways: equal size, opposite sign, intervals mirrored
    assert total["fall"] == pytest.approx(-level["estimate"], abs=1e-8)
    assert total["fall_low"] == pytest.approx(-level["ci_high"], abs=1e-8)
    assert total["fall_high"] == pytest.approx(-level["ci_low"], abs=1e-8)
    assert total["status"] == "fell"


def test_a_source_that_grows_has_a_negative_fall(fitted) -> None:
    _, _, acc = fitted
    rows = acc.sources.set_index("source")
    assert rows.loc["grower", "fall"] == pytest.approx(-GROWER_RISE, abs=TOLERANCE)
    assert rows.loc["grower", "fall_high"] < 0 and rows.loc["grower", "status"] == "grew"
    assert rows.loc["target", "fall"] == pytest.approx(TARGET_FALL, abs=TOLERANCE)
    # the residual is what the target leaves: the rest's fall less the grower's rise
    assert acc.residual["estimate"] == pytest.approx(REST_FALL - GROWER_RISE, abs=TOLERANCE)


def test_added_is_minus_the_fall_and_lost_is_the_targets_fall(fitted) -> None:
    data, _, acc = fitted
    moved = attribution.displacement(data, interruption=CUT, target="target",
                                     sources=["grower"], **MODEL)
    rows = acc.sources.set_index("source")
    grower = moved.sources.set_index("source").loc["grower"]
    assert grower["added"] == pytest.approx(GROWER_RISE, abs=TOLERANCE)
    assert grower["added"] == pytest.approx(-rows.loc["grower", "fall"], abs=1e-8)
    assert grower["status"] == "stepped in"
    assert moved.made_up.loc["window", "lost"] == pytest.approx(rows.loc["target", "fall"],
                                                                abs=1e-8)


def test_the_words_say_which_way_each_series_went(fitted) -> None:
    _, _, acc = fitted
    first = attribution.describe(acc).splitlines()[0]
    rows = acc.sources.set_index("source")
    assert f"'total' fell by {rows.loc['total', 'fall']:.4g}" in first
    assert "Falls are counterfactual minus observed" in acc.summary()
    assert set(acc.explained.columns) >= {"fall", "fall_low", "fall_high"}
    assert "fall" in acc.to_dict()["sources"][0] and "change" not in acc.to_dict()["sources"][0]


def test_the_old_words_still_work_and_warn() -> None:
    low, high = pd.Series([2.0, -4.0]), pd.Series([5.0, -1.0])
    ratio, pre = pd.Series([0.5, 1.3]), pd.Series([10.0, 10.0])
    with pytest.warns(DeprecationWarning, match=r"use fall_(low|high)="):
        old = results.status_of(change_low=low, change_high=high, ratio_high=ratio,
                                pre_level=pre)
    assert old.tolist() == results.status_of(low, high, ratio, pre).tolist() == ["fell", "grew"]
    with pytest.warns(DeprecationWarning, match="FALL_COLUMNS"):
        assert accounting.CHANGE_COLUMNS == accounting.FALL_COLUMNS
    days = pd.date_range("2011-03-15", periods=3, tz="UTC")
    observed = pd.DataFrame({"a": [4.0, 1.0, 6.0]}, index=days)
    truth = BotnetTruth(daily=observed, expected=observed, counterfactual=observed * 0 + 4.0,
                        profiles=(), interruption=CUT, target="a", n_messages=0)
    assert truth.fall(days[1], days[2]) == {"a": 0.5}  # a fall of 3, then a rise of 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        truth.fall(days[0], days[2])
    with pytest.warns(DeprecationWarning, match="BotnetTruth.fall"):
        assert truth.change(days[1], days[2]) == {"a": 0.5}
