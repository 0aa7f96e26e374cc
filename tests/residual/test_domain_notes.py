"""docs/domain.md describes every hypothesis, reading and contradiction group the code names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spamlab import figures, paths, residual, scenario
from spamlab.residual.adjustments import STEPS, step_figure_ids

NOTES = Path("docs") / "domain.md"
CITING = ("src", "tests", "notebooks", "data", "README.md")


def _sections(text: str) -> dict[str, str]:
    """Heading text -> body, for every ``##`` and ``###`` heading."""
    parts = re.split(r"^#{2,3} (.+)$", text, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def _numbers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\b\d+\b", text)}


def _hypothesis_section(sections: dict[str, str], number: int) -> tuple[str, str]:
    """(heading, body) of hypothesis ``number`` (``### H3: ...``; 0 -> the baseline section)."""
    prefix = f"H{number}:" if number else "Baseline"
    found = [(h, body) for h, body in sections.items() if h.startswith(prefix)]
    return found[0] if len(found) == 1 else ("", "")


def _table_row(sections: dict[str, str], number: int) -> str:
    """The row of hypothesis ``number`` in the summary table of the Hypotheses section."""
    match = re.search(rf"^\| {number} \|.*$", sections.get("Hypotheses H1-H6", ""), flags=re.MULTILINE)
    return match.group(0) if match else ""


def _undocumented(text: str) -> list[str]:
    """Names and figure ids the code uses that the notes do not describe where they should."""
    sections, missing = _sections(text), []
    for step in STEPS:
        heading, body = _hypothesis_section(sections, step.hypothesis)
        row = _table_row(sections, step.hypothesis)
        if f"`{step.key}`" not in heading or f"`{step.key}`" not in row:
            missing.append(f"H{step.hypothesis} heading/table row naming `{step.key}`")
        ids = set(step_figure_ids(step, residual.Assumptions()))
        missing += [f"H{step.hypothesis}: row {i}" for i in sorted(ids - _numbers(row) - _numbers(body))]
        missing += [f"H{step.hypothesis}: assumption {a}" for a in step.assumptions if f"`{a}`" not in row]
    for number, readings in ((1, residual.RUSTOCK_READINGS), (4, residual.TREND_READINGS)):
        body = _hypothesis_section(sections, number)[1]
        for name, ids in readings.items():
            item = next((it for it in re.split(r"^- ", body, flags=re.MULTILINE)
                         if it.startswith(f"`{name}`")), "")
            missing += [f"H{number} reading {name}: row {i}" for i in ids if i not in _numbers(item)]
            missing += [f"H{number} reading {name}"] if not item else []
    for name, hyp in scenario.HYPOTHESES.items():
        if f"`{name}`" not in _hypothesis_section(sections, hyp.domain_number)[1]:
            missing.append(f"scenario hypothesis {name} under H{hyp.domain_number}")
    groups = sections.get("Contradiction groups", "")
    missing += [f"contradiction group {g.name}" for g in figures.CONTRADICTION_GROUPS
                if f"`{g.name}`" not in groups]
    return missing


def test_every_hypothesis_reading_and_group_the_code_names_is_in_the_notes():
    text = (paths.project_root() / NOTES).read_text(encoding="utf-8")
    assert _undocumented(text) == []


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        ([("### H3: weekday composition (`weekday`)", "### H3: weekday composition")], "`weekday`"),
        ([("| 5 | `other_botnets` | 9 |", "| 5 | `other_botnets` | |"),
          ("all botnets' share, row 9, times", "all botnets' share times")], "H5: row 9"),
        ([("- `march_10_vs_15`: 10 March against 15 March", "- 10 March against 15 March")],
         "march_10_vs_15"),
        ([("`commtouch_share`: Commtouch's 30 of 150 bn/day for 1-15 March, 20% (rows 328, 326, 5)",
           "`commtouch_share`: Commtouch's 30 of 150 bn/day for 1-15 March, 20% (rows 326, 5)")],
         "commtouch_share: row 328"),
        ([("`second_source` (a separate", "a second source (a separate")], "second_source under H5"),
        ([("- `rustock_share`:", "- Rustock's share:")], "group rustock_share"),
    ],
)
def test_the_checker_notices_a_missing_description(edits, expected):
    text = (paths.project_root() / NOTES).read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    assert any(expected in problem for problem in _undocumented(text))


def test_citations_point_to_the_notes_in_the_repository():
    root = paths.project_root()
    assert (root / NOTES).is_file()
    citing, stale = [], []
    for name in CITING:
        files = [root / name] if (root / name).is_file() else sorted((root / name).rglob("*"))
        for path in files:
            if path.suffix not in {".py", ".md"} or "egg-info" in str(path) or path == Path(__file__):
                continue
            text = path.read_text(encoding="utf-8")
            citing += [path] if "docs/domain.md" in text else []
            stale += [path] if "DOMAIN.md" in text else []
    assert not stale, f"cite docs/domain.md, not DOMAIN.md: {stale}"
    assert root / "src" / "spamlab" / "residual" / "adjustments.py" in citing
