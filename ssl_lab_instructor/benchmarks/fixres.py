"""Train SimCLR at 32 px, or at 16 px and probe at 32 px (FixRes), for equal minutes.

    python -m ssl_lab_instructor.benchmarks.fixres --seeds 3 --steps-32 100 --steps-16 300

Notebook 03's own SimCLR (its classes, reference solutions and ``pretrain`` function, read
from ``solutions/03_simclr/03_simclr.ipynb``) trains with the ``cpu`` profile's budget but
for the given steps: once on full 32-pixel views, once on the same views downsampled to 16
pixels. The 16-pixel backbone's BatchNorm statistics are then re-estimated on unaugmented
32-pixel training images (:func:`lab_utils.evaluation.recalibrate_batchnorm`) and it is
probed, like the other, at 32 pixels with the course's linear probe and weighted k-NN on
the full probe set and with 10 labels per class. The arms take turns seed by seed, so a
load from other work on a shared machine slows them alike; the wall time of each run is
reported beside its accuracy. An experiment, not a test: it prints the table and writes
it to ``--output``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import torch

import lab_utils
from lab_utils.evaluation import (
    knn_accuracy,
    label_efficiency_scores,
    linear_probe,
    recalibrate_batchnorm,
)
from lab_utils.models import normalize_cifar
from lab_utils.protocol import cifar10_probe_sets
from ssl_lab_instructor.benchmarks.step import at_training_size, notebook_definitions
from ssl_lab_instructor.reproduce.machine import git_commit, hardware


def scores(backbone, probe_train, probe_test, label_seeds: int) -> dict[str, float]:
    """Linear and k-NN on the full probe set and on 10 labels per class (mean over seeds)."""
    device = next(backbone.parameters()).device
    train_x, test_x = (lab_utils.extract_features(backbone, s.images.to(device), preprocess=normalize_cifar)
                       for s in (probe_train, probe_test))
    sets = (train_x, probe_train.labels, test_x, probe_test.labels)
    few = label_efficiency_scores(*sets, sizes=[100], seeds=label_seeds)[100]
    few_knn = label_efficiency_scores(*sets, sizes=[100], seeds=label_seeds, probe=knn_accuracy)[100]
    return {"linear": linear_probe(*sets), "knn": knn_accuracy(*sets),
            "linear_100": statistics.mean(few), "knn_100": statistics.mean(few_knn)}


def figures(summary: dict[int, dict[str, tuple[float, float]]]) -> dict[str, float]:
    """Top-level numbers the prose can quote: ``linear_16px``, ``linear_16px_std``, ...

    ``summary`` maps a training size to ``{score: (mean, std over seeds)}``.
    """
    flat = {}
    for size, by_score in summary.items():
        for score, (mean, std) in by_score.items():
            flat[f"{score}_{size}px"], flat[f"{score}_{size}px_std"] = mean, std
    return flat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps-32", type=int, default=100)
    parser.add_argument("--steps-16", type=int, default=300)
    parser.add_argument("--label-seeds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=Path("results/fixres-cpu.json"))
    args = parser.parse_args()
    os.environ.setdefault("SSL_LAB_PROFILE", "cpu")
    cfg = lab_utils.setup("03_simclr")
    ns = notebook_definitions()
    unlabelled = lab_utils.load_cifar10("train", limit=cfg.budget.train_images, seed=cfg.seed)
    ns["train_images"] = train_images = unlabelled.images.to(cfg.device)
    probe_train, probe_test = cifar10_probe_sets("cpu")
    load_average = round(os.getloadavg()[0], 2)
    rows = []
    for seed in range(args.seeds):
        for size, steps in ((32, args.steps_32), (16, args.steps_16)):
            at_training_size(ns, size, steps=steps)   # the notebook's training_views downsample
            ns["cfg"] = dataclasses.replace(cfg, seed=seed)   # pretrain's batch order
            torch.manual_seed(seed)
            model = ns["SimCLR"]().to(cfg.device)
            start = time.perf_counter()
            ns["pretrain"](model, ns["simclr_loss"](0.5), f"SimCLR {size} px, seed {seed}")
            seconds = time.perf_counter() - start
            row = {"size": size, "steps": steps, "seed": seed, "train_seconds": round(seconds, 1)}
            if size != 32:
                row |= {f"{k}_no_recalibration": v for k, v in
                        scores(model.backbone, probe_train, probe_test, args.label_seeds).items()}
                recalibrate_batchnorm(model.backbone, train_images, preprocess=normalize_cifar)
            row |= scores(model.backbone, probe_train, probe_test, args.label_seeds)
            print(json.dumps(row), flush=True)
            rows.append(row)
    summary = {}
    for size in (32, 16):
        mine = [r for r in rows if r["size"] == size]
        summary[size] = {k: (statistics.mean(r[k] for r in mine), statistics.pstdev(r[k] for r in mine))
                         for k in mine[0] if k not in ("size", "steps", "seed")}
        print(f"{size} px, {mine[0]['steps']} steps: " + ", ".join(
            f"{k} {m:.3f}±{s:.3f}" for k, (m, s) in summary[size].items()))
    args.output.write_text(json.dumps({
        "experiment": "fixres", "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(), "hardware": hardware(), "load_average_1min": load_average,
        "rows": rows, "summary": {str(k): v for k, v in summary.items()},
        **figures(summary)}, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
