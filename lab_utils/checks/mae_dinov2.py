"""Checks for notebook 04 (MAE and DINOv2): random masking, attention foreground, cosine k-NN."""

from __future__ import annotations

from collections.abc import Callable

import torch

from .core import CheckFailed, call_student, check_shape, expect, passed

__all__ = [
    "CheckFailed",
    "check_attention_foreground",
    "check_knn_predict",
    "check_random_masking",
]


# --------------------------------------------------------------------------- masking
def _masking_output(random_masking: Callable, batch: int, patches: int, ratio: float,
                    seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    result = call_student(random_masking, batch, patches, ratio,
                          torch.Generator().manual_seed(seed))
    expect(isinstance(result, tuple) and len(result) == 3, "random_masking returns",
           "a tuple (ids_keep, ids_restore, mask)", type(result).__name__)
    ids_keep, ids_restore, mask = result
    for name, value in (("ids_keep", ids_keep), ("ids_restore", ids_restore), ("mask", mask)):
        expect(isinstance(value, torch.Tensor), f"{name} is", "a torch.Tensor",
               type(value).__name__)
    return ids_keep, ids_restore, mask


def check_masking_properties(random_masking: Callable, batch: int, patches: int,
                             ratio: float, seed: int = 0) -> None:
    """Shapes, dtypes, exact counts and the keep / restore / mask consistency of one call."""
    ids_keep, ids_restore, mask = _masking_output(random_masking, batch, patches, ratio, seed)
    keep = int(patches * (1 - ratio))
    where = f"(batch {batch}, {patches} patches, mask ratio {ratio})"
    check_shape(f"ids_keep {where}", ids_keep, (batch, keep),
                "keep int(num_patches * (1 - mask_ratio)) patches per image")
    check_shape(f"ids_restore {where}", ids_restore, (batch, patches))
    check_shape(f"mask {where}", mask, (batch, patches))
    for name, value in (("ids_keep", ids_keep), ("ids_restore", ids_restore)):
        expect(value.dtype == torch.int64, f"{name}'s dtype", "torch.int64", value.dtype)
    expect(mask.dtype == torch.float32, "mask's dtype", "torch.float32 (1.0 hidden, 0.0 visible)",
           mask.dtype, "MAE's mask is a float tensor, as transformers' ViT-MAE returns it: "
           "convert a boolean mask with .float()")
    values = torch.unique(mask.float()).tolist()
    expect(set(values) <= {0.0, 1.0}, "the values in mask", "only 0 (visible) and 1 (hidden)",
           values)
    identity = torch.arange(patches).expand(batch, -1)
    expect(torch.equal(ids_restore.sort(dim=1).values, identity),
           f"each row of ids_restore {where}", f"a permutation of 0..{patches - 1}",
           ids_restore[:2])
    expect(torch.equal(mask.float().sum(dim=1), torch.full((batch,), float(patches - keep))),
           f"hidden patches per image {where}", patches - keep,
           mask.float().sum(dim=1).tolist()[:8])
    if keep > 0:
        positions = torch.gather(ids_restore, 1, ids_keep)
        expect(torch.equal(positions, torch.arange(keep).expand(batch, -1)),
               f"ids_restore at the kept patches {where}",
               "ids_restore[b, ids_keep[b, j]] == j (kept patches come first, in order)",
               positions[:2], "ids_restore is the inverse of the shuffle whose first "
               "num_keep entries are ids_keep: argsort of the shuffle")
        visible = torch.gather(mask.float(), 1, ids_keep)
        expect(bool((visible == 0).all()), f"mask at the kept patches {where}",
               "0 (visible)", visible[:2])


def check_random_masking(random_masking: Callable) -> None:
    """``random_masking(batch_size, num_patches, mask_ratio, generator) -> (ids_keep, ids_restore, mask)``."""
    for batch, patches, ratio in ((2, 16, 0.75), (3, 196, 0.25), (3, 196, 0.5), (1, 196, 0.9),
                                  (4, 10, 0.3)):
        check_masking_properties(random_masking, batch, patches, ratio)

    first = _masking_output(random_masking, 64, 16, 0.5, seed=1)
    again = _masking_output(random_masking, 64, 16, 0.5, seed=1)
    other = _masking_output(random_masking, 64, 16, 0.5, seed=2)
    expect(all(torch.equal(a, b) for a, b in zip(first, again, strict=True)),
           "two calls with generators seeded alike", "the same masks",
           "different masks", "draw every random number from the `generator` argument")
    expect(not torch.equal(first[2], other[2]), "two calls with different generator seeds",
           "different masks", "the same masks")
    distinct = len({tuple(row.tolist()) for row in first[2]})
    expect(distinct > 32, "distinct masks among 64 images", "(almost) one per image",
           distinct, "draw a new random keep set for every image, not one for the batch")

    _, _, mask = _masking_output(random_masking, 4_000, 16, 0.75, seed=3)
    kept = 1.0 - mask.float().mean(dim=0)
    expect(bool(((kept - 0.25).abs() < 0.04).all()), "how often each patch is kept "
           "(4,000 images, mask ratio 0.75)", "about 0.25 for every patch",
           [round(v, 3) for v in kept.tolist()], "every patch must be equally likely to be kept")
    passed("random_masking")


# --------------------------------------------------------------------------- foreground
def _foreground(attention_foreground: Callable, attention: torch.Tensor,
                mass: float) -> torch.Tensor:
    result = call_student(attention_foreground, attention.clone(), mass)
    expect(isinstance(result, torch.Tensor), "attention_foreground returns", "a torch.Tensor",
           type(result).__name__)
    b, _, h, w = attention.shape
    check_shape("the foreground mask", result, (b, h, w), "one (h, w) mask per image")
    expect(result.dtype == torch.bool, "the mask's dtype", "torch.bool", result.dtype)
    return result


def check_foreground_properties(attention_foreground: Callable, attention: torch.Tensor,
                                mass: float) -> None:
    """The kept patches are the highest-attention ones and the fewest reaching ``mass``."""
    mask = _foreground(attention_foreground, attention, mass)
    mean = attention.float().mean(dim=1).flatten(1)
    share = mean / mean.sum(dim=1, keepdim=True)
    for image, (kept, values) in enumerate(zip(mask.flatten(1), share, strict=True)):
        expect(bool(kept.any()), f"image {image}: patches kept", "at least one", 0)
        total = float(values[kept].sum())
        smallest = float(values[kept].min())
        expect(total >= mass - 1e-6, f"image {image}: share of the (head-averaged) "
               "attention in the kept patches", f">= {mass}", round(total, 4),
               "average the heads, divide by the image's total, keep the largest first")
        expect(total - smallest < mass - 1e-6, f"image {image}: share without the weakest "
               "kept patch", f"< {mass} (keep no more patches than needed)",
               round(total - smallest, 4))
        if not bool(kept.all()):
            expect(smallest >= float(values[~kept].max()), f"image {image}: every kept patch "
                   "has more attention than every dropped one", True, False)


def check_attention_foreground(attention_foreground: Callable) -> None:
    """``attention_foreground(attention (B, heads, h, w), mass) -> bool mask (B, h, w)``."""
    head_a = torch.tensor([[0.5, 0.1], [0.3, 0.1]])
    head_b = torch.tensor([[0.3, 0.5], [0.1, 0.1]])
    attention = torch.stack([head_a, head_b]).unsqueeze(0)  # mean over heads: 0.4 0.3 / 0.2 0.1
    for mass, expected in ((0.6, [[True, True], [False, False]]),
                           (0.8, [[True, True], [True, False]]),
                           (0.05, [[True, False], [False, False]])):
        got = _foreground(attention_foreground, attention, mass)
        expect(got[0].tolist() == expected, f"the mask for heads {head_a.tolist()} and "
               f"{head_b.tolist()} with mass {mass}", expected, got[0].tolist(),
               "average over the heads first; keep the largest patches until their share "
               "of the total reaches `mass`")
    scaled = torch.cat([attention, 10.0 * attention])
    got = _foreground(attention_foreground, scaled, 0.6)
    expect(torch.equal(got[0], got[1]), "the masks of a map and of the same map times 10",
           "equal (each image is normalised by its own total)", got.tolist())
    generator = torch.Generator().manual_seed(0)
    random_maps = torch.rand(3, 6, 5, 7, generator=generator) ** 3
    for mass in (0.3, 0.6, 0.9):
        check_foreground_properties(attention_foreground, random_maps, mass)
    passed("attention_foreground")


# --------------------------------------------------------------------------- k-NN
def _predict(knn_predict: Callable, train_x: torch.Tensor, train_y: torch.Tensor,
             test_x: torch.Tensor, k: int) -> torch.Tensor:
    result = call_student(knn_predict, train_x.clone(), train_y.clone(), test_x.clone(), k)
    expect(isinstance(result, torch.Tensor), "knn_predict returns", "a torch.Tensor",
           type(result).__name__)
    check_shape("the predictions", result, (len(test_x),), "one label per test feature")
    expect(not result.is_floating_point(), "the predictions' dtype", "an integer dtype",
           result.dtype)
    return result.cpu()


def check_knn_predict(knn_predict: Callable) -> None:
    """``knn_predict(train_features (N, D), train_labels (N,), test_features (M, D), k) -> (M,)``."""
    def angle(degrees: float, norm: float = 1.0) -> list[float]:
        radians = torch.tensor(degrees) * torch.pi / 180
        return [norm * float(torch.cos(radians)), norm * float(torch.sin(radians))]

    # Cosine, not Euclidean distance: the long vector points the same way as the query.
    train_x = torch.tensor([[10.0, 0.0], [1.0, 1.0]])
    train_y = torch.tensor([0, 1])
    got = _predict(knn_predict, train_x, train_y, torch.tensor([[1.0, 0.1]]), 1)
    expect(got.tolist() == [0], "k=1 with training points [10, 0] (label 0) and [1, 1] "
           "(label 1), query [1, 0.1]", [0], got.tolist(),
           "similarity is the cosine of the angle, not a distance")
    # Cosine, not a raw dot product: a long vector must not win by its length.
    train_x = torch.tensor([[1.0, 0.0], [5.0, 5.0]])
    got = _predict(knn_predict, train_x, train_y, torch.tensor([[1.0, 0.2]]), 1)
    expect(got.tolist() == [0], "k=1 with training points [1, 0] (label 0) and [5, 5] "
           "(label 1), query [1, 0.2]", [0], got.tolist(), "L2-normalise both sides first")
    # Votes weighted by similarity: one very similar neighbour beats two weakly similar ones.
    train_x = torch.tensor([angle(18), angle(72.5, 3.0), angle(-72.5, 2.0), angle(180),
                            angle(170)])
    train_y = torch.tensor([1, 0, 0, 2, 2])
    query = torch.tensor([angle(0)])
    got = _predict(knn_predict, train_x, train_y, query, 3)
    expect(got.tolist() == [1], "k=3, neighbours with cosine 0.95 (label 1), 0.30 and 0.30 "
           "(label 0)", [1], got.tolist(), "each neighbour votes with its cosine similarity")
    got = _predict(knn_predict, train_x, train_y, query, 5)
    expect(got.tolist() == [1], "k=5 on the same points (two neighbours of label 2 have "
           "negative cosine)", [1], got.tolist())
    # Several queries at once, and k larger than 1 changes the answer.
    train_x = torch.tensor([angle(0), angle(10), angle(20), angle(90), angle(100)])
    train_y = torch.tensor([3, 3, 3, 7, 7])
    queries = torch.tensor([angle(5), angle(95), angle(60)])
    got = _predict(knn_predict, train_x, train_y, queries, 2)
    expect(got.tolist() == [3, 7, 7], "k=2 for three queries at 5, 95 and 60 degrees "
           "(labels 3 at 0-20 degrees, 7 at 90-100 degrees)", [3, 7, 7], got.tolist())
    got = _predict(knn_predict, train_x, train_y, queries, 5)
    expect(got.tolist() == [3, 7, 3], "k=5 for the same queries (all five points vote)",
           [3, 7, 3], got.tolist())
    passed("knn_predict")
