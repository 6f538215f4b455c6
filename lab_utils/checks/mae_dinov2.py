"""Checks for notebook 04 (MAE and DINOv2): random masking, patchify, MAE's masked loss,
attention foreground, cosine k-NN, DINO's loss."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from .core import CheckFailed, call_student, check_close, check_shape, expect, passed

__all__ = [
    "CheckFailed",
    "check_attention_foreground",
    "check_dino_loss",
    "check_knn_predict",
    "check_masked_patch_loss",
    "check_patchify",
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


# --------------------------------------------------------------------------- MAE's loss
def _coded_images(batch: int, height: int, width: int) -> torch.Tensor:
    """``(batch, 3, height, width)`` images whose every value says where it is:
    1000 * image + 100 * channel + 10 * row + column (rows and columns below 10)."""
    n, c, y, x = torch.meshgrid(torch.arange(batch), torch.arange(3), torch.arange(height),
                                torch.arange(width), indexing="ij")
    return (1000 * n + 100 * c + 10 * y + x).float()


def check_patchify(patchify: Callable) -> None:
    """``patchify(images (N, C, H, W), p) -> (N, (H / p) * (W / p), p * p * C)``, as MAE."""
    images = _coded_images(2, 4, 6)
    patches = call_student(patchify, images, 2)
    check_shape("patchify(images (2, 3, 4, 6), 2)", patches, (2, 6, 12),
                "(N, L, p * p * C): L = (4 / 2) * (6 / 2) patches of 2 * 2 * 3 values")
    expect(patches.dtype == images.dtype, "the dtype of the patches", images.dtype, patches.dtype)
    first = patches[0, 0].tolist()
    # Patch 0 is the top-left 2x2 square: pixels (row, column) (0, 0), (0, 1), (1, 0), (1, 1),
    # each with its 3 channels (100 * channel + 10 * row + column) before the next pixel.
    expected = [0, 100, 200, 1, 101, 201, 10, 110, 210, 11, 111, 211]
    hint = ("inside a patch, the values go pixel by pixel, row by row, with the channels of a "
            "pixel next to each other (channels last): permute to (N, h, w, p, p, C) before "
            "flattening")
    if sorted(first) != sorted(expected):
        hint = ("a patch holds a p x p square of the image: reshape to (N, C, h, p, w, p), then "
                "permute; a plain reshape mixes pixels from different places")
    expect(first == expected, "the first patch of an image whose values code (channel, row, "
           "column) as 100 * c + 10 * row + column", expected, first, hint)
    starts = [int(v) for v in patches[0, :, 0].tolist()]
    expect(starts == [0, 2, 4, 20, 22, 24], "the top-left value of each patch of a 4 x 6 image, "
           "patches of 2", [0, 2, 4, 20, 22, 24], starts,
           "patches go row by row, left to right (as the ViT's tokens): patch 1 is to the right "
           "of patch 0, not below it")
    expect(int(patches[1, 0, 0]) == 1000, "the first value of the second image's first patch",
           1000, int(patches[1, 0, 0]), "each image's patches come from that image")
    passed("patchify")


def check_masked_patch_loss(masked_patch_loss: Callable) -> None:
    """``masked_patch_loss(predictions (N, L, P), targets (N, L, P), mask (N, L), norm_pix_loss)``."""
    targets = torch.tensor([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]])
    predictions, mask = torch.zeros(1, 2, 3), torch.tensor([[0.0, 1.0]])
    loss = call_student(masked_patch_loss, predictions, targets, mask, False)
    expect(isinstance(loss, torch.Tensor) and loss.ndim == 0, "the loss is", "a 0-dim tensor",
           getattr(loss, "shape", type(loss).__name__))
    got = float(loss)
    # Patch 1 is hidden: (16 + 25 + 36) / 3. Patch 0 alone gives 14 / 3, both 91 / 6.
    hint = {round(91 / 6, 4): "average over the hidden patches only (mask 1), not over all",
            round(14 / 3, 4): "mask 1.0 marks a HIDDEN patch: the loss is on those",
            77.0: "the mean squared error of a patch averages over its P values, not sums"}.get(
        round(got, 4), "per patch the mean of the squared errors over its values, then the mean "
        "over the hidden patches")
    expect(abs(got - 77 / 3) < 1e-4, "the loss for zero predictions, target patches [1, 2, 3] "
           "(visible) and [4, 5, 6] (hidden)", f"{77 / 3:.5f}", f"{got:.5f}", hint)
    got = float(call_student(masked_patch_loss, predictions, targets, mask, True))
    # With norm_pix_loss the hidden target [4, 5, 6] becomes (x - 5) / sqrt(1 + 1e-6) (the
    # unbiased variance of its values is 1): about [-1, 0, 1], a loss of 2 / 3.
    hint = {1.0: "torch.var's default, the unbiased variance (divide by P - 1), as MAE",
            0.5: "standardise each target patch over its own values (the last dim), not over "
                 "the patches",
            round(77 / 3, 4): "norm_pix_loss=True standardises every target patch by its own "
                              "mean and variance"}.get(
        round(got, 4), "target = (target - mean) / sqrt(var + 1e-6), mean and variance over the "
        "values of each patch; the predictions are not normalised")
    expect(abs(got - 2 / 3) < 1e-4, "the same with norm_pix_loss=True", f"{2 / 3:.5f}",
           f"{got:.5f}", hint)
    # Constant patches against zero predictions: each patch's error is its value squared.
    # Image 0 hides one patch of error 1, image 1 three of error 4: (1 + 4 + 4 + 4) / 4.
    values = torch.tensor([[1.0, 3.0, 3.0, 3.0], [2.0, 2.0, 2.0, 5.0]])
    targets = values[:, :, None].expand(2, 4, 5).contiguous()
    mask = torch.tensor([[1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 0.0]])
    got = call_student(masked_patch_loss, torch.zeros(2, 4, 5), targets, mask, False)
    check_close("the loss of a batch whose images hide 1 patch (error 1) and 3 patches (error 4)",
                got, 3.25, atol=1e-5,
                hint="average over all hidden patches of the batch together (sum over hidden "
                "patches / number of hidden patches), not image by image (which gives 2.5)")
    generator = torch.Generator().manual_seed(0)
    targets = torch.randn(2, 4, 5, generator=generator)
    predictions = torch.randn(2, 4, 5, generator=generator)
    leaf = predictions.clone().requires_grad_(True)
    call_student(masked_patch_loss, leaf, targets, mask, True).backward()
    reached = leaf.grad is not None and leaf.grad.abs().sum(dim=-1) > 0
    expect(leaf.grad is not None and torch.equal(reached, mask.bool()),
           "the patches whose predictions get a gradient", mask.bool().tolist(),
           reached.tolist() if leaf.grad is not None else "no gradient",
           "only the hidden patches count in the loss")
    passed("masked_patch_loss")


# --------------------------------------------------------------------------- DINO's loss
def _dino(dino_loss: Callable, student: torch.Tensor, teacher: torch.Tensor,
          center: torch.Tensor) -> tuple[float, torch.Tensor]:
    result = call_student(dino_loss, student, teacher, center)
    expect(isinstance(result, tuple) and len(result) == 2, "dino_loss returns",
           "a tuple (loss, new_center)", type(result).__name__)
    loss, new_center = result
    expect(isinstance(loss, torch.Tensor) and loss.ndim == 0, "the loss is", "a 0-dim tensor",
           getattr(loss, "shape", type(loss).__name__), "average over view pairs and images")
    check_shape("new_center", new_center, center.shape, "one value per output dimension K")
    return float(loss), new_center


def check_dino_loss(dino_loss: Callable) -> None:
    """``dino_loss(student (Vs, N, K), teacher (Vt, N, K), center (K,)) -> (loss, new_center)``."""
    # Student view 0 is teacher view 0 (skipped); student view 1 has probabilities [3/4, 1/4]
    # at temperature 0.1. A uniform teacher gives -(ln(3/4) + ln(1/4)) / 2.
    student = torch.tensor([[[0.0, 0.0]], [[0.1 * math.log(3), 0.0]]])
    got, _ = _dino(dino_loss, student, torch.zeros(1, 1, 2), torch.zeros(2))
    expected = -(math.log(0.75) + math.log(0.25)) / 2
    expect(abs(got - expected) < 1e-4, "the loss for a uniform teacher on view 0 and student "
           "views 0 (the same view) and 1", f"{expected:.5f}", f"{got:.5f}",
           "leave out the pair of a student view with the same teacher view: here only "
           "(teacher 0, student 1) counts" if abs(got - (expected + math.log(2)) / 2) < 1e-4 else
           "cross-entropy -sum_k P_teacher log P_student, the student at temperature 0.1")
    teacher = torch.tensor([[[0.04 * math.log(3), 0.0]]])
    center = torch.zeros(2)
    got, new_center = _dino(dino_loss, student, teacher, center)
    # Centred by the given centre (0) and sharpened by 0.04, the teacher says [3/4, 1/4]:
    # the loss is the entropy of [3/4, 1/4] since the student agrees.
    expected = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    hint = {round(-(math.log(0.75) + math.log(0.25)) / 2, 4):
            "centre with the centre you are given (an EMA over past batches), not with this "
            "batch's mean: a batch of one image centred by its own mean says nothing"}.get(
        round(got, 4), "teacher probabilities softmax((teacher - center) / 0.04), student "
        "log-probabilities log_softmax(student / 0.1); the cross-entropy weighs the student's "
        "log-probabilities by the teacher's probabilities")
    expect(abs(got - expected) < 1e-4, "the loss for teacher logits [0.04 ln 3, 0], centre 0",
           f"{expected:.5f}", f"{got:.5f}", hint)
    teacher = torch.tensor([[[1.0, 2.0], [3.0, 4.0]]])
    _, new_center = _dino(dino_loss, torch.zeros(2, 2, 2), teacher, torch.zeros(2))
    got_center = new_center.detach().tolist()
    expect(all(abs(a - b) < 1e-5 for a, b in zip(got_center, [0.2, 0.3], strict=True)),
           "the new centre after teacher logits [[1, 2], [3, 4]] from centre 0 (momentum 0.9)",
           [0.2, 0.3], [round(v, 5) for v in got_center],
           "new = 0.9 * center + 0.1 * (mean of the teacher logits over views and images)"
           if abs(got_center[0] - 1.8) > 1e-4 else "the momentum weighs the OLD centre: "
           "0.9 * center + 0.1 * batch mean")
    generator = torch.Generator().manual_seed(0)
    student = torch.randn(4, 3, 5, generator=generator).requires_grad_(True)
    teacher = torch.randn(2, 3, 5, generator=generator).requires_grad_(True)
    center = torch.randn(5, generator=generator)
    before = center.clone()
    loss, new_center = call_student(dino_loss, student, teacher, center)
    expect(torch.equal(center, before), "the centre you were given", "unchanged (return a new one)",
           "modified in place")
    expect(not new_center.requires_grad, "the new centre", "a constant (no autograd history)",
           "it requires grad", "compute it from teacher_logits.detach() or under torch.no_grad()")
    loss.backward()
    reached = teacher.grad is not None and bool(teacher.grad.any())
    expect(not reached, "gradients reaching the teacher logits", "none (stop-gradient)",
           "the teacher receives gradients", "the teacher's probabilities are targets: "
           "teacher_logits.detach()")
    expect(student.grad is not None and bool(student.grad.any()), "gradients reaching the "
           "student logits", "non-zero", "none")
    passed("dino_loss")
