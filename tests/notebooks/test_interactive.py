"""What a JupyterLab user meets: errors as one line, figures as images, lab settings."""

from __future__ import annotations

import json

import pytest
from IPython.core.interactiveshell import InteractiveShell
from matplotlib.figure import Figure

from spamlab import paths, report


@pytest.fixture(scope="module")
def shell() -> InteractiveShell:
    return InteractiveShell.instance()


def test_a_data_error_in_a_notebook_shows_its_one_line(shell, capsys):
    shell.run_cell("from spamlab.errors import DataError\n"
                   "raise DataError('x.csv, line 3: value in column count is negative')")
    shown = capsys.readouterr().out.strip()
    assert shown == "DataError: x.csv, line 3: value in column count is negative"


def test_a_saved_figure_displays_as_its_png_even_without_pyplot(shell, tmp_path):
    fig = Figure()  # as spamlab.plots builds some figures: no pyplot, no backend
    fig.add_subplot().plot([1, 2])
    saved = report.save_figure(fig, tmp_path, "two-points")
    data, _ = shell.display_formatter.format(saved)
    assert data["image/png"] == (tmp_path / "figures" / "two-points.png").read_bytes()


def test_jupytext_opens_the_sources_as_notebooks_and_writes_no_version_metadata():
    settings = json.loads((paths.project_root() / "jupyter" / "lab" / "settings"
                           / "overrides.json").read_text(encoding="utf-8"))
    viewers = settings["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers["python"] == "Jupytext Notebook"
    config = (paths.project_root() / "jupytext.toml").read_text(encoding="utf-8")
    assert 'notebook_metadata_filter = "-jupytext.text_representation' in config
