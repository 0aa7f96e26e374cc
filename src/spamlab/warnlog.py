"""The warnings of a run: recorded while its notebooks execute, kept with its answer.

A number printed without the warning that qualifies it is a confident wrong number.
So every warning a run meets ends up where its numbers end up: printed at the end of
``spamlab run``, listed at the top of each HTML report and stored in ``results.json``
under ``warnings`` (one entry per notebook and message).

Two kinds are collected:

* Python warnings (:func:`warnings.warn`) raised while a notebook executes. In the
  notebook's kernel :func:`install` wraps :func:`warnings.showwarning`, so each warning
  that is shown is also appended to a JSON-lines file, ``<run>/warnings/<notebook>.jsonl``
  (:func:`recorded`). It also resets the "shown once" registries, so a warning that an
  earlier notebook on the same warm kernel raised is shown and recorded again.
* The warnings a result carries (``res.warnings`` of an ITS fit and the like), found in
  the notebook's result fragment under any key named ``warnings`` (:func:`in_fragment`).

Examples
--------
>>> import tempfile, warnings
>>> folder = Path(tempfile.mkdtemp())
>>> with warnings.catch_warnings(record=True) as shown:
...     warnings.simplefilter("always")
...     install(folder, "05-your-data")
...     warnings.warn("12 of 30 days are partly covered", UserWarning)
...     uninstall()
>>> len(shown)  # still shown as before
1
>>> [(w["notebook"], w["message"]) for w in recorded(folder, ["05-your-data"])]
[('05-your-data', '12 of 30 days are partly covered')]
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "FOLDER",
    "as_lines",
    "in_fragment",
    "install",
    "of_run",
    "origin",
    "recorded",
    "uninstall",
    "unique",
]

#: folder of a run that holds one ``<notebook>.jsonl`` file of recorded warnings each
FOLDER = "warnings"

_original_showwarning: Any = None


def install(run: str | Path, notebook: str) -> None:
    """Record every warning shown from now on to ``<run>/warnings/<notebook>.jsonl``.

    Warnings are still shown as before (the wrapped :func:`warnings.showwarning`).
    Calling it again (the next notebook on a warm kernel) replaces the target file.

    Parameters
    ----------
    run
        The run's (build) folder.
    notebook
        The notebook whose warnings these are, e.g. ``"02-rustock-its"``.
    """
    global _original_showwarning
    uninstall()
    target = Path(run) / FOLDER / f"{notebook}.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("", encoding="utf-8")
    _original_showwarning = warnings.showwarning

    def show_and_record(message: Warning | str, category: type[Warning], filename: str,
                        lineno: int, file: Any = None, line: str | None = None) -> None:
        entry = {"notebook": notebook, "category": category.__name__,
                 "message": str(message), "where": f"{Path(filename).name}:{lineno}"}
        with target.open("a", encoding="utf-8") as stream:
            stream.write(json.dumps(entry) + "\n")
        _original_showwarning(message, category, filename, lineno, file, line)

    warnings.showwarning = show_and_record
    # A filter change invalidates every module's "already shown" registry, so a warning an
    # earlier notebook raised on this kernel is shown (and recorded) again. Appending the
    # catch-all that Python applies anyway changes nothing else, and is idempotent.
    warnings.simplefilter("default", append=True)


def uninstall() -> None:
    """Stop recording (restore the :func:`warnings.showwarning` that :func:`install` wrapped)."""
    global _original_showwarning
    if _original_showwarning is not None:
        warnings.showwarning = _original_showwarning
        _original_showwarning = None


def recorded(run: str | Path, notebooks: Iterable[str]) -> list[dict[str, str]]:
    """The warnings recorded in run folder ``run`` for ``notebooks``, in that order.

    Each is a dict with ``notebook``, ``category``, ``message`` and ``where`` (file and
    line that raised it); a message repeated within one notebook is listed once.
    """
    entries: list[dict[str, str]] = []
    for notebook in notebooks:
        path = Path(run) / FOLDER / f"{notebook}.jsonl"
        if path.is_file() and not path.is_symlink():
            lines = path.read_text(encoding="utf-8").splitlines()
            entries += [json.loads(line) for line in lines if line.strip()]
    return unique(entries)


def in_fragment(notebook: str, fragment: Any) -> list[dict[str, str]]:
    """The warnings that results carry inside a notebook's fragment (any ``warnings`` list).

    Examples
    --------
    >>> in_fragment("02", {"level_change": {}, "warnings": ["too few pre-period points"],
    ...                    "window": {"warnings": []}})
    [{'notebook': '02', 'category': 'result', 'message': 'too few pre-period points', 'where': 'warnings'}]
    """
    found: list[dict[str, str]] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                place = f"{where}.{key}" if where else str(key)
                if key == "warnings" and isinstance(value, list):
                    found.extend({"notebook": notebook, "category": "result", "message": str(text),
                                  "where": place} for text in value)
                else:
                    walk(value, place)
        elif isinstance(node, list):
            for item in node:
                walk(item, where)

    walk(fragment, "")
    return found


def unique(entries: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    """``entries`` without repeats of the same (notebook, message), first occurrence kept.

    Examples
    --------
    >>> len(unique([{"notebook": "a", "message": "m"}, {"notebook": "a", "message": "m"},
    ...             {"notebook": "b", "message": "m"}]))
    2
    """
    seen: set[tuple[str, str]] = set()
    kept = []
    for entry in entries:
        key = (entry.get("notebook", ""), entry.get("message", ""))
        if key not in seen:
            seen.add(key)
            kept.append(dict(entry))
    return kept


def of_run(run: str | Path, fragments: Iterable[tuple[str, Mapping[str, Any]]]) -> list[dict[str, str]]:
    """Every warning of a run: recorded ones and those in the fragments, notebook by notebook.

    Parameters
    ----------
    run
        The run folder (holding ``warnings/``).
    fragments
        ``(notebook, fragment)`` pairs in execution order.
    """
    entries: list[dict[str, str]] = []
    for notebook, fragment in fragments:
        entries += recorded(run, [notebook]) + in_fragment(notebook, fragment)
    return unique(entries)


def as_lines(entries: Iterable[Mapping[str, str]], limit: int = 40) -> list[str]:
    """One line per warning (``[notebook] message``), at most ``limit`` and a count of the rest.

    Examples
    --------
    >>> as_lines([{"notebook": "02", "category": "UserWarning", "message": "fragile"}])
    ['  [02, UserWarning] fragile']
    """
    entries = list(entries)
    lines = [f"  [{origin(e)}] {_one_line(e.get('message', ''))}" for e in entries[:limit]]
    if len(entries) > limit:
        lines.append(f"  ... and {len(entries) - limit} more (results.json, 'warnings')")
    return lines


def origin(entry: Mapping[str, str], *, notebook: bool = True) -> str:
    """Where a warning comes from, for a reader: the notebook and the result or category.

    Examples
    --------
    >>> origin({"notebook": "02", "category": "result", "where": "whole_series.warnings"})
    '02, whole_series'
    >>> origin({"notebook": "05", "category": "UserWarning", "where": "inputs.py:80"})
    '05, UserWarning'
    >>> origin({"notebook": "02", "category": "result", "where": "warnings"}, notebook=False)
    'the reported fit'
    """
    if entry.get("category") != "result":
        what = entry.get("category", "Warning")
    else:
        what = entry.get("where", "warnings").removesuffix("warnings").rstrip(".")
    if not notebook:
        return what or "the reported fit"
    return ", ".join(part for part in (entry.get("notebook", "?"), what) if part)


def _one_line(text: str, width: int = 300) -> str:
    """``text`` on one line, cut at ``width`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."
