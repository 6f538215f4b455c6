"""The course's autograding steps, named in ``nbgrader_config.py``; see ``scripts.grade.steps``."""

from . import grading_module

_steps = grading_module("steps")
SafeNotebookExporter = _steps.SafeNotebookExporter
RestoreTrustedCells = _steps.RestoreTrustedCells
SandboxedExecute = _steps.SandboxedExecute
FlagIntegrityFindings = _steps.FlagIntegrityFindings

__all__ = ["FlagIntegrityFindings", "RestoreTrustedCells", "SafeNotebookExporter", "SandboxedExecute"]
