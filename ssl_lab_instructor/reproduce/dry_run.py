"""Dry runs of a profile: every notebook with its loops capped, its sizes real.

``python -m ssl_lab_instructor.reproduce --profile gpu --max-steps 2`` runs each notebook with
``SSL_LAB_MAX_STEPS=2`` (:mod:`lab_utils.dry_run`): every line of the gpu profile executes,
on any machine, at the real batch, image, queue and model sizes. The report,
``results/gpu-dryrun.*``, holds what a real run needs and cannot be read off a CPU run of
another profile: the peak memory of each notebook's kernel, the activation memory of its
largest training batch, and the time the gpu profile would take on Colab's T4 (``t4``).
"""

from __future__ import annotations

from .t4 import COLAB_RAM_BYTES, T4_MEMORY_BYTES, add_estimates
from .tables import machine_line, markdown_table, minutes

SUFFIX = "-dryrun"


def report_profile(profile: str, max_steps: int | None) -> str:
    """The name a run's report goes under: ``gpu`` or, for a dry run, ``gpu-dryrun``."""
    return profile + SUFFIX if max_steps else profile


def is_dry_run(report: dict) -> bool:
    return report["profile"].endswith(SUFFIX)


def with_estimates(report: dict) -> dict:
    """Every notebook of a dry-run report with its T4 estimates among its metrics."""
    for run in report["notebooks"].values():
        if run["status"] == "ok":
            add_estimates(run)
    return report


def _gib(mib: float | None) -> str:
    return "-" if mib is None else f"{mib / 1024:.1f} GiB"


def dry_run_rows(report: dict) -> list[tuple[str, ...]]:
    rows = []
    for name, run in report["notebooks"].items():
        metrics = run["metrics"]
        if run["status"] != "ok":
            error = run["error"] or {}
            rows.append((name, f"failed (cell {error.get('cell')}: {error.get('ename')})", *["-"] * 5))
            continue
        activation = metrics.get("dry_run_max_activation_bytes", 0) / 2**20
        rows.append((
            name, "ok", minutes(run["wall_seconds"]), _gib(run["peak_rss_mb"]),
            _gib(activation) if activation else "-",
            _gib(metrics["t4_training_memory_mib"]) if activation else "-",
            f"{metrics['t4_estimate_seconds'] / 60:.1f} min "
            f"({metrics['t4_training_seconds'] / 60:.1f} + {metrics['t4_features_seconds'] / 60:.1f} "
            f"+ {metrics['t4_cpu_side_seconds'] / 60:.1f})",
        ))
    return rows


def dry_run_markdown(report: dict) -> str:
    """The machine line and the table: status, time here, memory, T4 memory and time."""
    header = ("notebook", "dry run", "time here", "peak RAM (Colab: "
              f"{COLAB_RAM_BYTES / 2**30:.1f} GiB)", "largest batch's activations (fp32)",
              f"T4 training memory (of {T4_MEMORY_BYTES / 2**30:.0f} GiB)",
              "T4 estimate (training + features + CPU side)")
    return "\n\n".join([machine_line(report), markdown_table(header, dry_run_rows(report))])
