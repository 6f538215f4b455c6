"""Record a notebook's metrics (and notes on them) so that the benchmark can collect one results table."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from . import dry_run
from .paths import results_dir
from .runtime import current_run


def results_file(notebook: str, profile: str) -> Path:
    """The JSON file holding ``notebook``'s metrics under ``profile``.

    A dry run (:mod:`lab_utils.dry_run`) writes ``<notebook>.<profile>-dryrun.json``: its
    numbers must never mix with a real run's.
    """
    suffix = "-dryrun" if dry_run.active() else ""
    return results_dir() / f"{notebook}.{profile}{suffix}.json"


def record_dry_run_costs() -> None:
    """Write a dry run's running cost totals (:data:`lab_utils.dry_run.costs`) as metrics of the
    current notebook, ``dry_run_<total>``; nothing before :func:`lab_utils.setup`."""
    if current_run() is None:
        return
    for name, value in asdict(dry_run.costs).items():
        record(f"dry_run_{name}", float(value), quiet=True)


def record(name: str, value: float, quiet: bool = False) -> float:
    """Store metric ``name`` of the running notebook (after :func:`lab_utils.setup`).

    Values are merged into ``results/runs/<notebook>.<profile>.json``; recording the same
    name again overwrites it. Returns ``value`` so it can be used inline. ``quiet`` skips
    the printed line.
    """
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"metric {name!r} is {number}; record only finite numbers")
    _store("metrics", name, number)
    if not quiet:
        print(f"recorded {name} = {number:.4g}")
    return number


def record_note(name: str, text: str) -> str:
    """Store a note that qualifies the running notebook's metrics, such as their data source.

    ``lab_utils.record_note("mnist_source", mnist_train.source)`` tells the results table
    whether MNIST figures come from the full data set or from the offline fallback. Notes are
    merged like metrics; returns ``text``.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"note {name!r} must be a non-empty string, got {text!r}")
    _store("notes", name, text)
    print(f"noted {name}: {text}")
    return text


def _store(kind: str, name: str, value: float | str) -> None:
    """Merge ``value`` under ``kind`` ("metrics" or "notes") into the run's results file."""
    run = current_run()
    if run is None:
        raise RuntimeError(f"call lab_utils.setup('<notebook>') before recording {name!r}")
    path = results_file(run.notebook, run.profile)
    data = json.loads(path.read_text()) if path.exists() else {"metrics": {}}
    data.update(
        notebook=run.notebook,
        profile=run.profile,
        seed=run.seed,
        device=str(run.device),
        updated=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    data.setdefault(kind, {})[name] = value
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def metric_slug(text: str) -> str:
    """A metric-name-safe form of a label: ``"SimCLR (tau=0.1)"`` -> ``"simclr_tau_0_1"``."""
    words = "".join(c.lower() if c.isalnum() else " " for c in text).split()
    return "_".join(words)
