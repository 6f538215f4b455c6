"""WORKERS submissions at once: each in its own worker process, with its own kernel.

Worker processes are started and awaited by threads of the parent; results come back to the
parent's main thread one at a time, which alone writes the gradebook, so no update is lost
whatever the database. A worker that outlives the submission time limit is killed with its
kernel; one that crashes is reported, and the others go on.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

GRADER_ROOT = Path(__file__).resolve().parents[2]  # holds ssl_lab_instructor: workers import this copy
WORKER_GRACE_S = 120  # kernel start and shutdown on top of the submission's own time limit


@dataclass
class WorkerOutcome:
    """What came back from one worker: its result.json, or why there is none."""

    job_dir: Path
    result: dict | None
    timed_out: bool = False
    crash: str | None = None
    wall_s: float = 0.0


def run_worker(job_dir: Path, time_limit_s: float) -> WorkerOutcome:
    """Run ``python -m ssl_lab_instructor.grade.worker job_dir`` (one student) and wait at most ``time_limit_s``."""
    start = time.monotonic()
    log = open(job_dir / "worker.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "ssl_lab_instructor.grade.worker", str(job_dir)],
                               cwd=GRADER_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    timed_out = False
    try:
        process.wait(timeout=time_limit_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_job(process, job_dir)
    finally:
        log.close()
    wall = round(time.monotonic() - start, 2)
    result_file = job_dir / "result.json"
    if result_file.is_file() and not timed_out:
        return WorkerOutcome(job_dir, json.loads(result_file.read_text()), wall_s=wall)
    tail = (job_dir / "worker.log").read_bytes()[-3000:].decode("utf-8", "replace")
    return WorkerOutcome(job_dir, None, timed_out=timed_out,
                         crash=None if timed_out else f"exit status {process.returncode}: {tail}", wall_s=wall)


def _kill_job(process: subprocess.Popen, job_dir: Path) -> None:
    """Kill the worker's process group and the kernel's (bubblewrap would follow the worker anyway)."""
    # each notebook's job folder (under the worker's) holds its kernel's process group
    groups = [process.pid] + [int(path.read_text()) for path in job_dir.glob("*/kernel.pgid")]
    for pgid in groups:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()


def run_all(job_dirs: Iterable[Path], workers: int, time_limit_s: float,
            on_result: Callable[[WorkerOutcome], None]) -> None:
    """Run every job, ``workers`` at a time; ``on_result`` is called in this thread for each."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grade-worker") as pool:
        futures = [pool.submit(run_worker, job_dir, time_limit_s) for job_dir in job_dirs]
        for future in as_completed(futures):
            on_result(future.result())
