"""spamlab.index_page: the run's entry page, read back with html.parser; the glossary's anchors."""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from spamlab import claims, figures, index_page, paths, report

HOSTILE = "<script>alert('x')</script>"
READING = ["01-published-figures", "02-rustock-its", "03-the-missing-5-billion", "05-your-data"]


class Page(HTMLParser):
    """What a reader's browser would see: title, section order, links, tags, text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.title, self.sections, self.links, self.tags = "", [], [], []
        self.text, self.synthetic_rows, self._in, self._link = [], 0, [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        self._in.append(tag)
        if tag == "section":
            self.sections.append(attrs.get("id"))
        if tag == "a":
            self._link = [attrs.get("href"), ""]
            self.links.append(self._link)
        if tag == "tr" and "synthetic" in (attrs.get("class") or ""):
            self.synthetic_rows += 1

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()
        if tag == "a":
            self._link = None

    def handle_data(self, data):
        if self._in and self._in[-1] == "title":
            self.title += data
        if self._link is not None:
            self._link[1] += data
        if "style" not in self._in:
            self.text.append(data)


def fragments() -> dict[str, dict]:
    return {
        "01-published-figures": {"synthetic": False, "headline_figures_bn_per_day": {
            "before_week_average": {"value": 52.0, "figure_id": 5},
            "after_days": {"value": 33.0, "figure_id": 4},
            "rustock_output": {"value": 13.82, "figure_id": 1}}},
        "02-rustock-its": {"synthetic": True, "interruption": "2011-03-16T14:45:00+00:00",
                           "unit": "bn/day", "fit": HOSTILE, "level_change": {
                               "estimate": 0.69, "ci_low": 0.64, "ci_high": 0.74, "scale": "ratio"}},
        "03-the-missing-5-billion": {"synthetic": False, "residual_bn_per_day": {
            "median": 5.02, "low": -4.13, "high": 11.36}},
    }


def results(warnings: list | None = None) -> dict:
    merged = report.merge_fragments(fragments().items())
    merged["run"] = "rustock"
    merged["warnings"] = warnings or []
    return merged


@pytest.fixture
def run(tmp_path: Path) -> Path:
    for name in ("01-published-figures", "02-rustock-its"):  # 03 and 05 did not run
        (tmp_path / f"{name}.html").write_text("<html><title>x</title></html>", encoding="utf-8")
    return tmp_path


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return figures.load()


def csv_urls() -> dict[int, str]:
    with open(paths.figures_csv(), encoding="utf-8") as handle:
        return {int(row["id"]): row["url"] for row in csv.DictReader(handle)}


def test_title_and_the_finding_first(run, table):
    page = Page(index_page.write_index(run, results(), READING, figures_table=table).read_text())
    assert "rustock" in page.title and page.title.strip() != "Notebook"
    assert page.sections[0] == "what-this-run-shows"
    assert page.sections.index("reading-order") < page.sections.index("claims")
    text = " ".join(page.text)
    shows = text.split("What this run shows")[1].split("Reading order")[0]
    # each question leads with its most telling number: the fall 52 - 33 (rows 5, 4), not the
    # synthetic fit; the sensitivity range of the residual with both ends, ahead of its middle
    assert f"{52.0 - 33.0:g} bn/day" in shows and "synthetic" not in shows.split("unexplained")[0]
    assert "-4.13 to 11.4 bn/day (sensitivity range; central value 5.02" in shows


def test_links_only_to_reports_present_in_the_run_folder(run, table):
    page = Page(index_page.write_index(run, results(), READING, figures_table=table,
                                       glossary=None).read_text())
    local = [href for href, _ in page.links if not re.match(r"[a-z]+:", href)]
    assert set(local) == {"01-published-figures.html", "02-rustock-its.html"}
    assert all((run / href).is_file() for href in local)


def test_figure_ids_link_to_their_urls_in_the_table(run, table):
    page = Page(index_page.write_index(run, results(), READING, figures_table=table).read_text())
    expected = csv_urls()
    figure_links = [(href, label) for href, label in page.links if label.startswith("#")]
    assert {label for _, label in figure_links} >= {"#5", "#4", "#1"}
    for href, label in figure_links:
        assert href == expected[int(label[1:])]


def test_synthetic_rows_are_tagged(run, table):
    page = Page(index_page.write_index(run, results(), READING, figures_table=table).read_text())
    synthetic = [row for row in claims.claims(results()) if row["kind"] == "synthetic"]
    assert page.synthetic_rows == len(synthetic) == 1
    assert "SYNTHETIC" in " ".join(page.text)


def test_hostile_text_is_escaped(run, table):
    warnings = [{"notebook": "02-rustock-its", "category": "result",
                 "message": '<img src=x onerror="alert(1)"> & more'}]
    hostile = {**results(warnings), "run": HOSTILE}
    page_file = index_page.write_index(run, hostile, READING, figures_table=table)
    page = Page(page_file.read_text())
    assert "script" not in page.tags and "img" not in page.tags
    text = " ".join(page.text)
    assert HOSTILE in text and '<img src=x onerror="alert(1)"> & more' in text
    assert HOSTILE in page.title


def test_warnings_shown_only_when_there_are_some(run, table):
    quiet = Page(index_page.write_index(run, results(), READING, figures_table=table).read_text())
    assert "warnings" not in quiet.sections
    loud = results([{"notebook": "02-rustock-its", "category": "result", "message": "rho 0.98"}])
    page = Page(index_page.write_index(run, loud, READING, figures_table=table).read_text())
    assert "warnings" in page.sections and "rho 0.98" in " ".join(page.text)


def test_claims_in_the_results_are_the_ones_shown(run, table):
    given = claims.with_claims(results())
    given["claims"][0]["claim"] = "a claim only the results hold"
    page = Page(index_page.write_index(run, given, READING, figures_table=table).read_text())
    assert "a claim only the results hold" in " ".join(page.text)


def test_self_contained_and_narrow_screen_ready(run, table):
    text = index_page.write_index(run, results(), READING, figures_table=table).read_text()
    page = Page(text)
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert 'name="viewport"' in text and "@media (max-width" in text
    assert re.search(r"td::before\s*{\s*content: attr\(data-label\)", text)


def test_default_glossary_link_resolves_to_the_glossary(run, table, monkeypatch):
    monkeypatch.setenv("SPAMLAB_ROOT", str(paths.project_root()))
    page = Page(index_page.write_index(run, results(), READING, figures_table=table).read_text())
    glossary = [href for href, label in page.links if label == "glossary"]
    assert len(glossary) == 1
    assert (run / glossary[0]).resolve() == (paths.project_root() / "docs" / "glossary.md").resolve()
    anchors = {href.split("#")[1] for href, _ in page.links if ".md#" in href}
    assert anchors and anchors <= glossary_anchors()


def glossary_anchors() -> set[str]:
    text = (paths.project_root() / "docs" / "glossary.md").read_text(encoding="utf-8")
    return set(re.findall(r'<a id="([a-z0-9-]+)"></a>', text))


def test_glossary_has_every_term_with_a_reference():
    wanted = {"its", "counterfactual", "ar1", "hac", "reml", "satterthwaite", "ljung-box",
              "bai-perron", "benjamini-hochberg", "sensitivity-range", "fieller", "recovery-time",
              "fdr", "confidence-interval"}
    assert wanted <= glossary_anchors()
    text = (paths.project_root() / "docs" / "glossary.md").read_text(encoding="utf-8")
    entries = re.split(r'<a id="[a-z0-9-]+"></a>', text)[1:]
    for entry in entries:
        assert re.search(r"\nReference: .+\(\d{4}\)\. \*.+", entry), entry[:60]
    inner = set(re.findall(r"\]\(#([a-z0-9-]+)\)", text))
    assert inner <= glossary_anchors()
