"""The entry page of a run: ``reports/<name>/index.html``.

One self-contained HTML file (inline CSS, no scripts, nothing fetched from the
network) that opens with what the run shows, in numbers, then gives the reading
order of the reports (links only to the HTML files present in the run folder), the
table of claims (:mod:`spamlab.claims`) with the kind of each number and its
interval, figure ids linked to their sources, the run's warnings and a link to the
glossary. Every text taken from the results is escaped.

Examples
--------
>>> import tempfile, pandas as pd
>>> from pathlib import Path
>>> run = Path(tempfile.mkdtemp())
>>> _ = (run / "01-published-figures.html").write_text("<html></html>")
>>> table = pd.DataFrame({"id": [5], "url": ["https://example.org/r5"]}, index=[5])
>>> page = write_index(run, {"run": "demo"}, ["01-published-figures", "02-rustock-its"],
...                    figures_table=table, glossary=None)
>>> page.name, "02-rustock-its.html" in page.read_text()
('index.html', False)
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from spamlab import claims as claims_module
from spamlab import figures, paths

__all__ = [
    "INTERVAL_ANCHORS",
    "MAX_IDS_IN_WORDS",
    "REPORTS",
    "claim_sentence",
    "default_glossary",
    "headline_claim",
    "lead_claims",
    "number_text",
    "render_index",
    "write_index",
]

#: what each report of the Rustock story answers, in reading order
REPORTS: dict[str, str] = {
    "01-published-figures": "The published figures: what vendors and the press reported, "
                            "with their sources",
    "02-rustock-its": "The takedown as an interrupted time series: how far spam fell below "
                      "its counterfactual",
    "03-the-missing-5-billion": "The missing 5 billion: how much of the fall Rustock's output "
                                "does not explain",
    "04-robustness": "Robustness: placebo dates, break search, sensitivity and power",
    "05-your-data": "Your data: the same analysis on a series you bring",
    "06-what-vanished": "What vanished: which sources fell, and what the target leaves "
                        "unexplained",
    "07-after-the-takedown": "After the takedown: how long the fall lasted, who stepped in",
}
#: a sentence lists at most this many figure ids (the table lists them all)
MAX_IDS_IN_WORDS = 4
#: glossary anchor of each kind of interval
INTERVAL_ANCHORS: dict[str, str] = {"confidence": "confidence-interval",
                                    "sensitivity range": "sensitivity-range"}
_CSS = """
body { font-family: system-ui, sans-serif; line-height: 1.5; margin: 0 auto; max-width: 72rem;
       padding: 1rem; color: #1a1a1a; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ccc; padding: .3rem .5rem; text-align: left;
         vertical-align: top; overflow-wrap: break-word; }
tr.question th { background: #eef2f7; padding-top: .6rem; }
td.number { font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.synthetic { background: #fff4d6; }
.tag { font-weight: bold; font-size: .8rem; padding: 0 .3rem; border: 1px solid #8a6d00;
       color: #6b5400; }
.warnings li { margin-bottom: .4rem; }
@media (max-width: 44rem) {
  table, thead, tbody, tr, th, td { display: block; }
  thead { display: none; }
  tr { border-bottom: 2px solid #999; padding: .4rem 0; }
  td { border: none; padding: .1rem 0; white-space: normal; }
  td::before { content: attr(data-label) ": "; font-weight: bold; }
}
"""


def _text(value: Any) -> str:
    """``value`` as escaped text."""
    return html.escape(str(value), quote=True)


def number_text(value: Any) -> str:
    """A claim's number for reading: 3 significant digits, thousands grouped, ``-`` for none.

    Examples
    --------
    >>> number_text(0.69185), number_text(18578.4), number_text(None), number_text(5.0)
    ('0.692', '18,578', '-', '5')
    """
    if value is None:
        return "-"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    return str(value)


def claim_sentence(row: Mapping[str, Any]) -> str:
    """One claim in words (plain text, not escaped), with its interval and kind.

    Examples
    --------
    >>> claim_sentence({"claim": "Unexplained fall", "value": 5.02, "low": -4.13,
    ...                 "high": 11.36, "unit": "bn/day", "interval": "sensitivity range",
    ...                 "kind": "derived", "figure_ids": [5, 4]})
    'Unexplained fall: -4.13 to 11.4 bn/day (sensitivity range; central value 5.02; derived from figures #5, #4).'

    A sensitivity range leads (its central value is no estimate to quote alone); a
    confidence interval follows its estimate.
    """
    interval = ""
    if row.get("interval") != "none" and (row.get("low") is not None or row.get("high") is not None):
        interval = (f"{row['interval']} {number_text(row.get('low'))} to "
                    f"{number_text(row.get('high'))}; ")
    numbers = list(row.get("figure_ids") or ())
    ids = (", ".join(f"#{i}" for i in numbers) if len(numbers) <= MAX_IDS_IN_WORDS
           else f"#{numbers[0]}, #{numbers[1]} and {len(numbers) - 2} more, listed below")
    kind = {"published": f"published, figures {ids}", "derived": f"derived from figures {ids}",
            "synthetic": "SYNTHETIC: a model's output, not data about 2011",
            "your data": "from your data"}[row["kind"]]
    if row["kind"] in ("published", "derived") and not ids:
        kind = row["kind"]
    unit = f" {row['unit']}" if row.get("unit") else ""
    if interval and row.get("interval") == "sensitivity range":
        return (f"{row['claim']}: {number_text(row.get('low'))} to {number_text(row.get('high'))}"
                f"{unit} (sensitivity range; central value {number_text(row.get('value'))}; "
                f"{kind}).")
    return f"{row['claim']}: {number_text(row.get('value'))}{unit} ({interval}{kind})."


def headline_claim(rows: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The claim that leads its question on the page: not synthetic before synthetic, the row
    its extractor marks ``lead`` first, with an interval before without, derived (a
    comparison) before a single published figure.

    Examples
    --------
    >>> rows = [{"kind": "published", "low": None}, {"kind": "derived", "low": None}]
    >>> headline_claim(rows)["kind"]
    'derived'
    """
    return min(rows, key=lambda row: (row["kind"] == "synthetic", not row.get("lead", False),
                                      row.get("low") is None and row.get("high") is None,
                                      row["kind"] == "published"))


def lead_claims(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, Mapping[str, Any]]]:
    """``(question, its leading claim)`` for each of the article's questions ``rows`` answer,
    in the order of :data:`spamlab.claims.QUESTIONS` (:func:`headline_claim`)."""
    leads = []
    for question in claims_module.QUESTIONS:
        answers = [row for row in rows if row["question"] == question]
        if answers:
            leads.append((question, headline_claim(answers)))
    return leads


def _headline(rows: Sequence[Mapping[str, Any]]) -> str:
    """The "What this run shows" section: the leading claim of each question answered."""
    items = []
    for question, lead in lead_claims(rows):
        tag = ' <span class="tag">SYNTHETIC</span>' if lead["kind"] == "synthetic" else ""
        items.append(f"<li><strong>{_text(question)}</strong> "
                     f"{_text(claim_sentence(lead))}{tag}</li>")
    body = (f"<ul>{''.join(items)}</ul>" if items else
            "<p>This run recorded no claims: none of its reports wrote a result block.</p>")
    return (f'<section id="what-this-run-shows"><h2>What this run shows</h2>{body}'
            f"<p>Every number below says whether it is published, derived from published "
            f"figures, synthetic (a model's output, not evidence about 2011) or from your "
            f"data.</p></section>")


def _reading_order(run_dir: Path, reports: Sequence[str]) -> str:
    """Links to the reports present in the run folder, in the order given."""
    items = [f'<li><a href="{_text(name)}.html">{_text(name)}</a>: '
             f"{_text(REPORTS.get(name, 'report'))}</li>"
             for name in reports if (run_dir / f"{name}.html").is_file()]
    body = f"<ol>{''.join(items)}</ol>" if items else "<p>No HTML report in this run folder.</p>"
    return f'<section id="reading-order"><h2>Reading order</h2>{body}</section>'


def _figure_links(ids: Sequence[int], urls: Mapping[int, str]) -> str:
    """Figure ids as links to their source URLs (plain ``#id`` when the table has none)."""
    return ", ".join(f'<a href="{_text(urls[int(i)])}">#{int(i)}</a>' if int(i) in urls
                     else f"#{int(i)}" for i in ids)


def _interval_cell(interval: str, glossary: str | None) -> str:
    anchor = INTERVAL_ANCHORS.get(interval)
    if glossary and anchor:
        return f'<a href="{_text(glossary)}#{anchor}">{_text(interval)}</a>'
    return _text(interval)


def _report_cell(notebook: str, run_dir: Path) -> str:
    """The report a claim comes from, linked when its HTML is in the run folder."""
    if notebook and (run_dir / f"{notebook}.html").is_file():
        return f'<a href="{_text(notebook)}.html">{_text(notebook)}</a>'
    return _text(notebook)


def _claims_table(rows: Sequence[Mapping[str, Any]], urls: Mapping[int, str],
                  glossary: str | None, run_dir: Path) -> str:
    """The claims table, grouped by question: one row per number; synthetic rows shaded, tagged."""
    heads = ("Claim", "Value", "Low", "High", "Unit", "Interval", "Figures", "Kind", "Report")
    body = []
    for question in claims_module.QUESTIONS:
        answers = [row for row in rows if row["question"] == question]
        if answers:
            body.append(f'<tr class="question"><th colspan="{len(heads)}">{_text(question)}'
                        f"</th></tr>")
        for row in answers:
            synthetic = row["kind"] == "synthetic"
            kind = '<span class="tag">SYNTHETIC</span>' if synthetic else _text(row["kind"])
            cells = (_text(row["claim"]),
                     *(_text(number_text(row.get(key))) for key in ("value", "low", "high")),
                     _text(row.get("unit", "")), _interval_cell(str(row["interval"]), glossary),
                     _figure_links(row.get("figure_ids") or (), urls), kind,
                     _report_cell(str(row.get("notebook", "")), run_dir))
            tds = "".join(f'<td data-label="{head}"'
                          f'{" class=number" * (head in ("Value", "Low", "High"))}>{cell}</td>'
                          for head, cell in zip(heads, cells, strict=True))
            body.append(f'<tr{" class=synthetic" * synthetic}>{tds}</tr>')
    if not body:
        return '<section id="claims"><h2>Claims</h2><p>No claims.</p></section>'
    head = "".join(f"<th>{h}</th>" for h in heads)
    return (f'<section id="claims"><h2>Claims, one row per number</h2><table><thead><tr>{head}'
            f"</tr></thead><tbody>{''.join(body)}</tbody></table></section>")


def _warnings(entries: Any) -> str:
    """The run's warnings, or nothing when it has none."""
    if not entries:
        return ""
    items = "".join(f"<li>[{_text(entry.get('notebook', ''))}] {_text(entry.get('message', ''))}"
                    f"</li>" if isinstance(entry, Mapping) else f"<li>{_text(entry)}</li>"
                    for entry in entries)
    return (f'<section id="warnings"><h2>Warnings ({len(entries)}): read them before quoting '
            f'a number</h2><ul class="warnings">{items}</ul></section>')


def render_index(run_dir: Path, results: Mapping[str, Any], reports: Sequence[str],
                 urls: Mapping[int, str], glossary: str | None) -> str:
    """The HTML of the index page (see :func:`write_index`)."""
    rows = results.get("claims")
    if rows is None:
        rows = claims_module.claims(results)
    name = str(results.get("run") or Path(run_dir).name)
    title = f"spamlab run {name}: what it shows, claims and reports"
    link = (f'<p>Terms (ITS, counterfactual, AR(1), sensitivity range, ...) are explained in the '
            f'<a href="{_text(glossary)}">glossary</a>.</p>' if glossary else
            "<p>Terms are explained in the project's glossary, docs/glossary.md.</p>")
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_text(title)}</h1>", _headline(rows), _reading_order(Path(run_dir), reports),
        _claims_table(rows, urls, glossary, Path(run_dir)), _warnings(results.get("warnings")),
        f'<section id="glossary"><h2>Glossary</h2>{link}</section>', "</body></html>", ""])


def default_glossary(run_dir: Path) -> str | None:
    """The project's ``docs/glossary.md`` as a link relative to ``run_dir`` (None if absent)."""
    glossary = paths.project_root() / "docs" / "glossary.md"
    if not glossary.is_file():
        return None
    return Path(os.path.relpath(glossary, Path(run_dir).resolve())).as_posix()


def write_index(run_dir: str | Path, results: Mapping[str, Any], reports: Sequence[str], *,
                figures_table: pd.DataFrame | None = None,
                glossary: str | None | bool = True) -> Path:
    """Write the run's entry page, ``<run_dir>/index.html``.

    Parameters
    ----------
    run_dir
        The run folder, holding the reports' ``NAME.html``.
    results
        The run's ``results.json`` as a dictionary; its ``claims`` are shown when it
        has them, else computed (:func:`spamlab.claims.claims`).
    reports
        The reports in reading order (notebook names); only those whose HTML is in
        ``run_dir`` are linked.
    figures_table
        The published-figures table, for the figures' URLs; default
        :func:`spamlab.figures.load`.
    glossary
        Link to the glossary: True (default) for the project's ``docs/glossary.md``
        relative to ``run_dir`` (no link when it is absent), a string for another
        address, None for no link.

    Returns
    -------
    Path
        The page written.
    """
    run_dir = Path(run_dir)
    if figures_table is None:
        figures_table = figures.load()
    href = default_glossary(run_dir) if glossary is True else glossary or None
    page = run_dir / "index.html"
    urls = claims_module.figure_urls(figures_table)
    page.write_text(render_index(run_dir, results, reports, urls, str(href) if href else None),
                    encoding="utf-8")
    return page
