"""Publish a built release: one commit on the student repository's main branch, one tag.

The student repository holds nothing but releases. Each publication replaces its files with
dist/student/, commits, tags the commit with the configured ref and pushes both at once. A
tag that exists already on the student repository is never moved: the notebooks of that
release pin it. A push that failed (no network, no rights, a rejected push) left its commit
and tag only in the local clone: the next run starts again from the student repository as
it is, so publishing can simply be retried.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .build import ROOT, _looks_like_a_release, problems
from .config import BRANCH, ReleaseConfig
from .files import release_files


class PublishError(RuntimeError):
    """The release cannot be published as asked (the message says why and what to do)."""


def _git(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise PublishError(f"git {' '.join(args)} failed in {cwd}:\n{result.stderr.strip()}")
    return result


def _source_commit(root: Path, allow_dirty: bool) -> str:
    commit = _git("rev-parse", "--short", "HEAD", cwd=root).stdout.strip()
    dirty = _git("status", "--porcelain", "--untracked-files=no", cwd=root).stdout.strip()
    if dirty and not allow_dirty:
        raise PublishError("this repository has uncommitted changes: commit them first, so that "
                           "the release maps to a commit (or pass --allow-dirty)")
    return commit + ("+changes" if dirty else "")


def _tag_exists(remote: str, ref: str, cwd: Path) -> bool:
    listed = _git("ls-remote", "--tags", remote, f"refs/tags/{ref}", cwd=cwd).stdout
    return bool(listed.strip())


def _fresh_clone(remote: str, clone: Path) -> None:
    """Clone ``remote`` into ``clone``, or bring an earlier clone up to date with it."""
    if (clone / ".git").is_dir():
        if _git("remote", "get-url", "origin", cwd=clone).stdout.strip() != remote:
            raise PublishError(f"{clone} is a clone of another repository: delete it or pass --clone")
        # --prune-tags: a tag that only the clone has was made by a run whose push failed
        _git("fetch", "--quiet", "--force", "--prune", "--prune-tags", "origin", cwd=clone)
    else:
        if clone.exists():
            raise PublishError(f"{clone} exists and is not a git clone: delete it or pass --clone")
        clone.parent.mkdir(parents=True, exist_ok=True)
        _git("clone", "--quiet", remote, str(clone), cwd=clone.parent)
    has_branch = _git("rev-parse", "--verify", "--quiet", f"origin/{BRANCH}", cwd=clone, check=False)
    if has_branch.returncode == 0:
        _git("checkout", "--quiet", "--force", "-B", BRANCH, f"origin/{BRANCH}", cwd=clone)
    else:  # an empty repository: the first release starts its history
        _git("symbolic-ref", "HEAD", f"refs/heads/{BRANCH}", cwd=clone)
        # a commit of an earlier run whose push failed is not history: forget it
        _git("update-ref", "-d", f"refs/heads/{BRANCH}", cwd=clone, check=False)


def _replace_files(release: Path, clone: Path) -> None:
    for entry in clone.iterdir():
        if entry.name != ".git":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for source in release_files(release):
        target = clone / source.relative_to(release)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def publish(release: Path, config: ReleaseConfig, remote: str | None = None,
            clone: Path = ROOT / "dist" / "student-repository", push: bool = True,
            allow_dirty: bool = False, root: Path = ROOT) -> str:
    """Commit the built release in ``release`` to the student repository and tag it.

    Args:
        remote: the student repository's git URL (default: its https URL on GitHub).
        clone: a working clone of it, made or updated here.
        push: push the commit and the tag (else they stay in ``clone``).
    Returns:
        a sentence saying what was done.
    """
    remote = remote or f"{config.url}.git"
    if not _looks_like_a_release(release):
        raise PublishError(f"{release} holds no release: run `make release` first")
    found = problems(release, config, root)
    if found:
        raise PublishError("the built release is wrong (rebuild it with `make release`):\n  - "
                           + "\n  - ".join(found))
    source = _source_commit(root, allow_dirty)
    if _tag_exists(remote, config.ref, cwd=root):
        raise PublishError(f"{remote} has a tag {config.ref} already, and published releases never "
                           "change: give this one a new ref in release.toml and build it again")
    _fresh_clone(remote, clone)
    _replace_files(release, clone)
    _git("add", "--all", cwd=clone)
    _git("commit", "--quiet", "--allow-empty", "-m", f"Release {config.ref}",
         "-m", f"Built from commit {source} of the course's instructor repository.", cwd=clone)
    _git("tag", "-a", config.ref, "-m", f"Release {config.ref}", cwd=clone)
    if not push:
        return f"committed and tagged {config.ref} in {clone}; nothing pushed"
    pushed = _git("push", "--atomic", "origin", f"{BRANCH}:refs/heads/{BRANCH}",
                  f"refs/tags/{config.ref}", cwd=clone, check=False)
    if pushed.returncode != 0:
        raise PublishError(f"the push to {remote} failed, nothing was published:\n"
                           f"{pushed.stderr.strip()}\nfix the cause (network, credentials, "
                           "rights) and run `make publish` again")
    return f"published {config.ref} to {remote} ({BRANCH} and tag {config.ref})"
