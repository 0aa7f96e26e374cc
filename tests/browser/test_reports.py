"""The rendered reports in a real browser (issue 24): a reader starts at the run's index page,
follows the link to a report, and sees what it shows above the fold.

Static HTML, opened from file:// in Debian's Chromium through playwright; skipped without
Chromium except under ``CI=true`` (as tests/browser/test_jupyterlab.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from chromium import ROOT, chromium
from playwright.sync_api import sync_playwright

from spamlab.cli import main

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

VIEWPORT = {"width": 1280, "height": 800}


@pytest.mark.timeout(240)
def test_the_index_leads_to_a_report_whose_finding_is_above_the_fold(tmp_path: Path) -> None:
    browser_path = chromium()
    assert main(["run", "--only", "01", "02", "--reports-dir", str(tmp_path), "--name", "r"]) == 0
    index = tmp_path / "r" / "index.html"
    shots = ROOT / "reports" / "browser-test"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(index.as_uri())
            assert page.title().startswith("spamlab run r")
            shows = page.locator("#what-this-run-shows")
            assert shows.bounding_box()["y"] < VIEWPORT["height"]
            page.screenshot(path=str(tmp_path / "index.png"))
            page.get_by_role("link", name="02-rustock-its").first.click()
            page.wait_for_load_state()
            assert page.url.endswith("/02-rustock-its.html")
            assert page.title() != "Notebook" and "Rustock" in page.title()
            heading = page.get_by_role("heading", name="What this shows")
            box = heading.bounding_box()
            assert box is not None and box["y"] + box["height"] < VIEWPORT["height"], box
            finding = heading.locator("xpath=following::li[1]")
            assert "0." in finding.inner_text() and "SYNTHETIC" in finding.inner_text()
            page.screenshot(path=str(tmp_path / "report-02.png"))
        finally:
            browser.close()
    for name in ("index.png", "report-02.png"):
        shutil.copy2(tmp_path / name, shots / name)
