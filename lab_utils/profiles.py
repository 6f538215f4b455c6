"""Run profiles and the budget table: how much data and compute each notebook may use.

Three profiles exist:

* ``smoke``: continuous integration. Tiny subsets, seconds per notebook; numbers are
  meaningless, but every line of code runs.
* ``cpu``: a student without a GPU. A reduced budget that still gives meaningful results
  within minutes on two cores.
* ``gpu``: Colab's GPU or better. The full budget that reproduces the results table.

The profile comes from the ``SSL_LAB_PROFILE`` environment variable; without it, ``gpu`` is
chosen when CUDA is available and ``cpu`` otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

PROFILES: tuple[str, ...] = ("smoke", "cpu", "gpu")
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
    "05_time_series": {
        # Every UCR training set used holds at most 67 series: one batch of 128 is the whole
        # set, so an epoch is one optimiser step and the contrastive loss sees all negatives.
        "smoke": dict(
            ae_epochs=1,
            datasets=("GunPoint", "BasicMotions"),
            encoder_width=8,
            embedding_dim=16,
            pretrain_epochs=1,
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
            batch_size=128,
            rocket_kernels=10_000,
            labels_per_class=(1, 2, 5, 10),
            label_seeds=10,
        ),
    },
}


def resolve_profile(name: str | None = None) -> str:
    """Return the profile to use: ``name``, else ``$SSL_LAB_PROFILE``, else auto-detected.

    Raises:
        UnknownProfileError: if the name (given or from the environment) is not a profile.
    """
    chosen = name if name is not None else os.environ.get(PROFILE_ENV_VAR, "").strip()
    if not chosen:
        import torch  # imported late: choosing a named profile should not need torch

        return "gpu" if torch.cuda.is_available() else "cpu"
    chosen = chosen.lower()
    if chosen not in PROFILES:
        source = "argument" if name is not None else f"environment variable {PROFILE_ENV_VAR}"
        raise UnknownProfileError(
            f"unknown profile {chosen!r} (from the {source}); choose one of "
            f"{', '.join(PROFILES)}, e.g. `export {PROFILE_ENV_VAR}=cpu`, or unset it to "
            "pick gpu/cpu automatically"
        )
    return chosen


def get_budget(notebook: str, profile: str | None = None) -> Budget:
    """Return the budget of ``notebook`` (e.g. ``"01_intro_ssl"``) under ``profile``."""
    if notebook not in BUDGETS:
        raise KeyError(
            f"no budget for notebook {notebook!r}; known notebooks: {', '.join(BUDGETS)}"
        )
    return Budget(BUDGETS[notebook][resolve_profile(profile)])
