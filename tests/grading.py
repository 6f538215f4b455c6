"""Helpers for the grading tests: a throw-away nbgrader course, autograding and variant runs."""

from __future__ import annotations

import copy
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbgrader.api import Gradebook
from nbgrader.utils import determine_grade

ROOT = Path(__file__).resolve().parent.parent
CELL_TIMEOUT_S = 600
PROVISIONER_GROUP = "jupyter_client.kernel_provisioners"


def _entry_point_line() -> str:
    """The provisioner's entry point as this checkout's pyproject.toml declares it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (name, target), = project["entry-points"][PROVISIONER_GROUP].items()
    return f"{name} = {target}"


def register_provisioner() -> Path | None:
    """Make jupyter_client find this checkout's sandbox provisioner, in this process and its children.

    An install made from another checkout (or before the entry point existed, or when it named
    another module) does not declare it: the course's distribution, declaring it as
    ``pip install -e .`` would, goes first on the path, where it hides the installed one
    (importlib.metadata lists one distribution per name, the first it finds).
    Returns that folder, or None when the installed metadata already declares it.
    """
    line = _entry_point_line()
    name, target = (part.strip() for part in line.split("="))
    if any(ep.name == name and ep.value == target for ep in entry_points(group=PROVISIONER_GROUP)):
        return None
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    folder = Path(tempfile.mkdtemp(prefix="ssl-lab-provisioner-"))
    info = folder / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    (info / "entry_points.txt").write_text(f"[{PROVISIONER_GROUP}]\n{line}\n")
    sys.path.insert(0, str(folder))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    assert [ep.value for ep in entry_points(group=PROVISIONER_GROUP, name=name)] == [target]
    return folder


PROVISIONER_PATH = register_provisioner()


def nbgrader(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run an nbgrader command in course folder ``cwd``; fail loudly with its output.

    nbgrader shells out to ``alembic`` by name, so the interpreter's own bin folder goes first
    on PATH: the suite must work from a venv that was never activated (as in CI).
    """
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def make_course(tmp_path: Path) -> Path:
    """A copy of the course's nbgrader set-up (config and solutions) in ``tmp_path``."""
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions", course / "solutions")
    return course


def _nbgrader(cell: nbformat.NotebookNode) -> dict:
    return cell.metadata.get("nbgrader", {})


def grade_cells(notebook: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """The autograded test cells, by grade id."""
    return {_nbgrader(cell)["grade_id"]: cell for cell in notebook.cells
            if _nbgrader(cell).get("grade") and not _nbgrader(cell).get("solution")}


def written_cells(notebook: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """The manually graded written answers (markdown cells that are solution and grade), by grade id."""
    return {_nbgrader(cell)["grade_id"]: cell for cell in notebook.cells
            if cell.cell_type == "markdown" and _nbgrader(cell).get("grade") and _nbgrader(cell).get("solution")}


def solution_cells(notebook: nbformat.NotebookNode) -> dict[str, int]:
    """Index of each solution cell, by grade id."""
    return {_nbgrader(cell)["grade_id"]: index for index, cell in enumerate(notebook.cells)
            if _nbgrader(cell).get("solution") and cell.cell_type == "code"}


@dataclass
class Scores:
    """One submitted notebook in the gradebook: autograded cells and written answers apart."""

    total: float
    max_total: float
    per_cell: dict[str, float]            # autograded test cells: grade id -> score
    written: dict[str, float | None]      # written answers: grade id -> autograder's score (None: left to a person)
    needs_manual_grade: set[str]          # grade ids the gradebook flags for a person to grade


def autograde(course: Path, assignment: str, submissions: dict[str, dict[str, Path]]) -> dict[str, dict[str, Scores]]:
    """Release ``assignment``, submit the given notebooks per student, grade them, read scores.

    Grading goes through ``python -m ssl_lab_instructor.grade`` (what ``make grade`` runs: sandboxed
    kernels, in parallel); plain ``nbgrader autograde`` refuses to run in this course.

    Args:
        submissions: ``{student: {notebook_name: path of the notebook to submit}}``.
    Returns:
        ``{student: {notebook_name: Scores}}`` as nbgrader's gradebook holds them.
    """
    nbgrader("generate_assignment", assignment, "--force", cwd=course)
    for student, notebooks in submissions.items():
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        for name, path in notebooks.items():
            shutil.copy(path, folder / f"{name}.ipynb")
    result = subprocess.run([sys.executable, "-m", "ssl_lab_instructor.grade", assignment, "--course", str(course),
                             "--create-students", "--workers", str(min(len(submissions), os.cpu_count() or 1))],
                            cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"grading {assignment} failed:\n{result.stdout[-5000:]}\n{result.stderr[-5000:]}")
    scores: dict[str, dict[str, Scores]] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student, notebooks in submissions.items():
            scores[student] = {}
            for name in notebooks:
                submitted = gradebook.find_submission_notebook(name, assignment, student)
                graded = [grade for grade in submitted.grades if grade.max_score > 0]
                per_cell = {grade.name: grade.score for grade in graded if grade.cell_type == "code"}
                written = {grade.name: grade.auto_score for grade in graded if grade.cell_type == "markdown"}
                manual = {grade.name for grade in graded if grade.needs_manual_grade}
                scores[student][name] = Scores(submitted.score, submitted.max_score, per_cell, written, manual)
    return scores


Sources = dict[str, dict[str, str]]   # grade id -> variant name -> source of the solution cell


@dataclass
class Variants:
    """The answer variants of one notebook, from ``tests/answers/<notebook>.py``.

    ``correct`` must earn full marks; ``wrong`` (typical mistakes) and ``lab_utils_only``
    (answers that only call the helper package) must earn nothing.
    """

    correct: Sources
    wrong: Sources
    lab_utils_only: Sources

    KINDS = ("correct", "wrong", "lab_utils_only")

    def labelled(self) -> Sources:
        """Every variant by grade id, named ``"<kind>: <name>"``, for :func:`run_variants`."""
        merged: Sources = {}
        for kind in self.KINDS:
            for grade_id, named in getattr(self, kind).items():
                merged.setdefault(grade_id, {}).update({f"{kind}: {name}": src for name, src in named.items()})
        return merged


def load_variants(notebook_name: str) -> Variants:
    """The ``CORRECT``, ``WRONG`` and ``LAB_UTILS_ONLY`` dicts of ``tests/answers/<notebook>.py``."""
    path = Path(__file__).parent / "answers" / f"{notebook_name}.py"
    spec = importlib.util.spec_from_file_location(f"answers_{notebook_name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Variants(correct=getattr(module, "CORRECT", {}), wrong=getattr(module, "WRONG", {}),
                    lab_utils_only=getattr(module, "LAB_UTILS_ONLY", {}))


@dataclass
class VariantResult:
    grade_id: str
    name: str
    points: float
    max_points: float
    solution_error: str | None


def _error_text(cell: nbformat.NotebookNode) -> str | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output['ename']}: {output['evalue']}"
    return None


def run_variants(path: Path, variants: dict[str, dict[str, str]], workdir: Path) -> list[VariantResult]:
    """Execute the notebook once; at each solution cell, first try every variant of it.

    For each variant the solution cell's source is replaced, then the exercise's test cell
    runs and nbgrader's own rule (:func:`nbgrader.utils.determine_grade`) scores it. The
    original solution and test cells then run too, and are reported as variant ``"reference"``.
    """
    notebook = nbformat.read(path, as_version=4)
    tests = grade_cells(notebook)
    test_index = {gid: notebook.cells.index(cell) for gid, cell in tests.items()}
    solutions = {index: gid for gid, index in solution_cells(notebook).items()}
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            allow_errors=True, resources={"metadata": {"path": str(workdir)}})
    results: list[VariantResult] = []
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            grade_id = solutions.get(index)
            test_id = f"{grade_id}_tests"
            if grade_id in variants:
                for name, source in variants[grade_id].items():
                    trial = copy.deepcopy(cell)
                    trial.source = source
                    client.execute_cell(trial, index)
                    check = copy.deepcopy(tests[test_id])
                    client.execute_cell(check, test_index[test_id])
                    points, max_points = determine_grade(check)
                    results.append(VariantResult(grade_id, name, points, max_points, _error_text(trial)))
            if cell.cell_type != "code":
                continue
            client.execute_cell(cell, index)
            if index in test_index.values():
                points, max_points = determine_grade(cell)
                results.append(VariantResult(_nbgrader(cell)["grade_id"].removesuffix("_tests"),
                                             "reference", points, max_points, _error_text(cell)))
    return results
