"""The course's grading, as nbgrader and jupyter_client load it (the instructor side).

Installed with the course (beside ``lab_utils``, never in the student release) so that
jupyter_client finds the sandbox's kernel provisioner through its entry point and
``nbgrader_config.py`` can name the grading steps:

- :mod:`.provisioner`: ``SandboxProvisioner``, entry point ``ssl-lab-sandbox`` of
  ``jupyter_client.kernel_provisioners``, named by the ``ssl-lab-sandboxed`` kernelspec;
- :mod:`.nbgrader`: the preprocessors and exporter of ``nbgrader autograde``.

The code itself lives in the course repository's ``scripts/grade`` (``make grade``); this
package finds it there: it is installed from the repository in editable mode.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

REPOSITORY = Path(__file__).resolve().parent.parent


def grading_module(name: str) -> ModuleType:
    """``scripts.grade.<name>`` of the course repository this package was installed from."""
    try:
        return importlib.import_module(f"scripts.grade.{name}")
    except ModuleNotFoundError as error:
        if not error.name or not error.name.startswith("scripts"):
            raise
        if not (REPOSITORY / "scripts" / "grade" / "__init__.py").is_file():
            raise ModuleNotFoundError(
                f"the course's grading code (scripts/grade) is not next to {Path(__file__).parent}: install "
                "the course from its repository with `pip install -e .` (make install)") from error
        sys.path.append(str(REPOSITORY))
        return importlib.import_module(f"scripts.grade.{name}")
