"""Learning-rate schedules stepped once per batch (as :func:`lab_utils.train` does)."""

from __future__ import annotations

import math

import torch


def warmup_cosine_factor(
    step: int, total_steps: int, warmup_steps: int, final_factor: float = 0.0
) -> float:
    """The multiplier of the base learning rate at ``step`` (counted from 0).

    It rises linearly from ``1 / warmup_steps`` to 1 over the first ``warmup_steps`` steps,
    then follows a half cosine from 1 down to ``final_factor`` at ``total_steps``.
    """
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return final_factor + (1 - final_factor) * 0.5 * (1 + math.cos(math.pi * progress))


def warmup_cosine(
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    warmup_steps: int,
    final_factor: float = 0.0,
) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up then cosine decay of every parameter group's learning rate.

    Args:
        total_steps: the number of optimizer steps of the whole run (epochs x batches).
        warmup_steps: steps of linear warm-up; large batches and fresh heads need a few so
            that the first noisy gradients do not throw the weights far off.
        final_factor: the fraction of the base learning rate reached at the end.
    """
    if total_steps < 1 or not 0 <= warmup_steps <= total_steps:
        raise ValueError(
            f"need total_steps >= 1 and 0 <= warmup_steps <= total_steps, got "
            f"total_steps={total_steps}, warmup_steps={warmup_steps}"
        )
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: warmup_cosine_factor(step, total_steps, warmup_steps, final_factor),
    )
