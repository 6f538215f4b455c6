"""Run profiles and the budget table: how much data and compute each notebook may use.

Three profiles exist:

* ``smoke``: continuous integration. Tiny subsets, seconds per notebook; numbers are
  meaningless, but every line of code runs.
* ``cpu``: a student without a GPU. A reduced budget that still gives meaningful results
  within minutes on two cores.
* ``gpu``: Colab's GPU or better. The full budget that reproduces the results table.
* ``mps``: an Apple GPU (M-series Mac). For now the ``cpu`` profile's budget, run on the
  GPU: no M-series Mac has timed the notebooks yet, and an M1's GPU has about a tenth of a
  T4's float16 throughput, so the gpu budget could take hours. Raise it once timed.
* ``pretrain``: the long budget of the course checkpoints (``make pretrain``), for notebooks
  02 to 04 only; never chosen automatically.

The profile comes from the ``SSL_LAB_PROFILE`` environment variable; without it, ``gpu`` is
chosen when CUDA is available, ``mps`` on an Apple GPU and ``cpu`` otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

PROFILES: tuple[str, ...] = ("smoke", "cpu", "gpu", "mps", "pretrain")
# The notebooks that train the course checkpoints, the only ones with a pretrain budget.
PRETRAIN_NOTEBOOKS = ("02_pretext_tasks", "03_simclr", "04_mae_dinov2")
PROFILE_ENV_VAR = "SSL_LAB_PROFILE"


class UnknownProfileError(ValueError):
    """Raised for a profile name that is not one of :data:`PROFILES`."""


class Budget(Mapping[str, Any]):
    """A read-only budget whose entries are also attributes: ``budget.epochs``."""

    def __init__(self, entries: Mapping[str, Any]) -> None:
        self._entries = dict(entries)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._entries[name]
        except KeyError:
            raise AttributeError(
                f"this budget has no entry {name!r}; it has: {', '.join(self._entries)}"
            ) from None

    def __getitem__(self, key: str) -> Any:
        return self._entries[key]

    def __iter__(self):
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self._entries.items())


# One entry per notebook, one budget per profile. Every profile of a notebook has the same
# keys, so notebook code never branches on the profile name.
BUDGETS: dict[str, dict[str, dict[str, Any]]] = {
    "01_intro_ssl": {
        "smoke": dict(
            rotation_epochs=3,
            hidden_units=32,
            mnist_train=1_000,
            mnist_test=500,
            ae_epochs=1,
            batch_size=128,
            label_sizes=(10, 100),
            label_seeds=2,
        ),
        "cpu": dict(
            rotation_epochs=60,
            hidden_units=32,
            mnist_train=20_000,
            mnist_test=5_000,
            ae_epochs=30,
            batch_size=128,
            label_sizes=(10, 100, 1_000),
            label_seeds=10,
        ),
        "gpu": dict(
            rotation_epochs=60,
            hidden_units=32,
            mnist_train=60_000,
            mnist_test=10_000,
            ae_epochs=30,
            batch_size=256,
            label_sizes=(10, 100, 1_000),
            label_seeds=10,
        ),
    },
    # The probe's sizes come from lab_utils.protocol.PROBE_SIZES, the same for every notebook.
    "02_pretext_tasks": {
        # Every method trains for the same number of optimiser steps with the same number of
        # images through the backbone per step (rotation: a quarter of them, turned 4 ways).
        "smoke": dict(
            pretrain_images=256,
            batch_size=64,
            lr=2e-3,
            steps=4,
            tsne_points=200,
            label_sizes=(10, 100),
            label_seeds=2,
            label_steps=2,
            label_epochs=1,
            label_batch_size=32,
        ),
        "cpu": dict(
            pretrain_images=10_000,
            batch_size=128,
            lr=2e-3,
            steps=300,
            tsne_points=1_000,
            # Label efficiency: 1, 10 and 100 labels per class, then the whole probe set. The
            # network trained from scratch on the labels takes label_epochs passes over those
            # not held out to stop it early, at least label_steps steps (5,000 labels: 188
            # steps of 64), so its training grows with its labels.
            label_sizes=(10, 100, 1_000),
            label_seeds=3,
            label_steps=40,
            label_epochs=3,
            label_batch_size=64,
        ),
        "gpu": dict(
            pretrain_images=50_000,
            batch_size=256,
            lr=2e-3,
            steps=6_000,
            tsne_points=2_000,
            label_sizes=(10, 100, 1_000),
            label_seeds=3,
            label_steps=500,
            label_epochs=30,
            label_batch_size=128,
        ),
        # 7,820 steps of 256 images: 10 epochs of the 50,000 images for rotation, which sees a
        # quarter of them per step (in four rotations), 40 for the other methods. Hours on two
        # CPU cores, so `make pretrain` saves its state every few minutes and resumes.
        "pretrain": dict(
            pretrain_images=50_000,
            batch_size=256,
            lr=2e-3,
            steps=7_820,
            tsne_points=2_000,
            label_sizes=(10, 100, 1_000),
            label_seeds=3,
            label_steps=500,
            label_epochs=30,
            label_batch_size=128,
        ),
    },
    "02b_rotnet_keras": {
        # Every downstream model (RotNet frozen or fine-tuned, random layers frozen, from
        # scratch) trains by one rule: Adam steps of 32 digits, `label_epochs` passes over its
        # labels but never fewer than `min_steps`, scored `evaluations` times on a held-out
        # `holdout_fraction` of the labels; the best weights are kept and training stops after
        # `patience` scores without gain. So the steps grow with the labels, for every arm.
        "smoke": dict(
            unlabeled_images=500,
            test_images=300,
            rotation_epochs=1,
            label_sizes=(10, 100),
            headline_labels=100,
            seeds=1,
            holdout_fraction=0.2,
            label_epochs=2,
            min_steps=20,
            evaluations=4,
            patience=2,
        ),
        "cpu": dict(
            unlabeled_images=10_000,
            test_images=2_000,
            rotation_epochs=5,
            label_sizes=(10, 100, 1_000),
            headline_labels=1_000,
            seeds=3,
            holdout_fraction=0.2,
            label_epochs=30,
            min_steps=300,
            evaluations=10,
            patience=3,
        ),
        "gpu": dict(
            unlabeled_images=10_000,
            test_images=10_000,
            rotation_epochs=30,
            label_sizes=(10, 100, 1_000, 3_000),
            headline_labels=1_000,
            seeds=3,
            holdout_fraction=0.2,
            label_epochs=50,
            min_steps=500,
            evaluations=10,
            patience=3,
        ),
    },
    "03_simclr": {
        # Every method (SimCLR at each temperature, MoCo, BYOL, VICReg) trains with the same
        # images, steps, batch size, optimiser and schedule, so the table compares like with like.
        # train_size: the side of the training views in pixels. Below 32, views are
        # downsampled to it and the backbones' BatchNorm statistics are re-estimated at 32
        # pixels before probing (FixRes); the smoke profile runs that path. label_sizes: 1,
        # 10 and 100 labels per class and the whole probe set (smoke: 1 and 10 per class).
        "smoke": dict(
            train_images=128,
            steps=1,
            train_size=16,
            recalibration_images=128,
            batch_size=128,
            lr=2e-3,
            weight_decay=1e-4,
            warmup_fraction=0.1,
            temperature=0.5,
            temperatures=(0.1, 0.5, 1.0),
            queue_size=256,
            momentum=0.99,
            moco_temperature=0.2,
            tsne_points=200,
            histogram_images=128,
            label_sizes=(10, 100),
            label_seeds=2,
            label_steps=2,
            label_epochs=1,
            label_batch_size=32,
        ),
        "cpu": dict(
            train_images=10_000,
            # 16-pixel views: a step costs 3.4-4.9x less than at 32 pixels on two CPU cores
            # (benchmarks.step), so 400 steps (10 epochs) take the minutes of 100 at 32 pixels
            # and probe better at 32 pixels under both probes (benchmarks.fixres, three seeds).
            steps=400,
            train_size=16,
            recalibration_images=2_560,
            batch_size=256,
            lr=2e-3,
            weight_decay=1e-4,
            warmup_fraction=0.1,
            temperature=0.5,
            # No temperature ablation: each run costs as much as a method and would take
            # notebook 03 past 15 minutes on two cores.
            temperatures=(0.5,),
            queue_size=4_096,
            momentum=0.99,
            moco_temperature=0.2,
            tsne_points=1_000,
            histogram_images=512,
            label_sizes=(10, 100, 1_000, 5_000),
            label_seeds=3,
            # The network trained from scratch on the labels takes label_epochs passes over
            # them (those not held out to stop it early), at least label_steps steps: its
            # training grows with its labels, so its curve can rise with them.
            label_steps=100,
            label_epochs=8,
            label_batch_size=64,
        ),
        "gpu": dict(
            train_images=50_000,
            steps=4_000,
            train_size=32,
            recalibration_images=10_000,
            batch_size=512,
            lr=3e-3,
            weight_decay=1e-4,
            warmup_fraction=0.05,
            temperature=0.5,
            temperatures=(0.1, 0.5, 1.0),
            queue_size=16_384,
            momentum=0.99,
            moco_temperature=0.2,
            tsne_points=2_000,
            histogram_images=1_024,
            label_sizes=(10, 100, 1_000, 5_000),
            label_seeds=3,
            label_steps=1_000,
            label_epochs=30,
            label_batch_size=128,
        ),
        # 9,775 steps of 256 pairs: 50 epochs of the 50,000 images, five times the seed's 10.
        # About an hour per method on two CPU cores (20 epochs there gave SimCLR 63.8 %), minutes
        # on a GPU; `make pretrain` saves its state every few minutes and resumes.
        "pretrain": dict(
            train_images=50_000,
            steps=9_775,
            train_size=32,
            recalibration_images=10_000,
            batch_size=256,
            lr=2e-3,
            weight_decay=1e-4,
            warmup_fraction=0.05,
            temperature=0.5,
            temperatures=(0.5,),
            queue_size=16_384,
            momentum=0.99,
            moco_temperature=0.2,
            tsne_points=2_000,
            histogram_images=1_024,
            label_sizes=(10, 100, 1_000, 5_000),
            label_seeds=3,
            label_steps=1_000,
            label_epochs=30,
            label_batch_size=128,
        ),
    },
    # Parts A/B probe pretrained ViTs on a class-balanced part of the protocol's probe sets
    # (all of them in the gpu profile), fed at `pretrained_scale` times their native 224
    # pixels (half the side is a quarter of the compute: ViT-B on a CPU needs it). Part C
    # trains a ViT-MAE on 32x32 images cut into 4x4 patches.
    "04_mae_dinov2": {
        "smoke": dict(
            pretrained_probe_train=100,
            pretrained_probe_test=100,
            pretrained_scale=0.5,
            attention_images=4,
            mae_train_images=256,
            mae_steps=2,
            mae_batch_size=128,
            mae_dim=32,
            mae_depth=1,
            mae_heads=2,
            mae_decoder_dim=32,
            mae_decoder_depth=1,
            mae_lr=1.5e-3,
            finetune_sizes=(20,),
            finetune_seeds=1,
            finetune_steps=2,
            finetune_epochs=1,
            finetune_batch_size=16,
            finetune_lr=5e-4,
            finetune_test_images=100,
            dino_train_images=256,
            dino_steps=2,
            dino_batch_size=32,
            dino_prototypes=64,
            dino_local_crops=2,
            dino_lr=2e-3,
            dino_momentum=0.99,
        ),
        "cpu": dict(
            pretrained_probe_train=1_000,
            pretrained_probe_test=1_000,
            pretrained_scale=0.5,
            attention_images=4,
            mae_train_images=10_000,
            mae_steps=120,
            mae_batch_size=256,
            mae_dim=128,
            mae_depth=4,
            mae_heads=4,
            mae_decoder_dim=64,
            mae_decoder_depth=2,
            mae_lr=3e-4,  # in ~120 steps a probe of 0.34-0.36, against 0.29 at 1.5e-3 (measured before new_mae gave the ViT its positions)
            # Fine-tuning on few labels, MAE's own protocol: the encoder and a linear head train
            # end to end, finetune_epochs passes over the labels (at least finetune_steps
            # steps), scored on a class-balanced part of the probe's test images.
            finetune_sizes=(100, 1_000),
            finetune_seeds=3,
            finetune_steps=40,
            finetune_epochs=5,
            finetune_batch_size=64,
            finetune_lr=5e-4,
            finetune_test_images=2_000,
            # Part D trains DINO on the course's SmallCNN with the student's loss, at the
            # budget of notebook 03's methods (images, steps, batch, learning rate, momentum).
            dino_train_images=10_000,
            dino_steps=100,
            dino_batch_size=256,
            dino_prototypes=256,
            dino_local_crops=4,
            dino_lr=2e-3,
            dino_momentum=0.99,
        ),
        "gpu": dict(
            pretrained_probe_train=10_000,
            pretrained_probe_test=10_000,
            pretrained_scale=1.0,
            attention_images=6,
            mae_train_images=50_000,
            mae_steps=10_000,
            mae_batch_size=512,
            mae_dim=192,
            mae_depth=6,
            mae_heads=3,
            mae_decoder_dim=128,
            mae_decoder_depth=2,
            mae_lr=1.5e-3,
            finetune_sizes=(100, 1_000),
            finetune_seeds=3,
            finetune_steps=300,
            finetune_epochs=30,
            finetune_batch_size=128,
            finetune_lr=5e-4,
            finetune_test_images=10_000,
            dino_train_images=50_000,
            dino_steps=4_000,
            dino_batch_size=512,
            dino_prototypes=1_024,
            dino_local_crops=6,
            dino_lr=3e-3,
            dino_momentum=0.996,
        ),
        "pretrain": dict(
            pretrained_probe_train=10_000,
            pretrained_probe_test=10_000,
            pretrained_scale=1.0,
            attention_images=6,
            # The cpu profile's ViT (a 1.8 MB checkpoint, where the gpu profile's is 6 MB) at
            # its learning rate, 100 epochs of all 50,000 images (19,600 steps; MAE itself trains
            # for 800 to 1,600): the notebook compares the same network trained briefly and for
            # longer. About 2.5 hours on two CPU cores (10 epochs there gave a 45.9 % probe).
            mae_train_images=50_000,
            mae_steps=19_600,
            mae_batch_size=256,
            mae_dim=128,
            mae_depth=4,
            mae_heads=4,
            mae_decoder_dim=64,
            mae_decoder_depth=2,
            mae_lr=3e-4,
            finetune_sizes=(100, 1_000),
            finetune_seeds=3,
            finetune_steps=300,
            finetune_epochs=30,
            finetune_batch_size=128,
            finetune_lr=5e-4,
            finetune_test_images=10_000,
            # no DINO checkpoint is made: Part D runs at the cpu profile's budget
            dino_train_images=10_000,
            dino_steps=100,
            dino_batch_size=256,
            dino_prototypes=256,
            dino_local_crops=4,
            dino_lr=2e-3,
            dino_momentum=0.99,
        ),
    },
    "05_time_series": {
        # Every UCR training set used holds at most 67 series: one batch of 128 is the whole
        # set, so an epoch is one optimiser step and the contrastive loss sees all negatives.
        "smoke": dict(
            ae_epochs=1,
            datasets=("GunPoint", "BasicMotions"),
            encoder_width=8,
            embedding_dim=16,
            pretrain_epochs=1,
            hierarchical_epochs=1,
            pretrain_seeds=3,
            batch_size=128,
            rocket_kernels=100,
            labels_per_class=(2,),
            label_seeds=2,
        ),
        "cpu": dict(
            ae_epochs=60,
            datasets=("GunPoint", "ItalyPowerDemand", "ArrowHead", "BasicMotions"),
            encoder_width=32,
            embedding_dim=64,
            pretrain_epochs=300,
            # TS2Vec's loss contrasts every pair of time steps of a series: a step costs
            # several times a step of InfoNCE, so fewer of them.
            hierarchical_epochs=100,
            pretrain_seeds=3,
            batch_size=128,
            rocket_kernels=10_000,
            labels_per_class=(1, 2, 5),
            label_seeds=5,
        ),
        "gpu": dict(
            ae_epochs=100,
            datasets=("GunPoint", "ItalyPowerDemand", "ArrowHead", "BasicMotions"),
            encoder_width=64,
            embedding_dim=128,
            pretrain_epochs=600,
            hierarchical_epochs=300,
            pretrain_seeds=3,
            batch_size=128,
            rocket_kernels=10_000,
            labels_per_class=(1, 2, 5, 10),
            label_seeds=10,
        ),
    },
}


# The Apple GPU's budgets: the cpu profile's, until an M-series Mac has timed the notebooks.
for _budgets in BUDGETS.values():
    _budgets["mps"] = dict(_budgets["cpu"])


def resolve_profile(name: str | None = None) -> str:
    """Return the profile to use: ``name``, else ``$SSL_LAB_PROFILE``, else auto-detected.

    Raises:
        UnknownProfileError: if the name (given or from the environment) is not a profile.
    """
    chosen = name if name is not None else os.environ.get(PROFILE_ENV_VAR, "").strip()
    if not chosen:
        import torch  # imported late: choosing a named profile should not need torch

        if torch.cuda.is_available():
            return "gpu"
        return "mps" if torch.backends.mps.is_available() else "cpu"
    chosen = chosen.lower()
    if chosen not in PROFILES:
        source = "argument" if name is not None else f"environment variable {PROFILE_ENV_VAR}"
        raise UnknownProfileError(
            f"unknown profile {chosen!r} (from the {source}); choose one of "
            f"{', '.join(PROFILES)}, e.g. `export {PROFILE_ENV_VAR}=cpu`, or unset it to "
            "pick gpu/mps/cpu automatically"
        )
    return chosen


def get_budget(notebook: str, profile: str | None = None) -> Budget:
    """Return the budget of ``notebook`` (e.g. ``"01_intro_ssl"``) under ``profile``."""
    if notebook not in BUDGETS:
        raise KeyError(
            f"no budget for notebook {notebook!r}; known notebooks: {', '.join(BUDGETS)}"
        )
    chosen = resolve_profile(profile)
    if chosen not in BUDGETS[notebook]:
        raise UnknownProfileError(
            f"notebook {notebook!r} has no {chosen!r} budget: the pretrain profile trains the "
            f"course checkpoints of {', '.join(PRETRAIN_NOTEBOOKS)} only; use smoke, cpu or gpu"
        )
    return Budget(BUDGETS[notebook][chosen])
