"""Batched image augmentations with one set of random parameters per image.

Every function maps a batch of float images ``(N, C, H, W)`` with values in [0, 1] to a
batch of the same kind, on the batch's own device (the GPU when there is one): no Python
loop over images, no DataLoader workers. Random parameters (crop box, flip, jitter factors)
are drawn per image, so two images of one batch, or two calls on the same images, get
different transformations. Pass a seeded :class:`torch.Generator` for repeatable draws
(``None`` uses torch's global generator); its device may differ from the images'.

The colour operations follow torchvision's formulas (brightness multiplies; contrast blends
with the image's mean grey; saturation blends with the image's grey version) through
:mod:`kornia.enhance`, which accepts one factor per image. Hue is turned by a rotation of
the RGB colour about the grey axis (the linear hue rotation of CSS and SVG filters): one
3x3 matrix per image, several times cheaper on a CPU than a round trip through HSV
(torchvision's and kornia's ``adjust_hue``). Both leave greys alone and turn colours the
same way round, but they do not agree pixel for pixel.

These are the building blocks; which of them a method applies, with which strengths and
probabilities, is the method's choice (notebook 03 composes SimCLR's views from them).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from kornia.enhance import (
    adjust_brightness_accumulative,
    adjust_contrast_with_mean_subtraction,
    adjust_saturation_with_gray_subtraction,
)

# ITU-R BT.601 luma weights, as in torchvision's rgb_to_grayscale.
LUMA_WEIGHTS = (0.299, 0.587, 0.114)


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``(N, C, H, W)`` in [0, 255] to float32 in [0, 1]; float input is returned as is."""
    return images.float().div_(255.0) if images.dtype == torch.uint8 else images


def uniform(
    n: int,
    low: float,
    high: float,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """``(n,)`` float32 values drawn uniformly from ``[low, high)``, on ``device``."""
    source = generator.device if generator is not None else device
    values = torch.rand(n, generator=generator, device=source)
    return (low + (high - low) * values).to(device)


def _check_batch(images: torch.Tensor, name: str, channels: int | None = None) -> None:
    if images.ndim != 4 or not images.is_floating_point():
        raise ValueError(
            f"{name} expects float images of shape (N, C, H, W) in [0, 1], got a "
            f"{images.dtype} tensor of shape {tuple(images.shape)}; convert uint8 images "
            "with lab_utils.augment.to_float first"
        )
    if channels is not None and images.shape[1] != channels:
        raise ValueError(f"{name} expects {channels} channels, got {images.shape[1]}")


def random_resized_crop(
    images: torch.Tensor,
    size: int | None = None,
    scale: tuple[float, float] = (0.08, 1.0),
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Crop a random box from each image and resize it to ``size x size`` (bilinear).

    Each box covers a fraction of the image area drawn uniformly from ``scale``, with an
    aspect ratio (width / height) drawn log-uniformly from ``ratio``, at a uniformly drawn
    position inside the image. Sides longer than the image are clipped to it (torchvision
    redraws instead; the difference is a slight excess of full-width or full-height boxes).

    Args:
        images: ``(N, C, H, W)`` float images.
        size: output height and width; ``None`` keeps ``H`` (square images).
    Returns:
        ``(N, C, size, size)`` float images.
    """
    _check_batch(images, "random_resized_crop")
    if not 0 < scale[0] <= scale[1] <= 1:
        raise ValueError(f"scale must satisfy 0 < low <= high <= 1, got {scale}")
    n, c, height, _ = images.shape
    size = height if size is None else size
    device = images.device
    area = uniform(n, *scale, generator=generator, device=device)
    log_ratio = uniform(n, math.log(ratio[0]), math.log(ratio[1]), generator, device)
    aspect = log_ratio.exp()
    width = (area * aspect).sqrt().clamp(max=1.0)  # box sides as fractions of the image
    height_frac = (area / aspect).sqrt().clamp(max=1.0)
    # Box centres in affine_grid's coordinates, where the image spans [-1, 1].
    centre_x = (1 - width) * (2 * uniform(n, 0, 1, generator, device) - 1)
    centre_y = (1 - height_frac) * (2 * uniform(n, 0, 1, generator, device) - 1)
    theta = torch.zeros(n, 2, 3, device=device, dtype=images.dtype)
    theta[:, 0, 0], theta[:, 0, 2] = width, centre_x
    theta[:, 1, 1], theta[:, 1, 2] = height_frac, centre_y
    grid = F.affine_grid(theta, [n, c, size, size], align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)


def random_horizontal_flip(
    images: torch.Tensor, p: float = 0.5, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Mirror each image left to right with probability ``p``; ``(N, C, H, W)`` in and out."""
    _check_batch(images, "random_horizontal_flip")
    flip = uniform(len(images), 0, 1, generator, images.device) < p
    return torch.where(flip.view(-1, 1, 1, 1), images.flip(-1), images)


def to_grayscale(images: torch.Tensor) -> torch.Tensor:
    """RGB ``(N, 3, H, W)`` to grey ``(N, 3, H, W)``: the luma repeated in all three channels."""
    _check_batch(images, "to_grayscale", channels=3)
    weights = torch.tensor(LUMA_WEIGHTS, device=images.device, dtype=images.dtype)
    luma = torch.einsum("nchw,c->nhw", images, weights).unsqueeze(1)
    return luma.expand(-1, 3, -1, -1).contiguous()


def hue_rotation_matrices(angles: torch.Tensor) -> torch.Tensor:
    """``(N,)`` angles in radians to ``(N, 3, 3)`` rotations of RGB about the grey axis."""
    axis = torch.full((3,), 3**-0.5, device=angles.device, dtype=angles.dtype)
    cross = torch.tensor(
        [[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]],
        device=angles.device,
        dtype=angles.dtype,
    ) * 3**-0.5  # the matrix of v -> axis x v
    cos, sin = angles.cos().view(-1, 1, 1), angles.sin().view(-1, 1, 1)
    eye = torch.eye(3, device=angles.device, dtype=angles.dtype)
    return cos * eye + sin * cross + (1 - cos) * torch.outer(axis, axis)  # Rodrigues' formula


def adjust_hue(images: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Turn each image's colours by ``shift`` ``(N,)`` of a full turn (0.5 = opposite colours).

    Greys stay grey; values are clamped to [0, 1].
    """
    _check_batch(images, "adjust_hue", channels=3)
    rotations = hue_rotation_matrices(2 * math.pi * shift.to(images))
    return torch.einsum("nij,njhw->nihw", rotations, images).clamp(0.0, 1.0)


def color_jitter(
    images: torch.Tensor,
    brightness: float = 0.4,
    contrast: float = 0.4,
    saturation: float = 0.4,
    hue: float = 0.1,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Jitter every image's brightness, contrast, saturation and hue (as torchvision's
    ``ColorJitter``, with one factor of each kind per image).

    Brightness, contrast and saturation factors are drawn uniformly from ``[1 - s, 1 + s]``
    for strength ``s``, the hue shift from ``[-hue, hue]`` (a fraction of a full turn,
    at most 0.5). The four changes are applied in a random order, one order per call.

    Args:
        images: ``(N, 3, H, W)`` float images in [0, 1].
    Returns:
        ``(N, 3, H, W)`` float images in [0, 1].
    """
    _check_batch(images, "color_jitter", channels=3)
    if not 0 <= hue <= 0.5:
        raise ValueError(f"hue must lie in [0, 0.5] (a fraction of a turn), got {hue}")
    n, device = len(images), images.device
    steps = []
    for strength, adjust in (
        (brightness, adjust_brightness_accumulative),
        (contrast, adjust_contrast_with_mean_subtraction),
        (saturation, adjust_saturation_with_gray_subtraction),
    ):
        if strength > 0:
            factor = uniform(n, max(0.0, 1 - strength), 1 + strength, generator, device)
            steps.append((adjust, factor))
    if hue > 0:
        steps.append((adjust_hue, uniform(n, -hue, hue, generator, device)))
    source = generator.device if generator is not None else "cpu"
    order = torch.randperm(len(steps), generator=generator, device=source).tolist()
    for index in order:
        adjust, factor = steps[index]
        images = adjust(images, factor.to(images.dtype)).clamp(0.0, 1.0)
    return images
