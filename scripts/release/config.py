"""The one setting of the student release: the public repository and the ref students get."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG_FILE = ROOT / "release.toml"

_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
# A tag or branch without "/" (Colab's URLs read blob/<ref>/<path>), or a full commit hash.
_REF = re.compile(r"^(?!.*\.\.)(?!.*\.lock$)[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class ReleaseConfigError(ValueError):
    """release.toml is missing, incomplete or names an impossible repository or ref."""


@dataclass(frozen=True)
class ReleaseConfig:
    """Where students find the course: ``repository`` (owner/name on GitHub) at ``ref``."""

    repository: str
    ref: str

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


def load_config(path: Path = CONFIG_FILE) -> ReleaseConfig:
    """Read and check ``[student]`` of release.toml."""
    if not path.is_file():
        raise ReleaseConfigError(f"{path} is missing: it names the student repository and ref")
    try:
        student = tomllib.loads(path.read_text(encoding="utf-8"))["student"]
        repository, ref = str(student["repository"]).strip(), str(student["ref"]).strip()
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise ReleaseConfigError(
            f"{path} must hold [student] with repository = \"owner/name\" and ref = \"<tag>\" ({error})"
        ) from error
    if not _REPOSITORY.match(repository):
        raise ReleaseConfigError(
            f"{path}: repository = {repository!r} is not a GitHub owner/name such as \"my-uni/ssl-course\""
        )
    if not _REF.match(ref):
        raise ReleaseConfigError(
            f"{path}: ref = {ref!r} is not a tag without '/' (such as \"v2026.1\") or a commit hash"
        )
    return ReleaseConfig(repository, ref)
