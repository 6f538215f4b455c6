"""The grading round trip: generation, autograding, validation and answer variants.

Every notebook under solutions/ is covered automatically; a new notebook must bring its
answer variants in tests/answers/<notebook>.py (CORRECT, WRONG and LAB_UTILS_ONLY dicts)
and one to three written answers graded by hand.
"""

from __future__ import annotations

import json
import pkgutil
import re
import shutil

import nbformat
import pytest
from grading import (
    grade_cells,
    load_variants,
    make_course,
    nbgrader,
    run_variants,
    solution_cells,
    written_cells,
)
from support import ROOT, solution_notebooks

import lab_utils

NOTEBOOKS = solution_notebooks()
ASSIGNMENTS = sorted({path.parent.name for path in NOTEBOOKS})
# Per exercise: answers that follow the text in other styles, typical mistakes, and at least one
# answer made only of lab_utils calls (issue 14: fairness is shown, not assumed).
MIN_VARIANTS = {"correct": 3, "wrong": 4, "lab_utils_only": 1}
WRITTEN_STUB = "YOUR ANSWER HERE"
# lab_utils itself, or one of its modules as the notebooks import them (`from lab_utils import vit`)
LAB_UTILS_NAME = re.compile(r"\b(?:lab_utils|" + "|".join(
    module.name for module in pkgutil.iter_modules(lab_utils.__path__)) + r")\.")


def student_path(solution):
    return ROOT / "notebooks" / solution.parent.name / solution.name


def _json(path):
    return json.loads(path.read_text())


def test_there_are_notebooks_to_grade():
    assert NOTEBOOKS, "no solution notebooks found under solutions/"


def test_committed_student_notebooks_equal_a_fresh_generation(tmp_path):
    course = make_course(tmp_path)
    for assignment in ASSIGNMENTS:
        nbgrader("generate_assignment", assignment, "--force", "--no-db", cwd=course)
    fresh = sorted(p.relative_to(course / "notebooks") for p in (course / "notebooks").rglob("*.ipynb"))
    committed = sorted(p.relative_to(ROOT / "notebooks") for p in (ROOT / "notebooks").rglob("*.ipynb"))
    assert fresh == committed, "notebooks/ and solutions/ hold different notebooks: run `make notebooks`"
    for relative in fresh:
        assert _json(course / "notebooks" / relative) == _json(ROOT / "notebooks" / relative), (
            f"notebooks/{relative} is not what nbgrader generates from solutions/: run `make notebooks`"
        )


@pytest.mark.parametrize("solution", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_notebooks_hold_no_solutions_no_hidden_tests_and_no_outputs(solution):
    student = nbformat.read(student_path(solution), as_version=4)
    text = "".join(cell.source for cell in student.cells)
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "Rubric" not in text and "Model answer" not in text, "a written answer's rubric reached students"
    assert not any(cell.get("outputs") for cell in student.cells if cell.cell_type == "code")


@pytest.mark.parametrize("solution", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_exercise_has_a_test_cell_and_answer_variants(solution):
    notebook = nbformat.read(solution, as_version=4)
    exercises, tests = set(solution_cells(notebook)), set(grade_cells(notebook))
    assert exercises, "a notebook has at least one graded exercise"
    assert tests == {f"{grade_id}_tests" for grade_id in exercises}, (
        "every solution cell <id> is followed by an autograded test cell <id>_tests"
    )
    for cell in grade_cells(notebook).values():
        assert "### BEGIN HIDDEN TESTS" in cell.source, f"{cell.metadata.nbgrader['grade_id']} has no hidden tests"
        assert cell.metadata.nbgrader["points"] > 0
    variants = load_variants(solution.stem)
    for kind in variants.KINDS:
        unknown = set(getattr(variants, kind)) - exercises
        assert not unknown, f"{kind.upper()} variants for exercises that do not exist: {sorted(unknown)}"


@pytest.mark.parametrize("solution", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_exercise_has_enough_answer_variants(solution):
    """At least 3 correct, 4 wrong and 1 lab_utils-only answer per exercise, all listed at once."""
    exercises = sorted(solution_cells(nbformat.read(solution, as_version=4)))
    variants = load_variants(solution.stem)
    missing = [f"{grade_id}: {len(getattr(variants, kind).get(grade_id, {}))} {kind.upper()} "
               f"(at least {least})"
               for grade_id in exercises for kind, least in MIN_VARIANTS.items()
               if len(getattr(variants, kind).get(grade_id, {})) < least]
    assert not missing, f"tests/answers/{solution.stem}.py lacks variants:\n  " + "\n  ".join(missing)
    for grade_id, named in variants.lab_utils_only.items():
        for name, source in named.items():
            assert LAB_UTILS_NAME.search(source), (
                f"{grade_id} / {name}: a LAB_UTILS_ONLY answer that never uses lab_utils")


@pytest.mark.parametrize("solution", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_notebook_has_written_answers_whose_rubric_students_never_see(solution):
    """One to three markdown answer cells graded by hand, each after its question; the student
    version holds nbgrader's stub, the instructor version the model answer and rubric."""
    notebook = nbformat.read(solution, as_version=4)
    written = written_cells(notebook)
    assert 1 <= len(written) <= 3, f"{solution.stem} has {len(written)} written answers; it needs one to three"
    student = {cell.id: cell for cell in nbformat.read(student_path(solution), as_version=4).cells}
    for grade_id, cell in written.items():
        meta = cell.metadata.nbgrader
        assert grade_id.startswith("written_") and meta["points"] > 0 and not meta.get("task")
        assert "Rubric" in cell.source, f"{grade_id}: the instructor version needs a rubric"
        previous = notebook.cells[notebook.cells.index(cell) - 1]
        assert previous.cell_type == "markdown" and "?" in previous.source, f"{grade_id} follows no question"
        assert student[cell.id].source == WRITTEN_STUB, f"{grade_id}: the student version is not the stub"


@pytest.mark.notebook
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_autograding_gives_full_marks_to_solutions_and_zero_to_blank_notebooks(tmp_path, assignment):
    course = make_course(tmp_path)
    notebooks = {path.stem: path for path in NOTEBOOKS if path.parent.name == assignment}
    scores = autograde_both(course, assignment, notebooks)
    for name, path in notebooks.items():
        reference, blank = scores["reference"][name], scores["blank"][name]
        tests = {gid: cell.metadata.nbgrader["points"] for gid, cell in grade_cells(nbformat.read(path, 4)).items()}
        assert reference.per_cell == tests, f"{name}: solution scored {reference.per_cell}, maximum {tests}"
        assert blank.per_cell and all(score == 0 for score in blank.per_cell.values()), (
            f"{name}: the unmodified student notebook scored {blank.per_cell}"
        )
        # Written answers: an answer waits for a person; an untouched stub scores 0 on its own.
        written = set(written_cells(nbformat.read(path, 4)))
        assert set(reference.written) == written and reference.needs_manual_grade == written, (
            f"{name}: written answers {sorted(written)}, flagged for manual grading "
            f"{sorted(reference.needs_manual_grade)}"
        )
        assert all(score is None for score in reference.written.values()), reference.written
        assert blank.written == dict.fromkeys(written, 0) and not blank.needs_manual_grade, (
            f"{name}: unanswered written cells scored {blank.written}, flagged {sorted(blank.needs_manual_grade)}"
        )


def autograde_both(course, assignment, notebooks):
    from grading import autograde

    return autograde(course, assignment, {
        "reference": notebooks,
        "blank": {name: student_path(path) for name, path in notebooks.items()},
    })


def _validate(path, course):
    output = nbgrader("validate", str(path), cwd=course).stdout
    failed = re.search(r"VALIDATION FAILED ON (\d+) CELL", output)
    return int(failed.group(1)) if failed else 0, output


# `nbgrader validate` runs whole notebooks twice; what it shows per notebook (the reference
# passes, a blank scores nothing) the autograding round trip above proves for all six, so
# validate itself, the command students run before submitting, is checked on the fastest.
VALIDATED = [path for path in NOTEBOOKS if path.stem == "01_intro_ssl"]


@pytest.mark.notebook
@pytest.mark.parametrize("solution", VALIDATED, ids=lambda p: p.stem)
def test_validate_passes_the_solution_and_fails_the_student_version(tmp_path, solution):
    course = make_course(tmp_path)
    failures, output = _validate(solution, course)
    assert failures == 0 and "Success!" in output, output[-3000:]
    notebook = nbformat.read(solution, as_version=4)
    # Every test cell fails, and every written answer still holding its stub counts as failed too.
    graded = len(grade_cells(notebook)) + len(written_cells(notebook))
    failures, output = _validate(student_path(solution), course)
    assert failures == graded, f"expected all {graded} graded cells to fail:\n{output[-3000:]}"


@pytest.mark.notebook
@pytest.mark.parametrize("solution", NOTEBOOKS, ids=lambda p: p.stem)
def test_correct_answers_keep_the_points_and_wrong_or_lab_utils_only_answers_lose_them(tmp_path, solution):
    variants = load_variants(solution.stem).labelled()
    shutil.copy(solution, tmp_path / solution.name)
    results = run_variants(tmp_path / solution.name, variants, tmp_path)
    problems = []
    for result in results:
        label = f"{result.grade_id} / {result.name}"
        if result.solution_error:
            problems.append(f"{label}: the answer cell itself failed ({result.solution_error})")
        elif result.name == "reference" or result.name.startswith("correct: "):
            if result.points != result.max_points:
                problems.append(f"{label}: a correct answer scored {result.points}/{result.max_points}")
        elif result.points != 0:
            problems.append(f"{label}: an answer that must earn nothing scored {result.points}/{result.max_points}")
    tried = {(r.grade_id, r.name) for r in results}
    expected = {(gid, name) for gid, names in variants.items() for name in names}
    assert expected <= tried, f"variants never ran: {expected - tried}"
    assert not problems, "\n".join(problems)
