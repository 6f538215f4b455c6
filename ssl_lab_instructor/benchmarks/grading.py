"""Benchmark of ``make grade``: submissions per minute with 1 and with 2 (or more) workers.

    python -m ssl_lab_instructor.benchmarks.grading                      # 12 submissions of 01_intro, 1 and 2 workers
    python -m ssl_lab_instructor.benchmarks.grading --submissions 24 --workers 1 2 4

A throw-away copy of the course gets N generated submissions of one assignment, a third
each: the reference answers, the blank student notebook, and the reference with one
exercise replaced by a typical wrong answer (from tests/answers/). They are graded once per
worker count, each time into a fresh gradebook, through the same command ``make grade``
runs. Reported: wall time, submissions per minute, speed-up over one worker, and the CPU
time of the grader with its workers and kernels (steadier than wall time on a shared
machine). Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]


def wrong_variants(notebook: str) -> list[tuple[str, str]]:
    """``(grade id, wrong source)`` pairs from ``tests/answers/<notebook>.py``."""
    path = ROOT / "tests" / "answers" / f"{notebook}.py"
    spec = importlib.util.spec_from_file_location(f"answers_{notebook}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [(grade_id, source) for grade_id, variants in module.WRONG.items() for source in variants.values()]


def with_answer(reference: nbformat.NotebookNode, grade_id: str, source: str) -> nbformat.NotebookNode:
    notebook = nbformat.from_dict(reference)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = source
    return notebook


def make_course(folder: Path, assignment: str, count: int) -> None:
    """The course's nbgrader set-up in ``folder`` and ``count`` mixed submissions."""
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    shutil.copytree(ROOT / "solutions" / assignment, folder / "solutions" / assignment)
    shutil.copytree(ROOT / "notebooks" / assignment, folder / "notebooks" / assignment)
    for solution in sorted((ROOT / "solutions" / assignment).glob("*.ipynb")):
        reference = nbformat.read(solution, as_version=4)
        blank = nbformat.read(ROOT / "notebooks" / assignment / solution.name, as_version=4)
        wrong = wrong_variants(solution.stem)
        for index in range(count):
            kind = ("reference", "blank", "wrong")[index % 3]
            if kind == "reference":
                notebook = reference
            elif kind == "blank":
                notebook = blank
            else:
                notebook = with_answer(reference, *wrong[index % len(wrong)])
            target = folder / "submitted" / f"{kind}-{index:03d}" / assignment / solution.name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, target)


def grade_once(course: Path, assignment: str, workers: int, profile: str) -> dict:
    """Grade every submission into a fresh gradebook; wall and CPU seconds."""
    for leftover in ("gradebook.db", "autograded"):
        path = course / leftover
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "ssl_lab_instructor.grade", assignment, "--course", str(course),
                          "--workers", str(workers), "--profile", profile, "--create-students"],
                         cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode != 0:
        raise SystemExit(f"grading failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    grader = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # The sandboxed kernels are not children the grader waits for: their CPU time comes from
    # the limits' cgroups, printed in the summary ("kernels' CPU time N s") where measured.
    kernels = re.search(r"kernels' CPU time (\d+) s", run.stdout)
    cpu = grader + float(kernels.group(1)) if kernels else None
    return {"workers": workers, "wall_s": wall, "cpu_s": cpu, "summary": run.stdout}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default="01_intro")
    parser.add_argument("--submissions", type=int, default=12)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--profile", default="smoke")
    parser.add_argument("--show-summary", action="store_true", help="print each run's summary too")
    parser.add_argument("--output", type=Path, help="also write the figures as JSON (e.g. results/grading-cpu.json, "
                                                     "which the README quotes)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ssl-grade-benchmark-") as folder:
        course = Path(folder)
        make_course(course, args.assignment, args.submissions)
        print(f"{args.submissions} submissions of {args.assignment} (profile {args.profile}) on "
              f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.1f}")
        runs = []
        for workers in args.workers:
            run = grade_once(course, args.assignment, workers, args.profile)
            runs.append(run)
            if args.show_summary:
                print(run["summary"])
        base = runs[0]["wall_s"]
        print(f"\n| workers | wall time | submissions/min | speed-up over {runs[0]['workers']} | CPU time "
              "| CPU s/submission |")
        print("| --- | --- | --- | --- | --- | --- |")
        for run in runs:
            rate = args.submissions / run["wall_s"] * 60
            cpu = ("not measured (no cgroup limits)" if run["cpu_s"] is None
                   else f"{run['cpu_s']:.0f} s | {run['cpu_s'] / args.submissions:.1f}")
            print(f"| {run['workers']} | {run['wall_s']:.0f} s | {rate:.1f} | {base / run['wall_s']:.2f} | {cpu} |")
        print(f"\nload average after: {os.getloadavg()[0]:.1f}")
        if args.output:
            write_figures(args.output, args, runs)


def write_figures(path: Path, args: argparse.Namespace, runs: list[dict]) -> None:
    """The benchmark as JSON, one top-level number per figure (quotable in the README)."""
    figures = {"assignment": args.assignment, "profile": args.profile, "submissions": args.submissions,
               "cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    for run in runs:
        n = run["workers"]
        figures[f"wall_seconds_{n}_workers"] = round(run["wall_s"], 1)
        figures[f"submissions_per_minute_{n}_workers"] = round(args.submissions / run["wall_s"] * 60, 2)
        figures[f"speed_up_{n}_workers"] = round(runs[0]["wall_s"] / run["wall_s"], 3)
    path.write_text(json.dumps(figures, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
