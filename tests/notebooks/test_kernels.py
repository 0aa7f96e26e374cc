"""Warm kernels: notebooks sharing a kernel see a fresh namespace, and no kernel outlives a run.

Small throwaway notebooks stand in for the analysis."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import psutil
import pytest

from spamlab import notebooks

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("notebook_runs")]

FIRST = '''# %% tags=["parameters"]
reports_dir = None

# %%
warm_names = sorted(name for name in globals() if not name.startswith("_")
                    and name not in {"In", "Out", "get_ipython", "exit", "quit", "open", "reports_dir"})
import matplotlib
from spamlab import report
leaked = "from the first notebook"
matplotlib.rcParams["axes.grid"] = True  # off in a fresh kernel: importing spamlab sets nothing
matplotlib.rcParams["axes.titlepad"] = 17.0
report.write_fragment(report.run_dir("r", reports_dir), "01-first",
                      {"first": True, "warm_names": warm_names, "synthetic": False})

# %%
get_ipython().history_manager.writeout_cache()  # this notebook's cells, in IPython's history
'''

SECOND = '''# %% tags=["parameters"]
reports_dir = None

# %%
import matplotlib
from spamlab import report
seen = {"leaked": "leaked" in globals(), "grid": bool(matplotlib.rcParams["axes.grid"]),
        "titlepad": float(matplotlib.rcParams["axes.titlepad"]), "synthetic": False}
report.write_fragment(report.run_dir("r", reports_dir), "02-second", seen)

# %%
get_ipython().history_manager.writeout_cache()  # numbered from 1 again: no clash with the first
'''


def _plan(tmp_path: Path, kernels: int | None) -> notebooks.RunPlan:
    (tmp_path / "nb").mkdir(exist_ok=True)
    (tmp_path / "nb" / "01-first.py").write_text(FIRST, encoding="utf-8")
    (tmp_path / "nb" / "02-second.py").write_text(SECOND, encoding="utf-8")
    root = tmp_path / "reports"
    names = ("01-first", "02-second")
    return notebooks.RunPlan("r", root / "r", names, {"reports_dir": str(root)}, tmp_path / "nb",
                             timeout=120, html=False, planned=names, kernels=kernels)


def test_a_shared_kernel_gives_each_notebook_a_fresh_namespace_and_settings(tmp_path, capsys):
    results = notebooks.execute_plan(_plan(tmp_path, kernels=1))
    assert results["first"] is True
    assert results["warm_names"] == []  # the warm-up left nothing in the first one's namespace
    assert results["leaked"] is False  # the first notebook's names are gone
    assert results["grid"] is False  # matplotlib's own setting: spamlab's theme is not global
    assert results["titlepad"] != 17.0  # and every other setting as a fresh kernel has it
    second = nbformat.read(tmp_path / "reports" / "r" / "02-second.ipynb", as_version=4)
    counts = [cell.execution_count for cell in second.cells if cell.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))  # numbered as in a fresh kernel
    printed = [output.get("text", "") for cell in second.cells if cell.cell_type == "code"
               for output in cell.outputs]
    assert not any("not unique" in text for text in printed), printed  # IPython's history


def test_no_kernel_outlives_a_run_on_several_kernels(tmp_path, capsys):
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    notebooks.execute_plan(_plan(tmp_path, kernels=2))
    log = json.loads((tmp_path / "reports" / "r" / "run_log.json").read_text(encoding="utf-8"))
    assert list(log["seconds"]) == ["01-first", "02-second"]  # in plan order
    after = psutil.Process().children(recursive=True)
    alive = [child for child in after if child.pid not in before and child.is_running()
             and child.status() != psutil.STATUS_ZOMBIE]
    assert alive == []


def test_kernel_count_is_one_per_core_and_at_most_one_per_notebook(tmp_path, monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert notebooks.kernel_count(len(_plan(tmp_path, kernels=None).notebooks)) == 2  # two notebooks
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert notebooks.kernel_count(len(_plan(tmp_path, kernels=None).notebooks)) == 1
    assert notebooks.kernel_count(2, wanted=5) == 2


def test_folders_left_by_killed_runs_are_removed_at_the_next_pool(tmp_path, monkeypatch):
    # a run killed with SIGKILL cannot remove its sockets' folder; the next run does
    import subprocess
    import sys
    import tempfile

    from spamlab import kernels

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    dead = tmp_path / f"{kernels.FOLDER_PREFIX}{int(finished.stdout)}-abc"
    live = tmp_path / f"{kernels.FOLDER_PREFIX}{__import__('os').getpid()}-def"
    unnamed = tmp_path / f"{kernels.FOLDER_PREFIX}xyz"
    for folder in (dead, live, unnamed):
        folder.mkdir()
        (folder / "kernel-1-1").write_text("")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with kernels.KernelPool(0, "python3") as pool:
        assert pool.take() is None
        assert not dead.exists() and live.exists() and unnamed.exists()
        own = [p for p in tmp_path.iterdir() if p not in (live, unnamed)]
        assert len(own) == 1 and own[0].name.startswith(f"{kernels.FOLDER_PREFIX}{__import__('os').getpid()}-")
    assert sorted(tmp_path.iterdir()) == sorted([live, unnamed])
