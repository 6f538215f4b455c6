"""Executing one notebook in its own kernel: progress, wall time, memory, failures."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from tqdm.auto import tqdm

from .memory import PeakMemory
from .paths import ROOT

# Appended to every executed notebook: the peak GPU memory of its kernel, if any.
GPU_PEAK_CELL = (
    "import json as _json, sys as _sys\n"
    "_torch = _sys.modules.get('torch')\n"
    "_peak = _torch.cuda.max_memory_allocated() if _torch is not None and _torch.cuda.is_available() else None\n"
    "print('REPRODUCE_GPU_PEAK_BYTES=' + _json.dumps(_peak))"
)


@dataclass
class NotebookRun:
    """What running one notebook produced."""

    notebook: str
    path: str
    status: str = "not run"  # "ok" or "failed"
    wall_seconds: float = 0.0
    peak_rss_mb: float | None = None
    cpu_seconds: float | None = None  # CPU time of the kernel's process tree
    gpu_peak_mb: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # lab_utils.record_note, e.g. data sources
    error: dict | None = None  # cell index, exception name and value of a failure
    skipped_tags: list[str] = field(default_factory=list)
    skipped_cells: int = 0
    date: str = ""  # when it ran, and from which commit: a report may merge several runs
    commit: str | None = None


def prepare(notebook: nbformat.NotebookNode,
            skip_tags: Iterable[str]) -> tuple[nbformat.NotebookNode, list[int]]:
    """A copy without the cells carrying any of ``skip_tags``, plus the GPU-peak probe cell.

    Also returns the original index of every kept cell, to report cells as students number them.
    """
    skip = set(skip_tags)
    kept = [i for i, cell in enumerate(notebook.cells) if not skip & set(cell.metadata.get("tags", []))]
    prepared = nbformat.from_dict(notebook)
    prepared.cells = [notebook.cells[i] for i in kept] + [nbformat.v4.new_code_cell(GPU_PEAK_CELL)]
    return prepared, kept


def execute(name: str, path: Path, env: dict[str, str], skip_tags: Sequence[str],
            executed_dir: Path, timeout: int) -> NotebookRun:
    """Run notebook ``name`` with a per-cell progress bar; failures are caught and described."""
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    run = NotebookRun(name, str(shown), skipped_tags=list(skip_tags))
    notebook = nbformat.read(path, as_version=4)
    prepared, original_index = prepare(notebook, skip_tags)
    run.skipped_cells = len(notebook.cells) - len(original_index)
    code_cells = sum(cell.cell_type == "code" for cell in prepared.cells)
    progress = tqdm(total=code_cells, desc=name, unit="cell", leave=True)
    memory = PeakMemory()
    current = {"index": None}

    def on_notebook_start(notebook):
        memory.watch(client.km.provisioner.process.pid)

    def on_cell_start(cell, cell_index):
        current["index"] = cell_index

    def on_cell_executed(cell, cell_index, execute_reply):
        progress.update(1)

    client = NotebookClient(
        prepared, timeout=timeout, kernel_name="python3", allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
        on_notebook_start=on_notebook_start, on_cell_start=on_cell_start,
        on_cell_executed=on_cell_executed)
    start = time.perf_counter()
    try:
        client.execute(env=env)
        run.status = "ok"
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        run.status = "failed"
        run.error = describe_failure(error, current["index"], original_index, prepared)
    finally:
        run.wall_seconds = round(time.perf_counter() - start, 1)
        run.peak_rss_mb = _round(memory.stop())
        run.cpu_seconds = round(memory.cpu_seconds, 1) if memory.cpu_seconds else None
        progress.close()
    run.gpu_peak_mb = _round(gpu_peak_mb(prepared))
    executed_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(prepared, executed_dir / path.name)
    return run


def describe_failure(error: Exception, index: int | None, original_index: list[int],
                     notebook: nbformat.NotebookNode) -> dict:
    """The failing cell (original numbering), the exception, and the first line of its source."""
    cell = None if index is None or index >= len(original_index) else original_index[index]
    source = notebook.cells[index].source.strip().splitlines() if cell is not None else []
    return {
        "cell": cell,
        "exception": type(error).__name__,
        "ename": getattr(error, "ename", None),
        "evalue": (getattr(error, "evalue", None) or str(error).strip().splitlines()[-1])[:500],
        "first_line": source[0][:120] if source else "",
    }


def gpu_peak_mb(notebook: nbformat.NotebookNode) -> float | None:
    """The peak GPU memory the probe cell printed, in MiB (None without CUDA or output)."""
    for output in notebook.cells[-1].get("outputs", []):
        for line in output.get("text", "").splitlines():
            if line.startswith("REPRODUCE_GPU_PEAK_BYTES="):
                value = json.loads(line.split("=", 1)[1])
                return None if value is None else value / 2**20
    return None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
