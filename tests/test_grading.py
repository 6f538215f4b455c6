"""The grading round trip: generation, autograding, validation and wrong answers.

Every notebook under solutions/ is covered automatically; a new notebook must bring its
answer variants in tests/answers/<notebook>.py.
"""

from __future__ import annotations

import json
import re
import shutil

import nbformat
import pytest
from grading import grade_cells, load_variants, make_course, nbgrader, run_variants, solution_cells
from support import ROOT, solution_notebooks

NOTEBOOKS = solution_notebooks()
ASSIGNMENTS = sorted({path.parent.name for path in NOTEBOOKS})


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
    wrong, correct = load_variants(solution.stem)
    for grade_id in exercises:
        assert len(wrong.get(grade_id, {})) >= 2, f"{grade_id} needs at least two typical wrong answers"
    assert set(wrong) | set(correct) <= exercises, "answer variants for exercises that do not exist"


@pytest.mark.notebook
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_autograding_gives_full_marks_to_solutions_and_zero_to_blank_notebooks(tmp_path, assignment):
    course = make_course(tmp_path)
    notebooks = {path.stem: path for path in NOTEBOOKS if path.parent.name == assignment}
    scores = autograde_both(course, assignment, notebooks)
    for name in notebooks:
        reference, blank = scores["reference"][name], scores["blank"][name]
        assert reference.max_total > 0
        assert reference.total == reference.max_total, f"{name}: solution scored {reference.per_cell}"
        assert blank.per_cell and all(score == 0 for score in blank.per_cell.values()), (
            f"{name}: the unmodified student notebook scored {blank.per_cell}"
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


@pytest.mark.notebook
@pytest.mark.parametrize("solution", NOTEBOOKS, ids=lambda p: p.stem)
def test_validate_passes_the_solution_and_fails_the_student_version(tmp_path, solution):
    course = make_course(tmp_path)
    failures, output = _validate(solution, course)
    assert failures == 0 and "Success!" in output, output[-3000:]
    graded = len(grade_cells(nbformat.read(solution, as_version=4)))
    failures, output = _validate(student_path(solution), course)
    assert failures == graded, f"expected all {graded} graded cells to fail:\n{output[-3000:]}"


@pytest.mark.notebook
@pytest.mark.parametrize("solution", NOTEBOOKS, ids=lambda p: p.stem)
def test_wrong_answers_lose_the_points_and_other_correct_answers_keep_them(tmp_path, solution):
    wrong, correct = load_variants(solution.stem)
    variants = {gid: {**wrong.get(gid, {}), **{f"correct: {k}": v for k, v in correct.get(gid, {}).items()}}
                for gid in set(wrong) | set(correct)}
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
            problems.append(f"{label}: a wrong answer scored {result.points}/{result.max_points}")
    tried = {(r.grade_id, r.name) for r in results}
    expected = {(gid, name) for gid, names in variants.items() for name in names}
    assert expected <= tried, f"variants never ran: {expected - tried}"
    assert not problems, "\n".join(problems)
