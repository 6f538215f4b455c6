"""Jigsaw puzzle inputs without the edge shortcut: tiles cut apart, with gaps and jitter.

Cut edge to edge, the four tiles of an image share their borders: the last pixel row of
the top-left tile and the first of the bottom-left one are neighbours in the photograph,
so a network can solve the puzzle by matching edges, with no idea of what the picture
shows. Noroozi & Favaro [2016] close this shortcut by cutting each tile at a random place
inside its cell of the grid, so that neighbouring tiles are separated by a gap of random
width and are not aligned. :func:`cell_crops` does this for a 2x2 grid, for a whole batch
at once, and lays the four crops out as a smaller image, so the puzzle is then cut edge to
edge from that image (by ``shuffle_tiles`` in notebook 02) and still has no shared border.
"""

from __future__ import annotations

import torch


def _offsets(n: int, room: int, min_gap: int, generator: torch.Generator | None,
             device: torch.device) -> torch.Tensor:
    """``(n, 2, 2)`` int64 offsets of crops inside their cells, along one axis.

    Index ``[:, i, j]`` is the offset of the crop in cell row ``i``, cell column ``j``
    along the axis whose cells are indexed by the first position for rows and by the second
    for columns; callers transpose as needed. First cells take offsets in
    ``[0, room - ceil(min_gap / 2)]``, second cells in ``[floor(min_gap / 2), room]``: the
    gap between the two crops is at least ``min_gap`` whatever is drawn.
    """
    low = torch.tensor([0, min_gap // 2])
    high = torch.tensor([room - (min_gap + 1) // 2, room])
    source = generator.device if generator is not None else device
    draws = torch.rand(n, 2, 2, generator=generator, device=source).cpu()
    span = (high - low + 1)[:, None]                       # (2, 1): per position along the axis
    offsets = low[:, None] + (draws * span).long().clamp(max=span - 1)
    return offsets.to(device)


def cell_crops(images: torch.Tensor, tile: int, min_gap: int = 2,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """Cut one ``tile x tile`` crop at a random offset inside each cell of a 2x2 grid.

    Args:
        images: ``(B, C, H, W)`` of any dtype, ``H`` and ``W`` even; the cells are the
            ``H/2 x W/2`` quarters of each image.
        tile: the side of a crop; at most the cell's side minus ``min_gap``.
        min_gap: the fewest pixels left out between neighbouring crops, across rows and
            across columns. Each crop's offset is drawn independently per image and per
            cell, so the gap varies from ``min_gap`` to ``2 * (cell - tile)`` pixels and
            neighbouring crops are shifted against each other along their common border.
        generator: for repeatable crops (its device may differ from the images').
    Returns:
        ``(B, C, 2 * tile, 2 * tile)``, same dtype and device: the four crops in their
        cells' reading order, touching each other. Cut edge to edge into four tiles, it
        gives each cell's crop, and no two tiles share a border of the original image.
    """
    if images.ndim != 4 or images.shape[2] % 2 or images.shape[3] % 2:
        raise ValueError(f"cell_crops expects images (B, C, H, W) with H and W even, got "
                         f"shape {tuple(images.shape)}")
    b, _, height, width = images.shape
    cell_h, cell_w = height // 2, width // 2
    if min_gap < 0 or tile < 1 or tile + min_gap > min(cell_h, cell_w):
        raise ValueError(f"a {tile}-pixel tile with a gap of at least {min_gap} does not fit in "
                         f"a {cell_h}x{cell_w} cell: choose tile + min_gap <= "
                         f"{min(cell_h, cell_w)} and min_gap >= 0")
    device = images.device
    dy = _offsets(b, cell_h - tile, min_gap, generator, device)                 # [b, cell row, cell col]
    dx = _offsets(b, cell_w - tile, min_gap, generator, device).transpose(1, 2)  # first index: cell row
    start = torch.arange(2, device=device)
    steps = torch.arange(tile, device=device)
    rows = (start[None, :, None] * cell_h + dy)[..., None] + steps   # (B, 2, 2, tile) source rows
    cols = (start[None, None, :] * cell_w + dx)[..., None] + steps   # (B, 2, 2, tile) source columns
    batch = torch.arange(b, device=device)[:, None, None, None, None]
    crops = images[batch, :, rows[..., :, None], cols[..., None, :]]   # (B, 2, 2, tile, tile, C)
    return crops.permute(0, 5, 1, 3, 2, 4).reshape(b, -1, 2 * tile, 2 * tile)
