"""Regenerate the student notebooks in notebooks/ from the instructor notebooks in solutions/.

    python -m ssl_lab_instructor.generate_notebooks            # every assignment
    python -m ssl_lab_instructor.generate_notebooks 01_intro   # one assignment

nbgrader strips the solutions and hidden tests, clears outputs and writes
notebooks/<assignment>/. No gradebook is touched (--no-db).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def assignments(root: Path = ROOT) -> list[str]:
    """The assignment folders under solutions/ that hold notebooks, sorted."""
    return sorted(p.name for p in (root / "solutions").iterdir()
                  if p.is_dir() and any(p.glob("*.ipynb")))


def generate(assignment: str, root: Path = ROOT) -> None:
    """Run ``nbgrader generate_assignment`` for one assignment inside course folder ``root``."""
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", assignment,
         "--force", "--no-db", "--log-level=WARN"],
        cwd=root, check=True,
    )


def main(names: list[str]) -> None:
    for assignment in names or assignments():
        generate(assignment)
        print(f"generated notebooks/{assignment}/")


if __name__ == "__main__":
    main(sys.argv[1:])
