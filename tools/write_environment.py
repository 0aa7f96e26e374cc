"""Print environment.yml generated from pyproject.toml (run by `make environment`).

The conda route installs the same dependencies as pip: Python from conda, then
every pyproject dependency (with its range) and spamlab itself through pip, so
the two routes cannot drift. ``tests/test_environment.py`` fails if the
committed environment.yml differs from this output.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def render(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The text of environment.yml for the given pyproject.toml."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    python = project["requires-python"].removeprefix(">=")
    extras = project["optional-dependencies"]
    deps = project["dependencies"] + extras["dev"] + extras.get("docs", [])
    lines = [
        "# Generated from pyproject.toml by `make environment`; do not edit by hand.",
        "# conda env create -f environment.yml && conda activate spamlab",
        "name: spamlab",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        f"  - python>={python}",
        "  - pip",
        "  - pip:",
        *[f'    - "{dep}"' for dep in deps],
        "    - -e .",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
