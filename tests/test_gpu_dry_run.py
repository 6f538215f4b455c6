"""The gpu profile, run on a CPU: every line at the real sizes, each loop cut to one batch.

This is how the course knows, without a GPU, that what a Colab student runs works and fits
a free Colab runtime: each notebook's gpu profile executes top to bottom (the pretrained
ViTs of notebook 04 as randomly initialised models of their real size when the Hugging Face
Hub is out of reach), its kernel's peak memory stays under Colab's RAM, and its largest
training batch, in float16 with its weights, gradients and optimiser state, fits a T4.
``python -m ssl_lab_instructor.reproduce --profile gpu --max-steps 2`` writes the same measurements,
with T4 time estimates, to ``results/gpu-dryrun.*``.
"""

from __future__ import annotations

import pytest
from support import solution_notebooks

from ssl_lab_instructor.reproduce import collect
from ssl_lab_instructor.reproduce.t4 import COLAB_RAM_BYTES, T4_MEMORY_BYTES, add_estimates

NOTEBOOKS = {path.stem: path for path in solution_notebooks()}


@pytest.mark.notebook
@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_the_gpu_profile_runs_at_full_size_and_fits_colab(tmp_path, name):
    report = collect.reproduce("gpu", {name: NOTEBOOKS[name]}, tmp_path, skip_tags=[], timeout=900,
                               max_steps=1)
    run = report["notebooks"][name]
    assert run["status"] == "ok", f"the gpu profile of {name} fails: {run['error']}"
    assert run["peak_rss_mb"] * 2**20 < COLAB_RAM_BYTES, (
        f"{name}'s kernel peaked at {run['peak_rss_mb'] / 1024:.1f} GiB, more than Colab's RAM")
    metrics = add_estimates(run)["metrics"]
    assert metrics["t4_training_memory_mib"] * 2**20 < T4_MEMORY_BYTES, (
        f"{name}'s largest training batch needs {metrics['t4_training_memory_mib'] / 1024:.1f} GiB "
        "on a T4")
    if any(key.startswith("dry_run_activation_mib_") for key in metrics):
        assert metrics["dry_run_train_steps"] > 0 and metrics["dry_run_train_flops"] > 0
