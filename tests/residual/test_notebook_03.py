"""Notebook 03 states its answer in words: the numbers in those words match the accounting.

The answer leads with the range and the reading that drives it, and shows the other vendors in both
directions; the vendors' outputs are recomputed here from the figures table rows with the csv module.
"""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest

from spamlab import figures, paths, residual

NOTEBOOK = "03-the-missing-5-billion.py"


@pytest.fixture(scope="module")
def text() -> str:
    return (paths.project_root() / "notebooks" / NOTEBOOK).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def answer(text) -> str:
    first = text.split("# %% [markdown]")[1].split("# %%")[0]
    joined = " ".join(line.lstrip("# ") for line in first.splitlines())
    return joined.split("**The answer.**")[1].split("How to read")[0]


@pytest.fixture(scope="module")
def acc() -> residual.FiguresAccounting:
    return residual.account_from_figures(figures.load(), seed=0, n_draws=20_000)


def _rows() -> dict[int, float]:
    """Every figure's value read straight from the CSV (independent of figures.load)."""
    with open(paths.figures_csv(), encoding="utf-8") as handle:
        return {int(r["id"]): float(r["value"] or r["value_low"]) for r in csv.DictReader(handle)}


def _number(pattern: str, answer: str) -> float:
    match = re.search(pattern, answer)
    assert match, f"the answer has no {pattern!r}"
    return float(match.group(1))


def test_the_answer_leads_with_the_range_and_the_notebook_has_one_title(text, answer, acc):
    final = acc.remaining
    first_number = re.search(r"-?\d+(\.\d+)?", answer).group(0)
    assert first_number == f"{final['low']:.0f}"
    assert f"from about {final['low']:.0f} to +{final['high']:.0f} billion" in answer
    assert answer.index("sensitivity range") < answer.index("median")
    assert len(re.findall(r"^# # ", text, flags=re.MULTILINE)) == 1
    assert not re.search(r"^(def|class) ", text, flags=re.MULTILINE)


def test_the_numbers_in_the_answer_match_the_accounting(answer, acc):
    final = acc.remaining
    assert f"median {final['median']:.1f}, mean {final['mean']:.1f}" in answer
    assert f"{100 * acc.p_below_zero:.0f}% of the simulations fall below zero" in answer
    own = acc.by_reading[acc.by_reading["weight"] > 0]["median"]
    assert f"{own.min():.1f} to {own.max():.1f} from Symantec's own readings" in answer
    curve = residual.collateral_curve(acc, np.linspace(0, 0.5, 101))
    closing = curve.loc[curve["median"] <= 0, "collateral"].iloc[0]
    assert 1 / 7 < closing < 1 / 5 and "about a sixth" in answer


def test_the_reading_that_drives_the_range_is_stated_with_its_numbers(answer, acc):
    table = figures.load()
    by_trend = {}
    for reading in ("march_10_vs_15", "first_half_vs_week"):
        alone = residual.account_from_figures(table, seed=0, n_draws=20_000,
                                 assumptions=residual.Assumptions(trend_readings=(reading,)))
        by_trend[reading] = alone
    two_days = by_trend["march_10_vs_15"]
    assert (f"median of {two_days.remaining['median']:.1f} with "
            f"{100 * two_days.p_below_zero:.0f}% of the simulations below zero") in answer
    assert f"#361), {by_trend['first_half_vs_week'].remaining['median']:.1f}." in answer
    # it is the reading that moves the answer most: the two readings bracket the pooled median
    assert two_days.remaining["median"] < acc.remaining["median"] \
        < by_trend["first_half_vs_week"].remaining["median"]


def test_other_vendors_are_shown_in_both_directions_from_the_figures_rows(answer, acc):
    v = _rows()
    naive = v[5] - v[4] - v[1]
    outputs = {  # each vendor's share of Rustock on the 52 bn week (row 5), from its own rows
        "kaspersky_share": (v[168] + v[169]) / 2 / 100 * v[5],
        "commtouch_q1_share": v[75] / v[76] * v[5],
        "commtouch_share": v[328] / v[326] * v[5],
    }
    patterns = {"kaspersky_share": r"#169\) leaves (\d+\.\d)",
                "commtouch_q1_share": r"#76\) (\d+\.\d)",
                "commtouch_share": r"#326\) leaves (\d+\.\d)"}
    assert set(outputs) == set(residual.OTHER_VENDOR_READINGS)
    medians = acc.by_reading.set_index("reading")["median"]
    stated = {name: _number(pattern, answer) for name, pattern in patterns.items()}
    for name, output in outputs.items():
        assert stated[name] == round(float(medians[name]), 1), name
        # the accounting's median sits near the plain arithmetic 52 - 33 - output
        assert stated[name] == pytest.approx(v[5] - v[4] - output, abs=0.6), name
    below = [n for n in outputs if v[5] - v[4] - outputs[n] < naive]
    above = [n for n in outputs if v[5] - v[4] - outputs[n] > naive]
    assert below and above  # both ways, by plain arithmetic
    assert all(stated[n] < naive for n in below) and all(stated[n] > naive for n in above)
    assert f"({min(stated.values()):.1f} to {max(stated.values()):.1f} billion a day left)" in answer


def test_the_answer_sets_13_82_against_rows_303_and_323_and_calls_it_no_bound(answer):
    assert "at most" not in answer
    for sentence in re.split(r"(?<=[a-z0-9)])\. ", answer):
        if re.search(r"\bfloor\b|\bceiling\b|\bcap\b", sentence):
            assert "#303" in sentence and "#323" in sentence, sentence
            assert "neither a ceiling nor a floor" in sentence
    assert "monthly" in answer and "per-botnet daily data" in answer
