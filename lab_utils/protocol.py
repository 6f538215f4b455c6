"""The course's CIFAR-10 evaluation protocol, shared by every notebook so tables compare.

Frozen backbone features, standardised, a logistic-regression probe trained on one fixed
class-balanced labelled subset of the training images and scored on a fixed test subset
(all 10,000 test images in the gpu profile). Beside it, on the same features, the weighted
k-NN of :func:`lab_utils.evaluation.knn_accuracy` (k = 20, T = 0.07), which fits nothing.
Against the number of labels, :func:`frozen_label_efficiency` gives both curves of a frozen
backbone and :func:`fine_tune_accuracy` the honest alternatives: a network trained from
scratch on the labels, or a pretrained one fine-tuned on them with the same recipe.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .datasets import ImageSet, load_cifar10
from .evaluation import (
    ArrayLike,
    extract_features,
    holdout_split,
    knn_accuracy,
    label_efficiency,
    linear_probe,
    probe_encoder,
)
from .models import normalize_cifar
from .profiles import Budget, resolve_profile

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


def frozen_label_efficiency(backbone: nn.Module, probe_train: ImageSet, probe_test: ImageSet,
                            sizes: Sequence[int], seeds: int
                            ) -> dict[str, dict[int, tuple[float, float]]]:
    """Linear probe and weighted k-NN of a frozen backbone against the number of labels.

    The features of the probe sets are extracted once; for each size ``n`` and seed a
    class-balanced subset of ``n`` labelled images trains the probe (the k-NN only looks
    its neighbours up there), scored on all of ``probe_test``. A size of the whole
    ``probe_train`` (or more) is the whole set for every seed, so it is scored once, with
    spread 0.

    Returns:
        ``{"linear": {n: (mean, std over seeds)}, "knn": {n: (mean, std)}}``.
    """
    device = next(backbone.parameters()).device
    train_x, test_x = (extract_features(backbone, images.images.to(device), preprocess=normalize_cifar)
                       for images in (probe_train, probe_test))
    sets = (train_x, probe_train.labels, test_x, probe_test.labels)
    curves = {}
    for metric, probe in (("linear", linear_probe), ("knn", knn_accuracy)):
        curve = label_efficiency(*sets, sizes=[n for n in sizes if n < len(probe_train)],
                                 seeds=seeds, probe=probe)
        if any(n >= len(probe_train) for n in sizes):  # every seed draws the whole set: one score
            curve[len(probe_train)] = (probe(*sets), 0.0)
        curves[metric] = dict(sorted(curve.items()))
    return curves


def fine_tune_accuracy(
    make_model: Callable[[], nn.Module],
    images: torch.Tensor,
    labels: torch.Tensor,
    test_images: torch.Tensor,
    test_labels: torch.Tensor,
    seed: int = 0,
    *,
    epochs: float,
    min_steps: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    held_out: float = 0.2,
    desc: str = "fine-tune",
) -> float:
    """Test accuracy of a whole network trained end to end on a few labelled images.

    The one recipe behind "trained from scratch" (``make_model`` builds a randomly
    initialised network) and "fine-tuned" (it copies a pretrained encoder under a new head):
    both get the same steps, augmentations and optimiser, so the gap between them is what
    the initialisation brings. The training grows with the labels (``epochs`` passes over
    those not held out, at least ``min_steps`` steps, :func:`~lab_utils.training.scaled_steps`);
    a class-balanced ``held_out`` fraction of the labels scores the network every tenth of
    the run and the weights of its best score are kept
    (:class:`~lab_utils.training.EarlyStopping`). With one label per class nothing can be
    held out and the network trains for all its steps. The test images choose nothing.

    Args:
        make_model: ``() -> module`` mapping standardised images ``(B, 3, 32, 32)`` to
            logits ``(B, classes)``; called after ``torch.manual_seed(seed)``, so a random
            initialisation follows the seed.
        images: ``(N, 3, 32, 32)`` uint8 labelled images; labels: ``(N,)``.
        test_images: ``(M, 3, 32, 32)`` uint8; test_labels: ``(M,)``.
        seed: the held-out split, the initialisation and the batches.
        lr, weight_decay: AdamW's, under a one-cycle schedule (10 % warm-up).
    """
    from . import augment
    from .training import EarlyStopping, scaled_steps, train

    fit, held = holdout_split(labels, held_out, seed)
    torch.manual_seed(seed)
    model = make_model()
    device = _device_of(model)

    def loss_fn(model: nn.Module, batch: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        views = augment.random_resized_crop(augment.to_float(batch), scale=(0.6, 1.0))
        return F.cross_entropy(model(normalize_cifar(augment.random_horizontal_flip(views))), targets)

    steps = scaled_steps(len(fit), batch_size, epochs, min_steps=min_steps)
    held_images, held_labels = images[held.to(images.device)], labels[held.to(labels.device)]
    stopper = (EarlyStopping(lambda m: classifier_accuracy(m, held_images, held_labels),
                             every=max(1, steps // 10)) if len(held) else None)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps,
                                                    pct_start=0.1)
    train(model, loss_fn, images[fit.to(images.device)].to(device),
          labels[fit.to(labels.device)].to(device), steps=steps, optimizer=optimizer,
          scheduler=scheduler, batch_size=min(len(fit), batch_size), seed=seed,
          desc=f"{desc}, {len(labels)} labels", on_step=stopper)
    if stopper is not None:
        stopper.restore(model)
    return classifier_accuracy(model, test_images, test_labels)


def fine_tuned_label_efficiency(make_model: Callable[[], nn.Module], probe_train: ImageSet,
                                probe_test: ImageSet, sizes: Sequence[int], seeds: int,
                                recipe: Budget, desc: str = "fine-tune") -> dict[int, tuple[float, float]]:
    """Test accuracy of ``make_model`` fine-tuned end to end on class-balanced subsets of ``probe_train``.

    MAE's protocol against the number of labels: for each size ``n`` and seed,
    :func:`fine_tune_accuracy` under the fine-tuning recipe of ``recipe`` (a profile's budget:
    ``finetune_epochs`` passes, at least ``finetune_steps`` steps of ``finetune_batch_size``,
    AdamW at ``finetune_lr`` with weight decay 0.05), scored on all of ``probe_test``.

    Returns:
        ``{n: (mean, std over seeds)}``.
    """
    def fine_tune(images, labels, test_images, test_labels, seed: int) -> float:
        return fine_tune_accuracy(
            make_model, images, labels, test_images, test_labels, seed,
            epochs=recipe.finetune_epochs, min_steps=recipe.finetune_steps,
            batch_size=recipe.finetune_batch_size, lr=recipe.finetune_lr, weight_decay=0.05,
            desc=desc)

    return label_efficiency(probe_train.images, probe_train.labels, probe_test.images,
                            probe_test.labels, sizes=sizes, seeds=seeds, probe=fine_tune)


def classifier_accuracy(model: nn.Module, images: torch.Tensor, labels: ArrayLike) -> float:
    """Accuracy of ``model``'s own predictions (argmax of its logits) on uint8 ``images``."""
    device = _device_of(model)
    logits = extract_features(model, images.to(device), preprocess=normalize_cifar)
    return (logits.argmax(1) == torch.as_tensor(labels).cpu()).float().mean().item()


def _device_of(model: nn.Module) -> torch.device:
    """Where ``model``'s weights live, to move its images there."""
    for weight in model.parameters():
        return weight.device
    raise ValueError("the model has no parameters: give fine_tune_accuracy a network to train")
