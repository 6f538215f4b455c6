"""The mini-MAE fine-tuning benchmark compares the checkpoint with a true random twin."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import ViTMAEConfig

from lab_utils import checkpoints, vit
from ssl_lab_instructor.benchmarks import mae_finetune


@pytest.fixture
def saved_mae(tmp_path):
    """A tiny 32x32 ViT-MAE saved as the course's ``mini_mae`` in a folder of its own."""
    torch.manual_seed(123)
    config = ViTMAEConfig(image_size=32, patch_size=8, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                          intermediate_size=16, decoder_hidden_size=16, decoder_num_hidden_layers=1,
                          decoder_num_attention_heads=2, decoder_intermediate_size=16)
    checkpoints.save("mini_mae", vit.new_mae(config), method="mini-MAE",
                     architecture="ViTMAEForPreTraining",
                     budget={"steps": 1, "batch_size": 1, "images": 1, "epochs": 1.0}, probe_accuracy=0.1,
                     probe="test", commit=None, hardware="test", config=config.to_dict(), directory=tmp_path)
    return tmp_path


def encoder_weights(classifier: torch.nn.Module) -> list[torch.Tensor]:
    """The learnt weight matrices of a classifier's encoder, in order (not the fixed sin-cos
    position embeddings, the same in every ViT-MAE)."""
    return [p.detach() for name, p in classifier.features.named_parameters()
            if p.dim() > 1 and "position_embeddings" not in name]


def test_the_checkpoint_arm_starts_from_its_weights_and_the_twin_from_new_random_ones(saved_mae):
    mae, _ = checkpoints.load_vit_mae("mini_mae", "cpu", saved_mae)
    checkpoint_weights = [p for name, p in mae.vit.named_parameters()
                          if p.dim() > 1 and "position_embeddings" not in name]
    builders = mae_finetune.arms(mae)
    loaded = encoder_weights(builders["checkpoint"]())
    assert len(loaded) == len(checkpoint_weights)
    assert all(torch.equal(a, b) for a, b in zip(loaded, checkpoint_weights, strict=True))
    torch.manual_seed(0)
    twin_a = encoder_weights(builders["twin"]())
    torch.manual_seed(1)
    twin_b = encoder_weights(builders["twin"]())
    assert [w.shape for w in twin_a] == [w.shape for w in loaded]   # the same architecture
    assert not any(torch.equal(a, b) for a, b in zip(twin_a, loaded, strict=True)), "the twin must not carry the checkpoint"
    assert not all(torch.equal(a, b) for a, b in zip(twin_a, twin_b, strict=True)), "each seed draws new random weights"


def test_the_gain_is_the_checkpoint_minus_the_twin_in_points():
    flat = mae_finetune.figures({"checkpoint": {1000: (0.262, 0.009)}, "twin": {1000: (0.241, 0.007)}})
    assert flat["finetune_1000_checkpoint"] == 0.262 and flat["finetune_1000_twin_std"] == 0.007
    assert flat["gain_1000"] == pytest.approx(2.1)


def test_a_smoke_run_writes_both_curves_and_the_gain(saved_mae, tmp_path):
    output = tmp_path / "out.json"
    assert mae_finetune.main(["--recipe", "smoke", "--labels", "20", "--seeds", "2",
                              "--checkpoint-dir", str(saved_mae), "--output", str(output)]) == 0
    result = json.loads(output.read_text())
    checkpoint, twin = result["curves"]["checkpoint"]["20"], result["curves"]["twin"]["20"]
    assert all(0 <= v[0] <= 1 for v in (checkpoint, twin))
    assert result["gain_20"] == pytest.approx(100 * (checkpoint[0] - twin[0]))
    assert result["seeds"] == 2 and result["recipe"] == "smoke"
