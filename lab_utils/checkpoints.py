"""Course checkpoints: every CIFAR-10 backbone of notebooks 02-04, trained with a long budget.

A notebook trains each method for a few minutes, so that you see it work; the course
checkpoint shows what the same code reaches with far more training. ``make pretrain`` makes
them (it runs the solution notebooks under the ``pretrain`` profile and keeps the backbones
they train). Each checkpoint is a file of float16 weights in ``lab_utils/course_checkpoints/``
(about 1 MB for a ``SmallCNN``), listed in ``registry.json`` with its SHA-256, the budget and
commit that produced it and its linear-probe accuracy.

Loading checks the SHA-256: a missing, truncated or altered file raises
:class:`CheckpointError`, which says what to do; :func:`probe_course_backbones` prints that
error and carries on, so a notebook still shows its own results.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn

from .models import SmallCNN

CHECKPOINT_DIR = Path(__file__).resolve().parent / "course_checkpoints"
CHECKPOINT_DIR_ENV_VAR = "SSL_LAB_CHECKPOINT_DIR"
REGISTRY_NAME = "registry.json"


class CheckpointError(RuntimeError):
    """A course checkpoint is unknown, missing or corrupted."""


class CourseResult(NamedTuple):
    """A course checkpoint's probe accuracy, its registry entry and the loaded backbone."""

    accuracy: float
    info: CourseCheckpoint
    backbone: nn.Module


@dataclass(frozen=True)
class CourseCheckpoint:
    """One registry entry.

    Attributes:
        name: the key, e.g. ``"simclr"``; the file is ``<name>.pt``.
        method: a label for tables, e.g. ``"SimCLR"``.
        architecture: ``"SmallCNN"`` or ``"ViTMAEForPreTraining"``.
        sha256: of the file.
        budget: what training it had: ``steps``, ``batch_size``, ``images`` (distinct
            training images) and ``epochs``.
        probe_accuracy: its linear-probe test accuracy (``probe`` says on which sets).
        config: what rebuilds the architecture (a ``transformers`` config for ViTs).
        commit, hardware, date: where and when it was made (``hardware`` names every machine
            that trained it, joined by ``+``); train_seconds: the wall time of its training,
            summed over the sessions of a resumed run (:mod:`lab_utils.resume`);
            sessions: how many sessions trained it (None before resumable training).
    """

    name: str
    method: str
    architecture: str
    sha256: str
    budget: dict[str, int]
    probe_accuracy: float
    probe: str
    commit: str | None
    hardware: str
    date: str
    train_seconds: float | None = None
    config: dict[str, Any] = field(default_factory=dict)
    sessions: int | None = None

    @property
    def file(self) -> str:
        return f"{self.name}.pt"

    def describe(self) -> str:
        """E.g. ``"3,900 steps of 256 images (20 epochs of 50,000 images)"``."""
        b = self.budget
        return (f"{b['steps']:,} steps of {b['batch_size']:,} images "
                f"({b['epochs']:g} epochs of {b['images']:,} images)")


def checkpoint_dir() -> Path:
    """Where the checkpoints are read and written (``$SSL_LAB_CHECKPOINT_DIR`` overrides)."""
    value = os.environ.get(CHECKPOINT_DIR_ENV_VAR)
    return Path(value).expanduser() if value else CHECKPOINT_DIR


def registry(directory: Path | None = None) -> dict[str, CourseCheckpoint]:
    """Every registered checkpoint, by name (empty when there is no registry yet)."""
    path = (directory or checkpoint_dir()) / REGISTRY_NAME
    if not path.exists():
        return {}
    entries = json.loads(path.read_text())
    return {name: CourseCheckpoint(**entry) for name, entry in entries.items()}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_state_dict(name: str, directory: Path | None = None
                    ) -> tuple[dict[str, torch.Tensor], CourseCheckpoint]:
    """The float32 weights of checkpoint ``name`` after checking the file's SHA-256."""
    directory = directory or checkpoint_dir()
    entries = registry(directory)
    if name not in entries:
        known = ", ".join(entries) or "none: run `make pretrain`"
        raise CheckpointError(f"no course checkpoint named {name!r} in {directory} "
                              f"(registered: {known})")
    info = entries[name]
    path = directory / info.file
    if not path.exists():
        raise CheckpointError(
            f"the course checkpoint {path} is missing. Reinstall the course package "
            "(its checkpoints ship with lab_utils), or run `make pretrain` to train it.")
    if (digest := _sha256(path)) != info.sha256:
        raise CheckpointError(
            f"the course checkpoint {path} is corrupted: its SHA-256 is {digest[:16]}..., "
            f"the registry expects {info.sha256[:16]}.... Reinstall the course package, or "
            "run `make pretrain` to train it again.")
    state = torch.load(path, map_location="cpu", weights_only=True)
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}, info


def load_small_cnn(name: str, device: torch.device | str = "cpu",
                   directory: Path | None = None) -> tuple[SmallCNN, CourseCheckpoint]:
    """A frozen :class:`~lab_utils.models.SmallCNN` with checkpoint ``name``'s weights."""
    state, info = load_state_dict(name, directory)
    if info.architecture != "SmallCNN":
        raise CheckpointError(f"checkpoint {name!r} holds a {info.architecture}, not a SmallCNN")
    model = SmallCNN()
    model.load_state_dict(state)
    return model.to(device).eval().requires_grad_(False), info


def load_vit_mae(name: str, device: torch.device | str = "cpu",
                 directory: Path | None = None) -> tuple[nn.Module, CourseCheckpoint]:
    """A frozen ``transformers`` ``ViTMAEForPreTraining`` with checkpoint ``name``'s weights."""
    from transformers import ViTMAEConfig, ViTMAEForPreTraining

    from .vit import has_distinct_positions

    state, info = load_state_dict(name, directory)
    if info.architecture != "ViTMAEForPreTraining":
        raise CheckpointError(f"checkpoint {name!r} holds a {info.architecture}, not a ViT-MAE")
    model = ViTMAEForPreTraining(ViTMAEConfig(**info.config))
    model.load_state_dict(state)
    if not has_distinct_positions(model.vit.embeddings.position_embeddings):
        raise CheckpointError(f"checkpoint {name!r} was trained without position embeddings (a ViT-MAE "
                              "built from a config has none): train it again with lab_utils.vit.new_mae "
                              "(python -m ssl_lab_instructor.pretrain 04_mae_dinov2)")
    return model.to(device).eval().requires_grad_(False), info


def probe_course_backbones(names: Mapping[str, str], evaluate: Callable[[nn.Module], float],
                           device: torch.device | str = "cpu",
                           directory: Path | None = None) -> dict[str, CourseResult]:
    """Probe the course's ``SmallCNN`` checkpoints with ``evaluate`` (backbone -> accuracy).

    Args:
        names: ``{label: checkpoint name}``, e.g. ``{"SimCLR": "simclr"}``.
    Returns:
        ``{label: CourseResult(accuracy, registry entry, backbone)}`` for every checkpoint
        that loaded; for the others the error is printed (with its fix) and the label is
        left out.
    """
    found = {}
    for label, name in names.items():
        try:
            backbone, info = load_small_cnn(name, device, directory)
        except CheckpointError as error:
            print(f"{label}: no course checkpoint to show. {error}")
            continue
        found[label] = CourseResult(evaluate(backbone), info, backbone)
    return found


def save(name: str, module: nn.Module, *, method: str, architecture: str, budget: dict[str, int],
         probe_accuracy: float, probe: str, commit: str | None, hardware: str,
         train_seconds: float | None = None, config: dict[str, Any] | None = None,
         sessions: int | None = None, directory: Path | None = None) -> CourseCheckpoint:
    """Write ``module``'s weights as float16 and register them (replacing an older entry)."""
    directory = directory or checkpoint_dir()
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu()
             for k, v in module.state_dict().items()}
    partial = directory / f"{name}.pt.partial"
    torch.save(state, partial)
    partial.replace(directory / f"{name}.pt")
    info = CourseCheckpoint(
        name=name, method=method, architecture=architecture,
        sha256=_sha256(directory / f"{name}.pt"), budget=dict(budget),
        probe_accuracy=float(probe_accuracy), probe=probe, commit=commit, hardware=hardware,
        date=datetime.now(UTC).date().isoformat(), train_seconds=train_seconds,
        config=dict(config or {}), sessions=sessions)
    entries = {key: asdict(entry) for key, entry in registry(directory).items()}
    entries[name] = asdict(info)
    partial = directory / f"{REGISTRY_NAME}.partial"
    partial.write_text(json.dumps(dict(sorted(entries.items())), indent=2) + "\n")
    partial.replace(directory / REGISTRY_NAME)
    return info
