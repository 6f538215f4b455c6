"""The jigsaw inputs of notebook 02: crops inside their cells, and no edge shortcut left.

The shortcut test trains a tiny model that sees only the outermost pixel rows and columns
of the four shuffled tiles on images whose only clue to the tiles' places is that
neighbouring pixels look alike (a blurred noise field, the same statistics everywhere).
Cut edge to edge, matching borders solves most puzzles; cut by ``cell_crops``, the model
must stay near chance.
"""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

from lab_utils.jigsaw import cell_crops

PERMUTATIONS = torch.tensor(list(itertools.permutations(range(4))))   # (24, 4)
CHANCE = 1 / 24


def _puzzle(images: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, 4, C, H/2, W/2): position j holds tile PERMUTATIONS[id, j]."""
    h, w = images.shape[2] // 2, images.shape[3] // 2
    quarters = [images[:, :, r * h:(r + 1) * h, c * w:(c + 1) * w] for r in (0, 1) for c in (0, 1)]
    stacked = torch.stack(quarters, dim=1)                               # reading order
    return stacked.gather(1, PERMUTATIONS[ids].reshape(len(ids), 4, 1, 1, 1).expand_as(stacked))


def _blurred_noise(n: int, seed: int, size: int = 32, sigma: float = 1.0) -> torch.Tensor:
    """(n, 1, size, size): white noise blurred by a Gaussian, so nearby pixels correlate."""
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn(n, 1, size + 8, size + 8, generator=generator)
    taps = torch.arange(-4, 5, dtype=torch.float32)
    kernel = torch.exp(-taps**2 / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    smooth = F.conv2d(noise, kernel.reshape(1, 1, 1, -1))
    return F.conv2d(smooth, kernel.reshape(1, 1, -1, 1))


def _border_features(tiles: torch.Tensor) -> torch.Tensor:
    """(B, 4, C, h, w) -> (B, 24): how well each ordered pair of positions matches at a border.

    For positions (i, j), i != j: the mean squared difference between tile i's right column
    and tile j's left column, and between tile i's bottom row and tile j's top row. A linear
    model on these can add up the four borders that a permutation puts side by side.
    """
    features = []
    for i, j in itertools.permutations(range(4), 2):
        a, b = tiles[:, i], tiles[:, j]
        features.append((a[..., :, -1] - b[..., :, 0]).pow(2).mean(dim=(1, 2)))
        features.append((a[..., -1, :] - b[..., 0, :]).pow(2).mean(dim=(1, 2)))
    return torch.stack(features, dim=1)


def _border_model_accuracy(cut, train: int = 2_000, test: int = 1_000) -> float:
    """Test accuracy of logistic regression on border features of puzzles made by ``cut``."""
    torch.manual_seed(0)
    sets = []
    for n, seed in ((train, 1), (test, 2)):
        images = _blurred_noise(n, seed)
        ids = torch.randint(0, 24, (n,), generator=torch.Generator().manual_seed(seed))
        sets.append((_border_features(_puzzle(cut(images, seed), ids)), ids))
    (train_x, train_y), (test_x, test_y) = sets
    mean, std = train_x.mean(dim=0), train_x.std(dim=0)
    model = torch.nn.Linear(train_x.shape[1], 24)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(300):
        optimizer.zero_grad()
        F.cross_entropy(model((train_x - mean) / std), train_y).backward()
        optimizer.step()
    with torch.no_grad():
        return (model((test_x - mean) / std).argmax(dim=1) == test_y).float().mean().item()


def test_edge_to_edge_tiles_are_solved_from_their_borders():
    """The test can fail: on the old cut the border model solves most puzzles."""
    accuracy = _border_model_accuracy(lambda images, seed: images)
    assert accuracy > 10 * CHANCE, f"border model on edge-to-edge tiles: {accuracy:.1%}"


def test_cell_crops_leave_the_border_model_near_chance():
    accuracy = _border_model_accuracy(
        lambda images, seed: cell_crops(images, 12, generator=torch.Generator().manual_seed(seed)))
    assert accuracy < 2 * CHANCE, (f"border model on crops with gaps: {accuracy:.1%}, "
                                   f"chance {CHANCE:.1%}")


def test_cell_crops_cut_inside_each_cell_with_a_gap():
    """Pixel values are their own coordinates: each tile is a contiguous crop of its cell."""
    n, tile, gap = 300, 12, 2
    coords = torch.arange(32 * 32).reshape(1, 1, 32, 32).repeat(n, 1, 1, 1)
    mosaic = cell_crops(coords, tile, min_gap=gap, generator=torch.Generator().manual_seed(0))
    assert mosaic.shape == (n, 1, 24, 24) and mosaic.dtype == coords.dtype
    tiles = mosaic.reshape(n, 2, tile, 2, tile).permute(0, 1, 3, 2, 4)   # (n, row, col, y, x)
    rows, cols = tiles // 32, tiles % 32
    assert (rows == rows[..., :1, :1] + torch.arange(tile)[:, None]).all(), "rows not contiguous"
    assert (cols == cols[..., :1, :1] + torch.arange(tile)).all(), "columns not contiguous"
    for r in (0, 1):
        for c in (0, 1):
            assert rows[:, r, c].min() >= 16 * r and rows[:, r, c].max() < 16 * (r + 1)
            assert cols[:, r, c].min() >= 16 * c and cols[:, r, c].max() < 16 * (c + 1)
    vertical = rows[:, 1, :, 0, 0] - rows[:, 0, :, -1, 0] - 1
    horizontal = cols[:, :, 1, 0, 0] - cols[:, :, 0, 0, -1] - 1
    for gaps in (vertical, horizontal):
        assert gaps.min() >= gap and gaps.max() <= 2 * (16 - tile)
        assert len(gaps.unique()) == 2 * (16 - tile) - gap + 1, "every gap width is drawn"
    # the crops of one image are jittered independently: neighbours are not aligned
    assert (rows[:, 0, 0, 0, 0] != rows[:, 0, 1, 0, 0]).float().mean() > 0.5


def test_cell_crops_are_repeatable_keep_the_input_and_work_on_any_dtype():
    images = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)
    untouched = images.clone()
    first = cell_crops(images, 12, generator=torch.Generator().manual_seed(5))
    again = cell_crops(images, 12, generator=torch.Generator().manual_seed(5))
    assert torch.equal(first, again) and torch.equal(images, untouched)
    assert first.dtype == torch.uint8
    assert cell_crops(images.float(), 14, min_gap=2).shape == (4, 3, 28, 28)


@pytest.mark.parametrize(("shape", "tile", "gap"), [((2, 3, 31, 32), 12, 2), ((2, 3, 32, 32), 15, 2),
                                                    ((3, 32, 32), 12, 2), ((2, 3, 32, 32), 12, -1)])
def test_cell_crops_reject_what_does_not_fit(shape, tile, gap):
    with pytest.raises(ValueError, match="cell_crops expects|does not fit"):
        cell_crops(torch.zeros(shape), tile, min_gap=gap)
