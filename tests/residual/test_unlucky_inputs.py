"""residual.account and scenario.calibrate with a user's figures table holding impossible or
contradictory numbers: each is named (figure id and reason) instead of a ZeroDivisionError,
a scipy error or a silently absurd residual."""

from __future__ import annotations

import pandas as pd
import pytest

from spamlab import figures, residual, scenario
from spamlab.errors import DataError, ParameterError


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return figures.load()


def with_value(table: pd.DataFrame, figure_id: int, value: float) -> pd.DataFrame:
    edited = table.copy()
    edited.loc[figure_id, ["value", "value_low", "value_high", "value_mid"]] = value
    return edited


@pytest.mark.parametrize(("figure_id", "value", "words"), [
    (326, 0.0, "must be > 0"),  # before: ZeroDivisionError
    (3, -100.0, "above -100"),  # before: ZeroDivisionError
    (3, -150.0, "above -100"),  # before: NaN draws (log of a negative)
    (2, 0.0, r"share must lie in \(0, 100\]"),  # before: silent, inf in the draws
    (2, 150.0, r"share must lie in \(0, 100\]"),
    (1, -5.0, "must be > 0"),  # before: a naive residual of 24 without a word
    (125, 25.0, "hour of the day"),
    (236, -100.0, "above -100"),
])
def test_impossible_figures_are_named(table: pd.DataFrame, figure_id: int, value: float,
                                      words: str) -> None:
    with pytest.raises(DataError, match=rf"id {figure_id} \(.*\): value {value:g} .*{words}"):
        residual.account_from_figures(with_value(table, figure_id, value), n_draws=100)


def test_no_fall_to_split_between_the_16th_and_17th_is_named(table: pd.DataFrame) -> None:
    both_zero = with_value(with_value(table, 28, 0.0), 29, 0.0)  # before: ZeroDivisionError
    with pytest.raises(DataError, match="ids 28 and 29: the changes 0% and 0%"):
        residual.account_from_figures(both_zero, n_draws=100)


def test_figures_that_show_no_fall_warn(table: pd.DataFrame) -> None:
    with pytest.warns(UserWarning, match=r"ids 4 and 5: spam after the takedown \(60 bn/day\) is "
                                         r"not below spam before it \(52\)"):
        acc = residual.account_from_figures(with_value(table, 4, 60.0), n_draws=100)
    assert acc.naive == pytest.approx(52.0 - 60.0 - 13.82)


def test_a_calibration_target_of_zero_is_named(table: pd.DataFrame) -> None:
    # before: scipy's "Residuals are not finite in the initial point"
    with pytest.raises(DataError, match=r"id 3 \(percent_change, global\): value 0 percent"):
        scenario.calibrate("baseline", 0, table=with_value(table, 3, 0.0))


@pytest.mark.parametrize("kwargs, says", [
    ({"n_draws": float("nan")}, "n_draws"), ({"n_draws": 100.5}, "n_draws"),
    ({"n_draws": "100"}, "n_draws"), ({"n_draws": None}, "n_draws"),
    ({"n_draws": 10**12}, "n_draws"), ({"interval": "0.9"}, "interval"),
    ({"interval": None}, "interval"), ({"seed": -1}, "seed"), ({"seed": 1.5}, "seed"),
    ({"seed": float("nan")}, "seed"),
])
def test_draw_settings_that_cannot_be_drawn_with_are_named(kwargs, says):
    """Found by the held-list re-attack: these raised TypeError, ValueError or MemoryError."""
    with pytest.raises(ParameterError, match=says):
        residual.account_from_figures(**kwargs)
