"""Unit tests of lab_utils.augment (batched, per-image augmentations) and lab_utils.schedules."""

from __future__ import annotations

import math

import pytest
import torch
import torchvision.transforms.v2.functional as TF

from lab_utils import augment
from lab_utils.schedules import warmup_cosine, warmup_cosine_factor


def _images(n: int = 6, size: int = 8, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def test_to_float_scales_uint8_and_keeps_floats():
    images = torch.tensor([0, 51, 255], dtype=torch.uint8).view(1, 3, 1, 1)
    assert torch.allclose(augment.to_float(images).flatten(), torch.tensor([0.0, 0.2, 1.0]))
    floats = torch.rand(2, 3, 4, 4)
    assert augment.to_float(floats) is floats


def test_uniform_draws_in_range_and_repeats_with_a_seed():
    a = augment.uniform(1000, 0.2, 0.5, torch.Generator().manual_seed(3))
    b = augment.uniform(1000, 0.2, 0.5, torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and a.min() >= 0.2 and a.max() < 0.5


def test_full_crop_is_the_identity_and_output_size_is_respected():
    images = _images()
    same = augment.random_resized_crop(images, scale=(1.0, 1.0), ratio=(1.0, 1.0))
    assert torch.allclose(same, images, atol=1e-6)
    assert augment.random_resized_crop(images, size=4).shape == (6, 3, 4, 4)


def test_crops_differ_per_image_and_zoom_in():
    ramp = torch.linspace(0, 1, 16).expand(200, 3, 16, 16).contiguous()
    crops = augment.random_resized_crop(ramp, scale=(0.1, 0.5),
                                        generator=torch.Generator().manual_seed(0))
    spans = crops[..., -1].mean(dim=(1, 2)) - crops[..., 0].mean(dim=(1, 2))  # < 1: zoomed in
    assert spans.max() < 0.95 and spans.std() > 0.05
    assert crops.min() >= 0 and crops.max() <= 1


def test_flip_probability_zero_and_one():
    images = _images()
    assert torch.equal(augment.random_horizontal_flip(images, p=0.0), images)
    assert torch.equal(augment.random_horizontal_flip(images, p=1.0), images.flip(-1))
    half = augment.random_horizontal_flip(images.repeat(100, 1, 1, 1), p=0.5,
                                          generator=torch.Generator().manual_seed(0))
    flipped = (half == images.repeat(100, 1, 1, 1).flip(-1)).flatten(1).all(dim=1)
    assert 0.4 < flipped.float().mean() < 0.6


def test_grayscale_matches_torchvision():
    images = _images()
    grey = augment.to_grayscale(images)
    assert grey.shape == images.shape
    assert torch.allclose(grey, TF.rgb_to_grayscale(images, num_output_channels=3), atol=1e-4)


def test_hue_rotation_keeps_greys_and_a_full_turn_is_the_identity():
    grey = torch.rand(4, 1, 5, 5).expand(4, 3, 5, 5)
    assert torch.allclose(augment.adjust_hue(grey, torch.full((4,), 0.3)), grey, atol=1e-6)
    images = _images(4)
    assert torch.allclose(augment.adjust_hue(images, torch.ones(4)), images, atol=1e-5)
    third = augment.adjust_hue(torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1),
                               torch.tensor([1 / 3]))
    assert torch.allclose(third.flatten(), torch.tensor([0.0, 1.0, 0.0]), atol=1e-5)  # red->green


def test_colour_jitter_with_zero_strength_is_the_identity_and_stays_in_range():
    images = _images()
    assert torch.allclose(augment.color_jitter(images, 0, 0, 0, 0), images)
    jittered = augment.color_jitter(images, 0.8, 0.8, 0.8, 0.5,
                                    generator=torch.Generator().manual_seed(1))
    assert jittered.shape == images.shape and jittered.min() >= 0 and jittered.max() <= 1
    assert not torch.allclose(jittered, images)


def test_colour_jitter_factors_differ_per_image():
    same = torch.tensor([0.5, 0.4, 0.3]).view(1, 3, 1, 1).expand(50, 3, 4, 4).contiguous()
    jittered = augment.color_jitter(same, generator=torch.Generator().manual_seed(2))
    assert len({tuple(v.tolist()) for v in jittered[:, :, 0, 0].round(decimals=4)}) == 50


def test_brightness_matches_torchvision_per_image():
    images = _images(2)
    factors = torch.tensor([0.7, 1.3])
    expected = torch.stack([TF.adjust_brightness(img, float(f)) for img, f in zip(images, factors, strict=True)])
    got = augment.adjust_brightness_accumulative(images, factors).clamp(0, 1)
    assert torch.allclose(got, expected, atol=1e-6)


def test_augmentations_reject_uint8_with_a_clear_message():
    with pytest.raises(ValueError, match="to_float"):
        augment.random_resized_crop(torch.zeros(2, 3, 4, 4, dtype=torch.uint8))
    with pytest.raises(ValueError, match="3 channels"):
        augment.color_jitter(torch.zeros(2, 1, 4, 4))


def test_warmup_cosine_factor_shape():
    factors = [warmup_cosine_factor(s, total_steps=10, warmup_steps=2) for s in range(10)]
    assert factors[:2] == [0.5, 1.0]
    assert factors[2] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(factors[2:], factors[3:], strict=False))
    assert warmup_cosine_factor(10, 10, 2) == pytest.approx(0.0)
    assert warmup_cosine_factor(6, 10, 2) == pytest.approx(0.5 * (1 + math.cos(math.pi / 2)))


def test_warmup_cosine_scheduler_steps_the_learning_rate():
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = warmup_cosine(optimizer, total_steps=4, warmup_steps=1, final_factor=0.1)
    rates = []
    for _ in range(4):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert rates[0] == pytest.approx(0.1) and rates[1] == pytest.approx(0.1)
    assert rates[1] > rates[2] > rates[3] > 0.01
    with pytest.raises(ValueError, match="warmup_steps"):
        warmup_cosine(optimizer, total_steps=3, warmup_steps=5)
