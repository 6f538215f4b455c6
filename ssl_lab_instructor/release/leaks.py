"""Prove that a student release holds none of the answers.

The secrets (solutions, hidden tests, mark schemes, answer variants: see ``answers``) are
read from this repository. Three checks look for them in the release:

1. **verbatim**: no substantive line of a secret appears anywhere in the release: not as a
   line of code (compared without spaces and comments, so re-indenting or re-wrapping does
   not hide it), nor inside any text. An exercise's instructions may spell out less than
   half of its answer's lines (a formula the student must use, such as MAE's
   ``num_keep = int(num_patches * (1 - mask_ratio))``): those lines, found only in the
   markdown of the exercise's own notebook, are part of the question.
2. **renamed**: no solution, hidden test or answer variant reappears with other names. With
   every local name replaced by a placeholder, at least half of a secret's substantive lines,
   and at least two, found in one notebook cell or module is a copy (two of a three-line
   loss are most of it); a one-line secret is a copy when its line is found.
3. **reference**: no ``lab_utils`` function that a hidden test imports (outside the check
   helpers of ``lab_utils.checks``) ships: a hidden test imports what it compares the
   student's answer with, so such a function is the answer, callable by students.

A line is substantive when it holds at least four distinct names, numbers or strings
besides keywords, ``self`` and common builtins, and is not an import: ``for k in range(4):``,
``n = len(z1)`` and ``return self.layers(x)`` are the same in any code, and a match on them
proves nothing, unless such a line is the whole answer: a solution without a substantive
line is looked for verbatim by its lines of two names or more. Lines that the notebooks show students on purpose are listed with their
reason in ``SHARED_WITH_STUDENTS``.

Everything of a notebook is read, not only its cells' sources: outputs (text, HTML, JSON,
images that are text such as SVG, anything base64 that decodes to text), attachments, and
the metadata of the notebook and of each cell.
"""

from __future__ import annotations

import ast
import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .answers import Secret, repository_secrets
from .code_lines import code_lines
from .files import release_files

__all__ = ["Leak", "ReleaseText", "Secret", "code_lines", "find_leaks", "reference_leaks",
           "renamed_leaks", "repository_secrets", "verbatim_leaks"]

MIN_PROSE_WORDS = 8
MIN_SHORT_ANSWER_TOKENS = 2
MIN_RENAMED_LINES = 2
MIN_RENAMED_SHARE = 0.5
_LAB_UTILS_IMPORT = re.compile(
    r"^[ \t]*from[ \t]+(lab_utils(?:\.\w+)*)[ \t]+import[ \t]+(?:\(([\w\s,]+)\)|([\w \t,]+))", re.M)
_LAB_UTILS_ATTRIBUTE = re.compile(r"\b(lab_utils(?:\.\w+)+)")

# Lines of solutions that the student notebooks show on purpose (compact form: reason).
# None today: given code that needs what an exercise computes calls the student's answer
# (notebook 02 plots colorizations through colorization_loss) instead of repeating it.
SHARED_WITH_STUDENTS: dict[str, str] = {}


@dataclass(frozen=True)
class Leak:
    secret: str
    where: str
    evidence: str

    def __str__(self) -> str:
        return f"{self.secret} -> {self.where}: {self.evidence}"


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --------------------------------------------------------------------------- the release
def _decoded(value: str) -> str | None:
    """``value`` read as base64 (how notebooks store binary data) if it decodes to text."""
    try:
        return base64.b64decode(value.replace("\n", ""), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _strings(value: object) -> Iterator[str]:
    """Every string in a JSON value (outputs, attachments, metadata), and what any base64
    among them decodes to."""
    if isinstance(value, str):
        yield value
        if len(value) >= 8 and (decoded := _decoded(value)) is not None:
            yield decoded
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        if value and all(isinstance(item, str) for item in value):
            yield "".join(value)  # a multi-line string stored as a list of lines
        for item in value:
            yield from _strings(item)


def _notebook_units(path: Path, where: str) -> list[tuple[str, str, str]]:
    """A notebook's units: each cell's source; its outputs, attachments and metadata (as
    "data"); the notebook's metadata."""
    notebook = nbformat.read(path, as_version=4)
    units = [(f"{where} metadata", "data", "\n".join(_strings(dict(notebook.metadata))))]
    for cell in notebook.cells:
        cell_where = f"{where} {cell.get('id')}"
        units.append((cell_where, "code" if cell.cell_type == "code" else "prose", cell.source))
        for part in ("outputs", "attachments", "metadata"):
            if cell.get(part):
                units.append((f"{cell_where} {part}", "data", "\n".join(_strings(cell[part]))))
    return units


@dataclass
class ReleaseText:
    """The release's text, one unit per module, other text file, notebook cell, and cell
    outputs, attachments or metadata.

    ``kind`` is "code" (Python), "prose" (markdown and other text) or "data" (what a notebook
    stores besides its cells' sources).
    """

    units: list[tuple[str, str, str]]  # (where, kind, text)

    @classmethod
    def read(cls, release: Path) -> ReleaseText:
        units = []
        for path in release_files(release):
            where = path.relative_to(release).as_posix()
            if path.suffix == ".ipynb":
                units += _notebook_units(path, where)
            else:
                try:
                    text = path.read_text(encoding="utf-8")
                except UnicodeDecodeError:
                    continue
                units.append((where, "code" if path.suffix == ".py" else "prose", text))
        return cls(units)


def _substantive_prose(text: str) -> list[str]:
    sentences = re.split(r"(?<=[.!?:])\s+|\n", text)
    return [_collapse(s) for s in sentences if len(s.split()) >= MIN_PROSE_WORDS]


def _instructions_of(secret: Secret, where: str, kind: str) -> bool:
    """Whether the release unit ``where`` is markdown of the notebook that ``secret`` answers."""
    path = where.split(" ")[0]
    return kind == "prose" and path.endswith(".ipynb") and Path(path).stem == secret.notebook


def _short_answer(lines: list) -> set[str]:
    """The lines of an answer too short for a substantive line (``return self.encoder(x)``)
    that name at least two things: found as they are, they are the answer."""
    return {line.compact for line in lines if len(line.content) >= MIN_SHORT_ANSWER_TOKENS}


def verbatim_leaks(secrets: list[Secret], release: ReleaseText) -> list[Leak]:
    code_index: dict[str, list[str]] = {}
    for where, kind, text in release.units:
        if kind == "code":
            for line in code_lines(text):
                code_index.setdefault(line.compact, []).append(where)
    compact_units = [(where, kind, _compact(text)) for where, kind, text in release.units]
    collapsed_units = [(where, kind, _collapse(text)) for where, kind, text in release.units]
    kinds = {where: kind for where, kind, _ in release.units}
    leaks = []
    for secret in secrets:
        if secret.kind == "code":
            lines = code_lines(secret.text)
            needles = ({line.compact for line in lines if line.substantive}
                       or _short_answer(lines))
            places = {needle: code_index.get(needle, []) + [
                where for where, kind, text in compact_units if kind != "code" and needle in text]
                for needle in needles - SHARED_WITH_STUDENTS.keys()}
        else:
            needles = set(_substantive_prose(secret.text))
            places = {needle: [where for where, _, text in collapsed_units if needle in text]
                      for needle in needles}
        spelled_out = {needle for needle, found in places.items()
                       if found and all(_instructions_of(secret, w, kinds[w]) for w in found)}
        if 2 * len(spelled_out) < len(needles):
            places = {needle: found for needle, found in places.items() if needle not in spelled_out}
        leaks += [Leak(secret.origin, found[0], f"the line {needle!r} appears as it is")
                  for needle, found in sorted(places.items()) if found]
    return leaks


def renamed_leaks(secrets: list[Secret], release: ReleaseText) -> list[Leak]:
    unit_lines = [(where, {line.renamed for line in code_lines(text)})
                  for where, kind, text in release.units if kind == "code"]
    leaks = []
    for secret in secrets:
        if secret.kind != "code":
            continue
        # A signature renamed says nothing but the number of arguments (and the exercise
        # gives it): it proves no copy.
        lines = {line.renamed for line in code_lines(secret.text)
                 if line.substantive and line.compact not in SHARED_WITH_STUDENTS
                 and line.tokens[0][1] not in ("def", "class", "async", "@")}
        if not lines:
            continue
        needed = max(min(MIN_RENAMED_LINES, len(lines)), MIN_RENAMED_SHARE * len(lines))
        for where, present in unit_lines:
            found = lines & present
            if len(found) >= needed:
                leaks.append(Leak(secret.origin, where,
                                  f"{len(found)} of its {len(lines)} lines appear with other names"))
    return leaks


def _defines(module: Path, name: str) -> bool:
    """Whether the module at ``module`` defines or imports ``name`` at its top level."""
    if not module.is_file():
        return False
    for node in ast.parse(module.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name:
            return True
        if isinstance(node, ast.Import | ast.ImportFrom) and any(
                (alias.asname or alias.name) == name for alias in node.names):
            return True
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return True
    return False


def _module_file(release: Path, dotted: str) -> Path:
    parts = dotted.split(".")
    folder = release.joinpath(*parts)
    return folder / "__init__.py" if folder.is_dir() else release.joinpath(*parts[:-1], parts[-1] + ".py")


def hidden_test_references(text: str) -> set[tuple[str, str]]:
    """``(module, name)`` of every lab_utils name a hidden test imports or spells out."""
    references = set()
    for match in _LAB_UTILS_IMPORT.finditer(text):
        for name in (match.group(2) or match.group(3)).split(","):
            if name.strip():
                references.add((match.group(1), name.strip().split()[0]))
    for match in _LAB_UTILS_ATTRIBUTE.finditer(text):
        module, _, name = match.group(1).rpartition(".")
        references.add((module, name))
    return {(module, name) for module, name in references
            if not (module == "lab_utils.checks" or module.startswith("lab_utils.checks."))}


def reference_leaks(secrets: list[Secret], release: Path) -> list[Leak]:
    leaks = []
    for secret in secrets:
        if "(hidden tests)" not in secret.origin:
            continue
        for module, name in sorted(hidden_test_references(secret.text)):
            module_file = _module_file(release, module)
            if _defines(module_file, name):
                leaks.append(Leak(secret.origin, module_file.relative_to(release).as_posix(),
                                  f"the hidden test compares with {module}.{name}, which students can call"))
    return leaks


def find_leaks(release: Path, root: Path) -> list[Leak]:
    """Every answer of ``root`` that can be found in the release folder ``release``."""
    secrets = repository_secrets(root)
    text = ReleaseText.read(release)
    return [*verbatim_leaks(secrets, text), *renamed_leaks(secrets, text),
            *reference_leaks(secrets, release)]
