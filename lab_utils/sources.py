"""Find a data file: the local cache, then a local copy, then its download URLs in order.

Every file is checked against its SHA-256 wherever it comes from. Downloads show a progress
bar and land in the cache (``$SSL_LAB_CACHE_DIR``; on Colab, point it at Google Drive to keep
them across runtimes). A download that fails (no connection, an HTTP error, a cut transfer)
or sends bytes with the wrong SHA-256 moves on to the next URL; when no source works,
:class:`DataUnavailableError` names every source that was tried, what it did, and how to fix
it.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .paths import cache_dir

LOCAL_COPY_ENV_VAR = "SSL_LAB_DATA_DIR"
DOWNLOAD_TIMEOUT_S = 60
# Some hosts refuse Python's default agent; this one says who is asking.
USER_AGENT = "ssl-lab course data loader (+urllib)"


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


def _content_length(response) -> int | None:
    value = getattr(response, "headers", {}).get("Content-Length")
    return int(value) if value and value.isdigit() else None


def _copy_with_progress(response, stream, label: str) -> None:
    """Copy a download into ``stream`` under a progress bar (a widget in Jupyter and Colab)."""
    from tqdm.auto import tqdm

    total = _content_length(response)
    with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=label,
              mininterval=0.5) as bar:
        for block in iter(lambda: response.read(1 << 20), b""):
            stream.write(block)
            bar.update(len(block))


def download(url: str, destination: Path, sha256: str) -> Path:
    """Download ``url`` to ``destination`` atomically, with a progress bar, and verify it.

    Nothing is left behind when the download fails or its checksum is wrong.

    Raises:
        ChecksumError: the bytes received have another SHA-256 (they were not kept).
        urllib.error.URLError, OSError, http.client.HTTPException: the transfer failed.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with tempfile.NamedTemporaryFile(dir=destination.parent, delete=False) as partial:
        partial_path = Path(partial.name)
        try:
            with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_S) as response:
                _copy_with_progress(response, partial, destination.name)
        except BaseException:
            partial.close()
            partial_path.unlink()
            raise
    got = sha256_of(partial_path)
    if got != sha256:
        partial_path.unlink()
        raise ChecksumError(f"it sent a file whose SHA-256 is {got}, expected {sha256} "
                            "(a changed or damaged file; it was not kept)")
    partial_path.replace(destination)
    return destination


def candidate_paths(name: str) -> list[tuple[str, Path]]:
    """Where a file called ``name`` may already be: the cache, then the local copy folder."""
    candidates = [("cache", cache_dir() / name)]
    local = local_copy_dir()
    if local is not None:
        candidates.append((f"${LOCAL_COPY_ENV_VAR}", local / name))
    return candidates


def download_first(remote: RemoteFile, tried: list[str]) -> Path | None:
    """Download ``remote`` into the cache from the first of its URLs that works.

    A URL that cannot be reached, answers with an HTTP error, breaks off, or sends bytes
    with the wrong SHA-256 is appended to ``tried`` as ``download <url> (<what happened>)``,
    and the next one is tried. Returns ``None`` when every URL failed.
    """
    for url in remote.urls:
        try:
            return download(url, cache_dir() / remote.name, remote.sha256)
        except urllib.error.HTTPError as error:
            tried.append(f"download {url} (HTTP error {error.code}: {error.reason})")
        except (urllib.error.URLError, OSError, http.client.HTTPException,
                ChecksumError) as error:
            tried.append(f"download {url} ({error})")
    return None


def fetch(remote: RemoteFile, more_places: list[tuple[str, Path]] = ()) -> Path:
    """Return a verified local path of ``remote``, downloading it into the cache if needed.

    Args:
        remote: the file, its checksum and download URLs.
        more_places: further ``(label, path)`` candidates, tried after the local copy and
            before any download (e.g. a copy that ships inside an installed package).
    Raises:
        ChecksumError: a file was found but its SHA-256 is wrong (the message names it).
        DataUnavailableError: no source has the file (the message lists all of them).
    """
    tried: list[str] = []
    for label, path in [*candidate_paths(remote.name), *more_places]:
        if path.is_file():
            return verify_sha256(path, remote.sha256)
        tried.append(f"{label}: {path} (not found)")
    downloaded = download_first(remote, tried)
    if downloaded is None:
        raise DataUnavailableError(unavailable_message(remote.name, tried))
    return downloaded


def unavailable_message(what: str, tried: list[str]) -> str:
    """The error text for a data set that no source could provide: each attempt, then the fix."""
    lines = "\n".join(f"  - {attempt}" for attempt in tried)
    return (
        f"could not load {what}; tried, in order:\n{lines}\n"
        "Fix one of these: connect to the internet so the official download works; or "
        f"set {LOCAL_COPY_ENV_VAR} to a folder holding an offline copy (data/README.md "
        "lists the files and where they come from); or place the file in the cache folder "
        f"{cache_dir()} yourself."
    )
