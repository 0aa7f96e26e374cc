"""Warm Jupyter kernels: started once per run, each executing notebooks one after another.

A notebook's kernel spends most of a short run starting up and importing pandas,
matplotlib, scipy, statsmodels and spamlab (about 3 s of a 5-9 s notebook on this
project's 2-core reference machine); the models themselves fit in milliseconds.
A run therefore starts a few kernels at once, in the background, as soon as it
begins (:class:`KernelPool`), has each import spamlab while the run is still reading
the data and checking its options, and executes the notebooks on them, each kernel
taking the next notebook when it is free. Between two notebooks a kernel's namespace is cleared
(:data:`RESET_CODE`: IPython's ``%reset -f`` in a new history session, open figures closed, every matplotlib
setting a notebook changed put back as it was after the warm-up (:func:`restore_settings`;
importing spamlab changes none), cell numbers restarting at 1), so a notebook sees
exactly what it would see in a fresh kernel, except for modules already imported. The
warm-up leaves no name behind, so a kernel's first notebook needs no clearing; the
clearing after a notebook can start while its report is exported
(:meth:`WarmKernel.clear_soon`). These calls wait for the kernel's reply on its shell
channel only: a kernel that is already up needs no readiness handshake, whose output
flush alone costs 0.2 s per call.

Examples
--------
>>> RESET_CODE.splitlines()[0]
'get_ipython().reset(new_session=True)'
"""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager
from jupyter_core.utils import ensure_event_loop
from traitlets import List, Type
from traitlets.config import Config

__all__ = ["FOLDER_PREFIX", "RESET_CODE", "START_TIMEOUT", "WARM_CODE", "WARM_MODULES",
           "ClientTrackingKernelManager", "KernelPool", "PromptClient", "WarmKernel",
           "close_thread_loop", "kernel_config", "remember_settings", "remove_stale_folders",
           "restore_settings", "shut_down", "start_kernel", "warm_code"]

#: Name of a run's sockets folder in the temporary directory: ``PREFIX<pid>-<random>``.
FOLDER_PREFIX = "spamlab-kernels-"

#: The modules a warm kernel imports before its first notebook (a run without notebook 06
#: leaves out spamlab.attribution: :func:`warm_code`).
WARM_MODULES: tuple[str, ...] = ("spamlab.attribution", "spamlab.explore", "spamlab.inputs",
                                 "spamlab.its", "spamlab.plots", "spamlab.report")


def warm_code(modules: tuple[str, ...] = WARM_MODULES) -> str:
    """The code a warm kernel runs before its first notebook: import ``modules``, remember
    matplotlib's settings (:func:`remember_settings`), leave no name behind.

    Examples
    --------
    >>> print(warm_code(("spamlab.its",)))
    import spamlab.its
    import spamlab.kernels
    spamlab.kernels.remember_settings()
    del spamlab
    """
    return (f"import {', '.join(modules)}\nimport spamlab.kernels\n"
            "spamlab.kernels.remember_settings()\ndel spamlab")


#: What a warm kernel imports before its first notebook, by default.
WARM_CODE = warm_code()

#: Run between two notebooks in the same kernel.
#: (``%reset -f`` with a new history session: numbering the next notebook's cells from 1
#: again in the old session made IPython's history writer print "ERROR! Session/line number
#: was not unique in database" into whichever cell ran at that moment.)
RESET_CODE = """get_ipython().reset(new_session=True)
import matplotlib.pyplot as _plt, spamlab.kernels as _kernels
_plt.close('all'); _kernels.restore_settings()
del _plt, _kernels
get_ipython().execution_count = 1"""

_REMEMBERED: list[Any] = []  # matplotlib's settings after the warm-up, at most one copy


def remember_settings() -> None:
    """Keep a copy of matplotlib's current settings for :func:`restore_settings`.

    A warm kernel calls it once spamlab is imported (:data:`WARM_CODE`), so every notebook
    it runs later starts from the settings a fresh kernel would have.
    """
    import matplotlib  # here: the command line imports this module and needs no matplotlib

    _REMEMBERED[:] = [matplotlib.rcParams.copy()]


def restore_settings() -> None:
    """Put back every matplotlib setting :func:`remember_settings` kept (nothing when
    nothing was kept): what a notebook changed does not reach the next one.

    Examples
    --------
    >>> import matplotlib
    >>> remember_settings()
    >>> matplotlib.rcParams["axes.titlepad"] = 17.0
    >>> restore_settings()
    >>> matplotlib.rcParams["axes.titlepad"] == _REMEMBERED[0]["axes.titlepad"]
    True
    """
    import matplotlib

    if _REMEMBERED:
        matplotlib.rcParams.update(_REMEMBERED[0])

#: Seconds allowed for a kernel to start, warm up or reset.
START_TIMEOUT = 120


class PromptClient(BlockingKernelClient):
    """A blocking kernel client whose :meth:`wait_for_ready` ends as soon as the kernel has
    answered and its output channel is known to be connected.

    jupyter_client's own waits, after the kernel's reply, until the output channel has
    been quiet for 0.2 s; a run pays that once per notebook (the notebook executor calls
    it) and once per kernel. This one reads the output channel up to the kernel's "idle"
    status for the very request it answered, which proves the same: nothing of the
    handshake is left to read, and nothing the kernel publishes from now on is missed.
    """

    def wait_for_ready(self, timeout: float | None = None) -> None:
        """Wait until the kernel answers a ``kernel_info`` request and its output channel
        delivers the request's closing status (retrying both, as jupyter_client does).

        Raises
        ------
        RuntimeError
            The kernel died or did not answer within ``timeout`` seconds.
        """
        seconds = timeout if timeout is not None else START_TIMEOUT
        deadline = time.monotonic() + seconds
        while True:
            request = self.kernel_info()
            if self._answered(request):
                return
            if not self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {seconds:g} seconds")

    def _answered(self, request: str) -> bool:
        """Whether ``request``'s reply and then its "idle" status arrive (1 s for each)."""
        try:
            reply = self.get_shell_msg(timeout=1)
            while reply["parent_header"].get("msg_id") != request:
                reply = self.get_shell_msg(timeout=1)
            while True:
                message = self.get_iopub_msg(timeout=1)
                if (message["parent_header"].get("msg_id") == request
                        and message["msg_type"] == "status"
                        and message["content"].get("execution_state") == "idle"):
                    break
        except queue.Empty:
            return False
        self._handle_kernel_info_reply(reply)
        return True


class ClientTrackingKernelManager(KernelManager):
    """A kernel manager that remembers the clients it hands out, so they can be closed.

    A notebook executor given a running kernel (papermill, nbclient) leaves its client's
    sockets open when it is done, since it does not own the kernel. Its clients are
    instances of :class:`PromptClient`.
    """

    client_factory = Type(PromptClient)
    handed_out: List[BlockingKernelClient] = List()

    def client(self, **kwargs: Any) -> BlockingKernelClient:
        """A new client of this kernel, remembered until :meth:`close_clients`."""
        client = super().client(**kwargs)
        self.handed_out.append(client)
        return client

    def close_clients(self) -> None:
        """Stop the channels of every client handed out so far."""
        while self.handed_out:
            self.handed_out.pop().stop_channels()


@dataclass
class WarmKernel:
    """One started kernel, and a label for messages.

    ``used`` says whether a notebook ran on it since the warm-up (then :meth:`reset` clears
    the namespace); ``clearing`` is a clearing under way (:meth:`clear_soon`): a client and
    the id of its request.
    """

    manager: ClientTrackingKernelManager
    name: str
    used: bool = False
    clearing: tuple[BlockingKernelClient, str] | None = None

    def run_silently(self, code: str) -> None:
        """Execute ``code`` in the kernel and wait; raise RuntimeError if it fails."""
        self._wait(*self._send(code))

    def _send(self, code: str) -> tuple[BlockingKernelClient, str]:
        """Send ``code`` for silent execution on a new client's shell channel; the client and
        the request's id."""
        client = self.manager.client()
        client.start_channels(iopub=False, stdin=False, hb=False, control=False)
        return client, client.execute(code, silent=True, store_history=False, allow_stdin=False)

    def _wait(self, client: BlockingKernelClient, request: str) -> None:
        """Wait for the reply to ``request`` (checking that the kernel lives), then close the
        clients handed out; raise RuntimeError if the code failed."""
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while True:
                try:
                    reply = client.get_shell_msg(timeout=0.5)
                except queue.Empty:
                    if not self.manager.is_alive():
                        raise RuntimeError(f"kernel {self.name}: died") from None
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"kernel {self.name}: no reply in {START_TIMEOUT} s"
                                           ) from None
                    continue
                if reply.get("parent_header", {}).get("msg_id") == request:
                    break
        finally:
            self.manager.close_clients()
        content = reply["content"]
        if content.get("status") != "ok":
            raise RuntimeError(f"kernel {self.name}: {content.get('ename')}: {content.get('evalue')}")

    def clear_soon(self) -> None:
        """Start clearing the namespace (:data:`RESET_CODE`) without waiting for it; the next
        :meth:`reset` waits. Call it when a notebook has ended and another will follow."""
        if self.used and self.clearing is None:
            self.clearing = self._send(RESET_CODE)
            self.used = False

    def reset(self, cwd: Path, notebook: str | None = None) -> None:
        """Clear the namespace before the next notebook (:data:`RESET_CODE`; not needed on a
        kernel no notebook has run on), working in ``cwd``.

        With ``notebook``, the warnings shown from now on are recorded in ``cwd``'s
        ``warnings/<notebook>.jsonl`` (:func:`spamlab.warnlog.install`). Also closes the
        clients of earlier notebooks (:meth:`ClientTrackingKernelManager.close_clients`).
        """
        if self.clearing is not None:
            clearing, self.clearing = self.clearing, None
            self._wait(*clearing)
        code = f"{RESET_CODE}\n" if self.used else ""
        code += f"import os as _os; _os.chdir({str(cwd)!r}); del _os"
        if notebook is not None:
            code += (f"\nimport spamlab.warnlog as _w; _w.install({str(cwd)!r}, {notebook!r}); "
                     f"del _w")
        self.run_silently(code)
        self.used = True


def kernel_config(ipc_path: Path) -> Config:
    """Kernel settings: local IPC sockets at ``ipc_path`` where the OS has them (no open TCP
    ports, no warning; an absolute private path, not ``kernel-ipc`` in the working folder).

    The kernel's own log is limited to critical messages: jupyter_client interrupts
    every kernel before shutting it down, which an idle ipykernel may log as an
    alarming but harmless "KeyboardInterrupt caught in kernel". Errors in cells
    reach the user through the notebook executor, not through this log.
    """
    config = Config()
    config.NotebookClient.extra_arguments = ["--IPKernelApp.log_level=CRITICAL"]
    if os.name == "posix":
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = str(ipc_path)
    return config


def start_kernel(kernel_name: str, ipc_path: Path, cwd: Path, label: str,
                 warm: str = WARM_CODE) -> WarmKernel:
    """Start kernel ``kernel_name`` in ``cwd`` and import spamlab in it (``warm``, by default
    :data:`WARM_CODE`).

    ``ipc_path`` is the stem of the kernel's private IPC sockets.
    """
    manager = ClientTrackingKernelManager(kernel_name=kernel_name, config=kernel_config(ipc_path))
    manager.start_kernel(extra_arguments=["--IPKernelApp.log_level=CRITICAL"], cwd=str(cwd))
    kernel = WarmKernel(manager, label)
    try:
        client = manager.client()
        client.start_channels()
        client.wait_for_ready(START_TIMEOUT)  # the one handshake: the kernel is starting
        kernel.run_silently(warm)
    except BaseException:
        manager.shutdown_kernel(now=True)
        raise
    return kernel


class KernelPool:
    """Kernels starting in background threads from the moment the pool is made.

    ``spamlab run`` makes one before it reads the data and checks the options, so the
    kernels start and import spamlab on the other cores meanwhile; the run's workers
    then :meth:`take` them. Use it as a context manager: leaving it shuts every kernel
    down (also those never taken) and removes their sockets' folder.

    Parameters
    ----------
    count
        Kernels to start.
    kernel_name
        The Jupyter kernel spec to start.
    warm
        The code each kernel runs once started (:func:`warm_code`).
    """

    def __init__(self, count: int, kernel_name: str, warm: str = WARM_CODE) -> None:
        self.count = count
        self._warm = warm
        remove_stale_folders(Path(tempfile.gettempdir()))
        self._folder = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-"))
        self._starter = ThreadPoolExecutor(max_workers=max(count, 1),
                                           thread_name_prefix="spamlab-kernel")
        self._started = [self._starter.submit(self._start, kernel_name, number)
                         for number in range(1, count + 1)]
        self._untaken: queue.SimpleQueue[Future[WarmKernel]] = queue.SimpleQueue()
        for future in self._started:
            self._untaken.put(future)

    def _start(self, kernel_name: str, number: int) -> WarmKernel:
        try:
            return start_kernel(kernel_name, self._folder / f"kernel-{number}", self._folder,
                                str(number), self._warm)
        finally:
            close_thread_loop()

    def take(self) -> WarmKernel | None:
        """A started kernel (waiting for it if need be), or None when all were taken.

        Raises what starting it raised (a kernel that would not start or import spamlab).
        """
        try:
            return self._untaken.get_nowait().result()
        except queue.Empty:
            return None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._starter.shutdown(wait=True, cancel_futures=True)
        for future in self._started:
            if not future.cancelled() and future.exception() is None:
                shut_down(future.result())
        shutil.rmtree(self._folder, ignore_errors=True)


def remove_stale_folders(root: Path) -> list[Path]:
    """Remove the sockets' folders that runs killed before they could clean up left in
    ``root`` (``spamlab-kernels-PID-*`` of a process no longer alive); returns them.

    A folder of a live process, of a process of another user, or without a PID in its
    name is left alone.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / f"{FOLDER_PREFIX}{os.getpid()}-live").mkdir()
    >>> remove_stale_folders(root)
    []
    """
    removed = []
    for folder in root.glob(f"{FOLDER_PREFIX}*-*"):
        pid = folder.name[len(FOLDER_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or not folder.is_dir() or folder.is_symlink():
            continue
        if folder.stat().st_uid != os.getuid() or _alive(int(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (one of another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def shut_down(kernel: WarmKernel) -> None:
    """Stop ``kernel``'s process and close its clients."""
    kernel.manager.close_clients()
    if kernel.manager.has_kernel:
        kernel.manager.shutdown_kernel(now=True)
    kernel.manager.cleanup_resources()


def close_thread_loop() -> None:
    """Close the event loop that jupyter_client's blocking calls opened in this thread.

    Call it when a thread that talked to a kernel ends; the loop is otherwise left open
    until the interpreter exits (and reported as a ResourceWarning).
    """
    ensure_event_loop().close()
