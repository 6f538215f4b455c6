"""Checks for notebook 02b (RotNet in Keras on MNIST): reusing the RotNet's frozen layers.

Keras is imported when a check runs, so ``lab_utils`` itself never needs TensorFlow.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .core import CheckFailed, call_student, expect, passed

__all__ = ["CheckFailed", "check_rotnet_classifier"]

HEAD_SHAPES = [(10,), (288, 10)]  # Dense(10) on the 3x3x32 = 288 features of pool2


def _values(weights: list[Any]) -> list[np.ndarray]:
    """Copies of Keras variables as NumPy arrays (``.numpy()``: NumPy's ``__array__`` route warns)."""
    return [np.array(w.numpy()) for w in weights]


def _contains(arrays: list[np.ndarray], wanted: np.ndarray) -> bool:
    return any(a.shape == wanted.shape and np.array_equal(a, wanted) for a in arrays)


def check_rotnet_classifier(rotnet_classifier: Callable[[Any], Any],
                            build_rotnet: Callable[[], Any]) -> None:
    """``rotnet_classifier(rotnet)``: the RotNet's frozen conv1-pool1-conv2-pool2, Flatten and a
    new Dense(10) giving logits; training it changes the head and nothing else."""
    # Keras warns, for instance, when a functional model built on `rotnet.inputs` (a list) is
    # called with one array. Harmless, but a grader scores a cell that writes to stderr 0.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        _check_rotnet_classifier(rotnet_classifier, build_rotnet)


def _check_rotnet_classifier(rotnet_classifier: Callable[[Any], Any],
                             build_rotnet: Callable[[], Any]) -> None:
    import keras

    keras.utils.set_random_seed(0)
    rotnet = build_rotnet()
    pretrained = [_values(rotnet.get_layer(name).weights) for name in ("conv1", "conv2")]
    model = call_student(rotnet_classifier, rotnet)
    expect(isinstance(model, keras.Model), "the function returns", "a keras.Model",
           type(model).__name__)

    images = np.random.default_rng(0).random((16, 28, 28, 1)).astype(np.float32)
    logits = keras.ops.convert_to_numpy(model(images))
    expect(logits.shape == (16, 10), "the model's output for 16 digits", (16, 10), logits.shape,
           "end with a new Dense(10): one score per digit class")
    expect(bool((logits < 0).any()), "the untrained model's outputs",
           "logits: some negative", f"all >= 0 (min {logits.min():.3f})",
           "no activation on Dense(10): the loss applies the softmax (from_logits=True)")

    frozen = _values(model.non_trainable_weights)
    for name, weights in zip(("conv1", "conv2"), pretrained, strict=True):
        expect(all(_contains(frozen, w) for w in weights),
               f"the RotNet's pretrained {name} weights", "in the model, frozen",
               "missing among its non-trainable weights",
               "reuse the RotNet's layers (rotnet.layers[:4]) and set trainable = False on them")
    shapes = sorted(tuple(w.shape) for w in model.trainable_weights)
    expect(shapes == HEAD_SHAPES, "the shapes of the trainable weights",
           f"{HEAD_SHAPES}: only the new Dense(10) head learns", shapes,
           "freeze the four reused layers and nothing else; add no layers besides Flatten and "
           "Dense(10)")

    head_before = _values(model.trainable_weights)
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    labels = np.arange(16) % 10
    model.fit(images, labels, batch_size=8, epochs=1, shuffle=False, verbose=0)
    expect(all(_contains(_values(model.non_trainable_weights), w) for ws in pretrained for w in ws),
           "the frozen conv weights after two training steps", "unchanged", "changed")
    moved = [not np.array_equal(a, b) for a, b in
             zip(head_before, _values(model.trainable_weights), strict=True)]
    expect(all(moved), "the head's weights after two training steps", "changed", "unchanged")
    passed("rotnet_classifier")
