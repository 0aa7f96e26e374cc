"""One set of reading options (issue 21): ``series.ReadOptions`` lists them once; ``series.read``
takes exactly these as keywords, with the same defaults; ``inputs.read_daily`` takes them as
``reading=`` or keywords, checked against that list; the notebooks hold them in one ``reading``
parameter; ``spamlab run`` makes its options from the list."""

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


def test_the_reader_takes_every_option_with_its_default():
    assert _defaults(series.read) == OPTIONS


def test_read_daily_lists_no_option_of_its_own_and_refuses_unknown_ones(tmp_path):
    assert not set(inspect.signature(inputs.read_daily).parameters) & set(OPTIONS)
    path = tmp_path / "x.csv"
    path.write_text("date;count\n2024-01-01;1\n2024-01-02;2\n", encoding="utf-8")
    assert inputs.read_daily(path, reading={"sep": ";"}).frame["volume"].tolist() == [1.0, 2.0]
    assert inputs.read_daily(path, sep=";").frame["volume"].tolist() == [1.0, 2.0]
    with pytest.raises(ParameterError, match="reading option 'seperator' is unknown"):
        inputs.read_daily(path, reading={"seperator": ";"})
    with pytest.raises(ParameterError, match="'sep' is given twice"):
        inputs.read_daily(path, reading={"sep": ";"}, sep=",")


def test_spamlab_run_has_every_option_with_its_default():
    args = build_parser("run").parse_args(["run"])
    assert {name: getattr(args, name) for name in OPTIONS} == OPTIONS
    assert set(OPTIONS) <= set(cli_run.READING)
    assert {name: cli_run.READING[name][1] for name in OPTIONS} == OPTIONS


@pytest.mark.parametrize("notebook", READERS)
def test_each_reading_notebook_holds_the_options_in_one_parameter_and_passes_it(notebook):
    source = (paths.notebooks() / f"{notebook}.py").read_text(encoding="utf-8")
    cell = source.split('# %% tags=["parameters"]', 1)[1].split("# %%", 1)[0]
    declared = {node.targets[0].id: ast.literal_eval(node.value)
                for node in ast.parse(cell).body if isinstance(node, ast.Assign)}
    assert declared["reading"] == {}
    assert not set(declared) & set(OPTIONS), f"{notebook} lists reading options one by one"
    assert "reading=reading" in source, f"{notebook} does not pass its reading options"
    # days under min_coverage are gaps: the same share in every notebook of a run
    assert declared["min_coverage"] == inputs.MIN_COVERAGE
    assert "min_coverage=min_coverage" in source


@pytest.mark.parametrize("wrong, says", [
    ({"on_bad_rows": "skip"}, "on_bad_rows='skip'"),
    ({"max_bad_share": -0.1}, "max_bad_share=-0.1"),
    ({"ambiguous": "first"}, "ambiguous='first'"),
    ({"decimal": ";"}, "decimal=';'"),
])
def test_invalid_options_are_refused_when_made(wrong, says):
    with pytest.raises(ParameterError, match=says):
        series.ReadOptions(**wrong)
