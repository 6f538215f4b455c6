"""Helpers shared by the self-supervised learning lab's notebooks.

The package holds the course's infrastructure (profiles, data, training loop, evaluation,
plots, checks) and never an exercise's answer.
"""

from . import mps_fallback  # noqa: F401  (first: it sets a variable torch reads when it loads)

# isort: split
from . import keras_dry_run  # noqa: F401  (lab_utils.keras_dry_run.keras_callbacks in 02b)
from .datasets import ImageSet, load_cifar10, load_digits, load_mnist, stratified_indices
from .evaluation import (
    extract_features,
    label_efficiency,
    linear_probe,
    probe_encoder,
    tsne_embed,
)
from .models import SmallCNN, normalize_cifar
from .plotting import save_figure
from .profiles import PROFILES, UnknownProfileError, get_budget, resolve_profile
from .results import record, record_note
from .runtime import RunConfig, seed_everything, setup
from .sources import ChecksumError, DataUnavailableError
from .training import train

__all__ = [
    "PROFILES",
    "ChecksumError",
    "DataUnavailableError",
    "ImageSet",
    "RunConfig",
    "SmallCNN",
    "UnknownProfileError",
    "extract_features",
    "get_budget",
    "label_efficiency",
    "linear_probe",
    "probe_encoder",
    "load_cifar10",
    "load_digits",
    "load_mnist",
    "normalize_cifar",
    "record",
    "record_note",
    "resolve_profile",
    "save_figure",
    "seed_everything",
    "setup",
    "stratified_indices",
    "train",
    "tsne_embed",
]
__version__ = "0.1.0"
