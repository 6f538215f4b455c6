"""Reproduce the course's results table: run every solution notebook under one profile.

    python -m scripts.reproduce                          # every notebook, cpu (gpu with CUDA)
    python -m scripts.reproduce --profile smoke 01_intro_ssl 05_time_series
    python -m scripts.reproduce --profile cpu --skip-tag needs-hub --update-readme
    make reproduce PROFILE=cpu                          # the same, through the Makefile

Each notebook of ``solutions/`` is executed top to bottom in its own kernel (its folder as
the working directory) with ``SSL_LAB_PROFILE`` set. What it stores with
``lab_utils.record`` is collected, with its wall time, the peak resident memory of its
kernel (and the peak GPU memory where CUDA is used). A notebook that fails is reported with
its failing cell and the others still run; the exit status is then 1.

Written to ``--output-dir`` (default ``results/``):

* ``<profile>.json``: every metric of every notebook, times, memory, hardware, date, commit;
* ``<profile>.md``: the headline table next to the seed expectations, the time table, and
  every recorded metric;
* ``<profile>.png``: a bar chart of the headline accuracies against the seed expectations;
* ``runs/reproduce-<profile>/``: the executed notebooks and the raw metric files.

``--update-readme`` replaces the README's block between ``<!-- results:<profile>:start -->``
and ``<!-- results:<profile>:end -->`` with the headline and time tables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import psutil
from matplotlib import colormaps
from matplotlib.figure import Figure
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from tqdm.auto import tqdm

from lab_utils.profiles import BUDGETS, PROFILES

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
README = ROOT / "README.md"

# Appended to every executed notebook: the peak GPU memory of its kernel, if any.
GPU_PEAK_CELL = (
    "import json as _json, sys as _sys\n"
    "_torch = _sys.modules.get('torch')\n"
    "_peak = _torch.cuda.max_memory_allocated() if _torch is not None and _torch.cuda.is_available() else None\n"
    "print('REPRODUCE_GPU_PEAK_BYTES=' + _json.dumps(_peak))"
)


@dataclass(frozen=True)
class Headline:
    """One line of the headline table: a recorded metric and what the seed material expects."""

    notebook: str
    metric: str
    label: str
    expected: tuple[float, float] | None = None  # (low, high); low == high for one value
    expected_text: str = "-"


def _one(value: float, text: str | None = None) -> dict:
    return {"expected": (value, value), "expected_text": text or f"{100 * value:.1f} %"}


def _published(value: float, source: str) -> dict:
    return {"expected": (value, value), "expected_text": f"{100 * value:.1f} % ({source}, published)"}


def _range(low: float, high: float) -> dict:
    return {"expected": (low, high), "expected_text": f"{100 * low:.0f}-{100 * high:.0f} %"}


# The results the course is judged by (DESIGN.md section 6, the seed notebooks, and the
# published UCR anchors). Every accuracy is a fraction in [0, 1].
HEADLINES: tuple[Headline, ...] = (
    Headline("01_intro_ssl", "digits_probe_raw_pixels", "digits, probe on raw pixels"),
    Headline("01_intro_ssl", "digits_probe_rotation_network", "digits, probe on rotation-net features"),
    Headline("01_intro_ssl", "mnist_probe_raw_pixels_100_labels", "MNIST 100 labels, raw pixels"),
    Headline("01_intro_ssl", "mnist_probe_autoencoder_100_labels", "MNIST 100 labels, autoencoder"),
    Headline("02_pretext_tasks", "probe_random_init", "CIFAR-10, random-init CNN", **_one(0.28, "~28 %")),
    Headline("02_pretext_tasks", "probe_supervised", "CIFAR-10, supervised CNN", **_range(0.75, 0.85)),
    Headline("02_pretext_tasks", "probe_rotation", "CIFAR-10, rotation", **_one(0.55, "~55 %")),
    Headline("02_pretext_tasks", "probe_jigsaw", "CIFAR-10, jigsaw", **_one(0.52, "~52 %")),
    Headline("02_pretext_tasks", "probe_colorization", "CIFAR-10, colorization", **_one(0.45, "~45 %")),
    Headline("02b_rotnet_keras", "rotnet_1000_labels_mean", "MNIST 1,000 labels, RotNet frozen",
             **_one(0.81, "81.00 %")),
    Headline("02b_rotnet_keras", "supervised_1000_labels_mean", "MNIST 1,000 labels, from scratch",
             **_one(0.7867, "78.67 %")),
    Headline("03_simclr", "probe_random_init", "CIFAR-10, random-init CNN"),
    Headline("03_simclr", "probe_simclr", "CIFAR-10, SimCLR", **_range(0.65, 0.70)),
    Headline("03_simclr", "probe_moco", "CIFAR-10, MoCo"),
    Headline("03_simclr", "probe_byol", "CIFAR-10, BYOL"),
    Headline("04_mae_dinov2", "mae_pretrained_linear_probe", "CIFAR-10, pretrained MAE, linear",
             **_range(0.60, 0.70)),
    Headline("04_mae_dinov2", "dinov2_knn", "CIFAR-10, DINOv2-S, k-NN", **_range(0.95, 0.97)),
    Headline("04_mae_dinov2", "mini_mae_linear_probe", "CIFAR-10, mini-MAE from scratch"),
    Headline("04_mae_dinov2", "random_cnn_linear_probe", "CIFAR-10, random-init CNN"),
    Headline("05_time_series", "gunpoint_1_nn_euclidean_all_labels", "GunPoint, 1-NN Euclidean",
             **_published(0.913, "1-NN")),
    Headline("05_time_series", "gunpoint_rocket_all_labels", "GunPoint, ROCKET", **_published(1.0, "ROCKET")),
    Headline("05_time_series", "gunpoint_contrastive_all_labels", "GunPoint, contrastive",
             **_published(0.987, "TS2Vec")),
    Headline("05_time_series", "italypowerdemand_1_nn_euclidean_all_labels",
             "ItalyPowerDemand, 1-NN Euclidean", **_published(0.955, "1-NN")),
    Headline("05_time_series", "italypowerdemand_rocket_all_labels", "ItalyPowerDemand, ROCKET",
             **_published(0.970, "ROCKET")),
    Headline("05_time_series", "italypowerdemand_contrastive_all_labels",
             "ItalyPowerDemand, contrastive", **_published(0.960, "TS2Vec")),
)


@dataclass
class NotebookRun:
    """What running one notebook produced."""

    notebook: str
    path: str
    status: str = "not run"  # "ok" or "failed"
    wall_seconds: float = 0.0
    peak_rss_mb: float | None = None
    gpu_peak_mb: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    error: dict | None = None  # cell index, exception name and value of a failure
    skipped_tags: list[str] = field(default_factory=list)
    skipped_cells: int = 0
    date: str = ""  # when it ran, and from which commit: a report may merge several runs
    commit: str | None = None


# ---------------------------------------------------------------------------------------
# Finding and preparing the notebooks


def solution_notebooks() -> dict[str, Path]:
    """Every solution notebook by name (the stem its ``lab_utils.setup`` call uses)."""
    return {path.stem: path for path in sorted(SOLUTIONS.glob("*/*.ipynb"))}


def select_notebooks(names: Sequence[str]) -> dict[str, Path]:
    """The notebooks named (all when none is), in course order; unknown names are an error."""
    available = solution_notebooks()
    unknown = [name for name in names if name not in available]
    if unknown:
        raise SystemExit(f"unknown notebook(s) {', '.join(unknown)}; choose from: {', '.join(available)}")
    return {name: path for name, path in available.items() if not names or name in names}


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


# ---------------------------------------------------------------------------------------
# Executing one notebook


class PeakMemory:
    """Polls the resident memory of a process tree (the kernel and its workers) in a thread."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.peak_bytes = 0
        self._pid: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def watch(self, pid: int) -> None:
        self._pid = pid
        if not self._thread.is_alive():
            self._thread.start()

    def stop(self) -> float | None:
        """Stop polling; the peak in MiB (None if no process was watched)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        return self.peak_bytes / 2**20 if self._pid is not None else None

    def _poll(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                kernel = psutil.Process(self._pid)
                tree = [kernel, *kernel.children(recursive=True)]
                total = sum(p.memory_info().rss for p in tree if p.is_running())
            except psutil.Error:  # the kernel is starting or exiting
                continue
            self.peak_bytes = max(self.peak_bytes, total)


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


def read_metrics(runs_dir: Path, notebook: str, profile: str) -> dict[str, float]:
    """What ``lab_utils.record`` stored for ``notebook`` during this run."""
    path = runs_dir / f"{notebook}.{profile}.json"
    return json.loads(path.read_text())["metrics"] if path.exists() else {}


# ---------------------------------------------------------------------------------------
# The machine and the code that produced the numbers


def hardware() -> dict:
    """CPU, cores, memory and GPU of this machine, and the versions that matter."""
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "gpu": gpu,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "platform": platform.platform(terse=True),
    }


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def git_commit() -> str | None:
    """The checkout's commit, with ``-dirty`` when tracked files differ from it."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout.strip()
        # The reports this command writes (results/, the README's tables) do not make it dirty.
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                ":!results", ":!README.md"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("-dirty" if dirty else "")


# ---------------------------------------------------------------------------------------
# Reports


def missing_headlines(report: dict) -> list[str]:
    """Headline metrics that a notebook which ran to the end did not record (a renamed key?)."""
    return [f"{line.notebook}: {line.metric}" for line in HEADLINES
            if report["notebooks"].get(line.notebook, {}).get("status") == "ok"
            and line.metric not in report["notebooks"][line.notebook]["metrics"]
            and not report["notebooks"][line.notebook]["skipped_cells"]]


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def metric_text(name: str, value: float) -> str:
    """Accuracies as percentages; losses, errors and seconds as plain numbers."""
    if any(word in name for word in ("mse", "loss", "seconds", "_std")):
        return f"{value:.4g}"
    return percent(value)


def headline_rows(report: dict) -> list[tuple[str, str, str, str]]:
    """(notebook, result, measured, seed expectation) for every headline of a run notebook."""
    rows = []
    for line in HEADLINES:
        run = report["notebooks"].get(line.notebook)
        if run is None:
            continue
        rows.append((line.notebook, line.label, percent(run["metrics"].get(line.metric)),
                     line.expected_text))
    return rows


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def run_table(report: dict) -> str:
    """Status, wall time and peak memory of every notebook."""
    rows = []
    for name, run in report["notebooks"].items():
        status = run["status"]
        if run["error"]:
            status += f" (cell {run['error']['cell']}: {run['error']['ename'] or run['error']['exception']})"
        if run["skipped_cells"]:
            status += f", {run['skipped_cells']} cells tagged {', '.join(run['skipped_tags'])} skipped"
        memory = "-" if run["peak_rss_mb"] is None else f"{run['peak_rss_mb'] / 1024:.1f} GiB"
        if run["gpu_peak_mb"] is not None:
            memory += f" (GPU {run['gpu_peak_mb'] / 1024:.1f} GiB)"
        rows.append((name, status, minutes(run["wall_seconds"]), memory))
    return markdown_table(("notebook", "status", "wall time", "peak memory"), rows)


def machine_line(report: dict) -> str:
    hw = report["hardware"]
    gpu = f", {hw['gpu']}" if hw["gpu"] else ", no GPU"
    runs = report["notebooks"].values()
    dates = sorted({run["date"][:10] for run in runs if run.get("date")}) or [report["date"][:10]]
    commits = sorted({run["commit"] for run in runs if run.get("commit")}) or [report["commit"]]
    return (f"Profile `{report['profile']}`, {' to '.join(dict.fromkeys([dates[0], dates[-1]]))}, "
            f"commit {', '.join(f'`{c}`' for c in commits)}: "
            f"{hw['cpu']} ({hw['cores']} cores, {hw['memory_gb']} GiB){gpu}; "
            f"Python {hw['python']}, torch {hw['torch']}. "
            f"Total {minutes(report['total_seconds'])}.")


def summary_markdown(report: dict) -> str:
    """The block the README shows: machine line, headline table, time table."""
    headline = markdown_table(("notebook", "result", "measured", "expected (seed material or published)"), headline_rows(report))
    return "\n\n".join([machine_line(report), headline, run_table(report)])


def full_markdown(report: dict) -> str:
    """The summary plus every metric every notebook recorded."""
    parts = [f"# Results, `{report['profile']}` profile", summary_markdown(report), "## Every recorded metric"]
    for name, run in report["notebooks"].items():
        rows = [(metric, metric_text(metric, value)) for metric, value in sorted(run["metrics"].items())]
        parts.append(f"### {name}\n\n" + (markdown_table(("metric", "value"), rows) if rows else "nothing recorded"))
    return "\n\n".join(parts) + "\n"


def bar_chart(report: dict, path: Path) -> None:
    """Headline accuracies as bars, the seed expectations as black marks (ranges as lines)."""
    lines = [(line, report["notebooks"][line.notebook]["metrics"].get(line.metric))
             for line in HEADLINES if line.notebook in report["notebooks"]]
    lines = [(line, value) for line, value in lines if value is not None]
    # The object-oriented API draws without pyplot, so no GUI backend is ever involved.
    fig = Figure(figsize=(8, 0.32 * max(len(lines), 4) + 1.2))
    ax = fig.subplots()
    positions = range(len(lines))
    notebooks = sorted({line.notebook for line, _ in lines})
    colours = {name: colormaps["tab10"](i) for i, name in enumerate(notebooks)}
    ax.barh(positions, [100 * value for _, value in lines], color=[colours[line.notebook] for line, _ in lines])
    for y, (line, _) in enumerate(lines):
        if line.expected is not None:
            low, high = (100 * v for v in line.expected)
            ax.plot([low, high] if high > low else [low], [y, y] if high > low else [y], "k|-" if high > low else "kD",
                    markersize=6, label="expected (seed material or published)" if y == _first_expected(lines) else None)
    ax.set_yticks(list(positions), [f"{line.label} ({line.notebook[:3].rstrip('_')})" for line, _ in lines],
                  fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 105)
    ax.set_xlabel("test accuracy (%)")
    ax.set_title(f"{report['profile']} profile, {report['date'][:10]}: measured (bars), expected (marks)", fontsize=10)
    if any(line.expected for line, _ in lines):
        ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def _first_expected(lines) -> int:
    return next(y for y, (line, _) in enumerate(lines) if line.expected is not None)


def update_readme(readme: Path, profile: str, block: str) -> None:
    """Replace the README's results block of ``profile`` (between its two markers)."""
    start, end = f"<!-- results:{profile}:start -->", f"<!-- results:{profile}:end -->"
    text = readme.read_text()
    if start not in text or end not in text:
        raise SystemExit(f"{readme} has no {start} ... {end} block: add the two markers where the "
                         f"{profile} table belongs")
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    readme.write_text(f"{before}{start}\n{block}\n{end}{after}")


# ---------------------------------------------------------------------------------------
# Command line


def default_profile() -> str:
    import torch

    return "gpu" if torch.cuda.is_available() else "cpu"


def kernel_env(profile: str, runs_dir: Path) -> dict[str, str]:
    """The environment of every kernel: the profile, and metrics written into ``runs_dir``."""
    env = dict(os.environ)
    env.update(SSL_LAB_PROFILE=profile, SSL_LAB_RESULTS_DIR=str(runs_dir), MPLBACKEND="Agg",
               PYTHONUNBUFFERED="1")
    # The kernel is this interpreter's: its scripts (nbgrader, jupyter) come first on PATH.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def reproduce(profile: str, notebooks: dict[str, Path], output_dir: Path, skip_tags: Sequence[str],
              timeout: int) -> dict:
    """Run ``notebooks`` one after another; the report as a JSON-ready dict."""
    runs_dir = output_dir / "runs" / f"reproduce-{profile}"
    runs_dir.mkdir(parents=True, exist_ok=True)
    env = kernel_env(profile, runs_dir)
    report = {"profile": profile, "date": _now(), "commit": git_commit(), "hardware": hardware(),
              "notebooks": {}}
    for name, path in notebooks.items():
        (runs_dir / f"{name}.{profile}.json").unlink(missing_ok=True)  # no stale metrics
        started = _now()
        run = execute(name, path, env, skip_tags, runs_dir / "executed", timeout)
        run.metrics, run.date, run.commit = read_metrics(runs_dir, name, profile), started, report["commit"]
        report["notebooks"][name] = asdict(run)
        _print_outcome(run)
    return with_total(report)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def with_total(report: dict) -> dict:
    report["total_seconds"] = round(sum(run["wall_seconds"] for run in report["notebooks"].values()), 1)
    return report


def merge_into_previous(report: dict, previous_path: Path) -> dict:
    """Keep the notebooks of an earlier report that this run did not repeat, in course order.

    So ``python -m scripts.reproduce 02_pretext_tasks`` updates one notebook's lines of the
    table. Only a report of the same profile on a machine with the same CPU, core count and
    GPU is merged: timings from different machines do not belong in one table.
    """
    if not previous_path.exists():
        return report
    previous = json.loads(previous_path.read_text())
    same_machine = all(previous["hardware"].get(key) == report["hardware"][key] for key in ("cpu", "cores", "gpu"))
    if previous.get("profile") != report["profile"] or not same_machine:
        print(f"not merging {previous_path}: another profile or machine", file=sys.stderr)
        return report
    order = list(solution_notebooks())
    merged = {**previous["notebooks"], **report["notebooks"]}
    report["notebooks"] = dict(sorted(merged.items(), key=lambda item: order.index(item[0])
                                      if item[0] in order else len(order)))
    return with_total(report)


def _print_outcome(run: NotebookRun) -> None:
    if run.status == "ok":
        print(f"{run.notebook}: ok in {minutes(run.wall_seconds)}, {len(run.metrics)} metrics", flush=True)
    else:
        error = run.error
        print(f"{run.notebook}: FAILED in cell {error['cell']} ({error['first_line']!r}): "
              f"{error['ename'] or error['exception']}: {error['evalue']}", file=sys.stderr, flush=True)


def write_reports(report: dict, output_dir: Path) -> list[Path]:
    """``<profile>.json``, ``.md`` and ``.png`` in ``output_dir``."""
    stem = output_dir / report["profile"]
    json_path, md_path, png_path = (stem.with_suffix(s) for s in (".json", ".md", ".png"))
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    md_path.write_text(full_markdown(report))
    bar_chart(report, png_path)
    return [json_path, md_path, png_path]


def read_report(path: Path) -> dict:
    if not path.exists():
        raise SystemExit(f"{path} does not exist: run the notebooks first (without --tables-only)")
    return json.loads(path.read_text())


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help=f"notebook names (default: all): {', '.join(BUDGETS)}")
    parser.add_argument("--profile", choices=PROFILES, default=None,
                        help="run profile (default: gpu when CUDA is available, else cpu)")
    parser.add_argument("--output-dir", type=Path, default=ROOT / "results")
    parser.add_argument("--skip-tag", action="append", default=[], dest="skip_tags",
                        help="leave out cells with this tag, e.g. needs-hub offline (repeatable)")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds one cell may run")
    parser.add_argument("--tables-only", action="store_true",
                        help="run nothing: rewrite the tables, chart (and README) from <profile>.json")
    parser.add_argument("--fresh", action="store_true",
                        help="do not keep the notebooks of an earlier report that this run skips")
    parser.add_argument("--update-readme", action="store_true",
                        help="write the tables into README.md between the profile's markers")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    profile = args.profile or default_profile()
    if args.tables_only:
        report = read_report(args.output_dir / f"{profile}.json")
    else:
        notebooks = select_notebooks(args.notebooks)
        print(f"reproducing {len(notebooks)} notebook(s) under the {profile} profile", flush=True)
        report = reproduce(profile, notebooks, args.output_dir, args.skip_tags, args.timeout)
        if not args.fresh:
            report = merge_into_previous(report, args.output_dir / f"{profile}.json")
    for path in write_reports(report, args.output_dir):
        print(f"wrote {path}")
    if args.update_readme:
        update_readme(README, profile, summary_markdown(report))
        print(f"updated the {profile} table in {README}")
    missing = missing_headlines(report)
    if missing:
        print(f"warning: headline metrics not recorded: {', '.join(missing)}", file=sys.stderr)
    failed = [name for name, run in report["notebooks"].items() if run["status"] != "ok"]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
