"""The gradebook side, in trusted grader processes only (never the student's kernel).

What the gradebook knows about an assignment (its trusted cells, the roster), the metadata
reset of every nbgrader cell before a notebook runs (:class:`RestoreTrustedMetadata`, a
step of nbgrader's sanitize pipeline), and the grades of a notebook that could not run at
all, scored by nbgrader's own preprocessors with the course's configuration and written to
``autograded/`` for ``nbgrader generate_feedback``.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import GenerateAssignment, NbGraderException
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import (
    AssignLatePenalties,
    LimitOutput,
    SaveAutoGrades,
)
from nbgrader.utils import determine_grade, parse_utc
from sqlalchemy.exc import IntegrityError

from .client import not_run_output
from .course import Course
from .trusted import TrustedNotebook, assignment_exists, load_trusted


def _with_retry(action, attempts: int = 3):
    """Run ``action``; a unique-key race with another grading machine is retried."""
    for attempt in range(attempts):
        try:
            return action()
        except IntegrityError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5 + attempt)


class RestoreTrustedMetadata(Preprocessor):
    """Give every nbgrader cell the metadata the gradebook holds for its grade id.

    nbgrader's OverwriteCells restores sources, lock, points and type, but trusts the
    ``grade``/``solution`` flags a student may have flipped; here they come from the
    gradebook too. A cell whose grade id the gradebook does not know loses its nbgrader
    metadata and becomes an ordinary cell.
    """

    def __init__(self, trusted: TrustedNotebook, **kwargs) -> None:
        super().__init__(**kwargs)
        self.trusted = trusted

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            return cell, resources
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        known = self.trusted.cells.get(grade_id) if isinstance(grade_id, str) else None
        if known is None:
            del cell.metadata["nbgrader"]
        else:
            cell.metadata["nbgrader"] = known.nbgrader_metadata()
        return cell, resources


class GradebookWriter:
    """Sanitises submitted notebooks and saves the grades of executed ones."""

    def __init__(self, course: Course, assignment: str) -> None:
        self.course, self.assignment = course, assignment
        # nbgrader's preprocessors open the gradebook under the course id "default_course"
        # and create that row on first use: made here once, so that several grading machines
        # starting together on one database do not race to insert it.
        for course_id in (course.coursedir.course_id, "default_course"):
            _with_retry(lambda course_id=course_id: Gradebook(course.db_url, course_id).close())
        _with_retry(self.ensure_assignment)
        with self._open() as gradebook:
            self.trusted = load_trusted(gradebook, assignment, course.folder("release"))
            self.roster = {student.id for student in gradebook.students}

    def _open(self) -> Gradebook:
        return Gradebook(self.course.db_url, self.course.coursedir.course_id)

    def ensure_assignment(self) -> None:
        """If the gradebook lacks the assignment, record it from ``solutions/`` (not touching notebooks/)."""
        with self._open() as gradebook:
            if assignment_exists(gradebook, self.assignment):
                return
        with tempfile.TemporaryDirectory(prefix="ssl-grade-release-") as release:
            config = copy.deepcopy(self.course.config)
            config.CourseDirectory.release_directory = release
            config.CourseDirectory.db_url = self.course.db_url
            config.CourseDirectory.assignment_id = self.assignment
            config.CourseDirectory.root = str(self.course.root)
            config.GenerateAssignment.force = True
            coursedir = CourseDirectory(config=config)
            try:
                GenerateAssignment(coursedir=coursedir, config=config).start()
            except NbGraderException as error:
                raise RuntimeError(f"could not record {self.assignment} in the gradebook from "
                                   f"{self.course.folder('source') / self.assignment}: {error}") from error

    def resources(self, student: str, notebook: str) -> dict:
        return {"nbgrader": {"student": student, "assignment": self.assignment, "notebook": notebook,
                             "db_url": self.course.db_url}}

    def start_submission(self, student: str, timestamp_text: str | None) -> None:
        """Create the student (if allowed) and the submission, with its timestamp (read safely)."""
        timestamp = parse_utc(timestamp_text) if timestamp_text else None
        with self._open() as gradebook:
            gradebook.update_or_create_student(student)
            if timestamp:
                gradebook.update_or_create_submission(self.assignment, student, timestamp=timestamp)
            else:
                gradebook.update_or_create_submission(self.assignment, student)

    def missing_graded_cells(self, name: str, notebook: nbformat.NotebookNode) -> list[str]:
        present = {c.metadata.get("nbgrader", {}).get("grade_id") for c in notebook.cells}
        return [gid for gid in self.trusted[name].graded_ids if gid not in present]

    def add_deleted_cells(self, name: str, notebook: nbformat.NotebookNode, missing: list[str]) -> None:
        """Append the graded cells a student deleted, failed, so they score zero with a reason."""
        for grade_id in missing:
            trusted = self.trusted[name].cells[grade_id]
            cell = nbformat.v4.new_code_cell(trusted.source, metadata={"nbgrader": trusted.nbgrader_metadata()})
            cell.outputs = [not_run_output(f"the test cell {grade_id} was deleted from the submitted notebook")]
            notebook.cells.append(cell)

    def save(self, student: str, name: str, notebook: nbformat.NotebookNode) -> tuple[float, float]:
        """Score a notebook that could not run with nbgrader's steps, save it, write its autograded copy.

        The steps (LimitOutput, SaveAutoGrades, AssignLatePenalties) get the course's config.
        Returns:
            (score, max score) of the notebook's autograded cells; written answers are scored
            by hand later (an untouched one already scores 0, as nbgrader does).
        """
        resources = self.resources(student, name)
        config = self.course.config
        for preprocessor in (LimitOutput(config=config), SaveAutoGrades(config=config),
                             AssignLatePenalties(config=config)):
            notebook, resources = preprocessor.preprocess(notebook, resources)
        folder = self.autograded_folder(student)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.ipynb"
        if path.exists() or path.is_symlink():
            path.unlink()
        nbformat.write(notebook, path)
        path.chmod(0o444)  # as nbgrader leaves autograded files
        score = sum(determine_grade(cell)[0] or 0 for cell in notebook.cells
                    if cell.metadata.get("nbgrader", {}).get("grade"))
        return score, self.trusted[name].autograded_max_score

    def autograded_folder(self, student: str) -> Path:
        return self.course.folder("autograded") / student / self.assignment

    def copy_submission_files(self, student: str, staged: Path) -> None:
        """The staged submission's plain files (timestamp.txt, submission_secret.txt, the student's
        other files: read safely by the parent) into autograded/, as nbgrader does.

        ``nbgrader release_feedback`` needs the secret; where the worker's nbgrader already
        copied them this writes the same bytes.
        """
        folder = self.autograded_folder(student)
        folder.mkdir(parents=True, exist_ok=True)
        for source in sorted(staged.iterdir()):
            if source.suffix == ".ipynb" or not source.is_file():
                continue
            target = folder / source.name
            if target.is_symlink() or target.is_file():
                target.unlink()
            shutil.copyfile(source, target)

    def scores(self, student: str) -> dict[str, tuple[float, float]]:
        """(score, max) of each notebook as the gradebook now holds it (manual grades included).

        The score is net of the late penalty, as ``nbgrader export`` writes it.
        """
        found = {}
        with self._open() as gradebook:
            for name in self.trusted:
                try:
                    submitted = gradebook.find_submission_notebook(name, self.assignment, student)
                except MissingEntry:
                    continue
                penalty = submitted.late_submission_penalty or 0.0
                found[name] = (max(0.0, submitted.score - penalty), submitted.max_score)
        return found
