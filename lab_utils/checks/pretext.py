"""Checks for notebook 02 (pretext tasks on CIFAR-10): jigsaw tiles and colorization.

Every check feeds tiny fixed inputs (a few pixels whose right answer is known by hand) and
tests properties of the answer; none holds a reference implementation.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..models import CIFAR10_MEAN, CIFAR10_STD, SmallCNN
from .core import CheckFailed, call_student, check_close, check_shape, expect, passed

__all__ = [
    "CheckFailed",
    "check_colorization_loss",
    "check_colorization_net",
    "check_shuffle_tiles",
    "check_unshuffle_tiles",
]

# CIELAB (D65) of six sRGB colours, from the standard formulas: (R, G, B) -> (L, a, b).
LAB_OF = {
    (255, 0, 0): (53.241, 80.092, 67.203),
    (0, 255, 0): (87.735, -86.183, 83.179),
    (0, 0, 255): (32.297, 79.188, -107.860),
    (255, 255, 255): (100.0, 0.0, 0.0),
    (0, 0, 0): (0.0, 0.0, 0.0),
    (128, 128, 128): (53.585, 0.0, 0.0),
}


# --------------------------------------------------------------------------- jigsaw
def _reading_order_tiles(image: torch.Tensor) -> list[torch.Tensor]:
    """The 2x2 tiles of one ``(C, H, W)`` image: top-left, top-right, bottom-left, bottom-right."""
    h, w = image.shape[1] // 2, image.shape[2] // 2
    return [image[:, r * h:(r + 1) * h, c * w:(c + 1) * w] for r in (0, 1) for c in (0, 1)]


def check_shuffle_tiles(shuffle_tiles: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                        permutations: torch.Tensor) -> None:
    """``shuffle_tiles(images (B, C, H, W), ids (B,)) -> tiles (B, 4, C, H/2, W/2)``."""
    check_shape("PERMUTATIONS", permutations, (24, 4))
    rows = {tuple(row) for row in permutations.tolist()}
    expect(len(rows) == 24 and all(sorted(row) == [0, 1, 2, 3] for row in rows),
           "PERMUTATIONS holds", "the 24 distinct orders of (0, 1, 2, 3)", f"{len(rows)} rows")
    index = {row: i for i, row in enumerate(permutations.tolist()) for row in [tuple(row)]}

    image = torch.arange(16, dtype=torch.uint8).reshape(1, 1, 4, 4)
    tiles = call_student(shuffle_tiles, image.clone(), torch.tensor([index[(0, 1, 2, 3)]]))
    check_shape("tiles of one 1x4x4 image", tiles, (1, 4, 1, 2, 2),
                "(B, 4, C, H / 2, W / 2): four tiles per image")
    expect(tiles.dtype == image.dtype, "the tiles' dtype", "the input's (uint8)", tiles.dtype)
    reading = [[[0, 1], [4, 5]], [[2, 3], [6, 7]], [[8, 9], [12, 13]], [[10, 11], [14, 15]]]
    got = tiles[0, :, 0].tolist()
    expect(got == reading,
           "with the identity order (0, 1, 2, 3), the tiles of [[0..3], [4..7], [8..11], "
           "[12..15]] in reading order", reading, got,
           "tile 0 is top-left, 1 top-right, 2 bottom-left, 3 bottom-right")

    order = (1, 3, 0, 2)  # a four-cycle: not its own inverse, so a swapped convention shows
    tiles = call_student(shuffle_tiles, image.clone(), torch.tensor([index[order]]))
    expected = [reading[t] for t in order]
    got = tiles[0, :, 0].tolist()
    expect(got == expected, f"the tiles for the order {order}", expected, got,
           "position i holds tile p[i] (not: tile i goes to position p[i])")

    batch = torch.arange(2 * 3 * 8 * 8, dtype=torch.int64).reshape(2, 3, 8, 8)
    orders = [(3, 2, 1, 0), (0, 2, 3, 1)]
    tiles = call_student(shuffle_tiles, batch.clone(), torch.tensor([index[o] for o in orders]))
    check_shape("tiles of two 3x8x8 images", tiles, (2, 4, 3, 4, 4))
    for b, order in enumerate(orders):
        pieces = _reading_order_tiles(batch[b])
        for position, tile in enumerate(order):
            expect(torch.equal(tiles[b, position], pieces[tile]),
                   f"image {b} of a batch, order {order}: the tile at position {position}",
                   f"tile {tile} of image {b}, all three channels",
                   "another tile, or channels mixed up",
                   "each image uses its own permutation id; keep channels together")
    passed("shuffle_tiles")


def check_unshuffle_tiles(unshuffle_tiles: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                          permutations: torch.Tensor) -> None:
    """``unshuffle_tiles(tiles (B, 4, C, h, w), ids (B,)) -> images (B, C, 2h, 2w)``."""
    index = {tuple(row): i for i, row in enumerate(permutations.tolist())}
    image = torch.arange(16, dtype=torch.uint8).reshape(1, 1, 4, 4)
    reading = [[[0, 1], [4, 5]], [[2, 3], [6, 7]], [[8, 9], [12, 13]], [[10, 11], [14, 15]]]

    def shuffled(order: tuple[int, ...]) -> torch.Tensor:
        """The tiles of the 4x4 image above, position j holding tile order[j]: (1, 4, 1, 2, 2)."""
        return torch.tensor([reading[t] for t in order], dtype=torch.uint8).reshape(1, 4, 1, 2, 2)

    identity = (0, 1, 2, 3)
    got = call_student(unshuffle_tiles, shuffled(identity), torch.tensor([index[identity]]))
    check_shape("the image put together from four 1x2x2 tiles", got, (1, 1, 4, 4),
                "(B, C, 2h, 2w): one image per row of tiles")
    expect(got.dtype == torch.uint8, "the image's dtype", "the tiles' (uint8)", got.dtype)
    expect(torch.equal(got, image),
           "the tiles [[0, 1], [4, 5]], [[2, 3], [6, 7]], [[8, 9], [12, 13]], [[10, 11], "
           "[14, 15]] in reading order, identity order, put together", image[0, 0].tolist(),
           got[0, 0].tolist(), "tile 0 goes top-left, 1 top-right, 2 bottom-left, 3 bottom-right")

    order = (1, 3, 0, 2)  # a four-cycle: applying it again is not undoing it
    got = call_student(unshuffle_tiles, shuffled(order), torch.tensor([index[order]]))
    expect(torch.equal(got, image),
           f"the image put back from tiles shuffled by the order {order}", image[0, 0].tolist(),
           got[0, 0].tolist(),
           "position j holds tile p[j]: tile t sits at the position where p equals t "
           "(the inverse permutation, p.argsort())")

    batch = torch.arange(2 * 3 * 4 * 6, dtype=torch.float32).reshape(2, 3, 4, 6)
    orders = [(3, 2, 1, 0), (2, 0, 3, 1)]
    tiles = torch.stack([torch.stack([_reading_order_tiles(batch[b])[t] for t in o])
                         for b, o in enumerate(orders)])
    got = call_student(unshuffle_tiles, tiles.clone(), torch.tensor([index[o] for o in orders]))
    check_shape("two 3x4x6 images put back from their tiles", got, (2, 3, 4, 6),
                "the tiles need not be square: h and w may differ")
    for b, o in enumerate(orders):
        expect(torch.equal(got[b], batch[b]), f"image {b} of a batch, shuffled by the order {o}",
               "put back exactly", "other pixels",
               "each image uses its own permutation id; keep the channels together")
    passed("unshuffle_tiles")


# --------------------------------------------------------------------------- colorization
class _Recorder(nn.Module):
    """A stand-in model: remembers its input and returns a fixed ``(B, 2, H, W)`` output."""

    def __init__(self, a: float = 0.0, b: float = 0.0) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))
        self.ab = (a, b)
        self.seen: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen = x.detach()
        out = torch.empty(len(x), 2, *x.shape[2:], device=x.device)
        out[:, 0], out[:, 1] = self.ab
        return out * self.scale


def _colour_patch() -> tuple[torch.Tensor, torch.Tensor]:
    """A ``(1, 3, 2, 3)`` uint8 image of six known colours and their ``(6, 3)`` Lab values."""
    rgb = torch.tensor(list(LAB_OF), dtype=torch.uint8)  # (6, 3)
    lab = torch.tensor(list(LAB_OF.values()), dtype=torch.float64)
    return rgb.T.reshape(1, 3, 2, 3).contiguous(), lab


def check_colorization_net(colorization_net: type[nn.Module]) -> None:
    """``ColorizationNet(backbone)`` maps standardised ``(B, 3, 32, 32)`` to ``(B, 2, 32, 32)``."""
    torch.manual_seed(0)
    backbone = SmallCNN()
    model = call_student(colorization_net, backbone)
    expect(getattr(model, "backbone", None) is backbone, "model.backbone",
           "the backbone passed to the constructor", type(getattr(model, "backbone", None)).__name__,
           "store it as self.backbone: the probe evaluates exactly that module afterwards")
    output = model(torch.randn(2, 3, 32, 32))
    check_shape("model(images) for a batch of two 3x32x32 images", output, (2, 2, 32, 32),
                "the decoder upsamples the (B, 256, 4, 4) feature map to the a and b channels at "
                "32x32")
    values = output.detach()
    expect(bool((values < 0).any() and (values > 0).any()), "the signs of the untrained output",
           "negative and positive values: a and b are signed",
           f"values in [{float(values.min()):.3f}, {float(values.max()):.3f}]",
           "end the decoder with a convolution (no ReLU or sigmoid after it)")
    output.square().mean().backward()
    missing = [n for n, p in backbone.named_parameters() if p.grad is None]
    expect(not missing, "backbone parameters that receive a gradient", "all of them",
           f"not: {missing[:3]}", "compute the output from backbone.feature_map(x)")
    own = {id(p) for p in backbone.parameters()}
    decoder = [p for p in model.parameters() if id(p) not in own]
    expect(bool(decoder), "parameters of the decoder", "registered in the model",
           "none besides the backbone's",
           "create the decoder's layers in __init__ as attributes (self.decoder = ...)")
    passed("ColorizationNet")


def check_colorization_loss(colorization_loss: Callable[..., torch.Tensor]) -> None:
    """``colorization_loss(model, images)`` feeds the grey image and scores ab / 128 by MSE."""
    image, lab = _colour_patch()
    zero = _Recorder()
    loss = call_student(colorization_loss, zero, image.clone())
    expect(isinstance(loss, torch.Tensor) and loss.dim() == 0, "the loss", "a scalar tensor",
           getattr(loss, "shape", type(loss).__name__))
    expect(loss.requires_grad, "loss.requires_grad", True, False,
           "compute the loss from the model's output, with torch operations")
    seen = zero.seen
    expect(seen is not None, "the model was called", "once, on the grey images", "never")
    check_shape("the model's input for a (1, 3, 2, 3) image", seen, (1, 3, 2, 3),
                "three identical grey channels, so the backbone keeps its 3-channel input")
    mean = torch.tensor(CIFAR10_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CIFAR10_STD).view(1, 3, 1, 1)
    grey = seen.float() * std + mean  # undo normalize_cifar
    check_close("the model's input, un-standardised (channel 0 vs channels 1 and 2)",
                grey[:, 1:], grey[:, :1].expand(-1, 2, -1, -1), atol=1e-4,
                hint="the model sees no colour: repeat the grey channel three times")
    check_close("the grey input of red, green, blue, white, black and grey pixels",
                grey[0, 0].flatten(), lab[:, 0] / 100, atol=2e-3,
                hint="the grey level is the Lab lightness L / 100, standardised with "
                     "normalize_cifar")
    ab = lab[:, 1:] / 128
    check_close("the loss when the model predicts a = b = 0 everywhere", loss,
                (ab ** 2).mean(), rtol=2e-3, atol=1e-5,
                hint="the targets are the a and b channels divided by 128; the loss is their MSE")
    shifted = call_student(colorization_loss, _Recorder(0.5, -0.5), image.clone())
    target = torch.tensor([0.5, -0.5], dtype=torch.float64)
    check_close("the loss when the model predicts a = 0.5 and b = -0.5 everywhere", shifted,
                ((target - ab) ** 2).mean(), rtol=2e-3, atol=1e-5,
                hint="output channel 0 is a, channel 1 is b")
    passed("colorization_loss")
