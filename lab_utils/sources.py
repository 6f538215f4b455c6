"""Find a data file: the local cache, then a local copy, then the official download.

Every file is checked against its SHA-256 wherever it comes from. When no source works,
:class:`DataUnavailableError` names every source that was tried and how to fix it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .paths import cache_dir

LOCAL_COPY_ENV_VAR = "SSL_LAB_DATA_DIR"
DOWNLOAD_TIMEOUT_S = 60


class DataUnavailableError(RuntimeError):
    """No source of a data set could be used."""


class ChecksumError(RuntimeError):
    """A data file's SHA-256 differs from the registered one."""


@dataclass(frozen=True)
class RemoteFile:
    """A data file: its path relative to a data folder, its SHA-256 and its download URLs."""

    name: str
    sha256: str
    urls: tuple[str, ...]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str) -> Path:
    """Return ``path`` if its SHA-256 is ``expected``; raise :class:`ChecksumError` if not."""
    got = sha256_of(path)
    if got != expected:
        raise ChecksumError(
            f"{path} is corrupted or incomplete: its SHA-256 is {got}, expected {expected}. "
            f"Delete {path} and run again to fetch a fresh copy."
        )
    return path


def local_copy_dir() -> Path | None:
    """The folder named by ``$SSL_LAB_DATA_DIR`` (offline copies), if set."""
    value = os.environ.get(LOCAL_COPY_ENV_VAR)
    return Path(value).expanduser() if value else None


def download(url: str, destination: Path, sha256: str) -> Path:
    """Download ``url`` to ``destination`` atomically and verify its checksum."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=destination.parent, delete=False) as partial:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            shutil.copyfileobj(response, partial)
    partial_path = Path(partial.name)
    try:
        verify_sha256(partial_path, sha256)
    except ChecksumError:
        partial_path.unlink()
        raise
    partial_path.replace(destination)
    return destination


def candidate_paths(name: str) -> list[tuple[str, Path]]:
    """Where a file called ``name`` may already be: the cache, then the local copy folder."""
    candidates = [("cache", cache_dir() / name)]
    local = local_copy_dir()
    if local is not None:
        candidates.append((f"${LOCAL_COPY_ENV_VAR}", local / name))
    return candidates


def fetch(remote: RemoteFile) -> Path:
    """Return a verified local path of ``remote``, downloading it into the cache if needed.

    Raises:
        ChecksumError: a file was found but its SHA-256 is wrong (the message names it).
        DataUnavailableError: no source has the file (the message lists all of them).
    """
    tried: list[str] = []
    for label, path in candidate_paths(remote.name):
        if path.is_file():
            return verify_sha256(path, remote.sha256)
        tried.append(f"{label}: {path} (not found)")
    for url in remote.urls:
        try:
            return download(url, cache_dir() / remote.name, remote.sha256)
        except (urllib.error.URLError, OSError) as error:
            tried.append(f"download {url} ({error})")
    raise DataUnavailableError(unavailable_message(remote.name, tried))


def unavailable_message(what: str, tried: list[str]) -> str:
    """The error text for a data set that no source could provide."""
    lines = "\n".join(f"  - {attempt}" for attempt in tried)
    return (
        f"could not load {what}; tried, in order:\n{lines}\n"
        "Fix one of these: connect to the internet so the official download works; or "
        f"set {LOCAL_COPY_ENV_VAR} to a folder holding an offline copy (for this course's "
        "CI: ../shared/data); or place the file in the cache folder "
        f"{cache_dir()} yourself."
    )
