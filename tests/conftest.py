"""Fixtures for the unit tests. The smoke profile and temp output folders are set in ../conftest.py."""

from __future__ import annotations

import pytest


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
