"""Checks for notebook 01 (introduction): rotation data, softmax cross-entropy, backprop, autoencoder."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from .core import CheckFailed, call_student, check_close, check_shape, expect, passed

__all__ = [
    "CheckFailed",
    "check_autoencoder",
    "check_rotation_dataset",
    "check_softmax_cross_entropy",
    "check_two_layer_backward",
]


def check_rotation_dataset(make_rotation_dataset: Callable[[np.ndarray], tuple]) -> None:
    """``make_rotation_dataset(images (N, H, W)) -> (X (4N, H*W) float32, y (4N,) int64)``."""
    images = np.arange(2 * 3 * 3, dtype=np.float32).reshape(2, 3, 3)
    result = call_student(make_rotation_dataset, images.copy())
    expect(
        isinstance(result, tuple) and len(result) == 2,
        "the function returns",
        "a tuple (X, y)",
        type(result).__name__,
    )
    x, y = result
    check_shape("X", x, (8, 9), "one flattened row per image and rotation: (4 * N, H * W)")
    check_shape("y", y, (8,))
    expect(np.asarray(x).dtype == np.float32, "X's dtype", "float32", np.asarray(x).dtype)
    expect(np.asarray(y).dtype == np.int64, "y's dtype", "int64", np.asarray(y).dtype)
    counts = np.bincount(np.asarray(y), minlength=4).tolist()
    expect(counts == [2, 2, 2, 2], "how often each rotation label occurs", [2, 2, 2, 2], counts)
    unrotated = sorted(map(tuple, np.asarray(x)[np.asarray(y) == 0]))
    expect(
        unrotated == sorted(map(tuple, images.reshape(2, 9))),
        "rows with label 0 are the original images",
        sorted(map(tuple, images.reshape(2, 9))),
        unrotated,
    )
    tiny = np.array([[[1.0, 2.0], [3.0, 4.0]]], dtype=np.float32)
    x_tiny, y_tiny = call_student(make_rotation_dataset, tiny)
    quarter = np.asarray(x_tiny)[np.asarray(y_tiny) == 1]
    expect(
        quarter.tolist() == [[2.0, 4.0, 1.0, 3.0]],
        "label 1 is a 90-degree counter-clockwise turn of [[1, 2], [3, 4]] (flattened)",
        [[2.0, 4.0, 1.0, 3.0]],
        quarter.tolist(),
        "np.rot90(image, k) turns counter-clockwise",
    )
    passed("make_rotation_dataset")


def check_softmax_cross_entropy(softmax_cross_entropy: Callable[..., tuple]) -> None:
    """``softmax_cross_entropy(logits (N, C), labels (N,)) -> (mean loss, dloss/dlogits (N, C))``."""
    logits, labels = np.zeros((2, 4)), np.array([0, 3])
    loss, grad = call_student(softmax_cross_entropy, logits, labels)
    check_close(
        "loss for all-zero logits over 4 classes",
        loss,
        np.log(4.0),
        hint="with equal logits every class has probability 1/4",
    )
    expected_grad = (np.full((2, 4), 0.25) - np.eye(4)[labels]) / 2
    check_close(
        "gradient for all-zero logits",
        grad,
        expected_grad,
        hint="d(mean loss)/d(logits) = (softmax - one_hot) / N",
    )
    rows = np.asarray(grad).sum(axis=1)
    check_close("row sums of the gradient", rows, np.zeros(2), atol=1e-9)

    # Large logits: row 0 is sure of its true class (loss 0), row 1 gives its true class a
    # logit 800 below the best one (loss 800): the mean is 400, and nothing may overflow.
    large = np.array([[800.0, 0.0, -800.0], [0.0, 800.0, 0.0]])
    untouched = large.copy()
    loss, grad = call_student(softmax_cross_entropy, large, np.array([0, 0]))
    expect(
        np.array_equal(large, untouched),
        "the logits after the call",
        "unchanged",
        "modified in place",
        "work on a new array: logits - logits.max(...), not logits -= ...",
    )
    check_close(
        "loss for logits [[800, 0, -800], [0, 800, 0]] and labels [0, 0]",
        loss,
        400.0,
        hint="log(softmax) underflows to log(0) = -inf: compute the log-probabilities as "
        "z - max - log(sum(exp(z - max))) (the log-sum-exp trick)",
    )
    check_close(
        "gradient for the same large logits",
        grad,
        np.array([[0.0, 0.0, 0.0], [-0.5, 0.5, 0.0]]),
        atol=1e-9,
        hint="subtract each row's own maximum before np.exp",
    )
    passed("softmax_cross_entropy")


def check_two_layer_backward(forward: Callable, backward: Callable, seed: int = 0) -> None:
    """``backward(params, cache, grad_logits) -> grads`` against finite differences."""
    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.normal(size=(5, 4)),
        "b1": rng.normal(size=4),
        "W2": rng.normal(size=(4, 3)),
        "b2": rng.normal(size=3),
    }
    x, weights = rng.normal(size=(6, 5)), rng.normal(size=(6, 3))
    # A loss whose gradient with respect to the logits is known exactly: sum(logits * weights).
    logits, cache = forward(params, x)
    # backward gets read-only copies: writing into a parameter, the cache or the gradient fails.
    grads = _call_read_only(backward, params, cache, weights)
    expect(
        isinstance(grads, dict) and set(grads) == set(params),
        "the keys of the gradients",
        sorted(params),
        sorted(grads) if isinstance(grads, dict) else type(grads).__name__,
    )
    for name, value in params.items():
        check_shape(
            f"gradient of {name}",
            grads[name],
            value.shape,
            "a parameter's gradient has the parameter's shape",
        )
        numeric = _numeric_gradient(lambda: float(np.sum(forward(params, x)[0] * weights)), value)
        check_close(
            f"gradient of {name} (compared with finite differences)",
            grads[name],
            numeric,
            atol=1e-5,
            rtol=1e-4,
        )
    passed("backward")


def _read_only(value: np.ndarray) -> np.ndarray:
    copy = np.array(value, copy=True)
    copy.setflags(write=False)
    return copy


def _call_read_only(backward: Callable, params: dict, cache: tuple, grad_logits: np.ndarray) -> dict:
    """Call ``backward`` on read-only copies of its inputs; say so if it writes into one."""
    try:
        return call_student(
            backward,
            {name: _read_only(value) for name, value in params.items()},
            tuple(_read_only(part) for part in cache),
            _read_only(grad_logits),
        )
    except ValueError as error:
        if "read-only" not in str(error):
            raise
        raise CheckFailed(
            "backward writes into its inputs (params, cache or grad_logits)\n"
            "  hint: compute new arrays from them; the training loop still needs them"
        ) from None


def _numeric_gradient(
    loss: Callable[[], float], parameter: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """Central finite differences of ``loss()`` with respect to ``parameter`` (edited in place)."""
    gradient = np.zeros_like(parameter)
    for index in np.ndindex(parameter.shape):
        original = parameter[index]
        parameter[index] = original + eps
        upper = loss()
        parameter[index] = original - eps
        lower = loss()
        parameter[index] = original
        gradient[index] = (upper - lower) / (2 * eps)
    return gradient


def check_autoencoder(autoencoder_class: type[nn.Module]) -> None:
    """An MNIST autoencoder: ``encode`` gives ``(N, latent_dim)``, ``forward`` gives images in [0, 1]."""
    torch.manual_seed(0)
    model = call_student(autoencoder_class, 8)
    images = torch.rand(5, 1, 28, 28)
    codes = model.encode(images).detach()
    check_shape(
        "model.encode(images) for latent_dim=8",
        codes,
        (5, 8),
        "the code size is the constructor's latent_dim argument",
    )
    expect(
        bool((codes < 0).any()),
        "the codes of random images (untrained model)",
        "some negative values: the code is the last Linear layer's output",
        f"all >= 0 (min {float(codes.min()):.3f})",
        "no activation after Linear(128, latent_dim)",
    )
    output = model(images)
    check_shape(
        "model(images)",
        output,
        (5, 1, 28, 28),
        "reshape the decoder's 784 outputs back to (N, 1, 28, 28)",
    )
    low, high = float(output.detach().min()), float(output.detach().max())
    expect(
        0.0 <= low and high <= 1.0,
        "the range of reconstructed pixels",
        "within [0, 1]",
        f"[{low:.3f}, {high:.3f}]",
        "pixels are in [0, 1]: end the decoder with a sigmoid",
    )
    output.mean().backward()
    frozen = [n for n, p in model.named_parameters() if p.grad is None]
    expect(not frozen, "parameters that receive a gradient", "all of them", f"not: {frozen}")
    passed("Autoencoder")
