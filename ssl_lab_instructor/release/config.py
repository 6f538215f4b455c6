"""The setting of the student release: the public repository, the tag students get and the
assignments released so far (release.toml)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG_FILE = ROOT / "release.toml"
# The student repository's only branch: every release is one commit on it, tagged with its ref.
BRANCH = "main"

_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
# A tag without "/" (Colab's URLs read blob/<ref>/<path>) that git accepts: no "..", no
# leading "." or "-", no trailing "." or ".lock".
_REF = re.compile(r"^(?!.*\.\.)(?!.*\.lock$)(?!.*\.$)[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# Names that git or GitHub would read as something else than a tag of ours.
_LOOKS_LIKE_A_COMMIT = re.compile(r"^[0-9a-fA-F]{7,40}$")
_NOT_TAGS = {BRANCH, "HEAD", "FETCH_HEAD", "ORIG_HEAD"}
_ASSIGNMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class ReleaseConfigError(ValueError):
    """release.toml is missing, incomplete or names an impossible repository, ref or assignment."""


@dataclass(frozen=True)
class ReleaseConfig:
    """Where students find the course: ``repository`` (owner/name on GitHub) at the tag ``ref``,
    holding the nbgrader assignments ``assignments`` (folder names under notebooks/)."""

    repository: str
    ref: str
    assignments: tuple[str, ...]

    @property
    def url(self) -> str:
        return f"https://github.com/{self.repository}"

    @property
    def install_requirement(self) -> str:
        """What the notebooks' install cell gives pip: the package at the pinned ref."""
        return f"ssl-lab @ git+{self.url}@{self.ref}"

    def colab_url(self, notebook: str) -> str:
        """The Colab link of ``notebook``, a path such as ``notebooks/01_intro/01_intro_ssl.ipynb``."""
        return f"https://colab.research.google.com/github/{self.repository}/blob/{self.ref}/{notebook}"


def course_assignments(root: Path = ROOT) -> list[str]:
    """The course's assignments: the folders of solutions/ that hold a notebook, sorted."""
    if not (root / "solutions").is_dir():
        return []
    return sorted(folder.name for folder in (root / "solutions").iterdir()
                  if folder.is_dir() and any(folder.glob("*.ipynb")))


def ref_problem(ref: str) -> str | None:
    """Why ``ref`` cannot be published as the students' tag, or None when it can."""
    if not _REF.match(ref):
        return ("is not a tag that git and Colab accept: letters, digits, '.', '_' and '-', "
                "no '/', no '..', not ending in '.' or '.lock'")
    if ref in _NOT_TAGS:
        return (f"names a branch or a git pointer, not a tag: `make publish` tags a commit of the "
                f"student repository's branch {BRANCH!r}, and a branch moves under the notebooks "
                "that pin it")
    if _LOOKS_LIKE_A_COMMIT.match(ref):
        return ("looks like a commit id: the commit of a release exists only once `make publish` "
                "has made it, and a tag spelled like a commit id is ambiguous to git and GitHub")
    return None


def _assignments(value: object, path: Path, root: Path) -> tuple[str, ...]:
    known = course_assignments(root)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ReleaseConfigError(
            f"{path}: assignments must list the assignments released so far, such as "
            f"assignments = [\"{known[0] if known else '01_intro'}\"] (known: {', '.join(known)})")
    unknown = [name for name in value if not _ASSIGNMENT.match(name) or name not in known]
    if unknown:
        raise ReleaseConfigError(
            f"{path}: assignments names {', '.join(map(repr, unknown))}, which {root / 'solutions'} "
            f"does not hold; the course's assignments are {', '.join(known) or 'none'}")
    repeated = sorted({name for name in value if value.count(name) > 1})
    if repeated:
        raise ReleaseConfigError(f"{path}: assignments lists {', '.join(repeated)} more than once")
    return tuple(value)


def load_config(path: Path = CONFIG_FILE, root: Path = ROOT) -> ReleaseConfig:
    """Read and check ``[student]`` of release.toml against the assignments of ``root``."""
    if not path.is_file():
        raise ReleaseConfigError(f"{path} is missing: it names the student repository, its ref "
                                 "and the assignments released so far")
    try:
        student = tomllib.loads(path.read_text(encoding="utf-8"))["student"]
        repository, ref = str(student["repository"]).strip(), str(student["ref"]).strip()
        assignments = student["assignments"]
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise ReleaseConfigError(
            f"{path} must hold [student] with repository = \"owner/name\", ref = \"<tag>\" and "
            f"assignments = [\"01_intro\", ...] ({type(error).__name__}: {error})"
        ) from error
    if not _REPOSITORY.match(repository):
        raise ReleaseConfigError(
            f"{path}: repository = {repository!r} is not a GitHub owner/name such as \"my-uni/ssl-course\""
        )
    if (problem := ref_problem(ref)) is not None:
        raise ReleaseConfigError(f"{path}: ref = {ref!r} {problem}; use a new tag such as \"v2026.1\"")
    return ReleaseConfig(repository, ref, _assignments(assignments, path, root))
