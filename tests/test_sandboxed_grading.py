"""``make grade``: hostile, cheating and broken submissions, all graded in one parallel run.

One throw-away course with a class of submissions made from the current notebook 01 (see
``hostile.py``) is graded once by ``python -m ssl_lab_instructor.grade`` (what ``make grade`` runs) with
two workers; each test then checks one promise on that run's gradebook, graded notebooks,
summary and course directory. The last tests grade two of its students again through
``nbgrader autograde`` and the formgrader's ``NbGraderAPI.autograde``: the same sandbox, the
same scores, the same graded notebooks. Needs bubblewrap (``apt-get install bubblewrap``).
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import hostile as H
import nbformat
import pytest
from grading import grade_cells, make_course
from nbgrader.api import Gradebook
from support import ROOT

from ssl_lab_instructor.grade.hidden import hidden_block, visible_part

SECRET = "grader-secret-do-not-leak"
LATE = "late-reference"  # the reference answers, 33 hours after the due date
DUE = "2026-01-10 12:00:00 UTC"
SUBMITTED_LATE = "2026-01-11 21:00:00 UTC"
COMPARED = (LATE, "thief")  # graded again by nbgrader autograde and the formgrader's API
UNKNOWN = "not-on-the-roster"
NEWLINE_ID = "trailing-newline\n"  # passes a `$`-anchored id check
ASSIGNMENT, NOTEBOOK, LIMITS, submit = H.ASSIGNMENT, H.NOTEBOOK, H.LIMITS, H.submit


def grade(course: Path, *args: str, env: dict | None = None):
    return H.grade(ROOT, course, *args, env=env)


def course_for_grading(tmp_path: Path) -> Path:
    course = H.throwaway_course(make_course(tmp_path), ROOT, ASSIGNMENT)
    (tmp_path / "exchange").mkdir()  # where release_feedback returns the feedback
    with open(course / "nbgrader_config.py", "a") as config:  # the course's own late policy
        config.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n'
                     f'c.Exchange.root = {str(tmp_path / "exchange")!r}\n')
    return course


def fingerprint(course: Path) -> dict[str, str]:
    """SHA-256 of every file but the grader's own outputs (gradebook, autograded/)."""
    hashes = {}
    for path in sorted(course.rglob("*")):
        relative = path.relative_to(course)
        if relative.parts[0] in ("autograded", "feedback") or relative.name.startswith("gradebook.db"):
            continue
        if path.is_symlink():
            hashes[str(relative)] = "link:" + os.readlink(path)
        elif path.is_fifo():
            hashes[str(relative)] = "fifo"
        elif path.is_file():
            hashes[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            hashes[str(relative)] = "dir"
    return hashes


def until_last_test(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook up to its last autograded test cell: what follows takes time and earns no point."""
    notebook = H.truncated(notebook)
    last = max(index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
               and cell.metadata.get("nbgrader", {}).get("grade"))
    notebook.cells = notebook.cells[:last + 1]
    return notebook


def write_class(course: Path, tcp_port: int, exchange: Path) -> None:
    reference = nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    student = nbformat.read(ROOT / "notebooks" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    # one student goes through an nbgrader exchange (fetch, submit, collect), for the feedback test
    H.submit_through_exchange(course, exchange, {"late-error": H.late_error(reference)})
    submit(course, "reference", reference)
    submit(course, "blank", student)
    submit(course, "thief", H.thief_notebook(student, f"{NOTEBOOK}.ipynb", tcp_port))
    submit(course, "monkeypatcher", H.monkeypatcher(reference))
    for cheat in H.SWALLOW_ERRORS:
        submit(course, cheat, H.error_swallower(student, cheat))
    submit(course, "tampered-tests", H.tampered_tests(student))
    submit(course, "limit-breaker", H.limit_breaker(reference))
    for name in H.KERNEL_KILLERS:
        submit(course, name, H.kernel_killer(reference, name))
    submit(course, "not-json", H.NOT_JSON)
    submit(course, "not-a-notebook", H.NOT_A_NOTEBOOK)
    submit(course, "no-graded-cells", H.no_graded_cells())
    symlink = course / "submitted" / "symlink" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    symlink.parent.mkdir(parents=True)
    symlink.symlink_to(course / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    submit(course, UNKNOWN, reference)
    submit(course, "bad name!", reference)
    # cheats the kernel's own verdict cannot see: only the hidden tests, judged outside, decide
    submit(course, "anything-answers", H.anything_answers(student))
    submit(course, "summary-forger", H.summary_forger(student))
    submit(course, "stderr-answers", H.stderr_answers(reference))
    # submission folders holding what must never be opened, or opened blocking
    os.mkfifo(course / "submitted" / "blank" / ASSIGNMENT / "timestamp.txt")
    (course / "submitted" / "tampered-tests" / ASSIGNMENT / "timestamp.txt").symlink_to("/dev/zero")
    fifo = course / "submitted" / "fifo-notebook" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    fifo.parent.mkdir(parents=True)
    os.mkfifo(fifo)
    submit(course, NEWLINE_ID, reference)
    submit(course, LATE, until_last_test(reference))
    for student in COMPARED:  # as nbgrader collect leaves them: release_feedback needs the secret
        folder = course / "submitted" / student / ASSIGNMENT
        (folder / "submission_secret.txt").write_text(f"secret-of-{student}")
        (folder / "timestamp.txt").write_text(SUBMITTED_LATE if student == LATE else "2026-01-09 10:00:00 UTC")


def roster(course: Path) -> None:
    """Every student but UNKNOWN is on the roster (nbgrader_config.py: create_student = False)."""
    students = [p.name for p in (course / "submitted").iterdir() if p.name not in (UNKNOWN, "bad name!", NEWLINE_ID)]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "ssl-lab") as gradebook:
        for student in students:
            gradebook.add_student(student)
        gradebook.update_or_create_assignment(ASSIGNMENT, duedate=DUE)


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> SimpleNamespace:
    course = course_for_grading(tmp_path_factory.mktemp("class"))
    listener = socket.create_server(("127.0.0.1", 0))  # a local service the kernels must not reach
    exchange = tmp_path_factory.mktemp("exchange")
    write_class(course, listener.getsockname()[1], exchange)
    roster(course)
    before = fingerprint(course)
    summary = course / "summary.json"
    run = grade(course, "--workers", "2", "--json", str(summary), *LIMITS, env={**os.environ, "GRADER_SECRET": SECRET})
    listener.close()
    summary.rename(course.parent / "summary.json")  # not part of the course's fingerprint
    # make grade's graded notebooks and grades of the students graded again by the other paths
    made = {student: (graded_notebook(course, student), submission_grades(course, student)) for student in COMPARED}
    data = json.loads((course.parent / "summary.json").read_text())
    return SimpleNamespace(course=course, exchange=exchange, run=run, before=before, after=fingerprint(course),
                           made=made,
                           students={s["student"]: s for s in data["students"]},
                           points=[cell.metadata.nbgrader["points"] for cell in grade_cells(
                               nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", 4)).values()])


def outcome(graded, student: str) -> dict:
    return graded.students[student]["notebooks"][NOTEBOOK]


def gradebook_scores(course: Path, student: str) -> dict[str, tuple[float, float | None]]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student)
        # the autograded cells; written answers (markdown) wait for a person
        return {grade.name: (grade.score, grade.manual_score) for grade in notebook.grades
                if grade.cell_type == "code"}


def graded_notebook(course: Path, student: str) -> nbformat.NotebookNode:
    return nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)


def printed(notebook: nbformat.NotebookNode, prefix: str) -> list[str]:
    return [line for cell in notebook.cells for output in cell.get("outputs", [])
            if output.get("output_type") == "stream" for line in output.text.splitlines()
            if line.startswith(prefix)]


def test_the_run_grades_the_class(graded):
    assert graded.run.returncode == 0, graded.run.stderr[-3000:]
    assert "student" in graded.run.stdout and "reference" in graded.run.stdout


def test_reference_earns_full_marks_and_blank_zero(graded):
    reference, blank = outcome(graded, "reference"), outcome(graded, "blank")
    assert reference["score"] == reference["max_score"] == sum(graded.points), reference
    # the written answers are left to a person, and the summary says so
    assert reference["manual_max_score"] > 0 and "graded by hand" in graded.run.stdout
    assert not reference["review"], "the reference must raise no integrity flag"
    assert blank["score"] == 0 and len(blank["failed"]) == len(graded.points)
    assert all(score == 0 for score, _ in gradebook_scores(graded.course, "blank").values())


def test_the_thief_steals_nothing_and_changes_nothing(graded):
    thief = outcome(graded, "thief")
    assert thief["score"] == 0 and len(thief["failed"]) == len(graded.points)
    attacks = printed(graded_notebook(graded.course, "thief"), "ATTACK ")
    tried = {line.split(":")[0] for line in attacks}
    expected = {"ATTACK read tests/answers", "ATTACK read gradebook.db", "ATTACK write gradebook",
                "ATTACK write other students' files", "ATTACK network interfaces",
                "ATTACK grader's secret environment", "ATTACK read /etc/shadow", "ATTACK see other processes",
                "ATTACK network localhost"}
    assert expected <= tried, f"attacks that never ran: {expected - tried}"
    assert sum(line.startswith("ATTACK steal solution") for line in attacks) == len(graded.points)
    succeeded = [line for line in attacks if "SUCCEEDED" in line]
    assert not succeeded, "\n".join(succeeded)
    assert graded.after == graded.before, "the course directory changed: " + str(
        {k for k in graded.before.keys() | graded.after.keys() if graded.before.get(k) != graded.after.get(k)})
    for student in ("reference", "blank", "thief"):
        assert all(manual is None for _, manual in gradebook_scores(graded.course, student).values())
    assert SECRET not in json.dumps(graded_notebook(graded.course, "thief"))


def test_the_same_thief_gets_full_marks_without_the_sandbox(tmp_path):
    """What the sandbox prevents is real: with --unsafe the stealing works (read-only thief)."""
    course = course_for_grading(tmp_path)
    student = nbformat.read(ROOT / "notebooks" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    submit(course, "thief", H.thief_notebook(student, f"{NOTEBOOK}.ipynb", steal_only=True))
    run = grade(course, "--unsafe", "--create-students", "--workers", "1", *LIMITS)
    assert run.returncode == 0, run.stderr[-3000:]
    scores = gradebook_scores(course, "thief")
    assert all(score > 0 for score, _ in scores.values()), scores


def test_monkeypatching_earns_nothing_and_is_flagged(graded):
    cheat = outcome(graded, "monkeypatcher")
    assert cheat["score"] == 0, cheat["failed"]
    findings = " ".join(cheat["review"])
    for patched in H.MONKEYPATCHES:
        assert patched in findings, f"{patched} was not reported: {findings[:2000]}"


@pytest.mark.parametrize("cheat", sorted(H.SWALLOW_ERRORS))
def test_swallowing_the_tests_errors_earns_nothing(graded, cheat):
    result = outcome(graded, cheat)
    assert result["score"] == 0, result["failed"]
    assert result["review"], "the cheat must be listed for review"


def test_edited_test_cells_are_restored_and_deleted_ones_score_zero(graded):
    result = outcome(graded, "tampered-tests")
    assert result["score"] == 0 and len(result["failed"]) == len(graded.points)
    assert "deleted" in result["note"]
    assert all(score == 0 for score, _ in gradebook_scores(graded.course, "tampered-tests").values())


def test_limits_fail_only_the_exercise_that_broke_them(graded):
    result = outcome(graded, "limit-breaker")
    # fork bomb, infinite loop, full disk: their exercises fail; huge output: its exercise passes
    assert result["score"] == graded.points[3], result["failed"]
    notebook = graded_notebook(graded.course, "limit-breaker")
    forks = printed(notebook, "ATTACK fork bomb")
    assert forks and int(forks[0].split()[-2]) < 64, forks
    filled = printed(notebook, "ATTACK fill disk")
    assert filled and int(filled[0].split()[-2]) <= 64, filled
    assert any(o.get("ename") == "CellTimeoutError" for cell in notebook.cells for o in cell.get("outputs", []))
    assert "output cut" in result["note"]
    path = graded.course / "autograded" / "limit-breaker" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    assert path.stat().st_size < 30 * 1024**2, "the graded notebook keeps at most ~20 MiB of output"


@pytest.mark.parametrize("name", sorted(H.KERNEL_KILLERS))
def test_a_dead_or_hung_kernel_zeroes_only_what_did_not_run(graded, name):
    _, exercise = H.KERNEL_KILLERS[name]
    result = outcome(graded, name)
    assert result["score"] == sum(graded.points[:exercise]), result["failed"]
    expected = {"memory-hog": "memory limit", "kernel-dies": "the kernel died",
                "uninterruptible-loop": "ignored the interrupt"}[name]
    assert expected in result["note"], result["note"]


@pytest.mark.parametrize("student", ["not-json", "not-a-notebook", "no-graded-cells", "symlink"])
def test_unreadable_submissions_score_zero_with_a_reason_in_the_feedback(graded, student):
    result = outcome(graded, student)
    assert result["score"] == 0 and result["note"]
    notebook = graded_notebook(graded.course, student)
    assert result["note"] in notebook.cells[0].source  # the feedback's first cell
    assert all(score == 0 for score, _ in gradebook_scores(graded.course, student).values())


def test_unknown_students_are_reported_not_graded(graded):
    for student in (UNKNOWN, "bad name!", NEWLINE_ID):
        assert graded.students[student]["not_graded"], student
        assert not (graded.course / "autograded" / student).exists()
    assert "roster" in graded.students[UNKNOWN]["not_graded"]
    with Gradebook(f"sqlite:///{graded.course / 'gradebook.db'}") as gradebook:
        assert UNKNOWN not in {student.id for student in gradebook.students}


def test_nbgrader_autograde_without_a_sandbox_runs_nothing_and_says_how_to_get_one(graded, tmp_path):
    shutil.copytree(graded.course / "autograded" / LATE, tmp_path / "kept")
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}  # no bwrap on this PATH
    # one student: nbgrader itself would block on the FIFO other submissions hold
    run = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force", "--student", LATE],
                         cwd=graded.course, capture_output=True, text=True, env=env)
    shutil.rmtree(graded.course / "autograded" / LATE, ignore_errors=True)  # put make grade's back
    shutil.copytree(tmp_path / "kept", graded.course / "autograded" / LATE)
    assert run.returncode != 0
    assert "bubblewrap" in run.stderr and "nothing was run" in run.stderr, run.stderr[-3000:]
    assert "Executing notebook" not in run.stderr
    assert submission_grades(graded.course, LATE) == graded.made[LATE][1]


def test_grading_refuses_without_a_sandbox_and_says_how_to_get_one(tmp_path):
    course = course_for_grading(tmp_path)
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}  # no bwrap on this PATH
    run = grade(course, env=env)
    assert run.returncode == 2
    assert "bubblewrap" in run.stderr and "--unsafe" in run.stderr
    assert not (course / "gradebook.db").exists()


def test_make_grade_runs_the_grader_with_the_smoke_profile():
    # --no-print-directory: under `make test` this is a sub-make, which would otherwise wrap its
    # output in "Entering/Leaving directory" lines.
    run = subprocess.run(["make", "--no-print-directory", "-n", "grade", "ASSIGNMENT=01_intro", "WORKERS=3"],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    command = run.stdout.strip().splitlines()[-1]
    assert "-m ssl_lab_instructor.grade 01_intro" in command and "--workers 3" in command and "--profile smoke" in command


@pytest.mark.parametrize("student", ["anything-answers", "summary-forger"])
def test_answering_nothing_earns_nothing_whatever_the_kernel_says(graded, student):
    """The kernel's checks are silenced, its probe reports what the cheat wants, its test cells
    end with a result nbgrader would read as full marks, its answers claim to equal anything
    (a tensor subclass overriding comparison, truth and ``__array__``): the points come from
    the hidden tests, run afresh and judged outside the sandbox."""
    result = outcome(graded, student)
    assert result["score"] == 0, result["failed"]
    assert all(score == 0 for score, _ in gradebook_scores(graded.course, student).values())
    if student != "summary-forger":  # its probe reports forged findings, which void its cells first
        # the kernel's verdict was "passed": only the hidden tests, judged outside, stopped it
        assert all(reason.startswith(("hidden test failed", "running the answer on the hidden inputs failed"))
                   for reason in result["failed"].values()), result["failed"]
    notebook = graded_notebook(graded.course, student)
    for cell in grade_cells(notebook).values():  # nothing the kernel sent can be read as a score
        assert all(o.output_type in ("stream", "error") for o in cell.outputs), cell.outputs
        assert all(o.name == "stdout" for o in cell.outputs if o.output_type == "stream")


def test_a_correct_answer_that_writes_to_stderr_keeps_its_points(graded):
    result = outcome(graded, "stderr-answers")
    assert result["score"] == result["max_score"] == sum(graded.points), result["failed"]
    notebook = graded_notebook(graded.course, "stderr-answers")
    assert any("this answer is slow" in o.get("text", "") for cell in grade_cells(notebook).values()
               for o in cell.outputs), "the warning is still shown in the feedback"


def test_kernel_text_cannot_forge_lines_of_the_summary(graded):
    lines = graded.run.stdout.splitlines()
    assert not [line for line in lines if line.startswith(("FORGED", "reference            12/12"))], lines
    assert "\\x0aFORGED summary line" in graded.run.stdout, "the forged finding is shown, escaped, on one line"
    assert "\x1b" not in graded.run.stdout, "no terminal escape sequence a kernel wrote reaches the summary"


@pytest.mark.parametrize("student", ["blank", "tampered-tests"])  # a FIFO, a link to /dev/zero
def test_a_timestamp_that_is_not_a_plain_file_is_refused_and_the_rest_graded(graded, student):
    result = outcome(graded, student)
    assert len(result["failed"]) == len(graded.points), result  # graded: every test cell has its verdict
    assert any("timestamp.txt" in item and "without a submission time" in item for item in result["review"]), result
    assert not (graded.course / "autograded" / student / ASSIGNMENT / "timestamp.txt").exists()


def test_a_notebook_that_is_a_fifo_is_refused_with_a_reason(graded):
    result = outcome(graded, "fifo-notebook")
    assert result["score"] == 0 and "not a regular file" in result["note"], result


def test_a_test_cell_the_kernel_answers_again_after_its_reply_fails(graded):
    result = outcome(graded, "late-error")
    assert list(result["failed"]) == ["rotation_dataset_tests"], result["failed"]
    assert "after its reply" in result["failed"]["rotation_dataset_tests"]
    # submitted through the exchange today, after DUE: the late policy ("zero") takes what it earned
    grades = submission_grades(graded.course, "late-error")
    earned = sum(auto for name, (auto, _) in grades["grades"].items() if name.endswith("_tests"))
    assert earned == sum(graded.points[1:]), grades
    assert result["score"] == earned - grades["late_penalty"], (result, grades)


# -- the same sandbox and steps through nbgrader autograde and the formgrader ----------------


def submission_grades(course: Path, student: str) -> dict:
    """What the gradebook holds for one submitted notebook: every grade, the penalty, the flag."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student)
        return {"grades": {grade.name: (grade.auto_score, grade.manual_score) for grade in notebook.grades},
                "late_penalty": notebook.late_submission_penalty, "score": notebook.score,
                "flagged": notebook.flagged}


def compared(notebook: nbformat.NotebookNode) -> list:
    """What must match across grading paths: every cell's type, source and nbgrader metadata,
    the outputs of the test cells and of the notes at the top."""
    cells = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        outputs = [{k: v for k, v in o.items() if k != "execution_count"} for o in cell.get("outputs", [])] \
            if meta.get("grade") and not meta.get("solution") else None
        cells.append((cell.cell_type, cell.source, meta, outputs))
    return cells


def autograded_files(course: Path, student: str) -> set[str]:
    return {p.name for p in (course / "autograded" / student / ASSIGNMENT).iterdir()}


@pytest.fixture(scope="module")
def regraded(graded) -> dict[str, dict]:
    """COMPARED graded again, by `nbgrader autograde` and by the formgrader's API, in turn."""
    course, found = graded.course, {}
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for student in COMPARED:
        run = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force",
                              "--student", student], cwd=course, capture_output=True, text=True, env=env)
        assert run.returncode == 0, run.stderr[-5000:]
    found["nbgrader autograde"] = {s: (graded_notebook(course, s), submission_grades(course, s),
                                       autograded_files(course, s)) for s in COMPARED}
    script = (f"import sys; from nbgrader.apps import NbGraderAPI; from traitlets.config import Config\n"
              f"from traitlets.config.loader import PyFileConfigLoader\n"
              f"api = NbGraderAPI(config=PyFileConfigLoader('nbgrader_config.py', path='.').load_config())\n"
              f"for student in {list(COMPARED)!r}:\n"
              f"    result = api.autograde({ASSIGNMENT!r}, student, force=True, create=False)\n"
              f"    print(result.get('log', ''), file=sys.stderr)\n"
              f"    assert result['success'], result.get('error')\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=course, capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr[-5000:]
    found["NbGraderAPI.autograde"] = {s: (graded_notebook(course, s), submission_grades(course, s),
                                          autograded_files(course, s)) for s in COMPARED}
    return found


@pytest.mark.parametrize("path", ["nbgrader autograde", "NbGraderAPI.autograde"])
def test_every_grading_path_gives_the_same_grades_and_graded_notebooks(graded, regraded, path):
    for student in COMPARED:
        notebook, grades, files = regraded[path][student]
        made_notebook, made_grades = graded.made[student]
        assert grades == made_grades, (student, grades, made_grades)
        assert compared(notebook) == compared(made_notebook), student
        # nbgrader's own copy of the submission: feedback and release_feedback need these
        assert {"submission_secret.txt", "timestamp.txt", f"{NOTEBOOK}.ipynb"} <= files, files


def test_the_hostile_submission_is_sandboxed_on_every_path(graded, regraded):
    for path, found in [("make grade", {"thief": (graded.made["thief"][0], graded.made["thief"][1], None)}),
                        *regraded.items()]:
        notebook, grades, _ = found["thief"]
        assert all(auto == 0 for name, (auto, _) in grades["grades"].items() if name.endswith("_tests")), path
        attacks = printed(notebook, "ATTACK ")
        assert attacks and not [line for line in attacks if "SUCCEEDED" in line], (path, attacks)
    assert graded.after == graded.before


def test_a_late_submission_loses_its_points_by_the_course_late_policy(graded):
    grades = graded.made[LATE][1]
    codes = {name: auto for name, (auto, _) in grades["grades"].items() if name.endswith("_tests")}
    assert codes and all(auto > 0 for auto in codes.values()), codes  # every test passed...
    # ...and penalty_method = "zero" takes them all: the summary shows the score net of it, as export does
    assert grades["late_penalty"] == grades["score"] == sum(codes.values()), grades
    assert outcome(graded, LATE)["score"] == 0, outcome(graded, LATE)


def test_integrity_findings_flag_the_submission_for_the_formgrader(graded):
    with Gradebook(f"sqlite:///{graded.course / 'gradebook.db'}") as gradebook:
        flagged = {student: gradebook.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student).flagged
                   for student in ("monkeypatcher", "reference")}
    assert flagged == {"monkeypatcher": True, "reference": False}
    assert "Flagged for review" in graded_notebook(graded.course, "monkeypatcher").cells[0].source


def test_feedback_is_generated_and_released_after_grading(graded, regraded):
    from grading import nbgrader

    for student in COMPARED:
        nbgrader("generate_feedback", ASSIGNMENT, "--student", student, "--force", cwd=graded.course)
        nbgrader("release_feedback", ASSIGNMENT, "--student", student, cwd=graded.course)
        assert (graded.course / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html").is_file()
    released = list((graded.course.parent / "exchange" / "ssl-lab" / "feedback").glob("*.html"))
    assert len(released) == len(COMPARED), released


def html_text(page: str) -> str:
    """What a reader of an HTML page sees: its text, tags left out, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def hidden_lines(notebook: nbformat.NotebookNode) -> set[str]:
    """The lines of the hidden tests that appear nowhere else in ``notebook`` (and are not tiny)."""
    visible = "\n".join(visible_part(cell.source) for cell in notebook.cells)
    lines = {line.strip() for cell in notebook.cells for line in (hidden_block(cell.source) or "").splitlines()}
    return {line for line in lines if len(line) >= 12 and line not in visible}


def test_feedback_released_through_the_exchange_shows_results_not_hidden_tests(graded):
    """generate_feedback, release_feedback and fetch_feedback after make grade: the student's
    page holds every test cell's score and message, and not one line of the hidden tests."""
    student, options = "late-error", H.exchange_options(graded.exchange)
    H.nbgrader_in(graded.course, "generate_feedback", ASSIGNMENT, f"--student={student}")
    H.nbgrader_in(graded.course, "release_feedback", ASSIGNMENT, f"--student={student}", *options)
    home = H.student_folder(graded.exchange, student)
    H.nbgrader_in(home, "fetch_feedback", ASSIGNMENT, "--course=ssl-lab", f"--student={student}", *options)
    [page] = home.glob(f"{ASSIGNMENT}/feedback/*/{NOTEBOOK}.html")
    text = html_text(page.read_text())
    autograded = graded_notebook(graded.course, student)
    secret = hidden_lines(autograded)
    # the graded notebook holds them (nbgrader puts them back to grade): the check has teeth
    assert len(secret) >= 10 and all(any(line in c.source for c in autograded.cells) for line in secret)
    shown = [line for line in secret if line in text]
    assert not shown, f"hidden test lines in the feedback: {shown[:5]}"
    assert "HIDDEN TESTS" not in text and "hidden_check" not in text
    scores = dict(re.findall(r"Grade cell: (\S+)\s+Score: ([\d.]+) / [\d.]+", text))
    expected = gradebook_scores(graded.course, student)
    tests = {gid for gid in expected if gid.endswith("_tests")}
    assert tests and {gid: float(scores[gid]) for gid in tests} == {gid: expected[gid][0] for gid in tests}
    assert "TestFailed: the kernel sent another error for this cell after its reply" in text
    assert text.count("all visible checks passed") >= len(tests) - 1


def test_grading_again_skips_unchanged_submissions(graded):
    """As nbgrader autograde without --force: graded before and not submitted again, not regraded."""
    before = {s: graded_notebook(graded.course, s) for s in ("reference", "late-error")}
    run = grade(graded.course, "--students", "reference,late-error", *LIMITS)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Skipped 2 submission(s) graded before" in run.stdout and "--force" in run.stdout, run.stdout
    assert "reference  " not in run.stdout, "nothing graded"
    assert {s: graded_notebook(graded.course, s) for s in before} == before
