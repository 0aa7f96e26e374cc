"""JupyterLab in a real browser: double-click a notebook, Run All, look at what a user sees.

The test starts JupyterLab from the venv as ``make lab`` does (kernel "spamlab", the project's
lab settings that make jupytext open ``notebooks/*.py`` as notebooks) on 127.0.0.1 with a token,
in a temporary copy of ``notebooks/`` so that nothing is written into the tracked sources, and
drives Debian's Chromium with playwright. Screenshots land in the test's ``tmp_path`` and are
copied to ``reports/browser-test/`` (git-ignored).

Without Chromium the test skips, except under ``CI=true`` where it fails (``.ci/run`` installs
Chromium with apt-get when it is missing).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jupytext
import numpy as np
import pandas as pd
import pytest
from chromium import ROOT
from chromium import chromium as _chromium
from playwright.sync_api import Locator, Page, sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SERVER_START_SECONDS = 60
RUN_ALL_SECONDS = 90
KERNEL_NAME = "spamlab"
INTERRUPTION = "2011-03-16T14:45:00+00:00"
# An output that is a figure's text repr instead of its picture.
FIGURE_AS_TEXT = re.compile(r"<Figure size|<matplotlib\.figure\.Figure|Figure\(\d")


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab server."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _api(lab: Lab, path: str, method: str = "GET") -> object:
    """Call the server's REST API (on 127.0.0.1) and return the decoded JSON answer."""
    request = urllib.request.Request(f"{lab.url}/api/{path}?token={lab.token}", method=method)
    with urllib.request.urlopen(request, timeout=5) as response:
        body = response.read()
    return json.loads(body) if body else None


def _wait_until_up(lab: Lab, log: Path) -> None:
    """Wait until the server answers /api/status; fail with its log if it exits or hangs."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            pytest.fail(f"JupyterLab exited ({lab.process.returncode}):\n{log.read_text()}")
        try:
            _api(lab, "status")
            return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer within {SERVER_START_SECONDS} s:\n{log.read_text()}")


def _stop(lab: Lab) -> None:
    """Shut the server (and with it its kernels) down; kill its process group if it lingers."""
    try:
        _api(lab, "shutdown", method="POST")
    except (urllib.error.URLError, OSError):
        pass
    try:
        lab.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(lab.process.pid, 9)
        lab.process.wait(timeout=5)


def _german_export(path: Path) -> None:
    """A semicolon-separated export with day.month.year dates, thousands dots and gaps.

    Some days before the interruption are missing and some have an empty count; from the
    interruption (16 March 14:45, so that day is 9.25/24 after it) the volume falls to 40 %.
    """
    rng = np.random.default_rng(7)
    days = pd.date_range("2011-01-03", "2011-04-30", freq="D")
    weekly = np.where(days.day_of_week >= 5, 0.8, 1.0)
    after = np.clip((days + pd.Timedelta(days=1) - pd.Timestamp("2011-03-16 14:45"))
                    / pd.Timedelta(days=1), 0.0, 1.0)
    level = 1.0 - 0.6 * after
    counts = rng.poisson(12_000 * weekly * level)
    missing = {pd.Timestamp(d) for d in ("2011-01-20", "2011-02-07", "2011-02-08", "2011-03-01")}
    empty = {pd.Timestamp(d) for d in ("2011-02-14", "2011-03-09")}
    lines = ["Datum;Anzahl Spam"]
    for day, count in zip(days, counts, strict=True):
        if day in missing:
            continue
        value = "" if day in empty else f"{count:,}".replace(",", ".")
        lines.append(f"{day:%d.%m.%Y};{value}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _set_parameters(source: Path, target: Path, values: dict[str, str]) -> None:
    """Write a copy of a jupytext notebook with some parameters-cell assignments replaced."""
    text = source.read_text(encoding="utf-8")
    head, tagged, rest = text.partition('# %% tags=["parameters"]\n')
    assert tagged, f"{source.name} has no parameters cell"
    cell, sep, after = rest.partition("\n# %%")
    for name, value in values.items():
        cell, count = re.subn(rf"^{name} = .*$", f"{name} = {value}", cell, count=1,
                              flags=re.MULTILINE)
        assert count == 1, f"{source.name}: no parameter {name!r}"
    target.write_text(head + tagged + cell + sep + after, encoding="utf-8")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab as ``make lab`` starts it, on a copy of notebooks/ with a German export."""
    _chromium()
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    shutil.copytree(ROOT / "notebooks", root / "notebooks",
                    ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
    shutil.copy2(ROOT / "jupytext.toml", root / "jupytext.toml")
    export = root / "Export Spam.csv"
    _german_export(export)
    _set_parameters(ROOT / "notebooks" / "05-your-data.py",
                    root / "notebooks" / "05-your-data.py",
                    {"data": repr(str(export)), "date_col": '"Datum"',
                     "value_col": '"Anzahl Spam"', "interruptions": repr([INTERRUPTION]),
                     "run_name": '"browser-test"'})
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name",
                    KERNEL_NAME, "--display-name", "Python (spamlab)"],
                   check=True, capture_output=True)
    env = {key: value for key, value in os.environ.items()
           if key != "MPLBACKEND" and not key.startswith("PYTEST")}  # inline figures, as in lab
    env |= {"SPAMLAB_REPORTS": str(base / "reports"),
            "SPAMLAB_DATA_PROCESSED": str(base / "processed"),
            "JUPYTER_CONFIG_DIR": str(base / "config"),
            "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(base / "user-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces")}
    port, token = _free_port(), uuid.uuid4().hex
    command = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}",
               f"--LabApp.app_settings_dir={ROOT / 'jupyter' / 'lab' / 'settings'}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = base / "jupyterlab.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = Lab(f"http://127.0.0.1:{port}", token, root, process)
    try:
        _wait_until_up(server, log)
        yield server
    finally:
        _stop(server)


@pytest.fixture(scope="module")
def page(lab: Lab) -> Iterator[Page]:
    """A Chromium page logged into the lab."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium())
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            page.goto(f"{lab.url}/lab?token={lab.token}")
            page.locator(".jp-DirListing-content").wait_for()
            news = page.get_by_text("Would you like to get notified about official Jupyter news?")
            if news.is_visible():
                news.locator("..").get_by_role("button", name="No").click()
            yield page
        finally:
            browser.close()


def _shoot(page: Page, folder: Path, name: str) -> None:
    """Screenshot the page into ``folder`` and copy it to reports/browser-test/."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    published = ROOT / "reports" / "browser-test"
    published.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, published / path.name)


def _open_by_double_click(page: Page, *names: str) -> None:
    """Go to the root of the file browser, then double-click each name in turn."""
    page.locator(".jp-BreadCrumbs-home").click()
    for name in names:
        page.locator(f'.jp-DirListing-item[title^="Name: {name}"]').dblclick()


def _wait_for_kernel(lab: Lab, path: str) -> None:
    """Wait until the server has a kernel "spamlab" for the notebook at ``path``, idle."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        sessions = _api(lab, "sessions")
        assert isinstance(sessions, list)
        kernels = [s["kernel"] for s in sessions if s["path"] == path and s.get("kernel")]
        if any(k["name"] == KERNEL_NAME and k["execution_state"] == "idle" for k in kernels):
            return
        time.sleep(0.3)
    pytest.fail(f"no idle {KERNEL_NAME!r} kernel for {path} within {SERVER_START_SECONDS} s")


def _run_all(page: Page) -> None:
    """Run > Run All Cells, through the menu bar as a user would."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def _wait_for_idle_kernel(page: Page, panel: Locator) -> None:
    """Wait until every code cell has run (or was cancelled) and the kernel is idle."""
    page.wait_for_function(
        """panel => {
            const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
            const status = panel.querySelector('.jp-Notebook-ExecutionIndicator');
            return prompts.length > 0 && !prompts.some(p => p.textContent.includes('*'))
                && status !== null && status.getAttribute('data-status') === 'idle';
        }""",
        arg=panel.element_handle(), timeout=RUN_ALL_SECONDS * 1000)


def _open_and_run_all(page: Page, lab: Lab, shots: Path, stem: str) -> Locator:
    """Double-click notebooks/STEM.py, Run All, wait for the kernel; return the notebook panel."""
    _open_by_double_click(page, "notebooks", f"{stem}.py")
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-current")
    tab.filter(has_text=f"{stem}.py").wait_for()
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    assert panel.count() == 1, f"{stem}.py did not open as a notebook (jupytext viewer)"
    panel.locator(".jp-Notebook .jp-Cell").first.wait_for()
    # Run All before the kernel has started would ask which kernel to start.
    _wait_for_kernel(lab, f"notebooks/{stem}.py")
    _shoot(page, shots, f"{stem}-opened")
    started = time.monotonic()
    _run_all(page)
    _wait_for_idle_kernel(page, panel)
    print(f"{stem}: Run All took {time.monotonic() - started:.1f} s")
    _shoot(page, shots, f"{stem}-after-run-all")
    assert page.locator(".jp-Dialog").count() == 0, (
        f"{stem}: Run All opened a dialog: {page.locator('.jp-Dialog').all_text_contents()}")
    return panel


def _shoot_figures(page: Page, panel: Locator, shots: Path, stem: str) -> None:
    """One screenshot per image output, scrolled into view."""
    images = panel.locator(".jp-OutputArea-output img")
    for number in range(images.count()):
        images.nth(number).scroll_into_view_if_needed()
        page.wait_for_timeout(200)
        _shoot(page, shots, f"{stem}-figure-{number + 1}")


def _assert_no_error_shown(page: Page, panel: Locator, shots: Path, stem: str) -> None:
    """No output in red (an error, or text on stderr), and every code cell has run."""
    # JupyterLab renders an error (and text written to stderr) with its red stderr renderer.
    errors = panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    error_texts = [text[:2000] for text in errors.all_text_contents()]
    if error_texts:
        errors.first.scroll_into_view_if_needed()
        _shoot(page, shots, f"{stem}-error")
    assert not error_texts, f"{stem}: cells show errors:\n" + "\n---\n".join(error_texts)
    prompts = panel.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").all_text_contents()
    unrun = [i for i, prompt in enumerate(prompts) if not re.search(r"\[\d+\]", prompt)]
    assert not unrun, f"{stem}: code cells {unrun} did not run (Run All stopped)"


def _assert_figures_are_images(panel: Locator, source: Path, stem: str) -> None:
    """Each code cell that saves a figure shows it as an <img>; no figure shows as text."""
    code_cells = [cell for cell in jupytext.read(source).cells if cell.cell_type == "code"]
    cells = panel.locator(".jp-Notebook .jp-CodeCell")
    assert cells.count() == len(code_cells), "the notebook shows another number of code cells"
    figure_cells = [i for i, cell in enumerate(code_cells)
                    if "save_figure(" in cell.source or "run.save(" in cell.source]
    assert figure_cells, f"{stem}: no cell saves a figure"
    for index in figure_cells:
        texts = " ".join(cells.nth(index).locator(".jp-OutputArea-output").all_text_contents())
        assert cells.nth(index).locator(".jp-OutputArea-output img").count() >= 1, (
            f"{stem}: cell {index} saves a figure but shows no image: {texts[:300]!r}")
    all_text = " ".join(panel.locator(".jp-OutputArea-output").all_text_contents())
    assert not FIGURE_AS_TEXT.search(all_text), f"{stem}: a figure shows as text, not as image"


def _check_notebook(page: Page, lab: Lab, tmp_path: Path, stem: str) -> None:
    """Open STEM in the browser, Run All, screenshots; no error shown, figures as images."""
    shots = tmp_path / "screenshots"
    shots.mkdir(exist_ok=True)
    panel = _open_and_run_all(page, lab, shots, stem)
    _shoot_figures(page, panel, shots, stem)
    _assert_no_error_shown(page, panel, shots, stem)
    _assert_figures_are_images(panel, lab.root / "notebooks" / f"{stem}.py", stem)


@pytest.mark.timeout(240)
def test_rustock_its_notebook_runs_in_the_browser(page: Page, lab: Lab, tmp_path: Path) -> None:
    _check_notebook(page, lab, tmp_path, "02-rustock-its")


@pytest.mark.timeout(240)
def test_your_data_notebook_runs_on_a_german_export_in_the_browser(
        page: Page, lab: Lab, tmp_path: Path) -> None:
    _check_notebook(page, lab, tmp_path, "05-your-data")


@pytest.mark.timeout(240)
def test_after_the_takedown_notebook_runs_in_the_browser(page: Page, lab: Lab,
                                                         tmp_path: Path) -> None:
    """Issue 25: notebook 07, published answer first, then the synthetic trap."""
    _check_notebook(page, lab, tmp_path, "07-after-the-takedown")
