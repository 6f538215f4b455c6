"""Grading one assignment: from submissions to jobs, and from worker results to grades.

The parent process (this module) reads and sanitises every submission, writes one job
folder per notebook, lets :mod:`.scheduler` run them, and saves each result in the
gradebook as it arrives. Every submission ends with an outcome: graded, graded zero with a
reason (a broken file, a kernel that died...), or not graded with a reason (an id not on
the roster, a failure of the grading machine itself).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from .course import (
    Course,
    font_cache_files,
    kernel_environment,
    lab_utils_dir,
    read_only_paths,
    writable_data_dirs,
)
from .discovery import Submission, already_graded, copy_other_files, discover
from .execution import Job
from .gradebook import GradebookWriter
from .hidden import sandbox_program
from .integrity import static_flags
from .limits import Enforcer, Limits, choose_enforcer
from .sandbox import check_bubblewrap
from .scheduler import WORKER_GRACE_S, WorkerOutcome, run_all
from .summary import NotebookOutcome, StudentOutcome
from .text import kernel_text


@dataclass
class Settings:
    assignment: str
    workers: int
    profile: str = "smoke"
    limits: Limits = Limits()
    unsafe: bool = False
    limits_mode: str = "auto"
    students: list[str] | None = None
    shard: tuple[int, int] | None = None
    extra_read_only: tuple[str, ...] = ()
    work_dir: Path | None = None
    keep: bool = False
    threads: int | None = None  # per kernel; default: the cores shared among the workers
    force: bool = False  # grade again submissions graded before and not submitted again since


@dataclass
class Pending:
    """What the parent remembers about a job while a worker runs it."""

    student: str
    notebook: str
    job_id: str
    missing: list[str]
    flags: list[str]


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class Grader:
    """Grades every submission of one assignment; see :meth:`run`."""

    def __init__(self, course: Course, settings: Settings) -> None:
        self.course, self.settings = course, settings
        self.bwrap = None if settings.unsafe else check_bubblewrap()
        self.enforcer: Enforcer = choose_enforcer(settings.limits, settings.limits_mode)
        self.gradebook = GradebookWriter(course, settings.assignment)
        self.read_only = read_only_paths(course, list(settings.extra_read_only))
        threads = settings.threads or max(1, available_cores() // max(1, settings.workers))
        self.env = kernel_environment(course, settings.profile, threads, sandboxed=not settings.unsafe)
        self.home_files = font_cache_files()
        self.trusted_prefixes = sorted({sys.prefix, sys.base_prefix, str(lab_utils_dir())})
        self.outcomes: dict[str, StudentOutcome] = {}
        self.pending: dict[Path, Pending] = {}
        self.timestamps: dict[str, str | None] = {}
        self.timestamp_problems: dict[str, str] = {}
        self.grader_errors = 0
        self.skipped: list[str] = []  # graded before and unchanged since (nbgrader's rule)
        # every test cell's hidden part must be written as the grader judges it: checked first
        for trusted in self.gradebook.trusted.values():
            trusted.hidden_tests  # noqa: B018 (raises HiddenTestError, a ValueError, with the fix)

    @property
    def sandbox_description(self) -> str:
        return "NONE (--unsafe)" if self.bwrap is None else f"bubblewrap ({self.bwrap})"

    def run(self) -> list[StudentOutcome]:
        settings = self.settings
        submissions = discover(self.course.folder("submitted"), settings.assignment,
                               list(self.gradebook.trusted), settings.limits.notebook_bytes,
                               settings.students, settings.shard)
        if not settings.force:
            self.skipped = [s.student for s in submissions if s.problem is None
                            and already_graded(s, self._autograded(s.student))]
            submissions = [s for s in submissions if s.student not in self.skipped]
        work = Path(tempfile.mkdtemp(prefix="ssl-grade-", dir=settings.work_dir))
        try:
            jobs = [job for submission in submissions for job in self._prepare_safely(submission, work)]
            time_limit = settings.limits.submission_timeout_s + WORKER_GRACE_S
            run_all(jobs, settings.workers, time_limit, self._record)
        finally:
            if not settings.keep:
                shutil.rmtree(work, ignore_errors=True)
        return [self.outcomes[s.student] for s in submissions]

    # -- before the workers ------------------------------------------------------------

    def _autograded(self, student: str) -> Path:
        return self.course.folder("autograded") / student / self.settings.assignment

    def _prepare_safely(self, submission: Submission, work: Path) -> list[Path]:
        try:
            return self._prepare(submission, work)
        except Exception as error:  # the gradebook failed, not the submission: report, go on
            self.grader_errors += 1
            self.outcomes[submission.student].not_graded = (
                f"preparing the submission failed (grade again): {type(error).__name__}: {str(error)[:300]}")
            return []

    def _prepare(self, submission: Submission, work: Path) -> list[Path]:
        outcome = self.outcomes[submission.student] = StudentOutcome(submission.student,
                                                                     ignored_files=submission.ignored)
        if submission.problem:
            outcome.not_graded = submission.problem
            return []
        if submission.student not in self.gradebook.roster and not self.course.create_students:
            outcome.not_graded = (f"not on the gradebook's roster: add the student with `nbgrader db student "
                                  f"add {submission.student}` (or import the roster with `nbgrader db student "
                                  f"import`), then grade again with STUDENTS={submission.student}")
            return []
        self.gradebook.start_submission(submission.student, submission.timestamp)
        # what release_feedback needs beside the notebooks (submission_secret.txt), as nbgrader copies it
        outcome.ignored_files += copy_other_files(submission, self._autograded(submission.student))
        self.timestamps[submission.student] = submission.timestamp
        if submission.timestamp_problem:
            self.timestamp_problems[submission.student] = submission.timestamp_problem
        jobs = []
        for name, submitted in submission.notebooks.items():
            trusted = self.gradebook.trusted[name]
            outcome.notebooks[name] = NotebookOutcome(name, max_score=trusted.autograded_max_score,
                                                     manual_max_score=trusted.manual_max_score)
            if submitted.problem:
                self._save_failure(submission.student, name, f"{name}.ipynb {submitted.problem}")
                continue
            job = self._job(submission, name, submitted.notebook, work)
            if job is not None:
                jobs.append(job)
        return jobs

    def _job(self, submission: Submission, name: str, notebook: nbformat.NotebookNode, work: Path) -> Path | None:
        student = submission.student
        try:
            sanitized = self.gradebook.sanitize(student, name, notebook)
        except Exception as error:  # corrupted nbgrader metadata and the like
            self._save_failure(student, name, f"{name}.ipynb could not be prepared for grading "
                                              f"({type(error).__name__}: {str(error)[:200]})")
            return None
        graded = {str(i): c.metadata["nbgrader"]["grade_id"] for i, c in enumerate(sanitized.cells)
                  if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
        if not graded:
            self._save_failure(student, name, f"{name}.ipynb holds none of the graded cells "
                                              "(was another notebook submitted under this name?)")
            return None
        # the student's own code: answer cells, and any cell that is not as the release gave it
        given = self.gradebook.trusted[name].release_sources
        editable = {i for i, c in enumerate(sanitized.cells)
                    if c.metadata.get("nbgrader", {}).get("solution") or c.source not in given}
        job_id = f"{len(self.pending) + 1:04d}"
        job_dir = work / job_id
        (job_dir / "stage" / "home" / self.settings.assignment).mkdir(parents=True)
        nbformat.write(sanitized, job_dir / "notebook.ipynb")
        # The kernel's working folder gets the notebook as submitted: never the hidden tests.
        nbformat.write(notebook, job_dir / "stage" / "home" / self.settings.assignment / f"{name}.ipynb")
        integrity = {**asdict(self.gradebook.trusted[name].integrity), "trusted_prefixes": self.trusted_prefixes}
        sandbox = None if self.bwrap is None else {
            "read_only": self.read_only, "disk_bytes": self.settings.limits.disk_bytes, "extra_env": {},
            "writable": writable_data_dirs(self.course)}
        Job(job_id=job_id, student=student, assignment=self.settings.assignment, notebook=name,
            job_dir=str(job_dir), python=sys.executable, env=self.env, limits=asdict(self.settings.limits),
            limit_prefix=self.enforcer.prefix(job_id), integrity=integrity, graded=graded,
            home_files=self.home_files, bwrap=self.bwrap, sandbox=sandbox, hidden=self._hidden(name, sanitized)).save()
        self.pending[job_dir] = Pending(student, name, job_id, self.gradebook.missing_graded_cells(name, sanitized),
                                        static_flags(sanitized, editable))
        return job_dir

    def _hidden(self, name: str, sanitized: nbformat.NotebookNode) -> dict:
        """The job's hidden tests: the program for the fresh sandbox, and what the judge needs."""
        trusted = self.gradebook.trusted[name]
        return {"program": sandbox_program(sanitized, trusted.hidden_tests), "context": trusted.hidden_context,
                "tests": trusted.hidden_tests}

    def _save_failure(self, student: str, name: str, reason: str) -> None:
        notebook = self.gradebook.trusted[name].failure_notebook(reason)
        notebook.cells.insert(0, _notes_cell([reason]))
        score, max_score = self.gradebook.save(student, name, notebook, self.timestamps.get(student))
        outcome = self.outcomes[student].notebooks[name]
        outcome.score, outcome.max_score, outcome.note = score, max_score, reason
        outcome.failed = {gid: reason for gid in self.gradebook.trusted[name].graded_ids}

    # -- after a worker ----------------------------------------------------------------

    def _record(self, worker: WorkerOutcome) -> None:
        """Save one worker's result; a failure here costs that notebook, not the run."""
        pending = self.pending[worker.job_dir]
        try:
            self._save_result(worker, pending)
        except Exception as error:  # e.g. the gradebook's database went away
            self.grader_errors += 1
            self.outcomes[pending.student].notebooks[pending.notebook].note = (
                f"NOT GRADED, saving the grades failed (grade again): {type(error).__name__}: {str(error)[:300]}")

    def _save_result(self, worker: WorkerOutcome, pending: Pending) -> None:
        usage = self.enforcer.usage(pending.job_id)
        self.enforcer.release(pending.job_id)
        outcome = self.outcomes[pending.student].notebooks[pending.notebook]
        outcome.wall_s, outcome.peak_memory_bytes = worker.wall_s, usage.peak_memory_bytes
        result = worker.result
        outcome.cpu_s = usage.cpu_s
        if worker.timed_out:
            limit = self.settings.limits.submission_timeout_s
            self._save_failure(pending.student, pending.notebook,
                               f"grading stopped: the notebook ran longer than {limit} s in all")
            return
        if result is None or result["status"] != "graded":
            self.grader_errors += 1
            detail = worker.crash if result is None else result["error"]
            outcome.note = f"NOT GRADED, the grading machine failed (grade again): {str(detail)[-500:]}"
            return
        notebook = nbformat.read(worker.job_dir / "executed.ipynb", as_version=4)
        self.gradebook.add_deleted_cells(pending.notebook, notebook, pending.missing)
        notes = self._notes(result, usage.out_of_memory, pending.missing)
        if notes:
            notebook.cells.insert(0, _notes_cell(notes))
        outcome.score, outcome.max_score = self.gradebook.save(pending.student, pending.notebook, notebook,
                                                               self.timestamps.get(pending.student))
        outcome.failed = {gid: kernel_text(cell["reason"]) for gid, cell in result["cells"].items()
                          if not cell["passed"]}
        outcome.failed.update({gid: "deleted from the notebook" for gid in pending.missing})
        outcome.note = "; ".join(notes) or None
        outcome.review = [*(f"run time: {kernel_text(flag)}" for flag in result["runtime_flags"]),
                          *(f"source: {flag}" for flag in pending.flags),
                          *([f"submission: {problem}"] if (problem := self.timestamp_problems.get(pending.student))
                            else [])]

    def _notes(self, result: dict, out_of_memory: bool, missing: list[str]) -> list[str]:
        notes = []
        if result["stopped"]:
            stopped = result["stopped"]
            if out_of_memory:
                limit = self.settings.limits.memory_bytes / 1024**3
                stopped += f": it used more than the memory limit of {limit:g} GiB"
            notes.append(f"{stopped}; the cells after it did not run and score zero")
        if missing:
            notes.append(f"test cells deleted from the notebook score zero: {', '.join(missing)}")
        if result["truncated_output"]:
            notes.append(f"output cut: the notebook printed more than "
                         f"{self.settings.limits.output_bytes // 1024**2} MiB")
        flags = result["runtime_flags"]
        if flags:
            shown = "; ".join(map(kernel_text, flags[:3])) + (f"; and {len(flags) - 3} more" if len(flags) > 3 else "")
            notes.append(f"graded cells voided, the notebook tampered with the tests: {shown}")
        return notes


def _notes_cell(notes: list[str]) -> nbformat.NotebookNode:
    """A markdown cell at the top of the graded notebook: the feedback shows it first."""
    text = "\n".join(f"- {note}" for note in notes)
    return nbformat.v4.new_markdown_cell(f"**Grading notes**\n\n{text}", metadata={"grading_notes": True})
