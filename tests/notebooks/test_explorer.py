"""The explorer of notebook 05 without a browser: its callback against its.fit, its controls."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from spamlab import explore, its
from spamlab.its.results import table_html


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def counts() -> pd.DataFrame:
    """Daily counts with a weekly cycle and a 40% fall at 14:45 UTC on 16 March."""
    days = pd.date_range("2011-01-10", "2011-04-30", freq="D", tz="UTC")
    rng = np.random.default_rng(3)
    weekly = np.where(days.day_of_week >= 5, 0.8, 1.0)
    mean = 5000 * weekly * np.where(days >= "2011-03-17", 0.6, 1.0)
    return pd.DataFrame({"count": rng.poisson(mean).astype(float)}, index=days)


TAKEDOWN = "2011-03-16T14:45:00+00:00"


def test_refit_is_its_fit_with_the_same_settings(counts):
    spec = its.Specification(slope_change=False, family="gaussian")
    fig, effects = explore.refit(counts, "count", [TAKEDOWN], errors="hac", family="quasipoisson",
                                 seasonality="dow", spec=spec, ylabel="messages per day")
    direct = its.fit(counts, y="count", interruptions=[TAKEDOWN], slope_change=False,
                     errors="hac", family="quasipoisson", seasonality="dow")
    pd.testing.assert_frame_equal(effects, direct.effects)
    assert 0.55 < effects["estimate"].iloc[0] < 0.65  # the simulated fall to 60%
    drawn = {line.get_label(): line.get_ydata() for line in fig.axes[0].lines}
    np.testing.assert_allclose(drawn["counterfactual (no interruption)"],
                               direct.counterfactual["counterfactual"])
    assert fig.axes[0].get_ylabel() == "messages per day"


def test_the_explorer_refits_when_the_date_moves(counts):
    panel = explore.explorer(counts, "count", TAKEDOWN,
                             spec=its.Specification(family="quasipoisson", errors="hac",
                                                    seasonality="dow", slope_change=False))
    assert panel.date.value == pd.Timestamp(TAKEDOWN)
    first = bytes(panel.figure.value)
    assert first.startswith(b"\x89PNG")
    panel.date.value = pd.Timestamp("2011-03-01T14:45:00+00:00")  # what a drag of the slider does
    moved = its.fit(counts, y="count", interruptions=["2011-03-01T14:45:00+00:00"],
                    family="quasipoisson", errors="hac", seasonality="dow", slope_change=False)
    assert panel.table.value == table_html("errors=hac, family=quasipoisson, seasonality=dow",
                                           moved.effects)
    assert bytes(panel.figure.value).startswith(b"\x89PNG") and bytes(panel.figure.value) != first


def test_the_explorer_shows_why_a_model_cannot_be_fitted(counts):
    panel = explore.explorer(counts, "count", [TAKEDOWN])
    panel.family.value = "poisson"
    shown = bytes(panel.figure.value)
    panel.errors.value = "ar1"  # gaussian only
    assert panel.table.value.startswith("<p><b>No fit:</b> errors=&#x27;ar1&#x27; is available")
    assert bytes(panel.figure.value) == shown  # the last figure stays
    panel.errors.value = "hac"
    assert "ratio" in panel.table.value


def test_the_slider_keeps_the_time_of_day_and_stays_after_earlier_interruptions(counts):
    panel = explore.explorer(counts, "count", ["2011-02-01", TAKEDOWN])
    stamps = [value for _, value in panel.date.options]
    assert stamps[0] == pd.Timestamp("2011-02-01T14:45:00+00:00")
    assert stamps[-1] == pd.Timestamp("2011-04-30T14:45:00+00:00")
    assert len(stamps) == (pd.Timestamp("2011-04-30") - pd.Timestamp("2011-02-01")).days + 1
    assert panel.date.label == "2011-03-16 14:45"
    assert "Explorer of 'count'" in repr(panel)
