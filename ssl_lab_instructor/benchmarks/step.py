"""Where one training step of each method of notebook 03 spends its time, at 32 and 16 pixels.

    python -m ssl_lab_instructor.benchmarks.step                      # CPU, batch 256, 2 threads
    python -m ssl_lab_instructor.benchmarks.step --sizes 32 16 --steps 5 --methods SimCLR MoCo

The methods are notebook 03's own: the model classes and the reference solutions of the
exercises are read from ``solutions/03_simclr/03_simclr.ipynb`` (its class and function
definitions only; nothing there is trained). One step is cut into the phases a student can
act on, each timed on its own (the CPU runs them one after the other):

* ``data``: picking the batch's uint8 images out of the training tensor;
* ``augment``: two SimCLR views of each image (``simclr_view``), and at a training size
  below 32 pixels their downsampling (area average: the crop of a 32-pixel image, shown at
  16 pixels);
* ``forward``: the model and its loss on the views (MoCo's and BYOL's momentum update and
  key / target encoders included, since they run inside the loss), in the device's
  precision policy (:mod:`lab_utils.precision`);
* ``backward`` and ``optimizer`` (AdamW).

The losses draw their views themselves, so the augmentation phase is timed apart, on the
same batch, and subtracted from the forward pass.
Each figure is the median over ``--steps`` steps after ``--warmup`` untimed ones; the sizes
take turns step by step, so their ratio holds on a machine that other work slows down. A
benchmark, not a test: it prints a table and writes it, with the machine and its load
average, to ``results/step-<device>.json`` (``--output``).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import torch
from torch import nn

import lab_utils
from lab_utils.precision import precision_for
from lab_utils.profiles import Budget, get_budget
from ssl_lab_instructor.reproduce.machine import git_commit, hardware

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "solutions" / "03_simclr" / "03_simclr.ipynb"
METHODS = ("SimCLR", "MoCo", "BYOL", "VICReg")
PHASES = ("data", "augment", "forward", "backward", "optimizer")
# Definitions end where notebook 03 compares its results.
LAST_SECTION = "## 11. Results"


def notebook_definitions(notebook: Path = NOTEBOOK) -> dict:
    """The imports, functions and classes of notebook 03 (reference solutions included).

    Only ``import``, ``def`` and ``class`` statements run: nothing is loaded or trained.
    """
    namespace: dict = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "markdown" and cell.source.startswith(LAST_SECTION):
            break
        if cell.cell_type != "code" or cell.source.lstrip().startswith("%"):
            continue
        source = cell.source.split("### BEGIN HIDDEN TESTS")[0]
        kept = [node for node in ast.parse(source).body
                if isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef)]
        code = compile(ast.Module(body=kept, type_ignores=[]), f"{notebook.name}", "exec")
        exec(code, namespace)
    return namespace


def at_training_size(ns: dict, size: int, **budget: object) -> None:
    """Make the notebook's own ``training_views`` draw ``size``-pixel views.

    Its functions read the ``budget`` global of the namespace they were defined in: the
    ``cpu`` profile's, here with ``train_size=size`` and any other entries overridden.
    """
    ns["budget"] = Budget({**get_budget("03_simclr", "cpu"), "train_size": size, **budget})


def build(method: str, ns: dict, device: torch.device) -> tuple[nn.Module, Callable]:
    """Notebook 03's model for ``method`` and its training loss ``loss(model, images)``."""
    torch.manual_seed(0)
    if method == "SimCLR":
        return ns["SimCLR"]().to(device), ns["simclr_loss"](0.5)
    if method == "MoCo":
        return ns["MoCo"](4_096, 0.99, 0.2).to(device), lambda model, images, _=None: model.loss(images)
    if method == "BYOL":
        return ns["BYOL"](0.99).to(device), lambda model, images, _=None: model.loss(images)
    if method == "VICReg":
        return ns["VICReg"]().to(device), ns["vicreg_training_loss"]
    raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")


def one_step(model: nn.Module, loss_fn: Callable, views: Callable, batch: torch.Tensor,
             optimizer: torch.optim.Optimizer, policy) -> list[float]:
    """Seconds of the phases of one training step (``PHASES`` minus ``data``)."""
    marks = [time.perf_counter()]
    torch.cat([views(batch), views(batch)])
    marks.append(time.perf_counter())
    with policy.autocast():
        loss = loss_fn(model, batch, None)
    marks.append(time.perf_counter())
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    marks.append(time.perf_counter())
    optimizer.step()
    marks.append(time.perf_counter())
    seconds = [b - a for a, b in zip(marks[:-1], marks[1:], strict=True)]
    seconds[1] -= seconds[0]  # the loss draws its views too: the augmentation is counted once
    return seconds


def time_steps(method: str, ns: dict, images: torch.Tensor, sizes: list[int], batch_size: int,
               steps: int, warmup: int) -> dict[int, dict[str, float]]:
    """Median seconds per phase of one training step of ``method``, for each training size.

    The sizes take turns step by step, so that a load from other work on a shared machine
    slows them alike and their ratio holds.
    """
    device = images.device
    policy = precision_for(device)
    runs = {}
    for size in sizes:
        model, loss_fn = build(method, ns, device)
        policy.prepare(model)
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-3)
        model.train()
        runs[size] = (model, loss_fn, optimizer)
    generator = torch.Generator().manual_seed(0)
    timings = {size: {phase: [] for phase in PHASES} for size in sizes}
    for step in range(warmup + steps):
        for size, (model, loss_fn, optimizer) in runs.items():
            at_training_size(ns, size)  # the notebook's losses draw their views at this size
            start = time.perf_counter()
            batch = images[torch.randint(len(images), (batch_size,), generator=generator)]
            seconds = [time.perf_counter() - start,
                       *one_step(model, loss_fn, ns["training_views"], batch, optimizer, policy)]
            if step >= warmup:
                for phase, spent in zip(PHASES, seconds, strict=True):
                    timings[size][phase].append(spent)
    return {size: {phase: statistics.median(values) for phase, values in by_phase.items()}
            for size, by_phase in timings.items()}


def speedups_over_32px(rows: list[dict]) -> dict[str, float]:
    """``{"simclr_speedup_16px": 32-pixel step time / 16-pixel step time, ...}``."""
    speedups = {}
    for method in dict.fromkeys(row["method"] for row in rows):
        by_size = {row["size"]: row["step_seconds"] for row in rows if row["method"] == method}
        for size in by_size.keys() - {32} if 32 in by_size else ():
            speedups[f"{method.lower()}_speedup_{size}px"] = by_size[32] / by_size[size]
    return speedups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--sizes", nargs="+", type=int, default=[32, 16],
                        help="training sizes in pixels (views of 32-pixel images, downsampled)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--output", type=Path, default=None,
                        help="where to write the table (default: results/step-<device>.json)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    load_average = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    images = lab_utils.load_cifar10("train", limit=5_000, seed=0).images.to(device)
    ns = notebook_definitions()
    print(f"batch {args.batch_size} (two views each), {args.threads} threads, {device}, "
          f"{precision_for(device).name}; load average {load_average}")
    print(f"{'method':>8} {'px':>3} " + " ".join(f"{p:>9}" for p in PHASES) + f" {'step ms':>8}")
    rows = []
    for method in args.methods:
        by_size = time_steps(method, ns, images, args.sizes, args.batch_size, args.steps, args.warmup)
        for size, phases in by_size.items():
            total = sum(phases.values())
            print(f"{method:>8} {size:>3} " + " ".join(
                f"{1e3 * phases[p]:6.0f} ms" for p in PHASES) + f" {1e3 * total:8.0f}", flush=True)
            rows.append({"method": method, "size": size, "step_seconds": round(total, 4),
                         **{f"{p}_seconds": round(phases[p], 4) for p in PHASES}})
    speedups = speedups_over_32px(rows)
    for name, speedup in speedups.items():
        print(f"{name}: {speedup:.1f}x")
    output = args.output or ROOT / "results" / f"step-{device.type}.json"
    output.write_text(json.dumps({
        "benchmark": "step", "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(), "hardware": hardware(), "load_average_1min": load_average,
        "device": str(device), "precision": precision_for(device).name,
        "batch_size": args.batch_size, "torch_threads": args.threads, "steps": args.steps,
        "rows": rows, **speedups,
    }, indent=2) + "\n")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
