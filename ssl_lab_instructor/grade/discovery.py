"""The submissions under ``submitted/<student>/<assignment>/``, and the checks on their files.

Nothing a student sent is trusted: a submitted notebook must be a plain file (a symbolic
link could point at the answers, and the grader reads files with the instructor's rights),
not too large, valid JSON and a valid notebook. Each problem becomes a reason, never a crash.
"""

from __future__ import annotations

import json
import os
import re
import stat
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

STUDENT_ID = re.compile(r"[A-Za-z0-9_@+\-][A-Za-z0-9_.@+\-]{0,99}")  # whole name: fullmatch
TIMESTAMP_BYTES = 1024
OTHER_FILE_BYTES = 50 * 1024**2  # a file submitted beside the notebooks, copied to autograded/
NBGRADER_FILES = ("submission_secret.txt",)  # written by `nbgrader submit`: not the student's work


@dataclass
class SubmittedNotebook:
    name: str
    path: Path
    notebook: nbformat.NotebookNode | None = None
    problem: str | None = None  # why it cannot be run; it then scores zero


@dataclass
class Submission:
    student: str
    folder: Path
    notebooks: dict[str, SubmittedNotebook] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # files that are not expected notebooks
    other_files: list[str] = field(default_factory=list)  # the other plain files, copied as nbgrader does
    problem: str | None = None  # why the whole submission is not graded
    timestamp: str | None = None  # timestamp.txt's text, read safely
    timestamp_problem: str | None = None  # why timestamp.txt was not used (graded without a time)


def in_shard(student: str, shard: tuple[int, int] | None) -> bool:
    """Whether machine ``k`` of ``n`` grades ``student``; a stable hash, whatever the others see."""
    if shard is None:
        return True
    k, n = shard
    return zlib.crc32(student.encode()) % n == k - 1


def parse_shard(text: str, shards: int | None = None, env: Mapping[str, str] | None = None) -> tuple[int, int]:
    """``"2/3"`` -> ``(2, 3)``; ``"auto"``: this array task's share (see :func:`shard_of_array_task`)."""
    if text.strip() == "auto":
        return shard_of_array_task(os.environ if env is None else env, shards)
    if shards is not None:
        raise ValueError("--shards goes with --shard auto only: --shard K/N names the count itself")
    match = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise ValueError(f"--shard takes K/N with 1 <= K <= N, e.g. 1/2, or auto, not {text!r}")
    return int(match[1]), int(match[2])


def _number(env: Mapping[str, str], name: str) -> int:
    try:
        return int(env[name])
    except ValueError:
        raise ValueError(f"${name} is {env[name]!r}, not a whole number") from None


def shard_of_array_task(env: Mapping[str, str], shards: int | None) -> tuple[int, int]:
    """``(k, n)`` of the array task this process runs in.

    - a Kubernetes Indexed Job sets ``JOB_COMPLETION_INDEX`` (0 to completions - 1) but not the
      count: it comes from ``--shards`` or ``JOB_COMPLETIONS``, which the Job's manifest sets
      to its ``spec.completions``;
    - a Slurm job array (``sbatch --array=0-3``) sets ``SLURM_ARRAY_TASK_ID``, ``_MIN``,
      ``_STEP`` and ``_COUNT``; the task's place in the array is its share.
    """
    if "JOB_COMPLETION_INDEX" in env:
        index = _number(env, "JOB_COMPLETION_INDEX")
        given = _number(env, "JOB_COMPLETIONS") if "JOB_COMPLETIONS" in env else None
        source = "the Kubernetes Job (JOB_COMPLETION_INDEX)"
        if shards is None and given is None:
            raise ValueError("--shard auto in a Kubernetes Indexed Job: the Job gives this pod's index "
                             "(JOB_COMPLETION_INDEX) but not how many there are; pass --shards N with N the "
                             "Job's spec.completions, or set JOB_COMPLETIONS to it in the manifest")
    elif "SLURM_ARRAY_TASK_ID" in env:
        task = _number(env, "SLURM_ARRAY_TASK_ID")
        first = _number(env, "SLURM_ARRAY_TASK_MIN") if "SLURM_ARRAY_TASK_MIN" in env else 0
        step = _number(env, "SLURM_ARRAY_TASK_STEP") if "SLURM_ARRAY_TASK_STEP" in env else 1
        given = _number(env, "SLURM_ARRAY_TASK_COUNT") if "SLURM_ARRAY_TASK_COUNT" in env else None
        index, source = (task - first) // max(step, 1), "the Slurm job array (SLURM_ARRAY_TASK_ID)"
        if shards is None and given is None:
            raise ValueError("--shard auto in a Slurm job array without SLURM_ARRAY_TASK_COUNT (Slurm older "
                             "than 17.11?): pass --shards N, the number of tasks in the array")
    else:
        raise ValueError("--shard auto takes this machine's share from a Kubernetes Indexed Job "
                         "(JOB_COMPLETION_INDEX) or a Slurm job array (SLURM_ARRAY_TASK_ID), and neither is "
                         "set here: run it as one of the Job's pods or the array's tasks, or pass --shard K/N")
    if shards is not None and given is not None and shards != given:
        raise ValueError(f"--shards {shards} does not match the {given} tasks of {source}")
    count = shards if shards is not None else given
    if count is None or count < 1 or not 0 <= index < count:
        raise ValueError(f"{source} makes this task number {index + 1} of {count}: use a contiguous array "
                         f"(sbatch --array=0-{(count or 1) - 1}, or a Job with completions {count or 1}) whose "
                         "tasks match --shards")
    return index + 1, count


def read_plain_file(path: Path, max_bytes: int) -> tuple[bytes | None, str | None]:
    """The bytes of ``path`` if it is a regular file of at most ``max_bytes``, else why not.

    Opened without following a symbolic link and without blocking (a FIFO or a device put in
    its place is refused, never waited on); the checks are made on the opened file itself.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        if os.path.islink(path):
            return None, "is a symbolic link, not a file: it is not followed"
        return None, f"cannot be read ({error.strerror})"
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None, "is not a regular file (a folder, a pipe or a device): it is not opened"
        if info.st_size > max_bytes:
            return None, (f"is {info.st_size / 1024**2:.1f} MiB, more than the "
                          f"{max_bytes / 1024**2:.1f} MiB allowed")
        try:
            raw = handle.read(max_bytes + 1)
        except OSError as error:
            return None, f"cannot be read ({error.strerror})"
    if len(raw) > max_bytes:
        return None, f"is larger than the {max_bytes / 1024**2:.1f} MiB allowed"
    return raw, None


def read_notebook(path: Path, max_bytes: int) -> tuple[nbformat.NotebookNode | None, str | None]:
    """The notebook in ``path``, or None and what is wrong with the file."""
    raw, problem = read_plain_file(path, max_bytes)
    if raw is None:
        return None, problem
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None, "is not a JSON file, so not a Jupyter notebook (was it saved from Jupyter?)"
    if not isinstance(data, dict) or not ("cells" in data or "worksheets" in data):
        return None, "is JSON but not a Jupyter notebook (it has no cells)"
    try:
        notebook = nbformat.reads(raw.decode("utf-8"), as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat raises several kinds on malformed input
        return None, f"is JSON but not a valid Jupyter notebook ({type(error).__name__}: {str(error)[:200]})"
    return notebook, None


def discover(submitted: Path, assignment: str, notebook_names: list[str], max_bytes: int,
             students: list[str] | None = None, shard: tuple[int, int] | None = None) -> list[Submission]:
    """Every submission of ``assignment``, sorted by student id."""
    found = []
    if not submitted.is_dir():
        return found
    for student_dir in sorted(submitted.iterdir()):
        student = student_dir.name
        if (students and student not in students) or not in_shard(student, shard):
            continue
        folder = student_dir / assignment
        if not (folder.is_dir() or folder.is_symlink()):
            continue
        found.append(_submission(student, folder, notebook_names, max_bytes))
    return found


def _submission(student: str, folder: Path, notebook_names: list[str], max_bytes: int) -> Submission:
    submission = Submission(student, folder)
    if not STUDENT_ID.fullmatch(student):
        submission.problem = (f"the folder name {student!r} is not a valid student id "
                              "(letters, digits and _ . @ + - only)")
        return submission
    if folder.is_symlink() or folder.parent.is_symlink():
        submission.problem = "the submission folder is a symbolic link: it is not followed"
        return submission
    for entry in sorted(folder.iterdir()):
        name = entry.name.removesuffix(".ipynb")
        if entry.name.endswith(".ipynb") and name in notebook_names:
            notebook, problem = read_notebook(entry, max_bytes)
            submission.notebooks[name] = SubmittedNotebook(name, entry, notebook, problem)
        elif entry.name == "timestamp.txt":
            _read_timestamp(submission, entry)
        else:
            if entry.name not in NBGRADER_FILES:
                submission.ignored.append(entry.name)
            if not entry.name.endswith(".ipynb"):
                submission.other_files.append(entry.name)
    for name in notebook_names:
        submission.notebooks.setdefault(
            name, SubmittedNotebook(name, folder / f"{name}.ipynb", problem="was not submitted"))
    return submission


def _read_timestamp(submission: Submission, path: Path) -> None:
    """nbgrader's submission time, when ``timestamp.txt`` is a small plain file with a valid time."""
    from nbgrader.utils import parse_utc

    raw, problem = read_plain_file(path, TIMESTAMP_BYTES)
    text = None
    if raw is not None:
        try:
            text = raw.decode("utf-8").strip()
            parse_utc(text)
        except (UnicodeDecodeError, ValueError, OverflowError):
            problem = "does not hold a valid time"
    if problem:
        submission.timestamp_problem = (f"timestamp.txt {problem}: graded without a submission time "
                                        "(no late penalty applied)")
    else:
        submission.timestamp = text


def copy_other_files(submission: Submission, destination: Path) -> list[str]:
    """Copy the submission's other plain files (``submission_secret.txt``, data) to ``destination``.

    ``make grade`` stages them beside the notebooks; the worker's ``nbgrader autograde`` copies
    them into ``autograded/``, from where ``generate_feedback`` and ``release_feedback`` read
    ``submission_secret.txt``. Each is read as the notebooks are
    (no link followed, no pipe opened, at most ``OTHER_FILE_BYTES``); folders are not copied.
    Returns why each file left out was left out.
    """
    left_out = []
    destination.mkdir(parents=True, exist_ok=True)
    for name in submission.other_files:
        raw, problem = read_plain_file(submission.folder / name, OTHER_FILE_BYTES)
        target = destination / name
        if target.is_symlink() or target.exists():
            target.unlink()
        if raw is None:
            left_out.append(f"{name} {problem}: not copied to the graded folder")
            continue
        target.write_bytes(raw)
    return left_out


def already_graded(submission: Submission, autograded: Path) -> bool:
    """nbgrader's rule for skipping a submission: graded before, and not submitted again since.

    ``autograded`` is the student's graded folder. Every notebook must be there, and the
    submission's ``timestamp.txt`` must not be newer than the graded copy's (when either has
    none, the graded copy stands, as in ``nbgrader autograde`` without ``--force``).
    """
    from nbgrader.utils import parse_utc

    if not all((autograded / f"{name}.ipynb").is_file() for name in submission.notebooks):
        return False
    graded_raw, _ = read_plain_file(autograded / "timestamp.txt", TIMESTAMP_BYTES)
    if submission.timestamp is None or graded_raw is None:
        return True
    try:
        graded_at = parse_utc(graded_raw.decode("utf-8").strip())
    except (UnicodeDecodeError, ValueError, OverflowError):
        return False  # a graded copy whose time cannot be read: grade again rather than guess
    return not parse_utc(submission.timestamp) > graded_at
