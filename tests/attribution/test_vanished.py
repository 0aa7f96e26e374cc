"""attribution.vanished: the count model against statsmodels and scipy, the partial day,
FDR under the null and power on simulated overdispersed mail, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from attribution_support import CUT, events
from scipy import stats

from spamlab import attribution
from spamlab.attribution.vanished import scaled_binomial
from spamlab.errors import DataError, ParameterError

NUMBERS = ["pre_count", "post_count", "pre_level", "post_level", "ratio", "ratio_low",
           "ratio_high", "dispersion", "p_value", "q_value"]


def test_scaled_binomial_is_the_exact_binomial_for_whole_counts() -> None:
    for k, n, p0 in [(0, 40, 0.3), (3, 40, 0.3), (17, 40, 0.3), (40, 40, 0.6), (12, 25, 0.5)]:
        low, high, p_value = scaled_binomial(np.array([k]), np.array([n]), p0, 0.05)
        test = stats.binomtest(k, n, p0)
        ci = test.proportion_ci(0.95, method="exact")
        tails = (stats.binomtest(k, n, p0, alternative="less").pvalue,
                 stats.binomtest(k, n, p0, alternative="greater").pvalue)
        assert (low[0], high[0]) == pytest.approx((ci.low, ci.high), abs=1e-10)
        assert p_value[0] == pytest.approx(min(1.0, 2 * min(tails)), abs=1e-10)


def test_batched_equals_per_group_statsmodels_fits() -> None:
    stop = np.zeros(40, dtype=bool)
    stop[:5] = True
    mail = events(11, 40, stop, rate=4.0)
    batched = attribution.vanished_groups(mail, interruption=CUT, min_pre=100)
    naive = attribution.vanished_groups(mail, interruption=CUT, min_pre=100, batch=False)
    assert batched.skipped == naive.skipped > 0
    assert list(batched.groups["group"]) == list(naive.groups["group"])
    np.testing.assert_allclose(batched.groups[NUMBERS].to_numpy(float),
                               naive.groups[NUMBERS].to_numpy(float), rtol=1e-8, atol=1e-12)
    assert (batched.groups["status"] == naive.groups["status"]).all()


def test_counts_exposure_and_partial_day_by_hand() -> None:
    mail = events(12, 6, rate=30.0)
    res = attribution.vanished_groups(mail, interruption=CUT, min_pre=1)
    before = (14 * 60 + 45) / 1440
    assert res.exposure == pytest.approx((30 + before, (1 - before) + 29), abs=1e-12)
    cut = pd.Timestamp(CUT, tz="UTC")
    net = mail["sender_ip"].str.rsplit(".", n=1).str[0] + ".0/24"
    for _, row in res.groups.iterrows():
        mine = mail.loc[net == row["group"], "arrival"]
        assert row["pre_count"] == (mine < cut).sum()
        assert row["post_level"] == pytest.approx((mine >= cut).sum() / res.exposure[1])
    daily = mail.groupby(mail["arrival"].dt.floor("D")).size()
    assert res.daily["total"].to_numpy() == pytest.approx(daily.to_numpy(float))
    assert (res.daily["vanished"] + res.daily["everything_else"]).equals(res.daily["total"])


def test_skipped_groups_are_counted_and_excluded_messages_reported() -> None:
    mail = events(13, 8, rate=20.0)
    small = pd.DataFrame({"arrival": pd.to_datetime(["2011-02-20 10:00", "2011-03-20 10:00"],
                                                    utc=True),
                          "sender_ip": ["192.0.2.1", "198.51.100.7"]})
    mail = pd.concat([mail, small, pd.DataFrame({"arrival": [pd.NaT], "sender_ip": [None]})],
                     ignore_index=True)
    mail["status"] = "counted"
    mail.loc[0, "status"] = "duplicate"
    res = attribution.vanished_groups(mail, interruption=CUT, min_pre=5)
    assert (res.skipped, res.skipped_messages) == (2, 2)
    assert res.excluded == {"not_counted": 1, "undated": 1, "out_of_range_time": 0,
                            "outside_window": 0}
    assert len(res.groups) == 8 and res.daily["total"].sum() == len(mail) - 2
    assert "2 skipped" in res.summary()


def _with_year_one(status: str) -> pd.DataFrame:
    """Events as `spamlab ingest` writes them (microsecond times) plus one message dated
    0001-01-01, outside pandas' nanosecond range (issue 21, item 8)."""
    mail = events(14, 6, rate=20.0)
    mail["arrival"] = mail["arrival"].astype("datetime64[us, UTC]")
    mail["status"] = "counted"
    odd = pd.DataFrame({"arrival": pd.Series([pd.Timestamp("0001-01-01", tz="UTC")],
                                             dtype="datetime64[us, UTC]"),
                        "sender_ip": ["192.0.2.9"], "status": [status]})
    return pd.concat([mail, odd], ignore_index=True)


def test_a_rejected_message_dated_year_one_is_not_a_crash() -> None:
    mail = _with_year_one("rejected")  # was OutOfBoundsDatetime
    res = attribution.vanished_groups(mail, interruption=CUT)
    plain = attribution.vanished_groups(mail.iloc[:-1], interruption=CUT)
    assert res.excluded["not_counted"] == 1 and res.excluded["out_of_range_time"] == 0
    pd.testing.assert_frame_equal(res.groups, plain.groups)
    assert res.daily.index[0] == plain.daily.index[0]


def test_a_counted_message_dated_year_one_is_counted_out_and_warned() -> None:
    mail = _with_year_one("counted")
    with pytest.warns(UserWarning, match=r"1 counted message\(s\) dated outside 1677-2262, first "
                      r"at row \d+ \(arrival=0001-01-01"):
        res = attribution.vanished_groups(mail, interruption=CUT)
    assert res.excluded["out_of_range_time"] == 1
    assert res.daily["total"].sum() == len(mail) - 1


def test_helo_needs_its_column() -> None:
    mail = events(14, 3)
    with pytest.raises(DataError, match="'helo'"):
        attribution.vanished_groups(mail, interruption=CUT, by="helo")
    mail["helo"] = np.where(mail["sender_ip"].str.startswith("10.0.0."), "Mail.A.example",
                            "mx.b.example")
    res = attribution.vanished_groups(mail, interruption=CUT, by="helo")
    assert sorted(res.groups["group"]) == ["mail.a.example", "mx.b.example"]


@pytest.mark.parametrize(("arguments", "words"), [
    ({"by": "colour"}, "by='colour'"),
    ({"min_pre": 0}, "min_pre=0"),
    ({"fdr": 1.5}, "fdr=1.5"),
    ({"interruption": "2011-01-01"}, "interruption="),
    ({"post_days": 0}, "post_days=0"),
])
def test_bad_settings_are_named(arguments: dict[str, object], words: str) -> None:
    with pytest.raises(ParameterError, match=words):
        attribution.vanished_groups(events(15, 3), **{"interruption": CUT, **arguments})


def test_missing_time_column() -> None:
    with pytest.raises(DataError, match="time column 'arrival'"):
        attribution.vanished_groups(pd.DataFrame({"sender_ip": ["10.0.0.1"]}), interruption=CUT)


def test_daily_series_feed_account_end_to_end() -> None:
    """Ten of 60 groups stop; nothing else changes, so the residual's truth is 0."""
    stop = np.arange(60) < 10
    res = attribution.vanished_groups(events(16, 60, stop, rate=10.0), interruption=CUT)
    assert set(res.vanished_groups) == {f"10.0.{g}.0/24" for g in range(10)}
    acc = attribution.account_by_source(res.daily, total="total", sources=["vanished", "everything_else"],
                                        target="vanished", interruption=CUT, errors="hac",
                                        slope_change=False)
    assert acc.residual["ci_low"] <= 0 <= acc.residual["ci_high"]
    assert acc.sources.set_index("source").loc["vanished", "status"] == "vanished"


@pytest.mark.slow
def test_false_discoveries_stay_below_the_fdr_and_vanished_groups_are_found() -> None:
    """30 simulations of 150 overdispersed groups (gamma-Poisson days, dispersion about 2).

    Null: no group changes; the p-values must be valid (share below 0.05 at most 0.05 + 3
    MC SE over 4,500) and the FDR, here the chance of any call, at most 0.05 + 2 MC SE.
    Mixed: 15 groups stop; the false share of the calls stays below the FDR (2 MC SE),
    and 95% of the stopped groups are called vanished."""
    reps, groups, fdr = 30, 150, 0.05
    null_p, any_call, fdp, power = [], [], [], []
    stop = np.arange(groups) < 15
    truly = {f"10.0.{g}.0/24" for g in range(15)}
    for seed in range(reps):
        null = attribution.vanished_groups(events(100 + seed, groups, rate=10.0), interruption=CUT, fdr=fdr)
        null_p.append(null.groups["p_value"].to_numpy())
        any_call.append(bool((null.groups["status"] != "unchanged").any()))
        res = attribution.vanished_groups(events(500 + seed, groups, stop, rate=10.0), interruption=CUT, fdr=fdr)
        called = set(res.groups.loc[res.groups["status"] != "unchanged", "group"])
        fdp.append(len(called - truly) / max(len(called), 1))
        power.append(len(set(res.vanished_groups) & truly) / len(truly))
    pooled = np.concatenate(null_p)
    assert np.mean(pooled < 0.05) <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / len(pooled))
    se = np.sqrt(fdr * (1 - fdr) / reps)
    assert np.mean(any_call) <= fdr + 2 * se, np.mean(any_call)
    assert np.mean(fdp) <= fdr + 2 * se, np.mean(fdp)
    assert np.mean(power) >= 0.95, np.mean(power)
