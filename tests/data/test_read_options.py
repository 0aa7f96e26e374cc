"""One set of reading options (issue 21): ``series.ReadOptions`` lists them once; ``series.read``,
``inputs.read_daily``, the notebooks' parameters cells and ``spamlab run`` take exactly these,
with the same defaults."""

from __future__ import annotations

import ast
import inspect
from dataclasses import fields

import pytest

from spamlab import inputs, paths, series
from spamlab.cli import build_parser
from spamlab.cli import run as cli_run
from spamlab.errors import ParameterError

OPTIONS = {option.name: option.default for option in fields(series.ReadOptions)}
#: the notebooks that read a user's file with the reading options
READERS = ("02-rustock-its", "04-robustness", "05-your-data", "06-what-vanished")


def _defaults(function: object) -> dict[str, object]:
    parameters = inspect.signature(function).parameters  # type: ignore[arg-type]
    return {name: parameters[name].default for name in OPTIONS if name in parameters}


@pytest.mark.parametrize("function", [series.read, inputs.read_daily])
def test_the_readers_take_every_option_with_its_default(function):
    assert _defaults(function) == OPTIONS


def test_spamlab_run_has_every_option_with_its_default():
    args = build_parser("run").parse_args(["run"])
    assert {name: getattr(args, name) for name in OPTIONS} == OPTIONS
    assert set(OPTIONS) <= set(cli_run.READING)
    assert {name: cli_run.READING[name][1] for name in OPTIONS} == OPTIONS


@pytest.mark.parametrize("notebook", READERS)
def test_each_reading_notebook_declares_and_passes_every_option(notebook):
    source = (paths.notebooks() / f"{notebook}.py").read_text(encoding="utf-8")
    cell = source.split('# %% tags=["parameters"]', 1)[1].split("# %%", 1)[0]
    declared = {node.targets[0].id: ast.literal_eval(node.value)
                for node in ast.parse(cell).body if isinstance(node, ast.Assign)}
    assert {name: declared.get(name, "missing") for name in OPTIONS} == OPTIONS
    for name in OPTIONS:
        assert f"{name}={name}" in source, f"{notebook} does not pass {name}"


@pytest.mark.parametrize("wrong, says", [
    ({"on_bad_rows": "skip"}, "on_bad_rows='skip'"),
    ({"max_bad_share": -0.1}, "max_bad_share=-0.1"),
    ({"ambiguous": "first"}, "ambiguous='first'"),
    ({"decimal": ";"}, "decimal=';'"),
])
def test_invalid_options_are_refused_when_made(wrong, says):
    with pytest.raises(ParameterError, match=says):
        series.ReadOptions(**wrong)
