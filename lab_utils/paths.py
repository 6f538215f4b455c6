"""Where the course reads and writes files: data cache, results and figures.

Inside a checkout of the course (the instructor repository or the student release, with
``lab_utils`` installed from it) everything lives under its root (``data/``, ``results/``,
``figures/``, all ignored by git). Installed elsewhere (Colab), the current working
directory takes its place. Environment variables override both.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV_VAR = "SSL_LAB_CACHE_DIR"
RESULTS_ENV_VAR = "SSL_LAB_RESULTS_DIR"
FIGURES_ENV_VAR = "SSL_LAB_FIGURES_DIR"


def project_root() -> Path:
    """The course's root when ``lab_utils`` is used from a checkout, else the cwd."""
    package_parent = Path(__file__).resolve().parent.parent
    if (package_parent / "pyproject.toml").is_file() and (package_parent / "notebooks").is_dir():
        return package_parent
    return Path.cwd()


def _from_env_or(env_var: str, default: Path) -> Path:
    value = os.environ.get(env_var)
    path = Path(value).expanduser() if value else default
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Folder of downloaded archives and decoded arrays (``$SSL_LAB_CACHE_DIR`` or ``data/``)."""
    return _from_env_or(CACHE_ENV_VAR, project_root() / "data")


def results_dir() -> Path:
    """Folder where :func:`lab_utils.record` writes metrics (``$SSL_LAB_RESULTS_DIR``)."""
    return _from_env_or(RESULTS_ENV_VAR, project_root() / "results" / "runs")


def figures_dir() -> Path:
    """Folder where notebooks save their figures (``$SSL_LAB_FIGURES_DIR`` or ``figures/``)."""
    return _from_env_or(FIGURES_ENV_VAR, project_root() / "figures")
