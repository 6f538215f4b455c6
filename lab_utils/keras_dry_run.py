"""Dry runs of Keras training (notebook 02b): stop ``model.fit`` after the capped number of
batches and account for the loop's planned cost, as :func:`lab_utils.train` does for PyTorch.

Kept apart from :mod:`lab_utils.dry_run` because it writes the costs as metrics
(:mod:`lab_utils.results`), which itself reads :mod:`lab_utils.dry_run`.
"""

from __future__ import annotations

import math
import time
from typing import Any

from . import dry_run
from .results import record_dry_run_costs


def keras_forward_flops(model: Any) -> float:
    """Floating-point operations of one example through a built Keras model's conv and dense layers."""
    flops = 0.0
    for layer in model.layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is None:
            continue
        output_positions = math.prod(layer.output.shape[1:-1])  # 1 for a dense layer
        flops += 2.0 * output_positions * math.prod(kernel.shape)
    return flops


def keras_callbacks(batch_size: int) -> list:
    """Callbacks for ``model.fit``: in a dry run, stop after the capped number of batches and
    account for the loop's planned cost (:data:`lab_utils.dry_run.costs`); otherwise none.

    Args:
        batch_size: the examples per batch the ``fit`` call uses.
    """
    if not dry_run.active():
        return []
    import keras  # imported here: only notebook 02b trains with Keras

    class DryRunStop(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.done, self.started = 0, time.perf_counter()
            planned = self.params["epochs"] * self.params["steps"]
            activations = sum(4 * batch_size * math.prod(layer.output.shape[1:])
                              for layer in self.model.layers)
            parameters = sum(4 * math.prod(weight.shape) for weight in self.model.trainable_weights)
            dry_run.add_training_loop(planned, 3 * batch_size * keras_forward_flops(self.model),
                                      activations, parameters)
            if planned > dry_run.max_steps():
                dry_run.notice(f"Keras training stops after {dry_run.max_steps()} batches")

        def on_train_batch_end(self, batch, logs=None):
            self.done += 1
            if self.done >= dry_run.max_steps():
                self.model.stop_training = True

        def on_train_end(self, logs=None):
            dry_run.costs.capped_seconds += time.perf_counter() - self.started
            record_dry_run_costs()

    return [DryRunStop()]
