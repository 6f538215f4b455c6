"""The course's weighted k-NN metric, on tiny features whose answer is known by construction."""

import math

import numpy as np
import pytest
import torch

from lab_utils.evaluation import knn_accuracy


def _unit(degrees):
    """(n, 2) unit vectors at the given angles."""
    radians = torch.tensor(degrees, dtype=torch.float32) * math.pi / 180
    return torch.stack([radians.cos(), radians.sin()], dim=1)


def test_knn_classifies_points_next_to_their_own_cluster():
    train_x = torch.cat([_unit([0, 10, -10]), _unit([180, 170, 190])])
    train_y = torch.tensor([0, 0, 0, 1, 1, 1])
    test_x, test_y = _unit([5, 175, -3, 185]), torch.tensor([0, 1, 0, 1])
    assert knn_accuracy(train_x, train_y, test_x, test_y, k=3) == 1.0
    assert knn_accuracy(train_x, train_y, test_x, 1 - test_y, k=3) == 0.0


def test_votes_are_weighted_by_exp_of_similarity_over_temperature():
    """Two far neighbours of class 0 (cosine 0.5) against one close neighbour of class 1 (0.9).

    exp(0.9 / 0.07) > 2 exp(0.5 / 0.07): class 1 wins at T = 0.07; at T = 10 the weights
    are nearly equal and the majority, class 0, wins. A plain vote would always say 0.
    """
    query = torch.tensor([[1.0, 0.0]])
    far = math.degrees(math.acos(0.5))
    close = math.degrees(math.acos(0.9))
    train_x = torch.cat([_unit([far, -far]), _unit([close]), _unit([180.0])])
    train_y = torch.tensor([0, 0, 1, 2])
    assert knn_accuracy(train_x, train_y, query, torch.tensor([1]), k=3, temperature=0.07) == 1.0
    assert knn_accuracy(train_x, train_y, query, torch.tensor([0]), k=3, temperature=10.0) == 1.0
    # k = 1 sees only the closest neighbour, whatever the temperature
    assert knn_accuracy(train_x, train_y, query, torch.tensor([1]), k=1, temperature=10.0) == 1.0


def test_only_directions_count_and_batches_do_not_change_the_answer():
    generator = torch.Generator().manual_seed(0)
    centres = torch.randn(4, 8, generator=generator)
    train_y, test_y = torch.arange(4).repeat(30), torch.arange(4).repeat(10)
    train_x = centres[train_y] + 0.8 * torch.randn(120, 8, generator=generator)
    test_x = centres[test_y] + 0.8 * torch.randn(40, 8, generator=generator)
    accuracy = knn_accuracy(train_x, train_y, test_x, test_y)
    assert accuracy > 0.6
    scales = torch.rand(120, 1, generator=generator) * 10 + 0.1
    assert knn_accuracy(train_x * scales, train_y, test_x * 3, test_y) == accuracy
    assert knn_accuracy(train_x, train_y, test_x, test_y, batch_size=3) == accuracy
    assert knn_accuracy(train_x.numpy(), train_y.numpy(), test_x.numpy(), test_y.numpy()) == accuracy


def test_more_neighbours_than_training_features_uses_them_all():
    train_x, train_y = _unit([0, 90, 100]), torch.tensor([0, 1, 1])
    assert knn_accuracy(train_x, train_y, _unit([10]), torch.tensor([1]), k=200, temperature=100) == 1.0


def test_a_tiny_temperature_does_not_overflow():
    train_x, train_y = _unit([0, 30]), torch.tensor([0, 1])
    assert knn_accuracy(train_x, train_y, _unit([29]), torch.tensor([1]), k=2, temperature=1e-3) == 1.0


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    ((np.zeros((4, 2)), np.zeros(3, int), np.zeros((2, 2)), np.zeros(2, int)), {}, "4 rows"),
    ((np.zeros((4, 2)), np.zeros(4, int), np.zeros((2, 3)), np.zeros(2, int)), {}, "same encoder"),
    ((np.zeros((4, 2)), np.zeros(4), np.zeros((2, 2)), np.zeros(2, int)), {}, "integers"),
    ((np.zeros(4), np.zeros(4, int), np.zeros((2, 2)), np.zeros(2, int)), {}, r"\(N, D\)"),
    ((np.zeros((4, 2)), np.zeros(4, int), np.zeros((2, 2)), np.zeros(2, int)), {"k": 0}, "k >= 1"),
    ((np.zeros((4, 2)), np.zeros(4, int), np.zeros((2, 2)), np.zeros(2, int)),
     {"temperature": 0.0}, "temperature > 0"),
])
def test_knn_names_bad_input(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        knn_accuracy(*args, **kwargs)


def test_backbone_scores_give_the_probe_and_the_knn_of_the_same_features():
    from lab_utils import protocol
    from lab_utils.datasets import ImageSet
    from lab_utils.evaluation import extract_features, linear_probe
    from lab_utils.models import SmallCNN, normalize_cifar

    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(2).repeat(20)
    images = (torch.randint(0, 80, (40, 3, 8, 8), generator=generator) + 150 * labels[:, None, None, None])
    train = ImageSet(images[:20].to(torch.uint8), labels[:20], ("dark", "bright"), "made up")
    test = ImageSet(images[20:].to(torch.uint8), labels[20:], ("dark", "bright"), "made up")
    torch.manual_seed(0)
    backbone = SmallCNN()
    scores = protocol.backbone_scores(backbone, train, test)
    train_x, test_x = (extract_features(backbone, s.images, preprocess=normalize_cifar) for s in (train, test))
    assert scores == {"linear": linear_probe(train_x, train.labels, test_x, test.labels),
                      "knn": knn_accuracy(train_x, train.labels, test_x, test.labels)}
    assert scores["knn"] == 1.0, "bright and dark images are told apart by their neighbours"
