"""ROCKET: features from thousands of random, untrained convolution kernels [Dempster 2020].

A baseline of notebook 05, not an exercise. Each kernel has a random length (7, 9 or 11),
normal weights centred to zero mean, a uniform bias in [-1, 1], an exponentially random
dilation, zero padding or none, and (for multichannel series) a random subset of channels.
Convolved with a series it gives two features: the maximum and the proportion of positive
values (PPV). A ridge classifier on these features is the state of the art for its cost.

The kernels are drawn with NumPy's legacy ``RandomState`` in exactly the order of aeon's
``Rocket`` (version 1.x), so a seed gives the kernels and features that aeon gives (to float32
rounding), without aeon's compiled dependencies. The convolutions run in PyTorch, grouped by
kernel shape, on the device of the input.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

KERNEL_LENGTHS = (7, 9, 11)


@dataclass(frozen=True)
class Kernel:
    """One random kernel. ``weights``: ``(len(channels), length)`` float32."""

    weights: np.ndarray
    channels: np.ndarray
    bias: float
    dilation: int
    padding: int

    @property
    def length(self) -> int:
        return int(self.weights.shape[1])


def random_kernels(n_timepoints: int, n_channels: int, n_kernels: int = 10_000,
                   seed: int | None = None) -> list[Kernel]:
    """Draw ROCKET's kernels for series of ``n_channels`` x ``n_timepoints`` values."""
    if n_timepoints < 2 or n_channels < 1 or n_kernels < 1:
        raise ValueError(f"need series of >= 2 time steps, >= 1 channel and >= 1 kernel, got "
                         f"{n_timepoints}, {n_channels} and {n_kernels}")
    rng = np.random.RandomState(seed)
    lengths = rng.choice(np.array(KERNEL_LENGTHS, dtype=np.int32), n_kernels).astype(np.int32)
    channel_counts = [
        int(2 ** rng.uniform(0, np.log2(min(n_channels, length) + 1))) for length in lengths
    ]
    kernels = []
    for length, count in zip(lengths.tolist(), channel_counts, strict=True):
        weights = rng.normal(0, 1, count * length).astype(np.float32).reshape(count, length)
        weights -= weights.mean(axis=1, keepdims=True)
        channels = rng.permutation(n_channels)[:count]  # = choice(..., replace=False), faster
        bias = rng.uniform(-1, 1)
        dilation = int(np.int32(2 ** rng.uniform(0, np.log2((n_timepoints - 1) / (length - 1)))))
        padding = ((length - 1) * dilation) // 2 if rng.randint(2) == 1 else 0
        kernels.append(Kernel(weights, channels, float(np.float32(bias)), dilation, padding))
    return kernels


def _normalise(x: torch.Tensor) -> torch.Tensor:
    """Zero mean and unit standard deviation per series and channel (a constant stays at 0)."""
    std = x.std(dim=-1, keepdim=True, unbiased=False)
    return (x - x.mean(dim=-1, keepdim=True)) / torch.where(std == 0, torch.ones_like(std), std)


def _group_by_shape(kernels: list[Kernel]) -> dict[tuple[int, int, int], list[int]]:
    groups: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    for index, kernel in enumerate(kernels):
        groups[kernel.length, kernel.dilation, kernel.padding].append(index)
    return groups


def _dense_weights(kernels: list[Kernel], indices: list[int], n_channels: int) -> torch.Tensor:
    """``(K, C, L)`` weights, zero on the channels a kernel does not read."""
    dense = np.zeros((len(indices), n_channels, kernels[indices[0]].length), dtype=np.float32)
    for row, index in enumerate(indices):
        dense[row, kernels[index].channels] = kernels[index].weights
    return torch.from_numpy(dense)


def apply_kernels(x: torch.Tensor, kernels: list[Kernel], chunk: int = 32) -> torch.Tensor:
    """ROCKET features of series ``x`` ``(N, C, T)``: ``(N, 2K)`` float32, PPV and max per kernel.

    Feature ``2k`` is kernel k's proportion of positive values, ``2k + 1`` its maximum.
    Series go through in chunks so that each convolution's output stays in the CPU's cache.
    """
    x = x.float()
    features = torch.empty(len(x), 2 * len(kernels), device=x.device)
    for (_, dilation, padding), indices in _group_by_shape(kernels).items():
        weights = _dense_weights(kernels, indices, x.shape[1]).to(x.device)
        biases = torch.tensor([kernels[i].bias for i in indices], device=x.device)
        columns = torch.tensor(indices, device=x.device) * 2
        for start in range(0, len(x), chunk):
            out = F.conv1d(x[start : start + chunk], weights, biases, padding=padding, dilation=dilation)
            rows = slice(start, start + len(out))
            features[rows, columns] = (out > 0).sum(dim=-1) / out.shape[-1]
            features[rows, columns + 1] = out.amax(dim=-1)
    return features


class Rocket:
    """ROCKET as a transformer: ``fit`` draws the kernels for a series shape, ``transform``
    computes the features. ``normalise`` z-normalises each series and channel first.

    Example:
        >>> rocket = Rocket(n_kernels=10_000, random_state=0)
        >>> train_features = rocket.fit_transform(train_x)   # (N, C, T) -> (N, 20_000)
        >>> test_features = rocket.transform(test_x)
    """

    def __init__(self, n_kernels: int = 10_000, normalise: bool = True,
                 random_state: int | None = None) -> None:
        self.n_kernels = n_kernels
        self.normalise = normalise
        self.random_state = random_state
        self.kernels: list[Kernel] | None = None
        self.shape: tuple[int, int] | None = None

    def fit(self, x: torch.Tensor | np.ndarray) -> Rocket:
        """Draw the kernels for series of the shape of ``x`` ``(N, C, T)`` (values unused)."""
        _, n_channels, n_timepoints = x.shape
        self.kernels = random_kernels(n_timepoints, n_channels, self.n_kernels, self.random_state)
        self.shape = (n_channels, n_timepoints)
        return self

    def transform(self, x: torch.Tensor | np.ndarray) -> np.ndarray:
        """``(N, 2 * n_kernels)`` float32 features of ``x`` ``(N, C, T)``, as a NumPy array."""
        if self.kernels is None:
            raise RuntimeError("call fit() before transform(): it draws the kernels")
        if tuple(x.shape[1:]) != self.shape:
            raise ValueError(f"fitted for series of shape (C, T) = {self.shape}, got {tuple(x.shape[1:])}")
        x = torch.as_tensor(x)
        if self.normalise:  # in double precision, then float32 for the convolutions, as aeon
            x = _normalise(x.double())
        with torch.no_grad():
            return apply_kernels(x.float(), self.kernels).cpu().numpy()

    def fit_transform(self, x: torch.Tensor | np.ndarray) -> np.ndarray:
        return self.fit(x).transform(x)
