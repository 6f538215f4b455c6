"""lab_utils.rocket: ROCKET's features by hand on tiny cases, and the same as aeon's Rocket."""

import numpy as np
import pytest
import torch

from lab_utils import timeseries
from lab_utils.rocket import Kernel, Rocket, apply_kernels, random_kernels


def _by_hand(series: np.ndarray, kernel: Kernel) -> tuple[float, float]:
    """PPV and max of one kernel on one series (C, T), straight from the definition."""
    length, dilation, padding = kernel.length, kernel.dilation, kernel.padding
    padded = np.pad(series, ((0, 0), (padding, padding)))
    outputs = []
    for start in range(padded.shape[1] - (length - 1) * dilation):
        taps = padded[kernel.channels, start : start + (length - 1) * dilation + 1 : dilation]
        outputs.append(kernel.bias + float((taps * kernel.weights).sum()))
    outputs = np.array(outputs)
    return float((outputs > 0).mean()), float(outputs.max())


def test_features_are_the_proportion_of_positive_values_and_the_maximum():
    rng = np.random.default_rng(0)
    series = rng.normal(size=(3, 2, 40)).astype(np.float32)
    kernels = random_kernels(40, 2, n_kernels=30, seed=1)
    assert {k.padding > 0 for k in kernels} == {True, False} and max(k.dilation for k in kernels) > 1
    features = apply_kernels(torch.from_numpy(series), kernels).numpy()
    assert features.shape == (3, 60)
    for n in range(3):
        for k, kernel in enumerate(kernels):
            ppv, maximum = _by_hand(series[n], kernel)
            assert features[n, 2 * k] == pytest.approx(ppv, abs=1e-6)
            assert features[n, 2 * k + 1] == pytest.approx(maximum, abs=1e-4)


def test_kernels_follow_rockets_recipe():
    kernels = random_kernels(150, 6, n_kernels=2_000, seed=0)
    assert {k.length for k in kernels} == {7, 9, 11}
    assert all(abs(float(k.weights.sum(axis=1).max())) < 1e-4 for k in kernels), "zero-mean weights"
    assert all(-1 <= k.bias <= 1 and 1 <= len(k.channels) <= 6 for k in kernels)
    assert all((k.length - 1) * k.dilation <= 149 for k in kernels)
    paddings = np.mean([k.padding > 0 for k in kernels])
    assert 0.45 < paddings < 0.55, "half of the kernels are padded"


def test_a_seed_repeats_the_features_and_another_changes_them():
    x, _ = timeseries.make_sines(n=6, length=30, seed=0)
    first = Rocket(n_kernels=50, random_state=3).fit_transform(x)
    assert np.array_equal(first, Rocket(n_kernels=50, random_state=3).fit_transform(x))
    assert not np.array_equal(first, Rocket(n_kernels=50, random_state=4).fit_transform(x))


def test_misuse_is_a_clear_error():
    x, _ = timeseries.make_sines(n=4, length=30)
    with pytest.raises(RuntimeError, match="fit"):
        Rocket(n_kernels=5).transform(x)
    with pytest.raises(ValueError, match="shape"):
        Rocket(n_kernels=5, random_state=0).fit(x).transform(x[:, :, :20])


@pytest.mark.parametrize("length, channels", [(150, 1), (100, 6), (24, 1)])
def test_the_kernels_are_aeons(length, channels):
    generate = pytest.importorskip("aeon.transformations.collection.convolution_based._rocket")._generate_kernels
    weights, lengths, biases, dilations, paddings, counts, indices = generate(length, 500, channels, 7)
    ours = random_kernels(length, channels, n_kernels=500, seed=7)
    assert lengths.tolist() == [k.length for k in ours]
    assert counts.tolist() == [len(k.channels) for k in ours]
    assert indices.tolist() == [int(c) for k in ours for c in k.channels]
    assert dilations.tolist() == [k.dilation for k in ours]
    assert paddings.tolist() == [k.padding for k in ours]
    assert np.array_equal(biases, np.float32([k.bias for k in ours]))
    assert np.allclose(weights, np.concatenate([k.weights.ravel() for k in ours]), atol=1e-6)


@pytest.mark.parametrize("name", ["GunPoint", "BasicMotions"])
def test_the_features_are_aeons(name):
    aeon_rocket = pytest.importorskip("aeon.transformations.collection.convolution_based").Rocket
    data = timeseries.load_ucr(name, normalize=True)
    x = data.test_x[:30]
    theirs = aeon_rocket(n_kernels=300, random_state=0).fit(x.double().numpy()).transform(x.double().numpy())
    ours = Rocket(n_kernels=300, random_state=0).fit_transform(x)
    assert np.allclose(ours[:, 1::2], theirs[:, 1::2], atol=1e-3), "maxima"
    # A PPV may differ by one position where a sum is within float32 rounding of zero.
    assert np.mean(ours[:, 0::2] != theirs[:, 0::2]) < 0.002
    assert np.abs(ours[:, 0::2] - theirs[:, 0::2]).max() <= 1 / (x.shape[-1] - 1) + 1e-6
