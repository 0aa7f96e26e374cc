"""Every block of results.json says whether it is synthetic (issue 23, findings 6 and 9).

A fragment without a ``synthetic`` flag is refused; each block (a mapping among a
fragment's entries) carries its own flag, inherited from the fragment or stated; the
merge puts no single flag at the top beside other notebooks' blocks. Notebook 04 run on
the scenario labels its printed lines and its block synthetic; notebook 02 says what the
scenario matches of the figures and what it misses, with numbers recomputed here from the
figures table and the calibration.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest

from spamlab import figures, report, scenario
from spamlab.cli import main
from spamlab.errors import ParameterError


def _blocks(results: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Every block of a results.json: each notebook's fragment, each mapping inside one, and
    each top-level mapping that came from a fragment (run-level entries are not results)."""
    found: dict[str, Mapping[str, Any]] = {}
    from_fragments: set[str] = set()
    for notebook, fragment in results["notebooks"].items():
        found[f"notebooks.{notebook}"] = fragment
        for key, value in fragment.items():
            if isinstance(value, Mapping):
                found[f"notebooks.{notebook}.{key}"] = value
                from_fragments.add(key)
    for key in from_fragments:
        found[key] = results[key]
    return found


def test_a_fragment_without_the_flag_is_refused_naming_the_notebook(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match=r"notebook '04-robustness': no 'synthetic' flag"):
        report.write_fragment(tmp_path, "04-robustness", {"placebo": {"real_rank": 1}})
    with pytest.raises(ParameterError, match=r"'synthetic' is 'yes', not True or False"):
        report.write_fragment(tmp_path, "04-robustness", {"synthetic": "yes"})
    with pytest.raises(ParameterError, match=r"block 'placebo': 'synthetic' is 1"):
        report.write_fragment(tmp_path, "04-robustness",
                              {"synthetic": True, "placebo": {"synthetic": 1}})
    assert not (tmp_path / "fragments" / "04-robustness.json").exists()


def test_a_hand_written_fragment_without_the_flag_is_refused_by_the_merge(tmp_path: Path) -> None:
    (tmp_path / "fragments").mkdir()
    (tmp_path / "fragments" / "01-x.json").write_text(json.dumps({"figures": {"rows": 3}}))
    with pytest.raises(ParameterError, match="notebook '01-x': no 'synthetic' flag"):
        report.write_results(tmp_path)


def test_every_block_of_results_json_carries_its_own_flag(tmp_path: Path) -> None:
    """A scenario fit, the published-figures residual and a synthetic robustness check."""
    report.write_fragment(tmp_path, "02-rustock-its", {
        "synthetic": True, "level_change": {"estimate": 0.6}, "interruption": "t",
        "effects": [{"kind": "level_change"}]})
    report.write_fragment(tmp_path, "03-the-missing-5-billion", {
        "synthetic": False, "residual_bn_per_day": {"median": 5.0, "low": -4.0, "high": 11.0},
        # a block that differs from its notebook states its own flag
        "scenario_check": {"synthetic": True, "consistent": ["combined"]}})
    report.write_fragment(tmp_path, "04-robustness", {
        "synthetic": True, "placebo": {"real_rank": 1}, "breakpoints": {"rows": []},
        "minimum_detectable_drop": {"by_post_days": {"7": 17.0}}})
    results = report.write_results(tmp_path, extra={"run": "r", "parameters": {"seed": 0}})
    assert json.loads((tmp_path / "results.json").read_text()) == results
    assert "synthetic" not in results  # no one flag beside blocks of other notebooks
    blocks = _blocks(results)
    assert {name: block.get("synthetic") for name, block in blocks.items()} == {
        "notebooks.02-rustock-its": True, "notebooks.02-rustock-its.level_change": True,
        "level_change": True,
        "notebooks.03-the-missing-5-billion": False,
        "notebooks.03-the-missing-5-billion.residual_bn_per_day": False,
        "residual_bn_per_day": False,
        "notebooks.03-the-missing-5-billion.scenario_check": True, "scenario_check": True,
        "notebooks.04-robustness": True, "notebooks.04-robustness.placebo": True,
        "placebo": True, "notebooks.04-robustness.breakpoints": True, "breakpoints": True,
        "notebooks.04-robustness.minimum_detectable_drop": True, "minimum_detectable_drop": True,
    }
    assert results["parameters"] == {"seed": 0}  # run-level entries are left as they are


def test_calibration_fit_sorts_matches_and_misses_by_hand() -> None:
    table = pd.DataFrame({"figure_id": [5, 2, 251, 4], "target": [52.0, 28.5, 39.2, 33.0],
                          "achieved": [52.5, 15.0, 50.0, 33.3],
                          "fitted": [True, False, False, True]})
    table["rel_error"] = table["achieved"] / table["target"] - 1
    fit = report.calibration_fit(table, 0.02)
    assert fit["matched"]["figure_id"].tolist() == [4, 5]
    assert fit["missed"]["figure_id"].tolist() == [2, 251]  # largest miss first: 47%, then 28%
    assert "row 2 by 47% (28.5 published, 15 in the scenario)" in fit["in_words"]
    assert "row 251 by 28% (39.2 published, 50 in the scenario)" in fit["in_words"]
    assert "2 of the 2 figures it was fitted to (rows 4, 5)" in fit["in_words"]
    assert fit["synthetic"] is True


def _outputs(notebook: Path) -> str:
    node = nbformat.read(notebook, as_version=4)
    return "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "")
                   for cell in node.cells for o in cell.get("outputs", []))


@pytest.mark.notebook
@pytest.mark.slow
def test_notebooks_02_and_04_label_the_scenario_synthetic(tmp_path: Path) -> None:
    assert main(["run", "--only", "02", "04", "--reports-dir", str(tmp_path), "--no-html",
                 "-p", "n_sims=40", "-p", "post_days=[7, 28]"]) == 0
    folder = tmp_path / "rustock"
    results = json.loads((folder / "results.json").read_text())
    blocks = _blocks(results)
    assert {"placebo", "minimum_detectable_drop", "breakpoints", "sensitivity",
            "level_change"} <= set(blocks)
    assert all(block["synthetic"] is True for block in blocks.values())
    assert "synthetic" not in results
    # 04's printed lines carry the tag
    text = _outputs(folder / "04-robustness.ipynb")
    rank = re.search(r"ranks (\d+) of (\d+); rank p-value [\d.]+ \(SYNTHETIC scenario, not data\)",
                     text)
    assert rank is not None and int(rank.group(1)) == results["placebo"]["real_rank"]
    assert ("smallest fall found 80% of the time (billion messages per day) (SYNTHETIC scenario, "
            "not data)") in text
    assert [int(d) for d in results["minimum_detectable_drop"]["by_post_days"]] == [7, 28]
    # 02 says which figures the scenario misses, and by how much: recomputed from the table
    table = figures.load()
    cal = scenario.calibrate("combined", seed=0)
    achieved = cal.constraints.set_index("figure_id")["achieved"]
    words = results["calibration"]["in_words"]
    for row in (2, 251, 236):
        miss = abs(achieved[row] / figures.value(table, row) - 1)
        assert miss > 0.2
        assert f"row {row} by {miss:.0%} ({figures.value(table, row):.3g} published" in words
    assert words in _outputs(folder / "02-rustock-its.ipynb")


@pytest.mark.parametrize("synthetic", [True, False])
def test_the_run_headline_tags_a_level_change_by_its_own_block(tmp_path: Path,
                                                                synthetic: bool) -> None:
    """The headline read the top-level flag, which the merge no longer writes."""
    report.write_fragment(tmp_path, "02-rustock-its", {
        "synthetic": synthetic, "interruption": "t", "level_change": {
            "estimate": 0.7, "ci_low": 0.6, "ci_high": 0.8, "scale": "ratio"}})
    report.write_fragment(tmp_path, "03-the-missing-5-billion", {"synthetic": False})
    first = report.headline(report.write_results(tmp_path), tmp_path).splitlines()[0]
    assert first.startswith("level change at t: 0.7")
    assert ("[synthetic scenario, not data]" in first) is synthetic
