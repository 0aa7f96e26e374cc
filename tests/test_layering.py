"""The package's layers: no import reaches up a layer (not even one made only for type
checking), importing the models loads no plotting library, and importing spamlab changes no
matplotlib setting; spamlab's figures draw in their theme without it.

The import-cycle test of ``tests/test_package.py`` ignores imports under ``if TYPE_CHECKING:``
(they never run); this module checks them against the layers, which is how the edge
``its.results -> plots`` hid its reverse ``plots.its -> its.results`` before.
"""

from __future__ import annotations

import ast
import io
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import spamlab

SOURCE = Path(spamlab.__file__).parent

#: Each stage's layer: a module may import stages of its own layer or below, never above
#: (cycles inside a layer are the cycle test's). 0: foundations; 8: what runs notebooks.
LAYERS: dict[str, int] = {
    "errors": 0, "paths": 0, "deprecation": 0, "results_protocol": 0, "warnlog": 0,
    "tablerows": 0,
    "moments": 1, "timeaxis": 1, "figures": 1, "synthetic": 1,
    "series": 2, "events": 2, "mail": 2,
    "clean": 3, "ingest": 3,
    "testing": 4, "its": 4, "residual": 4, "aftermath": 4,
    "scenario": 5, "attribution": 5, "claims": 5,
    "plots": 6,
    "tables": 7, "inputs": 7, "explore": 7, "index_page": 7, "report": 7,
    "kernels": 8, "notebooks": 8, "cli": 8,
}

#: The one way up: a plot method of a result imports the plotting stage when called
#: (``ITSResult.plot``, as statsmodels' results import their graphics).
PLOTTING = "spamlab.plots"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _stage(module: str) -> str:
    return module.split(".")[1] if "." in module else module


def import_edges(source: str) -> list[tuple[str, str, str]]:
    """``(imported module, kind, enclosing function)`` of every spamlab import in ``source``;
    ``kind`` is ``"runtime"`` (module level), ``"deferred"`` (inside a function, run when it
    is called) or ``"typing"`` (under ``if TYPE_CHECKING:``, never run).

    Examples
    --------
    >>> code = "if TYPE_CHECKING:\\n    from spamlab.plots import its\\ndef plot():\\n    import spamlab.plots"
    >>> import_edges(code)
    [('spamlab.plots.its', 'typing', ''), ('spamlab.plots', 'deferred', 'plot')]
    """
    found: list[tuple[str, str, str]] = []

    def visit(node: ast.AST, kind: str, function: str) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                visit(child, "typing", function)
            for child in node.orelse:
                visit(child, kind, function)
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            kind, function = ("deferred" if kind == "runtime" else kind), node.name
        if isinstance(node, ast.Import):
            found.extend((alias.name, kind, function) for alias in node.names
                         if alias.name.startswith("spamlab"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.startswith("spamlab"):
            found.extend((f"{node.module}.{alias.name}", kind, function) for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child, kind, function)

    visit(ast.parse(source), "runtime", "")
    return found


def upward_imports(module: str, source: str, known: set[str]) -> list[str]:
    """The imports of ``module`` (its ``source``) that reach a higher layer, as sentences.

    ``known`` holds every spamlab module, to tell ``from pkg import submodule`` from
    ``from module import name``. Imports of the package ``spamlab`` itself are free (its
    ``__init__`` loads no stage); an import of :data:`PLOTTING` inside a function whose
    name starts with ``plot`` is the one allowed way up.
    """
    found = []
    for target, kind, function in import_edges(source):
        if target not in known:
            target = target.rsplit(".", 1)[0]
        if target == "spamlab" or _stage(target) == _stage(module):
            continue
        if kind == "deferred" and function.startswith("plot") and target.startswith(PLOTTING):
            continue
        low, high = LAYERS[_stage(module)], LAYERS[_stage(target)]
        if high > low:
            found.append(f"{module} (layer {low}) imports {target} (layer {high}), {kind}"
                         + (f" in {function}()" if function else ""))
    return found


def test_every_stage_has_a_layer():
    stages = {path.stem if path.is_file() else path.name for path in SOURCE.iterdir()
              if (path.suffix == ".py" and path.stem != "__init__")
              or (path.is_dir() and (path / "__init__.py").exists())}
    assert stages - set(LAYERS) == set(), "add the new stage to LAYERS"


def test_no_import_reaches_up_a_layer():
    modules = {_module_name(path): path for path in SOURCE.rglob("*.py")}
    known = set(modules)
    found = [line for name, path in sorted(modules.items()) if name != "spamlab"
             for line in upward_imports(name, path.read_text(encoding="utf-8"), known)]
    assert found == []


@pytest.mark.parametrize("code", [
    "from spamlab.plots.its import plot_result",                       # at import
    "if TYPE_CHECKING:\n    from spamlab.plots.its import plot_result",  # for typing only
    "def summary(res):\n    from spamlab.plots import its",             # deferred, not a plot
])
def test_an_import_up_a_layer_is_flagged_also_for_typing(code):
    known = {"spamlab.its.results", "spamlab.plots", "spamlab.plots.its"}
    assert len(upward_imports("spamlab.its.results", code, known)) == 1


def test_a_plot_method_may_import_the_plots_and_a_plot_may_type_a_result():
    known = {"spamlab.its.results", "spamlab.plots", "spamlab.plots.its"}
    method = "class R:\n    def plot(self):\n        from spamlab.plots.its import plot_result"
    assert upward_imports("spamlab.its.results", method, known) == []
    typing = "if TYPE_CHECKING:\n    from spamlab.its.results import ITSResult"
    assert upward_imports("spamlab.plots.its", typing, known) == []


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_models_load_no_plotting_library():
    out = _run("""
        import sys
        import spamlab, spamlab.its, spamlab.its.model, spamlab.attribution, spamlab.residual
        import numpy as np, pandas as pd
        from spamlab import its
        frame = pd.DataFrame({"v": np.r_[np.full(30, 10.0), np.full(20, 6.0)] + np.sin(np.arange(50))},
                             index=pd.date_range("2011-02-01", periods=50))
        res = its.fit(frame, y="v", interruptions=["2011-03-03"])
        res.summary(), res.to_dict(), res._repr_html_()
        print(sorted(name for name in ("matplotlib", "seaborn", "spamlab.plots") if name in sys.modules))
    """)
    assert out.strip() == "[]"


def test_importing_spamlab_changes_no_matplotlib_setting():
    out = _run("""
        import importlib, pkgutil, matplotlib
        import spamlab
        before = matplotlib.rcParams.copy()
        names = sorted(info.name for info in pkgutil.walk_packages(spamlab.__path__, "spamlab.")
                       if not info.name.endswith("__main__"))
        changed = {}
        for group in ([n for n in names if not n.startswith("spamlab.plots")],
                      [n for n in names if n.startswith("spamlab.plots")]):
            for name in group:
                importlib.import_module(name)
            changed[group[0]] = sorted(key for key in before if matplotlib.rcParams[key] != before[key])
        print(changed)
        print(sorted(key for key in before if before[key] != matplotlib.rcParamsDefault[key]))
    """)
    every_module, versus_defaults = out.strip().splitlines()
    assert every_module == "{'spamlab.aftermath': [], 'spamlab.plots': []}"
    assert set(eval(versus_defaults)) <= {"backend"}


def _png(fig: matplotlib.figure.Figure) -> np.ndarray:
    buffer = io.BytesIO()
    with matplotlib.rc_context({"savefig.bbox": "standard"}):
        fig.savefig(buffer, format="png", dpi=40)
    plt.close(fig)
    buffer.seek(0)
    return plt.imread(buffer)


def _its_fit():
    from spamlab import its

    frame = pd.DataFrame({"v": np.r_[np.full(30, 10.0), np.full(20, 6.0)] + np.sin(np.arange(50))},
                         index=pd.date_range("2011-02-01", periods=50))
    return its.fit(frame, y="v", interruptions=["2011-03-03"])


@pytest.mark.parametrize("draw", ["plot", "plot_diagnostics", "plot_sensitivity"])
def test_a_figure_looks_the_same_in_the_theme_and_outside_it(draw):
    from spamlab import plots
    from spamlab.plots.style import theme_settings

    res = _its_fit()
    table = pd.DataFrame({"varied": ["pre_window"] * 2, "setting": ["60", "30"],
                          "estimate": [-5.0, -4.0], "ci_low": [-6.0, -6.0],
                          "ci_high": [-4.0, -2.0], "scale": ["difference"] * 2})
    make = {"plot": res.plot, "plot_diagnostics": lambda: plots.plot_diagnostics(res),
            "plot_sensitivity": lambda: plots.plot_sensitivity(table)}[draw]
    before = matplotlib.rcParams.copy()
    outside = _png(make())
    assert matplotlib.rcParams == before  # drawing changed no setting
    with matplotlib.rc_context(theme_settings()):  # as if the theme were set globally
        inside = _png(make())
    assert outside.shape == inside.shape and np.abs(outside - inside).max() == 0


def test_a_figure_is_drawn_in_the_theme():
    fig = _its_fit().plot()
    top = fig.axes[0]
    assert top.xaxis.get_gridlines()[0].get_visible()  # whitegrid, while axes.grid is off
    assert not matplotlib.rcParams["axes.grid"]
    assert not top.spines["top"].get_visible()
    plt.close(fig)
