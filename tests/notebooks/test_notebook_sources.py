"""The notebook sources follow the house conventions (no kernel needed)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jupytext
import pytest

from spamlab import inputs, notebooks, paths

SOURCES = sorted(paths.notebooks().glob("[0-9][0-9]-*.py"))
EXPECTED = {
    "01-published-figures", "02-rustock-its", "03-the-missing-5-billion", "04-robustness",
    "05-your-data", "06-what-vanished", "07-after-the-takedown",
}
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
COMMON_PARAMETERS = {"data", "seed", "run_name", "reports_dir"}
#: what spamlab.series.read accepts and its error messages advise (issue 13, bug 3)
#: (the options of spamlab.series.ReadOptions travel together, in `reading`)
READING_PARAMETERS = {"date_col", "value_col", "tz", "reading"}


def _cells(source: Path, kind: str) -> list:
    return [cell for cell in jupytext.read(source).cells if cell.cell_type == kind]


def test_every_planned_notebook_has_a_source():
    names = {source.stem for source in SOURCES}
    assert set(notebooks.STORY) | set(notebooks.YOUR_DATA) <= names
    assert names == EXPECTED


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_code_cells_define_no_functions_or_classes(source):
    for cell in _cells(source, "code"):
        tree = ast.parse(cell.source)
        defined = [getattr(node, "name", "lambda") for node in ast.walk(tree)
                   if isinstance(node, DEFINITIONS)]
        assert not defined, f"{source.name}: a code cell defines {defined}"


def test_the_definition_check_catches_a_definition(tmp_path):
    bad = tmp_path / "99-bad.py"
    bad.write_text("# %%\nx = 1\n\n# %%\ndef helper():\n    return 2\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="helper"):
        test_code_cells_define_no_functions_or_classes(bad)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_one_h1_and_a_readable_size(source):
    markdown = "\n".join(cell.source for cell in _cells(source, "markdown"))
    titles = re.findall(r"^# \S", markdown, flags=re.MULTILINE)
    assert len(titles) == 1, f"{source.name}: {len(titles)} H1 titles"
    assert markdown.lstrip().startswith("# "), "the H1 opens the notebook"
    assert len(jupytext.read(source).cells) <= 30


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_parameters_cell_holds_data_interruption_seed_and_run(source):
    declared = notebooks.declared_parameters(source)
    assert COMMON_PARAMETERS <= declared
    assert {"interruption", "interruptions"} & declared
    tagged = [c for c in jupytext.read(source).cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for node in ast.parse(tagged[0].source).body:  # papermill needs literals it can override
        assert isinstance(node, ast.Assign), f"{source.name}: {ast.unparse(node)}"
        ast.literal_eval(node.value)


def _saves_figure(node: ast.AST) -> bool:
    """Whether ``node`` saves a figure: ``run.save(fig, "what")`` or ``report.save_figure(...)``."""
    return "save_figure(" in ast.unparse(node) or "run.save(" in ast.unparse(node)


def _figure_names(source: Path) -> list[str]:
    """Literal names given to run.save (the run prefixes the input's slug) or report.save_figure
    (directly, or via inp.figure_name)."""
    names = []
    for cell in _cells(source, "code"):
        for node in ast.walk(ast.parse(cell.source)):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "save"
                    and getattr(node.func.value, "id", "") == "run"):
                names.append("slug-" + ast.literal_eval(node.args[1]))
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "save_figure":
                name = node.args[2]
                if isinstance(name, ast.Call) and getattr(name.func, "attr", "") == "figure_name":
                    names.append("slug-" + ast.literal_eval(name.args[0]))  # <slug>-<what>
                else:
                    names.append(ast.literal_eval(name))
    return names


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_last_cell_records_versions_and_figures_are_named_by_content(source):
    code = _cells(source, "code")
    assert "report.versions()" in code[-1].source
    for name in _figure_names(source):
        assert len(name.split("-")) >= 2, f"figure name {name!r} should say what it shows"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_code_cells_import_only_spamlab(source):
    for cell in _cells(source, "code"):
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            assert all(m.split(".")[0] == "spamlab" for m in modules), f"{source.name}: {modules}"


@pytest.mark.parametrize("name", notebooks.YOUR_DATA)
def test_notebooks_run_on_data_take_every_reading_option_and_a_list_of_interruptions(name):
    declared = notebooks.declared_parameters(paths.notebooks() / f"{name}.py")
    assert READING_PARAMETERS <= declared
    assert "interruptions" in declared and "pause_interruptions" not in declared
    assert "interruption" not in declared  # one general list, the last one reported


def test_figure_names_of_a_data_run_do_not_collide():
    names = [name for nb in notebooks.YOUR_DATA
             for name in _figure_names(paths.notebooks() / f"{nb}.py")]
    assert len(names) >= len(notebooks.YOUR_DATA)  # every data notebook saves figures
    assert len(names) == len(set(names)), sorted(names)


@pytest.mark.parametrize("name", ["02-rustock-its", "04-robustness"])
def test_the_story_analyses_the_scenario_that_reproduces_the_figures(name):
    tagged = next(c for c in jupytext.read(paths.notebooks() / f"{name}.py").cells
                  if "parameters" in c.metadata.get("tags", []))
    values = {node.targets[0].id: ast.literal_eval(node.value)
              for node in ast.parse(tagged.source).body}
    assert values["hypothesis"] == inputs.DEFAULT_HYPOTHESIS


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_a_cell_that_saves_a_figure_ends_with_it_so_it_is_displayed(source):
    """A figure shows only as its cell's last value; a print after save_figure hid 05's."""
    for cell in _cells(source, "code"):
        body = ast.parse(cell.source).body
        saves = [node for node in body if _saves_figure(node)]
        if saves:
            assert body[-1] is saves[-1], f"{source.name}: {cell.source[:200]!r}"
