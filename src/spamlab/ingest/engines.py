"""Engines that run parse tasks: local worker processes or a Dask cluster.

Both hand every finished :class:`~spamlab.ingest.parse.TaskResult` to a
callback as soon as it arrives (in completion order, with the task's index), so
the caller can checkpoint it; the caller restores task order.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing.context import BaseContext
from typing import Any

from tqdm import tqdm

from spamlab.ingest.parse import TaskResult, parse_task
from spamlab.mail.containers import Task

__all__ = [
    "ENGINES",
    "ResultCallback",
    "die_with_parent",
    "run_dask",
    "run_local",
    "run_tasks",
]

#: Names of the engines :func:`run_tasks` knows.
ENGINES = ("local", "dask")

#: ``on_result(index, result)``: receives each finished task's result.
ResultCallback = Callable[[int, TaskResult], Any]


def run_tasks(tasks: Sequence[Task], indices: Sequence[int], on_result: ResultCallback, *,
              engine: str = "local", workers: int | None = None, scheduler: Any = None,
              progress: bool = False, initial: int = 0) -> None:
    """Parse ``tasks`` on ``engine``, passing ``(indices[i], result)`` to ``on_result``.

    Parameters
    ----------
    tasks, indices
        The tasks to run and the index that labels each one's result.
    on_result
        Called once per task, in the order the tasks finish.
    engine
        ``"local"`` (:func:`run_local`) or ``"dask"`` (:func:`run_dask`).
    workers, scheduler
        Local worker processes (default: all cores); Dask scheduler address or client.
    progress, initial
        Show a tqdm bar of messages/s on a terminal, starting from ``initial`` messages.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from spamlab.mail import containers
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "m1").write_bytes(b"Date: 1 Mar 2011 10:00 +0000\\n\\nhi")
    >>> tasks = containers.plan_tasks(containers.discover([folder]))
    >>> seen = []
    >>> run_tasks(tasks, [7], lambda index, result: seen.append((index, result.n_messages)))
    >>> seen
    [(7, 1)]
    """
    bars: list[Any] = []

    def report(index: int, result: TaskResult) -> None:
        if not bars:  # created on the first result, after worker processes have started
            bars.append(_progress_bar(progress, initial))
        on_result(index, result)
        bars[0].update(result.n_messages)

    try:
        if engine == "local":
            run_local(tasks, indices, report, workers=workers)
        else:
            run_dask(tasks, indices, report, scheduler=scheduler)
    finally:
        for bar in bars:
            bar.close()


class _NoProgress:
    """Stands in for a disabled tqdm bar (a tqdm object, even disabled, starts a monitor
    thread, and a live thread makes the next run in this process spawn its workers)."""

    def update(self, n: int = 1) -> None:
        """Ignore progress."""

    def close(self) -> None:
        """Nothing to close."""


class _Bar(tqdm):
    """tqdm without its monitor thread: a thread left alive in this process would stop the
    next tasks run here from forking (their workers are then spawned, and a 7z folder is
    decoded in a thread, not in a child process: spamlab.mail.folder_decoder)."""

    monitor_interval = 0


def _progress_bar(enabled: bool, initial: int) -> Any:
    if not (enabled and sys.stderr.isatty()):
        return _NoProgress()
    return _Bar(total=None, initial=initial, unit="msg", unit_scale=True, desc="ingest",
                file=sys.stderr, mininterval=0.5)


def run_local(tasks: Sequence[Task], indices: Sequence[int], on_result: ResultCallback, *,
              workers: int | None = None) -> None:
    """Run tasks in a process pool (or in-process for one worker or one task)."""
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(tasks) <= 1:
        for index, task in zip(indices, tasks):
            on_result(index, parse_task(task))
        return
    gc.freeze()  # forked workers then leave the parent's objects (and their pages) alone
    try:
        with ProcessPoolExecutor(max_workers=min(workers, len(tasks)),
                                 mp_context=_process_context(), initializer=die_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            futures = {pool.submit(parse_task, task): index
                       for index, task in zip(indices, tasks)}
            for future in as_completed(futures):
                on_result(futures[future], future.result())
    finally:
        gc.unfreeze()


def die_with_parent(parent: int) -> None:
    """End this worker process when process ``parent`` dies, however it dies.

    A worker waiting for its next task would otherwise wait forever after the
    parent is killed (``SIGKILL`` leaves no chance to shut the pool down). On
    Linux the kernel sends ``SIGKILL`` on the parent's death
    (``prctl(PR_SET_PDEATHSIG)``); elsewhere a daemon thread checks every 0.5 s
    whether the worker has been handed to another parent. Runs as the pool's
    ``initializer``.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:  # died before the request took effect
                os._exit(1)
            return
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                     name="spamlab-parent-watch").start()


#: ``prctl`` option: the signal this process gets when its parent dies (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _process_context() -> BaseContext:
    """``fork`` when it is safe (POSIX, no other threads running), else ``spawn``.

    Forked workers start in milliseconds and need no ``if __name__ == "__main__"``
    guard; with other threads alive (Jupyter, a progress-bar monitor) forking is
    unsafe, so workers are spawned instead.
    """
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def run_dask(tasks: Sequence[Task], indices: Sequence[int], on_result: ResultCallback, *,
             scheduler: Any) -> None:
    """Run tasks on a Dask cluster given by address or as a ``distributed.Client``."""
    # Imported here because only this engine needs it: importing distributed takes longer
    # than the whole start-up of ``spamlab ingest`` (not to break an import cycle).
    from distributed import Client
    from distributed import as_completed as dask_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        futures = client.map(parse_task, list(tasks), pure=False)
        position = {future.key: index for future, index in zip(futures, indices)}
        for future in dask_completed(futures):
            on_result(position[future.key], future.result())
            future.release()
    finally:
        if client is not scheduler:
            client.close()
