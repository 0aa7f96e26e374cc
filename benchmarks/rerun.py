"""Benchmark: how long a user waits for ``spamlab run --data`` after changing one date.

A synthetic daily export (labelled synthetic: five months, 2011-01-01 to 2011-05-31,
Poisson counts with a drop on 2011-03-16) is analysed by the notebooks of a ``--data``
run (02, 04, 05), timed in the same run three ways:

(a) cold, the way runs worked before warm kernels: each notebook on a kernel of its
    own, one after another (``notebooks.execute`` without a kernel, then the HTML export);
    for each notebook the kernel start-up (start a kernel, import spamlab, an empty
    notebook) is timed apart from the work;
(b) warm, one kernel: ``notebooks.execute_plan`` with ``kernels=1`` (one start-up and
    one import of spamlab for all notebooks);
(c) warm, one kernel per core (the default of ``spamlab run``);
(d) ``spamlab run --data`` as a user types it (a new process: interpreter, imports,
    reading the file, the run, results.json), the figure the issue asks for (< 8 s on
    the 2-core reference machine).

Prints seconds and the ratios against (a). Each timing is the best of ``--repeat``
runs (the machine may be shared). Run: ``python benchmarks/rerun.py`` (``make bench``).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from spamlab import kernels, notebooks, paths, report
from spamlab.cli import build_parser
from spamlab.cli import run as cli_run

DATA_NOTEBOOKS = notebooks.YOUR_DATA
INTERRUPTION = "2011-03-16 14:45"


def write_export(folder: Path) -> Path:
    """A five-month synthetic daily export (``day,spam``) with a fall at the interruption."""
    rng = np.random.default_rng(1)
    days = pd.date_range("2011-01-01", "2011-05-31", freq="D")
    level = np.where(days < pd.Timestamp(INTERRUPTION), 5000.0, 3200.0)
    frame = pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "spam": rng.poisson(level)})
    path = folder / "synthetic-export.csv"
    frame.to_csv(path, index=False)
    return path


def run_command(data: Path, reports: Path, name: str) -> list[str]:
    """The ``spamlab run --data`` command line of this benchmark."""
    return [str(Path(sys.executable).with_name("spamlab")), "run", "--data", str(data),
            "--date-col", "day", "--value-col", "spam", "--interruption", INTERRUPTION,
            "--name", name, "--reports-dir", str(reports)]


def plan_for(data: Path, reports: Path, name: str, n_kernels: int | None) -> notebooks.RunPlan:
    """The run plan the CLI builds for :func:`run_command`, with ``n_kernels`` kernels."""
    arguments = build_parser("run").parse_args(run_command(data, reports, name)[1:])
    return dataclasses.replace(cli_run.plan_run(arguments), kernels=n_kernels)


def best_of(repeat: int, action: Callable[[], object]) -> float:
    """Best wall time of ``repeat`` calls of ``action``."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def cold_run(plan: notebooks.RunPlan, out: Path) -> dict[str, float]:
    """Each notebook on a kernel of its own, in turn; seconds per notebook."""
    out.mkdir(parents=True, exist_ok=True)
    parameters = {**plan.parameters, "reports_dir": str(out)}
    seconds = {}
    for name in plan.notebooks:
        started = time.perf_counter()
        executed = notebooks.execute(plan.notebooks_dir / f"{name}.py", out, parameters, 600)
        report.export_html(executed)
        seconds[name] = time.perf_counter() - started
    return seconds


def kernel_start_up(folder: Path) -> float:
    """Seconds to start one kernel and import spamlab in it (what every cold notebook pays)."""
    with tempfile.TemporaryDirectory(prefix="spamlab-bench-") as sockets:
        started = time.perf_counter()
        kernel = kernels.start_kernel(notebooks.KERNEL, Path(sockets) / "k", folder, "bench")
        took = time.perf_counter() - started
        kernels.shut_down(kernel)
    return took


def cell_seconds(run: Path) -> dict[str, float]:
    """Seconds the code cells of each executed notebook of ``run`` took (papermill's record)."""
    import nbformat

    seconds = {}
    for path in sorted(run.glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        seconds[path.stem] = sum(cell.metadata.get("papermill", {}).get("duration") or 0.0
                                 for cell in cells)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; notebooks {', '.join(DATA_NOTEBOOKS)}")
    with tempfile.TemporaryDirectory(prefix="spamlab-rerun-") as tmp, \
            open(os.devnull, "w", encoding="utf-8") as quiet:
        folder = Path(tmp)
        data = write_export(folder)
        start_up = min(kernel_start_up(folder) for _ in range(args.repeat))
        per_notebook: dict[str, float] = {}

        def cold() -> None:
            per_notebook.update(cold_run(plan_for(data, folder / "cold", "cold", 1), folder / "cold"))

        timings = {"(a) cold: a kernel per notebook, in turn": best_of(args.repeat, cold)}
        for label, n_kernels in (("(b) warm: one kernel", 1), ("(c) warm: one kernel per core", None)):
            plan = plan_for(data, folder / "warm", "warm", n_kernels)
            timings[label] = best_of(args.repeat, functools.partial(
                notebooks.execute_plan, plan, stream=quiet, out=quiet))
        cells = cell_seconds(folder / "warm" / "warm")
        command = run_command(data, folder / "cli", "rerun")
        timings["(d) spamlab run --data (new process)"] = best_of(args.repeat, lambda: subprocess.run(
            command, check=True, capture_output=True))
    print(f"kernel start-up + import of spamlab: {start_up:.2f} s per kernel")
    for name, took in per_notebook.items():
        print(f"  cold {name}: {took:.2f} s, of which start-up ~{start_up:.2f} s, "
              f"work and HTML ~{took - start_up:.2f} s")
    cores = os.cpu_count() or 1
    floor = start_up + sum(cells.values()) / cores
    print(f"the notebooks' cells alone: {', '.join(f'{k} {v:.2f} s' for k, v in cells.items())}")
    print(f"floor (one kernel start-up, then the cells spread perfectly over {cores} cores, no "
          f"overhead at all): {floor:.2f} s")
    base = timings["(a) cold: a kernel per notebook, in turn"]
    for label, took in timings.items():
        print(f"{label:45s} {took:6.2f} s   {took / base:5.2f}x of (a)")
    print(f"(reports root of the CLI run: {paths.reports()} is not touched; all in {tmp})")


if __name__ == "__main__":
    main()
