"""nbgrader configuration: instructors edit solutions/, students receive notebooks/."""

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.course_id = "ssl-lab"
# Students' notebooks are committed without outputs; the check cells run in the student's kernel.
c.ClearOutput.enabled = True
# Give a notebook time to train under the chosen profile before nbgrader gives up on a cell.
c.ExecutePreprocessor.timeout = 1800
c.Execute.timeout = 1800


# Autograding (`nbgrader autograde`, the formgrader's Autograde button and `make grade` alike):
# nbgrader's own steps, with its Execute replaced by the course's sandboxed one. Each student's
# kernel is the `ssl-lab-sandboxed` kernelspec, started by the `ssl-lab-sandbox` kernel
# provisioner (ssl_lab_instructor.grade.kernel) in a bubblewrap sandbox under memory, process,
# disk and time limits; where no sandbox can be made, nothing runs.
GRADING = "ssl_lab_instructor.grade.steps"
# nbgrader itself reads each submission's timestamp.txt and copies its other files before any
# of the steps below: make it read them as make grade does (no link followed, no pipe or device
# opened, size limits), or a student's FIFO named timestamp.txt would hang grading.
from ssl_lab_instructor.grade import submitted_files  # noqa: E402

submitted_files.install()
c.Autograde.exporter_class = f"{GRADING}.SafeNotebookExporter"  # no symlinked or oversized submission
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    f"{GRADING}.RestoreTrustedCells",  # grade/solution flags and points from the gradebook
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    f"{GRADING}.SandboxedExecute",  # instead of nbgrader.preprocessors.Execute
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    f"{GRADING}.FlagIntegrityFindings",  # integrity findings: `flagged` in the formgrader
    "nbgrader.preprocessors.CheckCellMetadata",
]
# The sandboxed kernelspec (ssl_lab_instructor/grade/kernelspecs); only SandboxedExecute can start it.
# Not c.Execute.kernel_name: `nbgrader validate` (Execute too) runs students' own notebooks
# with the plain python3 kernel, as they do.
c.SandboxedExecute.kernel_name = "ssl-lab-sandboxed"
# The sandbox's limits and profile (make grade's --profile, --memory ... set them too):
c.SandboxedExecute.profile = "smoke"
c.SandboxedExecute.memory = "4G"
c.SandboxedExecute.processes = 512
c.SandboxedExecute.disk = "512M"
# Only to grade WITHOUT a sandbox (every student's code then runs with your rights and can read
# the answers and rewrite the gradebook; a warning says so on every notebook):
# c.SandboxedExecute.unsafe = True
# Feedback shows each test cell's result and message, never its hidden tests (nbgrader would:
# see ssl_lab_instructor/grade/feedback.py).
c.GenerateFeedback.preprocessors = ["nbgrader.preprocessors.GetGrades",
                                    "ssl_lab_instructor.grade.feedback.HideHiddenTests",
                                    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]
# Only students on the gradebook's roster are graded (`nbgrader db student import
# students.csv`); `make grade ... GRADE_ARGS=--create-students` adds whoever submitted.
c.Autograde.create_student = False
