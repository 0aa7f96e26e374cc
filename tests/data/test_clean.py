"""spamlab.clean: regular bins, explicit gaps, partial bins, outlier flags, units."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spamlab import clean
from spamlab.errors import DataError, ParameterError


def _frame(stamps, values, tz="UTC") -> pd.DataFrame:
    index = pd.DatetimeIndex(stamps, name="time")
    index = index.tz_localize(tz) if index.tz is None else index
    return pd.DataFrame({"volume": np.asarray(values, dtype=float)}, index=index)


def test_regularize_by_hand_with_a_gap():
    raw = _frame(["2011-03-14 10:00", "2011-03-14 23:59", "2011-03-17 00:00", "2011-03-17 05:00"],
                 [1, 2, 0, np.nan])
    daily = clean.regularize(raw)
    assert list(daily.index) == list(pd.date_range("2011-03-14", "2011-03-17", freq="D", tz="UTC"))
    assert daily["volume"].tolist()[:1] == [3.0]
    assert np.isnan(daily["volume"].iloc[1]) and np.isnan(daily["volume"].iloc[2])  # never 0
    assert daily["volume"].iloc[3] == 0.0  # an observed zero stays zero
    assert daily["is_gap"].tolist() == [False, True, True, False]
    assert daily["n_obs"].tolist() == [2, 0, 0, 2]
    assert daily["n_missing"].tolist() == [0, 0, 0, 1]


def test_regularize_on_local_days():
    # 03:00 UTC on the 16th is 23:00 on the 15th in New York (EDT, UTC-4, from 13 March 2011)
    raw = _frame(["2011-03-16 03:00", "2011-03-16 05:00"], [1, 2])
    local = clean.regularize(raw, tz="America/New_York")
    assert [str(t.date()) for t in local.index] == ["2011-03-15", "2011-03-16"]
    assert local["volume"].tolist() == [1.0, 2.0]
    assert str(local.index.tz) == "America/New_York"


def test_regularize_local_days_across_dst_have_their_true_length():
    # one message per hour over three local days around the spring change (27 March 2011: 23 hours)
    hours = pd.date_range("2011-03-26 00:00", "2011-03-28 23:00", freq="h", tz="Europe/Berlin")
    daily = clean.regularize(_frame(hours.tz_convert("UTC"), np.ones(len(hours))), tz="Europe/Berlin")
    assert daily["volume"].tolist() == [24.0, 23.0, 24.0]


def test_regularize_other_frequencies_and_how():
    raw = _frame(pd.date_range("2011-01-31 12:00", periods=4, freq="D", tz="UTC"), [1, 2, 3, 4])
    monthly = clean.regularize(raw, freq="MS")
    assert list(monthly.index) == [pd.Timestamp("2011-01-01", tz="UTC"), pd.Timestamp("2011-02-01", tz="UTC")]
    assert monthly["volume"].tolist() == [1.0, 9.0]
    assert clean.regularize(raw, freq="MS", how="mean")["volume"].tolist() == [1.0, 3.0]
    weekly = clean.regularize(raw, freq="W-MON")  # 2011-01-31 is a Monday
    assert weekly.index[0] == pd.Timestamp("2011-01-31", tz="UTC") and weekly["n_obs"].tolist() == [4]
    hourly = clean.regularize(_frame(["2011-03-16 14:45", "2011-03-16 16:10"], [5, 6]), freq="h")
    assert hourly["volume"].tolist()[0] == 5.0 and hourly["is_gap"].tolist() == [False, True, False]


def test_regularize_rejects_bad_input():
    naive = pd.DataFrame({"volume": [1.0]}, index=pd.DatetimeIndex(["2011-03-16"]))
    with pytest.raises(DataError, match="has no time zone"):
        clean.regularize(naive)
    with pytest.raises(DataError, match="needs a DatetimeIndex"):
        clean.regularize(pd.DataFrame({"volume": [1.0]}))
    good = _frame(["2011-03-16"], [1])
    with pytest.raises(ParameterError, match="how='total'"):
        clean.regularize(good, how="total")
    with pytest.raises(ParameterError, match="freq='fortnightly'"):
        clean.regularize(good, freq="fortnightly")
    with pytest.raises(ParameterError, match="tz='Nowhere/Land'"):
        clean.regularize(good, tz="Nowhere/Land")
    with pytest.raises(DataError, match=r"column\(s\) \['count'\] not found"):
        clean.regularize(good, columns="count")
    with pytest.raises(DataError, match="no numeric value column"):
        clean.regularize(good.assign(volume="x"))


stamps = st.lists(st.integers(min_value=0, max_value=10 * 24 * 60), min_size=1, max_size=60)
counts = st.one_of(st.integers(min_value=0, max_value=10**6).map(float), st.just(np.nan))


@st.composite
def raw_series(draw):
    minutes = draw(stamps)
    values = draw(st.lists(counts, min_size=len(minutes), max_size=len(minutes)))
    base = draw(st.sampled_from(["2011-03-10", "2011-10-26"]))  # spans the spring and autumn DST changes
    index = pd.Timestamp(base, tz="UTC") + pd.to_timedelta(minutes, unit="min")
    return _frame(index, values)


zones = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])
freqs = st.sampled_from(["D", "h", "W-MON", "6h"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=raw_series(), tz=zones, freq=freqs)
def test_properties_of_regularize(raw, tz, freq):
    out = clean.regularize(raw, freq=freq, tz=tz)
    # no row silently lost, and totals preserved
    assert out["n_obs"].sum() == len(raw)
    assert out["n_missing"].sum() == raw["volume"].isna().sum()
    assert np.nansum(out["volume"]) == pytest.approx(np.nansum(raw["volume"]))
    # regular: consecutive bins, labelled by their start, every raw row inside its bin
    assert out.index.is_monotonic_increasing and out.index.is_unique
    if freq == "D":  # independent count: rows per local calendar date
        by_date = pd.Series(1, index=raw.index.tz_convert(tz).date).groupby(level=0).sum()
        observed = out.loc[out["n_obs"] > 0, "n_obs"]
        assert dict(zip(observed.index.date, observed)) == by_date.to_dict()
    # gaps are NaN and flagged, never zero
    empty = out["n_obs"] == 0
    assert out.loc[empty, "volume"].isna().all() and out.loc[empty, "is_gap"].all()
    assert (out["is_gap"] == out["volume"].isna()).all()
    # idempotent
    again = clean.regularize(out, freq=freq, tz=tz)
    pd.testing.assert_frame_equal(again, out)


def test_mark_partial_from_the_data_timestamps():
    hours = pd.date_range("2011-03-14 14:00", "2011-03-16 15:00", freq="h", tz="UTC")
    daily = clean.mark_partial(clean.regularize(_frame(hours, np.ones(len(hours)))))
    # observed from 14:00 on the 14th to 16:00 on the 16th (last hour + one hour of spacing)
    assert daily["coverage"].tolist() == pytest.approx([10 / 24, 1.0, 16 / 24])
    assert daily["is_partial"].tolist() == [True, False, True]
    counts = clean.regularize(_frame(pd.date_range("2011-03-14", periods=3, freq="D", tz="UTC"), [1, 2, 3]))
    assert clean.mark_partial(counts)["coverage"].tolist() == [1.0, 1.0, 1.0]


def test_mark_partial_with_an_explicit_period_and_errors():
    counts = clean.regularize(_frame(pd.date_range("2011-03-14", periods=3, freq="D", tz="UTC"), [1, 2, 3]))
    marked = clean.mark_partial(counts, start="2011-03-14 06:00", end="2011-03-16 18:00")
    assert marked["coverage"].tolist() == pytest.approx([0.75, 1.0, 0.75])
    bare = counts.copy()
    bare.attrs = {}
    with pytest.raises(ParameterError, match="pass start="):
        clean.mark_partial(bare)


def _weekly_series(days: int = 168, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2011-01-03", periods=days, freq="D", tz="UTC")  # starts on a Monday
    level = np.where(index.day_of_week >= 5, 50.0, 100.0)  # weekends at half the weekday level
    return _frame(index, level + rng.normal(0, 2, days))


def test_flag_outliers_finds_injected_spikes_and_respects_the_week():
    frame = _weekly_series()
    spikes = [10, 40, 61, 131]
    frame.iloc[spikes, 0] += [60.0, -45.0, 80.0, 40.0]  # 20 to 40 noise standard deviations
    frame.iloc[20, 0] = np.nan
    plain = clean.flag_outliers(frame)
    weekend = frame.index.day_of_week >= 5
    assert plain["is_outlier"][weekend].mean() > 0.5  # a weekly cycle fools the plain rule
    seasonal = clean.flag_outliers(frame, period=7)
    flagged = set(np.flatnonzero(seasonal["is_outlier"]))
    assert set(spikes) <= flagged
    assert len(flagged - set(spikes)) <= 2  # false alarms: about 0.2% of 168 days expected
    assert len(seasonal) == len(frame) and not seasonal["is_outlier"].iloc[20]
    pd.testing.assert_series_equal(seasonal["volume"], frame["volume"])  # nothing changed or deleted
    weekly = clean.regularize(seasonal, freq="W-MON")  # flags and scores are not summed as values
    assert list(weekly.columns) == ["volume", "n_obs", "n_missing", "is_gap"]


def test_flag_outliers_false_alarm_rate_on_pure_noise():
    rng = np.random.default_rng(7)
    noise = pd.DataFrame({"volume": rng.normal(1000, 30, 5000)})
    rate = clean.flag_outliers(noise)["is_outlier"].mean()
    assert rate < 0.01  # a five-sigma rule; the MAD of 15 points is noisy, so not 1e-6 either


def test_flag_outliers_errors():
    frame = _weekly_series(days=14)
    with pytest.raises(DataError, match="column 'count' not found"):
        clean.flag_outliers(frame, y="count")
    with pytest.raises(ParameterError, match="window=4 must be an odd integer"):
        clean.flag_outliers(frame, window=4)
    with pytest.raises(ParameterError, match="k=0"):
        clean.flag_outliers(frame, k=0)
    with pytest.raises(ParameterError, match="period=1"):
        clean.flag_outliers(frame, period=1)


def test_harmonize_units_by_hand():
    days = _frame(pd.date_range("2011-03-14", periods=2, freq="D", tz="UTC"), [2.4e10, 3.3e10])
    out = clean.harmonize_units(days, "volume", "per_day")
    assert out["volume_billion_per_day"].tolist() == pytest.approx([24.0, 33.0])
    per_bin = clean.harmonize_units(clean.regularize(days), "volume", "count_per_bin", to="million_per_day")
    assert per_bin["volume_million_per_day"].tolist() == pytest.approx([24_000.0, 33_000.0])
    # monthly counts: each month divided by its own length (28 and 31 days)
    months = clean.regularize(_frame(["2011-02-10", "2011-03-10"], [28e9, 62e9]), freq="MS")
    assert clean.harmonize_units(months, "volume", "count_per_bin")["volume_billion_per_day"].tolist() == \
        pytest.approx([1.0, 2.0])
    hourly = clean.harmonize_units(days, "volume", "per_hour", name="bn")
    assert hourly["bn"].iloc[0] == pytest.approx(2.4e10 * 24 / 1e9)


def test_harmonize_units_errors():
    days = _frame(pd.date_range("2011-03-14", periods=2, freq="D", tz="UTC"), [1, 2])
    with pytest.raises(ParameterError, match="to='per_week'"):
        clean.harmonize_units(days, "volume", "per_day", to="per_week")
    with pytest.raises(ParameterError, match="'percent' is not a rate"):
        clean.harmonize_units(days, "volume", "percent")
    irregular = _frame(["2011-03-14", "2011-03-20"], [1, 2])
    with pytest.raises(DataError, match="cannot tell the bin length"):
        clean.harmonize_units(irregular, "volume", "count_per_bin")


def test_module_examples_run():
    result = doctest.testmod(clean, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("freq", ["0D", "-1D", "0MS"])
def test_regularize_refuses_bins_without_length(freq):
    raw = _frame(["2011-03-14", "2011-03-16"], [1, 2])
    with pytest.raises(ParameterError, match=f"freq='{freq}': bins must have a positive length"):
        clean.regularize(raw, freq=freq)


def test_regularize_refuses_an_absurd_number_of_bins_before_allocating():
    raw = _frame(["2011-01-01", "2011-03-01"], [1, 2])  # 59 days = 5.0976e15 ns
    with pytest.raises(ParameterError, match=r"freq='1ns' would cut .* into 5,097,600,000,000,001 bins"):
        clean.regularize(raw, freq="1ns")
    assert len(clean.regularize(raw, freq="min")) == 59 * 24 * 60 + 1  # a long but sane grid works
