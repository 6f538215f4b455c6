"""Grading one assignment: from submissions to jobs, and from worker results to the summary.

The parent process (this module) reads every submission safely (:mod:`.discovery`), stages
what is readable in one job folder per student, and lets :mod:`.scheduler` run the jobs,
``WORKERS`` at a time. Each worker runs nbgrader's own autograde for its student, with the
course's ``nbgrader_config.py`` (its sandboxed Execute step, late penalties, output limits),
exactly as ``nbgrader autograde`` and the formgrader do. Every submission ends with an
outcome: graded, graded zero with a reason (a broken file, a kernel that died...), or not
graded with a reason (an id not on the roster, a failure of the grading machine itself).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .course import Course, available_cores, read_only_paths
from .discovery import Submission, already_graded, copy_other_files, discover
from .gradebook import GradebookWriter
from .limits import Enforcer, Limits, choose_enforcer
from .sandbox import check_bubblewrap
from .scheduler import WORKER_GRACE_S, WorkerOutcome, run_all
from .steps import notes_cell
from .summary import NotebookOutcome, StudentOutcome
from .text import kernel_text

__all__ = ["Grader", "Settings", "available_cores"]
EXECUTE_STEP = "SandboxedExecute"


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
    """What the parent remembers about a student's job while a worker runs it."""

    student: str
    notebooks: list[str]  # graded by the worker
    failures: dict[str, str] = field(default_factory=dict)  # notebook -> why it scores zero


def autograde_config(settings: Settings, threads: int) -> dict:
    """``SandboxedExecute``'s traits for ``settings``: what ``make grade``'s options set."""
    limits = settings.limits
    return {"profile": settings.profile, "memory": str(limits.memory_bytes), "processes": limits.processes,
            "disk": str(limits.disk_bytes), "cell_timeout": limits.cell_timeout_s,
            "submission_timeout": limits.submission_timeout_s, "threads": threads,
            "limits": settings.limits_mode, "read_only": list(settings.extra_read_only),
            "unsafe": settings.unsafe, "keep": settings.keep}


def check_autograde_steps(course: Course) -> None:
    """The course's autograde steps execute notebooks with the sandboxed step only."""
    steps = [getattr(step, "__name__", str(step)).rsplit(".", 1)[-1]
             for step in course.config.Autograde.get("autograde_preprocessors", [])]
    if EXECUTE_STEP not in steps or "Execute" in steps:
        raise ValueError(f"{course.root / 'nbgrader_config.py'} must list {EXECUTE_STEP} (and not nbgrader's "
                         f"Execute) in c.Autograde.autograde_preprocessors; it lists {steps or 'nothing'}")


class Grader:
    """Grades every submission of one assignment; see :meth:`run`."""

    def __init__(self, course: Course, settings: Settings) -> None:
        self.course, self.settings = course, settings
        check_autograde_steps(course)
        self.bwrap = None if settings.unsafe else check_bubblewrap()
        self.enforcer: Enforcer = choose_enforcer(settings.limits, settings.limits_mode)
        self.gradebook = GradebookWriter(course, settings.assignment)
        read_only_paths(course, list(settings.extra_read_only))  # refuses a mount that exposes the course
        threads = settings.threads or max(1, available_cores() // max(1, settings.workers))
        self.execute_config = autograde_config(settings, threads)
        self.outcomes: dict[str, StudentOutcome] = {}
        self.pending: dict[Path, Pending] = {}
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
                            and already_graded(s, self.gradebook.autograded_folder(s.student))]
            submissions = [s for s in submissions if s.student not in self.skipped]
        work = Path(tempfile.mkdtemp(prefix="ssl-grade-", dir=settings.work_dir))
        try:
            jobs = [job for submission in submissions for job in self._prepare_safely(submission, work)]
            per_notebook = settings.limits.submission_timeout_s
            time_limit = per_notebook * max(1, len(self.gradebook.trusted)) + WORKER_GRACE_S
            run_all(jobs, settings.workers, time_limit, self._record)
            self.add_timestamp_reviews(submissions)
        finally:
            if not settings.keep:
                shutil.rmtree(work, ignore_errors=True)
        return [self.outcomes[s.student] for s in submissions]

    # -- before the workers ------------------------------------------------------------

    def _prepare_safely(self, submission: Submission, work: Path) -> list[Path]:
        try:
            return self._prepare(submission, work)
        except Exception as error:  # the gradebook failed, not the submission: report, go on
            self.grader_errors += 1
            self.outcomes[submission.student].not_graded = (
                f"preparing the submission failed (grade again): {type(error).__name__}: {str(error)[:300]}")
            return []

    def _prepare(self, submission: Submission, work: Path) -> list[Path]:
        student = submission.student
        outcome = self.outcomes[student] = StudentOutcome(student, ignored_files=submission.ignored)
        if submission.problem:
            outcome.not_graded = submission.problem
            return []
        if student not in self.gradebook.roster and not self.course.create_students:
            outcome.not_graded = (f"not on the gradebook's roster: add the student with `nbgrader db student "
                                  f"add {student}` (or import the roster with `nbgrader db student "
                                  f"import`), then grade again with STUDENTS={student}")
            return []
        self.gradebook.start_submission(student, submission.timestamp)
        pending = Pending(student, [])
        job_dir = work / f"{len(self.pending) + 1:04d}"
        staged = job_dir / "submitted" / student / self.settings.assignment
        staged.mkdir(parents=True)
        for name, submitted in submission.notebooks.items():
            trusted = self.gradebook.trusted[name]
            outcome.notebooks[name] = NotebookOutcome(name, max_score=trusted.autograded_max_score,
                                                     manual_max_score=trusted.manual_max_score)
            if submitted.problem:
                pending.failures[name] = f"{name}.ipynb {submitted.problem}"
                continue
            # what the worker's nbgrader reads: the notebook as parsed here, never the submitted file
            nbformat.write(submitted.notebook, staged / f"{name}.ipynb")
            pending.notebooks.append(name)
        if submission.timestamp:  # read once, safely, by discovery
            (staged / "timestamp.txt").write_text(submission.timestamp)
        # submission_secret.txt (release_feedback needs it) and the other plain files, read safely:
        # the worker's nbgrader copies them to autograded/ as it does from submitted/
        outcome.ignored_files += copy_other_files(submission, staged)
        if not pending.notebooks:
            self._finish(pending, staged)
            return []
        job = {"student": student, "assignment": self.settings.assignment, "course": str(self.course.root),
               "db_url": self.course.db_url, "create_student": True, "execute": self.execute_config}
        (job_dir / "job.json").write_text(json.dumps(job))
        self.pending[job_dir] = pending
        return [job_dir]

    def _finish(self, pending: Pending, staged: Path) -> None:
        """The notebooks that could not run: zero, with the reason, in the gradebook and autograded/."""
        for name, reason in pending.failures.items():
            self._save_failure(pending.student, name, reason)
        self.gradebook.copy_submission_files(pending.student, staged)

    def _save_failure(self, student: str, name: str, reason: str) -> None:
        notebook = self.gradebook.trusted[name].failure_notebook(reason)
        notebook.cells.insert(0, notes_cell([reason]))
        score, max_score = self.gradebook.save(student, name, notebook)
        outcome = self.outcomes[student].notebooks[name]
        outcome.score, outcome.max_score, outcome.note = score, max_score, reason
        outcome.failed = {gid: reason for gid in self.gradebook.trusted[name].graded_ids}

    # -- after a worker ----------------------------------------------------------------

    def _record(self, worker: WorkerOutcome) -> None:
        """Record one worker's result; a failure here costs that student, not the run."""
        pending = self.pending[worker.job_dir]
        try:
            self._save_result(worker, pending)
            self._finish(pending, worker.job_dir / "submitted" / pending.student / self.settings.assignment)
        except Exception as error:  # e.g. the gradebook's database went away
            self.grader_errors += 1
            for name in pending.notebooks:
                self.outcomes[pending.student].notebooks[name].note = (
                    f"NOT GRADED, saving the grades failed (grade again): {type(error).__name__}: {str(error)[:300]}")

    def _save_result(self, worker: WorkerOutcome, pending: Pending) -> None:
        outcomes = self.outcomes[pending.student].notebooks
        result = worker.result
        if worker.timed_out:
            limit = self.settings.limits.submission_timeout_s
            for name in pending.notebooks:
                pending.failures[name] = f"grading stopped: the notebook ran longer than {limit} s in all"
            return
        if result is None or result["status"] != "graded":
            self.grader_errors += 1
            detail = worker.crash if result is None else result["error"]
            for name in pending.notebooks:
                outcomes[name].note = f"NOT GRADED, the grading machine failed (grade again): {str(detail)[-500:]}"
            return
        scores = self.gradebook.scores(pending.student)
        for name in pending.notebooks:
            report, outcome = result["reports"][name], outcomes[name]
            outcome.score = scores[name][0]
            outcome.wall_s, outcome.cpu_s = report["wall_s"], report["cpu_s"]
            outcome.peak_memory_bytes = report["peak_memory_bytes"]
            outcome.failed = {gid: kernel_text(cell["reason"]) for gid, cell in report["cells"].items()
                              if not cell["passed"]}
            outcome.failed.update({gid: "deleted from the notebook" for gid in report["missing"]})
            outcome.note = "; ".join(report["notes"]) or None
            outcome.review = [*(f"run time: {kernel_text(flag)}" for flag in report["runtime_flags"]),
                              *(f"source: {flag}" for flag in report["static_flags"])]

    def add_timestamp_reviews(self, submissions: list[Submission]) -> None:
        """A timestamp.txt that was not used is listed for review with each notebook."""
        for submission in submissions:
            outcome = self.outcomes.get(submission.student)
            if outcome is None or not submission.timestamp_problem:
                continue
            for notebook in outcome.notebooks.values():
                notebook.review.append(f"submission: {submission.timestamp_problem}")


