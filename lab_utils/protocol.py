"""The course's CIFAR-10 evaluation protocol, shared by every notebook so tables compare.

Frozen backbone features, standardised, a logistic-regression probe trained on one fixed
class-balanced labelled subset of the training images and scored on a fixed test subset
(all 10,000 test images in the gpu profile). Beside it, on the same features, the weighted
k-NN of :func:`lab_utils.evaluation.knn_accuracy` (k = 20, T = 0.07), which fits nothing.
"""

from __future__ import annotations

import torch
from torch import nn

from .datasets import ImageSet, load_cifar10
from .evaluation import extract_features, knn_accuracy, linear_probe, probe_encoder
from .models import normalize_cifar
from .profiles import resolve_profile

# (labelled training images, test images) of the probe, per profile.
PROBE_SIZES: dict[str, tuple[int, int]] = {
    "smoke": (500, 500),
    "cpu": (5_000, 5_000),
    "gpu": (10_000, 10_000),
    "pretrain": (10_000, 10_000),
}
PROBE_SEED = 0


def cifar10_probe_sets(profile: str | None = None) -> tuple[ImageSet, ImageSet]:
    """The labelled training subset and the test subset of the probe under ``profile``."""
    n_train, n_test = PROBE_SIZES[resolve_profile(profile)]
    return (load_cifar10("train", limit=n_train, seed=PROBE_SEED),
            load_cifar10("test", limit=n_test, seed=PROBE_SEED))


def evaluate_backbone(backbone: nn.Module, probe_train: ImageSet, probe_test: ImageSet) -> float:
    """Linear-probe test accuracy of a frozen CIFAR-10 backbone mapping images to ``(N, D)``.

    The images are moved to the backbone's device and standardised with
    :func:`lab_utils.models.normalize_cifar` batch by batch.
    """
    device = next(backbone.parameters()).device
    return probe_encoder(backbone, probe_train.images.to(device), probe_train.labels,
                         probe_test.images.to(device), probe_test.labels,
                         preprocess=normalize_cifar)


def backbone_scores(backbone: nn.Module, probe_train: ImageSet, probe_test: ImageSet
                    ) -> dict[str, float]:
    """``{"linear": probe accuracy, "knn": weighted k-NN accuracy}`` of a frozen backbone.

    Both read the same features, extracted once: the k-NN costs a matrix product more.
    """
    device = next(backbone.parameters()).device
    train_x, test_x = (extract_features(backbone, images.images.to(device), preprocess=normalize_cifar)
                       for images in (probe_train, probe_test))
    return {"linear": linear_probe(train_x, probe_train.labels, test_x, probe_test.labels),
            "knn": knn_accuracy(train_x, probe_train.labels, test_x, probe_test.labels)}


def random_baseline(probe_train: ImageSet, probe_test: ImageSet, seed: int = 0,
                    device: torch.device | str = "cpu") -> float:
    """The probe accuracy of a randomly initialised :class:`~lab_utils.models.SmallCNN`."""
    from .models import SmallCNN

    torch.manual_seed(seed)
    return evaluate_backbone(SmallCNN().to(device), probe_train, probe_test)
