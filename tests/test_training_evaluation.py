import numpy as np
import pytest
import torch
from torch import nn

import lab_utils
from lab_utils.evaluation import (
    extract_features,
    label_efficiency,
    linear_probe,
    recalibrate_batchnorm,
    tsne_embed,
)
from lab_utils.training import minibatch_indices, train


def _blobs(n_per_class=50, n_classes=3, dim=5, spread=0.3, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(n_classes, dim))
    x = np.concatenate([c + spread * rng.normal(size=(n_per_class, dim)) for c in centres])
    y = np.repeat(np.arange(n_classes), n_per_class)
    return x.astype(np.float32), y


def test_minibatches_cover_every_index_once():
    batches = list(minibatch_indices(103, 10, seed=1))
    assert [len(b) for b in batches] == [10] * 10 + [3]
    assert sorted(torch.cat(batches).tolist()) == list(range(103))
    assert len(list(minibatch_indices(103, 10, drop_last=True))) == 10


def test_train_lowers_the_loss_and_reports_one_value_per_epoch():
    torch.manual_seed(0)
    x = torch.randn(256, 4)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 3.0])
    model = nn.Linear(4, 1)

    def mse(model, xb, yb):
        return nn.functional.mse_loss(model(xb).squeeze(1), yb)

    history = train(model, mse, x, y, epochs=5, batch_size=32,
                    optimizer=torch.optim.SGD(model.parameters(), lr=0.05))
    assert len(history) == 5 and history[-1] < 0.1 * history[0]
    assert not model.training, "train() hands the model back in eval mode"


def test_train_rejects_misaligned_targets():
    with pytest.raises(ValueError, match="10 rows but targets has 9"):
        train(nn.Linear(2, 1), lambda m, x, y: x.sum(), torch.zeros(10, 2), torch.zeros(9),
              epochs=1, batch_size=4, optimizer=torch.optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1))


@pytest.mark.parametrize("precision, atol", [("fp32", 1e-6), ("bf16", 2e-2)])
def test_extract_features_batches_flattens_and_preprocesses(monkeypatch, precision, atol):
    # bf16: what a CPU with native bf16 (or an Ampere GPU) computes; features still come back fp32
    monkeypatch.setenv("SSL_LAB_PRECISION", precision)
    encoder = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1))
    images = torch.randint(0, 256, (10, 1, 4, 4), dtype=torch.uint8)
    features = extract_features(encoder, images, batch_size=3, preprocess=lambda b: b.float() / 255)
    assert features.shape == (10, 32) and features.dtype == torch.float32
    with torch.no_grad():
        assert torch.allclose(features, encoder(images.float() / 255).flatten(1), atol=atol)


def test_linear_probe_separates_separable_classes_and_fails_on_noise():
    x, y = _blobs()
    assert linear_probe(x[::2], y[::2], x[1::2], y[1::2]) == 1.0
    rng = np.random.default_rng(1)
    noise = rng.normal(size=(400, 5))
    labels = rng.integers(0, 4, 400)
    assert linear_probe(noise[:200], labels[:200], noise[200:], labels[200:]) < 0.45


def test_linear_probe_names_misaligned_inputs():
    with pytest.raises(ValueError, match="train features have 4 rows but train labels have 3"):
        linear_probe(np.zeros((4, 2)), np.zeros(3), np.zeros((2, 2)), np.zeros(2))


def test_tsne_gives_two_coordinates_per_point():
    x, _ = _blobs(n_per_class=10)
    assert tsne_embed(x).shape == (30, 2)


def test_label_efficiency_draws_balanced_subsets_of_each_size():
    x, y = _blobs(n_per_class=40, n_classes=4)
    calls = []

    def spy_probe(train_x, train_y, test_x, test_y):
        calls.append((len(train_x), np.bincount(train_y, minlength=4).tolist(), len(test_x)))
        return len(train_x) / 100

    curve = label_efficiency(x, y, x[:7], y[:7], sizes=(4, 40), seeds=3, probe=spy_probe)
    assert set(curve) == {4, 40}
    assert np.allclose(curve[4], (0.04, 0.0)) and np.allclose(curve[40], (0.4, 0.0))
    assert calls[:3] == [(4, [1, 1, 1, 1], 7)] * 3
    assert calls[3] == (40, [10, 10, 10, 10], 7)


def test_label_efficiency_improves_with_labels_on_real_features():
    x, y = _blobs(n_per_class=100, n_classes=5, spread=2.5)
    curve = label_efficiency(x[::2], y[::2], x[1::2], y[1::2], sizes=(5, 200), seeds=3)
    assert curve[200][0] > curve[5][0]


def test_public_api_is_importable_from_the_package():
    for name in lab_utils.__all__:
        assert hasattr(lab_utils, name), name


def test_recalibrate_batchnorm_replaces_running_statistics_with_those_of_the_inputs():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
    model[1].running_mean.fill_(7.0)   # statistics of another input distribution
    model[1].running_var.fill_(9.0)
    weights = {name: value.clone() for name, value in model.state_dict().items() if "running" not in name
               and "num_batches" not in name}
    inputs = 3 + 2 * torch.randn(600, 4)
    returned = recalibrate_batchnorm(model, inputs, batch_size=200)
    assert returned is model and not model.training
    assert model[1].momentum == 0.1, "the layer's own momentum is restored"
    hidden = model[0](inputs).detach()
    # three equal batches: the cumulative average of batch means is the mean over all inputs
    # (to bfloat16's precision on CPUs where the precision policy computes in it)
    assert torch.allclose(model[1].running_mean, hidden.mean(0), rtol=0.01, atol=0.01)
    assert torch.allclose(model[1].running_var, hidden.var(0), rtol=0.05)
    for name, value in model.state_dict().items():
        if name in weights:
            assert torch.equal(value, weights[name]), f"{name} must not change"


def test_recalibrate_batchnorm_refuses_a_model_without_batchnorm():
    with pytest.raises(ValueError, match="no BatchNorm"):
        recalibrate_batchnorm(nn.Linear(2, 2), torch.zeros(4, 2))


def test_label_efficiency_fits_the_whole_labelled_set_once_for_a_probe_without_seed():
    train_x, train_y = torch.randn(40, 3), torch.arange(40) % 4
    calls = []

    def probe(x, y, test_x, test_y):
        calls.append(len(x))
        return 0.5 + 0.01 * len(calls)

    scores = lab_utils.evaluation.label_efficiency_scores(train_x, train_y, train_x, train_y,
                                                          sizes=[8, 40], seeds=3, probe=probe)
    assert calls == [8, 8, 8, 40], "subsets are drawn per seed; the whole set is fitted once"
    assert scores[40] == [scores[40][0]] * 3

    def seeded(x, y, test_x, test_y, seed):
        calls.append(seed)
        return float(seed)

    calls.clear()
    seeded_scores = lab_utils.evaluation.label_efficiency_scores(
        train_x, train_y, train_x, train_y, sizes=[40], seeds=3, probe=seeded)
    assert calls == [0, 1, 2] and seeded_scores[40] == [0.0, 1.0, 2.0], "a seeded probe runs per seed"
