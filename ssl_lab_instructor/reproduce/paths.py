"""Where the course's notebooks and reports live, and which notebooks a run covers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SOLUTIONS = ROOT / "solutions"
README = ROOT / "README.md"
RESULTS = ROOT / "results"


def solution_notebooks() -> dict[str, Path]:
    """Every solution notebook by name (the stem its ``lab_utils.setup`` call uses)."""
    return {path.stem: path for path in sorted(SOLUTIONS.glob("*/*.ipynb"))}


def select_notebooks(names: Sequence[str]) -> dict[str, Path]:
    """The notebooks named (all when none is), in course order; unknown names are an error."""
    available = solution_notebooks()
    unknown = [name for name in names if name not in available]
    if unknown:
        raise SystemExit(f"unknown notebook(s) {', '.join(unknown)}; choose from: {', '.join(available)}")
    return {name: path for name, path in available.items() if not names or name in names}
