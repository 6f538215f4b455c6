"""Time-series data: synthetic sines and the UCR/UEA sets shipped with aeon."""

import numpy as np
import pytest
import torch

from lab_utils import timeseries
from lab_utils.timeseries import (
    KNOWN_SIZES,
    UnknownDatasetError,
    available_ucr,
    load_ucr,
    make_sines,
    znormalize,
)


def test_sines_have_the_requested_shape_classes_and_normalisation():
    x, y = make_sines(n=101, length=50, seed=3)
    assert x.shape == (101, 1, 50) and x.dtype == torch.float32
    assert y.dtype == torch.int64 and y.tolist() == [0] * 50 + [1] * 51
    assert torch.allclose(x.mean(-1), torch.zeros(101, 1), atol=1e-5)
    assert torch.allclose(x.std(-1, unbiased=False), torch.ones(101, 1), atol=1e-4)


def test_sines_repeat_with_a_seed_and_leave_the_global_rng_alone():
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    first, _ = make_sines(n=20, seed=1)
    assert np.array_equal(np.random.get_state()[1], before)
    again, _ = make_sines(n=20, seed=1)
    other, _ = make_sines(n=20, seed=2)
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_sines_without_noise_or_normalisation_are_pure_sines():
    x, y = make_sines(n=4, length=9, frequencies=(1.0, 3.0), noise=0.0, normalize=False)
    t = np.linspace(0, 2 * np.pi, 9)
    assert np.allclose(x[0, 0].numpy(), np.sin(t), atol=1e-6)
    assert np.allclose(x[3, 0].numpy(), np.sin(3 * t), atol=1e-6)


def test_random_phase_shifts_each_sine():
    x, _ = make_sines(n=10, noise=0.0, random_phase=True, normalize=False)
    assert not torch.allclose(x[0], x[1])


@pytest.mark.parametrize("kwargs", [dict(n=1), dict(length=1), dict(noise=-0.1)])
def test_bad_sine_arguments_are_clear_errors(kwargs):
    with pytest.raises(ValueError):
        make_sines(**kwargs)


def test_znormalize_works_per_series_and_channel():
    x = torch.stack([torch.arange(10.0), 5 * torch.arange(10.0) + 3]).reshape(1, 2, 10)
    z = znormalize(x)
    assert torch.allclose(z[0, 0], z[0, 1], atol=1e-5)
    assert torch.allclose(z.mean(-1), torch.zeros(1, 2), atol=1e-6)


def test_the_course_data_sets_are_available():
    assert set(KNOWN_SIZES) <= set(available_ucr())


@pytest.mark.parametrize("name", sorted(KNOWN_SIZES))
def test_ucr_sets_load_as_float_series_with_int_labels(name):
    data = load_ucr(name)
    n_train, n_test, channels, length, classes = KNOWN_SIZES[name]
    assert data.train_x.shape == (n_train, channels, length) and data.train_x.dtype == torch.float32
    assert data.test_x.shape == (n_test, channels, length)
    assert data.train_y.dtype == torch.int64 and data.test_y.dtype == torch.int64
    assert sorted(data.train_y.unique().tolist()) == list(range(classes)) == list(range(data.n_classes))
    assert (data.n_channels, data.length, data.name) == (channels, length, name)
    assert torch.isfinite(data.train_x).all() and torch.isfinite(data.test_x).all()


def test_gunpoint_labels_follow_the_archive_order():
    data = load_ucr("GunPoint")
    assert data.classes == ("1", "2")
    assert data.train_y.bincount().tolist() == [24, 26]


def test_normalize_gives_every_series_and_channel_zero_mean_and_unit_std():
    data = load_ucr("BasicMotions", normalize=True)
    assert torch.allclose(data.train_x.mean(-1), torch.zeros(40, 6), atol=1e-4)
    assert torch.allclose(data.test_x.std(-1, unbiased=False), torch.ones(40, 6), atol=1e-3)


def test_an_unknown_name_lists_the_available_sets_and_suggests_a_close_one():
    with pytest.raises(UnknownDatasetError) as error:
        load_ucr("gunpoint")
    message = str(error.value)
    assert "'GunPoint'" in message and "ItalyPowerDemand" in message and "BasicMotions" in message
    with pytest.raises(UnknownDatasetError, match="ECG200"):
        load_ucr("ECG200")


def test_a_set_of_unexpected_size_is_an_error(monkeypatch):
    monkeypatch.setitem(timeseries.KNOWN_SIZES, "GunPoint", (51, 150, 1, 150, 2))
    with pytest.raises(timeseries.DataUnavailableError, match="expected"):
        load_ucr("GunPoint")


def test_a_missing_aeon_says_how_to_install_it(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_aeon(name, *args, **kwargs):
        if name == "aeon" or name.startswith("aeon."):
            raise ImportError("No module named 'aeon'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_aeon)
    with pytest.raises(ImportError, match="pip install"):
        available_ucr()


def test_series_sets_move_between_devices():
    data = load_ucr("ItalyPowerDemand").to("cpu")
    assert data.train_x.device.type == "cpu" and "ItalyPowerDemand" in repr(data)


def test_the_aeon_requirement_is_the_same_everywhere():
    import tomllib

    import nbformat
    from support import ROOT

    test_extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    assert timeseries.AEON_REQUIREMENT in test_extra
    assert timeseries.AEON_REQUIREMENT in (ROOT / "environment.yml").read_text()
    for folder in ("solutions", "notebooks"):
        setup_cell = nbformat.read(ROOT / folder / "05_time_series" / "05_time_series.ipynb", as_version=4).cells[0]
        assert f'"{timeseries.AEON_REQUIREMENT}"' in setup_cell.source, folder
