"""A compact training loop over tensors held in memory (no DataLoader for tiny images)."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

from . import dry_run, resume
from .precision import precision_for
from .results import metric_slug, record, record_dry_run_costs
from .runtime import current_run

LossFn = Callable[[nn.Module, torch.Tensor, torch.Tensor | None], torch.Tensor]
# on_step(model, step, total_steps) -> True to stop training after this step.
StepCallback = Callable[[nn.Module, int, int], bool]


def minibatch_indices(
    n: int,
    batch_size: int,
    *,
    shuffle: bool = True,
    seed: int = 0,
    device: torch.device | str = "cpu",
    drop_last: bool = False,
) -> Iterator[torch.Tensor]:
    """Yield ``(B,)`` index tensors covering ``range(n)`` once, shuffled with ``seed``."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if shuffle:
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).to(device)
    else:
        order = torch.arange(n, device=device)
    stop = n - n % batch_size if drop_last and n >= batch_size else n
    for start in range(0, stop, batch_size):
        yield order[start : start + batch_size]


def train(
    model: nn.Module,
    loss_fn: LossFn,
    inputs: torch.Tensor,
    targets: torch.Tensor | None = None,
    *,
    epochs: int | None = None,
    steps: int | None = None,
    batch_size: int,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    seed: int = 0,
    desc: str = "train",
    on_step: StepCallback | None = None,
) -> list[float]:
    """Train ``model`` for ``epochs`` passes over ``inputs``, or for ``steps`` optimiser steps.

    Returns the mean loss of each epoch (the last one may be partial when ``steps`` is given).

    Args:
        model: the module being trained (already on the device of ``inputs``).
        loss_fn: ``loss_fn(model, x_batch, y_batch) -> scalar loss``; ``y_batch`` is None
            when ``targets`` is None (self-supervised tasks make their own targets).
        inputs: ``(N, ...)`` tensor, e.g. uint8 images ``(N, C, H, W)``.
        targets: optional ``(N, ...)`` tensor aligned with ``inputs``.
        epochs, steps: the length of training; give exactly one of them. With ``steps``,
            methods whose batches differ in what they contain can be given equal budgets.
        scheduler: stepped once per batch (so warm-up and cosine schedules count steps).
        on_step: called after every optimiser step as ``on_step(model, step, total_steps)``
            (``step`` counts from 1); returning True ends training there, e.g.
            :class:`EarlyStopping`.

    Resumable: when ``$SSL_LAB_RESUME_DIR`` is set (``make pretrain`` sets it), the run's
    full state is saved there every few minutes and at the end, and a run of the same code
    continues from it (:mod:`lab_utils.resume`), with the same result as one uninterrupted
    run. Runs with an ``on_step`` callback, whose state is the caller's, always start afresh.

    The forward pass runs in the device's precision policy (:mod:`lab_utils.precision`:
    float16 with a gradient scaler on GPUs without native bfloat16, bfloat16 where it is
    native, convolutions channels-last). The progress bar shows the running loss
    and the throughput in samples per second. In a dry run (:mod:`lab_utils.dry_run`) it
    stops after the capped number of steps and reports the activation memory of a batch.
    """
    if targets is not None and len(targets) != len(inputs):
        raise ValueError(f"inputs has {len(inputs)} rows but targets has {len(targets)}")
    device = inputs.device
    policy = precision_for(device)
    policy.prepare(model)
    scaler = policy.scaler()
    steps_per_epoch = -(-len(inputs) // batch_size)
    planned = _planned_steps(epochs, steps, steps_per_epoch)
    epochs = -(-planned // steps_per_epoch)
    total_steps = dry_run.cap(planned)
    if total_steps < planned:
        dry_run.notice(f"training '{desc}' stops after {total_steps} steps")
    resumer = _resumer(desc, dict(desc=desc, planned_steps=planned, batch_size=batch_size,
                                  inputs=len(inputs)), model, optimizer, scheduler, scaler,
                       on_step is None and not dry_run.active())
    progress = (resumer.load() if resumer is not None else None) or resume.Progress()
    history, step = progress.history, progress.step
    started_training, epoch = time.perf_counter(), progress.epoch
    model.train()
    with tqdm(total=total_steps, initial=step, desc=desc, unit="batch") as bar:
        for epoch in range(progress.epoch, epochs):
            if progress.finished:
                break
            resumed_here = epoch == progress.epoch
            skip = progress.batches_done if resumed_here else 0
            total = torch.tensor(progress.epoch_total if resumed_here else 0.0, device=device)
            count = progress.epoch_count if resumed_here else 0
            started = time.perf_counter()
            batches = minibatch_indices(len(inputs), batch_size, seed=seed + epoch, device=device)
            for done, batch in enumerate(batches, start=1):
                if done <= skip:  # already trained in an earlier session
                    continue
                with _first_step_costs(model, desc, planned, measure=step == 0):
                    with policy.autocast():
                        loss = loss_fn(
                            model, inputs[batch], None if targets is None else targets[batch]
                        )
                    optimizer.zero_grad(set_to_none=True)
                    scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
                if scheduler is not None:
                    scheduler.step()
                total += loss.detach() * len(batch)  # stays on the device: no sync per step
                count += len(batch)
                step += 1
                bar.update()
                if resumer is not None and step < total_steps and resumer.due():
                    resumer.save(resume.Progress(step, epoch, done, history, float(total), count,
                                                 machines=progress.machines,
                                                 sessions=progress.sessions))
                if on_step is not None and on_step(model, step, total_steps):
                    total_steps = step  # stop here: both loops end below
                if step == total_steps:
                    break
            history.append(float(total) / count)
            rate = count / max(time.perf_counter() - started, 1e-9)
            bar.set_postfix(epoch=epoch + 1, loss=f"{history[-1]:.4f}", samples_s=f"{rate:,.0f}")
            if step == total_steps:
                break
    if resumer is not None:
        resumer.finish(desc, resume.Progress(step, epoch, 0, history, seconds=progress.seconds,
                                             machines=progress.machines,
                                             sessions=progress.sessions,
                                             finished=progress.finished))
    model.eval()
    if dry_run.active():
        dry_run.costs.capped_seconds += time.perf_counter() - started_training
        record_dry_run_costs()
    return history


def _resumer(desc: str, fingerprint: dict, model: nn.Module, optimizer: torch.optim.Optimizer,
             scheduler, scaler, allowed: bool) -> resume.Resumer | None:
    """The run's :class:`~lab_utils.resume.Resumer` when ``$SSL_LAB_RESUME_DIR`` is set."""
    if not allowed:
        return None
    path = resume.state_file(desc)
    return None if path is None else resume.Resumer(path, fingerprint, model, optimizer,
                                                    scheduler, scaler)


def scaled_steps(n_examples: int, batch_size: int, epochs: float, min_steps: int = 1,
                 max_steps: int | None = None) -> int:
    """Optimiser steps for ``epochs`` passes over ``n_examples``, within ``[min_steps, max_steps]``.

    A network trained from scratch on ``n`` labelled images needs more steps the more images
    it has: with the same steps at every size, the largest sets are seen only once or twice
    and their accuracy falls below that of smaller ones. Batches hold ``min(batch_size, n)``
    examples, as in :func:`train`.
    """
    if n_examples < 1 or batch_size < 1 or epochs <= 0 or min_steps < 1:
        raise ValueError(f"scaled_steps needs n_examples, batch_size, min_steps >= 1 and epochs > 0, "
                         f"got {n_examples}, {batch_size}, {min_steps} and {epochs}")
    if max_steps is not None and max_steps < min_steps:
        raise ValueError(f"max_steps ({max_steps}) is below min_steps ({min_steps})")
    steps = max(min_steps, math.ceil(epochs * n_examples / min(batch_size, n_examples)))
    return steps if max_steps is None else min(steps, max_steps)


@dataclass
class EarlyStopping:
    """A :func:`train` callback: score on held-out data, keep the best weights, stop on a plateau.

    Every ``every`` steps (and after the last one) ``evaluate(model)`` scores the model in
    eval mode (e.g. accuracy on a held-out split of the labelled set, never on the test set);
    the weights of the best score so far are copied. Training stops when ``patience``
    evaluations in a row brought no gain. After training, :meth:`restore` loads the best
    weights into the model.

    Attributes:
        scores: ``[(step, score), ...]`` of every evaluation; best_step: where the best was.
    """

    evaluate: Callable[[nn.Module], float]
    every: int
    patience: int = 3
    scores: list[tuple[int, float]] = field(default_factory=list)
    best_step: int = 0
    best_score: float = -math.inf
    _best_state: dict[str, torch.Tensor] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.every < 1 or self.patience < 1:
            raise ValueError(f"EarlyStopping needs every >= 1 and patience >= 1, got every="
                             f"{self.every} and patience={self.patience}")

    def __call__(self, model: nn.Module, step: int, total_steps: int) -> bool:
        if step % self.every and step != total_steps:
            return False
        model.eval()
        with torch.no_grad():
            score = float(self.evaluate(model))
        model.train()
        self.scores.append((step, score))
        if score > self.best_score:
            self.best_score, self.best_step = score, step
            self._best_state = copy.deepcopy(model.state_dict())
        stale = sum(1 for s, _ in self.scores if s > self.best_step)
        return stale >= self.patience

    def restore(self, model: nn.Module) -> nn.Module:
        """Load the best weights into ``model`` (in place) and return it."""
        if self._best_state is None:
            raise RuntimeError("EarlyStopping has no weights to restore: pass it to train() as "
                               "on_step first")
        model.load_state_dict(self._best_state)
        return model


def _planned_steps(epochs: int | None, steps: int | None, steps_per_epoch: int) -> int:
    if (epochs is None) == (steps is None):
        raise ValueError("give train() either epochs or steps, not both and not neither")
    planned = steps if steps is not None else epochs * steps_per_epoch
    if planned < 1:
        raise ValueError(f"training needs at least one step, got epochs={epochs}, steps={steps}")
    return planned


@contextmanager
def _first_step_costs(model: nn.Module, desc: str, planned_steps: int, measure: bool
                      ) -> Iterator[None]:
    """In a dry run, measure the first step (forward and backward) and account for the loop.

    Its floating-point operations and the activation memory it keeps for the backward pass
    are reported, and counted ``planned_steps`` times in :data:`lab_utils.dry_run.costs`.
    """
    if not (measure and dry_run.active()):
        yield
        return
    with dry_run.flop_counter() as flops, dry_run.saved_tensor_bytes(model) as saved:
        yield
    parameter_bytes = sum(p.numel() * 4 for p in model.parameters())
    dry_run.add_training_loop(planned_steps, flops[0], saved[0], parameter_bytes)
    mib = saved[0] / 2**20
    print(f"{desc}: one step of the real batch keeps {mib:,.1f} MiB of activations for the "
          f"backward pass and costs {flops[0] / 1e9:,.2f} GFLOP; the budget asks for "
          f"{planned_steps:,} steps")
    if current_run() is not None:
        record(f"dry_run_activation_mib_{metric_slug(desc)}", mib, quiet=True)
