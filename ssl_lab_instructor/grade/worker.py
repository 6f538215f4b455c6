"""Worker entry point: ``python -m ssl_lab_instructor.grade.worker JOB_DIR``: one student, nbgrader's autograde.

The worker is trusted grader code. It runs nbgrader's ``Autograde`` converter with the
course's ``nbgrader_config.py`` (the steps ``nbgrader autograde`` and the formgrader run) on
the student's staged submission (``JOB_DIR/submitted``: what the parent read safely), with
``make grade``'s options as ``SandboxedExecute`` traits, and writes ``result.json``: whether
it graded, and each notebook's report (verdicts, notes, findings, time and memory).
"""

import copy
import json
import sys
from pathlib import Path

# jsonschema, which nbformat imports, loads the optional rfc3987_syntax package when it is
# installed; building its grammar costs ~2.5 s of CPU in every worker and is never used
# to validate a notebook.
sys.modules.setdefault("rfc3987_syntax", None)

from nbgrader.converters import Autograde  # noqa: E402
from nbgrader.coursedir import CourseDirectory  # noqa: E402
from nbgrader.utils import capture_log  # noqa: E402

from .course import Course  # noqa: E402

LOG_CHARS = 3000


def autograde_student(job_dir: Path) -> dict:
    """Run nbgrader's autograde for the job's student; the result the parent reads."""
    job = json.loads((job_dir / "job.json").read_text())
    course = Course.load(Path(job["course"]), db_url=job["db_url"])
    config = copy.deepcopy(course.config)
    config.CourseDirectory.root = job["course"]
    config.CourseDirectory.submitted_directory = str(job_dir / "submitted")  # absolute: replaces the course's
    config.CourseDirectory.db_url = job["db_url"]
    config.CourseDirectory.assignment_id = job["assignment"]
    config.CourseDirectory.student_id = job["student"]
    config.Autograde.force = True
    config.Autograde.create_student = job["create_student"]
    for name, value in job["execute"].items():
        config.SandboxedExecute[name] = value
    config.SandboxedExecute.work_dir = str(job_dir)
    config.SandboxedExecute.report_dir = str(job_dir / "reports")
    app = Autograde(coursedir=CourseDirectory(config=config), config=config)
    outcome = capture_log(app)
    print(outcome.get("log", ""), file=sys.stderr)  # the worker's log (kept with --keep)
    reports = {path.stem: json.loads(path.read_text()) for path in (job_dir / "reports").glob("*.json")}
    if not outcome["success"]:
        detail = outcome.get("error") or outcome.get("log") or "nbgrader autograde failed"
        return {"status": "error", "error": detail[-LOG_CHARS:], "reports": reports}
    return {"status": "graded", "error": None, "reports": reports}


def main(job_dir: str) -> None:
    result = autograde_student(Path(job_dir))
    (Path(job_dir) / "result.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
