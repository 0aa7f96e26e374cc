"""Sphinx configuration of the spamlab documentation site (``make docs``).

The site builds offline: no intersphinx, no assets fetched at view time. The notebooks are
rendered from executed copies in ``docs/notebooks/`` (``tools/docs_notebooks.py`` puts them
there); MyST-NB never executes them.
"""

from __future__ import annotations

from importlib.metadata import version as _version

project = "spamlab"
author = "the spamlab authors"
copyright = "the spamlab authors"
release = _version("spamlab")
version = release

extensions = [
    "myst_nb",  # MyST Markdown pages and .ipynb notebooks (includes myst_parser)
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**/.ipynb_checkpoints", "notebooks/*.py"]
templates_path = ["_templates"]
root_doc = "index"

# MyST: ``(label)=`` targets, ``:::`` fences, heading anchors for ``page.md#heading`` links.
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
# The glossary's entries are raw ``<a id="...">`` anchors (kept stable for the reports' links);
# MyST cannot see them, so ``glossary.md#its`` is checked by tests/test_readme.py instead.
suppress_warnings = ["myst.xref_missing"]

# MyST-NB: render the executed copies as they are; never run a kernel during the build.
nb_execution_mode = "off"
nb_ipywidgets_js = {}  # no widget JavaScript from a CDN: the explorer needs a live kernel anyway
nb_mime_priority_overrides = [
    ("html", "application/vnd.jupyter.widget-view+json", None),
    ("html", "application/vnd.jupyter.widget-state+json", None),
]
nb_merge_streams = True

# API reference: one page per public name, from each module's ``__all__``.
autosummary_generate = True
autosummary_ignore_module_all = False
autosummary_imported_members = True
autodoc_typehints = "none"  # numpydoc's Parameters section carries the types
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = "spamlab"
html_static_path: list[str] = []
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "icon_links": [],
}
html_show_sourcelink = False
html_copy_source = False


def _skip_foreign(app, what, name, obj, skip, options):
    """Leave out names a module merely imports (``Path``, ``Any``): only spamlab's own are listed."""
    module = getattr(obj, "__module__", None)
    if isinstance(module, str) and not module.startswith("spamlab"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign)
