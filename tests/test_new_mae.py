"""A ViT-MAE trained from scratch must know where its patches are."""

from __future__ import annotations

import pytest
import torch

from lab_utils import checkpoints, vit

transformers = pytest.importorskip("transformers")


def tiny_config() -> transformers.ViTMAEConfig:
    return transformers.ViTMAEConfig(
        image_size=16, patch_size=4, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, decoder_hidden_size=16, decoder_num_hidden_layers=1,
        decoder_num_attention_heads=2, decoder_intermediate_size=32, mask_ratio=0.75)


@pytest.fixture
def mae():
    torch.manual_seed(0)
    return vit.new_mae(tiny_config()).eval()


def test_positions_are_distinct_and_tokens_drawn_in_encoder_and_decoder(mae):
    assert vit.has_distinct_positions(mae.vit.embeddings.position_embeddings)
    assert vit.has_distinct_positions(mae.decoder.decoder_pos_embed)
    assert mae.vit.embeddings.cls_token.abs().sum() > 0 and mae.decoder.mask_token.abs().sum() > 0


def test_has_distinct_positions_rejects_zero_positions():
    assert not vit.has_distinct_positions(torch.zeros(1, 17, 16))


@torch.no_grad()
def test_the_encoder_sees_where_a_patch_is(mae):
    """Swapping two patches of an image changes its features: it is not a bag of patches."""
    images = torch.randn(1, 3, 16, 16)
    swapped = images.clone()
    swapped[..., 0:4, 0:4], swapped[..., 12:16, 12:16] = images[..., 12:16, 12:16], images[..., 0:4, 0:4]
    features = vit.MAEEncoder(mae)
    assert not torch.allclose(features(images), features(swapped), atol=1e-5)


@torch.no_grad()
def test_the_decoder_paints_each_hidden_patch_differently(mae):
    out = mae(pixel_values=torch.randn(2, 3, 16, 16))
    for image in range(2):
        hidden = out.logits[image][out.mask[image].bool()]   # (hidden patches, pixels per patch)
        assert not torch.allclose(hidden, hidden[:1].expand_as(hidden), atol=1e-5)


def test_a_checkpoint_trained_without_positions_is_refused(tmp_path):
    model = vit.new_mae(tiny_config())
    with torch.no_grad():
        model.vit.embeddings.position_embeddings.zero_()
    checkpoints.save("mini_mae", model, method="mini-MAE", architecture="ViTMAEForPreTraining",
                     budget={"steps": 1, "batch_size": 1, "images": 1, "epochs": 1.0}, probe_accuracy=0.1,
                     probe="test", commit=None, hardware="test", config=model.config.to_dict(),
                     directory=tmp_path)
    with pytest.raises(checkpoints.CheckpointError, match="position embeddings"):
        checkpoints.load_vit_mae("mini_mae", directory=tmp_path)
