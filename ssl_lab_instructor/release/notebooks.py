"""Point a student notebook's Colab badge and install cell at the student repository.

In this repository every notebook installs ``lab_utils`` from, and links to, the instructor
repository at ``main``. The student copy installs the student repository at the release's
ref and links to the notebook there, so Colab opens and installs one consistent release.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

from .config import ReleaseConfig

SETUP_CELL, TITLE_CELL = "cell-00", "cell-01"
# "ssl-lab @ git+https://github.com/<owner>/<name>@<ref>" in the install cell's REQUIREMENTS.
INSTALL_URL = re.compile(r"ssl-lab @ git\+https://github\.com/[\w.-]+/[\w.-]+@[\w.-]+")
# The badge's link: https://colab.research.google.com/github/<owner>/<name>/blob/<ref>/<path>
COLAB_URL = re.compile(r"https://colab\.research\.google\.com/github/[\w.-]+/[\w.-]+/blob/[\w.-]+/")


class NotebookLayoutError(ValueError):
    """A notebook lacks the install cell or the Colab badge that the release rewrites."""


def _cell(notebook: nbformat.NotebookNode, cell_id: str, path: Path) -> nbformat.NotebookNode:
    for cell in notebook.cells:
        if cell.get("id") == cell_id:
            return cell
    raise NotebookLayoutError(f"{path} has no cell {cell_id!r}")


def _replace_once(pattern: re.Pattern, replacement: str, text: str, what: str) -> str:
    new_text, count = pattern.subn(lambda _: replacement, text)
    if count != 1:
        raise NotebookLayoutError(f"{what}: expected one match of {pattern.pattern!r}, found {count}")
    return new_text


def install_requirements(setup_source: str) -> list[str]:
    """The ``REQUIREMENTS`` list of an install cell, as pip receives it in Colab."""
    for node in ast.parse(setup_source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "REQUIREMENTS" for target in node.targets
        ):
            return list(ast.literal_eval(node.value))
    raise NotebookLayoutError("the install cell assigns no REQUIREMENTS list")


def point_at_student_repository(path: Path, config: ReleaseConfig, relative: str) -> None:
    """Rewrite, in place, the install cell and the Colab badge of the notebook at ``path``.

    Args:
        relative: the notebook's path inside the student repository (``notebooks/...``).
    """
    notebook = nbformat.read(path, as_version=4)
    setup, title = _cell(notebook, SETUP_CELL, path), _cell(notebook, TITLE_CELL, path)
    setup.source = _replace_once(INSTALL_URL, config.install_requirement, setup.source,
                                 f"{path} {SETUP_CELL} (install cell)")
    install_requirements(setup.source)  # still a readable list after the rewrite
    title.source = _replace_once(COLAB_URL, config.colab_url(""), title.source,
                                 f"{path} {TITLE_CELL} (Colab badge)")
    if config.colab_url(relative) not in title.source:
        raise NotebookLayoutError(f"{path}: the Colab badge does not link to {relative}")
    nbformat.write(notebook, path)
