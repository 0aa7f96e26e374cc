"""The conda route and the pip route install the same dependencies."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load_writer():
    spec = importlib.util.spec_from_file_location("write_environment", ROOT / "tools" / "write_environment.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_environment_yml_is_generated_from_pyproject() -> None:
    expected = _load_writer().render(ROOT / "pyproject.toml")
    actual = (ROOT / "environment.yml").read_text(encoding="utf-8")
    assert actual == expected, "environment.yml is stale: run `make environment`"


def test_every_dependency_is_pinned_in_constraints() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = project["dependencies"] + project["optional-dependencies"]["dev"]
    pinned = {
        line.split("==")[0].strip().lower().replace("_", "-").replace(".", "-")
        for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
        if "==" in line
    }
    names = {
        re.split(r"[\[<>=!~ ]", dep, maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")
        for dep in deps
    }
    assert names - pinned == set(), f"dependencies without an exact pin: {sorted(names - pinned)}"
