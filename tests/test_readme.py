"""The README is the front door (issue 26): it fits a screen or five, keeps the two commands, and
every link in it (and every link between the documentation pages) leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spamlab import aftermath, figures, paths

ROOT = paths.project_root()
README = ROOT / "README.md"
DOCS = ROOT / "docs"
MAX_LINES = 250
#: Markdown links [text](target), the target without a title
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
#: MyST roles {doc}`page` (with an optional "text <page>")
DOC_ROLE = re.compile(r"\{doc\}`(?:[^`<]*<)?([^`>]+)>?`")


def _relative_links(text: str) -> list[str]:
    """The link targets of ``text`` that are neither URLs nor in-page anchors."""
    return [target for target in LINK.findall(text)
            if not re.match(r"[a-z]+:", target) and not target.startswith("#")]


def _missing_targets(page: Path) -> list[str]:
    """Relative links and {doc} roles of ``page`` whose file does not exist."""
    text = page.read_text(encoding="utf-8")
    missing = [target for target in _relative_links(text)
               if not (page.parent / target.split("#")[0]).exists()]
    for name in DOC_ROLE.findall(text):
        base = DOCS if name.startswith("/") else page.parent
        if not any((base / f"{name.lstrip('/')}{suffix}").exists() for suffix in (".md", ".rst")):
            missing.append(f"{{doc}}`{name}`")
    return missing


def _glossary_anchors() -> set[str]:
    return set(re.findall(r'<a id="([^"]+)"></a>', (DOCS / "glossary.md").read_text(encoding="utf-8")))


def test_the_readme_fits_in_250_lines() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_LINES, f"README.md has {len(lines)} lines (at most {MAX_LINES})"


def test_the_readme_keeps_the_two_commands_and_states_the_test_time() -> None:
    text = README.read_text(encoding="utf-8")
    commands = re.search(r"## The two commands\n(.*?)\n## ", text, flags=re.DOTALL)
    assert commands, "README has no section 'The two commands'"
    block = re.search(r"```bash\n(.*?)```", commands.group(1), flags=re.DOTALL)
    assert block and re.findall(r"^make \w+", block.group(1), flags=re.MULTILINE) == [
        "make analysis", "make test"]
    assert re.search(r"`make test` is the one test command", commands.group(1))
    assert re.search(r"took \d+ min \d+ s on this project.s 2-core machine", commands.group(1))


def test_every_relative_link_of_the_readme_resolves_to_a_file() -> None:
    links = _relative_links(README.read_text(encoding="utf-8"))
    assert any(link.startswith("docs/") for link in links), "README does not link to the docs"
    missing = [link for link in links if not (ROOT / link.split("#")[0]).exists()]
    assert not missing, f"README links to missing files: {missing}"


def test_the_readme_links_every_page_of_the_site() -> None:
    linked = {(ROOT / link.split("#")[0]).resolve()
              for link in _relative_links(README.read_text(encoding="utf-8"))}
    pages = {page.resolve() for page in DOCS.rglob("*.md")
             if "_build" not in page.parts and page.parent.name != "notebooks"}
    assert not pages - linked, f"pages the README does not link: {sorted(pages - linked)}"


@pytest.mark.parametrize("page", sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")
                                        if "_build" not in p.parts))
def test_every_link_of_a_docs_page_resolves(page: str) -> None:
    assert not _missing_targets(DOCS / page), f"docs/{page}: missing link targets"


def test_the_checker_catches_a_missing_page(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("[here](there.md) {doc}`gone` [ok](page.md)\n", encoding="utf-8")
    assert _missing_targets(page) == ["there.md", "{doc}`gone`"]


def test_glossary_links_of_readme_docs_and_notebooks_name_existing_anchors() -> None:
    anchors = _glossary_anchors()
    assert {"its", "counterfactual", "ar1"} <= anchors
    texts = [README, *DOCS.rglob("*.md"), *(ROOT / "notebooks").glob("*.py")]
    used = {anchor for path in texts if "_build" not in path.parts
            for anchor in re.findall(r"glossary\.(?:md|html)#([\w-]+)", path.read_text(encoding="utf-8"))}
    assert used, "nothing links into the glossary"
    assert not used - anchors, f"glossary anchors that do not exist: {sorted(used - anchors)}"


def test_the_readme_answers_quote_the_numbers_the_code_computes() -> None:
    """The README's lead numbers against the figures table and aftermath's own answer."""
    text = " ".join(README.read_text(encoding="utf-8").split())
    table = figures.load()
    before, after, rustock = (figures.value(table, i) for i in (5, 4, 1))
    assert f"{before:g} - {after:g} - {rustock:g} = {before - after - rustock:.2f}" in text
    answer = aftermath.answer(table)
    for month in ("April", "May", "June"):
        share, low, high = re.search(rf"{month} (\d+)%.*?range (\d+)% to (\d+)%", answer).groups()
        assert f"{share}% in {month}" in text or f"{share}% still missing in {month}" in text, month
        assert f"{low}-{high}%" in text, month


def _floors_block(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    assert text.count("<!-- floors:begin -->") == 1 and text.count("<!-- floors:end -->") == 1
    return text.split("<!-- floors:begin -->")[1].split("<!-- floors:end -->")[0]


def test_the_speed_tables_come_from_one_benchmark_run() -> None:
    """README's short table and the performance page's full one are both written by
    ``benchmarks/floors.py --write`` from one run: the same rows, times and ratios."""
    short = _floors_block(README)
    full = _floors_block(DOCS / "methods" / "performance.md")
    rows = [line for line in short.splitlines() if line.startswith("| ") and " s | " in line]
    assert len(rows) == 3, short
    for row in rows:
        work, ours, _, ratio = (cell.strip() for cell in row.strip("|").split("|")[:4])
        assert re.search(rf"\| {re.escape(work)} \| {re.escape(ours)} \|.*\| {re.escape(ratio)} \|",
                         full), (work, ours, ratio)
    assert re.search(r"on \d{2} \w{3} \d{4}", short)
