"""Fast checks of make grade's parts that need no sandbox: file checks, shards, the
integrity spec of every notebook and the static flags (on honest and cheating code)."""

from __future__ import annotations

import json
import os

import hostile as H
import nbformat
import pytest
from support import ROOT, solution_notebooks

from scripts.grade.discovery import in_shard, parse_shard, read_notebook
from scripts.grade.integrity import static_flags
from scripts.grade.trusted import TrustedCell, TrustedNotebook

NOTEBOOKS = solution_notebooks()


def trusted_from(solution) -> TrustedNotebook:
    """What the gradebook would hold for ``solution`` (built from its nbgrader metadata)."""
    notebook = nbformat.read(solution, as_version=4)
    cells = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader")
        if meta:
            cells[meta["grade_id"]] = TrustedCell(
                meta["grade_id"], cell.cell_type, meta.get("locked", False), cell.source, meta.get("checksum"),
                meta.get("grade", False), meta.get("solution", False), meta.get("task", False), meta.get("points"))
    release = nbformat.read(ROOT / "notebooks" / solution.parent.name / solution.name, as_version=4)
    return TrustedNotebook(solution.stem, cells, release)


@pytest.mark.parametrize("solution", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_test_cell_reads_an_answer_so_its_negative_control_can_fail(solution):
    spec = trusted_from(solution).integrity
    empty = [grade_id for grade_id, names in spec.standins.items() if not names]
    assert spec.standins and not empty, (
        f"test cells {empty} read no name their exercise defines: make grade cannot check that they "
        "are not bypassed (and they do not test the student's answer)")


def students_code(notebook: nbformat.NotebookNode, solution) -> set[int]:
    """What make grade checks: solution cells, and cells that differ from the release."""
    release = nbformat.read(ROOT / "notebooks" / solution.parent.name / solution.name, as_version=4)
    given = {c.source for c in release.cells if c.cell_type == "code"}
    return {i for i, c in enumerate(notebook.cells)
            if c.metadata.get("nbgrader", {}).get("solution") or c.source not in given}


@pytest.mark.parametrize("solution", NOTEBOOKS, ids=lambda p: p.stem)
def test_honest_answers_raise_no_static_flag(solution):
    notebook = nbformat.read(solution, as_version=4)
    assert static_flags(notebook, students_code(notebook, solution)) == []


def test_static_flags_point_at_monkeypatching_and_escapes():
    reference = nbformat.read(ROOT / "solutions" / H.ASSIGNMENT / f"{H.NOTEBOOK}.ipynb", as_version=4)
    student = nbformat.read(ROOT / "notebooks" / H.ASSIGNMENT / f"{H.NOTEBOOK}.ipynb", as_version=4)
    cases = {
        "assigns to torch.allclose": H.monkeypatcher(reference),
        "uses .input_transformers_cleanup": H.error_swallower(student, "swallow-errors-transformer"),
        "uses .set_custom_exc": H.error_swallower(student, "swallow-errors-custom-exc"),
        "calls exec()": H.thief_notebook(student, f"{H.NOTEBOOK}.ipynb"),
        "imports sqlite3": H.thief_notebook(student, f"{H.NOTEBOOK}.ipynb"),
    }
    for expected, notebook in cases.items():
        flags = static_flags(notebook, students_code(notebook, ROOT / "solutions" / H.ASSIGNMENT / f"{H.NOTEBOOK}.ipynb"))
        assert any(flag.startswith(expected) for flag in flags), f"{expected!r} not in {flags}"


def test_submitted_files_that_are_not_notebooks_get_a_reason(tmp_path):
    valid = tmp_path / "valid.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), valid)
    (tmp_path / "text.ipynb").write_bytes(H.NOT_JSON)
    (tmp_path / "json.ipynb").write_bytes(H.NOT_A_NOTEBOOK)
    (tmp_path / "list.ipynb").write_text(json.dumps([1, 2]))
    (tmp_path / "nested.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "big.ipynb").write_bytes(b" " * 2048)
    os.symlink(valid, tmp_path / "link.ipynb")
    assert read_notebook(valid, 1024**2)[1] is None
    reasons = {name: read_notebook(tmp_path / f"{name}.ipynb", 1024**2)[1]
               for name in ("text", "json", "list", "nested", "link", "missing")}
    reasons["big"] = read_notebook(tmp_path / "big.ipynb", 1024)[1]
    assert "not a JSON file" in reasons["text"] and "not a JSON file" in reasons["nested"]
    assert "not a Jupyter notebook" in reasons["json"] and "not a Jupyter notebook" in reasons["list"]
    assert "MiB" in reasons["big"] and "symbolic link" in reasons["link"] and "cannot be read" in reasons["missing"]


def test_shards_give_every_student_to_exactly_one_machine():
    students = [f"student-{i}" for i in range(200)]
    for n in (1, 2, 3, 7):
        owners = [[k for k in range(1, n + 1) if in_shard(s, (k, n))] for s in students]
        assert all(len(owner) == 1 for owner in owners)
        assert len({owner[0] for owner in owners}) == n, "every machine gets some of 200 students"
    assert parse_shard("2/3") == (2, 3)
    for bad in ("0/2", "3/2", "1", "a/b"):
        with pytest.raises(ValueError, match="--shard"):
            parse_shard(bad)
