"""Each exercise's visible check catches at least half of its typical mistakes and names them.

For every exercise, each typical mistake of ``tests/answers/<notebook>.py`` (``WRONG``) is
defined together with what the exercise's test cell needs from the notebook (the statements
its names depend on, collected as the grader collects them for the hidden tests), then the
visible part of the test cell runs on it; no notebook is executed. ``VISIBLE_CHECK_SAYS`` in
the same file lists, per exercise, the mistakes the visible check must catch and a phrase its
message must contain: the mistake named as a student reads it. The listed mistakes must be at
least half of the exercise's ``WRONG`` variants; the others are left to the hidden tests.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import warnings

import nbformat
import pytest
from grading import ROOT, load_variants, solution_cells
from support import solution_notebooks

from ssl_lab_instructor.grade.hidden import global_reads, needed_statements, visible_part

# Notebook 02b's check builds Keras models: importing TensorFlow alone takes longer than this
# whole test; its check meets its typical mistakes in tests/test_checks_pretext.py.
NOTEBOOKS = [path for path in solution_notebooks() if path.stem != "02b_rotnet_keras"]


def _grading(cell: nbformat.NotebookNode) -> dict:
    return cell.metadata.get("nbgrader", {})


def _is_test(cell: nbformat.NotebookNode) -> bool:
    return bool(_grading(cell).get("grade")) and not _grading(cell).get("solution")


def visible_check(notebook: nbformat.NotebookNode, grade_id: str, answer: str | None) -> str | None:
    """Run exercise ``grade_id``'s visible check on ``answer`` (None: the reference solution).

    Returns the failure as ``"<exception type>: <message>"``, or None when the check passed.
    """
    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    test = next(i for i, cell in enumerate(cells) if _grading(cell).get("grade_id") == f"{grade_id}_tests")
    check = visible_part(cells[test].source)
    sources = [answer if answer is not None and _grading(cell).get("grade_id") == grade_id else cell.source
               for cell in cells[:test] if not _is_test(cell)]
    context = "\n".join(needed_statements(sources, global_reads(check)))
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # overflow warnings of the mistakes that overflow
        try:
            exec(compile(context, f"<{grade_id}: notebook and answer>", "exec"), namespace)
            exec(compile(check, f"<{grade_id}_tests>", "exec"), namespace)
        except Exception as error:  # what the student would see under the check cell
            return f"{type(error).__name__}: {error}"
    return None


def _exercises() -> list:
    return [pytest.param(path, grade_id, id=f"{path.stem}-{grade_id}")
            for path in NOTEBOOKS for grade_id in sorted(solution_cells(nbformat.read(path, as_version=4)))]


def _declared(path) -> dict[str, dict[str, str]]:
    spec = importlib.util.spec_from_file_location(f"says_{path.stem}", ROOT / "tests" / "answers" / f"{path.stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, "VISIBLE_CHECK_SAYS", {})


@pytest.mark.parametrize(("path", "grade_id"), _exercises())
def test_the_visible_check_names_at_least_half_of_the_typical_mistakes(path, grade_id):
    notebook = nbformat.read(path, as_version=4)
    assert visible_check(notebook, grade_id, None) is None, "the reference solution must pass its visible check"
    mistakes = load_variants(path.stem).wrong.get(grade_id, {})
    says = _declared(path).get(grade_id, {})
    unknown = sorted(set(says) - set(mistakes))
    assert not unknown, f"VISIBLE_CHECK_SAYS[{grade_id!r}] names mistakes WRONG lacks: {unknown}"
    assert 2 * len(says) >= len(mistakes), (
        f"{grade_id}: the visible check is said to name {len(says)} of {len(mistakes)} typical mistakes; "
        f"it must name at least half: list them with a phrase of their message in "
        f"VISIBLE_CHECK_SAYS of tests/answers/{path.stem}.py, and improve the check where it misses them")
    problems = []
    for name, phrase in says.items():
        message = visible_check(notebook, grade_id, mistakes[name])
        if message is None:
            problems.append(f"{name}: passes the visible check")
        elif phrase.lower() not in message.lower():
            problems.append(f"{name}: the message does not say {phrase!r}:\n    {message[:400]}")
    assert not problems, f"{grade_id}:\n  " + "\n  ".join(problems)
