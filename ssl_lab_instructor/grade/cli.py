"""Command line: ``python -m ssl_lab_instructor.grade ASSIGNMENT`` (what ``make grade`` runs)."""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

from sqlalchemy.exc import SAWarning, SQLAlchemyError

from .course import Course
from .discovery import parse_shard
from .limits import Limits, parse_size
from .pipeline import Grader, Settings, available_cores
from .sandbox import SandboxUnavailable
from .scheduler import GRADER_ROOT
from .summary import RunInfo, render, write_json

PROFILE_TIMEOUTS_S = {"smoke": (300, 1800), "cpu": (1800, 3 * 3600), "gpu": (1800, 3 * 3600)}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="make grade ASSIGNMENT=<assignment>",
        description="Grade every submission in submitted/*/<assignment>/ into the gradebook: each "
                    "student's kernel in a sandbox, WORKERS at a time, then print a per-student summary.")
    parser.add_argument("assignment")
    parser.add_argument("--course", type=Path, default=None,
                        help="the course's root folder, holding nbgrader_config.py (default: the current "
                             "folder if it holds one, else this repository)")
    parser.add_argument("--workers", type=int, default=available_cores(),
                        help="submissions graded at once, one kernel each (default: the number of cores)")
    parser.add_argument("--profile", default="smoke", choices=sorted(PROFILE_TIMEOUTS_S),
                        help="SSL_LAB_PROFILE of the students' kernels (default: smoke)")
    parser.add_argument("--students", default=None, help="comma-separated student ids (default: all)")
    parser.add_argument("--shard", default=None,
                        help="K/N: grade only this machine's share of the students, when N machines "
                             "share one gradebook (db_url); auto: the share of this Kubernetes Indexed "
                             "Job pod (JOB_COMPLETION_INDEX) or Slurm array task (SLURM_ARRAY_TASK_ID)")
    parser.add_argument("--shards", type=int, default=None,
                        help="with --shard auto: how many pods or tasks there are (default: "
                             "$JOB_COMPLETIONS or $SLURM_ARRAY_TASK_COUNT)")
    parser.add_argument("--force", action="store_true",
                        help="grade again the submissions graded before and not submitted again since "
                             "(skipped by default, as nbgrader autograde does)")
    parser.add_argument("--db-url", default=None, help="gradebook URL (default: the course's db_url)")
    parser.add_argument("--create-students", action="store_true",
                        help="add students who are not on the roster instead of skipping them")
    parser.add_argument("--unsafe", action="store_true",
                        help="grade WITHOUT a sandbox: student code runs with your rights and can read "
                             "the answers and change the gradebook")
    parser.add_argument("--cell-timeout", type=int, default=None, help="seconds per cell")
    parser.add_argument("--submission-timeout", type=int, default=None, help="seconds per notebook in all")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per kernel (default: the cores divided among the workers)")
    parser.add_argument("--memory", default="4G", help="memory per kernel (default 4G)")
    parser.add_argument("--processes", type=int, default=512, help="processes and threads per kernel")
    parser.add_argument("--disk", default="512M", help="size of the kernel's writable home folder")
    parser.add_argument("--limits", default="auto", choices=["auto", "cgroup", "rlimit"],
                        help="how limits are enforced (auto: cgroups when writable, else rlimits)")
    parser.add_argument("--read-only", action="append", default=[], metavar="PATH",
                        help="an extra folder the kernels may read (repeatable)")
    parser.add_argument("--json", type=Path, default=None, help="also write the summary as JSON here")
    parser.add_argument("--work-dir", type=Path, default=None, help="where job folders go (default: $TMPDIR)")
    parser.add_argument("--keep", action="store_true", help="keep the job folders (for debugging)")
    return parser.parse_args(argv)


def check_args(args: argparse.Namespace) -> None:
    """Refuse options that cannot work, before anything starts; each message names the fix."""
    for name in ("workers", "processes", "threads", "cell_timeout", "submission_timeout", "shards"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least 1, not {value}")
    if args.shards is not None and args.shard is None:
        raise ValueError("--shards goes with --shard auto")
    if args.work_dir is not None and not args.work_dir.is_dir():
        problem = "is not a folder" if args.work_dir.exists() else "does not exist"
        raise ValueError(f"--work-dir {args.work_dir} {problem}: create it (mkdir -p {args.work_dir}) "
                         "or leave the option out to use $TMPDIR")
    if args.work_dir is not None and not os.access(args.work_dir, os.W_OK | os.X_OK):
        raise ValueError(f"--work-dir {args.work_dir} is not writable by you: choose another folder")
    if args.json is not None and not args.json.parent.is_dir():
        raise ValueError(f"--json {args.json}: the folder {args.json.parent} does not exist")
    if args.course is not None and not args.course.is_dir():
        raise ValueError(f"--course {args.course} is not a folder: give the course's root, which holds "
                         "nbgrader_config.py")
    for path in args.read_only:
        if not Path(path).is_absolute() or not Path(path).exists():
            raise ValueError(f"--read-only {path} must be an existing absolute path")


def size_option(option: str, text: str) -> int:
    """A size option's bytes, or an error that shows the accepted forms."""
    try:
        size = parse_size(text)
    except ValueError:
        size = 0
    if size < 1:
        raise ValueError(f"{option} takes a size such as 4G, 512M or 100k, not {text!r}")
    return size


def settings_from(args: argparse.Namespace) -> Settings:
    check_args(args)
    cell, submission = PROFILE_TIMEOUTS_S[args.profile]
    limits = Limits(memory_bytes=size_option("--memory", args.memory), processes=args.processes,
                    cell_timeout_s=args.cell_timeout or cell,
                    submission_timeout_s=args.submission_timeout or submission,
                    disk_bytes=size_option("--disk", args.disk))
    return Settings(assignment=args.assignment, workers=max(1, args.workers), profile=args.profile,
                    limits=limits, unsafe=args.unsafe, limits_mode=args.limits,
                    students=args.students.split(",") if args.students else None,
                    shard=parse_shard(args.shard, args.shards) if args.shard else None,
                    extra_read_only=tuple(args.read_only), work_dir=args.work_dir, keep=args.keep,
                    threads=args.threads, force=args.force)


def course_db(args: argparse.Namespace) -> str:
    """The gradebook's URL as the instructor gave it, without a password."""
    url = args.db_url or "of nbgrader_config.py"
    return url.split("@")[-1] if "@" in url else url


def course_root(given: Path | None) -> Path:
    if given is not None:
        return given
    return Path.cwd() if (Path.cwd() / "nbgrader_config.py").is_file() else GRADER_ROOT


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # nbgrader's own gradebook code triggers SQLAlchemy warnings that say nothing to an instructor
    warnings.filterwarnings("ignore", category=SAWarning)
    try:
        settings = settings_from(args)
        course = Course.load(course_root(args.course), db_url=args.db_url,
                             create_students=True if args.create_students else None)
        grader = Grader(course, settings)
    except SandboxUnavailable as error:
        print(error, file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError, RuntimeError, ModuleNotFoundError) as error:
        print(f"make grade: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:  # a db_url that names no reachable database
        print(f"make grade: the gradebook {course_db(args)} cannot be opened: {str(error).splitlines()[0]}",
              file=sys.stderr)
        return 2
    if settings.unsafe:
        print("WARNING: grading without a sandbox (--unsafe): student code runs with your rights.",
              file=sys.stderr)
    start = time.monotonic()
    outcomes = grader.run()
    if not outcomes and not grader.skipped:
        print(f"No submissions of {settings.assignment} in {course.folder('submitted')}/*/{settings.assignment}/: "
              "collect them first (nbgrader collect or zip_collect).", file=sys.stderr)
        return 0
    info = RunInfo(assignment=settings.assignment, workers=settings.workers, profile=settings.profile,
                   sandbox=grader.sandbox_description, limits=grader.enforcer.name,
                   db=course.db_url.split("@")[-1], wall_s=round(time.monotonic() - start, 1),
                   skipped=grader.skipped)
    print(render(info, outcomes))
    if args.json:
        write_json(args.json, info, outcomes)
    if grader.grader_errors:
        print(f"{grader.grader_errors} notebook(s) NOT graded because grading itself failed: grade them "
              "again (STUDENTS=...).", file=sys.stderr)
        return 1
    return 0
