"""What the grader knows about an assignment from trusted sources only.

The gradebook (filled by ``nbgrader generate_assignment`` from ``solutions/``) holds every
nbgrader cell: its type, whether it is locked, its source with the hidden tests, its
points. The release notebook (``notebooks/<assignment>/``) gives the order of the cells and
the ordinary cells (imports, provided code). Nothing here is read from a submission.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from .client import not_run_output
from .hidden import definitions, trusted_context
from .pysource import (
    assigned_names,
    defined_names,
    import_bindings,
    imported_modules,
    loaded_names,
    parse_cell,
)

# Modules whose functions tests call: replacing any of their functions voids the tests.
GUARDED_MODULES = ("builtins", "math", "numpy", "numpy.testing", "numpy.linalg", "torch", "torch.nn",
                   "torch.nn.functional", "torch.testing", "lab_utils", "lab_utils.checks")
GUARDED_CLASSES = ("torch.Tensor", "torch.nn.Module")


@dataclass(frozen=True)
class TrustedCell:
    """One nbgrader cell as the gradebook holds it."""

    grade_id: str
    cell_type: str
    locked: bool
    source: str
    checksum: str | None
    grade: bool
    solution: bool
    task: bool
    points: float | None

    def nbgrader_metadata(self) -> dict:
        """The cell's ``metadata.nbgrader``, as ``generate_assignment`` wrote it."""
        meta = {"grade": self.grade, "grade_id": self.grade_id, "locked": self.locked,
                "solution": self.solution, "task": self.task, "schema_version": 3,
                "cell_type": self.cell_type}
        if self.checksum:
            meta["checksum"] = self.checksum
        if self.grade or self.task:
            meta["points"] = self.points
        return meta


@dataclass
class IntegritySpec:
    """What the probes in the kernel guard, for one notebook (JSON-able)."""

    guarded_modules: list[str]
    guarded_classes: list[str]
    bindings: dict[str, list]  # alias -> [module, attribute or None]
    test_aliases: list[str]  # aliases the graded cells read: rebinding one voids the tests
    standins: dict[str, list[str]]  # graded cell -> the answer names it reads


@dataclass
class TrustedNotebook:
    name: str
    cells: dict[str, TrustedCell]
    release: nbformat.NotebookNode | None
    integrity: IntegritySpec = field(init=False)

    def __post_init__(self) -> None:
        self.integrity = build_integrity_spec(self)

    @property
    def graded_ids(self) -> list[str]:
        """Autograded code cells, in notebook order when the release notebook gives one."""
        graded = [gid for gid, cell in self.cells.items() if cell.grade and cell.cell_type == "code"]
        order = {gid: i for i, gid in enumerate(_grade_ids_in_order(self.release))} if self.release else {}
        return sorted(graded, key=lambda gid: order.get(gid, len(order)))

    @cached_property
    def hidden_tests(self) -> dict[str, str]:
        """Each test cell's hidden definitions (``hidden_outputs``, ``hidden_check``), by grade id."""
        return {gid: definitions(gid, self.cells[gid].source) for gid in self.graded_ids}

    @cached_property
    def hidden_context(self) -> list[str]:
        """The release's given statements the hidden checks need, run in the grader before them."""
        return trusted_context(self.release, self.hidden_tests)

    @property
    def release_sources(self) -> set[str]:
        """The code cells the students were given, as given (static flags skip them)."""
        cells = self.release.cells if self.release is not None else []
        return {cell.source for cell in cells if cell.cell_type == "code"} | {
            cell.source for cell in self.cells.values() if cell.locked}

    @property
    def max_score(self) -> float:
        """Every point of the notebook, the written answers' included."""
        return sum(cell.points or 0 for cell in self.cells.values() if cell.grade or cell.task)

    @property
    def autograded_max_score(self) -> float:
        """The points of the autograded test cells: what ``make grade`` can give."""
        return sum(cell.points or 0 for cell in self.cells.values() if cell.grade and cell.cell_type == "code")

    @property
    def manual_max_score(self) -> float:
        """The points a person gives in the formgrader (written answers, tasks)."""
        return self.max_score - self.autograded_max_score

    def failure_notebook(self, reason: str) -> nbformat.NotebookNode:
        """The release notebook with every graded cell failed by ``reason`` (scores zero)."""
        if self.release is not None:
            notebook = copy.deepcopy(self.release)
        else:
            notebook = nbformat.v4.new_notebook()
            for cell in self.cells.values():
                make = nbformat.v4.new_code_cell if cell.cell_type == "code" else nbformat.v4.new_markdown_cell
                notebook.cells.append(make(cell.source))
                notebook.cells[-1].metadata["nbgrader"] = cell.nbgrader_metadata()
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            trusted = self.cells.get(grade_id)
            if trusted is None:
                continue
            cell.metadata["nbgrader"] = trusted.nbgrader_metadata()
            if trusted.locked:
                cell.source = trusted.source
            if trusted.grade and cell.cell_type == "code":
                cell.outputs = [not_run_output(reason)]
        return notebook


def _grade_ids_in_order(notebook: nbformat.NotebookNode) -> list[str]:
    return [c.metadata["nbgrader"]["grade_id"] for c in notebook.cells
            if c.metadata.get("nbgrader", {}).get("grade_id")]


def load_trusted(gradebook: Gradebook, assignment: str, release_dir: Path) -> dict[str, TrustedNotebook]:
    """Every notebook of ``assignment`` in the gradebook, by name."""
    notebooks = {}
    for notebook in gradebook.find_assignment(assignment).notebooks:
        solutions = {cell.name for cell in notebook.solution_cells}
        grades = {cell.name: cell.max_score for cell in notebook.grade_cells}
        tasks = {cell.name: cell.max_score for cell in notebook.task_cells}
        cells = {}
        for source in notebook.source_cells:
            cells[source.name] = TrustedCell(
                grade_id=source.name, cell_type=source.cell_type, locked=bool(source.locked),
                source=source.source, checksum=source.checksum, grade=source.name in grades,
                solution=source.name in solutions, task=source.name in tasks,
                points=grades.get(source.name, tasks.get(source.name)))
        release_path = release_dir / assignment / f"{notebook.name}.ipynb"
        release = nbformat.read(release_path, as_version=4) if release_path.is_file() else None
        notebooks[notebook.name] = TrustedNotebook(notebook.name, cells, release)
    return notebooks


def assignment_exists(gradebook: Gradebook, assignment: str) -> bool:
    try:
        return bool(gradebook.find_assignment(assignment).notebooks)
    except MissingEntry:
        return False


def build_integrity_spec(notebook: TrustedNotebook) -> IntegritySpec:
    """Guarded modules, expected import bindings and stand-in names, from trusted cells only.

    A stand-in list names what a graded cell reads that a solution cell defines (the
    student's answer): the negative control replaces exactly these by a non-answer.
    """
    trusted_sources = [cell.source for cell in notebook.cells.values() if not cell.solution]
    if notebook.release is not None:
        trusted_sources += [c.source for c in notebook.release.cells if c.cell_type == "code"
                            and not c.metadata.get("nbgrader", {}).get("solution")]
    bindings: dict[str, tuple[str, str | None]] = {}
    rebound: set[str] = set()
    for source in trusted_sources:
        tree = parse_cell(source)
        if tree is None:
            continue
        bindings.update(import_bindings(tree))
        rebound |= assigned_names(tree)
    bindings = {alias: target for alias, target in bindings.items() if alias not in rebound}
    answers: set[str] = set()
    for cell in notebook.cells.values():
        if cell.solution and cell.cell_type == "code" and (tree := parse_cell(cell.source)):
            answers |= defined_names(tree)
    test_aliases: set[str] = set()
    # Guarded: the default modules, what the graded cells import, and what their aliases name.
    # Not every module the notebook imports: libraries patch one another's functions
    # (IPython's inline backend replaces matplotlib.pyplot.draw_if_interactive).
    modules = set(GUARDED_MODULES)
    standins: dict[str, list[str]] = {}
    for grade_id in notebook.graded_ids:
        tree = parse_cell(notebook.cells[grade_id].source)
        if tree is None:
            continue
        used = loaded_names(tree)
        test_aliases |= used & set(bindings)
        modules |= imported_modules(tree)
        standins[grade_id] = sorted(used & answers)
    modules |= {bindings[alias][0] for alias in test_aliases}
    return IntegritySpec(sorted(modules), list(GUARDED_CLASSES),
                         {alias: list(target) for alias, target in sorted(bindings.items())},
                         sorted(test_aliases), standins)
