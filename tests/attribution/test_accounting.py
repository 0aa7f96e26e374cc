"""attribution.account: the contract's sign and numbers against hand least squares,
statuses, non-additivity, and clear errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest
from attribution_support import CUT, panel
from scipy import stats

from spamlab import attribution
from spamlab.errors import DataError, ParameterError

FRACTION_AFTER = 1 - (14 * 60 + 45) / 1440  # the part of 16 March after 14:45
CUT_DAY = 60  # 2011-03-16 is row 60 of the panel
OLS: dict[str, object] = {"errors": "iid", "seasonality": None}  # the model hand_ols fits


def hand_ols(y: np.ndarray, slope: bool) -> tuple[np.ndarray, np.ndarray, int]:
    """OLS of y on const, trend, level (partial on the cut day) [, slope]: coef, cov, df."""
    n = len(y)
    level = np.zeros(n)
    level[CUT_DAY], level[CUT_DAY + 1:] = FRACTION_AFTER, 1.0
    columns = [np.ones(n), np.arange(1.0, n + 1), level]
    if slope:
        columns.append(np.clip(np.arange(n) - (CUT_DAY + 1 - FRACTION_AFTER), 0.0, None))
    x = np.column_stack(columns)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    df = n - x.shape[1]
    sigma2 = float(np.sum((y - x @ coef) ** 2)) / df
    return coef, sigma2 * np.linalg.inv(x.T @ x), df


def test_residual_is_the_hand_fit_of_the_difference_series() -> None:
    data = panel(1)
    acc = attribution.account_by_source(data, total="total", sources=["rustock", "bagle"],
                                        target="rustock", interruption=CUT, slope_change=False, **OLS)
    coef, cov, df = hand_ols((data["total"] - data["rustock"]).to_numpy(), slope=False)
    half = stats.t.ppf(0.975, df) * np.sqrt(cov[2, 2])
    res = acc.residual
    # fall = counterfactual - observed: the negative of the level coefficient
    assert res["estimate"] == pytest.approx(-coef[2], abs=1e-8)
    assert res["ci_low"] == pytest.approx(-coef[2] - half, abs=1e-8)
    assert res["ci_high"] == pytest.approx(-coef[2] + half, abs=1e-8)
    assert res["estimate"] > 0 and res["unit"] == "per day"
    assert res["window"] == "2011-03-17 to 2011-04-14 (29 days)"


def test_falls_add_up_under_least_squares() -> None:
    acc = attribution.account_by_source(panel(2), total="total", sources=["rustock", "bagle"],
                                        target="rustock", interruption=CUT, slope_change=False, **OLS)
    fall = acc.sources.set_index("source")["fall"]
    assert acc.residual["estimate"] == pytest.approx(fall["total"] - fall["rustock"], abs=1e-8)
    parts = acc.explained.set_index("part")["fall"]
    assert parts["bagle"] + parts["left"] == pytest.approx(acc.residual["estimate"], abs=1e-8)


def test_window_average_with_slope_change_matches_hand_contrast() -> None:
    data = panel(3)
    acc = attribution.account_by_source(data, total="total", sources=["rustock", "bagle"],
                                        target="rustock", interruption=CUT,
                                        window=("2011-03-20", "2011-03-26"), **OLS)
    coef, cov, _ = hand_ols((data["total"] - data["rustock"]).to_numpy(), slope=True)
    rows = np.arange(len(data))[(data.index >= "2011-03-20") & (data.index < "2011-03-27")]
    weights = np.array([0.0, 0.0, 1.0, np.mean(rows - (CUT_DAY + 1 - FRACTION_AFTER))])
    assert acc.residual["estimate"] == pytest.approx(-weights @ coef, abs=1e-8)
    assert acc.residual["std_err"] == pytest.approx(np.sqrt(weights @ cov @ weights), abs=1e-8)
    assert acc.window == (data.index[rows[0]], data.index[rows[-1]])


def test_ratio_is_fitted_over_counterfactual_window_mean() -> None:
    data = panel(4)
    acc = attribution.account_by_source(data, total="total", sources=["rustock", "bagle"],
                                        target="rustock", interruption=CUT, window=10,
                                        slope_change=False, **OLS)
    coef, _, _ = hand_ols(data["bagle"].to_numpy(), slope=False)
    trend = np.arange(1.0, len(data) + 1)[CUT_DAY + 1: CUT_DAY + 11]
    counterfactual = coef[0] + coef[1] * trend.mean()
    row = acc.sources.set_index("source").loc["bagle"]
    assert row["ratio"] == pytest.approx((counterfactual + coef[2]) / counterfactual, abs=1e-8)
    assert row["pre_level"] == pytest.approx(data["bagle"].iloc[:CUT_DAY].mean(), abs=1e-12)
    assert row["ratio_low"] < row["ratio"] < row["ratio_high"]


def test_statuses_from_the_intervals() -> None:
    data = panel(5)
    rng = np.random.default_rng(5)
    after = (data.index >= "2011-03-17").astype(float)
    data["steady"] = 5 + rng.normal(0, 0.3, len(data))
    data["grower"] = 3 + 2 * after + rng.normal(0, 0.3, len(data))
    acc = attribution.account_by_source(data, total="total",
                                        sources=["rustock", "bagle", "steady", "grower"],
                                        target="rustock", interruption=CUT, errors="ar1",
                                        slope_change=False)
    status = acc.sources.set_index("source")["status"].to_dict()
    assert status == {"rustock": "vanished", "bagle": "fell", "steady": "unchanged",
                      "grower": "grew", "total": "fell"}
    assert list(acc.sources.columns[:9]) == ["source", "pre_level", "fall", "fall_low",
                                             "fall_high", "ratio", "ratio_low", "ratio_high",
                                             "status"]
    assert "named sources together" in set(acc.explained["part"])


def test_non_additivity_is_the_mean_gap() -> None:
    data = panel(6)
    acc = attribution.account_by_source(data, total="total", sources=["rustock", "bagle"],
                                        target="rustock", interruption=CUT, slope_change=False, **OLS)
    gap = data["total"] - data["rustock"] - data["bagle"]
    table = acc.non_additivity
    assert table.loc["pre", "gap"] == pytest.approx(gap.iloc[:CUT_DAY].mean(), abs=1e-12)
    assert table.loc["post", "gap"] == pytest.approx(gap.iloc[CUT_DAY + 1:].mean(), abs=1e-12)
    assert table.loc["pre", "gap_share"] == pytest.approx(
        gap.iloc[:CUT_DAY].mean() / data["total"].iloc[:CUT_DAY].mean(), abs=1e-12)
    text = acc.summary()
    assert "Residual" in text and "rustock: vanished" in text
    assert acc.to_dict()["residual"]["unit"] == "per day"
    assert "<table" in acc._repr_html_()


def test_sources_that_add_up_leave_nothing() -> None:
    data = panel(7)
    data["rest"] = data["total"] - data["rustock"] - data["bagle"]
    acc = attribution.account_by_source(data, total="total", sources=["rustock", "bagle", "rest"],
                                        target="rustock", interruption=CUT, slope_change=False, **OLS)
    left = acc.explained.set_index("part").loc["left"]
    assert (left["fall"], left["fall_low"], left["fall_high"]) == (0.0, 0.0, 0.0)
    assert acc.non_additivity["gap"].abs().max() < 1e-9


@pytest.mark.parametrize(("change", "kind", "words"), [
    ({"sources": ["rustock", "nope"]}, DataError, "'nope'"),
    ({"target": "bagle", "sources": ["rustock"]}, ParameterError, "target='bagle'"),
    ({"total": ""}, ParameterError, "total="),
    ({"total": None}, ParameterError, "total="),
    ({"sources": "rustock"}, ParameterError, "sources="),
    ({"family": "poisson"}, ParameterError, "additive"),
    ({"transform": "log"}, ParameterError, "additive"),
    ({"window": 0}, ParameterError, "window=0"),
    ({"window": ("2011-03-10", "2011-03-20")}, ParameterError, "window="),
])
def test_bad_arguments_are_named(change: dict[str, object], kind: type, words: str) -> None:
    arguments: dict[str, object] = {"total": "total", "sources": ["rustock", "bagle"],
                                    "target": "rustock", "interruption": CUT}
    with pytest.raises(kind, match=words.replace("(", r"\(")):
        attribution.account_by_source(panel(0), **{**arguments, **change})


def test_bad_counts_name_the_column_and_row() -> None:
    data = panel(0)
    data.loc[data.index[3], "bagle"] = -1.0
    with pytest.raises(DataError, match=r"column 'bagle': 1 negative .* row 3 \(.*: -1\.0\); counts"):
        attribution.account_by_source(data, total="total", sources=["rustock", "bagle"], target="rustock",
                                      interruption=CUT)
    data = panel(0).astype({"bagle": object})
    data.loc[data.index[5], "bagle"] = "many"
    with pytest.raises(DataError, match=r"column 'bagle': 1 non-numeric .* row 5 .*'many'"):
        attribution.account_by_source(data, total="total", sources=["rustock", "bagle"], target="rustock",
                                      interruption=CUT)
