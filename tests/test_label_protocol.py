"""Label-efficiency helpers of the protocol: frozen curves, and training end to end on few labels."""

import pytest
import torch
from torch import nn

from lab_utils import protocol
from lab_utils.datasets import ImageSet


def two_colour_set(n: int, seed: int) -> ImageSet:
    """Class 0 dark images, class 1 bright ones, with noise: separable by their mean colour."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2
    images = (60 + 120 * labels.view(-1, 1, 1, 1) + torch.randint(0, 40, (n, 3, 8, 8), generator=generator))
    return ImageSet(images.to(torch.uint8), labels, ("dark", "bright"), "synthetic")


class MeanColour(nn.Module):
    """A backbone whose features are the mean of each channel: (B, 3, H, W) -> (B, 3)."""

    def __init__(self) -> None:
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x.mean(dim=(2, 3))


def test_frozen_curves_score_every_size_and_the_whole_set_once():
    train, test = two_colour_set(40, 0), two_colour_set(40, 1)
    curves = protocol.frozen_label_efficiency(MeanColour(), train, test, sizes=(2, 10, 40), seeds=3)
    assert set(curves) == {"linear", "knn"}
    for metric in curves.values():
        assert list(metric) == [2, 10, 40]
        assert metric[10][0] == 1.0, "the mean colour separates the classes"
        assert metric[40][1] == 0.0, "every seed draws the whole set: no spread"


def test_fine_tuning_learns_what_the_labels_say():
    train, test = two_colour_set(40, 0), two_colour_set(60, 1)

    def make_model():
        return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 2))

    settings = dict(seed=0, epochs=10, min_steps=20, batch_size=16, lr=0.1, weight_decay=0.0)
    trained = protocol.fine_tune_accuracy(make_model, train.images, train.labels, test.images, test.labels,
                                          **settings)
    assert trained > 0.9
    unrelated = (torch.arange(len(train.labels)) // 2) % 2   # half of each colour in each class
    chance = protocol.fine_tune_accuracy(make_model, train.images, unrelated, test.images, test.labels,
                                         **settings)
    assert chance < 0.8, "labels that say nothing teach nothing"


def test_fine_tuning_builds_its_network_after_seeding_it():
    train, test = two_colour_set(20, 0), two_colour_set(20, 1)
    built = []

    def make_model():
        model = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 2))
        built.append(model[2].weight.detach().clone())
        return model

    for seed in (0, 0, 1):
        protocol.fine_tune_accuracy(make_model, train.images, train.labels, test.images, test.labels, seed,
                                    epochs=1, min_steps=1, batch_size=8, lr=1e-3, weight_decay=0.0)
    assert torch.equal(built[0], built[1]) and not torch.equal(built[0], built[2])


@pytest.mark.parametrize("fraction", [0.0, 1.0])
def test_fine_tuning_rejects_a_held_out_fraction_outside_zero_and_one(fraction):
    train = two_colour_set(20, 0)
    with pytest.raises(ValueError, match="held-out fraction"):
        protocol.fine_tune_accuracy(nn.Identity, train.images, train.labels, train.images, train.labels,
                                    epochs=1, min_steps=1, batch_size=8, lr=1e-3, weight_decay=0.0,
                                    held_out=fraction)
