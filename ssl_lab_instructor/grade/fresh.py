"""The fresh sandboxed process that runs a submission's hidden tests (see :mod:`.evaluate`).

It starts after the student's kernel is gone, in a sandbox of its own (same mounts, limits
and environment as the kernel) whose read-only stage holds only the program and the
harness. Its results come back through a pipe, read up to a bound; nothing it leaves in
files is ever opened by the grader.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import evaluate
from .sandbox import SANDBOX_HOME, SANDBOX_STAGE, SandboxSpec, bwrap_argv, startup_command

LOG_BYTES = 16 * 1024
STARTUP_S = 120  # python, torch and the notebook's imports


@dataclass
class FreshRun:
    output: str  # what the harness wrote on its results pipe
    log: str  # the tail of its stderr (the student's prints)
    timed_out: bool
    too_large: bool
    wall_s: float


def run_fresh(*, python: str, job_dir: Path, assignment: str, env: dict[str, str], limit_prefix: list[str],
              bwrap: str | None, sandbox: SandboxSpec | None, program: dict, test_timeout_s: int,
              max_bytes: int) -> FreshRun:
    """Run ``program`` in a new sandbox; at most ``max_bytes`` of results are read."""
    stage = job_dir / "hidden"
    if stage.exists():
        shutil.rmtree(stage)
    (stage / "home" / assignment).mkdir(parents=True)
    shutil.copyfile(evaluate.__file__, stage / "evaluate.py")
    (stage / "program.json").write_text(json.dumps(program))
    arguments = [str(test_timeout_s)]
    if bwrap is None:
        home = job_dir / "hidden-home"
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(stage / "home", home)
        argv = [*limit_prefix, python, str(stage / "evaluate.py"), str(stage / "program.json"), *arguments]
        env, cwd, pass_fds, info = {**env, "HOME": str(home)}, home / assignment, (), None
    else:
        info = os.open(os.devnull, os.O_WRONLY)
        harness = [python, f"{SANDBOX_STAGE}/evaluate.py", f"{SANDBOX_STAGE}/program.json", *arguments]
        argv = [*limit_prefix, *bwrap_argv(bwrap, sandbox, stage, assignment, info),
                *startup_command(harness, SANDBOX_HOME, f"{SANDBOX_HOME}/{assignment}")]
        cwd, pass_fds = None, (info,)
    limit = STARTUP_S + test_timeout_s * max(1, len(program["tests"]))
    start = time.monotonic()
    try:
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, start_new_session=True, pass_fds=pass_fds)
    finally:
        if info is not None:
            os.close(info)
    output, log = bytearray(), bytearray()
    too_large = threading.Event()

    def read_results() -> None:
        for chunk in iter(lambda: process.stdout.read1(65536), b""):
            if len(output) + len(chunk) > max_bytes:
                too_large.set()
                process.kill()
                return
            output.extend(chunk)

    def read_log() -> None:
        for chunk in iter(lambda: process.stderr.read1(65536), b""):
            log.extend(chunk)
            del log[:max(0, len(log) - LOG_BYTES)]

    readers = [threading.Thread(target=read_results, daemon=True), threading.Thread(target=read_log, daemon=True)]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(process)
        process.wait(timeout=30)
    for reader in readers:
        reader.join(timeout=10)
    return FreshRun(output.decode("utf-8", "replace"), log.decode("utf-8", "replace"), timed_out,
                    too_large.is_set(), round(time.monotonic() - start, 2))


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, 9)
    except (ProcessLookupError, PermissionError):
        process.kill()
