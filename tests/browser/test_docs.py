"""The documentation site in a real browser (issue 26): built as `make docs` builds it (in fast
mode: the notebooks converted from their sources without outputs, so no analysis runs), served on
127.0.0.1, and followed from the front page to the user guide, the API page of
``spamlab.its.fit`` and a notebook page.

Skipped without Chromium except under ``CI=true`` (as tests/browser/test_jupyterlab.py).
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import ROOT, chromium
from playwright.sync_api import Page, expect, sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

NOTEBOOK = ROOT / "notebooks" / "02-rustock-its.py"


def _build(tmp_path: Path) -> Path:
    """The site of a copy of docs/ (no earlier build or notebooks in it), built into tmp_path."""
    for tool in ("sphinx", "myst_nb", "numpydoc", "pydata_sphinx_theme"):
        if importlib.util.find_spec(tool) is None:  # installed by `make venv` (the docs extra)
            reason = f"{tool} is not installed: pip install -c constraints.txt -e '.[docs]'"
            if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
                pytest.fail(f"CI is set but {reason}")
            pytest.skip(reason)
    source = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", source,
                    ignore=shutil.ignore_patterns("_build", "generated", "*.ipynb"))
    subprocess.run([sys.executable, str(ROOT / "tools" / "docs_notebooks.py"), "--unexecuted",
                    "--dest", str(source / "notebooks"), "--reports", str(tmp_path / "none")],
                   check=True, capture_output=True)
    html = tmp_path / "html"
    subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", str(source), str(html)],
                   check=True, capture_output=True)
    return html


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No access log on the test's output."""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """URL of the built site, served by a local HTTP server for the test's duration."""
    handler = functools.partial(_QuietHandler, directory=str(_build(tmp_path)))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _notebook_title() -> str:
    """The H1 of notebook 02, read from its jupytext source (not from the site)."""
    heading = re.search(r"^# # (.+)$", NOTEBOOK.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert heading, f"{NOTEBOOK.name} has no H1"
    return heading.group(1).strip()


def _follow(page: Page, name: str) -> None:
    """Click the first visible link called ``name`` and wait for the page it opens."""
    page.get_by_role("link", name=name, exact=True).first.click()
    page.wait_for_load_state()


@pytest.mark.timeout(300)
def test_the_site_leads_from_the_front_page_to_guide_api_and_notebooks(site: str) -> None:
    browser_path = chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(site)
            expect(page.get_by_role("heading", name="The two commands")).to_be_visible()
            expect(page.locator("main")).to_contain_text("16 March 2011")
            expect(page.locator("main")).to_contain_text("make test")

            _follow(page, "User guide")
            assert page.url.split("#")[0].endswith("/guide/index.html"), page.url
            expect(page.get_by_role("heading", name="A tour in five steps")).to_be_visible()
            expect(page.locator("main")).to_contain_text("spamlab ingest")

            _follow(page, "API reference")
            _follow(page, "spamlab.its")
            _follow(page, "fit")
            assert page.url.split("#")[0].endswith("/spamlab.its.fit.html"), page.url
            expect(page.locator("main dt").first).to_contain_text("spamlab.its.fit")
            expect(page.locator("main")).to_contain_text("Parameters")

            _follow(page, "The notebooks")
            _follow(page, _notebook_title())
            assert page.url.split("#")[0].endswith("/notebooks/02-rustock-its.html"), page.url
            expect(page.get_by_role("heading", name=_notebook_title())).to_be_visible()
            expect(page.locator("main")).to_contain_text("without outputs (built in fast mode)")
        finally:
            browser.close()
