"""nbgrader's own reading of a submission's timestamp.txt and other files, as the course's
nbgrader_config.py sets it: no link followed, no pipe waited on, the rest still graded."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import datetime

import pytest
from nbgrader.converters.autograde import Autograde
from nbgrader.converters.base import BaseConverter
from nbgrader.coursedir import CourseDirectory
from support import ROOT

from ssl_lab_instructor.grade import submitted_files

VALID = "2026-12-01 10:00:00.000000 UTC"


@pytest.fixture
def installed(monkeypatch):
    """submitted_files.install(), undone after the test."""
    monkeypatch.setattr(CourseDirectory, "get_existing_timestamp", CourseDirectory.get_existing_timestamp)
    monkeypatch.setattr(BaseConverter, "init_assignment", BaseConverter.init_assignment)
    submitted_files.install()


def _timestamp_within(folder, seconds: float = 10):
    """get_existing_timestamp(folder), failing the test if it does not return in time."""
    result = []
    reader = threading.Thread(target=lambda: result.append(CourseDirectory().get_existing_timestamp(str(folder))),
                              daemon=True)
    reader.start()
    reader.join(seconds)
    assert not reader.is_alive(), "reading timestamp.txt hung"
    return result[0]


def test_a_plain_timestamp_is_read_as_nbgrader_reads_it(installed, tmp_path):
    (tmp_path / "timestamp.txt").write_text(VALID + "\n")
    assert _timestamp_within(tmp_path) == datetime(2026, 12, 1, 10, 0)
    assert _timestamp_within(tmp_path / "missing") is None


@pytest.mark.parametrize("kind", ["fifo", "link", "garbage", "empty", "huge"])
def test_a_timestamp_that_is_not_a_small_plain_file_with_a_time_is_refused(installed, tmp_path, kind, caplog):
    path = tmp_path / "timestamp.txt"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "link":
        (tmp_path / "real.txt").write_text(VALID)
        path.symlink_to(tmp_path / "real.txt")
    else:
        path.write_text({"garbage": "yesterday", "empty": "", "huge": VALID + " " * 4096}[kind])
    assert _timestamp_within(tmp_path) is None
    assert "graded without a submission time" in caplog.text


def test_autograde_copies_only_the_plain_files_beside_the_notebooks(installed, tmp_path):
    submitted = tmp_path / "submitted" / "ada" / "a1"
    submitted.mkdir(parents=True)
    (submitted / "notes.txt").write_text("mine")
    (tmp_path / "secret.txt").write_text("the grader's")
    (submitted / "link.txt").symlink_to(tmp_path / "secret.txt")
    os.mkfifo(submitted / "pipe")
    (submitted / "answer.ipynb").write_text("{}")
    autograde = Autograde(coursedir=CourseDirectory(root=str(tmp_path)))
    BaseConverter.init_assignment(autograde, "a1", "ada")
    graded = tmp_path / "autograded" / "ada" / "a1"
    assert sorted(p.name for p in graded.iterdir()) == ["notes.txt"]
    assert (graded / "notes.txt").read_text() == "mine"


def test_the_course_config_installs_it():
    program = (
        "from traitlets.config.loader import PyFileConfigLoader\n"
        f"PyFileConfigLoader('nbgrader_config.py', path={str(ROOT)!r}).load_config()\n"
        "from nbgrader.coursedir import CourseDirectory\n"
        "from nbgrader.converters.base import BaseConverter\n"
        "print(CourseDirectory.get_existing_timestamp.__module__, BaseConverter.init_assignment.__module__)\n")
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["ssl_lab_instructor.grade.submitted_files"] * 2
