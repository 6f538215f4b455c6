"""Dry runs cap every loop at a few batches, keep every size, and measure activation memory."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

import lab_utils
from lab_utils import dry_run, feature_cache, keras_dry_run
from lab_utils.results import results_file


@pytest.fixture
def two_steps(monkeypatch):
    monkeypatch.setenv(dry_run.MAX_STEPS_ENV_VAR, "2")
    dry_run._warned.clear()


def test_no_dry_run_without_the_variable(monkeypatch):
    monkeypatch.delenv(dry_run.MAX_STEPS_ENV_VAR, raising=False)
    assert dry_run.max_steps() is None and dry_run.cap(1000) == 1000


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_a_bad_cap_is_refused_with_the_fix(monkeypatch, value):
    monkeypatch.setenv(dry_run.MAX_STEPS_ENV_VAR, value)
    with pytest.raises(ValueError, match="positive number of batches"):
        dry_run.max_steps()


def test_training_stops_after_the_cap_at_the_real_batch_size(two_steps):
    batch_sizes = []

    def loss_fn(model, x, _y):
        batch_sizes.append(len(x))
        return model(x).square().mean()

    model = nn.Linear(3, 1)
    with pytest.warns(dry_run.DryRunWarning, match="stops after 2 steps"):
        history = lab_utils.train(model, loss_fn, torch.randn(1000, 3), epochs=5, batch_size=64,
                                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    assert batch_sizes == [64, 64] and len(history) == 1


def test_feature_extraction_computes_the_capped_batches_and_keeps_the_row_count(two_steps):
    calls = []

    def encoder(batch):
        calls.append(len(batch))
        return batch[:, :2] * 10

    inputs = torch.arange(30.0).reshape(10, 3)
    with pytest.warns(dry_run.DryRunWarning, match="4 of 10 inputs"):
        features = lab_utils.extract_features(encoder, inputs, batch_size=2)
    assert calls == [2, 2] and features.shape == (10, 2)
    assert torch.equal(features[:4], inputs[:4, :2] * 10) and torch.equal(features[4:8], features[:4])


def test_the_saved_tensor_meter_counts_activations_not_parameters():
    layer = nn.Linear(1000, 1000, bias=False)   # its 4 MB weight is saved too, but not counted
    x = torch.randn(256, 1000, requires_grad=True)
    with dry_run.saved_tensor_bytes(layer) as meter:
        layer(torch.relu(x)).sum()
    # relu saves its output and the linear layer its input: the same (256, 1000) float32 tensor
    assert meter[0] == 256 * 1000 * 4


def test_a_dry_run_reports_and_records_what_the_full_loops_would_cost(two_steps, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SSL_LAB_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("SSL_LAB_PRECISION", "fp32")  # the byte counts below are float32's
    monkeypatch.setattr(dry_run, "costs", dry_run.Costs())
    lab_utils.setup("02_pretext_tasks", profile="smoke")
    model = nn.Sequential(nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 1))
    lab_utils.train(model, lambda m, x, y: m(x).mean(), torch.randn(512, 100), epochs=3, batch_size=128,
                    optimizer=torch.optim.SGD(model.parameters(), lr=0.1), desc="Tiny MLP (tau=1)")
    lab_utils.extract_features(model, torch.randn(1000, 100), batch_size=100)
    assert "the budget asks for 12 steps" in capsys.readouterr().out
    path = results_file("02_pretext_tasks", "smoke")
    assert path.name == "02_pretext_tasks.smoke-dryrun.json"
    metrics = json.loads(path.read_text())["metrics"]
    activations = (128 * 100 + 128 * 50) * 4           # input (128, 100) + ReLU output (128, 50), float32
    assert metrics["dry_run_activation_mib_tiny_mlp_tau_1"] == pytest.approx(activations / 2**20)
    step_flops = 3 * 2 * 128 * (100 * 50 + 50 * 1) - 2 * 128 * 100 * 50   # fwd + bwd, no input grad
    assert metrics["dry_run_train_steps"] == 12
    assert metrics["dry_run_train_flops"] == pytest.approx(12 * step_flops)
    assert metrics["dry_run_max_activation_bytes"] == activations
    assert metrics["dry_run_inference_batches"] == 10
    assert metrics["dry_run_inference_flops"] == pytest.approx(10 * 2 * 100 * (100 * 50 + 50))
    assert metrics["dry_run_capped_seconds"] > 0


def test_a_dry_run_never_touches_the_feature_cache(two_steps, tmp_path, monkeypatch):
    monkeypatch.setenv("SSL_LAB_CACHE_DIR", str(tmp_path))
    images = torch.randint(0, 256, (20, 3, 4, 4), dtype=torch.uint8)
    features = feature_cache.cached_features(lambda x: x.flatten(1).float(), images, model="m",
                                             revision="r", subset="s", batch_size=4)
    assert features.shape == (20, 48)
    assert not (tmp_path / "features").exists()


def test_keras_training_gets_no_callback_outside_a_dry_run(monkeypatch):
    monkeypatch.delenv(dry_run.MAX_STEPS_ENV_VAR, raising=False)
    assert keras_dry_run.keras_callbacks(batch_size=32) == []


def test_a_keras_fit_stops_after_the_cap_and_its_planned_cost_is_counted(two_steps, monkeypatch):
    keras = pytest.importorskip("keras")
    import numpy as np

    monkeypatch.setattr(dry_run, "costs", dry_run.Costs())
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, name="conv"),
                              keras.layers.Flatten(), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    seen = []
    stop = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    model.fit(np.zeros((320, 8, 8, 1)), np.zeros(320), batch_size=32, epochs=5, verbose=0,
              callbacks=[*keras_dry_run.keras_callbacks(batch_size=32), stop])
    assert len(seen) == 2, "two batches, then training stops"
    conv = 2 * 6 * 6 * (3 * 3 * 1 * 4)          # 6x6 outputs, a 3x3x1x4 kernel
    dense = 2 * (6 * 6 * 4 * 2)
    assert keras_dry_run.keras_forward_flops(model) == conv + dense
    assert dry_run.costs.train_steps == 5 * 10
    assert dry_run.costs.train_flops == 50 * 3 * 32 * (conv + dense)
