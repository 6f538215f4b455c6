"""The files of a release folder, without what building or running it leaves behind."""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

# Left by pip or setuptools (`pip install dist/student` builds in place), Python or Jupyter;
# the student repository's .gitignore keeps them out of git too.
LEFT_BEHIND = (".git", "build", "*.egg-info", "__pycache__", ".ipynb_checkpoints")


def release_files(folder: Path) -> list[Path]:
    """Every file of the release in ``folder``, sorted."""
    return sorted(path for path in folder.rglob("*") if path.is_file() and not any(
        fnmatch(part, pattern) for part in path.relative_to(folder).parts for pattern in LEFT_BEHIND))
