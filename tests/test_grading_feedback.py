"""The feedback preprocessor (nbgrader_config.py: GenerateFeedback) on every graded notebook:
sources and outputs lose every hidden-test line and keep the rest. The whole path through an
exchange is in test_sandboxed_grading.py."""

from __future__ import annotations

import copy

import nbformat
import pytest
from support import solution_notebooks
from traitlets.config.loader import PyFileConfigLoader
from traitlets.utils.importstring import import_item

from ssl_lab_instructor.grade.feedback import PLACEHOLDER, HideHiddenTests
from ssl_lab_instructor.grade.hidden import hidden_block, visible_part

GRADED = [path for path in solution_notebooks()
          if any(hidden_block(c.source) for c in nbformat.read(path, as_version=4).cells)]


def texts(notebook: nbformat.NotebookNode) -> str:
    """Every source and output text of ``notebook``, as a reader of the feedback sees them."""
    parts = [cell.source for cell in notebook.cells]
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts += [output.get("text", ""), output.get("evalue", ""), *output.get("traceback", []),
                      *[v for v in output.get("data", {}).values() if isinstance(v, str)]]
    return "\n".join(parts)


def as_graded(solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with outputs that quote its hidden tests, as a traceback or a print would."""
    notebook = copy.deepcopy(solution)
    for cell in notebook.cells:
        block = hidden_block(cell.source)
        if block is None:
            continue
        quoted = [line for line in block.splitlines() if line.strip()][:3]
        frames = [f"\x1b[0;31m---> {12 + i}\x1b[0m {line}" for i, line in enumerate(quoted)]
        cell.outputs = [
            nbformat.v4.new_output("stream", name="stdout", text="visible check passed\n" + "\n".join(quoted)),
            nbformat.v4.new_output("error", ename="TestFailed", evalue="hidden test failed: wrong shape",
                                   traceback=["Traceback (most recent call last)", "\n".join(frames),
                                              "TestFailed: hidden test failed: wrong shape"]),
            nbformat.v4.new_output("execute_result", data={"text/plain": quoted[0]}, execution_count=1)]
    return notebook


@pytest.mark.parametrize("solution", GRADED, ids=lambda p: p.stem)
def test_feedback_keeps_results_and_drops_every_hidden_line(solution):
    original = nbformat.read(solution, as_version=4)
    visible = "\n".join(visible_part(cell.source) for cell in original.cells)
    secret = {line.strip() for cell in original.cells for line in (hidden_block(cell.source) or "").splitlines()
              if line.strip() and line.strip() not in visible}
    notebook = as_graded(original)
    assert any(line in texts(notebook) for line in secret), "the outputs quote the hidden tests"
    feedback, _ = HideHiddenTests().preprocess(notebook, {})
    shown = texts(feedback)
    assert not [line for line in secret if line in shown]
    assert "HIDDEN TESTS" not in shown
    for before, after in zip(original.cells, feedback.cells, strict=True):
        if hidden_block(before.source) is None:
            assert after.source == before.source
            continue
        assert PLACEHOLDER in after.source
        assert after.source.replace(PLACEHOLDER, "").split() == visible_part(before.source).split()
        errors = [o for o in after.outputs if o.output_type == "error"]
        assert errors[0].evalue == "hidden test failed: wrong shape"
        assert errors[0].traceback[-1] == "TestFailed: hidden test failed: wrong shape"
        assert after.outputs[0].text.startswith("visible check passed")


def test_a_students_stray_marker_neither_crashes_nor_hides_their_code():
    cell = nbformat.v4.new_code_cell("x = 1\n# ### BEGIN HIDDEN TESTS (a note)\ny = 2")
    notebook = nbformat.v4.new_notebook(cells=[cell, nbformat.v4.new_code_cell("### END HIDDEN TESTS\nz = 3")])
    feedback, _ = HideHiddenTests().preprocess(notebook, {})  # nbgrader's ClearHiddenTests would raise
    assert feedback.cells[0].source.startswith("x = 1\n") and "y = 2" not in feedback.cells[0].source
    assert feedback.cells[1].source == "### END HIDDEN TESTS\nz = 3"


def test_the_course_config_runs_it_in_generate_feedback(tmp_path):
    from support import ROOT

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    names = config.GenerateFeedback.preprocessors
    # named through the course's grading package, as the autograde steps are
    [hide] = [name for name in names if import_item(name) is HideHiddenTests]
    assert names.index(hide) < names.index("nbconvert.preprocessors.CSSHTMLHeaderPreprocessor")
    assert names[0] == "nbgrader.preprocessors.GetGrades"
