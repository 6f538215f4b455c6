"""nbgrader configuration: instructors edit solutions/, students receive notebooks/."""

import os
import sys

from nbconvert.exporters import NotebookExporter
from nbgrader.converters.base import NbGraderException

c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.course_id = "ssl-lab"
# Feedback shows each test cell's result and message, never its hidden tests (nbgrader would:
# see scripts/grade/feedback.py). The `nbgrader` command does not put the course folder on
# the import path; the course's own nbgrader plugins live in its scripts package.
if os.path.isdir(os.path.join(c.CourseDirectory.root, "scripts")) and c.CourseDirectory.root not in sys.path:
    sys.path.insert(0, c.CourseDirectory.root)
c.GenerateFeedback.preprocessors = ["nbgrader.preprocessors.GetGrades", "scripts.grade.feedback.HideHiddenTests",
                                    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]
# Students' notebooks are committed without outputs; the check cells run in the student's kernel.
c.ClearOutput.enabled = True
# Give a notebook time to train under the chosen profile before nbgrader gives up on a cell.
c.ExecutePreprocessor.timeout = 1800
c.Execute.timeout = 1800


class SandboxedGradingRequired(NotebookExporter):
    """Stops `nbgrader autograde` (and the formgrader's Autograde button) before it runs anything.

    Plain nbgrader runs every student's code with your rights inside this folder, where it can
    read solutions/ and tests/answers/ and rewrite gradebook.db. `make grade` runs each kernel
    in a sandbox, in parallel, with the same gradebook (scripts/grade).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.log.error(
            "nbgrader autograde is disabled in this course: it would run students' code unsandboxed, "
            "with your rights, next to the answers and the gradebook. Grade with\n"
            "    make grade ASSIGNMENT=<assignment>        (python -m scripts.grade <assignment>)\n"
            "which sandboxes every kernel and writes the same gradebook; see the README's instructor guide.")
        raise NbGraderException("autograding needs the sandbox: use `make grade ASSIGNMENT=<assignment>`")


c.Autograde.exporter_class = SandboxedGradingRequired
# `make grade` grades only students on the gradebook's roster (`nbgrader db student import
# students.csv`); `make grade ... GRADE_ARGS=--create-students` adds whoever submitted.
c.Autograde.create_student = False
