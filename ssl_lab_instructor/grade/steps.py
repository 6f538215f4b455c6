"""The grading steps as nbgrader runs them: ``nbgrader autograde``, the formgrader, ``make grade``.

``nbgrader_config.py`` puts them in nbgrader's own pipeline:

- :class:`SafeNotebookExporter` (``Autograde.exporter_class``): a submitted notebook is read
  only if it is a plain file (a symbolic link to the answers is not followed);
- :class:`RestoreTrustedCells` (a sanitize step, before nbgrader's ``OverwriteCells``): every
  nbgrader cell's flags and points come from the gradebook;
- :class:`SandboxedExecute` (replaces nbgrader's ``Execute``): the student's kernel runs in
  the sandbox through the ``ssl-lab-sandboxed`` kernelspec and its provisioner, test cells
  run only their visible part there, integrity probes run around them, the hidden tests
  run in a fresh sandboxed process and are judged here; each test cell's outputs are
  rebuilt from the verdict;
- nbgrader's own ``LimitOutput``, ``SaveAutoGrades`` and ``AssignLatePenalties``, with the
  course's configuration;
- :class:`FlagIntegrityFindings`: what the probes and the static checks found sets the
  submission's ``flagged`` in the gradebook (the formgrader shows it) and is written at the
  top of the graded notebook.
"""

from __future__ import annotations

import copy
import json
import shutil
import sys
import tempfile
from dataclasses import asdict
from importlib.metadata import entry_points
from pathlib import Path

import nbformat
from jupyter_client.provisioning import KernelProvisionerFactory
from nbconvert.exporters import NotebookExporter
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters.base import NbGraderException
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool, Enum, Integer, List, Unicode, default

from .course import (
    Course,
    available_cores,
    font_cache_files,
    hidden_paths,
    kernel_environment,
    lab_utils_dir,
    read_only_paths,
    writable_data_dirs,
)
from .discovery import read_notebook
from .execution import Job, Runner, prepare_home
from .gradebook import GradebookWriter, RestoreTrustedMetadata
from .hidden import sandbox_program, visible_part
from .integrity import static_flags
from .kernel import KERNEL_NAME, PROVISIONER_NAME
from .limits import Limits, choose_enforcer, parse_size
from .sandbox import SandboxUnavailable, check_bubblewrap
from .text import kernel_text

PROVISIONER_GROUP = "jupyter_client.kernel_provisioners"
PROFILE_TIMEOUTS_S = {"smoke": (300, 1800), "cpu": (1800, 3 * 3600), "gpu": (1800, 3 * 3600)}
NOTEBOOK_BYTES = Limits().notebook_bytes
UNSAFE_WARNING = ("GRADING WITHOUT A SANDBOX (SandboxedExecute.unsafe = True): every student's code runs with "
                  "your rights, next to the answers and the gradebook, and can change both")


class SafeNotebookExporter(NotebookExporter):
    """nbgrader's notebook exporter, reading a submitted file only if it is a plain file."""

    def from_filename(self, filename: str, resources=None, **kw):
        notebook, problem = read_notebook(Path(filename), NOTEBOOK_BYTES)
        if notebook is None:
            raise NbGraderException(f"{filename} {problem}")
        return self.from_notebook_node(notebook, resources=resources, **kw)


def _course(config, resources: dict) -> Course:
    """The course being graded, as nbgrader's configuration and resources describe it."""
    coursedir = CourseDirectory(config=config)
    db_url = resources["nbgrader"]["db_url"]
    coursedir.db_url = db_url
    return Course(Path(coursedir.root).resolve(), config, coursedir, db_url, create_students=True)


class RestoreTrustedCells(NbGraderPreprocessor):
    """Sanitize step: every nbgrader cell's metadata (grade, solution, points) from the gradebook.

    nbgrader's OverwriteCells restores sources, lock, points and type, but trusts the
    ``grade``/``solution`` flags a student may have flipped.
    """

    def preprocess(self, nb, resources):
        course = _course(self.config, resources)
        gradebook = GradebookWriter(course, resources["nbgrader"]["assignment"])
        trusted = gradebook.trusted[resources["nbgrader"]["notebook"]]
        return RestoreTrustedMetadata(trusted).preprocess(nb, resources)


class SandboxedExecute(Execute):
    """nbgrader's Execute step, with the student's kernel in the course's sandbox.

    Limits and profile are config traits (``c.SandboxedExecute.memory = "4G"`` ...), the same
    as ``make grade``'s options. Where no sandbox can be made, grading stops with how to get
    one; ``unsafe = True`` grades without, after a loud warning.
    """

    profile = Enum(sorted(PROFILE_TIMEOUTS_S), "smoke", help="SSL_LAB_PROFILE of the kernels").tag(config=True)
    memory = Unicode("4G", help="memory per kernel").tag(config=True)
    processes = Integer(512, help="processes and threads per kernel").tag(config=True)
    disk = Unicode("512M", help="size of the kernel's writable home folder").tag(config=True)
    cell_timeout = Integer(0, help="seconds per cell (0: the profile's)").tag(config=True)
    submission_timeout = Integer(0, help="seconds per notebook in all: the cell it runs out in is "
                                         "interrupted, later cells are not run (0: the profile's)").tag(config=True)
    threads = Integer(0, help="threads per kernel (0: every core)").tag(config=True)
    limits = Enum(["auto", "cgroup", "rlimit"], "auto", help="how limits are enforced").tag(config=True)
    read_only = List(Unicode(), help="extra folders the kernels may read").tag(config=True)
    unsafe = Bool(False, help="grade WITHOUT a sandbox: student code runs with your rights").tag(config=True)
    work_dir = Unicode("", help="where job folders go (default: $TMPDIR)").tag(config=True)
    keep = Bool(False, help="keep the job folders (for debugging)").tag(config=True)
    report_dir = Unicode("", help="write each notebook's grading report (JSON) here").tag(config=True)

    @default("kernel_name")
    def _kernel_name_default(self) -> str:
        return KERNEL_NAME

    def limits_object(self) -> Limits:
        cell, submission = PROFILE_TIMEOUTS_S[self.profile]
        return Limits(memory_bytes=parse_size(self.memory), processes=self.processes,
                      cell_timeout_s=self.cell_timeout or cell,
                      submission_timeout_s=self.submission_timeout or submission,
                      disk_bytes=parse_size(self.disk))

    def preprocess(self, nb, resources):
        names = resources["nbgrader"]
        student, assignment, name = names["student"], names["assignment"], names["notebook"]
        if self.unsafe:
            self.log.warning(UNSAFE_WARNING)
            bwrap = None
        else:
            try:
                bwrap = check_bubblewrap()
            except SandboxUnavailable as error:
                self.log.error(str(error))
                raise NbGraderException(f"no sandbox on this machine, nothing was run: {error}(from nbgrader: "
                                        "c.SandboxedExecute.unsafe = True in nbgrader_config.py)") from error
        if not KernelProvisionerFactory.instance().provisioners.get(PROVISIONER_NAME) and \
                not any(ep.name == PROVISIONER_NAME for ep in entry_points(group=PROVISIONER_GROUP)):
            raise NbGraderException(f"the {PROVISIONER_NAME} kernel provisioner is not registered with jupyter_client: "
                                    "install the course with `make install` (pip install -e .), which declares it")
        course = _course(self.config, resources)
        gradebook = GradebookWriter(course, assignment)
        trusted = gradebook.trusted[name]
        trusted.hidden_tests  # noqa: B018 (raises HiddenTestError, a ValueError, with the fix)
        work = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.work_dir or None))
        try:
            report = self._grade(course, gradebook, bwrap, student, assignment, name, nb, work)
        finally:
            if not self.keep:
                shutil.rmtree(work, ignore_errors=True)
        resources["ssl_lab_instructor"] = report
        if self.report_dir:
            Path(self.report_dir).mkdir(parents=True, exist_ok=True)
            (Path(self.report_dir) / f"{name}.json").write_text(json.dumps(report))
        return nb, resources

    def _grade(self, course: Course, gradebook: GradebookWriter, bwrap: str | None, student: str,
               assignment: str, name: str, nb, work: Path) -> dict:
        trusted = gradebook.trusted[name]
        limits = self.limits_object()
        missing = gradebook.missing_graded_cells(name, nb)
        graded = {str(i): c.metadata["nbgrader"]["grade_id"] for i, c in enumerate(nb.cells)
                  if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
        if not graded:  # nothing to run: every test scores zero, and the feedback says why
            reason = f"{name}.ipynb holds none of the graded cells (was another notebook submitted under this name?)"
            nb.cells = trusted.failure_notebook(reason).cells
            nb.cells.insert(0, notes_cell([reason]))
            return {"cells": {gid: {"passed": False, "reason": reason} for gid in trusted.graded_ids},
                    "notes": [reason], "missing": [], "static_flags": [], "runtime_flags": [], "wall_s": 0.0,
                    "cpu_s": None, "peak_memory_bytes": None}
        # the student's own code: answer cells, and any cell that is not as the release gave it
        editable = {i for i, c in enumerate(nb.cells)
                    if c.metadata.get("nbgrader", {}).get("solution") or c.source not in trusted.release_sources}
        flags = static_flags(nb, editable)
        enforcer = choose_enforcer(limits, self.limits)
        env = kernel_environment(course, self.profile, self.threads or available_cores(), sandboxed=bwrap is not None)
        job_id = work.name
        (work / "stage" / "home" / assignment).mkdir(parents=True)
        # The kernel's working folder gets the notebook without any hidden test.
        for_kernel = copy.deepcopy(nb)
        for cell in for_kernel.cells:
            cell.source = visible_part(cell.source)
        nbformat.write(for_kernel, work / "stage" / "home" / assignment / f"{name}.ipynb")
        integrity = {**asdict(trusted.integrity),
                     "trusted_prefixes": sorted({sys.prefix, sys.base_prefix, str(lab_utils_dir())})}
        sandbox = None if bwrap is None else kernel_sandbox(course, list(self.read_only), limits.disk_bytes)
        hidden = {"program": sandbox_program(nb, trusted.hidden_tests), "context": trusted.hidden_context,
                  "tests": trusted.hidden_tests}
        job = Job(job_id=job_id, student=student, assignment=assignment, notebook=name, job_dir=str(work),
                  python=sys.executable, env=env, limits=asdict(limits), limit_prefix=enforcer.prefix(job_id),
                  integrity=integrity, graded=graded, home_files=font_cache_files(), bwrap=bwrap,
                  sandbox=sandbox, hidden=hidden)
        try:
            prepare_home(job)
            result = Runner(job, nb, self.kernel_name).run()
            usage = enforcer.usage(job_id)
        finally:
            enforcer.release(job_id)
        if result.status != "graded":
            raise NbGraderException(f"the grading machine failed (grade again): {result.error}")
        gradebook.add_deleted_cells(name, nb, missing)
        notes = grading_notes(asdict(result), limits, usage.out_of_memory, missing)
        if notes:
            nb.cells.insert(0, notes_cell(notes))
        return {"cells": result.cells, "notes": notes, "missing": missing, "static_flags": flags,
                "runtime_flags": result.runtime_flags, "wall_s": result.wall_s, "cpu_s": usage.cpu_s,
                "peak_memory_bytes": usage.peak_memory_bytes}


def kernel_sandbox(course: Course, read_only: list[str], disk_bytes: int) -> dict:
    """``Job.sandbox`` of a graded notebook: its mounts (``read_only`` added to the course's).

    The data cache gets a writable layer of its own: on a grading machine whose cache is
    empty, ``lab_utils`` fills it on first use, and nothing reaches the real cache.
    """
    mounted = read_only_paths(course, read_only)
    return {"read_only": mounted, "disk_bytes": disk_bytes, "extra_env": {},
            "writable": writable_data_dirs(course), "hidden": hidden_paths(mounted)}


class FlagIntegrityFindings(NbGraderPreprocessor):
    """What the integrity probes and static checks found: ``flagged`` in the gradebook, and a note.

    Runs after SaveAutoGrades: the submission notebook exists in the gradebook by then.
    """

    def preprocess(self, nb, resources):
        report = resources.get("ssl_lab_instructor")
        if not report:
            return nb, resources
        findings = [*(f"run time: {kernel_text(flag)}" for flag in report["runtime_flags"]),
                    *(f"source: {flag}" for flag in report["static_flags"])]
        if not findings:
            return nb, resources
        names = resources["nbgrader"]
        with Gradebook(names["db_url"], self.coursedir_course_id()) as gradebook:
            try:
                submitted = gradebook.find_submission_notebook(names["notebook"], names["assignment"],
                                                               names["student"])
            except MissingEntry:
                return nb, resources
            submitted.flagged = True
            gradebook.db.commit()
        text = "\n".join(f"- {finding}" for finding in findings)
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(
            f"**Flagged for review by the instructor**\n\n{text}", metadata={"grading_findings": True}))
        return nb, resources

    def coursedir_course_id(self) -> str:
        return CourseDirectory(config=self.config).course_id


def grading_notes(result: dict, limits: Limits, out_of_memory: bool, missing: list[str]) -> list[str]:
    """Why a notebook stopped, what was deleted, cut or voided: the graded notebook's first lines."""
    notes = []
    if result["stopped"]:
        stopped = result["stopped"]
        if out_of_memory:
            stopped += f": it used more than the memory limit of {limits.memory_bytes / 1024**3:g} GiB"
        notes.append(f"{stopped}; the cells after it did not run and score zero")
    if missing:
        notes.append(f"test cells deleted from the notebook score zero: {', '.join(missing)}")
    if result["truncated_output"]:
        notes.append(f"output cut: the notebook printed more than {limits.output_bytes // 1024**2} MiB")
    flags = result["runtime_flags"]
    if flags:
        shown = "; ".join(map(kernel_text, flags[:3])) + (f"; and {len(flags) - 3} more" if len(flags) > 3 else "")
        notes.append(f"graded cells voided, the notebook tampered with the tests: {shown}")
    return notes


def notes_cell(notes: list[str]) -> nbformat.NotebookNode:
    """A markdown cell at the top of the graded notebook: the feedback shows it first."""
    text = "\n".join(f"- {note}" for note in notes)
    return nbformat.v4.new_markdown_cell(f"**Grading notes**\n\n{text}", metadata={"grading_notes": True})
