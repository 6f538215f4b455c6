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
