"""Resumable training: the full state of a :func:`lab_utils.train` run, saved every few minutes.

The course checkpoints train for hours on a CPU, longer than one working session. When the
environment variable ``SSL_LAB_RESUME_DIR`` names a folder (``ssl_lab_instructor/pretrain.py`` sets
it), every training run saves its full state there every ``SSL_LAB_RESUME_EVERY_S``
seconds (300 by default) and when it ends: the model's weights and buffers, the plain
numbers its modules keep (such as MoCo's queue pointer), the optimiser, the learning-rate
schedule, the gradient scaler, every random generator (torch, CUDA, NumPy, Python), the
step, the position in the epoch and the losses so far. Run the same code again and each
run continues from its last saved state (a finished run is only loaded), so the result is
the one of a single uninterrupted run.

A run's file is named after its ``desc`` and the order of the runs in the process (the
second run called ``"SimCLR"`` is ``simclr-2.pt``): the notebooks train in a fixed order.
A state saved for another budget (steps, batch size or number of training inputs) is an
error that names the file to delete.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .results import metric_slug

RESUME_DIR_ENV_VAR = "SSL_LAB_RESUME_DIR"
RESUME_EVERY_ENV_VAR = "SSL_LAB_RESUME_EVERY_S"
MACHINE_ENV_VAR = "SSL_LAB_MACHINE"
DEFAULT_EVERY_S = 300.0

_names_used: Counter[str] = Counter()


@dataclass
class RunRecord:
    """How a finished run was trained, over all its sessions (for the checkpoint registry)."""

    desc: str
    steps: int
    seconds: float
    machines: list[str]
    sessions: int


# The runs finished in this process, in order (resumed ones included).
finished_runs: list[RunRecord] = []


@dataclass
class Progress:
    """Where a run stands: ``batches_done`` of epoch ``epoch`` (0-based), ``step`` in all."""

    step: int = 0
    epoch: int = 0
    batches_done: int = 0
    history: list[float] = field(default_factory=list)
    epoch_total: float = 0.0
    epoch_count: int = 0
    seconds: float = 0.0
    machines: list[str] = field(default_factory=list)
    sessions: int = 1
    finished: bool = False


class ResumeError(RuntimeError):
    """A saved state does not belong to the run that tries to continue from it."""


def new_process() -> None:
    """Forget the runs named so far, as a fresh kernel would (the run names count from 1)."""
    _names_used.clear()


def state_file(desc: str) -> Path | None:
    """The state file of the next run called ``desc``, or None when resuming is off."""
    folder = os.environ.get(RESUME_DIR_ENV_VAR, "").strip()
    if not folder:
        return None
    slug = metric_slug(desc) or "train"
    _names_used[slug] += 1
    count = _names_used[slug]
    return Path(folder).expanduser() / (f"{slug}.pt" if count == 1 else f"{slug}-{count}.pt")


def _module_numbers(model: nn.Module) -> dict[str, dict[str, Any]]:
    """Plain numbers and tensors that modules keep outside their state_dict, by module name."""
    kept = {}
    for name, module in model.named_modules():
        values = {key: value for key, value in vars(module).items()
                  if not key.startswith("_") and key != "training"
                  and isinstance(value, (bool, int, float, torch.Tensor))}
        if values:
            kept[name] = values
    return kept


def _rng_state() -> dict[str, Any]:
    return {"torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
            "numpy": np.random.get_state(), "python": random.getstate()}


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])


class Resumer:
    """Saves and restores one run's full state in ``path`` (see the module's docstring)."""

    def __init__(self, path: Path, fingerprint: dict[str, Any], model: nn.Module,
                 optimizer: torch.optim.Optimizer, scheduler: Any, scaler: Any) -> None:
        self.path, self.fingerprint = path, fingerprint
        self.model, self.optimizer, self.scheduler, self.scaler = model, optimizer, scheduler, scaler
        every = os.environ.get(RESUME_EVERY_ENV_VAR, "").strip()
        try:
            self.every_s = float(every) if every else DEFAULT_EVERY_S
        except ValueError:
            raise ValueError(f"{RESUME_EVERY_ENV_VAR}={every!r} is not a number of seconds") from None
        self.machine = os.environ.get(MACHINE_ENV_VAR, "").strip() or "unnamed machine"
        self.session_started = time.perf_counter()
        self.last_saved = self.session_started
        self.seconds_before = 0.0

    def load(self) -> Progress | None:
        """Restore the saved state into the model, optimiser, ... and the generators."""
        if not self.path.exists():
            return None
        state = torch.load(self.path, map_location="cpu", weights_only=False)
        if state["fingerprint"] != self.fingerprint:
            raise ResumeError(
                f"the saved training state {self.path} is for {state['fingerprint']}, not for "
                f"this run ({self.fingerprint}); delete it to train this run from the start")
        self.model.load_state_dict(state["model"])
        modules = dict(self.model.named_modules())
        for name, values in state["module_numbers"].items():
            for key, value in values.items():
                current = getattr(modules[name], key)
                if isinstance(current, torch.Tensor):
                    current.copy_(value)
                else:
                    setattr(modules[name], key, value)
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        _set_rng_state(state["rng"])
        progress = Progress(**state["progress"])
        self.seconds_before = progress.seconds
        if not progress.finished:  # a finished run is only loaded: this session trains nothing
            progress.sessions += 1
        return progress

    def due(self) -> bool:
        """Whether ``every_s`` seconds passed since the state was last written."""
        return time.perf_counter() - self.last_saved >= self.every_s

    def save(self, progress: Progress) -> None:
        """Write the state (atomically: a kill while writing keeps the previous one)."""
        now = time.perf_counter()
        progress.seconds = self.seconds_before + now - self.session_started
        if self.machine not in progress.machines:
            progress.machines.append(self.machine)
        state = {"fingerprint": self.fingerprint, "model": self.model.state_dict(),
                 "module_numbers": _module_numbers(self.model),
                 "optimizer": self.optimizer.state_dict(),
                 "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
                 "scaler": self.scaler.state_dict(), "rng": _rng_state(),
                 "progress": vars(progress)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        torch.save(state, partial)
        partial.replace(self.path)
        self.last_saved = time.perf_counter()

    def finish(self, desc: str, progress: Progress) -> None:
        """Save the finished state and note how the run was trained in :data:`finished_runs`."""
        if not progress.finished:
            progress.finished = True
            self.save(progress)
        finished_runs.append(RunRecord(desc, progress.step, progress.seconds,
                                       list(progress.machines), progress.sessions))
