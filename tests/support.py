"""Paths shared by the tests (a plain module: `conftest` is a name the root folder uses too)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def solution_notebooks() -> list[Path]:
    """Every instructor notebook, sorted."""
    return sorted((ROOT / "solutions").glob("*/*.ipynb"))


def shared_data_dir() -> Path | None:
    """The offline copies beside the checkout (../shared/data) or $SSL_LAB_DATA_DIR."""
    value = os.environ.get("SSL_LAB_DATA_DIR")
    candidate = Path(value) if value else ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None
