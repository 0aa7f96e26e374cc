"""The package's shape: every stage is listed in ``dir(spamlab)``, and no import cycles
(counting deferred imports, which once hid the cycles ``its.fit`` <-> ``its.structural``)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import spamlab

SOURCE = Path(spamlab.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in SOURCE.rglob("*.py")}


def _imports(path: Path, known: set[str]) -> set[str]:
    """spamlab modules a module imports anywhere (deferred imports inside functions too),
    except under ``if TYPE_CHECKING:``, which never runs."""
    found: set[str] = set()
    pending: list[ast.AST] = [ast.parse(path.read_text())]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in known else node.module)
        pending.extend(ast.iter_child_nodes(node))
    return found & known


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_dir_lists_every_stage_and_each_imports():
    stages = {path.stem if path.is_file() else path.name for path in SOURCE.iterdir()
              if (path.suffix == ".py" and path.stem != "__init__")
              or (path.is_dir() and (path / "__init__.py").exists())}
    assert stages <= set(dir(spamlab)), stages - set(dir(spamlab))
    for name in stages:
        assert importlib.import_module(f"spamlab.{name}") is getattr(spamlab, name)


def test_no_import_cycles_between_modules():
    modules = _modules()
    known = set(modules)
    graph = {name: _imports(path, known) - {name} for name, path in modules.items()}
    # a package's own __init__ is imported before any of its submodules; an edge from a
    # submodule to its parent package is therefore not a cycle of the submodule's making
    graph = {name: {target for target in targets if not name.startswith(target + ".")}
             for name, targets in graph.items()}
    assert _cycle(graph) is None, f"import cycle: {' -> '.join(_cycle(graph) or [])}"


def test_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_every_module_declares_its_public_names_and_each_resolves():
    """``__all__`` in every module (what the API reference documents), naming only real objects."""
    root = Path(spamlab.__file__).parent
    missing, unresolved = [], []
    for path in sorted(root.rglob("*.py")):
        if path.name == "__main__.py":
            continue
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        module = importlib.import_module(name)
        if not hasattr(module, "__all__"):
            missing.append(name)
            continue
        unresolved += [f"{name}.{public}" for public in module.__all__
                       if not hasattr(module, public)]
    assert not missing, f"modules without __all__: {missing}"
    assert not unresolved, f"__all__ names that do not exist: {unresolved}"
