"""The modules split or moved in issue 26 (finding 4) keep their old import paths and
export exactly their public names.

* ``spamlab.synthetic`` holds the synthetic spam generators; ``spamlab.testing`` and
  ``spamlab.ingest.corpus`` re-export the same objects.
* ``spamlab.timeaxis`` holds the time helpers of ``spamlab.series``, which re-exports them.
* ``spamlab.its.segmented`` dispatches through tables to ``its.error_models`` and
  ``its.count_models``: every ``errors=`` kind and every family has a fitter.
* Kenward-Roger and plain REML-Satterthwaite left the library for
  ``benchmarks/_smallsample.py``; the old names fail with a message saying where they went.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from spamlab import series, synthetic, testing, timeaxis
from spamlab.ingest import corpus
from spamlab.its import reml, segmented
from spamlab.its.specification import FAMILIES, parse_errors

SPLIT_MODULES = ["spamlab.its.reml", "spamlab.its.armareml", "spamlab.its.smallsample",
                 "spamlab.its.batched", "spamlab.its.segmented", "spamlab.its.fitted",
                 "spamlab.its.error_models", "spamlab.its.count_models", "spamlab.series",
                 "spamlab.timeaxis", "spamlab.tablerows", "spamlab.testing",
                 "spamlab.ingest.corpus", "spamlab.synthetic", "spamlab.synthetic.mail",
                 "spamlab.synthetic.botnets"]


def own_public_names(module_name: str) -> set[str]:
    """Public functions, classes and UPPER_CASE constants the module's source defines."""
    module = importlib.import_module(module_name)
    names: set[str] = set()
    for node in ast.parse(Path(module.__file__ or "").read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        names |= {t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper()}
    return {name for name in names if not name.startswith("_")}


@pytest.mark.parametrize("module_name", SPLIT_MODULES)
def test_all_lists_every_public_name_and_only_existing_ones(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert [name for name in module.__all__ if not hasattr(module, name)] == []
    assert own_public_names(module_name) - set(module.__all__) == set()


@pytest.mark.parametrize("old", [testing, corpus])
def test_old_homes_of_the_generators_re_export_the_same_objects(old) -> None:
    shared = set(old.__all__) & set(synthetic.__all__)
    assert {"write_corpus", "write_botnet_corpus", "mbox_bytes", "BotnetTruth"} <= shared
    assert all(getattr(old, name) is getattr(synthetic, name) for name in shared)


def test_the_trap_archive_is_reachable_from_the_synthetic_package() -> None:
    assert synthetic.write_trap_archive is testing.write_trap_archive
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = synthetic.nothing


def test_series_re_exports_the_time_axis() -> None:
    for name in timeaxis.__all__:
        if name != "parse_times":
            assert getattr(series, name) is getattr(timeaxis, name)


@pytest.mark.parametrize("errors", ["iid", "hac", "hac(3)", "ar1", "reml", "arma(2,1)"])
def test_every_error_structure_has_a_gaussian_fitter(errors: str) -> None:
    assert parse_errors(errors)[0] in segmented.GAUSSIAN_ERRORS


def test_every_count_family_has_a_fitter() -> None:
    assert set(segmented.COUNT_FAMILIES) == set(FAMILIES) - {"gaussian"}


@pytest.mark.parametrize("name", ["kenward_roger", "satterthwaite"])
def test_the_benchmark_only_intervals_say_where_they_went(name: str) -> None:
    with pytest.raises(AttributeError, match="benchmarks/_smallsample.py"):
        getattr(reml, name)
