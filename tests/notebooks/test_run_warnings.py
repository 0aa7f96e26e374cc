"""Warnings are part of the answer; a run is about one version of its data (issue 21).

Small throwaway notebooks stand in for the analysis (each kernel start costs seconds). The
warning is raised inside a module of its own, the way spamlab's own warnings are, and both
notebooks run on one warm kernel, so the second one's copy of the same warning must be
recorded for its notebook too.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest

from spamlab import notebooks, paths
from spamlab.cli import run as cli_run
from spamlab.errors import ParameterError

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("notebook_runs")]

WARNER = '''import warnings


def partly_covered(days):
    warnings.warn(f"{days} days are partly covered", UserWarning)
'''

SOURCE = '''# %% tags=["parameters"]
label = "default-label"
helpers = ""
run_name = "x"
reports_dir = None

# %%
import sys
sys.path.insert(0, helpers)
import warner
from spamlab import report
run = report.run_dir(run_name, reports_dir)
warner.partly_covered(12)

# %%
report.write_fragment(run, "NAME", {"label": label, "synthetic": False,
                                  "level": {"warnings": ["baseline is fragile"]}})
'''


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "nb").mkdir()
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "warner.py").write_text(WARNER, encoding="utf-8")
    for name in ("01-first", "02-second"):
        (tmp_path / "nb" / f"{name}.py").write_text(SOURCE.replace("NAME", name), encoding="utf-8")
    return tmp_path


def _plan(folder: Path, label: str, *, only: tuple[str, ...] = ("01-first", "02-second"),
          inputs: dict[str, str] | None = None) -> notebooks.RunPlan:
    root = folder / "reports"
    parameters = {"label": label, "helpers": str(folder / "helpers"), "run_name": "r",
                  "reports_dir": str(root)}
    return notebooks.RunPlan("r", root / "r", only, parameters, folder / "nb", timeout=120,
                             html=True, planned=("01-first", "02-second"), kernels=1,
                             inputs=inputs)


def test_every_warning_of_a_run_is_in_results_json_the_html_and_the_printed_end(folder, capsys):
    results = notebooks.execute_plan(_plan(folder, "a"))
    seen = {(w["notebook"], w["message"]) for w in results["warnings"]}
    # raised while each notebook ran: the second ran on the same warm kernel as the first
    # (kernels=1), where Python would otherwise show the same warning only once
    assert {("01-first", "12 days are partly covered"),
            ("02-second", "12 days are partly covered")} <= seen
    # carried by a result in the fragment
    assert ("02-second", "baseline is fragile") in seen
    stored = json.loads((folder / "reports" / "r" / "results.json").read_text())
    assert stored["warnings"] == results["warnings"]
    # the HTML report opens with them
    html = nbformat.read(folder / "reports" / "r" / "02-second.ipynb", as_version=4)
    assert html.cells  # the executed notebook itself is unchanged ...
    page = (folder / "reports" / "r" / "02-second.html").read_text(encoding="utf-8")
    body = page[page.index("<body"):]
    head = body[:body.index("jp-CodeCell")]  # ... the page heads them, before any code
    assert "2 warnings" in head and "12 days are partly covered" in head
    assert "baseline is fragile" in head
    # spamlab run prints them at its end, after the headline
    out = capsys.readouterr().out
    assert "warnings (4)" in out and "[01-first, UserWarning] 12 days are partly covered" in out
    assert "[02-second, level] baseline is fragile" in out


def test_a_partial_rerun_refuses_a_replaced_data_file(folder, tmp_path):
    data = tmp_path / "counts.csv"
    data.write_text("date,count\n2011-03-01,5\n", encoding="utf-8")
    notebooks.execute_plan(_plan(folder, "a", inputs=notebooks.fingerprint([data])))
    data.write_text("date,count\n2011-03-01,7\n", encoding="utf-8")  # same path, new content
    with pytest.raises(ParameterError, match=r"other data: .*counts\.csv has changed"):
        notebooks.execute_plan(_plan(folder, "a", only=("02-second",),
                                     inputs=notebooks.fingerprint([data])))
    # with the original content back, the partial rerun is allowed
    data.write_text("date,count\n2011-03-01,5\n", encoding="utf-8")
    results = notebooks.execute_plan(_plan(folder, "a", only=("02-second",),
                                           inputs=notebooks.fingerprint([data])))
    assert results["inputs"] == notebooks.fingerprint([data])


def test_fingerprint_changes_with_any_file_in_a_folder(tmp_path):
    events = tmp_path / "events"
    (events / "part").mkdir(parents=True)
    (events / "part" / "a.parquet").write_bytes(b"one")
    before = notebooks.fingerprint([events])
    (events / "part" / "a.parquet").write_bytes(b"two")
    after = notebooks.fingerprint([events])
    assert list(before) == list(after) and before != after


def _parameter(source: Path, name: str) -> object:
    import jupytext

    cell = next(c for c in jupytext.read(source).cells if "parameters" in c.metadata.get("tags", []))
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            return ast.literal_eval(node.value)
    raise AssertionError(f"{source.name}: no {name} in its parameters cell")


def test_notebooks_run_by_hand_write_to_their_own_folder_not_a_runs():
    sources = sorted(paths.notebooks().glob("[0-9]*.py"))
    assert len(sources) >= 6
    for source in sources:
        assert _parameter(source, "run_name") == cli_run.INTERACTIVE_NAME, source.name
    assert cli_run.INTERACTIVE_NAME not in (cli_run.DEFAULT_NAME, "your-data")


def test_a_run_may_not_take_the_interactive_folders_name():
    parser = __import__("argparse").ArgumentParser()
    cli_run.configure_parser(parser)
    with pytest.raises(ParameterError, match="--name lab: .* by hand"):
        cli_run.plan_run(parser.parse_args(["--name", "lab"]))
