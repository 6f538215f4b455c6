"""The first call of every notebook: profile, device, budget and seeds in one place."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

import numpy as np
import torch

from . import dry_run, mps_fallback
from .precision import Precision, precision_for
from .profiles import Budget, get_budget, resolve_profile

DEFAULT_SEED = 0


@dataclass(frozen=True)
class RunConfig:
    """What a notebook runs with; returned by :func:`setup`."""

    notebook: str
    profile: str
    device: torch.device
    budget: Budget
    seed: int
    precision: Precision

    def __str__(self) -> str:
        lines = [
            f"notebook:  {self.notebook}",
            f"profile:   {self.profile}",
            f"device:    {describe_device(self.device)}",
            f"precision: {self.precision.describe()}",
            f"seed:      {self.seed}",
            f"budget:    {self.budget!r}",
        ]
        if dry_run.active():
            lines.append(f"DRY RUN:   every loop stops after {dry_run.max_steps()} batches "
                         f"(${dry_run.MAX_STEPS_ENV_VAR}); sizes are real, numbers meaningless")
        return "\n".join(lines)


_current: RunConfig | None = None


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and every GPU) so that a run repeats."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)


def pick_device() -> torch.device:
    """The first CUDA GPU when there is one, else an Apple GPU (MPS), else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe_device(device: torch.device) -> str:
    """A human-readable name, e.g. ``cuda (NVIDIA H100 80GB HBM3)`` or ``cpu (2 threads)``."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return ("mps (Apple GPU; operators it lacks run on the CPU)" if mps_fallback.active() else
                f"mps (Apple GPU; operators it lacks raise NotImplementedError: set "
                f"{mps_fallback.ENV_VAR}=1 before torch is imported, e.g. import lab_utils "
                "first and restart the kernel)")
    return f"cpu ({torch.get_num_threads()} threads)"


def setup(notebook: str, seed: int = DEFAULT_SEED, profile: str | None = None) -> RunConfig:
    """Seed everything, choose profile and device, print them and return a :class:`RunConfig`.

    Args:
        notebook: the notebook's name without extension, e.g. ``"01_intro_ssl"``.
        seed: the seed for Python, NumPy and torch.
        profile: overrides ``$SSL_LAB_PROFILE`` (``smoke``, ``cpu`` or ``gpu``).
    """
    global _current
    chosen = resolve_profile(profile)
    seed_everything(seed)
    device = pick_device()
    config = RunConfig(notebook, chosen, device, get_budget(notebook, chosen), seed,
                       precision_for(device))
    _current = config
    print(config)
    return config


def current_run() -> RunConfig | None:
    """The configuration of the last :func:`setup` call in this process, if any."""
    return _current
