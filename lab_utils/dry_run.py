"""Dry runs: every loop capped at a few batches, every size kept as the profile sets it.

``SSL_LAB_MAX_STEPS=2`` makes :func:`lab_utils.train` stop after two optimiser steps and
:func:`lab_utils.extract_features` compute two batches, while batch sizes, image sizes, queue
sizes and models stay those of the chosen profile. Running the gpu profile this way on a
CPU executes every line of it at full size in minutes, and measures the memory a real
batch needs, which is how the course checks that the gpu profile fits Colab's T4 without
one. The numbers such a run prints mean nothing, and it says so.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

MAX_STEPS_ENV_VAR = "SSL_LAB_MAX_STEPS"


class DryRunWarning(UserWarning):
    """Loops are capped: the run executes every line, but its numbers mean nothing."""


def max_steps() -> int | None:
    """The cap on batches per loop from ``$SSL_LAB_MAX_STEPS``, or None (no dry run)."""
    value = os.environ.get(MAX_STEPS_ENV_VAR, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(
            f"{MAX_STEPS_ENV_VAR}={value!r}: give a positive number of batches (e.g. 2), "
            "or unset it for a real run"
        )
    return int(value)


def active() -> bool:
    return max_steps() is not None


def cap(n_batches: int) -> int:
    """``n_batches``, or the dry run's cap when that is smaller."""
    limit = max_steps()
    return n_batches if limit is None else min(n_batches, limit)


_warned: set[str] = set()


def notice(what: str) -> None:
    """Warn once per process and per ``what`` that a loop was cut short."""
    if what not in _warned:
        _warned.add(what)
        warnings.warn(f"DRY RUN ({MAX_STEPS_ENV_VAR}={max_steps()}): {what}; the numbers "
                      "of this run mean nothing", DryRunWarning, stacklevel=3)


@contextmanager
def saved_tensor_bytes(model: torch.nn.Module | None = None) -> Iterator[list[int]]:
    """Count the bytes autograd keeps for the backward pass of what runs inside.

    That is the activation memory of a training step: it grows with the batch size, and on
    a GPU it comes on top of the weights, gradients and optimiser state. The parameters of
    ``model`` that its layers save are not counted (they are in memory anyway), and a
    storage saved twice counts once. The total is in ``meter[0]`` after the block.
    """
    meter = [0]
    parameters = [] if model is None else list(model.parameters())
    seen: set[int] = {p.untyped_storage().data_ptr() for p in parameters}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        if tensor.device.type != "meta":
            storage = tensor.untyped_storage()
            if storage.data_ptr() not in seen:
                seen.add(storage.data_ptr())
                meter[0] += storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        yield meter


# --------------------------------------------------------------------------- cost accounting
@dataclass
class Costs:
    """What the capped loops of a dry run would cost at full length, summed over the run.

    Attributes:
        train_steps, train_flops, train_activation_bytes: optimiser steps the budget asks
            for, their floating-point operations (forward and backward) and the bytes saved
            for backward, each summed over all steps (from one measured step per loop).
        inference_batches, inference_flops: the same for feature extraction.
        max_activation_bytes: the largest activation memory of one training batch.
        max_parameter_bytes: the largest float32 parameter memory of a model trained.
        capped_seconds: wall time spent inside the capped loops of this dry run.
    """

    train_steps: int = 0
    train_flops: float = 0.0
    train_activation_bytes: float = 0.0
    inference_batches: int = 0
    inference_flops: float = 0.0
    max_activation_bytes: int = 0
    max_parameter_bytes: int = 0
    capped_seconds: float = 0.0


costs = Costs()


def add_training_loop(planned_steps: int, step_flops: float, activation_bytes: int,
                      parameter_bytes: int = 0) -> None:
    """Account for a training loop of ``planned_steps`` steps from its first, measured step."""
    costs.train_steps += planned_steps
    costs.train_flops += planned_steps * step_flops
    costs.train_activation_bytes += planned_steps * activation_bytes
    costs.max_activation_bytes = max(costs.max_activation_bytes, activation_bytes)
    costs.max_parameter_bytes = max(costs.max_parameter_bytes, parameter_bytes)


def add_inference(planned_batches: int, batch_flops: float) -> None:
    """Account for a feature extraction of ``planned_batches`` batches from its first batch."""
    costs.inference_batches += planned_batches
    costs.inference_flops += planned_batches * batch_flops


@contextmanager
def flop_counter() -> Iterator[list[float]]:
    """Count the floating-point operations of what runs inside (matrix products and convolutions)."""
    from torch.utils.flop_counter import FlopCounterMode

    result = [0.0]
    with FlopCounterMode(display=False) as counter:
        yield result
    result[0] = float(counter.get_total_flops())
