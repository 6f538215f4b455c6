"""Tamper detection: probe cells run around graded cells, and static flags on the source.

Three layers, because the student's code shares the test's process:

1. runtime probes (:mod:`.probe`, sent into the kernel before the first cell): after each
   graded cell that passed, anything that replaced a guarded function or hooked the
   kernel voids that cell and every later one;
2. a negative control: the same test cell runs again with the answer names bound to a
   stand-in that answers nothing; a test that still passes was bypassed, and earns nothing;
3. static flags: constructs in the student's cells that monkeypatching, introspection or
   escaping needs (assigning to a module's attribute, ``setattr``, ``exec``, frames,
   ``get_ipython``, ``ctypes``...) are listed in the summary for a human to review.

Each probe prints a line that starts with a fresh random tag, so output the student's code
prints cannot pass for a probe's answer.
"""

from __future__ import annotations

import ast
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .pysource import import_bindings, parse_cell

PROBE_SOURCE = (Path(__file__).parent / "probe.py").read_text()

SUSPICIOUS_CALLS = {
    "setattr": "setattr()", "delattr": "delattr()", "exec": "exec()", "eval": "eval()",
    "compile": "compile()", "__import__": "__import__()", "globals": "globals()", "vars": "vars()",
    "get_ipython": "get_ipython()", "breakpoint": "breakpoint()",
}
SUSPICIOUS_ATTRIBUTES = {
    "__code__", "__globals__", "__closure__", "__dict__", "__builtins__", "__subclasses__",
    "__setattr__", "__delattr__", "__getattribute__", "_getframe", "settrace", "setprofile",
    "excepthook", "set_custom_exc", "input_transformers_cleanup", "input_transformers_post",
    "input_transformer_manager", "ast_transformers", "f_globals", "f_locals", "f_back",
    "tb_frame", "gi_frame", "cr_frame", "meta_path", "path_hooks", "currentframe", "user_ns",
}
SUSPICIOUS_DOTTED = {"sys.modules", "os.environ", "os.system", "os.fork", "os.kill", "os.killpg"}
SUSPICIOUS_MODULES = {"builtins", "ctypes", "cffi", "gc", "importlib", "inspect", "socket",
                      "subprocess", "sqlite3", "pty", "signal", "mmap", "marshal", "pickle", "dill"}


@dataclass
class ProbeCells:
    """The probe cells of one kernel; every call makes a fresh tag."""

    variable: str

    @classmethod
    def new(cls) -> ProbeCells:
        return cls(variable=f"_grading_probe_{secrets.token_hex(8)}")

    @staticmethod
    def tag() -> str:
        return f"@grading-{secrets.token_hex(12)}@"

    def setup(self, spec: dict) -> str:
        return (
            "def _grading_setup():\n"
            "    namespace = {'__name__': 'grading_probe'}\n"
            f"    exec(compile({PROBE_SOURCE!r}, '<grading probe>', 'exec'), namespace)\n"
            f"    namespace['install']({json.dumps(spec)!r}, {self.variable!r})\n"
            "_grading_setup()\n"
            "del _grading_setup\n"
        )

    def report(self, tag: str) -> str:
        return f"{self.variable}.report({tag!r})"

    def arm(self, names: list[str], tag: str) -> str:
        return f"{self.variable}.arm({names!r}, {tag!r})"

    def disarm(self, tag: str) -> str:
        return f"{self.variable}.disarm({tag!r})"


def tagged_line(cell: nbformat.NotebookNode, tag: str) -> str | None:
    """The text after ``tag`` in the cell's stream output, or None when no line has it."""
    for output in cell.get("outputs", []):
        if output.get("output_type") != "stream":
            continue
        for line in output.get("text", "").splitlines():
            if line.startswith(tag):
                return line[len(tag):]
    return None


def parse_report(cell: nbformat.NotebookNode, tag: str) -> list[str] | None:
    """The probe's list of changes, or None when the probe did not answer (itself tampering)."""
    text = tagged_line(cell, tag)
    if text is None:
        return None
    try:
        changes = json.loads(text)
    except ValueError:
        return None
    return [str(change) for change in changes] if isinstance(changes, list) else None


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def _module_aliases(cells: list[nbformat.NotebookNode]) -> set[str]:
    aliases: set[str] = set()
    for cell in cells:
        if cell.cell_type == "code" and (tree := parse_cell(cell.source)):
            aliases |= set(import_bindings(tree))
    return aliases


def _flags_in(tree: ast.Module, aliases: set[str]) -> list[tuple[int, str]]:
    """``(line, what)`` for each suspicious construct."""
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", "?")
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                name = _dotted(target) if isinstance(target, ast.Attribute) else None
                if name and name.split(".")[0] in aliases:
                    found.append((line, f"assigns to {name}"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in SUSPICIOUS_CALLS:
            found.append((line, f"calls {SUSPICIOUS_CALLS[node.func.id]}"))
        elif isinstance(node, ast.Attribute) and node.attr in SUSPICIOUS_ATTRIBUTES:
            found.append((line, f"uses .{node.attr}"))
        elif isinstance(node, ast.Attribute) and _dotted(node) in SUSPICIOUS_DOTTED:
            found.append((line, f"uses {_dotted(node)}"))
        elif isinstance(node, ast.Name) and node.id == "__builtins__":
            found.append((line, "uses __builtins__"))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                if name.split(".")[0] in SUSPICIOUS_MODULES:
                    found.append((line, f"imports {name}"))
    return found


def static_flags(notebook: nbformat.NotebookNode, editable: set[int]) -> list[str]:
    """Suspicious constructs in the cells the student could edit (indices ``editable``).

    One line per construct, naming the cells and lines where it appears. Flags are for a
    human: each can have an innocent use, and none changes a score.
    """
    aliases = _module_aliases(notebook.cells)
    where: dict[str, list[str]] = {}
    for index in sorted(editable):
        cell = notebook.cells[index]
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        tree = parse_cell(cell.source)
        if tree is None:
            continue
        label = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"
        for line, what in _flags_in(tree, aliases):
            places = where.setdefault(what, [])
            if len(places) < 4:
                places.append(f"{label} line {line}")
            elif len(places) == 4:
                places.append("...")
    return [f"{what} ({', '.join(places)})" for what, places in where.items()]
