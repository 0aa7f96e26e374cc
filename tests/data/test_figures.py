"""spamlab.figures: loading and validating the table, units, qualifiers, derived numbers, contradictions."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spamlab import figures, paths
from spamlab.errors import DataError, ParameterError


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return figures.load()


@pytest.fixture(scope="module")
def raw_text() -> pd.DataFrame:
    """The table as text, to be spoilt and written back by the validation tests."""
    return pd.read_csv(paths.figures_csv(), dtype=str, keep_default_na=False)


def _write(frame: pd.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "figures.csv"
    frame.to_csv(path, index=False)
    return path


def test_load_reads_every_row_with_types(table):
    text = paths.figures_csv().read_text(encoding="utf-8").splitlines()
    assert len(table) == len(text) - 1 == 391
    assert table["id"].is_unique
    assert pd.api.types.is_datetime64_any_dtype(table["period_start"])
    assert figures.value(table, 5) == 52.0
    # a range: value empty, the midpoint is used (row 180: -3 .. -2 percent)
    assert np.isnan(table.loc[180, "value"]) and figures.value(table, 180) == -2.5


def test_get_unknown_id_names_it(table):
    with pytest.raises(KeyError, match="99999"):
        figures.get(table, [1, 99999])


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda f: f.assign(id=f["id"].where(f.index != 3, f.loc[2, "id"])), "id 3 appears more than once"),
        (lambda f: f.assign(period_start=f["period_start"].where(f.index != 4, "2011-02-30")),
         "id 5: period_start='2011-02-30' is not a YYYY-MM-DD date"),
        (lambda f: f.assign(value_low=f["value_low"].where(f.index != 0, "20")),
         "id 1: value_low is greater than value_high"),
        (lambda f: f.assign(value=f["value"].where(f.index != 0, "12")),
         "id 1: value lies outside"),
        (lambda f: f.assign(value=f["value"].where(f.index != 0, "lots")), "id 1: value='lots' is not a number"),
        (lambda f: f.assign(id=f["id"].where(f.index != 6, "7b")), "line 8: id '7b' is not an integer"),
        (lambda f: f.drop(columns=["unit"]), r"missing column\(s\) \['unit'\]"),
        (lambda f: f.assign(unit=f["unit"].where(f.index != 1, "furlongs")), "id 2: unit='furlongs': unknown unit"),
        (lambda f: f.assign(qualifier=f["qualifier"].where(f.index != 1, "roughly")),
         "id 2: qualifier='roughly': unknown qualifier"),
        (lambda f: f.assign(url=f["url"].where(f.index != 9, "")), "id 10: url is empty"),
        (lambda f: f.assign(period_end=f["period_end"].where(f.index != 0, "2010-01-01")),
         "id 1: period_start is after period_end"),
    ],
)
def test_load_rejects_bad_tables(raw_text, tmp_path, spoil, message):
    path = _write(spoil(raw_text.copy()), tmp_path)
    with pytest.raises(DataError, match=message) as info:
        figures.load(path)
    assert str(path) in str(info.value)


def test_load_rejects_non_utf8_and_missing_file(raw_text, tmp_path):
    path = tmp_path / "latin.csv"
    text = raw_text.to_csv(index=False).replace("Symantec", "Symant\u00e9c", 1)
    path.write_bytes(text.encode("latin-1", errors="replace"))
    with pytest.raises(DataError, match="not UTF-8"):
        figures.load(path)
    with pytest.raises(DataError, match="not found"):
        figures.load(tmp_path / "absent.csv")


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (13.82, "billion_per_day", 13.82),
        (1500, "million_per_day", 1.5),
        (2000, "per_second", 2000 * 86400 / 1e9),
        (6_673_434, "per_minute", 6_673_434 * 1440 / 1e9),
        (10_000, "per_hour", 10_000 * 24 / 1e9),
        (7e9, "per_week", 1.0),
        (30.4375e9, "per_month", 1.0),
        (200, "billion_per_month", 200 / 30.4375),
        (7910, "count_per_day", 7.91e-6),
    ],
)
def test_to_per_day_by_hand(value, unit, expected):
    assert figures.to_per_day(value, unit) == pytest.approx(expected, rel=1e-12)


def test_to_per_day_month_length_arrays_and_errors():
    assert figures.to_per_day(14, "billion_per_month", days=28) == pytest.approx(0.5)
    out = figures.to_per_day(np.array([1e9, 2e9]), "per_day")
    np.testing.assert_allclose(out, [1.0, 2.0])
    with pytest.raises(ParameterError, match="'percent' is not a rate"):
        figures.to_per_day(5, "percent")


def test_per_minute_figure_agrees_with_per_day_figure_of_same_report(table):
    # Row 349 (Cutwail, 6,673,434 per minute) and row 348 (9.61 bn/day) come from one report:
    # the conversion must reproduce the report's own daily number to its rounding.
    per_minute = figures.get(table, 349).iloc[0]
    converted = figures.to_per_day(per_minute["value"], per_minute["unit"])
    assert converted == pytest.approx(figures.value(table, 348), abs=0.005)


def test_qualifiers_and_bounds(table):
    assert figures.qualifiers(table.loc[1]) == {"as many as"}
    assert figures.qualifiers(table.loc[13]) == frozenset()
    assert figures.bound(table.loc[1]) == "upper"           # 13.82 "as many as"
    assert figures.bound(table.loc[5]) == "none"            # 52 "average"
    assert figures.bound(table.loc[31]) == "lower"          # ">60%"
    assert figures.bound(table.loc[97]) == "both"           # "more than;less than"
    with pytest.raises(ParameterError, match="unknown qualifier"):
        figures.qualifiers("roughly")


def test_implied_numbers_by_hand(table):
    base = figures.implied_total(table.loc[1], table.loc[2])
    assert base.estimate == pytest.approx(13.82 / 0.285)
    assert base.figure_ids == (1, 2)
    bagle = figures.implied_total(table.loc[8], table.loc[18])
    assert bagle.estimate == pytest.approx(8.31 / 0.172)
    # docs/domain.md, hypothesis H1: both give a base near 48.5, not the 52 of row 5
    assert abs(base.estimate - bagle.estimate) < 0.5 and base.estimate < figures.value(table, 5) - 3
    share = figures.implied_volume(table.loc[2], table.loc[5])
    assert share.estimate == pytest.approx(0.285 * 52)
    ranged = figures.implied_volume(table.loc[198], table.loc[196])  # Grum 15-17% x 18 bn/day
    assert (ranged.low, ranged.high) == pytest.approx((0.15 * 18, 0.17 * 18))
    with pytest.raises(ParameterError, match="a share must be in percent"):
        figures.implied_volume(table.loc[5], table.loc[5])


def _group(table_out: pd.DataFrame, name: str) -> pd.DataFrame:
    return table_out.loc[table_out["group"] == name].set_index("figure_id")


def test_contradictions_hold_the_domain_groups(table):
    out = figures.contradictions(table)
    scale = _group(out, "vendor_scale")
    assert {"Symantec", "Commtouch", "Cisco", "M86"} <= set(scale["vendor"])
    assert scale.loc[[5, 326, 83, 275], "value"].tolist() == [52.0, 150.0, 379.0, 230.0]
    output = _group(out, "rustock_output")
    assert {13.82, 30.0, 44.1, 50.0} <= set(output["value"])
    assert output.loc[13, "period_start"].year == 2010  # 13.82 put in 2010 by one article
    share = _group(out, "rustock_share")
    assert {28.5, 47.5, 17.0, 50.0, 70.0} <= set(share["value"])
    drop = _group(out, "size_of_drop")
    assert {-33.6, -34.0, -39.0, -40.4, -60.0, -15.0, -2.0} <= set(drop["value"])
    assert drop.loc[31, "bound"] == "lower"  # "> 60%"
    assert set(out.columns) >= {"group", "figure_id", "publisher", "value", "unit", "qualifier"}


def test_contradictions_come_from_queries_not_ids(table):
    extra = table.iloc[[0, 0]].copy()
    extra["id"] = [9001, 9002]
    extra["value"] = extra["value_low"] = extra["value_high"] = extra["value_mid"] = [99.0, 77.0]
    extra["period_start"] = pd.to_datetime(["2011-02-01", "2008-02-01"])
    extra["period_end"] = pd.to_datetime(["2011-02-28", "2008-02-29"])
    out = figures.contradictions(pd.concat([table, extra.set_index("id", drop=False)]))
    output = _group(out, "rustock_output")
    assert 9001 in output.index and output.loc[9001, "value"] == 99.0
    assert 9002 not in output.index  # 2008 lies outside the pre-takedown window
    assert 13 in output.index and 109 not in output.index  # row 109 is four botnets together


def test_module_examples_run():
    result = doctest.testmod(figures, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(
    ("publisher", "expected"),
    [
        ("Symantec MessageLabs (via Softpedia)", "Symantec"),
        ("MessageLabs (via Computerwoche/PC World)", "Symantec"),
        ("Redmond Magazine (citing Microsoft)", "Microsoft"),
        ("The Times (via k4media)", "Times"),
        ("Marshal8e6 (via okamalo blog)", "M86"),
        ("M86 Security (via Network World / MailRadar)", "M86"),
        ('"IronPort (via CircleID', "Cisco"),
        ("Cloudmark blog", "Cloudmark"),
    ],
)
def test_vendor_names_the_measuring_organisation(publisher: str, expected: str) -> None:
    assert figures.vendor(publisher) == expected


def test_every_published_row_has_a_vendor() -> None:
    table = figures.load()
    vendors = table["publisher"].map(figures.vendor)
    assert vendors.str.len().gt(0).all()
    assert not vendors.str.contains(r"[()]").any()
