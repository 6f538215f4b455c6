import pytest
import torch
from support import shared_data_dir

from lab_utils import protocol
from lab_utils.models import CIFAR10_MEAN, SmallCNN, normalize_cifar


def test_backbone_maps_images_and_tiles_to_256_features():
    model = SmallCNN()
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 256)
    assert model(torch.randn(2, 3, 16, 16)).shape == (2, 256)
    assert SmallCNN(in_channels=1)(torch.randn(2, 1, 32, 32)).shape == (2, 256)
    assert model.feature_map(torch.randn(2, 3, 32, 32)).shape == (2, 256, 4, 4)


def test_normalize_cifar_standardises_uint8_and_float_alike():
    mean_pixel = torch.tensor(CIFAR10_MEAN).view(1, 3, 1, 1).expand(1, 3, 4, 4)
    assert torch.allclose(normalize_cifar(mean_pixel), torch.zeros(1, 3, 4, 4), atol=1e-6)
    as_uint8 = torch.full((1, 3, 2, 2), 255, dtype=torch.uint8)
    assert torch.allclose(normalize_cifar(as_uint8), normalize_cifar(torch.ones(1, 3, 2, 2)))


@pytest.mark.skipif(shared_data_dir() is None, reason="needs the offline copies in ../shared/data")
def test_probe_sets_are_fixed_and_balanced(monkeypatch):
    monkeypatch.setenv("SSL_LAB_DATA_DIR", str(shared_data_dir()))
    train, test = protocol.cifar10_probe_sets("smoke")
    again, _ = protocol.cifar10_probe_sets("smoke")
    assert len(train) == 500 and len(test) == 500
    assert train.labels.bincount().tolist() == [50] * 10
    assert torch.equal(train.images, again.images)


@pytest.mark.skipif(shared_data_dir() is None, reason="needs the offline copies in ../shared/data")
def test_a_random_backbone_beats_chance_but_not_by_miracle(monkeypatch):
    monkeypatch.setenv("SSL_LAB_DATA_DIR", str(shared_data_dir()))
    train, test = protocol.cifar10_probe_sets("smoke")
    accuracy = protocol.random_baseline(train, test)
    assert 0.15 < accuracy < 0.6
