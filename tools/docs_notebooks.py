"""Put the executed notebooks where the documentation site renders them (run by `make docs`).

The site shows each notebook of ``notebooks/`` as a page, with its outputs, but Sphinx never
executes one (that takes about a minute and writes reports). The executed copies come from the
default analysis: ``reports/rustock/NN-*.ipynb`` (notebooks 01-04, 06, 07) and
``reports/mailserver-sample/05-your-data.ipynb`` (notebook 05 on the sample export), both
written by ``make analysis``. A copy is *current* when it is newer than its ``.py`` source; if
any is missing or older, ``make analysis`` runs first (``--make``). With ``--unexecuted`` a
missing or stale notebook is converted from its source without outputs instead (the browser
test's fast mode). ``--stale-ok`` takes an executed copy whatever its age (and says which are
older than their source).

The copies go to ``docs/notebooks/`` (git-ignored there); links written for a report folder
(``../../docs/glossary.md#its``) are rewritten to the site's pages (``../glossary.md#its``).
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "notebooks"
#: run folder under reports/ holding the executed copy of a notebook (by its number)
RUN_OF = {"05": "mailserver-sample"}
DEFAULT_RUN = "rustock"
#: a report's link into docs/ -> the same page seen from docs/notebooks/
LINK_FROM_REPORT, LINK_FROM_SITE = "../../docs/", "../"


def executed_copy(source: Path, reports: Path) -> Path:
    """Where ``make analysis`` writes the executed copy of the notebook ``source``."""
    return reports / RUN_OF.get(source.name[:2], DEFAULT_RUN) / f"{source.stem}.ipynb"


def stale(sources: list[Path], reports: Path, *, any_age: bool = False) -> list[Path]:
    """The sources whose executed copy is missing or (unless ``any_age``) older than the source."""
    return [source for source in sources
            if not executed_copy(source, reports).is_file()
            or (not any_age
                and executed_copy(source, reports).stat().st_mtime < source.stat().st_mtime)]


def relink(notebook: dict) -> dict:
    """``notebook`` with its markdown cells' links into docs/ pointing at the site's pages."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "markdown":
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = text.replace(LINK_FROM_REPORT, LINK_FROM_SITE)
    return notebook


def unexecuted(source: Path) -> dict:
    """The notebook of a jupytext source, without outputs, saying so in a first cell."""
    import jupytext

    notebook = json.loads(jupytext.writes(jupytext.read(source), fmt="ipynb"))
    note = {"cell_type": "markdown", "metadata": {}, "source": (
        "*This page shows the notebook without outputs (built in fast mode); `make docs` "
        "renders the executed notebook.*")}
    cells = notebook["cells"]
    heading = next((i for i, cell in enumerate(cells) if cell["cell_type"] == "markdown"), -1)
    cells.insert(heading + 1, note)
    return notebook


def collect(dest: Path, reports: Path, *, allow_unexecuted: bool, any_age: bool = False
            ) -> list[str]:
    """Write one ``.ipynb`` per source into ``dest``; the names of those written without outputs."""
    sources = sorted(SOURCES.glob("[0-9][0-9]-*.py"))
    missing = stale(sources, reports, any_age=any_age)
    if missing and not allow_unexecuted:
        names = ", ".join(source.name for source in missing)
        raise SystemExit(f"docs_notebooks: no current executed copy of {names}; run `make analysis`")
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*.ipynb"):
        old.unlink()
    for source in sources:
        if source in missing:
            notebook = unexecuted(source)
        else:
            notebook = json.loads(executed_copy(source, reports).read_text(encoding="utf-8"))
        (dest / f"{source.stem}.ipynb").write_text(json.dumps(relink(notebook), indent=1),
                                                   encoding="utf-8")
    return [source.stem for source in missing]


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=ROOT / "docs" / "notebooks")
    parser.add_argument("--reports", type=Path, default=ROOT / "reports")
    parser.add_argument("--make", help="make command to run `analysis` with when copies are stale")
    parser.add_argument("--unexecuted", action="store_true",
                        help="convert missing or stale notebooks without outputs instead")
    parser.add_argument("--stale-ok", action="store_true",
                        help="use executed copies older than their source (named on output)")
    args = parser.parse_args(argv)
    sources = sorted(SOURCES.glob("[0-9][0-9]-*.py"))
    if args.stale_ok and (older := set(stale(sources, args.reports))
                          - set(stale(sources, args.reports, any_age=True))):
        print("docs: executed copies older than their source: "
              + ", ".join(sorted(source.stem for source in older)))
    if args.make and not args.unexecuted and stale(sources, args.reports, any_age=args.stale_ok):
        names = ", ".join(source.stem for source in stale(sources, args.reports))
        print(f"docs: executed notebooks missing or older than their source ({names}); "
              "running `make analysis`", flush=True)
        subprocess.run([*shlex.split(args.make), "-C", str(ROOT), "analysis"], check=True)
    plain = collect(args.dest, args.reports, allow_unexecuted=args.unexecuted,
                    any_age=args.stale_ok)
    shutil.rmtree(args.dest / ".ipynb_checkpoints", ignore_errors=True)
    shown = "all executed" if not plain else f"without outputs: {', '.join(plain)}"
    print(f"docs: notebooks in {args.dest} ({shown})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
