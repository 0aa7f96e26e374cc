"""The analysis notebooks: which ones a run executes, and executing them.

A run executes notebooks into one folder, ``reports/<name>/``: each jupytext
``.py`` source is converted, executed with papermill on this environment's
``python3`` kernel (:func:`check_kernel`), saved as ``.ipynb`` (and HTML), and the
notebooks' result fragments are merged into ``results.json``
(:func:`spamlab.report.write_results`). A failing cell raises
:class:`NotebookFailed` naming the notebook, the cell and the error.

:class:`RunPlan` says what to execute; the command line builds one from its
options (:mod:`spamlab.cli.run`) and hands it to :func:`execute_plan`.

Examples
--------
>>> from spamlab import notebooks, paths
>>> notebooks.STORY[0]
'01-published-figures'
>>> sorted(notebooks.declared_parameters(paths.notebooks() / "01-published-figures.py"))[:3]
['data', 'date_col', 'interruption']
"""

from __future__ import annotations

import ast
import contextlib
import errno
import hashlib
import json
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

from spamlab import kernels, warnlog
from spamlab.errors import ParameterError, SpamlabError

__all__ = [
    "ATTRIBUTION",
    "FAILED_MARK",
    "KERNEL",
    "STORY",
    "YOUR_DATA",
    "NotebookFailed",
    "RunPlan",
    "check_kernel",
    "declared_parameters",
    "describe_failure",
    "execute",
    "execute_plan",
    "fingerprint",
    "kernel_count",
]

#: the Rustock story, run on the published figures, the synthetic scenario and (06) a
#: synthetic spam trap with botnets in it
STORY: tuple[str, ...] = (
    "01-published-figures", "02-rustock-its", "03-the-missing-5-billion", "04-robustness",
    "06-what-vanished", "07-after-the-takedown",
)
#: the notebooks that run on a daily series you bring
YOUR_DATA: tuple[str, ...] = ("02-rustock-its", "04-robustness", "05-your-data")
#: the notebook that accounts for a fall source by source: with ``--sources`` after
#: :data:`YOUR_DATA`, alone on ingested mail (``--events``)
ATTRIBUTION: tuple[str, ...] = ("06-what-vanished", "07-after-the-takedown")
#: the Jupyter kernel every notebook runs on
KERNEL = "python3"


class NotebookFailed(SpamlabError):
    """A notebook raised an error; the message names the notebook, the cell and the error."""


@dataclass(frozen=True)
class RunPlan:
    """Everything a run needs, checked before any notebook starts.

    Attributes
    ----------
    name : run name, the folder under the reports root
    out_dir : ``<reports root>/<name>``
    notebooks : notebook names in execution order
    parameters : values injected into every notebook's ``parameters`` cell
    notebooks_dir : folder of the jupytext ``.py`` sources
    timeout : seconds allowed per cell (None: no limit)
    html : also export each executed notebook as HTML
    planned : every notebook of this kind of run; results.json merges the fragments of
        all of them present on disk, so a rerun with ``--only`` updates it without loss
    kernels : warm kernels run at once (:func:`kernel_count`); None = one per core
    inputs : content fingerprints of the files the run reads (:func:`fingerprint`), stored
        in results.json; a rerun with ``--only`` must find the same ones
    """

    name: str
    out_dir: Path
    notebooks: tuple[str, ...]
    parameters: Mapping[str, Any]
    notebooks_dir: Path
    timeout: int | None = 600
    html: bool = True
    planned: tuple[str, ...] = ()
    kernels: int | None = None
    inputs: Mapping[str, str] | None = None


def declared_parameters(source: Path) -> set[str]:
    """Names assigned in the cell tagged ``parameters`` of a jupytext notebook source.

    Examples
    --------
    >>> from spamlab import paths
    >>> "seed" in declared_parameters(paths.notebooks() / "05-your-data.py")
    True
    """
    # Imported here, as in execute(), on purpose: jupytext takes seconds to load (its
    # JSON-schema validation), which `spamlab run --help` and the option checks that
    # come before this one should not wait for.
    import jupytext

    for cell in jupytext.read(source).cells:
        if "parameters" in cell.metadata.get("tags", []):
            tree = ast.parse(cell.source)
            return {
                target.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
                for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
                if isinstance(target, ast.Name)
            }
    raise ParameterError(f"{source}: no cell tagged 'parameters'")


def check_kernel(name: str = KERNEL) -> None:
    """Fail unless Jupyter kernel ``name`` starts this environment's Python.

    jupyter_client starts kernels whose command is a bare ``python``/``python3``
    with the current interpreter, so the venv's own kernel spec qualifies; a
    user-level spec pointing at another interpreter would silently run the
    notebooks without spamlab's pinned dependencies.
    """
    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise ParameterError(
            f"no Jupyter kernel {name!r}: run `{sys.executable} -m ipykernel install --sys-prefix`"
        ) from None
    command = spec.argv[0] if spec.argv else ""
    bare = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}
    if command in bare or Path(command).absolute() == Path(sys.executable).absolute():
        return
    raise ParameterError(
        f"Jupyter kernel {name!r} ({spec.resource_dir}) starts {command}, not this environment's "
        f"{sys.executable}; remove that kernel spec or run "
        f"`{sys.executable} -m ipykernel install --sys-prefix`"
    )


def execute_plan(plan: RunPlan, stream: Any = None, out: Any = None,
                 pool: kernels.KernelPool | None = None) -> dict[str, Any]:
    """Execute the plan's notebooks in order, then write ``results.json``; return it.

    A run is all or nothing: the notebooks execute into a hidden build folder next to
    the run's (``<reports>/.<name>.building-*``), which replaces ``plan.out_dir`` only
    when every notebook has succeeded; an interrupted or failed run leaves the previous
    run untouched (a failed one keeps its partial notebooks in ``<name>.failed/``). A
    run of some of the planned notebooks (``--only``) starts from a copy of the
    existing run, which must have been made with the same parameters.

    Progress goes to ``stream`` (default: standard error), the headline results at the
    end to ``out`` (default: standard output); the seconds each notebook took go to
    ``<out_dir>/run_log.json``. The notebooks run on the kernels of ``pool`` (started
    early by the caller), else on :func:`kernel_count` kernels started here.
    """
    # Imported here on purpose: report imports matplotlib's pyplot, which the command line
    # need not load before its kernels start (spamlab.cli.run).
    from spamlab import index_page, report

    stream = stream if stream is not None else sys.stderr
    out = out if out is not None else sys.stdout
    planned = plan.planned or plan.notebooks
    partial = set(plan.notebooks) != set(planned) and plan.out_dir.is_dir()
    if partial:
        _check_same_parameters(plan)
    root = plan.out_dir.parent
    _check_places(plan.out_dir)
    root.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_builds(root, plan.name)
    # the owner's pid is in the name: a run interrupted before it could clean up (Ctrl-C,
    # while its notebook threads still wrote) leaves a folder the next run can tell is dead
    build_root = Path(tempfile.mkdtemp(prefix=f".{plan.name}.building-{os.getpid()}-", dir=root))
    (build_root / "pid").write_text(str(os.getpid()), encoding="utf-8")
    build = build_root / plan.name
    try:
        if partial:
            shutil.copytree(plan.out_dir, build)
        build.mkdir(exist_ok=True)
        for notebook in plan.notebooks:  # a rerun must not keep an old result of these
            (build / "fragments" / f"{notebook}.json").unlink(missing_ok=True)
            (build / warnlog.FOLDER / f"{notebook}.jsonl").unlink(missing_ok=True)
        seconds = _execute_all(plan, build, build_root, stream, pool)
        ran = [nb for nb in planned if (build / f"{nb}.ipynb").is_file()]
        run_info = {"run": plan.name, "reports_dir": str(root), "parameters": dict(plan.parameters),
                    "inputs": dict(plan.inputs or {}), "notebooks_run": ran,
                    "figures": sorted(p.name for p in (build / "figures").glob("*.png"))}
        results = report.write_results(build, planned, extra=run_info)
        if plan.html:  # the entry page: what the run shows, the reading order, the claims
            index_page.write_index(build, results, planned,
                                   glossary=index_page.default_glossary(plan.out_dir))
        log = {"seconds": seconds, "total_seconds": round(sum(seconds.values()), 1)}
        (build / "run_log.json").write_text(json.dumps(log, indent=2) + "\n", encoding="utf-8")
        _replace(build, plan.out_dir)
    finally:
        shutil.rmtree(build_root, ignore_errors=True)
    print(f"spamlab run: {len(plan.notebooks)} notebook(s) in {log['total_seconds']:.1f} s -> "
          f"{plan.out_dir / 'results.json'}", file=stream, flush=True)
    print(report.headline(results, plan.out_dir), file=out, flush=True)
    return results


def _execute_all(plan: RunPlan, build: Path, build_root: Path, stream: Any,
                 pool: kernels.KernelPool | None = None) -> dict[str, float]:
    """Execute (and export) every notebook of the plan into ``build``; seconds per notebook.

    The notebooks run on the warm kernels of ``pool`` (default: :func:`kernel_count`
    new ones), each kernel taking the next notebook of the plan when it is free; the HTML
    exports run one at a time in a thread of their own, so a kernel starts its next
    notebook while the last one is exported. After a failure no further notebook starts;
    the first failure (or interruption) is raised once the notebooks already running
    and the exports have ended.
    """
    pending: queue.SimpleQueue[tuple[int, str]] = queue.SimpleQueue()
    for item in enumerate(plan.notebooks, start=1):
        pending.put(item)
    seconds: dict[str, float] = {}
    failures: list[BaseException] = []
    lock = threading.Lock()
    parameters = {**plan.parameters, "reports_dir": str(build_root)}
    exported: list[Future[Path]] = []
    exporter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spamlab-export")

    def export(executed: Path, notebook: str) -> None:
        exported.append(exporter.submit(_export_html, build, executed, notebook))

    def work(kernel_pool: kernels.KernelPool) -> None:
        try:
            kernel = kernel_pool.take()
            while kernel is not None and not failures:
                try:
                    index, notebook = pending.get_nowait()
                except queue.Empty:
                    return
                seconds[notebook] = _execute_one(plan, notebook, (index, build, build_root),
                                                 parameters, kernel, (stream, lock),
                                                 more=lambda: not pending.empty(),
                                                 export=export if plan.html else None)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            with lock:
                failures.append(exc)
        finally:
            kernels.close_thread_loop()

    with contextlib.ExitStack() as stack:
        stack.callback(exporter.shutdown, cancel_futures=True)  # when interrupted
        if pool is None:
            pool = stack.enter_context(kernels.KernelPool(kernel_count(len(plan.notebooks), plan.kernels), KERNEL))
        threads = [threading.Thread(target=work, args=(pool,), daemon=True)
                   for _ in range(min(pool.count, len(plan.notebooks)))]
        for thread in threads:
            thread.start()
        _load_executors()  # while the kernels start
        for thread in threads:
            thread.join()
        exporter.shutdown(wait=True)
    failures += [error for future in exported if (error := future.exception()) is not None]
    if failures:
        _raise_first(failures[0], plan, build)
    return {notebook: seconds[notebook] for notebook in plan.notebooks}


def kernel_count(n_notebooks: int, wanted: int | None = None) -> int:
    """Kernels a run starts: ``wanted``, else one per core, at most one per notebook.

    Examples
    --------
    >>> kernel_count(3, wanted=2), kernel_count(1, wanted=4)
    (2, 1)
    """
    return max(1, min(wanted or os.cpu_count() or 1, n_notebooks))


def _load_executors() -> None:
    """Import what executing and exporting a notebook needs (jupytext, papermill, nbconvert's
    HTML exporter: about a second in all), so the first notebook of each kernel does not wait
    for it; :func:`_execute_all` calls it while the kernels start."""
    import jupytext  # noqa: F401
    import nbconvert.exporters.html  # noqa: F401
    import papermill  # noqa: F401


def _export_html(build: Path, executed: Path, notebook: str) -> Path:
    """The HTML report of the executed ``notebook``, with its warnings and findings."""
    from spamlab import report

    return report.export_html(executed, warnings=report.notebook_warnings(build, notebook),
                              findings=report.notebook_findings(build, notebook))


def _execute_one(plan: RunPlan, notebook: str, where: tuple[int, Path, Path],
                 parameters: Mapping[str, Any], kernel: kernels.WarmKernel,
                 output: tuple[Any, threading.Lock],
                 more: Callable[[], bool] = lambda: False,
                 export: Callable[[Path, str], None] | None = None) -> float:
    """Execute notebook number ``where[0]`` on ``kernel`` into ``where[1]``; seconds.

    The executed notebook is handed to ``export`` (its HTML report, made meanwhile; None:
    made here, before returning). When ``more()`` says another notebook waits, the kernel
    starts clearing its namespace at once (:meth:`spamlab.kernels.WarmKernel.clear_soon`).
    """
    index, build, build_root = where
    stream, lock = output
    total = len(plan.notebooks)
    with lock:
        print(f"spamlab run: [{index}/{total}] {notebook} ...", file=stream, flush=True)
    started = time.perf_counter()
    kernel.reset(build, notebook)
    executed = execute(plan.notebooks_dir / f"{notebook}.py", build, parameters, plan.timeout,
                       kernel=kernel)
    if more():
        kernel.clear_soon()
    _relocate(executed, build_root, plan.out_dir.parent)
    if export is not None:  # one export at a time: nbconvert's templates are not thread-safe
        export(executed, notebook)
    elif plan.html:
        _export_html(build, executed, notebook)
    took = round(time.perf_counter() - started, 1)
    with lock:
        print(f"spamlab run: [{index}/{total}] {notebook} done in {took:.1f} s",
              file=stream, flush=True)
    return took


#: file that marks a folder as a failed run's partial build (the only kind replaced by the next)
FAILED_MARK = ".spamlab-failed-run"


def _raise_first(failure: BaseException, plan: RunPlan, build: Path) -> None:
    """Raise a worker's failure in the main thread; a failed notebook keeps the partial run
    in ``<name>.failed/``, replacing only an earlier failed build there (never anything else)."""
    if isinstance(failure, NotebookFailed):
        (build / FAILED_MARK).write_text(f"{plan.name}\n", encoding="utf-8")
        failed = plan.out_dir.with_name(f"{plan.name}.failed")
        number = 1
        while failed.is_symlink() or (failed.exists() and not (failed / FAILED_MARK).is_file()):
            number += 1  # someone else's folder (or link) of that name: left as it is
            failed = plan.out_dir.with_name(f"{plan.name}.failed-{number}")
        _replace(build, failed)
        raise NotebookFailed(str(failure).replace(str(build), str(failed))) from None
    raise failure


def _check_places(out_dir: Path) -> None:
    """The run folder and the reports folder are folders (or absent), not files or links."""
    root = out_dir.parent
    if root.exists() and not root.is_dir():
        raise ParameterError(f"--reports-dir {root} is a file, not a folder: move it or choose "
                             f"another --reports-dir")
    if out_dir.is_symlink():
        raise ParameterError(f"the run folder {out_dir} is a symbolic link; a run replaces its "
                             f"folder whole and never writes through a link: remove it or "
                             f"choose another --name")
    if out_dir.exists() and not out_dir.is_dir():
        raise ParameterError(f"the run folder {out_dir} is a file, not a folder: move it or "
                             f"choose another --name")


def _remove_abandoned_builds(root: Path, name: str) -> None:
    """Delete build folders of run ``name`` whose process is gone (a killed run's leftovers).

    The owner is the pid in the folder's name (``.NAME.building-PID-*``) or, for folders of
    older versions, in its ``pid`` file; a folder of a live process, of another user's, or
    whose owner cannot be told is left alone.
    """
    for folder in root.glob(f".{name}.building-*"):
        if folder.is_symlink() or not folder.is_dir() or folder.stat().st_uid != os.getuid():
            continue
        owner = folder.name[len(f".{name}.building-"):].split("-", 1)[0]
        try:
            pid = int(owner) if owner.isdigit() else int(
                (folder / "pid").read_text(encoding="utf-8"))
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (OSError, ValueError):  # no owner to be found, or another user's process
            continue


def _check_same_parameters(plan: RunPlan) -> None:
    """A partial rerun may only add to a run made with the same parameters and the same data."""
    from spamlab import report

    previous = plan.out_dir / "results.json"
    made = json.loads(previous.read_text(encoding="utf-8")) if previous.is_file() else {}
    if made.get("parameters") != report.jsonable(dict(plan.parameters)):
        raise ParameterError(
            f"run {plan.name!r} in {plan.out_dir.parent} was made with other parameters (or did "
            f"not finish); rerun all its notebooks (without --only) or choose another --name")
    before, now = made.get("inputs") or {}, dict(plan.inputs or {})
    changed = sorted(path for path in set(before) | set(now) if before.get(path) != now.get(path))
    if changed:
        raise ParameterError(
            f"run {plan.name!r} in {plan.out_dir.parent} was made from other data: {changed[0]} "
            f"has changed since (sha256 {str(before.get(changed[0]))[:12]} then, "
            f"{str(now.get(changed[0]))[:12]} now); a run must be about one version of its data, "
            f"so rerun all its notebooks (without --only) or choose another --name")


def fingerprint(paths: Iterable[Path]) -> dict[str, str]:
    """The SHA-256 of each file given, and of every file inside each folder given, by path.

    A run records these (``results.json``, ``inputs``), so a partial rerun can tell
    that a data file was replaced since (:func:`execute_plan`).

    Examples
    --------
    >>> import tempfile
    >>> data = Path(tempfile.mkdtemp()) / "counts.csv"
    >>> _ = data.write_text("date,count\\n2011-03-01,5\\n")
    >>> fingerprint([data])[str(data)][:12]
    'f4e7393e8045'
    """
    prints: dict[str, str] = {}
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest = hashlib.sha256()
            with file.open("rb") as stream:
                for block in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(block)
            prints[str(file)] = digest.hexdigest()
    return prints


def _relocate(notebook: Path, build_root: Path, root: Path) -> None:
    """Write the run's final reports folder instead of the build folder into the notebook."""
    text = notebook.read_text(encoding="utf-8")
    notebook.write_text(text.replace(str(build_root), str(root)), encoding="utf-8")


def _replace(source: Path, target: Path) -> None:
    """Put folder ``source`` in the place of ``target`` (moved away and removed if present).

    Safe against another run replacing ``target`` at the same moment: the last one wins,
    and ``target`` is always one whole run.
    """
    while True:
        try:
            source.rename(target)  # succeeds when target is absent (or an empty folder)
            return
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
        holder = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        try:
            target.rename(holder / target.name)
        except FileNotFoundError:  # another run moved it away first
            pass
        shutil.rmtree(holder, ignore_errors=True)


def execute(
    source: Path, out_dir: Path, parameters: Mapping[str, Any], timeout: int | None = 600,
    *, kernel: kernels.WarmKernel | None = None,
) -> Path:
    """Convert a jupytext ``.py`` source and execute it with papermill into ``out_dir``.

    Only the ``parameters`` the notebook declares are injected. Returns the executed
    ``.ipynb``. A failing cell raises :class:`NotebookFailed` naming the notebook, the
    cell (index and first line) and the error; the partially executed notebook is
    kept for inspection.

    Without ``kernel`` the notebook gets a kernel of its own, started in ``out_dir``,
    whose sockets live in a private temporary folder, so runs in the same folder at
    the same time do not meet; with a :class:`spamlab.kernels.WarmKernel` (started in
    ``out_dir``, namespace already reset) it runs on that one, which stays up.
    """
    # Imported here on purpose: jupytext and papermill take seconds to load, which
    # `spamlab run --help` and a run refused by its option checks should not wait for.
    import jupytext
    import papermill
    from papermill.exceptions import PapermillExecutionError

    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {
        "name": KERNEL, "display_name": "Python 3 (ipykernel)", "language": "python"
    }
    target = out_dir / f"{source.stem}.ipynb"
    with tempfile.TemporaryDirectory(prefix="spamlab-run-") as tmp:
        converted = Path(tmp) / target.name
        jupytext.write(notebook, converted)
        declared = declared_parameters(source)
        try:
            # on a warm kernel (started in out_dir), or on a kernel of its own
            where = ({"km": kernel.manager} if kernel is not None else
                     {"config": kernels.kernel_config(Path(tmp) / "kernel-ipc"), "cwd": str(out_dir)})
            papermill.execute_notebook(
                str(converted), str(target), kernel_name=KERNEL,
                parameters={k: v for k, v in parameters.items() if k in declared},
                progress_bar=False, execution_timeout=timeout, **where,
            )
        except PapermillExecutionError as exc:
            raise NotebookFailed(describe_failure(source.stem, exc, target)) from None
    return target


def describe_failure(notebook: str, exc: Any, saved: Path) -> str:
    """One readable paragraph about a papermill execution error.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> err = SimpleNamespace(cell_index=4, exec_count=3, source="x = 1/0",
    ...                       ename="ZeroDivisionError", evalue="division by zero")
    >>> print(describe_failure("05-your-data", err, Path("r/05-your-data.ipynb")))
    notebook 05-your-data failed in cell 4 (In [3]: x = 1/0): ZeroDivisionError: division by zero
      the partly executed notebook is r/05-your-data.ipynb
    """
    first_line = next((line for line in str(exc.source).splitlines() if line.strip()), "")
    return (
        f"notebook {notebook} failed in cell {exc.cell_index} (In [{exc.exec_count}]: "
        f"{first_line.strip()}): {exc.ename}: {exc.evalue}\n"
        f"  the partly executed notebook is {saved}"
    )
