"""Train the course checkpoints: run notebooks 02-04 under the long ``pretrain`` profile.

    python -m ssl_lab_instructor.pretrain                      # 03, 02 and 04, in that order
    python -m ssl_lab_instructor.pretrain 03_simclr            # one notebook
    make pretrain                                   # the same, from the Makefile

Each solution notebook runs in its own kernel, cell by cell, exactly as a student runs it
but with the ``pretrain`` budget (cells tagged ``needs-hub`` are skipped). As soon as the
cell that trains a backbone has run, its weights are saved as a course checkpoint
(:mod:`lab_utils.checkpoints`) with the budget, the commit, the machine, the training
time and the backbone's linear-probe accuracy on the ``pretrain`` probe sets (10,000
labelled and 10,000 test images). A crash later in a notebook keeps what was saved.
The checkpoints are trained by the notebooks' own code: there is no second copy of any
method to drift apart from what students see.

    python -m ssl_lab_instructor.pretrain --update-readme      # only rewrite the README's table

``--update-readme`` writes the README's table of checkpoints (between
``<!-- checkpoints:start -->`` and ``<!-- checkpoints:end -->``) from the registry.

Training is resumable, so it can run in the background over several working sessions:
every training run saves its full state every few minutes under ``pretrain-state/``
(``--resume-dir``; :mod:`lab_utils.resume`), and ``make pretrain`` run again continues each
run where it stopped and only loads those that finished, with the result of one
uninterrupted run. The registry records each checkpoint's epochs, its training wall time
summed over the sessions, and the machines it trained on. Delete ``pretrain-state/`` to
train from the start. The registry's commit is git's, or ``$SSL_LAB_COMMIT`` where set (for
a copy of the course whose ``.git`` is not its tree's).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
PROFILE = "pretrain"
CELL_TIMEOUT_S = 24 * 3600
RESUME_DIR = ROOT / "pretrain-state"


@dataclass(frozen=True)
class Export:
    """A backbone a notebook trains, and how to describe it.

    Attributes:
        name: the checkpoint's name (``lab_utils/course_checkpoints/<name>.pt``).
        variable: the notebook variable that holds the trained model.
        module: an expression, in the notebook's namespace, of the module to save.
        method: a label for tables.
        steps, images_per_step, images: expressions of the budget (optimiser steps, distinct
            images per step, distinct training images).
        probe: an expression of the module the probe reads features from.
    """

    name: str
    variable: str
    module: str
    method: str
    steps: str
    images_per_step: str
    images: str
    probe: str
    architecture: str = "SmallCNN"


def _cnn(name: str, variable: str, method: str, images_per_step: str = "budget.batch_size",
         images: str = "len(unlabeled)") -> Export:
    return Export(name, variable, f"{variable}.backbone", method, "budget.steps", images_per_step,
                  images, f"{variable}.backbone")


PLAN: dict[str, tuple[Export, ...]] = {
    "02_pretext_tasks": (
        _cnn("supervised", "supervised", "supervised (labels)"),
        _cnn("rotation", "rotation_model", "rotation", images_per_step="budget.batch_size // 4"),
        _cnn("jigsaw", "jigsaw_model", "jigsaw"),
        _cnn("colorization", "colorization_model", "colorization"),
    ),
    "03_simclr": (
        _cnn("simclr", "simclr", "SimCLR", images="len(train_images)"),
        _cnn("moco", "moco", "MoCo", images="len(train_images)"),
        _cnn("byol", "byol", "BYOL", images="len(train_images)"),
    ),
    "04_mae_dinov2": (
        Export("mini_mae", "mini_mae", "mini_mae", "mini-MAE", "budget.mae_steps",
               "budget.mae_batch_size", "len(mae_images)", "vit.MAEEncoder(mini_mae)",
               architecture="ViTMAEForPreTraining"),
    ),
}


def git_commit() -> str | None:
    """The current commit, with ``+dirty`` when tracked files differ from it."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+dirty" if dirty else "")


def hardware() -> str:
    """The machine, e.g. ``"AMD EPYC (2 cores), no GPU"``."""
    import torch

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{cpu} ({os.cpu_count()} cores), {gpu}"


def export_code(export: Export, seconds: float, commit: str | None, machine: str,
                profile: str = PROFILE) -> str:
    """Code run in the notebook's kernel to probe and save one trained backbone."""
    config = ("{k: v for k, v in mini_mae.config.to_diff_dict().items() "
              "if k not in ('transformers_version', 'architectures')}"
              if export.architecture != "SmallCNN" else "None")
    return f"""
import lab_utils.checkpoints as _checkpoints
from lab_utils import protocol as _protocol, resume as _resume
_sets = _protocol.cifar10_probe_sets({profile!r})
_accuracy = _protocol.evaluate_backbone({export.probe}, *_sets)
_steps, _per_step, _images = {export.steps}, {export.images_per_step}, {export.images}
# the training run that made it, over all its sessions (the cell's own time when it did not resume)
_run = _resume.finished_runs[-1] if _resume.finished_runs else None
if _run is not None and _run.steps != _steps:
    raise RuntimeError(f"the last finished training run, {{_run.desc!r}}, took {{_run.steps}} steps, "
                       f"not the {{_steps}} of {export.name!r}: which run trained it is unknown")
_seconds = {seconds:.1f} if _run is None else round(_run.seconds, 1)
_machines = {machine!r} if _run is None else " + ".join(_run.machines)
_saved = _checkpoints.save(
    {export.name!r}, {export.module}, method={export.method!r}, architecture={export.architecture!r},
    budget=dict(steps=_steps, batch_size=_per_step, images=_images,
                epochs=round(_steps * _per_step / _images, 2)),
    probe_accuracy=_accuracy,
    probe=f"linear probe, {{len(_sets[0]):,}} labelled / {{len(_sets[1]):,}} test images",
    commit={commit!r}, hardware=_machines, train_seconds=_seconds, config={config},
    sessions=None if _run is None else _run.sessions)
print(f"saved course checkpoint {export.name}: probe {{_accuracy:.4f}}, {{_saved.describe()}}, "
      f"{{_seconds / 60:.0f}} min of training on {{_machines}}")
"""


def assigns(cell_source: str, variable: str) -> bool:
    """Whether a cell binds ``variable`` at its top level (``variable = ...``)."""
    return re.search(rf"^{re.escape(variable)}\s*=", cell_source, flags=re.MULTILINE) is not None


def run_notebook(path: Path, exports: Sequence[Export], output: Path, commit: str | None,
                 machine: str, profile: str = PROFILE, resume_dir: Path = RESUME_DIR) -> list[str]:
    """Execute notebook ``path`` under ``profile``, saving ``exports`` as they are trained.

    Its training runs save their state under ``resume_dir/<notebook>/`` and continue from it.
    Returns the names of the checkpoints saved.
    """
    from lab_utils.resume import MACHINE_ENV_VAR, RESUME_DIR_ENV_VAR

    name = path.stem
    notebook = nbformat.read(path, as_version=4)
    pending = list(exports)
    outputs = Path(tempfile.mkdtemp(prefix=f"pretrain-{name}-"))
    env = {**os.environ, "SSL_LAB_PROFILE": profile, "SSL_LAB_CHECKPOINT_DIR": str(output),
           "SSL_LAB_RESULTS_DIR": str(outputs / "results"),
           "SSL_LAB_FIGURES_DIR": str(outputs / "figures"), "MPLBACKEND": "Agg",
           RESUME_DIR_ENV_VAR: str(resume_dir / name), MACHINE_ENV_VAR: machine}
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}, env=env)
    saved: list[str] = []
    with client.setup_kernel(env=env):
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code" or "needs-hub" in cell.metadata.get("tags", []):
                continue
            started = time.perf_counter()
            client.execute_cell(cell, index)
            seconds = time.perf_counter() - started
            print(f"[{name}] cell {index} ran in {seconds:.0f} s", flush=True)
            for export in [e for e in pending if assigns(cell.source, e.variable)]:
                probe = nbformat.v4.new_code_cell(export_code(export, seconds, commit, machine,
                                                              profile))
                client.execute_cell(probe, index)
                print(f"[{name}] " + "".join(o.get("text", "") for o in probe.outputs), flush=True)
                pending.remove(export)
                saved.append(export.name)
            if not pending:
                break
    return saved


CHECKPOINT_ORDER = [export.name for exports in PLAN.values() for export in exports]


def checkpoints_markdown(entries: dict) -> str:
    """The README's table of course checkpoints: budget, probe accuracy, where they were made."""
    from ssl_lab_instructor.reproduce.tables import markdown_table

    rows = []
    for name in sorted(entries, key=lambda n: CHECKPOINT_ORDER.index(n) if n in CHECKPOINT_ORDER else 99):
        entry = entries[name]
        minutes = "-" if entry.train_seconds is None else f"{entry.train_seconds / 60:.0f} min"
        rows.append((entry.method, f"{100 * entry.probe_accuracy:.1f} %", entry.describe(), minutes,
                     f"`{entry.commit}`", entry.hardware))
    probes = sorted({entry.probe for entry in entries.values()})
    header = ("checkpoint", "linear probe", "budget", "training time", "commit", "trained on")
    return f"Probe: {'; '.join(probes)}.\n\n" + markdown_table(header, rows)


def update_readme(entries: dict, readme: Path = ROOT / "README.md") -> None:
    from ssl_lab_instructor.reproduce.readme import update_readme as replace_block

    replace_block(readme, "checkpoints", checkpoints_markdown(entries), kind="")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                        help=f"notebooks to run, of {', '.join(PLAN)} (default: all, 03 first)")
    parser.add_argument("--output", type=Path, default=None,
                        help="checkpoint folder (default: lab_utils/course_checkpoints)")
    parser.add_argument("--resume-dir", type=Path, default=RESUME_DIR,
                        help="where training runs save their state and continue from it "
                             "(default: pretrain-state/; delete it to train from the start)")
    parser.add_argument("--update-readme", action="store_true",
                        help="train nothing: write the README's table of checkpoints from the registry")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    from lab_utils.checkpoints import CHECKPOINT_DIR

    args = parse_args(argv)
    unknown = sorted(set(args.notebooks) - set(PLAN))
    if unknown:
        print(f"unknown notebooks {', '.join(unknown)}; choose from {', '.join(PLAN)}")
        return 2
    output = (args.output or CHECKPOINT_DIR).resolve()
    if args.update_readme:
        from lab_utils.checkpoints import registry

        update_readme(registry(output))
        print("updated the table of course checkpoints in README.md")
        return 0
    # A copy of the course whose .git is missing or not its tree's (one sent to a rented GPU
    # machine, say) names its commit in SSL_LAB_COMMIT.
    commit, machine = os.environ.get("SSL_LAB_COMMIT", "").strip() or git_commit(), hardware()
    print(f"course checkpoints into {output}, commit {commit}, {machine}; training state in "
          f"{args.resume_dir.resolve()} (run again to continue after a stop)")
    for name in args.notebooks or ["03_simclr", "02_pretext_tasks", "04_mae_dinov2"]:
        started = time.perf_counter()
        path = next(ROOT.glob(f"solutions/*/{name}.ipynb"))
        saved = run_notebook(path, PLAN[name], output, commit, machine,
                             resume_dir=args.resume_dir.resolve())
        print(f"[{name}] saved {', '.join(saved)} in {(time.perf_counter() - started) / 60:.1f} min")
    print(json.dumps({n: round(e["probe_accuracy"], 4) for n, e in
                      json.loads((output / "registry.json").read_text()).items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
