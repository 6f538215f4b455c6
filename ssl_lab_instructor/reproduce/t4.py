"""How long each notebook's gpu profile takes on Colab's free T4, estimated without a T4.

A dry run of the gpu profile (``SSL_LAB_MAX_STEPS``, :mod:`lab_utils.dry_run`) executes every
line at the real batch, image and model sizes and measures, for one step of every training
loop and one batch of every feature extraction, the floating-point operations and the
activation memory; it multiplies them by the number of steps and batches the budget asks
for. This module turns those totals into T4 seconds with a small roofline model:

* compute: the T4's float16 tensor cores peak at 65 TFLOP/s (8.1 TFLOP/s in float32); the
  small convolutions and matrix products of the course keep them busy a quarter of the
  time, so :data:`T4_FLOPS` = 16 TFLOP/s sustained;
* memory: 320 GB/s peak, 70 % sustained (:data:`T4_BYTES_PER_S`); a training step reads
  and writes its activations about four times (forward write, backward read, gradient
  write and read), in float16, half the float32 bytes the dry run measures on a CPU;
* overhead: a few milliseconds per step for kernel launches, the optimiser and Python
  (:data:`STEP_OVERHEAD_S`), and per feature batch (:data:`BATCH_OVERHEAD_S`);
* everything else (data loading, probes with scikit-learn, t-SNE, figures) runs on the
  CPU in Colab too: its time is the dry run's wall time outside the capped loops, measured
  on the two cores of the machine that ran it (Colab gives two virtual CPUs).

A step is compute-bound or memory-bound, whichever is slower. The estimate is a planning
figure with a stated model, not a measurement: replace it with ``make reproduce
PROFILE=gpu`` on a T4 when one is at hand.
"""

from __future__ import annotations

from collections.abc import Mapping

T4_FLOPS = 65e12 * 0.25
T4_BYTES_PER_S = 320e9 * 0.70
STEP_OVERHEAD_S = 0.004
BATCH_OVERHEAD_S = 0.002
ACTIVATION_PASSES = 4  # times a step's activations cross the memory bus
FP16_OVER_FP32 = 0.5   # the dry run measures float32 activations; the T4 trains in float16
T4_MEMORY_BYTES = 15 * 2**30
COLAB_RAM_BYTES = 12.7 * 2**30


def gpu_seconds(metrics: Mapping[str, float]) -> dict[str, float]:
    """The T4 time of a notebook's training and feature extraction, from dry-run metrics.

    Args:
        metrics: a notebook's recorded ``dry_run_*`` metrics (see :class:`lab_utils.dry_run.Costs`).
    Returns:
        ``{"training": s, "features": s}``.
    """
    compute = metrics.get("dry_run_train_flops", 0.0) / T4_FLOPS
    traffic = (ACTIVATION_PASSES * FP16_OVER_FP32 * metrics.get("dry_run_train_activation_bytes", 0.0)
               / T4_BYTES_PER_S)
    training = max(compute, traffic) + STEP_OVERHEAD_S * metrics.get("dry_run_train_steps", 0)
    features = (metrics.get("dry_run_inference_flops", 0.0) / T4_FLOPS
                + BATCH_OVERHEAD_S * metrics.get("dry_run_inference_batches", 0))
    return {"training": training, "features": features}


def t4_estimate(metrics: Mapping[str, float], dry_run_wall_seconds: float) -> dict[str, float]:
    """Total estimated T4 seconds of a notebook, with its parts.

    Args:
        metrics: the notebook's dry-run metrics.
        dry_run_wall_seconds: the dry run's wall time for the whole notebook.
    Returns:
        ``{"training", "features", "cpu_side", "total"}`` in seconds.
    """
    parts = gpu_seconds(metrics)
    parts["cpu_side"] = max(0.0, dry_run_wall_seconds - metrics.get("dry_run_capped_seconds", 0.0))
    parts["total"] = parts["training"] + parts["features"] + parts["cpu_side"]
    return parts


def t4_training_memory_bytes(metrics: Mapping[str, float], parameter_bytes: float = 0.0) -> float:
    """GPU memory of the largest training batch on a T4: float16 activations, plus weights,
    gradients and AdamW's two moments (four float32 copies of the parameters)."""
    return FP16_OVER_FP32 * metrics.get("dry_run_max_activation_bytes", 0.0) + 4 * parameter_bytes


def add_estimates(run: dict) -> dict:
    """Put a dry-run notebook's T4 estimates among its metrics (``t4_*`` names).

    ``t4_estimate_seconds`` (and its parts), ``t4_training_memory_mib``: what the gpu profile
    would take on a T4; quotable like any metric (``<!-- gpu-dryrun: NOTEBOOK/t4_... -->``).
    """
    metrics = run["metrics"]
    parts = t4_estimate(metrics, run["wall_seconds"])
    for part, seconds in parts.items():
        name = "t4_estimate_seconds" if part == "total" else f"t4_{part}_seconds"
        metrics[name] = round(seconds, 1)
    memory = t4_training_memory_bytes(metrics, metrics.get("dry_run_max_parameter_bytes", 0.0))
    metrics["t4_training_memory_mib"] = round(memory / 2**20, 1)
    return run
