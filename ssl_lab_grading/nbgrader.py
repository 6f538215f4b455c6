"""The course's autograding and feedback steps, named in ``nbgrader_config.py``; see
``scripts.grade.steps`` and ``scripts.grade.feedback``."""

from . import grading_module

_steps = grading_module("steps")
SafeNotebookExporter = _steps.SafeNotebookExporter
RestoreTrustedCells = _steps.RestoreTrustedCells
SandboxedExecute = _steps.SandboxedExecute
FlagIntegrityFindings = _steps.FlagIntegrityFindings
HideHiddenTests = grading_module("feedback").HideHiddenTests

__all__ = ["FlagIntegrityFindings", "HideHiddenTests", "RestoreTrustedCells", "SafeNotebookExporter",
           "SandboxedExecute"]
