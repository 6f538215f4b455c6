"""Reading ViTs (attention, patch tokens, MAE masks) and the on-disk feature cache."""

from types import SimpleNamespace

import pytest
import torch

from lab_utils import feature_cache, vit

transformers = pytest.importorskip("transformers")


def tiny_mae(image_size=32, patch_size=8, norm_pix_loss=False):
    torch.manual_seed(0)
    config = transformers.ViTMAEConfig(
        image_size=image_size, patch_size=patch_size, hidden_size=16, num_hidden_layers=1,
        num_attention_heads=2, intermediate_size=32, decoder_hidden_size=16,
        decoder_num_hidden_layers=1, decoder_num_attention_heads=2, decoder_intermediate_size=32,
        mask_ratio=0.75, norm_pix_loss=norm_pix_loss)
    return transformers.ViTMAEForPreTraining(config).eval()


def tiny_dino():
    torch.manual_seed(0)
    config = transformers.Dinov2Config(image_size=32, patch_size=8, hidden_size=24,
                                       num_hidden_layers=2, num_attention_heads=3, mlp_ratio=2,
                                       attn_implementation="eager")
    return transformers.Dinov2Model(config).eval()


def test_cls_attention_is_one_map_per_head_on_the_patch_grid():
    model = tiny_dino()
    attention = vit.cls_attention(model, torch.randn(2, 3, 48, 32))
    assert attention.shape == (2, 3, 6, 4)
    row_sums = attention.sum(dim=(2, 3))
    assert bool((row_sums > 0).all() and (row_sums < 1).all()), "CLS-to-CLS weight is dropped"


def test_cls_attention_asks_for_eager_attention_when_none_come_back():
    class WithoutAttention(torch.nn.Module):
        config = SimpleNamespace(patch_size=8, image_size=32)

        def forward(self, pixel_values, output_attentions=False):
            return SimpleNamespace(attentions=None)

    with pytest.raises(RuntimeError, match="eager"):
        vit.cls_attention(WithoutAttention(), torch.randn(1, 3, 32, 32))


def test_patch_and_cls_tokens_have_the_model_width():
    model = tiny_dino()
    pixels = torch.randn(3, 3, 32, 32)
    assert vit.patch_tokens(model, pixels).shape == (3, 16, 24)
    assert vit.cls_token(model, pixels).shape == (3, 24)


def test_mask_ratio_is_restored_even_after_an_error():
    model = tiny_mae()
    with pytest.raises(ZeroDivisionError), vit.mask_ratio(model, 0.5):
        assert model.config.mask_ratio == 0.5
        raise ZeroDivisionError
    assert model.config.mask_ratio == 0.75
    with pytest.raises(ValueError, match=r"\[0, 1\)"), vit.mask_ratio(model, 1.0):
        pass


@pytest.mark.parametrize("norm_pix_loss", [False, True])
def test_mae_reconstruct_follows_the_given_noise(norm_pix_loss):
    model = tiny_mae(norm_pix_loss=norm_pix_loss)
    pixels = torch.randn(2, 3, 32, 32)
    noise = torch.rand(2, 16)
    reconstruction, mask = vit.mae_reconstruct(model, pixels, 0.5, noise=noise)
    assert reconstruction.shape == pixels.shape
    expected = torch.zeros(2, 16)
    expected.scatter_(1, noise.argsort(dim=1)[:, 8:], 1.0)
    assert torch.equal(mask, expected)
    assert model.config.mask_ratio == 0.75


def test_mae_reconstruct_works_at_another_input_size():
    reconstruction, mask = vit.mae_reconstruct(tiny_mae(), torch.randn(1, 3, 16, 16), 0.75)
    assert reconstruction.shape == (1, 3, 16, 16) and mask.shape == (1, 4)


def test_mae_encoder_sees_every_patch_in_order():
    model = tiny_mae()
    encoder = vit.MAEEncoder(model)
    pixels = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        features = encoder(pixels)
        again = encoder(pixels)
    assert features.shape == (3, 16)
    assert torch.allclose(features, again), "no random masking in feature extraction"
    assert model.config.mask_ratio == 0.75
    with torch.no_grad():
        assert encoder(torch.randn(2, 3, 48, 48)).shape == (2, 16)


def test_mask_to_pixels_and_paint_masked():
    mask = torch.tensor([[1.0, 0.0, 0.0, 1.0]])
    pixels = vit.mask_to_pixels(mask, (2, 2), 3)
    assert pixels.shape == (1, 1, 6, 6) and pixels.dtype == torch.bool
    assert bool(pixels[0, 0, :3, :3].all()) and not bool(pixels[0, 0, :3, 3:].any())
    painted = vit.paint_masked(torch.zeros(1, 3, 6, 6), mask, 3)
    assert bool((painted[0, :, 5, 5] == 0.5).all()) and bool((painted[0, :, 0, 5] == 0).all())


class CountingEncoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(1))
        self.calls = 0

    def forward(self, batch):
        self.calls += 1
        return batch.float().flatten(1)[:, :4] * self.weight


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SSL_LAB_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_features_are_computed_once_then_loaded(cache):
    encoder, images = CountingEncoder(), torch.arange(5 * 3 * 2 * 2).reshape(5, 3, 2, 2)
    key = dict(model="org/model", revision="abc", subset="train-5")
    first = feature_cache.cached_features(encoder, images, batch_size=2, **key)
    assert encoder.calls == 3 and first.shape == (5, 4) and first.dtype == torch.float32
    second = feature_cache.cached_features(encoder, images, batch_size=2, **key)
    assert encoder.calls == 3, "the second call must load the cached features"
    assert torch.equal(first, second)
    assert len(list((cache / "features").glob("*.pt"))) == 1


def test_the_key_holds_revision_subset_images_and_settings(cache):
    encoder, images = CountingEncoder(), torch.ones(4, 3, 2, 2)
    key = dict(model="org/model", revision="abc", subset="train-4")
    feature_cache.cached_features(encoder, images, **key)
    feature_cache.cached_features(encoder, images, **{**key, "revision": "def"})
    feature_cache.cached_features(encoder, images, **{**key, "subset": "test-4"})
    feature_cache.cached_features(encoder, images + 1, **key)
    feature_cache.cached_features(encoder, images, settings={"input_size": 112}, **key)
    assert encoder.calls == 5
    feature_cache.cached_features(encoder, images, refresh=True, **key)
    assert encoder.calls == 6


def test_an_unreadable_cache_file_is_recomputed(cache):
    encoder, images = CountingEncoder(), torch.ones(2, 3, 2, 2)
    key = dict(model="org/model", revision="abc", subset="s")
    feature_cache.cached_features(encoder, images, **key)
    (path,) = (cache / "features").glob("*.pt")
    path.write_bytes(b"not a tensor")
    again = feature_cache.cached_features(encoder, images, **key)
    assert encoder.calls == 2 and again.shape == (2, 4)


def test_images_digest_tells_contents_shapes_and_dtypes_apart():
    a = torch.zeros(2, 3, dtype=torch.uint8)
    assert feature_cache.images_digest(a) == feature_cache.images_digest(a.clone())
    assert feature_cache.images_digest(a) != feature_cache.images_digest(a.reshape(3, 2))
    assert feature_cache.images_digest(a) != feature_cache.images_digest(a.float())
    b = a.clone()
    b[1, 2] = 1
    assert feature_cache.images_digest(a) != feature_cache.images_digest(b)


def test_cls_attention_switches_a_fused_attention_model_to_eager_and_back():
    torch.manual_seed(0)
    config = transformers.Dinov2Config(image_size=32, patch_size=8, hidden_size=24,
                                       num_hidden_layers=2, num_attention_heads=3, mlp_ratio=2,
                                       attn_implementation="sdpa")
    model = transformers.Dinov2Model(config).eval()
    pixels = torch.randn(2, 3, 32, 32)
    attention = vit.cls_attention(model, pixels)
    assert attention.shape == (2, 3, 4, 4)
    assert model.config._attn_implementation == "sdpa", "the model goes back to fused attention"
    eager = tiny_dino()
    eager.load_state_dict(model.state_dict())
    assert torch.allclose(attention, vit.cls_attention(eager, pixels), atol=1e-5)


def test_mae_classifier_trains_a_copy_of_the_encoder_and_leaves_the_mae_alone():
    model = tiny_mae().requires_grad_(False)   # frozen, as a course checkpoint loads
    before = {k: v.clone() for k, v in model.state_dict().items()}
    classifier = vit.MAEClassifier(model, n_classes=5)
    assert not any(name.startswith("features.mae.decoder") for name, _ in classifier.named_parameters())
    optimizer = torch.optim.SGD(classifier.parameters(), lr=0.5)
    logits = classifier(torch.randn(4, 3, 32, 32))
    assert logits.shape == (4, 5)
    torch.nn.functional.cross_entropy(logits, torch.arange(4)).backward()
    assert all(p.grad is not None for p in classifier.parameters()), "every weight of the encoder trains"
    optimizer.step()
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items()), "the MAE changed"
    changed = vit.MAEEncoder(model.vit)(torch.ones(1, 3, 32, 32)) != classifier.features(torch.ones(1, 3, 32, 32))
    assert changed.any(), "the copy is what trained"
