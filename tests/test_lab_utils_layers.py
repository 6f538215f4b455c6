"""``lab_utils`` is layered: no module imports, even inside a function, one that imports it
back. A circle makes what a module sees depend on which one a notebook imported first."""

import ast
import graphlib
from pathlib import Path

import pytest
from support import ROOT

PACKAGE = ROOT / "lab_utils"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's own modules that ``name`` imports anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {module for module in found if module in known and module != name}


def import_graph() -> dict[str, set[str]]:
    """Each module of lab_utils and the package's modules it imports. A package's
    ``__init__`` is left out: it gathers its submodules for notebooks, and Python runs it
    before any of them, so an edge to it is never a circle between modules."""
    modules = _modules()
    inits = {name for name, path in modules.items() if path.name == "__init__.py"}
    known = set(modules) - inits
    return {name: _imports(name, path, known) for name, path in modules.items() if name not in inits}


def test_the_import_graph_is_read_from_relative_and_function_level_imports():
    graph = import_graph()
    assert {"lab_utils.dry_run", "lab_utils.runtime"} <= graph["lab_utils.results"]
    assert "lab_utils.results" in graph["lab_utils.keras_dry_run"]


def test_lab_utils_has_no_import_circle():
    try:
        order = list(graphlib.TopologicalSorter(import_graph()).static_order())
    except graphlib.CycleError as error:
        pytest.fail(f"lab_utils modules import each other in a circle: {' -> '.join(error.args[1])}")
    assert order.index("lab_utils.dry_run") < order.index("lab_utils.results")
