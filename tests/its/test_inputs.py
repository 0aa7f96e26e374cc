"""Bad input gives clear spamlab errors; accepted input shapes (tz, time column, years, periods)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spamlab import its
from spamlab.errors import DataError, ParameterError


def frame(n: int = 60, start: str = "2011-01-01", tz: str | None = None) -> pd.DataFrame:
    days = pd.date_range(start, periods=n, tz=tz)
    rng = np.random.default_rng(0)
    return pd.DataFrame({"volume": 50 + rng.normal(0, 1, n) - 5 * (np.arange(n) >= 40),
                         "count": rng.poisson(20, n), "mailboxes": np.full(n, 100)}, index=days)


@pytest.mark.parametrize("cut", ["2010-12-01", "2011-03-02", "2011-06-01"])
def test_interruption_outside_data(cut):
    with pytest.raises(ParameterError, match=r"interruption '.*' is outside the data"):
        its.fit(frame(), y="volume", interruptions=[cut])


def test_too_few_pre_points():
    with pytest.raises(ParameterError, match=r"only 5 observed point\(s\) before .*min_pre=8"):
        its.fit(frame(), y="volume", interruptions=["2011-01-06"])


def test_too_few_post_points():
    with pytest.raises(ParameterError, match=r"only 2 observed point\(s\) after .*min_post=3"):
        its.fit(frame(), y="volume", interruptions=["2011-02-28"])


def test_too_few_points_between_interruptions():
    with pytest.raises(ParameterError, match=r"after interruption '2011-02-01'"):
        its.fit(frame(), y="volume", interruptions=["2011-02-01", "2011-02-02"])


def test_missing_pre_points_do_not_count():
    data = frame()
    data.iloc[:36, 0] = np.nan
    with pytest.raises(ParameterError, match="only 4 observed"):
        its.fit(data, y="volume", interruptions=["2011-02-10"])


def test_non_regular_index():
    data = frame().drop(index=pd.Timestamp("2011-01-15"))
    with pytest.raises(DataError, match=r"not regular: step before row 14 .*2011-01-16"):
        its.fit(data, y="volume", interruptions=["2011-02-10"])


def test_unsorted_and_duplicate_index():
    data = frame()
    with pytest.raises(DataError, match="not sorted: row 1"):
        its.fit(data.iloc[[1, 0, *range(2, 60)]], y="volume", interruptions=["2011-02-10"])
    with pytest.raises(DataError, match="duplicate label"):
        its.fit(pd.concat([data.iloc[:1], data]), y="volume", interruptions=["2011-02-10"])


def test_all_nan_outcome():
    data = frame().assign(volume=np.nan)
    with pytest.raises(DataError, match=r"column 'volume': every value is missing \(all NaN\)"):
        its.fit(data, y="volume", interruptions=["2011-02-10"])


def test_non_numeric_outcome_names_row():
    data = frame().astype({"volume": object})
    data.iloc[7, 0] = "n/a"
    with pytest.raises(DataError, match=r"column 'volume': 1 non-numeric value\(s\), first at row 7"):
        its.fit(data, y="volume", interruptions=["2011-02-10"])


@pytest.mark.parametrize("bad", [0, -3, np.nan])
def test_exposure_must_be_positive(bad):
    data = frame()
    data["mailboxes"] = data["mailboxes"].astype(float)
    data.iloc[12, 2] = bad
    with pytest.raises(DataError, match=r"exposure column 'mailboxes': 1 value\(s\) missing or "
                                        r"<= 0, first at row 12"):
        its.fit(data, y="count", interruptions=["2011-02-10"], family="poisson",
                exposure="mailboxes")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"family": "binomial"}, r"family='binomial' is unknown; use one of \['gaussian'"),
    ({"errors": "garch"}, r"errors='garch' is unknown"),
    ({"seasonality": "monthly"}, r"seasonality 'monthly' is unknown"),
    ({"seasonality": "fourier:7"}, r"expected 'fourier:PERIOD:ORDER'"),
    ({"transform": "sqrt"}, r"transform='sqrt' is unknown"),
    ({"method": "bayes"}, r"method='bayes' is unknown"),
    ({"alpha": 1.5}, r"alpha=1.5 must be between 0 and 1"),
    ({"family": "poisson", "errors": "ar1"}, r"errors='ar1' is available for family='gaussian'"),
    ({"transform": "log", "family": "poisson"}, r"transform='log' applies to family='gaussian'"),
    ({"exposure": "mailboxes"}, r"exposure= needs a log scale"),
    ({"covariates": ["nope"]}, r"covariate column 'nope' not in data"),
])
def test_bad_options(kwargs, message):
    y = "count" if kwargs.get("family") == "poisson" else "volume"
    with pytest.raises(ParameterError if "covariate" not in message else DataError, match=message):
        its.fit(frame(), y=y, interruptions=["2011-02-10"], **kwargs)


def test_missing_columns_and_bad_time_column():
    with pytest.raises(DataError, match=r"outcome column 'spam' not in data"):
        its.fit(frame(), y="spam", interruptions=["2011-02-10"])
    with pytest.raises(DataError, match=r"time column 'when' not in data"):
        its.fit(frame().reset_index(), y="volume", interruptions=["2011-02-10"], time="when")
    labels = frame().assign(label=[f"day {i}" for i in range(60)]).set_index("label")
    with pytest.raises(DataError, match="neither datetimes nor numbers"):
        its.fit(labels, y="volume", interruptions=["2011-02-10"])


def test_log_transform_and_counts_reject_impossible_values():
    data = frame()
    data.iloc[3, 0] = -1.0
    with pytest.raises(DataError, match=r"transform='log' needs y > 0; 1 value"):
        its.fit(data, y="volume", interruptions=["2011-02-10"], transform="log")
    with pytest.raises(DataError, match=r"family='poisson' needs y >= 0"):
        its.fit(data, y="volume", interruptions=["2011-02-10"], family="poisson")


def test_dow_needs_dates_and_interruption_type_matches_axis():
    years = pd.DataFrame({"volume": np.arange(30.0)}, index=range(1900, 1930))
    with pytest.raises(ParameterError, match="seasonality='dow' needs a DatetimeIndex"):
        its.fit(years, y="volume", interruptions=[1915], seasonality="dow")
    with pytest.raises(ParameterError, match="is not a number, but the time axis is numeric"):
        its.fit(years, y="volume", interruptions=["March"])
    with pytest.raises(ParameterError, match="give at least one interruption"):
        its.fit(years, y="volume", interruptions=[])


def test_time_column_tz_aware_and_naive_agree():
    naive = its.fit(frame(), y="volume", interruptions=["2011-02-10"])
    aware = its.fit(frame(tz="UTC"), y="volume", interruptions=["2011-02-10"])
    column = its.fit(frame().rename_axis("day").reset_index(), y="volume",
                     interruptions=["2011-02-10"], time="day")
    utc_moment = its.fit(frame(), y="volume", interruptions=["2011-02-10T00:00:00+00:00"])
    values = [r.effects["estimate"].iloc[0] for r in (naive, aware, column, utc_moment)]
    np.testing.assert_allclose(values, values[0], rtol=1e-12)


def test_period_and_integer_axes():
    values = np.r_[np.full(20, 10.0), np.full(20, 7.0)] + np.sin(np.arange(40))
    months = pd.DataFrame({"v": values}, index=pd.period_range("2008-01", periods=40, freq="M"))
    by_period = its.fit(months, y="v", interruptions=["2009-09"])
    years = pd.DataFrame({"year": np.arange(1980.0, 2020.0), "v": values})
    by_year = its.fit(years, y="v", interruptions=[2000], time="year")
    assert by_period.effects["interruption"].iloc[0] == "2009-09"
    assert by_year.effects["interruption"].iloc[0] == "2000"
    np.testing.assert_allclose(by_period.effects["estimate"], by_year.effects["estimate"], rtol=1e-12)


def test_scalar_interruption_types_and_gap_note():
    data = frame()
    moments = ["2011-02-10", pd.Timestamp("2011-02-10"), np.datetime64("2011-02-10"),
               pd.Timestamp("2011-02-10").to_pydatetime()]
    values = [its.fit(data, y="volume", interruptions=m).effects["estimate"].iloc[0] for m in moments]
    np.testing.assert_allclose(values, values[0], rtol=1e-12)
    data.iloc[5, 0] = np.nan
    res = its.fit(data, y="volume", interruptions="2011-02-10", errors="hac")
    assert any("joining the rows on either side of each gap" in w for w in res.warnings)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"seasonality": ["dow", "weekly"]}, r"seasonality 'weekly' is unknown"),
    ({"slope_change": "yes"}, r"slope_change='yes' must be True or False"),
    ({"min_pre": -1}, r"min_pre=-1 must be a whole number >= 0"),
    ({"covariates": [3]}, r"covariates: 3 is not a column name"),
    ({"alpha": "5%"}, r"alpha='5%' must be between 0 and 1"),
    ({"method": "structural", "errors": "arma(1,1)"}, r"errors='arma\(1,1\)' is not available"),
])
def test_specification_is_validated_once_when_made(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        its.Specification(**kwargs)


def test_specification_normalises_lists_and_names_unknown_options():
    spec = its.Specification(seasonality=["dow"], covariates="control")
    assert spec.seasonality == ("dow",) and spec.covariates == ("control",)
    assert hash(spec) == hash(its.Specification(seasonality=("dow",), covariates=["control"]))
    with pytest.raises(ParameterError, match=r"unknown model option\(s\) \['errrors'\]"):
        its.fit(frame(), y="volume", interruptions=["2011-02-10"], errrors="hac")
    with pytest.raises(ParameterError, match="spec= must be an its.Specification, got dict"):
        its.fit(frame(), y="volume", interruptions=["2011-02-10"], spec={"errors": "hac"})


def test_an_interruption_at_a_dst_gap_of_the_index_zone_is_a_clear_error():
    days = pd.date_range("2011-03-01", periods=60, freq="D", tz="Europe/Berlin")
    frame = pd.DataFrame({"v": np.arange(60.0)}, index=days)
    with pytest.raises(ParameterError, match="nonexistent local time in Europe/Berlin"):
        its.fit(frame, y="v", interruptions=["2011-03-27 02:30"])
    res = its.fit(frame, y="v", interruptions=["2011-03-27 03:30"])  # after the gap: fine
    assert res.effects["interruption"].iloc[0].startswith("2011-03-27")
