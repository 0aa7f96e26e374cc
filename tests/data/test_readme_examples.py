"""The README's `data` and `your-data` sections: their code runs and their claims hold."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from spamlab import paths, series
from spamlab.errors import DataError


def _section(name: str) -> str:
    text = (paths.project_root() / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- section: {name} -->(.*?)<!-- /section: {name} -->", text, flags=re.DOTALL)
    assert match, f"README has no section {name!r}"
    return match.group(1)


def _python_blocks(section: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def test_your_data_example_runs_on_a_file_like_the_one_described(tmp_path, monkeypatch):
    days = pd.date_range("2011-02-01", "2011-03-31", freq="D")
    rng = np.random.default_rng(3)
    pd.DataFrame({"Date": days.strftime("%Y-%m-%d"), "Spam": rng.poisson(5000, len(days))}).to_csv(
        tmp_path / "my_counts.csv", index=False)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(_python_blocks(_section("your-data"))[0], namespace)  # noqa: S102 - our own README
    daily = namespace["daily"]
    assert [t.strftime("%Y-%m-%d") for t in daily.index] == list(days.strftime("%Y-%m-%d"))  # Berlin days
    assert daily["n_obs"].sum() == len(days) and not daily["is_gap"].any()
    # 27 March 2011 lasted 23 hours in Berlin: its count per day is scaled up by 24/23
    day = daily.loc[daily.index.strftime("%Y-%m-%d") == "2011-03-27"].iloc[0]
    assert day["volume_billion_per_day"] == pytest.approx(day["volume"] * 24 / 23 / 1e9)
    assert {"is_gap", "coverage", "is_outlier", "volume_billion_per_day"} <= set(daily.columns)


def test_data_example_runs_and_prints_what_it_says():
    namespace: dict = {}
    code = _python_blocks(_section("data"))[0]
    exec(code, namespace)  # noqa: S102 - our own README
    table, figures = namespace["table"], namespace["figures"]
    assert "52.0" in code and figures.value(table, 5) == 52.0
    assert "0.1728" in code and figures.to_per_day(2000, "per_second") == pytest.approx(0.1728)
    assert "48.5" in code and round(figures.implied_total(table.loc[1], table.loc[2]).estimate, 1) == 48.5
    exec(_python_blocks(_section("data"))[1], namespace)  # noqa: S102
    assert "2011-03-16 14:45:00+0000" in _section("data")
    assert str(namespace["events"].get("rustock_takedown").start) == "2011-03-16 14:45:00+00:00"


def test_error_messages_shown_in_the_readme_are_real(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shown = _section("your-data")
    (tmp_path / "my_counts.csv").write_text("date,count\n2011-03-13,1\n2011-03-14,5120\n2011-03-15,x\n")
    with pytest.raises(DataError) as info:
        series.read("my_counts.csv", tz="UTC")
    assert " ".join(str(info.value).split()) in " ".join(shown.split())
    (tmp_path / "naive.csv").write_text("date,count\n2011-03-14,5120\n")
    with pytest.raises(DataError) as info:
        series.read("naive.csv")
    assert " ".join(str(info.value).split()) in " ".join(shown.split())
    with pytest.raises(DataError) as info:
        series.read("my_counts.csv", value="spam", tz="UTC")
    assert str(info.value) in shown
