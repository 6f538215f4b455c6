"""Pinned pretrained models: stand-ins in the smoke profile, clear errors elsewhere."""

import re

import pytest
import torch

from lab_utils import pretrained
from lab_utils.pretrained import (
    MODELS,
    HubUnavailableError,
    StandInModelWarning,
    load_pretrained,
    stand_in_model,
)

pytest.importorskip("transformers")


@pytest.fixture
def calls(monkeypatch):
    """Record every call to the Hub loader, and make it fail as it does offline."""
    made = []

    def offline(model_class, name, revision, local_files_only, **kwargs):
        made.append(dict(name=name, revision=revision, local_files_only=local_files_only,
                         **kwargs))
        raise OSError("We couldn't connect to 'https://huggingface.co' to load the files")

    monkeypatch.setattr(pretrained, "_from_pretrained", offline)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return made


def test_every_model_is_pinned_to_a_commit():
    assert set(MODELS) == {"facebook/vit-mae-base", "facebook/dinov2-small",
                           "google/vit-base-patch16-224"}
    for spec in MODELS.values():
        assert re.fullmatch(r"[0-9a-f]{40}", spec.revision), spec


@pytest.mark.parametrize("name", sorted(MODELS))
def test_smoke_profile_without_hub_gets_a_warned_stand_in_of_the_same_class(calls, name):
    import transformers

    with pytest.warns(StandInModelWarning, match="RANDOM"):
        loaded = load_pretrained(name, profile="smoke")
    assert type(loaded.model) is getattr(transformers, MODELS[name].architecture)
    assert loaded.stand_in and loaded.revision.startswith("stand-in-")
    assert "stand-in" in loaded.label and "STAND-IN" in str(loaded)
    assert not loaded.model.training
    assert not any(p.requires_grad for p in loaded.model.parameters())
    assert calls[0]["revision"] == MODELS[name].revision
    assert calls[0]["local_files_only"], "the smoke profile must never download"


@pytest.mark.parametrize("profile", ["cpu", "gpu"])
def test_cpu_and_gpu_profiles_without_hub_raise_an_error_that_says_how_to_fix_it(calls, profile):
    with pytest.raises(HubUnavailableError) as error:
        load_pretrained("facebook/dinov2-small", profile=profile)
    message = str(error.value)
    spec = MODELS["facebook/dinov2-small"]
    assert f"hf download {spec.name} --revision {spec.revision}" in message
    assert "HF_HOME" in message and "internet" in message and "Part C" in message
    assert isinstance(error.value.__cause__, OSError)
    assert calls[0]["local_files_only"] is False, "cpu/gpu profiles may download"


def test_hf_hub_offline_reads_only_the_local_cache_and_is_named_in_the_error(calls, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(HubUnavailableError, match="HF_HUB_OFFLINE"):
        load_pretrained("facebook/vit-mae-base", profile="cpu")
    assert calls[0]["local_files_only"] is True


def test_a_model_found_by_the_loader_is_used_frozen_with_its_pinned_revision(monkeypatch):
    spec = MODELS["google/vit-base-patch16-224"]
    tiny, _ = stand_in_model(spec)
    monkeypatch.setattr(pretrained, "_from_pretrained", lambda *args, **kwargs: tiny)
    loaded = load_pretrained(spec.name, profile="cpu")
    assert loaded.model is tiny and not loaded.stand_in
    assert loaded.revision == spec.revision and loaded.label == "vit-base-patch16-224"
    assert not any(p.requires_grad for p in tiny.parameters())


def test_unknown_models_are_named_with_the_known_ones():
    with pytest.raises(KeyError, match="facebook/dinov2-small"):
        load_pretrained("facebook/dinov2-giant", profile="smoke")


def test_stand_ins_are_reproducible_and_leave_the_global_random_state_alone():
    spec = MODELS["facebook/dinov2-small"]
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    first, revision = stand_in_model(spec)
    assert torch.equal(torch.random.get_rng_state(), before)
    second, same_revision = stand_in_model(spec)
    assert revision == same_revision
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert torch.equal(a, b)


def test_preprocess_resizes_and_standardises_and_to_display_undoes_it(calls):
    with pytest.warns(StandInModelWarning):
        loaded = load_pretrained("facebook/vit-mae-base", profile="smoke")
    grey = torch.full((2, 3, 32, 32), 128, dtype=torch.uint8)
    pixels = loaded.preprocess(grey)
    assert pixels.shape == (2, 3, loaded.image_size, loaded.image_size)
    assert pixels.dtype == torch.float32
    expected = (128 / 255 - torch.tensor(MODELS[loaded.name].mean)) / torch.tensor(
        MODELS[loaded.name].std)
    assert torch.allclose(pixels[0, :, 5, 5], expected, atol=1e-5)
    assert torch.allclose(loaded.to_display(pixels), torch.full_like(pixels, 128 / 255), atol=1e-5)
    assert loaded.preprocess(grey, size=16).shape == (2, 3, 16, 16)


def test_input_size_is_a_whole_number_of_patches(calls):
    with pytest.warns(StandInModelWarning):
        loaded = load_pretrained("facebook/dinov2-small", profile="smoke")
    assert loaded.input_size() == loaded.image_size
    for scale in (0.3, 0.5, 1.7):
        assert loaded.input_size(scale) % loaded.patch_size == 0
    with pytest.raises(ValueError, match="positive"):
        loaded.input_size(0)


def test_dinov2_is_fed_at_224_pixels_although_its_config_says_518(monkeypatch):
    spec = MODELS["facebook/dinov2-small"]
    real_size, _ = stand_in_model(spec, full_size=True)
    assert real_size.config.image_size == 518 and real_size.config.hidden_size == 384
    monkeypatch.setattr(pretrained, "_from_pretrained", lambda *args, **kwargs: real_size)
    loaded = load_pretrained(spec.name, profile="gpu")
    assert loaded.image_size == 224 and loaded.input_size() == 224
    pixels = loaded.preprocess(torch.zeros(2, 3, 32, 32, dtype=torch.uint8))
    assert pixels.shape == (2, 3, 224, 224)
    from lab_utils import vit

    assert vit.patch_tokens(loaded.model, pixels).shape == (2, 16 * 16, 384)
    assert loaded.model.config._attn_implementation == "sdpa", "features use fused attention"


def test_a_dry_run_without_the_hub_stands_in_a_random_model_of_the_real_size(calls, monkeypatch):
    monkeypatch.setenv("SSL_LAB_MAX_STEPS", "2")
    with pytest.warns(StandInModelWarning, match="REAL size"):
        loaded = load_pretrained("google/vit-base-patch16-224", profile="gpu")
    assert loaded.stand_in and loaded.image_size == 224
    assert sum(p.numel() for p in loaded.model.parameters()) > 80e6  # ViT-B/16: 86 M
    assert calls[0]["local_files_only"], "a dry run never downloads"


def test_the_feature_batch_fits_the_free_memory(calls, monkeypatch):
    from lab_utils import memory
    from lab_utils.precision import Precision

    config = MODELS["facebook/dinov2-small"].full_config
    fp16 = Precision("cuda", "fp16", True, True, "T4")
    at_224 = memory.vit_inference_bytes(pretrained_config(config), 224, fp16)
    at_518 = memory.vit_inference_bytes(pretrained_config(config), 518, fp16)
    assert at_518 > 10 * at_224, "518 pixels cost far more than 224 (attention grows as tokens^2)"
    monkeypatch.setattr(memory, "available_bytes", lambda device: 14 * 2**30)   # a T4
    assert memory.batch_size_for(at_224, "cuda") == 256
    monkeypatch.setattr(memory, "available_bytes", lambda device: 2**30)        # a small laptop
    small = memory.batch_size_for(at_518, "cpu")
    assert 1 <= small < 256 and small * at_518 <= 2**29


def pretrained_config(settings):
    import transformers

    return transformers.Dinov2Config(**settings)
