"""The README's `data`, `your-data` and `residual` sections: their code runs and their claims hold."""

from __future__ import annotations

import ast
import re

import numpy as np
import pandas as pd
import pytest

from doc_pages import documentation_text
from spamlab import events, series
from spamlab.errors import DataError


def _section(name: str) -> str:
    text = documentation_text()
    match = re.search(rf"<!-- section: {name} -->(.*?)<!-- /section: {name} -->", text, flags=re.DOTALL)
    assert match, f"README has no section {name!r}"
    return match.group(1)


def _python_blocks(section: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


@pytest.fixture
def my_counts(tmp_path, monkeypatch) -> pd.DatetimeIndex:
    """``my_counts.csv`` as the your-data section describes it (Berlin dates), in the cwd."""
    days = pd.date_range("2011-02-01", "2011-03-31", freq="D")
    rng = np.random.default_rng(3)
    pd.DataFrame({"Date": days.strftime("%Y-%m-%d"), "Spam": rng.poisson(5000, len(days))}).to_csv(
        tmp_path / "my_counts.csv", index=False)
    monkeypatch.chdir(tmp_path)
    return days


def test_your_data_examples_are_all_tested():
    assert len(_python_blocks(_section("your-data"))) == 2


def test_your_data_cleaning_example_runs_on_a_file_like_the_one_described(my_counts):
    namespace: dict = {}
    exec(_python_blocks(_section("your-data"))[0], namespace)  # noqa: S102 - our own README
    daily = namespace["daily"]
    assert [t.strftime("%Y-%m-%d") for t in daily.index] == list(my_counts.strftime("%Y-%m-%d"))
    assert daily["n_obs"].sum() == len(my_counts) and not daily["is_gap"].any()
    # 27 March 2011 lasted 23 hours in Berlin: its count per day is scaled up by 24/23
    day = daily.loc[daily.index.strftime("%Y-%m-%d") == "2011-03-27"].iloc[0]
    assert day["volume_billion_per_day"] == pytest.approx(day["volume"] * 24 / 23 / 1e9)
    assert {"is_gap", "coverage", "is_outlier", "volume_billion_per_day"} <= set(daily.columns)


def test_your_data_notebook_input_example_runs_and_agrees_with_the_steps(my_counts):
    namespace: dict = {}
    exec(_python_blocks(_section("your-data"))[1], namespace)  # noqa: S102 - our own README
    inp, summary = namespace["inp"], namespace["summary"]
    counts = pd.read_csv("my_counts.csv")["Spam"].astype(float).tolist()
    assert inp.frame["volume"].tolist() == counts  # one row per file row, Berlin days
    assert inp.frame.index[0] == pd.Timestamp("2011-02-01", tz="Europe/Berlin")
    assert not inp.synthetic and inp.figure_name("daily-volume") == "my-counts-daily-volume"
    assert summary.set_index("what")["count"].to_dict() == {
        "rows read from the file": len(my_counts), "rows rejected (by reason: see attrs)": 0,
        "rows with an empty value": 0, "rows merged into one per timestamp": 0,
        "rows with a date only, read as UTC days (no tz given)": 0,  # tz= was given
        "days in the series": len(my_counts), "days without data (gaps, left empty)": 0,
        "days flagged as outliers (kept)": int(inp.frame["is_outlier"].sum())}
    scenario = namespace["scenario"]
    assert scenario.synthetic and "SYNTHETIC" in scenario.label and scenario.y == "total_synthetic"


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
    (tmp_path / "naive.csv").write_text("date,count\n2011-03-14 10:00,5120\n")
    with pytest.raises(DataError) as info:
        series.read("naive.csv")
    assert " ".join(str(info.value).split()) in " ".join(shown.split())
    with pytest.raises(DataError) as info:
        series.read("my_counts.csv", value_col="spam", tz="UTC")
    assert str(info.value) in shown


def _expressions(code: str, namespace: dict) -> dict[str, object]:
    """Run ``code`` statement by statement; the value of each bare expression, keyed by its source."""
    values = {}
    for node in ast.parse(code).body:
        source = ast.get_source_segment(code, node)
        if isinstance(node, ast.Expr):
            values[source] = eval(source, namespace)  # our own README
        else:
            exec(source, namespace)  # noqa: S102 - our own README
    return values


def test_data_event_table_agrees_with_the_registry():
    rows = re.findall(r"^\| `(\w+)` \| (.+?) \| (.+?) \|$", _section("data"), flags=re.MULTILINE)
    assert [name for name, _, _ in rows] == events.names()
    for name, when, cited in rows:
        event = events.get(name)
        dates = re.findall(r"\d{4}-\d{2}-\d{2}", when)
        assert dates[0] == f"{event.start:%Y-%m-%d}", name
        assert event.end is None or dates[1] == f"{event.end:%Y-%m-%d}", name
        clock = re.match(r"\S+ (\d{2}:\d{2})", when)
        assert (clock.group(1) if clock else "00:00") == f"{event.start:%H:%M}", name
        assert ("(week)" in when) == (event.precision == "week"), name
        listed = {i for first, last in re.findall(r"\b(\d+)(?:-(\d+))?\b", cited)
                  for i in range(int(first), int(last or first) + 1)}
        assert listed and listed <= set(event.figure_ids), (name, sorted(listed - set(event.figure_ids)))


def test_residual_accounting_example_runs_and_prints_what_it_says(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the example writes residual_table.csv into the working folder
    shown = _section("residual")
    code = _python_blocks(shown)[0]
    namespace: dict = {}
    values = _expressions(code, namespace)
    acc = namespace["acc"]
    assert "# 5.18" in code and round(values["acc.naive"], 2) == round(52 - 33 - 13.82, 2) == 5.18
    listed = re.search(r"^acc\.table +# (.+)$", code, flags=re.MULTILINE).group(1).split(", ")
    assert listed == list(values["acc.table"].columns)
    remaining = values["acc.remaining"]
    assert (f"median {remaining['median']:.2f}, 90% interval {remaining['low']:.2f} to "
            f"{remaining['high']:.2f}") in code
    prose = " ".join(shown.split())
    assert (f"median of about {remaining['median']:.1f} bn/day and a 90% interval of about "
            f"{remaining['low']:.0f} to +{remaining['high']:.0f}") in prose
    assert values["plots.plot_waterfall(acc)"].axes[0].get_title().startswith("The missing 5 billion")
    assert values["residual.consistency()"].loc[0, "implied"] == pytest.approx(13.82 / 0.285)
    written = pd.read_csv(tmp_path / "residual_table.csv")
    assert written["component"].tolist() == acc.table["component"].tolist()
    assert values["acc.to_dict()"]["naive_residual_bn_per_day"] == 5.18



@pytest.mark.slow
def test_residual_scenario_example_runs_and_its_signs_hold():
    code = _python_blocks(_section("residual"))[1]
    namespace: dict = {}
    values = _expressions(code, namespace)
    listed = re.search(r"^cal\.constraints +# (.+), \.\.\.$", code, flags=re.MULTILINE).group(1)
    assert listed.split(", ") == list(values["cal.constraints"].columns[:5])
    assert "SYNTHETIC" in values["plots.plot_scenario(cal)"].axes[0].get_title()
    assert len(values["scenario.summary(cals)"]) == len(namespace["scenario"].HYPOTHESES)
    second = values["scenario.distinguish(cals)"].set_index("hypothesis").loc["second_source"]
    assert second["true_non_rustock_step"] < -2 and second["non_rustock_step_high"] < 0  # a fall < 0
    power = values["scenario.second_source_power(effect=-5.0, post_days=(3, 7, 14, 28))"]
    assert (power["effect"] == -5.0).all() and (power["mean_estimate"] < -4).all()
    assert power.loc[power["series"] == "non_rustock", "power"].min() >= 0.8  # within 3 days at 5%
    assert power.loc[power["series"] == "total", "power"].max() < 0.5  # totals: below 50%
    engine = values["scenario.power_by_noise(cal.params)"]
    assert (engine["mde"] < 0).all() and (engine["effect"] == -5.0).all()
    assert "SYNTHETIC" in values["scenario.noise_residual(cal.params)"].attrs["note"]


def test_its_examples_run_and_their_claims_hold():
    """The README's `its` section on a synthetic daily series: a 4-unit fall on 25 December and a
    10-unit fall at 14:45 on 16 March (that day 0.385 after it), weekly cycle, AR(1) noise."""
    import matplotlib.pyplot as plt
    import statsmodels.api as sm

    from spamlab.errors import ParameterError

    days = pd.date_range("2010-12-01", "2011-04-30", freq="D", tz="UTC")
    rng = np.random.default_rng(7)
    noise = np.zeros(len(days))
    for t in range(1, len(days)):
        noise[t] = 0.4 * noise[t - 1] + rng.normal()
    after = np.clip((days + pd.Timedelta(days=1) - pd.Timestamp("2011-03-16 14:45", tz="UTC"))
                    / pd.Timedelta(days=1), 0, 1)
    weekly = np.array([0.0, 1.0, 1.5, 1.0, 0.5, -2.0, -2.0])[days.day_of_week]
    volume = 50 + weekly - 4 * (days >= "2010-12-25") - 10 * after + noise
    nile = sm.datasets.nile.load_pandas().data.astype({"year": int})
    namespace: dict = {"daily": pd.DataFrame({"volume": volume}, index=days), "nile": nile}
    fit_block, recovery_block, robustness_block = _python_blocks(_section("its"))
    exec(fit_block, namespace)  # noqa: S102 - our own README
    res, iid = namespace["res"], namespace["iid"]
    row = res.level_change("2011-03-16 14:45")
    assert row["ci_low"] < -10 < row["ci_high"] and row["scale"] == "difference"
    assert abs(res.rho - 0.4) < 0.15 and len(repr(res).splitlines()) == 2 + 4  # header, level and slope of 2
    assert iid.spec.errors == "iid" and iid.spec.seasonality == res.spec.seasonality == "dow"
    with pytest.raises(ParameterError, match=r"not an interruption of this fit; its interruptions"):
        res.level_change("2011-03-17")
    exec(robustness_block, namespace)  # noqa: S102
    assert namespace["placebo"].real_rank == 1
    _check_recovery_example(recovery_block)
    assert namespace["breaks"]["break_at"].iloc[0] == namespace["search"].table["break_at"].iloc[0] == 1899 and "break_at 1899" in robustness_block
    assert set(namespace["result"].table["varied"]) == {"interruption", "pre_window", "specification"}
    mde, found = namespace["mde"], namespace["found"]
    assert mde < 0 and (found >= 0.8) == (mde >= -5.0)  # signed: a fall of 5 is effect=-5.0
    plt.close("all")


def _check_recovery_example(block: str) -> None:
    """The recovery example's printed sentences are what it prints, and the truth (half of a
    fall of 10 back at 0.08 a day: 62.5 days) lies in its interval."""
    from spamlab import its

    namespace: dict = {"pd": pd, "np": np, "its": its}
    exec(block, namespace)  # noqa: S102 - our own README
    rec, res = namespace["rec"], namespace["res"]
    shown = " ".join(line.lstrip("# ").strip() for line in block.splitlines()
                     if line.startswith("# "))
    assert rec.describe().replace("'", "") in shown.replace("'", "")
    assert res.recovered_share().describe().replace("'", "") in shown.replace("'", "")
    assert rec.ci_low < 62.5 < rec.ci_high and rec.bounded


def test_the_too_many_bad_rows_message_in_the_readme_is_real(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    days = pd.date_range("2011-01-01", periods=365, freq="D")
    (tmp_path / "us.csv").write_text("date,count\n" + "".join(
        f"{d.month}/{d.day}/{d.year},5000\n" for d in days))
    with pytest.raises(DataError) as info:
        series.read("us.csv", date_format="%d/%m/%Y", on_bad_rows="drop")
    assert " ".join(str(info.value).split()) in " ".join(_section("your-data").split())
