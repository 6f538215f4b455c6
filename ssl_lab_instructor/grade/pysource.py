"""Reading the Python of notebook cells: imports, defined and used names (with IPython syntax)."""

from __future__ import annotations

import ast
from functools import lru_cache

from IPython.core.inputtransformer2 import TransformerManager


@lru_cache(maxsize=1)
def _transformer() -> TransformerManager:
    return TransformerManager()


def parse_cell(source: str) -> ast.Module | None:
    """The cell's syntax tree after IPython's transforms (``%magic``, ``!cmd``); None if invalid."""
    try:
        return ast.parse(_transformer().transform_cell(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def import_bindings(tree: ast.Module) -> dict[str, tuple[str, str | None]]:
    """Top-level names bound by imports: ``{alias: (module, attribute or None)}``.

    ``import numpy as np`` -> ``{"np": ("numpy", None)}``; ``import torch.nn`` binds
    ``torch``; ``from torch import nn`` -> ``{"nn": ("torch", "nn")}``.
    """
    bindings: dict[str, tuple[str, str | None]] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bindings[alias.asname] = (alias.name, None)
                else:
                    top = alias.name.split(".")[0]
                    bindings[top] = (top, None)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if alias.name != "*":
                    bindings[alias.asname or alias.name] = (node.module, alias.name)
    return bindings


def imported_modules(tree: ast.Module) -> set[str]:
    """Every absolute module name an import statement anywhere in the tree loads."""
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def defined_names(tree: ast.Module) -> set[str]:
    """Names a cell binds at top level with ``def``, ``class`` or an assignment."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def assigned_names(tree: ast.Module) -> set[str]:
    """Names bound anywhere at top level other than by imports (assignments, loops, with, defs)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def loaded_names(tree: ast.Module) -> set[str]:
    """Every name the cell reads."""
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
