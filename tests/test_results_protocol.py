"""One protocol for every result: ``summary()`` (text), ``to_dict()`` (plain JSON through one
conversion) and ``_repr_html_()``; the old ``results_dict`` still works, with a warning."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest

from spamlab import attribution, its, report
from spamlab.residual.accounting import account
from spamlab.results_protocol import Result, jsonable


def _plain(value: object) -> bool:
    """Whether ``value`` is made of JSON's own types only (no numpy, no NaN)."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or type(value) in (str, int, bool)


def test_jsonable_gives_plain_types():
    raw = {"f": np.float32(0.5), "i": np.int64(3), "b": np.bool_(True), "nan": np.nan,
           "inf": -np.inf, "t": pd.Timestamp("2011-03-16 14:45", tz="UTC"), "nat": pd.NaT,
           "d": dt.date(2011, 3, 16), "span": pd.Timedelta(hours=36), 7: (1, np.float64(2.5)),
           "frame": pd.DataFrame({"x": [1.0, np.nan]}), "series": pd.Series({"a": np.int8(1)})}
    out = jsonable(raw)
    assert _plain(out)
    assert out == {"f": 0.5, "i": 3, "b": True, "nan": None, "inf": None,
                   "t": "2011-03-16T14:45:00+00:00", "nat": None, "d": "2011-03-16",
                   "span": "1 days 12:00:00", "7": [1, 2.5], "frame": [{"x": 1.0}, {"x": None}],
                   "series": {"a": 1}}
    assert report.jsonable(raw) == out  # one conversion: report's name delegates


def test_a_result_without_its_parts_says_which_is_missing():
    with pytest.raises(NotImplementedError, match="summary"):
        Result().summary()
    with pytest.raises(NotImplementedError, match="_payload"):
        Result().to_dict()


@pytest.fixture(scope="module")
def panel():
    days = pd.date_range("2011-01-15", periods=80, freq="D", tz="UTC")
    rng = np.random.default_rng(2)
    post = (days >= "2011-03-16").astype(float)
    data = pd.DataFrame({"rustock": 14 * (1 - post) + rng.normal(0, 0.3, 80).clip(0),
                         "other": 30 - 2 * post + rng.normal(0, 0.5, 80)}, index=days)
    data["total"] = data["rustock"] + data["other"]
    return data


def _results(panel):
    fit = its.fit(panel, y="total", interruptions=["2011-03-16"], slope_change=False)
    placebo = its.placebo(panel, y="total", interruptions=["2011-03-16"], slope_change=False)
    sensitivity = its.sensitivity(panel, y="total", interruptions=["2011-03-16"],
                                  slope_change=False, shifts=(0, 1), specifications={})
    by_source = attribution.account_by_source(panel, total="total", sources=["rustock", "other"],
                                              target="rustock", interruption="2011-03-16",
                                              slope_change=False)
    return {"fit": fit, "placebo": placebo, "sensitivity": sensitivity, "by_source": by_source,
            "figures": account(n_draws=300)}


def test_every_result_has_summary_to_dict_and_html(panel):
    for name, result in _results(panel).items():
        assert isinstance(result, Result), name
        text = result.summary()
        assert isinstance(text, str) and len(text.splitlines()) >= 2, name
        payload = result.to_dict()
        assert _plain(payload) and json.loads(json.dumps(payload)) == payload, name
        page = result._repr_html_()
        assert page.startswith("<p>") and "<table" in page, name


def test_summaries_say_what_the_tables_hold(panel):
    results = _results(panel)
    placebo = results["placebo"]
    real = placebo.table[placebo.table["is_real"]].iloc[0]
    assert f"ranks {placebo.real_rank} of {placebo.n_placebo + 1}" in placebo.summary()
    assert f"level change {real['estimate']:.4g}" in placebo.summary()
    table = results["sensitivity"].table
    dates = table[table["varied"] == "interruption"]["estimate"]
    assert f"{dates.min():.4g}" in results["sensitivity"].summary()
    figures = results["figures"]
    assert f"{figures.remaining['median']:.3g}" in figures.summary()
    assert "not a confidence interval" in figures.summary()


def test_results_dict_is_a_deprecated_name_of_to_dict():
    acc = account(n_draws=300)
    with pytest.warns(DeprecationWarning, match=r"results_dict\(\) is deprecated.*to_dict\(\)"):
        old = acc.results_dict()
    assert old == acc.to_dict()

