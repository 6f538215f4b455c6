"""Every link of a student release leads to the student repository, at the release's ref.

Colab links and pip's git URLs are the course's own: each must name the student repository
at the ref (and a Colab link a notebook that exists). Any other GitHub URL must name the
student repository too, unless it is a data file that ``lab_utils`` downloads from a third
party (its own modules hold those). The instructor repository is named nowhere.
"""

from __future__ import annotations

import re
from pathlib import Path

from .config import ReleaseConfig
from .files import release_files

URL = re.compile(r"""(?:git\+)?https?://[^\s)\]"'<>`\\]+""")
_COLAB = re.compile(r"https://colab\.research\.google\.com/github/([\w.-]+/[\w.-]+)/blob/([\w.-]+)/(\S+)")
_GIT = re.compile(r"git\+https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?@([\w.-]+)$")
_GITHUB = re.compile(
    r"https?://(?:github\.com|raw\.githubusercontent\.com|cdn\.jsdelivr\.net/gh)/([\w.-]+/[\w.-]+?)(?:\.git)?(?:[/@]|$)")


def release_urls(release: Path) -> list[tuple[str, str]]:
    """``(file, url)`` for every URL in the release's text files."""
    found = []
    for path in release_files(release):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        where = path.relative_to(release).as_posix()
        found += [(where, url.rstrip(".,;:")) for url in URL.findall(text.replace("\\n", " "))]
    return found


def _repository_of(url: str) -> str | None:
    match = _GITHUB.match(url)
    return match.group(1) if match else None


def url_problems(release: Path, config: ReleaseConfig, instructor_repository: str) -> list[str]:
    """What is wrong with the release's URLs, one sentence each (empty when all is well)."""
    problems = []
    for where, url in release_urls(release):
        colab, git = _COLAB.match(url), _GIT.match(url)
        if colab:
            repository, ref, notebook = colab.groups()
            if (repository, ref) != (config.repository, config.ref):
                problems.append(f"{where}: {url} opens {repository}@{ref}, not "
                                f"{config.repository}@{config.ref}")
            elif not (release / notebook).is_file():
                problems.append(f"{where}: {url} opens {notebook}, which is not in the release")
        elif git:
            if git.groups() != (config.repository, config.ref):
                problems.append(f"{where}: {url} installs {git.group(1)}@{git.group(2)}, not "
                                f"{config.repository}@{config.ref}")
        elif (repository := _repository_of(url)) and repository != config.repository:
            if not where.startswith("lab_utils/"):
                problems.append(f"{where}: {url} names {repository}, not {config.repository}")
    return problems + instructor_mentions(release, config, instructor_repository)


def instructor_mentions(release: Path, config: ReleaseConfig, instructor_repository: str) -> list[str]:
    """Files of the release that name the instructor repository (``owner/name``) at all."""
    if instructor_repository == config.repository:
        return []
    pattern = re.compile(rf"(?<![\w.-]){re.escape(instructor_repository)}(?![\w-]|\.\w)")
    problems = []
    for path in release_files(release):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if pattern.search(text):
            problems.append(f"{path.relative_to(release).as_posix()} names the instructor "
                            f"repository {instructor_repository}")
    return problems
