"""The files a release is built from: those git tracks in the instructor repository.

A release never copies a folder of the working tree as it is: a scratch file, a solution
saved next to a notebook, a downloaded data set or a notebook checkpoint would ship with it
(and be published). It is built from ``git ls-files``: committed or staged files, with
their content in the working tree, so that `make release` right after `make notebooks`
ships the notebooks just generated. `make publish` then insists on a clean tree, so that
what is published is one commit.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


class UntrackedSourceError(RuntimeError):
    """The instructor repository cannot say which files it tracks."""


def tracked_files(root: Path, paths: tuple[str, ...]) -> list[str]:
    """The files under ``paths`` (relative to ``root``) that git tracks and that exist, sorted.

    Raises:
        UntrackedSourceError: ``root`` is not in a git repository, git is missing, or a
            tracked file is a symbolic link (which could point anywhere).
    """
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--", *paths], cwd=root,
                                capture_output=True, text=True)
    except FileNotFoundError as error:
        raise UntrackedSourceError("git is not installed: the release is built from the files "
                                   "git tracks (git ls-files); install git") from error
    if listed.returncode != 0:
        raise UntrackedSourceError(
            f"git cannot list the files it tracks in {root} ({listed.stderr.strip()}): the "
            "release is built from them only, so that nothing untracked or ignored ships; build "
            "it in a git clone of the course (not a copy of its files)")
    files = sorted({name for name in listed.stdout.split("\0") if name})
    links = [name for name in files if (root / name).is_symlink()]
    if links:
        raise UntrackedSourceError(f"tracked symbolic links cannot ship (they may point anywhere): "
                                   f"{', '.join(links)}; replace them by the files")
    # A tracked file deleted in the working tree is on its way out: it does not ship.
    return [name for name in files if (root / name).is_file()]


def copy_tracked(root: Path, paths: tuple[str, ...], out: Path) -> list[str]:
    """Copy the tracked files under ``paths`` from ``root`` to ``out``; returns them."""
    files = tracked_files(root, paths)
    for name in files:
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)
    return files
