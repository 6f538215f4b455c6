"""The per-student summary printed at the end of ``make grade`` (and its JSON form)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .text import kernel_text


@dataclass
class NotebookOutcome:
    name: str
    score: float = 0.0
    max_score: float = 0.0  # of the autograded cells
    manual_max_score: float = 0.0  # written answers, left to the formgrader
    failed: dict[str, str] = field(default_factory=dict)  # grade id -> reason
    note: str | None = None  # why the notebook did not run, or stopped early
    review: list[str] = field(default_factory=list)  # integrity findings and static flags
    wall_s: float = 0.0
    cpu_s: float | None = None  # the kernel's CPU time, where the limits' cgroups measure it
    peak_memory_bytes: int | None = None


@dataclass
class StudentOutcome:
    student: str
    notebooks: dict[str, NotebookOutcome] = field(default_factory=dict)
    not_graded: str | None = None  # why nothing was written to the gradebook
    ignored_files: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(n.score for n in self.notebooks.values())

    @property
    def max_score(self) -> float:
        return sum(n.max_score for n in self.notebooks.values())

    @property
    def manual_max_score(self) -> float:
        return sum(n.manual_max_score for n in self.notebooks.values())

    @property
    def wall_s(self) -> float:
        return sum(n.wall_s for n in self.notebooks.values())

    @property
    def review(self) -> list[str]:
        return [f"{n.name}: {item}" for n in self.notebooks.values() for item in n.review]


@dataclass
class RunInfo:
    assignment: str
    workers: int
    profile: str
    sandbox: str
    limits: str
    db: str
    wall_s: float = 0.0
    skipped: list[str] = field(default_factory=list)  # graded before, unchanged since


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render(info: RunInfo, outcomes: list[StudentOutcome]) -> str:
    """The summary as text: a table, then the notes a human should read."""
    graded = [o for o in outcomes if o.not_graded is None]
    lines = [f"Graded {info.assignment}: {len(graded)} of {len(outcomes)} submissions, profile {info.profile}, "
             f"{info.workers} worker(s); sandbox: {info.sandbox}; limits: {info.limits}; gradebook: {info.db}",
             "",
             f"{'student':<20} {'autograded':>11}  {'time':>6}  {'review':<7} failed cells"]
    for outcome in graded:
        failed = [gid for n in outcome.notebooks.values() for gid in n.failed]
        review = "REVIEW" if outcome.review else "-"
        lines.append(f"{_cut(kernel_text(outcome.student), 20):<20} {outcome.score:>5g}/{outcome.max_score:<5g}  "
                     f"{outcome.wall_s:>5.0f}s  {review:<7} {_cut(kernel_text(', '.join(failed) or '-'), 80)}")
    manual = max((o.manual_max_score for o in graded), default=0)
    if manual:
        lines += ["", f"Written answers ({manual:g} points) are graded by hand in the formgrader "
                      "(README: Manual grading of written answers)."]
    notes = _notes(graded)
    if notes:
        lines += ["", "Notes (also in each student's feedback):", *notes]
    # one line per finding: whatever a kernel wrote is escaped and cut (it could forge summary lines)
    reviews = [f"  {kernel_text(o.student)}: {kernel_text(item)}" for o in graded for item in o.review]
    if reviews:
        lines += ["", "Needs manual review (the cells voided at run time already score zero):", *reviews]
    refused = [o for o in outcomes if o.not_graded is not None]
    if refused:
        lines += ["", "Not graded (nothing written to the gradebook):",
                  *[f"  {kernel_text(o.student)}: {kernel_text(o.not_graded, 600)}" for o in refused]]
    if info.skipped:
        names = kernel_text(", ".join(info.skipped[:20]) + (f" and {len(info.skipped) - 20} more"
                                                            if len(info.skipped) > 20 else ""), 600)
        lines += ["", f"Skipped {len(info.skipped)} submission(s) graded before and not submitted again since "
                      f"(their autograded copy is as new as timestamp.txt): {names}. "
                      "Grade them again with --force (GRADE_ARGS=--force)."]
    rate = len(outcomes) / info.wall_s * 60 if info.wall_s else 0.0
    cpus = [n.cpu_s for o in graded for n in o.notebooks.values() if n.cpu_s is not None]
    cpu = f", kernels' CPU time {sum(cpus):.0f} s" if cpus else ""
    lines += ["", f"{len(outcomes)} submissions in {info.wall_s:.0f} s ({rate:.1f} per minute) "
                  f"with {info.workers} worker(s){cpu}."]
    return "\n".join(lines)


def _notes(outcomes: list[StudentOutcome]) -> list[str]:
    notes = []
    for outcome in outcomes:
        for notebook in outcome.notebooks.values():
            if notebook.note:
                notes.append(f"  {kernel_text(outcome.student)} / {notebook.name}: {kernel_text(notebook.note, 600)}")
        if outcome.ignored_files:
            files = kernel_text(", ".join(outcome.ignored_files[:10]), 600)
            notes.append(f"  {kernel_text(outcome.student)}: files not graded: {files}")
    return notes


def write_json(path: Path, info: RunInfo, outcomes: list[StudentOutcome]) -> None:
    data = {"run": asdict(info),
            "students": [{**asdict(o), "score": o.score, "max_score": o.max_score,
                          "manual_max_score": o.manual_max_score} for o in outcomes]}
    path.write_text(json.dumps(data, indent=1))
