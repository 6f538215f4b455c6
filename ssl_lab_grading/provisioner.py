"""The sandbox's kernel provisioner (entry point ``ssl-lab-sandbox``); see ``scripts.grade.kernel``."""

from . import grading_module

SandboxProvisioner = grading_module("kernel").SandboxProvisioner

__all__ = ["SandboxProvisioner"]
