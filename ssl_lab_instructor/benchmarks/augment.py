"""Throughput of SimCLR's batched augmentation against torchvision's per-image pipeline.

    python -m ssl_lab_instructor.benchmarks.augment                       # CPU, 5,000 images, 2 workers
    python -m ssl_lab_instructor.benchmarks.augment --device cuda --images 50000

The batched pipeline is ``simclr_view`` of notebook 03's reference solution (read from
``solutions/03_simclr/03_simclr.ipynb``), so the figure is that of the pipeline the course
teaches, built from :mod:`lab_utils.augment`. The per-image pipeline applies the same four
steps (random resized crop, flip, colour jitter with p=0.8, grayscale with p=0.2) with
torchvision on PIL images, in a ``DataLoader`` with ``--workers`` worker processes, as a
notebook on Colab's two cores would. Both make one view of every CIFAR-10 image per pass;
each reports its best of ``--repeats`` full passes after a warm-up pass (steady state,
workers already started). ``--threads`` sets torch's intra-op threads for the batched
pipeline: on a machine whose cores are busy with other work, one thread can be much faster
than two, since every parallel operation waits for its slowest thread.

A benchmark, not a test: it prints views per second and writes them, with the settings, the
machine, its load average when the run started, date and commit, to
``results/augment-<device>.json`` (``--output``), from which the README quotes its figures
(see ``ssl_lab_instructor/reproduce/quotes.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import torch
import torchvision.transforms as T
from PIL import Image
from torch.utils.data import DataLoader, Dataset

import lab_utils
from ssl_lab_instructor.reproduce.machine import git_commit, hardware

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "solutions" / "03_simclr" / "03_simclr.ipynb"


def course_simclr_view(notebook: Path = NOTEBOOK) -> Callable[..., torch.Tensor]:
    """``simclr_view`` as the reference solution of notebook 03 defines it (with its ``random_apply``)."""
    from ssl_lab_instructor.benchmarks.step import notebook_definitions

    return notebook_definitions(notebook)["simclr_view"]


def per_image_pipeline() -> T.Compose:
    """SimCLR's views with torchvision, one PIL image at a time."""
    return T.Compose([
        T.RandomResizedCrop(32, scale=(0.2, 1.0)),
        T.RandomHorizontalFlip(),
        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        T.RandomGrayscale(p=0.2),
        T.ToTensor(),
    ])


class PILImages(Dataset):
    """CIFAR-10 images as PIL images, transformed one by one (what a DataLoader worker runs)."""

    def __init__(self, images: torch.Tensor, transform: T.Compose) -> None:
        self.images = [Image.fromarray(image.permute(1, 2, 0).numpy()) for image in images]
        self.transform = transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.transform(self.images[index])


def best_rate(run_pass: Callable[[], int], device: torch.device, repeats: int) -> float:
    """Best views per second over ``repeats`` calls of ``run_pass`` (returns the view count)."""
    run_pass()  # warm-up (and worker start-up)
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        count = run_pass()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        best = max(best, count / (time.perf_counter() - start))
    return best


def batched_rate(images: torch.Tensor, batch_size: int, device: torch.device,
                 repeats: int) -> float:
    simclr_view = course_simclr_view()
    images = images.to(device)

    def run_pass() -> int:
        for start in range(0, len(images), batch_size):
            simclr_view(images[start : start + batch_size])
        return len(images)

    return best_rate(run_pass, device, repeats)


def dataloader_rate(images: torch.Tensor, batch_size: int, workers: int, repeats: int) -> float:
    loader = DataLoader(PILImages(images, per_image_pipeline()), batch_size=batch_size,
                        num_workers=workers, persistent_workers=workers > 0)

    def run_pass() -> int:
        return sum(len(batch) for batch in loader)

    return best_rate(run_pass, torch.device("cpu"), repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5_000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads for the batched pipeline (default: torch's choice)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=None,
                        help="where to write the figures (default: results/augment-<device>.json)")
    args = parser.parse_args()
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    # Shared cores slow both pipelines unequally: the load says whether the machine was idle.
    load_average = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    images = lab_utils.load_cifar10("train", limit=args.images, seed=0).images
    print(f"{len(images):,} CIFAR-10 images, batch {args.batch_size}, "
          f"torch threads {torch.get_num_threads()}")
    batched = batched_rate(images, args.batch_size, device, args.repeats)
    print(f"batched (lab_utils.augment) on {device}: {batched:10,.0f} views/s")
    per_image = dataloader_rate(images, args.batch_size, args.workers, args.repeats)
    print(f"torchvision per image, PIL, DataLoader with {args.workers} workers: "
          f"{per_image:10,.0f} views/s")
    print(f"ratio batched / per image: {batched / per_image:.1f}x")
    output = args.output or ROOT / "results" / f"augment-{device.type}.json"
    output.write_text(json.dumps({
        "benchmark": "augment", "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(), "hardware": hardware(), "load_average_1min": load_average,
        "device": str(device), "images": len(images), "batch_size": args.batch_size,
        "workers": args.workers, "torch_threads": torch.get_num_threads(), "repeats": args.repeats,
        "batched_views_per_second": round(batched, 1),
        "per_image_views_per_second": round(per_image, 1),
    }, indent=2) + "\n")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
