"""A run is all or nothing, runs do not meet, figures display, HTML shows the run's parameters.

Small throwaway notebooks stand in for the analysis (each kernel start costs seconds)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from spamlab import notebooks
from spamlab.errors import ParameterError

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("notebook_runs")]

SOURCE = '''# %% tags=["parameters"]
label = "default-label"
fail = False
run_name = "x"
reports_dir = None

# %%
from matplotlib.figure import Figure
from spamlab import report
run = report.run_dir(run_name, reports_dir)

# %%
fig = Figure()
fig.add_subplot().plot([1, 2, 3])
report.save_figure(fig, run, f"figure-{label}")

# %%
assert not fail, "asked to fail"
report.write_fragment(run, "01-tiny", {"label": label, "synthetic": False})
'''


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "01-tiny.py").write_text(SOURCE, encoding="utf-8")
    return tmp_path


def _plan(folder: Path, label: str, fail: bool = False, name: str = "r") -> notebooks.RunPlan:
    root = folder / "reports"
    parameters = {"label": label, "fail": fail, "run_name": name, "reports_dir": str(root)}
    return notebooks.RunPlan(name, root / name, ("01-tiny",), parameters, folder / "nb",
                             timeout=120, html=True, planned=("01-tiny",))


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*") if p.name.startswith(("kernel-ipc", ".r.")))


def test_a_rerun_replaces_the_run_whole_and_leaves_nothing_behind(folder, capsys):
    notebooks.execute_plan(_plan(folder, "first"))
    results = notebooks.execute_plan(_plan(folder, "second"))
    run = folder / "reports" / "r"
    assert sorted(p.name for p in (run / "figures").iterdir()) == ["figure-second.png"]
    assert results["label"] == "second" and results["notebooks_run"] == ["01-tiny"]
    assert json.loads((run / "results.json").read_text())["label"] == "second"
    assert _leftovers(folder / "reports") == []  # no kernel sockets, no build folders
    # the notebook and its HTML name the run's folder, not the build folder it ran in
    executed = (run / "01-tiny.ipynb").read_text(encoding="utf-8")
    assert f'reports_dir = \\"{folder / "reports"}\\"' in executed and ".building-" not in executed
    assert "reports:" in capsys.readouterr().out  # the headline ends the run


def test_a_killed_runs_build_folder_is_removed_by_the_next_run(folder):
    dead = _dead_pid()
    stale = folder / "reports" / ".r.building-killed"
    (stale / "r").mkdir(parents=True)
    (stale / "pid").write_text(str(dead))
    notebooks.execute_plan(_plan(folder, "after"))
    assert not stale.exists()
    assert _leftovers(folder / "reports") == []


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_failed_run_leaves_the_previous_run_untouched(folder):
    notebooks.execute_plan(_plan(folder, "good"))
    with pytest.raises(notebooks.NotebookFailed, match=r"asked to fail\n.*r\.failed/01-tiny\.ipynb"):
        notebooks.execute_plan(_plan(folder, "bad", fail=True))
    run = folder / "reports" / "r"
    assert json.loads((run / "results.json").read_text())["label"] == "good"
    assert sorted(p.name for p in (run / "figures").iterdir()) == ["figure-good.png"]
    assert (folder / "reports" / "r.failed" / "01-tiny.ipynb").is_file()  # kept for inspection
    assert _leftovers(folder / "reports") == []


def test_saved_figures_display_as_images_and_html_shows_the_injected_parameters(folder):
    notebooks.execute_plan(_plan(folder, "shown"))
    run = folder / "reports" / "r"
    executed = nbformat.read(run / "01-tiny.ipynb", as_version=4)
    figure_cell = next(c for c in executed.cells if "save_figure" in c.source)
    assert any("image/png" in o.get("data", {}) for o in figure_cell.outputs)  # not "<Figure ...>"
    html = (run / "01-tiny.html").read_text(encoding="utf-8")
    assert "shown" in html and "default-label" not in html
    assert 'src="http' not in html  # self-contained: no require.js or MathJax from a CDN


CHILD = """
import sys
from pathlib import Path
from spamlab import notebooks
from spamlab.errors import ParameterError
folder, label = Path(sys.argv[1]), sys.argv[2]
root = folder / "reports"
notebooks.execute_plan(notebooks.RunPlan(
    "r", root / "r", ("01-tiny",), {"label": label, "fail": False, "run_name": "r",
                                    "reports_dir": str(root)},
    folder / "nb", timeout=120, html=False, planned=("01-tiny",)))
"""


def test_two_runs_of_the_same_name_at_once_both_finish(folder):
    children = [subprocess.Popen([sys.executable, "-c", CHILD, str(folder), label],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for label in ("left", "right")]
    outcomes = [child.communicate(timeout=300) for child in children]
    assert [child.returncode for child in children] == [0, 0], outcomes
    label = json.loads((folder / "reports" / "r" / "results.json").read_text())["label"]
    figures = [p.name for p in (folder / "reports" / "r" / "figures").iterdir()]
    assert label in ("left", "right") and figures == [f"figure-{label}.png"]  # one whole run
    assert _leftovers(folder / "reports") == []


def test_an_interrupted_run_leaves_the_previous_run_untouched(folder, monkeypatch):
    run = folder / "reports" / "r"
    (run / "fragments").mkdir(parents=True)
    (run / "fragments" / "01-tiny.json").write_text('{"label": "previous"}')
    (run / "results.json").write_text('{"label": "previous"}')

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C while a notebook runs

    monkeypatch.setattr(notebooks, "execute", interrupted)
    with pytest.raises(KeyboardInterrupt):
        notebooks.execute_plan(_plan(folder, "new"))
    assert json.loads((run / "results.json").read_text()) == {"label": "previous"}
    assert (run / "fragments" / "01-tiny.json").is_file()  # the old run is whole
    assert _leftovers(folder / "reports") == []


def test_a_failed_run_never_deletes_a_folder_it_did_not_make(folder):
    """Issue 22, case 4: a failed run `r` replaced `reports/r.failed/` whatever it held."""
    theirs = folder / "reports" / "r.failed"
    theirs.mkdir(parents=True)
    (theirs / "results.json").write_text('{"theirs": true}')
    with pytest.raises(notebooks.NotebookFailed, match=r"r\.failed-2/01-tiny\.ipynb"):
        notebooks.execute_plan(_plan(folder, "bad", fail=True))
    assert json.loads((theirs / "results.json").read_text()) == {"theirs": True}
    # a second failure replaces its own earlier partial build, and nothing else
    with pytest.raises(notebooks.NotebookFailed, match=r"r\.failed-2/01-tiny\.ipynb"):
        notebooks.execute_plan(_plan(folder, "bad", fail=True))
    assert sorted(p.name for p in (folder / "reports").iterdir() if "failed" in p.name) == [
        "r.failed", "r.failed-2"]


def test_a_run_folder_or_reports_folder_that_is_a_file_stops_before_any_notebook(folder):
    """Issue 22, cases 4 and 10: every notebook ran, then the build was deleted."""
    (folder / "reports").mkdir()
    (folder / "reports" / "r").write_text("a file of mine")
    with pytest.raises(ParameterError, match=r"run folder .*reports/r is a file"):
        notebooks.execute_plan(_plan(folder, "x"))
    assert (folder / "reports" / "r").read_text() == "a file of mine"
    as_file = folder / "elsewhere"
    as_file.write_text("not a folder")
    plan = _plan(folder, "x")
    with pytest.raises(ParameterError, match=r"--reports-dir .*elsewhere is a file"):
        notebooks.execute_plan(notebooks.RunPlan("r", as_file / "r", plan.notebooks,
                                                 plan.parameters, plan.notebooks_dir))


def test_a_build_folder_left_by_an_interrupted_run_without_its_pid_file_is_removed(folder):
    """Issue 22, case 11: Ctrl-C removed the pid file first, then the notebook threads wrote
    into the build folder again; later runs never removed it."""
    stale = folder / "reports" / f".r.building-{_dead_pid()}-abc"
    (stale / "r" / "figures").mkdir(parents=True)
    alive = folder / "reports" / ".r.building-1-abc"  # pid 1 is alive: left alone
    alive.mkdir()
    notebooks.execute_plan(_plan(folder, "after"))
    assert not stale.exists() and alive.is_dir()


def test_run_names_ending_in_failed_are_refused():
    from spamlab import report

    for name in ("x.failed", "x.failed-3"):
        with pytest.raises(ParameterError, match="ending in '.failed'"):
            report.check_run_name(name)
    assert report.check_run_name("x.failed.not") == "x.failed.not"
