"""The one small CNN backbone every CIFAR-10 method in the course trains, so results compare."""

from __future__ import annotations

import torch
from torch import nn

# Per-channel statistics of the CIFAR-10 training images (official pixels).
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
FEATURE_DIM = 256


def normalize_cifar(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``(N, 3, H, W)`` (or float in [0, 1]) to standardised float32 ``(N, 3, H, W)``."""
    pixels = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
    mean = torch.tensor(CIFAR10_MEAN, device=pixels.device).view(1, 3, 1, 1)
    std = torch.tensor(CIFAR10_STD, device=pixels.device).view(1, 3, 1, 1)
    return (pixels - mean) / std


def conv_block(c_in: int, c_out: int) -> nn.Sequential:
    """Conv3x3 - BatchNorm - ReLU - MaxPool2x2: halves the height and width."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class SmallCNN(nn.Module):
    """Three conv blocks (64, 128, 256 channels) and global average pooling to 256 features.

    Input: ``(N, in_channels, H, W)`` standardised floats, H and W at least 8 (32x32 for
    CIFAR-10, 16x16 for jigsaw tiles). Output: ``(N, 256)`` features. Heads for each task are separate
    modules, so the same backbone class serves every method.
    """

    def __init__(
        self, in_channels: int = 3, widths: tuple[int, int, int] = (64, 128, FEATURE_DIM)
    ) -> None:
        super().__init__()
        self.feature_dim = widths[-1]
        self.blocks = nn.Sequential(
            conv_block(in_channels, widths[0]),
            conv_block(widths[0], widths[1]),
            conv_block(widths[1], widths[2]),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C, H, W)`` -> ``(N, 256, H/8, W/8)`` before pooling (for dense heads)."""
        return self.blocks(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C, H, W)`` -> ``(N, 256)``."""
        return self.pool(self.blocks(x)).flatten(1)
