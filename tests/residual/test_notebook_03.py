"""Notebook 03 states its answer in words: the numbers in those words match the accounting."""

from __future__ import annotations

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
    return " ".join(line.lstrip("# ") for line in first.splitlines())


def test_the_answer_has_four_sentences_and_the_notebook_one_title(text, answer):
    body = answer.split("**The answer.**")[1].split("How to read")[0]
    assert len(re.findall(r"[a-z0-9)]\. ", body + " ")) == 4
    assert len(re.findall(r"^# # ", text, flags=re.MULTILINE)) == 1
    assert not re.search(r"^(def|class) ", text, flags=re.MULTILINE)
    assert text.count("# %%") <= 30


def test_the_numbers_in_the_answer_match_the_accounting(answer):
    table = figures.load()
    acc = residual.account(table, seed=0, n_draws=20_000)
    final = acc.remaining
    assert f"median {final['median']:.1f}" in answer
    assert f"range of {final['low']:.0f} to +{final['high']:.0f}" in answer
    assert f"{100 * acc.p_below_zero:.0f}% of the simulations" in answer
    own = acc.by_reading[acc.by_reading["weight"] > 0]["median"]
    assert f"({own.min():.1f} to {own.max():.1f} billion" in answer
    kaspersky = acc.by_reading.set_index("reading").loc["kaspersky_share", "median"]
    assert f"{kaspersky:.1f} billion left" in answer
    curve = residual.collateral_curve(acc, np.linspace(0, 0.5, 101))
    closing = curve.loc[curve["median"] <= 0, "collateral"].iloc[0]
    assert 1 / 7 < closing < 1 / 5  # "about a sixth"
    assert "about a sixth" in answer
