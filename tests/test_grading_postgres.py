"""Several grading machines sharing one PostgreSQL gradebook, each grading its share.

The test starts a real PostgreSQL server (Debian's ``postgresql`` package: ``initdb`` and
``pg_ctl`` under ``/usr/lib/postgresql/<version>/bin``) on a free local port, as the
``postgres`` user when run as root (PostgreSQL refuses to run as root), and runs two
``make grade --shard auto`` processes at once, like two array tasks on two machines: one
as task 0 of a Slurm job array, the other as pod 1 of a Kubernetes Indexed Job.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from grading import make_course
from hostile import ASSIGNMENT, LIMITS, NOTEBOOK, submit, throwaway_course
from nbgrader.api import Gradebook
from support import ROOT

from ssl_lab_instructor.grade.course import Course
from ssl_lab_instructor.grade.discovery import in_shard
from ssl_lab_instructor.grade.gradebook import GradebookWriter

STUDENTS = ["ada", "brian", "chen", "dana", "emil", "fatou"]


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if not found and shutil.which("initdb"):
        found = [shutil.which("initdb")]
    if not found:
        pytest.skip("PostgreSQL's initdb is not installed (looked in /usr/lib/postgresql/*/bin and on PATH): "
                    "`sudo apt-get install postgresql` (.ci/run installs it)")
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def postgres_url():
    """A fresh PostgreSQL server with an empty ``gradebook`` database; stopped afterwards."""
    binaries, port = postgres_bin(), free_port()
    folder = Path(tempfile.mkdtemp(prefix="ssl-grade-postgres-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # postgres refuses root: run it as the package's own user
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data = folder / "data"

    def run(*command: str) -> None:
        subprocess.run([*as_user, *command], check=True, capture_output=True, timeout=120)

    run(str(binaries / "initdb"), "-D", str(data), "-U", "grader", "--auth=trust", "--no-sync")
    run(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-o",
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        run(str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "grader", "gradebook")
        yield f"postgresql+psycopg://grader@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def test_two_machines_share_one_postgres_gradebook(tmp_path, postgres_url):
    course = throwaway_course(make_course(tmp_path), ROOT, ASSIGNMENT)
    reference = nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    blank = nbformat.read(ROOT / "notebooks" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    expected = {}
    for index, student in enumerate(STUDENTS[:4]):
        submit(course, student, reference if index % 2 == 0 else blank)
        expected[student] = index % 2 == 0
    shards = {k: [s for s in expected if in_shard(s, (k, 2))] for k in (1, 2)}
    assert all(shards.values()), f"both machines must get students: {shards}"
    # Once, before the machines start: the assignment and the roster in the shared gradebook.
    GradebookWriter(Course.load(course, db_url=postgres_url), ASSIGNMENT)
    with Gradebook(postgres_url, "ssl-lab") as gradebook:
        for student in expected:
            gradebook.add_student(student)
    # this checkout first; the rest of the path keeps what registers its sandbox provisioner
    env = {name: value for name, value in os.environ.items() if not name.startswith(("SLURM_", "JOB_COMPLETION"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    # what each engine sets in its task's environment (sbatch --array=0-1; a Job with completions: 2)
    tasks = {1: ({"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "1",
                  "SLURM_ARRAY_TASK_COUNT": "2", "SLURM_ARRAY_JOB_ID": "4242"}, []),
             2: ({"JOB_COMPLETION_INDEX": "1"}, ["--shards", "2"])}
    machines = [subprocess.Popen(
        [sys.executable, "-m", "ssl_lab_instructor.grade", ASSIGNMENT, "--course", str(course), "--db-url", postgres_url,
         "--shard", "auto", *extra, "--workers", "1", "--threads", "1", *LIMITS], cwd=ROOT, env=env | task_env,
        text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for task_env, extra in tasks.values()]
    start = time.monotonic()
    outputs = [machine.communicate(timeout=1200) for machine in machines]
    for machine, (_, stderr) in zip(machines, outputs, strict=True):
        assert machine.returncode == 0, stderr[-3000:]
    for k, (stdout, _) in enumerate(outputs, start=1):
        listed = {s for s in expected if f"\n{s} " in stdout}
        assert listed == set(shards[k]), f"machine {k} graded {listed}, its share is {shards[k]}"
    with Gradebook(postgres_url, "ssl-lab") as gradebook:
        for student, full_marks in expected.items():
            notebook = gradebook.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student)
            # the written answers wait for a person: full marks are the autograded cells' points
            assert notebook.max_code_score > 0
            assert notebook.score == (notebook.max_code_score if full_marks else 0), (student, notebook.score)
    assert time.monotonic() - start < 1200
