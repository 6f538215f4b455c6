"""Assemble the student release: a repository a student can use alone, with no answer in it.

dist/student/
    lab_utils/            the helper package, as in this repository
    notebooks/            the student notebooks of the assignments released so far
                          (release.toml), badges and install cells at the release
    data/README.md        where the data sets come from
    ssl_lab.py            `python -m ssl_lab labs`: install what is missing, open the labs
    constraints-local.txt the torch build that local installs pin (read by ssl_lab.py)
    README.md             the student README (templates/README.md)
    pyproject.toml, environment.yml, LICENSE, .gitignore

Only files that git tracks are copied (see ``tracked``), and the release is checked against
the answers of every assignment, released or not, before anything is written.
"""

from __future__ import annotations

import shutil
import tempfile
import tomllib
from pathlib import Path

import nbformat

from .config import ROOT, ReleaseConfig, course_assignments, load_config
from .leaks import find_leaks
from .notebooks import point_at_student_repository
from .student_files import write_student_files
from .tracked import UntrackedSourceError, copy_tracked
from .urls import url_problems

DEFAULT_OUT = ROOT / "dist" / "student"
# Shipped as they are, besides notebooks/<assignment>/ of each released assignment.
COPIED = ("lab_utils", "data/README.md", "LICENSE", "ssl_lab.py", "constraints-local.txt")
# Read to write the student's own versions (student_files), which replace them.
DERIVED = ("pyproject.toml", "environment.yml")


class ReleaseError(RuntimeError):
    """The release would be wrong (an answer in it, a wrong link): nothing was written."""


def instructor_repository(root: Path = ROOT) -> str:
    """``owner/name`` of this repository, from pyproject.toml's [project.urls]."""
    urls = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    return urls["Repository"].removeprefix("https://github.com/").removesuffix(".git")


def _copy_tracked(root: Path, out: Path, assignments: tuple[str, ...]) -> None:
    """Copy what ships, and only what git tracks of it, from ``root`` to ``out``."""
    notebooks = tuple(f"notebooks/{assignment}" for assignment in assignments)
    try:
        copied = copy_tracked(root, COPIED + DERIVED + notebooks, out)
    except UntrackedSourceError as error:
        raise ReleaseError(str(error)) from error
    missing = [path for path in (*COPIED, *DERIVED) if not any(
        name == path or name.startswith(path + "/") for name in copied)]
    missing += [folder for folder in notebooks
                if not any(name.startswith(folder + "/") and name.endswith(".ipynb") for name in copied)]
    if missing:
        raise ReleaseError(f"git tracks nothing of {', '.join(missing)} in {root}: commit (or "
                           "`git add`) the student notebooks (`make notebooks` writes them) and "
                           "the course files; untracked files never ship")


def _point_notebooks(out: Path, config: ReleaseConfig) -> None:
    from nbgrader.utils import compute_checksum

    for path in sorted((out / "notebooks").glob("*/*.ipynb")):
        point_at_student_repository(path, config, path.relative_to(out).as_posix())
        # nbgrader records a checksum of each read-only cell: keep it true to the new source.
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if "checksum" in cell.get("metadata", {}).get("nbgrader", {}):
                cell.metadata.nbgrader.checksum = compute_checksum(cell)
        nbformat.write(notebook, path)


def problems(release: Path, config: ReleaseConfig, root: Path = ROOT) -> list[str]:
    """Every answer found in ``release`` and every link that leads elsewhere than it should."""
    leaks = [f"answer in the release: {leak}" for leak in find_leaks(release, root)]
    return leaks + url_problems(release, config, instructor_repository(root))


def assemble(out: Path, config: ReleaseConfig, root: Path = ROOT) -> Path:
    """Write the release of ``config.assignments`` into the new folder ``out``, unchecked."""
    out.mkdir(parents=True)
    _copy_tracked(root, out, config.assignments)
    _point_notebooks(out, config)
    upcoming = [name for name in course_assignments(root) if name not in config.assignments]
    write_student_files(out, config, out, upcoming=len(upcoming))
    return out


def _looks_like_a_release(folder: Path) -> bool:
    return (folder / "notebooks").is_dir() and (folder / "lab_utils").is_dir()


def build(out: Path = DEFAULT_OUT, config: ReleaseConfig | None = None, root: Path = ROOT) -> Path:
    """Build, check and then write the release into ``out`` (replacing an older release).

    Raises:
        ReleaseError: the release would hold an answer or a wrong link (listed in the
            message); ``out`` is then left as it was.
    """
    config = config or load_config()
    out = out.resolve()
    if out.exists() and any(out.iterdir()) and not _looks_like_a_release(out):
        raise ReleaseError(f"{out} exists and is not a student release: choose another folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".release-") as scratch:
        staged = assemble(Path(scratch) / "student", config, root)
        found = problems(staged, config, root)
        if found:
            raise ReleaseError("the student release would be wrong; nothing was written:\n  - "
                               + "\n  - ".join(found))
        if out.exists():
            shutil.rmtree(out)
        staged.rename(out)
    return out
