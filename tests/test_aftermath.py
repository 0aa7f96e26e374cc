"""spamlab.aftermath against arithmetic done here, from the CSV read with the csv module."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from doc_pages import documentation_text
from spamlab import aftermath, figures, paths
from spamlab.errors import ParameterError

N = 4000


def _rows() -> dict[int, dict[str, str]]:
    with open(paths.figures_csv(), encoding="utf-8") as handle:
        return {int(row["id"]): row for row in csv.DictReader(handle)}


ROWS = _rows()


def v(figure_id: int) -> float:
    return float(ROWS[figure_id]["value"])


@pytest.fixture(scope="module")
def table():
    return figures.load()


def _by_row(frame):
    """The frame indexed by the id of each window's own figure."""
    return frame.set_index(frame["figure_ids"].map(lambda ids: ids[-1]))


def _share(volume: float) -> float:
    return (v(5) - volume) / (v(5) - v(4))


def test_the_share_still_missing_is_the_fall_that_had_not_come_back(table):
    frame = _by_row(aftermath.persistence(table, n_draws=N))
    for figure_id in (362, 249, 250, 251, 142):
        row = frame.loc[figure_id]
        assert row["start"] == ROWS[figure_id]["period_start"]
        assert row["share_missing"] == pytest.approx(_share(v(figure_id)), abs=1e-12)
        assert row["low"] < row["share_missing"] < row["high"], figure_id
        assert row["figure_ids"] == (5, 4, figure_id)
    assert frame.loc[250, "share_missing"] == pytest.approx((52 - 41.7) / 19)


def test_with_every_assumption_off_the_range_is_the_point(table):
    frame = aftermath.persistence(table, aftermath.AS_PRINTED, n_draws=200)
    assert (frame["low"] - frame["share_missing"]).abs().max() < 1e-12
    assert (frame["high"] - frame["share_missing"]).abs().max() < 1e-12


def _weekday_mean(start: str, end: str) -> float:
    """Mean of Microsoft's day-of-week index (rows 212-218) over the days, index mean 1."""
    by_name = {ROWS[i]["entity"]: float(ROWS[i]["value"]) for i in range(212, 219)}
    mean = sum(by_name.values()) / 7
    day, last, values = dt.date.fromisoformat(start), dt.date.fromisoformat(end), []
    while day <= last:
        values.append(by_name[day.strftime("%A")] / mean)
        day += dt.timedelta(days=1)
    return sum(values) / len(values)


def test_the_weekday_mix_divides_each_window_by_its_mean_day_weight(table):
    only = aftermath.Assumptions(**{**aftermath.AS_PRINTED.__dict__, "weekday_amplitude": (1, 1)})
    frame = aftermath.persistence(table, only, n_draws=50).set_index("start")
    before = v(5) / _weekday_mean("2011-03-08", "2011-03-15")
    after = v(4) / _weekday_mean("2011-03-17", "2011-03-23")
    june = v(251) / _weekday_mean("2011-06-01", "2011-06-30")
    assert frame.loc["2011-06-01", "low"] == pytest.approx((before - june) / (before - after))


def test_a_31_day_month_divided_by_30_is_scaled_and_30_day_months_are_not(table):
    by_30 = aftermath.Assumptions(**{**aftermath.AS_PRINTED.__dict__, "month_divisor_30": 1.0})
    frame = aftermath.persistence(table, by_30, n_draws=50).set_index("start")
    assert frame.loc["2011-05-01", "low"] == pytest.approx(_share(v(250) * 30 / 31))
    assert frame.loc["2011-06-01", "low"] == pytest.approx(_share(v(251)))


@pytest.mark.parametrize("width", [1.0, 3.0, 6.0])
def test_less_than_32_is_read_up_to_its_width_below(table, width):
    asm = aftermath.Assumptions(**{**aftermath.AS_PRINTED.__dict__, "less_than_width": width})
    row = _by_row(aftermath.persistence(table, asm, n_draws=N)).loc[362]
    assert row["low"] >= _share(32) - 1e-12
    assert row["high"] <= _share(32 - width) + 1e-12
    assert row["high"] > _share(32 - 0.8 * width)


def test_one_assumption_at_a_time_lists_each_with_its_source(table):
    effects = aftermath.assumption_effects(table, n_draws=1000)
    assert list(effects["assumption"]) == list(aftermath.ASSUMPTION_SOURCES)
    assert effects["source"].str.match(r"^(estimated|assumption):").all()
    vendor = effects.set_index("assumption").loc["vendor_scale"]
    # a series scale c in [0.9, 1.1] moves June's level between 39.2/1.1 and 39.2/0.9
    assert vendor["June 2011: high"] <= _share(v(251) / 1.1) + 1e-9
    assert vendor["June 2011: low"] >= _share(v(251) / 0.9) - 1e-9


def test_who_stepped_in_computes_its_numbers_from_the_rows(table):
    frame = aftermath.who_stepped_in(table).set_index("botnet")
    assert f"{v(9) / 100 * v(5):.1f} bn/day" in frame.loc["all botnets", "before"]
    assert f"{v(93) / 100 * v(251):.1f} bn/day" in frame.loc["all botnets", "after"]
    assert f"{v(348) / (v(347) / 100):.1f} bn/day" in frame.loc["Cutwail", "reading"]
    assert f"{v(352) / 100 * v(348) / (v(347) / 100):.1f} bn/day" in frame.loc["Xarvester", "after"]
    for ids in frame["figure_ids"]:
        assert all(i in ROWS for i in ids)


def test_the_contradictions_show_their_arithmetic(table):
    text = " ".join(aftermath.contradictions(table)["what"])
    rest_mean = (32 * 30 - 33 * 7) / 23
    assert f"below {rest_mean:.1f}" in text
    assert f"above {(v(249) * 30 - rest_mean * 15) / 15:.1f}" in text
    assert f"{(v(348) / (v(347) / 100) / v(251) - 1) * 100:.0f}% above June" in text


def test_the_results_block_is_derived_not_synthetic(table):
    block = aftermath.published_block(table, n_draws=500)
    assert [row["figure_ids"][-1] for row in block] == [362, 249, 250, 251, 142]
    assert all(row["kind"] == "derived" and row["synthetic"] is False for row in block)
    assert all(row["low"] <= row["share_missing"] <= row["high"] for row in block)


@pytest.mark.parametrize("bad, says", [
    ({"less_than_width": -1}, "less_than_width"),
    ({"month_divisor_30": 2}, "a probability"),
    ({"vendor_scale": (1.1, 0.9)}, "vendor_scale"),
    ({"weekday_amplitude": (-1, 1)}, "weekday_amplitude"),
])
def test_bad_assumptions_are_named(bad, says):
    with pytest.raises(ParameterError, match=says):
        aftermath.Assumptions(**bad)


def test_a_row_that_is_not_a_global_volume_is_refused(table):
    with pytest.raises(ParameterError, match="figure 2 is botnet_share_of_spam"):
        aftermath.window(table, 2)


def test_the_answer_quotes_the_frame_and_the_rows(table):
    persisted = aftermath.persistence(table, n_draws=N)
    text = aftermath.answer(table, persisted)
    june = _by_row(persisted).loc[251]
    assert f"June {_share(v(251)):.0%} ({v(251):g} bn/day, #251; range {june['low']:.0%} to " \
           f"{june['high']:.0%})" in text
    assert f"about {v(9) / 100 * v(5):.1f} bn/day before" in text
    assert "sensitivity ranges" in text and "not confidence intervals" in text


def test_the_answer_does_not_claim_a_persisting_fall_the_ranges_do_not_carry(table):
    """With a vendor scale wide enough to reach a full recovery, the lead says it cannot tell."""
    wide = aftermath.Assumptions(vendor_scale=(0.6, 1.4))
    text = aftermath.answer(table, aftermath.persistence(table, wide, n_draws=N))
    assert text.startswith("Whether spam came back") and "still missing" not in text


def test_the_readme_quotes_the_answer_the_code_gives_and_its_example_runs(table):
    import re

    readme = documentation_text()
    section = readme.split("<!-- section: after-takedown -->")[1].split(
        "<!-- /section: after-takedown -->")[0]
    quoted = " ".join(line[2:] for line in section.splitlines() if line.startswith("> "))
    assert quoted == aftermath.answer(table)
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own README
    assert not namespace["aftermath"].who_stepped_in(namespace["table"]).empty
