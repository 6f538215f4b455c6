"""Fast checks of make grade's parts that need no sandbox: file checks, shards, the
integrity spec of every notebook, the static flags (on honest and cheating code), and how
jupyter_client and nbgrader find the sandbox."""

from __future__ import annotations

import asyncio
import json
import os
import tomllib

import grading  # noqa: F401 (registers this checkout's sandbox provisioner)
import hostile as H
import nbformat
import pytest
from support import ROOT, solution_notebooks

from ssl_lab_instructor.grade.discovery import in_shard, parse_shard, read_notebook
from ssl_lab_instructor.grade.integrity import static_flags
from ssl_lab_instructor.grade.trusted import TrustedCell, TrustedNotebook

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


def test_jupyter_client_finds_the_sandbox_provisioner_the_kernelspec_names():
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.provisioning import KernelProvisionerFactory

    from ssl_lab_instructor.grade.kernel import (
        KERNEL_NAME,
        KERNELSPECS,
        PROVISIONER_NAME,
        SandboxProvisioner,
    )

    spec = KernelSpecManager(kernel_dirs=[str(KERNELSPECS)]).get_kernel_spec(KERNEL_NAME)
    assert spec.metadata["kernel_provisioner"]["provisioner_name"] == PROVISIONER_NAME
    assert spec.interrupt_mode == "message"  # a signal to bubblewrap would not reach the kernel
    factory = KernelProvisionerFactory.instance()
    assert factory.is_provisioner_available(spec)
    assert factory.provisioners[PROVISIONER_NAME].load() is SandboxProvisioner
    with open(ROOT / "nbgrader_config.py") as config:
        text = config.read()
    assert f'c.SandboxedExecute.kernel_name = "{KERNEL_NAME}"' in text


def test_the_sandboxed_kernelspec_starts_no_kernel_for_anyone_but_the_grader(tmp_path):
    """Opened in JupyterLab (or by nbgrader's own Execute, put back by mistake), it is refused."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    from ssl_lab_instructor.grade.kernel import KERNEL_NAME, KERNELSPECS, SandboxStartError

    manager = AsyncKernelManager(kernel_name=KERNEL_NAME, connection_file=str(tmp_path / "kernel.json"),
                                 kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(KERNELSPECS)]))
    with pytest.raises(SandboxStartError, match="started by the course's grader only"):
        asyncio.run(manager.start_kernel())
    assert not manager.has_kernel


def test_the_student_release_leaves_the_grading_package_and_its_entry_point_out():
    from ssl_lab_instructor.release.config import ReleaseConfig
    from ssl_lab_instructor.release.student_files import student_pyproject

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "ssl_lab_instructor" in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    student = tomllib.loads(student_pyproject(pyproject, ReleaseConfig("owner/name", "v1", ("01_intro",))))
    assert "entry-points" not in student["project"]
    assert student["tool"]["setuptools"]["packages"]["find"]["include"] == ["lab_utils", "lab_utils.*"]
    assert set(student["tool"]["setuptools"]["package-data"]) == {"lab_utils"}
