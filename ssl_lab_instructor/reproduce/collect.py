"""Running the chosen notebooks one after another and collecting what each recorded."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from lab_utils.dry_run import MAX_STEPS_ENV_VAR

from .dry_run import report_profile
from .execute import NotebookRun, execute
from .machine import git_commit, hardware
from .paths import solution_notebooks
from .tables import minutes


def kernel_env(profile: str, runs_dir: Path, max_steps: int | None = None) -> dict[str, str]:
    """The environment of every kernel: the profile, metrics written into ``runs_dir``, and
    for a dry run the cap on every loop."""
    env = dict(os.environ)
    env.update(SSL_LAB_PROFILE=profile, SSL_LAB_RESULTS_DIR=str(runs_dir), MPLBACKEND="Agg",
               PYTHONUNBUFFERED="1")
    env.pop(MAX_STEPS_ENV_VAR, None)
    if max_steps:
        env[MAX_STEPS_ENV_VAR] = str(max_steps)
    # The kernel is this interpreter's: its scripts (nbgrader, jupyter) come first on PATH.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def read_recorded(runs_dir: Path, notebook: str, profile: str) -> tuple[dict[str, float], dict[str, str]]:
    """The metrics and notes ``lab_utils.record`` and ``record_note`` stored for ``notebook``."""
    path = runs_dir / f"{notebook}.{profile}.json"
    recorded = json.loads(path.read_text()) if path.exists() else {}
    return recorded.get("metrics", {}), recorded.get("notes", {})


def reproduce(profile: str, notebooks: dict[str, Path], output_dir: Path, skip_tags: Sequence[str],
              timeout: int, max_steps: int | None = None) -> dict:
    """Run ``notebooks`` one after another; the report as a JSON-ready dict.

    With ``max_steps``, a dry run (:mod:`.dry_run`): its report is ``<profile>-dryrun``.
    """
    recorded_as = report_profile(profile, max_steps)  # lab_utils names a dry run's file so too
    runs_dir = output_dir / "runs" / f"reproduce-{recorded_as}"
    runs_dir.mkdir(parents=True, exist_ok=True)
    env = kernel_env(profile, runs_dir, max_steps)
    report = {"profile": recorded_as, "date": _now(), "commit": git_commit(), "hardware": hardware(),
              "notebooks": {}}
    for name, path in notebooks.items():
        (runs_dir / f"{name}.{recorded_as}.json").unlink(missing_ok=True)  # no stale metrics
        started = _now()
        run = execute(name, path, env, skip_tags, runs_dir / "executed", timeout)
        run.metrics, run.notes = read_recorded(runs_dir, name, recorded_as)
        run.date, run.commit = started, report["commit"]
        report["notebooks"][name] = asdict(run)
        _print_outcome(run)
    return with_total(report)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def with_total(report: dict) -> dict:
    report["total_seconds"] = round(sum(run["wall_seconds"] for run in report["notebooks"].values()), 1)
    return report


def merge_into_previous(report: dict, previous_path: Path) -> dict:
    """Keep the notebooks of an earlier report that this run did not repeat, in course order.

    So ``python -m ssl_lab_instructor.reproduce 02_pretext_tasks`` updates one notebook's lines of the
    table. Only a report of the same profile on a machine with the same CPU, core count and
    GPU is merged: timings from different machines do not belong in one table.
    """
    if not previous_path.exists():
        return report
    previous = json.loads(previous_path.read_text())
    same_machine = all(previous["hardware"].get(key) == report["hardware"][key] for key in ("cpu", "cores", "gpu"))
    if previous.get("profile") != report["profile"] or not same_machine:
        print(f"not merging {previous_path}: another profile or machine", file=sys.stderr)
        return report
    order = list(solution_notebooks())
    merged = {**previous["notebooks"], **report["notebooks"]}
    report["notebooks"] = dict(sorted(merged.items(), key=lambda item: order.index(item[0])
                                      if item[0] in order else len(order)))
    return with_total(report)


def _print_outcome(run: NotebookRun) -> None:
    if run.status == "ok":
        print(f"{run.notebook}: ok in {minutes(run.wall_seconds)}, {len(run.metrics)} metrics", flush=True)
    else:
        error = run.error
        print(f"{run.notebook}: FAILED in cell {error['cell']} ({error['first_line']!r}): "
              f"{error['ename'] or error['exception']}: {error['evalue']}", file=sys.stderr, flush=True)
