"""Time-series data: synthetic sines and four UCR/UEA sets, from aeon's copy or downloaded."""

import hashlib

import nbformat
import numpy as np
import pytest
import torch
from support import ROOT

from lab_utils import timeseries
from lab_utils.sources import DataUnavailableError, RemoteFile
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


def test_series_sets_move_between_devices():
    data = load_ucr("ItalyPowerDemand").to("cpu")
    assert data.train_x.device.type == "cpu" and "ItalyPowerDemand" in repr(data)


TINY_TRAIN = """# a made-up set in the archive's format
@problemName Tiny
@timeStamps false
@univariate false
@dimensions 2
@classLabel true up down
@data
1,2,3,4:0,0,1,1:up
4,3,2,1:1,1,0,0:down
2,3,4,5:0,1,1,1:up
"""
TINY_TEST = """@problemName Tiny
@classLabel true up down
@data
5,4,3,2:1,0,0,0:down
1,?,3,4:0,0,1,1:up
"""


@pytest.fixture
def tiny_set(tmp_path, monkeypatch):
    """A registered two-channel set "Tiny" whose files sit in ``tmp_path/files``, with no aeon."""
    files = tmp_path / "files"
    registered = {}
    for split, text in (("TRAIN", TINY_TRAIN), ("TEST", TINY_TEST)):
        path = files / f"Tiny_{split}.ts"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        remote = RemoteFile(f"ucr/Tiny/Tiny_{split}.ts", hashlib.sha256(text.encode()).hexdigest(),
                            ((tmp_path / "missing-mirror" / path.name).as_uri(), path.as_uri()))
        monkeypatch.setitem(timeseries.UCR_FILES, ("Tiny", split), remote)
        registered[split] = remote
    monkeypatch.setitem(timeseries.KNOWN_SIZES, "Tiny", (3, 2, 2, 4, 2))
    monkeypatch.setattr(timeseries, "_aeon_data_dir", lambda: None)
    return registered


def test_a_set_is_downloaded_from_the_first_working_mirror_and_cached(isolated_data, tiny_set, monkeypatch):
    data = load_ucr("Tiny")
    assert data.train_x.shape == (3, 2, 4) and data.classes == ("down", "up")
    assert data.train_y.tolist() == [1, 0, 1] and torch.isnan(data.test_x[1, 0, 1])
    assert (isolated_data / "ucr" / "Tiny" / "Tiny_TRAIN.ts").read_text() == TINY_TRAIN
    for split, remote in tiny_set.items():  # the cache alone must now suffice
        monkeypatch.setitem(timeseries.UCR_FILES, ("Tiny", split), RemoteFile(remote.name, remote.sha256, ()))
    assert torch.equal(load_ucr("Tiny").train_x, data.train_x)


def test_a_set_is_read_from_the_local_copy_folder(isolated_data, tiny_set, tmp_path, monkeypatch, no_network):
    local = tmp_path / "offline"
    for split in ("TRAIN", "TEST"):
        target = local / "ucr" / "Tiny" / f"Tiny_{split}.ts"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(TINY_TRAIN if split == "TRAIN" else TINY_TEST)
    monkeypatch.setenv("SSL_LAB_DATA_DIR", str(local))
    assert load_ucr("Tiny").test_x.shape == (2, 2, 4)


def test_offline_the_error_names_every_place_tried(isolated_data, tiny_set, no_network):
    with pytest.raises(DataUnavailableError) as error:
        load_ucr("Tiny")
    message = str(error.value)
    assert str(isolated_data / "ucr" / "Tiny" / "Tiny_TRAIN.ts") in message
    assert message.count("download file://") == 2 and message.count("Fix one of these") == 1


def test_a_file_of_unequal_series_is_refused(tmp_path):
    path = tmp_path / "Ragged_TRAIN.ts"
    path.write_text("@classLabel true a b\n@data\n1,2,3:a\n1,2:b\n")
    with pytest.raises(DataUnavailableError, match="equal-length"):
        timeseries.read_ts(path)


def test_the_reader_agrees_with_aeons_on_the_course_sets():
    load_from_ts_file = pytest.importorskip("aeon.datasets").load_from_ts_file
    folder = timeseries._aeon_data_dir()
    for name, split in timeseries.UCR_FILES:
        path = folder / name / f"{name}_{split}.ts"
        ours, labels = timeseries.read_ts(path)
        theirs, their_labels = load_from_ts_file(str(path))
        assert np.array_equal(ours, theirs), path
        assert [label.lower() for label in labels] == [str(label).lower() for label in their_labels]


def test_no_notebook_needs_aeon():
    """Colab has no aeon, and installing it would downgrade Colab's numpy (numba's pin)."""
    for folder in ("solutions", "notebooks"):
        for path in sorted((ROOT / folder).glob("*/*.ipynb")):
            for cell in nbformat.read(path, as_version=4).cells:
                if cell.cell_type == "code":
                    assert "aeon" not in cell.source, f"{path} {cell.get('id')} uses aeon"
