"""Evaluate representations: frozen features, linear probe, weighted k-NN, t-SNE, label efficiency.

All CIFAR-10 numbers in the course use one protocol: frozen features, standardised, a
logistic-regression probe trained on a labelled subset and scored on the test images.
Beside it, :func:`knn_accuracy` trains nothing on the labels: the temperature-weighted
k-NN of InstDisc and DINO on L2-normalised features. (Notebook 04 asks you to write the
plain similarity-weighted cosine k-NN yourself.)
"""

from __future__ import annotations

import inspect
import time
import warnings
from collections.abc import Callable, Sequence
from contextlib import nullcontext

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import dry_run
from .datasets import stratified_indices
from .precision import precision_for
from .results import record_dry_run_costs

ArrayLike = np.ndarray | torch.Tensor
Probe = Callable[[ArrayLike, ArrayLike, ArrayLike, ArrayLike], float]


def _numpy(values: ArrayLike) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        return (
            values.detach().float().cpu().numpy()
            if values.is_floating_point()
            else values.detach().cpu().numpy()
        )
    return np.asarray(values)


@torch.inference_mode()
def extract_features(
    encoder: nn.Module | Callable[[torch.Tensor], torch.Tensor],
    inputs: torch.Tensor,
    batch_size: int = 512,
    preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> torch.Tensor:
    """Run a frozen ``encoder`` over ``inputs`` in batches, in the device's precision policy.

    Args:
        encoder: maps a preprocessed batch to features ``(B, D)`` (or ``(B, ...)``,
            flattened).
        inputs: ``(N, ...)`` tensor on the encoder's device, e.g. uint8 images.
        preprocess: applied to each batch first, e.g. uint8 to normalised float.
    Returns:
        ``(N, D)`` float32 features on the CPU. In a dry run (:mod:`lab_utils.dry_run`)
        only the first batches are computed and repeated to ``N`` rows.
    """
    if isinstance(encoder, nn.Module):
        encoder.eval()
    policy = precision_for(inputs.device)
    n_batches = -(-len(inputs) // batch_size)
    started = time.perf_counter()
    chunks = []
    for start in range(0, dry_run.cap(n_batches) * batch_size, batch_size):
        batch = inputs[start : start + batch_size]
        if preprocess is not None:
            batch = preprocess(batch)
        measure = dry_run.active() and start == 0
        with dry_run.flop_counter() if measure else nullcontext([0.0]) as flops:
            with policy.autocast():
                features = encoder(batch)
        if measure:
            dry_run.add_inference(n_batches, flops[0])
        chunks.append(features.flatten(1).float().cpu())
    features = torch.cat(chunks)
    if len(features) < len(inputs):
        dry_run.notice(f"features of {len(features)} of {len(inputs)} inputs computed, repeated")
        features = features.repeat(-(-len(inputs) // len(features)), 1)[: len(inputs)]
    if dry_run.active():
        dry_run.costs.capped_seconds += time.perf_counter() - started
        record_dry_run_costs()
    return features


@torch.no_grad()
def recalibrate_batchnorm(
    model: nn.Module,
    inputs: torch.Tensor,
    batch_size: int = 512,
    preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> nn.Module:
    """Re-estimate every BatchNorm's running statistics on ``inputs``, in place; weights kept.

    A network trained on small crops (16x16 views of 32x32 images) sees objects larger and
    smoother at the probe's full resolution, so its activations have other means and
    variances than the running statistics learned in training, and the frozen features
    shift. FixRes [Touvron 2019] fixes the train-test resolution discrepancy by adapting the
    network to the test resolution; re-estimating the BatchNorm statistics on unaugmented
    training images at that resolution is its cheapest part (forward passes only, no labels).

    Args:
        model: a module with ``BatchNorm`` layers, on the device of ``inputs``.
        inputs: ``(N, ...)`` tensor, e.g. uint8 training images ``(N, 3, 32, 32)``; the
            statistics are exact averages over all N (cumulative, not a moving average).
        preprocess: applied to each batch first, e.g. uint8 to normalised float.
    Returns:
        ``model``, in evaluation mode.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        raise ValueError("recalibrate_batchnorm found no BatchNorm layer in the model: there "
                         "are no statistics to re-estimate")
    if len(inputs) == 0:
        raise ValueError("recalibrate_batchnorm needs at least one input to estimate statistics")
    momenta = [m.momentum for m in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average over all batches
    was_training = model.training
    model.train()
    policy = precision_for(inputs.device)
    n_batches = dry_run.cap(-(-len(inputs) // batch_size))
    for start in range(0, n_batches * batch_size, batch_size):
        batch = inputs[start : start + batch_size]
        if preprocess is not None:
            batch = preprocess(batch)
        with policy.autocast():
            model(batch)
    for norm, momentum in zip(norms, momenta, strict=True):
        norm.momentum = momentum
    model.train(was_training)
    return model.eval()


def linear_probe(
    train_x: ArrayLike,
    train_y: ArrayLike,
    test_x: ArrayLike,
    test_y: ArrayLike,
    max_iter: int = 1_000,
    c: float = 1.0,
) -> float:
    """Test accuracy of logistic regression on standardised features.

    Args:
        train_x: ``(N, D)`` features of the labelled subset; ``train_y``: ``(N,)`` labels.
        test_x: ``(M, D)`` test features; ``test_y``: ``(M,)`` labels.
        c: inverse L2 regularisation strength of scikit-learn's ``LogisticRegression``.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train_x, test_x = _numpy(train_x), _numpy(test_x)
    train_y, test_y = _numpy(train_y), _numpy(test_y)
    _check_aligned(train_x, train_y, "train")
    _check_aligned(test_x, test_y, "test")
    if dry_run.active():  # the probe's optimisation is a loop too: a few iterations show it runs
        max_iter = dry_run.cap(max_iter)
        dry_run.notice(f"the linear probe stops after {max_iter} iterations")
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=max_iter))
    with warnings.catch_warnings():
        if dry_run.active():
            warnings.simplefilter("ignore", ConvergenceWarning)
        probe.fit(train_x.reshape(len(train_x), -1), train_y)
    return float(probe.score(test_x.reshape(len(test_x), -1), test_y))


@torch.inference_mode()
def knn_accuracy(
    train_x: ArrayLike,
    train_y: ArrayLike,
    test_x: ArrayLike,
    test_y: ArrayLike,
    k: int = 20,
    temperature: float = 0.07,
    batch_size: int = 1_024,
) -> float:
    """Test accuracy of a temperature-weighted k-NN on L2-normalised features.

    Each test feature is compared by cosine similarity ``s`` with every training feature;
    its ``k`` most similar neighbours vote for their labels with weight ``exp(s / T)``
    (Wu et al. 2018, InstDisc; Caron et al. 2021, DINO, who use ``k = 20``, ``T = 0.07``),
    and the class with the largest total wins. A small ``T`` lets the closest neighbours
    dominate; a large one tends to a plain majority vote. Nothing is fitted to the labels,
    so the score measures how the representation itself groups the classes.

    Args:
        train_x: ``(N, D)`` features of the labelled images; ``train_y``: ``(N,)`` labels.
        test_x: ``(M, D)`` test features; ``test_y``: ``(M,)`` labels.
        k: neighbours per vote (all ``N`` when ``N < k``); temperature: ``T`` above.
        batch_size: test features compared at once (``batch_size x N`` similarities).
    """
    if k < 1 or temperature <= 0 or batch_size < 1:
        raise ValueError(f"knn_accuracy needs k >= 1, temperature > 0 and batch_size >= 1, got "
                         f"k={k}, temperature={temperature}, batch_size={batch_size}")
    reference = F.normalize(_float_tensor(train_x, "train"), dim=1)
    queries = F.normalize(_float_tensor(test_x, "test"), dim=1)
    reference_labels, query_labels = _label_tensor(train_y), _label_tensor(test_y)
    _check_aligned(reference, reference_labels, "train")
    _check_aligned(queries, query_labels, "test")
    if reference.shape[1] != queries.shape[1]:
        raise ValueError(f"train features have {reference.shape[1]} dimensions, test features "
                         f"{queries.shape[1]}: extract both with the same encoder")
    classes = int(max(reference_labels.max(), query_labels.max())) + 1
    membership = F.one_hot(reference_labels, classes).float()       # (N, classes)
    neighbours = min(k, len(reference))
    correct = 0
    for start in range(0, len(queries), batch_size):
        cosine = queries[start:start + batch_size] @ reference.T    # (B, N)
        nearest, where = cosine.topk(neighbours, dim=1)             # (B, k) each
        weight = torch.exp((nearest - 1) / temperature)             # exp(s / T), scaled by exp(-1 / T)
        tally = torch.einsum("bk,bkc->bc", weight, membership[where])
        correct += int((tally.argmax(dim=1) == query_labels[start:start + batch_size]).sum())
    return correct / len(queries)


def _float_tensor(values: ArrayLike, name: str) -> torch.Tensor:
    tensor = torch.as_tensor(_numpy(values)).float()
    if tensor.ndim != 2:
        raise ValueError(f"{name} features must be (N, D), got shape {tuple(tensor.shape)}")
    return tensor


def _label_tensor(values: ArrayLike) -> torch.Tensor:
    labels = torch.as_tensor(_numpy(values))
    if labels.is_floating_point() or labels.ndim != 1 or (len(labels) and labels.min() < 0):
        raise ValueError(f"labels must be (N,) non-negative integers, got {labels.dtype} of shape "
                         f"{tuple(labels.shape)}")
    return labels.long()


def _check_aligned(x: np.ndarray, y: np.ndarray, name: str) -> None:
    if len(x) != len(y):
        raise ValueError(f"{name} features have {len(x)} rows but {name} labels have {len(y)}")


def tsne_embed(features: ArrayLike, seed: int = 0, perplexity: float = 30.0) -> np.ndarray:
    """A 2-D t-SNE embedding ``(N, 2)`` of ``(N, D)`` features (PCA-initialised).

    A dry run (:mod:`lab_utils.dry_run`) returns the PCA initialisation itself: t-SNE's
    optimisation is a loop of at least 250 iterations on the CPU.
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    values = _numpy(features).reshape(len(features), -1)
    if dry_run.active():
        dry_run.notice("t-SNE maps show the PCA initialisation, not an optimised embedding")
        return PCA(2, random_state=seed).fit_transform(values)
    perplexity = min(perplexity, (len(values) - 1) / 3)
    return TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(values)


def label_efficiency(
    train_x: ArrayLike,
    train_y: ArrayLike,
    test_x: ArrayLike,
    test_y: ArrayLike,
    sizes: Sequence[int],
    seeds: int = 3,
    probe: Probe = linear_probe,
) -> dict[int, tuple[float, float]]:
    """Accuracy against the number of labels, as mean and spread over seeds.

    For each size ``n`` and each of ``seeds`` seeds, a class-balanced subset of ``n``
    labelled training examples trains ``probe``, which is scored on the whole test set.
    ``probe`` is a linear probe on frozen features by default; any
    ``probe(train_x, train_y, test_x, test_y) -> accuracy`` fits, such as a network trained
    from scratch on the subset's images. A probe with a ``seed`` keyword gets the seed too
    (to initialise a network), and tensors are indexed as tensors, on their own device.

    Returns:
        ``{n: (mean accuracy, standard deviation over seeds)}``.
    """
    curve = {}
    for n, scores in label_efficiency_scores(train_x, train_y, test_x, test_y, sizes, seeds,
                                             probe).items():
        curve[n] = (float(np.mean(scores)), float(np.std(scores)))
    return curve


def label_efficiency_scores(
    train_x: ArrayLike,
    train_y: ArrayLike,
    test_x: ArrayLike,
    test_y: ArrayLike,
    sizes: Sequence[int],
    seeds: int = 3,
    probe: Probe = linear_probe,
) -> dict[int, list[float]]:
    """The accuracy of every seed behind :func:`label_efficiency`: ``{n: [score per seed]}``."""
    if seeds < 1:
        raise ValueError(f"label_efficiency needs at least one seed, got {seeds}")
    labels = torch.as_tensor(_numpy(train_y))
    takes_seed = "seed" in inspect.signature(probe).parameters
    curve = {}
    for n in sizes:
        scores = []
        for seed in range(seeds):
            idx = stratified_indices(labels, n, seed)
            if scores and not takes_seed and len(idx) == len(labels):
                # every seed draws the whole set, and a probe without a seed (the linear probe,
                # the k-NN) fits it the same way: one fit gives every seed's score
                scores.append(scores[0])
                continue
            subset_x, subset_y = _take(train_x, idx), _take(train_y, idx)
            extra = {"seed": seed} if takes_seed else {}
            scores.append(float(probe(subset_x, subset_y, test_x, test_y, **extra)))
        curve[n] = scores
    return curve


def _take(values: ArrayLike, idx: torch.Tensor) -> ArrayLike:
    if isinstance(values, torch.Tensor):
        return values[idx.to(values.device)]
    return np.asarray(values)[idx.numpy()]


def holdout_split(labels: ArrayLike, fraction: float, seed: int = 0
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Class-balanced ``(train, held_out)`` index tensors of a labelled set.

    Each class gives ``round(fraction * count)`` examples to the held-out part, at least one
    when it has two or more and none when it has one (an example cannot both train and
    judge). The held-out part chooses when to stop training from scratch; the test set
    never does.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"the held-out fraction must be between 0 and 1, got {fraction}")
    labels = torch.as_tensor(_numpy(labels))
    generator = torch.Generator().manual_seed(seed)
    train, held_out = [], []
    for label in labels.unique():
        members = (labels == label).nonzero().flatten()
        members = members[torch.randperm(len(members), generator=generator)]
        count = len(members)
        n_out = 0 if count < 2 else min(count - 1, max(1, round(fraction * count)))
        held_out.append(members[:n_out])
        train.append(members[n_out:])
    return torch.cat(train).sort().values, torch.cat(held_out).sort().values


def probe_encoder(
    encoder: nn.Module | Callable[[torch.Tensor], torch.Tensor],
    train_inputs: torch.Tensor,
    train_labels: ArrayLike,
    test_inputs: torch.Tensor,
    test_labels: ArrayLike,
    preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> float:
    """The course's protocol in one call: frozen features, then :func:`linear_probe`.

    Args:
        encoder: maps a preprocessed batch ``(B, ...)`` to features ``(B, D)``.
        train_inputs: ``(N, ...)`` labelled training inputs (e.g. uint8 images, on the
            encoder's device); train_labels: ``(N,)``.
        test_inputs: ``(M, ...)`` test inputs; test_labels: ``(M,)``.
    """
    train_features = extract_features(encoder, train_inputs, preprocess=preprocess)
    test_features = extract_features(encoder, test_inputs, preprocess=preprocess)
    return linear_probe(train_features, train_labels, test_features, test_labels)
