"""Project-relative locations, overridable by environment variables.

Library functions take explicit paths; only the CLI and the notebooks use these
defaults. Set ``SPAMLAB_ROOT`` to point at another checkout, or
``SPAMLAB_DATA_RAW`` / ``SPAMLAB_DATA_PROCESSED`` / ``SPAMLAB_REPORTS`` to move
a single folder.

Examples
--------
>>> from spamlab import paths
>>> paths.figures_csv().name
'published_figures.csv'
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "data_processed",
    "data_raw",
    "figures_csv",
    "notebooks",
    "project_root",
    "reports",
]


def _find_root() -> Path:
    """The project root: ``SPAMLAB_ROOT``, else the checkout holding this file, else the cwd."""
    env = os.environ.get("SPAMLAB_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "data" / "raw").is_dir():
            return parent
    return Path.cwd()


def project_root() -> Path:
    """Return the project root folder (see module docstring for overrides)."""
    return _find_root()


def _dir(env_name: str, default: Path) -> Path:
    value = os.environ.get(env_name)
    return Path(value).resolve() if value else default


def data_raw() -> Path:
    """Folder of immutable inputs (``data/raw``)."""
    return _dir("SPAMLAB_DATA_RAW", project_root() / "data" / "raw")


def data_processed() -> Path:
    """Folder of derived, regenerable data (``data/processed``)."""
    return _dir("SPAMLAB_DATA_PROCESSED", project_root() / "data" / "processed")


def reports() -> Path:
    """Folder of rendered notebooks, figures and results (``reports``)."""
    return _dir("SPAMLAB_REPORTS", project_root() / "reports")


def notebooks() -> Path:
    """Folder of the jupytext notebook sources (``notebooks``)."""
    return project_root() / "notebooks"


def figures_csv() -> Path:
    """The published-figures table, ``data/raw/published_figures.csv``."""
    return data_raw() / "published_figures.csv"
