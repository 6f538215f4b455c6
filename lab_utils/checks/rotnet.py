"""Checks for notebook 02b (RotNet in Keras on MNIST): the rotation data set.

NumPy only, so the check runs the same whatever framework trains the model.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .core import CheckFailed, call_student, check_shape, expect, passed

__all__ = ["CheckFailed", "check_rotation_dataset"]


def check_rotation_dataset(make_rotation_dataset: Callable[[np.ndarray], tuple]) -> None:
    """``make_rotation_dataset(images (N, H, W, 1)) -> (x (4N, H, W, 1) float32, y (4N,) int64)``."""
    tiny = np.array([[1, 2], [3, 4]], dtype=np.float32).reshape(1, 2, 2, 1)
    result = call_student(make_rotation_dataset, tiny.copy())
    expect(isinstance(result, tuple) and len(result) == 2, "the function returns",
           "a tuple (x, y)", type(result).__name__)
    x, y = (np.asarray(part) for part in result)
    check_shape("x, for one 2x2x1 image", x, (4, 2, 2, 1),
                "all four rotations of every image, channels last: (4 * N, H, W, 1)")
    check_shape("y, for one image", y, (4,), "one integer label per rotated image")
    expect(x.dtype == np.float32, "x's dtype", "float32", x.dtype)
    expect(y.dtype == np.int64, "y's dtype", "int64", y.dtype)
    expect(sorted(y.tolist()) == [0, 1, 2, 3], "the labels of one image's rotations",
           [0, 1, 2, 3], sorted(y.tolist()))
    by_hand = {0: [[1, 2], [3, 4]], 1: [[2, 4], [1, 3]], 2: [[4, 3], [2, 1]], 3: [[3, 1], [4, 2]]}
    for k, expected in by_hand.items():
        got = x[y == k][0, :, :, 0].tolist()
        expect(got == expected,
               f"the image labelled {k}: [[1, 2], [3, 4]] turned {90 * k} degrees counter-clockwise",
               expected, got,
               "np.rot90(images, k, axes=(1, 2)) turns every image counter-clockwise")

    images = np.arange(3 * 4 * 4, dtype=np.float32).reshape(3, 4, 4, 1)
    untouched = images.copy()
    x, y = (np.asarray(part) for part in call_student(make_rotation_dataset, images))
    expect(np.array_equal(images, untouched), "the input images after the call", "unchanged",
           "modified in place")
    check_shape("x, for three 4x4x1 images", x, (12, 4, 4, 1))
    check_shape("y, for three images", y, (12,))
    counts = np.bincount(y, minlength=4).tolist()
    expect(counts == [3, 3, 3, 3], "how often each label occurs for three images",
           [3, 3, 3, 3], counts)
    originals = sorted(map(tuple, images.reshape(3, -1)))
    for k in range(4):
        turned_back = np.rot90(x[y == k], -k, axes=(1, 2)).reshape(-1, 16)
        expect(sorted(map(tuple, turned_back)) == originals,
               f"the rows labelled {k}, turned back by {90 * k} degrees, are the input images",
               "each input image exactly once",
               "other images: the labels and the rotated images are not aligned",
               "build y in the same order as you stack the rotations")
    passed("make_rotation_dataset")
