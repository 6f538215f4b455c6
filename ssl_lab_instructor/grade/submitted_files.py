"""The files beside a submitted notebook, read by nbgrader itself as ``make grade`` reads them.

Before any course step runs, ``nbgrader autograde`` (and the formgrader's Autograde button)
reads the submission's ``timestamp.txt`` (``CourseDirectory.get_existing_timestamp``, to
skip unchanged submissions and to date the submission) and copies every other file of the
folder into ``autograded/`` (``BaseConverter.init_assignment``), following symbolic links
and opening whatever is there. A student who controls the folder can then hang grading (a
FIFO named ``timestamp.txt``), fill the grader's disk (a link to ``/dev/zero``), or have the
grader copy a file of its own machine into the class's folders (a link to
``/etc/shadow``). :func:`install`, called from ``nbgrader_config.py``, makes both read
through :func:`~.discovery.read_plain_file`: no link followed, no pipe or device opened, no
file above its size limit. A refused ``timestamp.txt`` grades the submission without a time
(no late penalty), a refused file is left out; each with a warning that says why.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from nbgrader.converters.autograde import Autograde
from nbgrader.converters.base import BaseConverter
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import find_all_files, parse_utc, remove

from .discovery import OTHER_FILE_BYTES, TIMESTAMP_BYTES, read_plain_file


def existing_timestamp(self: CourseDirectory, dest_path: str) -> datetime | None:
    """``CourseDirectory.get_existing_timestamp``: the time in ``dest_path/timestamp.txt``, or
    None when there is none or it is not a small plain file holding a valid time."""
    path = Path(dest_path) / "timestamp.txt"
    if not os.path.lexists(path):
        return None
    raw, problem = read_plain_file(path, TIMESTAMP_BYTES)
    if raw is not None:
        try:
            text = raw.decode("utf-8").strip()
            if text:
                return parse_utc(text)
            problem = "is empty"
        except (UnicodeDecodeError, ValueError, OverflowError):
            problem = "does not hold a valid time"
    self.log.warning("%s %s: graded without a submission time (no late penalty applied)", path, problem)
    return None


_NBGRADER_INIT_ASSIGNMENT = BaseConverter.init_assignment


def init_assignment(self: BaseConverter, assignment_id: str, student_id: str) -> None:
    """``BaseConverter.init_assignment``: when autograding, the submission's other files are
    copied as plain files only; the instructor's own steps (generate_assignment ...) copy
    from the course's folders as nbgrader does."""
    if isinstance(self, Autograde):
        copy_other_files(self, assignment_id, student_id)
    else:
        _NBGRADER_INIT_ASSIGNMENT(self, assignment_id, student_id)


def copy_other_files(self: BaseConverter, assignment_id: str, student_id: str) -> None:
    """Copy the submission's other files (all but the notebooks and nbgrader's ignore
    patterns) into the destination, plain files only, each with a warning if left out."""
    source = self._format_source(assignment_id, student_id)
    dest = self._format_dest(assignment_id, student_id)
    for filename in find_all_files(source, self.coursedir.ignore + ["*.ipynb"]):
        path = os.path.join(dest, os.path.relpath(filename, source))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path):
            remove(path)
        raw, problem = read_plain_file(Path(filename), OTHER_FILE_BYTES)
        if raw is None:
            self.log.warning("Not copying %s: it %s", filename, problem)
            continue
        self.log.info("Copying %s -> %s", filename, path)
        Path(path).write_bytes(raw)


def install() -> None:
    """Make nbgrader read a submission's other files safely (see the module's docstring)."""
    CourseDirectory.get_existing_timestamp = existing_timestamp
    BaseConverter.init_assignment = init_assignment
