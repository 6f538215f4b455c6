"""The answers of this repository, the secrets a student release must not hold.

Every solution region (``### BEGIN SOLUTION`` to ``### END SOLUTION``; a solution cell
without markers is secret whole), every hidden test (``### BEGIN HIDDEN TESTS`` to
``### END HIDDEN TESTS``), every mark scheme, and every correct answer variant and its
description in ``tests/answers/`` (``CORRECT``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

_REGION = re.compile(
    r"^[ \t]*(?:###|===) BEGIN (SOLUTION|HIDDEN TESTS|MARK SCHEME)(?: ===)?[ \t]*\n(.*?)"
    r"^[ \t]*(?:###|===) END \1", re.S | re.M)


@dataclass(frozen=True)
class Secret:
    """A piece of an answer: ``origin`` says where it lives, ``kind`` is "code" or "prose",
    ``notebook`` is the stem of the notebook it answers (``"04_mae_dinov2"``)."""

    origin: str
    kind: str
    text: str
    notebook: str



def _cell_secrets(cell: nbformat.NotebookNode, origin: str, notebook: str) -> list[Secret]:
    kind = "code" if cell.cell_type == "code" else "prose"
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", cell.get("id"))
    secrets = [Secret(f"{origin} {grade_id} ({region.group(1).lower()})",
                      "code" if region.group(1) != "MARK SCHEME" else "prose", region.group(2),
                      notebook)
               for region in _REGION.finditer(cell.source)]
    is_solution = cell.get("metadata", {}).get("nbgrader", {}).get("solution", False)
    if is_solution and "BEGIN SOLUTION" not in cell.source:
        secrets.append(Secret(f"{origin} {grade_id} (whole solution cell)", kind, cell.source, notebook))
    return secrets


def notebook_secrets(path: Path, root: Path) -> list[Secret]:
    origin = path.relative_to(root).as_posix()
    return [secret for cell in nbformat.read(path, as_version=4).cells
            for secret in _cell_secrets(cell, origin, path.stem)]


def answer_file_secrets(path: Path, root: Path) -> list[Secret]:
    """Every correct answer variant (code) and its description (prose) of a tests/answers file.

    Only ``CORRECT`` holds answers. ``WRONG`` and ``LAB_UTILS_ONLY`` variants are what the
    grader must reject; they are built from the given code of the student notebooks (a
    forward pass, another notebook's helper copied as it is), so their lines are in the
    release by design and reveal nothing.
    """
    origin = path.relative_to(root).as_posix()
    secrets = []
    for node in _correct_variants(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(value, ast.Constant | ast.BinOp):
                    secrets.append(Secret(f"{origin} {key.value!r}", "prose", str(key.value), path.stem))
                    code = _string_value(value)
                    if code is not None:
                        secrets.append(Secret(f"{origin} {key.value!r}", "code", code, path.stem))
    return secrets


def _correct_variants(module: ast.Module) -> list[ast.AST]:
    """The nodes of the value assigned to ``CORRECT`` at the top level of an answer file."""
    for statement in module.body:
        targets = (statement.targets if isinstance(statement, ast.Assign)
                   else [statement.target] if isinstance(statement, ast.AnnAssign) else [])
        if any(isinstance(target, ast.Name) and target.id == "CORRECT" for target in targets):
            return list(ast.walk(statement.value))
    return []


def _string_value(node: ast.AST) -> str | None:
    """The value of a string literal or a sum of them (``_VIEW + '''...'''``), else None."""
    try:
        value = ast.literal_eval(node)
    except ValueError:
        parts = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        return "\n".join(parts) if parts else None
    return value if isinstance(value, str) else None


def repository_secrets(root: Path) -> list[Secret]:
    """All the answers of this repository: solutions, hidden tests, mark schemes, answer files."""
    secrets = [secret for path in sorted((root / "solutions").glob("*/*.ipynb"))
               for secret in notebook_secrets(path, root)]
    secrets += [secret for path in sorted((root / "tests" / "answers").glob("*.py"))
                for secret in answer_file_secrets(path, root)]
    return secrets
