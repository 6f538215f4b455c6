"""Does bfloat16 training change what the course's CNN learns, and how much faster is it?

    python -m ssl_lab_instructor.benchmarks.precision                       # fp32 and bf16, 3 seeds
    python -m ssl_lab_instructor.benchmarks.precision --steps 300 --seeds 5 --precisions fp32 bf16

Trains the course's ``SmallCNN`` with a linear head on labelled CIFAR-10 images for the same
number of steps under each precision (``$SSL_LAB_PRECISION``, :mod:`lab_utils.precision`),
from the same seeds, and reports the test accuracy of each (mean and spread over seeds) and
the time and CPU time per step. On a CPU without native bfloat16 the bf16 runs are emulated
and slow, but compute the same rounded numbers as native ones: the accuracies compare,
the timings do not. Writes ``results/precision-<device>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

import lab_utils
from lab_utils.models import SmallCNN, normalize_cifar
from lab_utils.precision import PRECISION_ENV_VAR, precision_for

ROOT = Path(__file__).resolve().parents[2]


def train_and_test(train: lab_utils.ImageSet, test: lab_utils.ImageSet, steps: int, batch_size: int,
                   seed: int, device: torch.device) -> tuple[float, float, float]:
    """(test accuracy, seconds per step, CPU seconds per step) of one supervised run."""
    torch.manual_seed(seed)
    model = nn.Sequential(SmallCNN(), nn.Linear(256, 10)).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=5e-4)
    images, labels = train.images.to(device), train.labels.to(device)
    wall, cpu = time.perf_counter(), time.process_time()
    lab_utils.train(model, lambda m, x, y: F.cross_entropy(m(normalize_cifar(x)), y), images, labels,
                    steps=steps, batch_size=batch_size, optimizer=optimizer, seed=seed,
                    desc=f"{os.environ[PRECISION_ENV_VAR]} seed {seed}")
    wall, cpu = (time.perf_counter() - wall) / steps, (time.process_time() - cpu) / steps
    logits = lab_utils.extract_features(model, test.images.to(device), preprocess=normalize_cifar)
    return (logits.argmax(1) == test.labels).float().mean().item(), wall, cpu


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--precisions", nargs="+", default=["fp32", "bf16"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--train-images", type=int, default=5_000)
    parser.add_argument("--test-images", type=int, default=2_000)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    device = torch.device(args.device)
    train = lab_utils.load_cifar10("train", limit=args.train_images)
    test = lab_utils.load_cifar10("test", limit=args.test_images)
    print(f"automatic choice on {device}: {precision_for(device).describe()}")
    results = {}
    for name in args.precisions:
        os.environ[PRECISION_ENV_VAR] = name
        runs = [train_and_test(train, test, args.steps, args.batch_size, seed, device)
                for seed in range(args.seeds)]
        accuracies = [run[0] for run in runs]
        results[name] = {"accuracies": accuracies, "mean": statistics.mean(accuracies),
                         "std": statistics.pstdev(accuracies),
                         "seconds_per_step": statistics.median(run[1] for run in runs),
                         "cpu_seconds_per_step": statistics.median(run[2] for run in runs)}
        print(f"{name}: test accuracy {results[name]['mean']:.4f} ± {results[name]['std']:.4f} "
              f"({', '.join(f'{a:.4f}' for a in accuracies)}); {results[name]['seconds_per_step']:.3f} s "
              f"and {results[name]['cpu_seconds_per_step']:.3f} CPU s per step")
    os.environ.pop(PRECISION_ENV_VAR)
    output = ROOT / "results" / f"precision-{device.type}.json"
    output.write_text(json.dumps({"settings": vars(args), "choice": precision_for(device).describe(),
                                  "results": results}, indent=2) + "\n")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
