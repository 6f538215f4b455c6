"""Fixtures for the unit tests. The smoke profile and temp output folders are set in ../conftest.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def solution_notebooks() -> list[Path]:
    return sorted((ROOT / "solutions").glob("*/*.ipynb"))


@pytest.fixture
def isolated_data(tmp_path, monkeypatch):
    """An empty cache folder and no local copy: nothing is found unless a test puts it there."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("SSL_LAB_CACHE_DIR", str(cache))
    monkeypatch.delenv("SSL_LAB_DATA_DIR", raising=False)
    return cache


@pytest.fixture
def no_network(monkeypatch):
    """Every download fails as it does offline, whatever the machine can reach."""
    import urllib.error
    import urllib.request

    def refuse(url, *args, **kwargs):
        raise urllib.error.URLError("network disabled by the test")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def shared_data_dir() -> Path | None:
    """The offline copies beside the checkout (../shared/data) or $SSL_LAB_DATA_DIR."""
    value = os.environ.get("SSL_LAB_DATA_DIR")
    candidate = Path(value) if value else ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None
