"""The project's written documentation as one text, for tests that run its examples.

Examples live in the README (the front door) and in the pages under ``docs/`` (the site);
the ``<!-- section: NAME -->`` markers travel with the text, wherever a section now lives.
"""

from __future__ import annotations

from spamlab import paths


def documentation_text() -> str:
    """The README followed by every ``docs/**/*.md`` page (built output left out)."""
    root = paths.project_root()
    pages = [root / "README.md"] + sorted(
        page for page in (root / "docs").rglob("*.md") if "_build" not in page.parts)
    return "\n".join(page.read_text(encoding="utf-8") for page in pages)
