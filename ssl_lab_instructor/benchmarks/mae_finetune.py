"""Fine-tune the course's mini-MAE checkpoint against the same ViT from random weights.

    python -m ssl_lab_instructor.benchmarks.mae_finetune --recipe cpu --labels 100 1000
    python -m ssl_lab_instructor.benchmarks.mae_finetune --recipe pretrain --labels 1000

MAE is judged by fine-tuning [He 2022]: the checkpoint's encoder under a new linear head,
every weight trained on a few labels, against its **random twin** (the same architecture
from random weights, new ones per seed) trained by the same recipe. The recipe is notebook
04's (:func:`lab_utils.protocol.fine_tune_accuracy`: AdamW, one-cycle schedule, random
crops and flips, early stopping on a held-out fifth of the labels) with the fine-tuning
budget of ``--recipe``'s profile: the ``cpu`` recipe is what notebook 04 runs (a few dozen
steps), the ``pretrain`` recipe trains at least ten times longer. The labelled and test
images are those of that profile's probe sets. An experiment, not a test: it prints the
curves and writes them, with the gain at each label count, to ``--output``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from torch import nn

from lab_utils import checkpoints, protocol, vit
from lab_utils.profiles import get_budget
from ssl_lab_instructor.reproduce.machine import git_commit, hardware

Curve = dict[int, tuple[float, float]]   # labels -> (mean accuracy, std over seeds)


def arms(mae: nn.Module) -> dict[str, Callable[[], nn.Module]]:
    """``{"checkpoint": ..., "twin": ...}``: builders of the two classifiers compared.

    Each builder returns a ``vit.MAEClassifier`` (standardised ``(B, 3, 32, 32)`` images ->
    ``(B, 10)`` logits): the checkpoint's encoder copied under a new head, or the same
    architecture with the random weights of the seed ``fine_tune_accuracy`` has just set.
    """
    return {"checkpoint": lambda: vit.MAEClassifier(mae, 10),
            "twin": lambda: vit.MAEClassifier(vit.new_mae(mae.config), 10)}


def figures(curves: dict[str, Curve]) -> dict[str, float]:
    """Top-level numbers to quote: ``finetune_<n>_<arm>``, its ``_std``, and ``gain_<n>`` (points)."""
    flat = {}
    for arm, curve in curves.items():
        for n, (mean, std) in curve.items():
            flat[f"finetune_{n}_{arm}"], flat[f"finetune_{n}_{arm}_std"] = mean, std
    for n in curves["checkpoint"]:
        flat[f"gain_{n}"] = 100 * (curves["checkpoint"][n][0] - curves["twin"][n][0])
    return flat


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="cpu", help="the profile whose fine-tuning budget and probe sets to use")
    parser.add_argument("--labels", type=int, nargs="+", default=[100, 1_000])
    parser.add_argument("--seeds", type=int, default=None, help="default: the recipe's finetune_seeds")
    parser.add_argument("--checkpoint-dir", type=Path, default=None,
                        help="where the checkpoint and its registry are (default: the course's)")
    parser.add_argument("--output", type=Path, default=None,
                        help="default: results/mae_finetune-<recipe>.json")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    recipe = get_budget("04_mae_dinov2", args.recipe)
    seeds = args.seeds or recipe.finetune_seeds
    mae, info = checkpoints.load_vit_mae("mini_mae", "cpu", args.checkpoint_dir)
    labelled, probe_test = protocol.cifar10_probe_sets(args.recipe)
    test = probe_test.subset(min(recipe.finetune_test_images, len(probe_test)))
    print(f"mini-MAE checkpoint: {info.describe()}; {args.recipe} recipe: {recipe.finetune_epochs} epochs, "
          f">= {recipe.finetune_steps} steps of {recipe.finetune_batch_size}; {len(test):,} test images")
    curves, seconds = {}, {}
    for arm, make_model in arms(mae).items():
        start = time.perf_counter()
        curves[arm] = protocol.fine_tuned_label_efficiency(make_model, labelled, test, args.labels, seeds,
                                                           recipe, arm)
        seconds[arm] = round(time.perf_counter() - start, 1)
        print(f"{arm}: " + ", ".join(f"{n:,} labels {m:.3f}±{s:.3f}" for n, (m, s) in curves[arm].items())
              + f" ({seconds[arm]:.0f} s)", flush=True)
    flat = figures(curves)
    output = args.output or Path(f"results/mae_finetune-{args.recipe}.json")
    output.write_text(json.dumps({
        "experiment": "mae_finetune", "recipe": args.recipe, "seeds": seeds, "test_images": len(test),
        "checkpoint": {"budget": info.budget, "sha256": info.sha256},
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "commit": git_commit(), "hardware": hardware(),
        "seconds": seconds, "curves": {arm: {str(n): v for n, v in c.items()} for arm, c in curves.items()},
        **flat}, indent=2) + "\n")
    print(", ".join(f"{n:,} labels: {flat[f'gain_{n}']:+.1f} points" for n in args.labels) + f"; wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
