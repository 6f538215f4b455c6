"""Checks for notebook 03 (SimCLR, MoCo, BYOL, VICReg): views, projection head, NT-Xent,
momentum encoder, key queue, BYOL's loss and VICReg's loss.

Each check feeds small, fixed inputs whose right answer is known by hand (or by statistics
over many random draws) and reports what it expected and what came.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from .core import CheckFailed, call_student, check_close, check_shape, expect, passed

__all__ = [
    "CheckFailed",
    "check_byol_loss",
    "check_enqueue",
    "check_momentum_copy",
    "check_momentum_update",
    "check_nt_xent",
    "check_projection_head",
    "check_random_apply",
    "check_simclr_view",
    "check_vicreg_loss",
]


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _fraction_within(name: str, fraction: float, low: float, high: float, hint: str) -> None:
    expect(low <= fraction <= high, name, f"between {low:.2f} and {high:.2f}", f"{fraction:.3f}",
           hint)


def check_random_apply(random_apply: Callable) -> None:
    """``random_apply(transform, images (N, C, H, W), p, generator) -> (N, C, H, W)``."""
    images = torch.zeros(4000, 1, 2, 2)
    add_one = lambda x: x + 1.0  # noqa: E731  (a transform whose effect is easy to see)
    out = call_student(random_apply, add_one, images, 0.3, _generator(0))
    check_shape("random_apply(transform, images (4000, 1, 2, 2), p=0.3)", out, (4000, 1, 2, 2))
    expect(bool((images == 0).all()), "the input images are left unchanged", "all zeros",
           "modified in place", "build a new tensor (torch.where) instead of writing into images")
    values = sorted(set(out.unique().tolist()))
    expect(values in ([0.0, 1.0], [0.0], [1.0]), "every output pixel is either untouched (0) "
           "or transformed (1)", [0.0, 1.0], values)
    per_image = out.flatten(1)
    expect(bool((per_image == per_image[:, :1]).all()), "each image is transformed as a whole",
           "all pixels of an image agree", "images with some pixels transformed and some not",
           "draw one random number per image (shape (N,)), not per pixel")
    fraction = float(per_image[:, 0].mean())
    _fraction_within("the fraction of transformed images for p=0.3 (4,000 images)", fraction,
                     0.26, 0.34, "an image is transformed when its uniform draw is < p; one coin "
                     "for the whole batch gives 0 or 1")
    for p, expected in ((0.0, 0.0), (1.0, 1.0)):
        result = call_student(random_apply, add_one, images[:50], p, _generator(1))
        check_close(f"random_apply with p={p} on zeros", result, torch.full((50, 1, 2, 2), expected))
    again = call_student(random_apply, add_one, images, 0.3, _generator(0))
    expect(torch.equal(again, out), "two calls with equally seeded generators agree", "equal",
           "different", "draw the random numbers from the generator argument")
    other = call_student(random_apply, add_one, images, 0.3, _generator(1))
    expect(not torch.equal(other, out), "calls with differently seeded generators differ",
           "different outputs", "identical outputs")
    passed("random_apply")


def _uniform_colour_images(n: int, size: int, generator: torch.Generator) -> torch.Tensor:
    """``(n, 3, size, size)`` uint8 images, each one saturated colour (channel spread >= 128)."""
    colours = torch.randint(0, 256, (n, 3), generator=generator)
    low = torch.randint(0, 3, (n,), generator=generator)
    high = (low + 1 + torch.randint(0, 2, (n,), generator=generator)) % 3
    rows = torch.arange(n)
    colours[rows, low] = torch.randint(0, 64, (n,), generator=generator)
    colours[rows, high] = torch.randint(192, 256, (n,), generator=generator)
    return colours.to(torch.uint8).view(n, 3, 1, 1).expand(n, 3, size, size).contiguous()


def _grey_pattern(n: int, size: int, values: torch.Tensor) -> torch.Tensor:
    """``(n, 3, size, size)`` uint8 grey images whose columns hold ``values`` ``(size,)``."""
    image = values.round().clamp(0, 255).to(torch.uint8).view(1, 1, 1, size)
    return image.expand(n, 3, size, size).contiguous()


def _zero_crossings(views: torch.Tensor) -> torch.Tensor:
    """``(N,)`` sign changes of each view's mean row profile around its mean."""
    profile = views.mean(dim=(1, 2))
    centred = profile - profile.mean(dim=1, keepdim=True)
    signs = torch.sign(centred)
    return (signs[:, 1:] * signs[:, :-1] < 0).sum(dim=1).float()


def _views(simclr_view: Callable, images: torch.Tensor, seed: int) -> torch.Tensor:
    views = call_student(simclr_view, images, _generator(seed))
    check_shape(f"simclr_view(uint8 images {tuple(images.shape)})", views, images.shape,
                "a view has the input's shape: crop, then resize back to the input size")
    expect(views.is_floating_point(), "the dtype of a view", "a float dtype", views.dtype,
           "convert with augment.to_float first")
    expect(bool(torch.isfinite(views).all()) and float(views.min()) >= -1e-4
           and float(views.max()) <= 1 + 1e-4, "view values", "finite, in [0, 1]",
           f"range [{float(views.min()):.3f}, {float(views.max()):.3f}]",
           "views stay in [0, 1]; normalisation comes later")
    return views.detach().float()


def _plaid(n: int, size: int, period: int) -> torch.Tensor:
    """``(n, 3, size, size)`` uint8 grey images: a sine along x plus a sine along y.

    Grey stays grey under saturation, hue and grayscale; brightness and contrast change it
    affinely, which moves neither the midline crossings of its profiles nor their spacing.
    """
    wave = torch.sin(2 * math.pi * (torch.arange(size) + 0.5) / period)
    image = 128 + 20 * (wave.view(1, -1) + wave.view(-1, 1))
    return image.round().to(torch.uint8).expand(n, 3, size, size).contiguous()


def _half_period(profiles: torch.Tensor) -> torch.Tensor:
    """``(N, L)`` wave profiles -> ``(N,)`` mean distance between consecutive midline
    crossings (linearly interpolated), NaN where there are fewer than two."""
    centred = profiles - (profiles.amax(1, keepdim=True) + profiles.amin(1, keepdim=True)) / 2
    left, right = centred[:, :-1], centred[:, 1:]
    crosses = left * right < 0
    where = torch.arange(profiles.shape[1] - 1) + left / torch.where(crosses, left - right, 1.0)
    count = crosses.sum(1)
    first = torch.where(crosses, where, math.inf).amin(1)
    last = torch.where(crosses, where, -math.inf).amax(1)
    return torch.where(count >= 2, (last - first) / (count - 1).clamp(min=1), math.nan)


def crop_areas(simclr_view: Callable, n: int = 400, size: int = 64, period: int = 8,
               seed: int = 6) -> torch.Tensor:
    """``(n,)`` fractions of the image area that each view shows, measured from the views.

    A view that shows a fraction ``w`` of the width stretches the waves along x by ``1 / w``,
    so ``w = (period / 2) / (spacing of the midline crossings)``; the same along y.
    """
    views = _views(simclr_view, _plaid(n, size, period), seed=seed)[:, 0]
    width = period / 2 / _half_period(views.mean(dim=1))   # columns: averaged over rows
    height = period / 2 / _half_period(views.mean(dim=2))
    return width * height


def check_simclr_view(simclr_view: Callable, size: int = 32, small: int = 16) -> None:
    """``simclr_view(uint8 images (N, 3, H, W), generator) -> float views (N, 3, H, W)``.

    Statistics over many images test each part: per-image crops covering 20 to 100 % of
    the area, flips with p=0.5, colour jitter with p=0.8 and grayscale with p=0.2 (on
    ``small x small`` images, to be quick).
    """
    grey = torch.linspace(-1, 1, size)
    base = torch.stack([torch.outer(grey, grey).abs() * 200,
                        (grey * 90 + 120).expand(size, size), grey.flip(0).view(-1, 1).expand(
                            size, size).mul(90).add(120)]).to(torch.uint8)
    same = base.expand(64, 3, size, size).contiguous()
    views = _views(simclr_view, same, seed=0)
    flat = views.flatten(1)
    gaps = torch.cdist(flat, flat, compute_mode="donot_use_mm_for_euclid_dist")
    distinct = int((gaps > 1e-3).triu(diagonal=1).sum())
    expect(distinct == 64 * 63 // 2, "64 copies of one image give 64 different views",
           f"{64 * 63 // 2} different pairs", f"{distinct}",
           "draw random parameters per image, not once for the batch")
    second = _views(simclr_view, same, seed=1)
    expect(float((second - views).abs().mean()) > 1e-3,
           "two views of the same images differ", "different views", "identical views")
    again = _views(simclr_view, same, seed=0)
    expect(torch.equal(again, views), "two calls with equally seeded generators",
           "the same views", "different views",
           "pass `generator` to every random step (crop, flip, jitter and both coins)")

    coloured = _uniform_colour_images(2000, small, _generator(2))
    views = _views(simclr_view, coloured, seed=3)
    original = coloured.float() / 255
    is_grey = (views.amax(dim=1) - views.amin(dim=1)).amax(dim=(1, 2)) < 2 / 255
    _fraction_within("the fraction of grey views of colourful images", float(is_grey.float().mean()),
                     0.15, 0.25, "grayscale with probability 0.2")
    unchanged = (views - original).abs().amax(dim=(1, 2, 3)) < 1.5 / 255
    _fraction_within("the fraction of one-colour images whose colour no step changed",
                     float(unchanged.float().mean()), 0.11, 0.21,
                     "colour jitter with p=0.8 and grayscale with p=0.2 leave "
                     "0.2 * 0.8 = 16 % of the images untouched")

    ramp = _grey_pattern(1000, small, torch.linspace(40, 150, small))
    views = _views(simclr_view, ramp, seed=4)
    half = small // 2
    slope = views[..., half:].mean(dim=(1, 2, 3)) - views[..., :half].mean(dim=(1, 2, 3))
    decided = slope.abs() > 1e-4
    flipped = float((slope[decided] < 0).float().mean()) if decided.any() else 0.0
    _fraction_within("the fraction of mirrored views of a left-to-right ramp", flipped, 0.43, 0.57,
                     "horizontal flip with probability 0.5")

    stripes = torch.sin((torch.arange(size) + 0.5) * 2 * math.pi / 4)  # period 4: + + - -
    wave = _grey_pattern(500, size, 128 + 60 * stripes)
    crossings = _zero_crossings(_views(simclr_view, wave, seed=5))
    full = float(_zero_crossings(wave.float() / 255).mean())
    expect(float(crossings.mean()) < full - 2 and float(crossings.std()) > 0.5,
           "random resized crops zoom in by random amounts (a stripe pattern with "
           f"{full:.0f} sign changes per row shows fewer, and varying, sign changes)",
           f"fewer than {full - 2:.0f} on average, spread above 0.5",
           f"mean {float(crossings.mean()):.2f}, spread {float(crossings.std()):.2f}",
           "apply augment.random_resized_crop first")
    areas = crop_areas(simclr_view)
    expect(bool(torch.isfinite(areas).all()), "the crop area of every view can be measured",
           "a stretched copy of part of the image in each view", "views without a clear "
           "copy of the image", "crop, then resize: augment.random_resized_crop")
    tiny, small_share, large = ((areas < 0.17).float().mean(), (areas < 0.3).float().mean(),
                                (areas > 0.8).float().mean())
    expect(float(tiny) <= 0.01 and 0.05 <= float(small_share) <= 0.2 and float(large) >= 0.1,
           "the image area the crops cover (400 views; scale=(0.2, 1.0) draws it uniformly "
           "from 20 to 100 %)", "none below 17 %, 5-20 % below 30 %, at least 10 % above 80 %",
           f"{float(tiny):.0%} below 17 %, {float(small_share):.0%} below 30 %, "
           f"{float(large):.0%} above 80 % (smallest {float(areas.min()):.2f})",
           "random_resized_crop with scale=(0.2, 1.0)")
    passed("simclr_view")


def _linear_layers(module: nn.Module) -> list[nn.Linear]:
    return [m for m in module.modules() if isinstance(m, nn.Linear)]


def check_projection_head(head_class: type[nn.Module]) -> None:
    """``ProjectionHead(in_dim, hidden_dim, out_dim)``: Linear, non-linearity, Linear."""
    torch.manual_seed(0)
    head = call_student(head_class, 16, 32, 8)
    expect(isinstance(head, nn.Module), "ProjectionHead(16, 32, 8) is", "an nn.Module",
           type(head).__name__)
    out = head(torch.randn(10, 16))
    check_shape("ProjectionHead(16, 32, 8) on a (10, 16) batch", out, (10, 8))
    shapes = [(layer.in_features, layer.out_features) for layer in _linear_layers(head)]
    expect(shapes == [(16, 32), (32, 8)], "its linear layers (in, out), in order",
           [(16, 32), (32, 8)], shapes, "two layers: in_dim -> hidden_dim -> out_dim")
    default = call_student(head_class)
    shapes = [(layer.in_features, layer.out_features) for layer in _linear_layers(default)]
    expect(shapes[:1] and shapes[0][0] == 256 and shapes[-1][1] == 128,
           "ProjectionHead() maps the backbone's 256 features to", "128 outputs",
           f"linear layers {shapes}", "defaults in_dim=256, out_dim=128")
    head.eval()
    a, b = torch.randn(6, 16), torch.randn(6, 16)
    with torch.no_grad():
        gap = float((head(a) + head(b) - head(a + b) - head(torch.zeros(6, 16))).abs().max())
    expect(gap > 1e-3, "the head is not an affine map (f(a) + f(b) = f(a + b) + f(0) for one)",
           "a non-linearity between the layers", f"largest difference {gap:.2g}",
           "put a ReLU between the two linear layers")
    positive_a, positive_b = a.abs(), b.abs()
    with torch.no_grad():
        gap = float((head(positive_a) + head(positive_b) - head(positive_a + positive_b)
                     - head(torch.zeros(6, 16))).abs().max())
        lowest = float(head(torch.randn(64, 16)).min())
    expect(gap > 1e-3, "the head on positive inputs is not an affine map either",
           "a non-linearity after the first linear layer", f"largest difference {gap:.2g}",
           "the ReLU goes between the two linear layers, not before the first")
    expect(lowest < 0, "the smallest projection of 64 random inputs", "below 0 (the last layer is "
           "linear)", f"{lowest:.3f}", "no activation after the last linear layer")
    head.train()
    head(torch.randn(10, 16)).pow(2).sum().backward()
    first = _linear_layers(head)[0]
    expect(first.weight.grad is not None and float(first.weight.grad.abs().sum()) > 0,
           "a gradient reaches the first layer", "non-zero gradient", first.weight.grad)
    passed("ProjectionHead")


def check_nt_xent(nt_xent_loss: Callable) -> None:
    """``nt_xent_loss(z1 (N, D), z2 (N, D), temperature) -> scalar``, averaged over 2N views."""
    eye = torch.eye(2)
    loss = call_student(nt_xent_loss, eye, eye.clone(), 1.0)
    expect(isinstance(loss, torch.Tensor) and loss.ndim == 0, "the loss is", "a 0-dim tensor",
           getattr(loss, "shape", type(loss).__name__), "average over the 2N views")
    # Each of the 4 views has cosine 1 with its positive and 0 with the 2 other views.
    check_close("loss for z1 = z2 = [[1, 0], [0, 1]], temperature 1", loss,
                math.log(math.e + 2) - 1, atol=1e-5,
                hint="-log(e^1 / (e^1 + e^0 + e^0)); a view's similarity with itself is left "
                "out of the denominator")
    check_close("the same at temperature 0.5", call_student(nt_xent_loss, eye, eye.clone(), 0.5),
                math.log(math.e**2 + 2) - 2, atol=1e-5, hint="divide the similarities by the "
                "temperature")
    single = call_student(nt_xent_loss, torch.tensor([[1.0, 2.0]]), torch.tensor([[-3.0, 0.5]]), 0.5)
    check_close("loss for a batch of one image (each view's only candidate is its positive)",
                single, 0.0, atol=1e-5, hint="exclude each view's similarity with itself")
    generator = _generator(0)
    z1, z2 = torch.randn(6, 5, generator=generator), torch.randn(6, 5, generator=generator)
    base = call_student(nt_xent_loss, z1, z2, 0.5)
    check_close("loss(z2, z1) equals loss(z1, z2)", call_student(nt_xent_loss, z2, z1, 0.5),
                float(base), atol=1e-5, hint="every one of the 2N views is an anchor once")
    check_close("loss(3 * z1, 0.5 * z2) equals loss(z1, z2)",
                call_student(nt_xent_loss, 3 * z1, 0.5 * z2, 0.5), float(base), atol=1e-5,
                hint="cosine similarity: L2-normalise the projections first")
    close = z1 + 0.05 * torch.randn(6, 5, generator=generator)
    cold, hot = (float(call_student(nt_xent_loss, z1, close, t)) for t in (0.1, 1.0))
    expect(cold < hot, "for nearly equal views, a lower temperature gives a lower loss",
           "loss(t=0.1) < loss(t=1.0)", f"{cold:.4f} vs {hot:.4f}")
    cold = call_student(nt_xent_loss, z1, close, 0.01)
    expect(bool(torch.isfinite(cold)), "the loss at temperature 0.01", "a finite number",
           cold, "similarities / 0.01 reach 100 and exp(100) overflows float32: use "
           "F.cross_entropy or torch.logsumexp instead of exp, sum and log")
    z1.requires_grad_(True)
    z2.requires_grad_(True)
    call_student(nt_xent_loss, z1, z2, 0.5).backward()
    expect(all(g is not None and bool(torch.isfinite(g).all()) and float(g.abs().sum()) > 0
               for g in (z1.grad, z2.grad)), "finite, non-zero gradients flow back to z1 and z2",
           "both", (z1.grad is not None, z2.grad is not None),
           "both views are trained: no detach() on either input")
    passed("nt_xent_loss")


def _small_network(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))


def check_momentum_copy(momentum_copy: Callable) -> None:
    """``momentum_copy(online) -> an independent, frozen copy of online``."""
    online = _small_network()
    target = call_student(momentum_copy, online)
    expect(isinstance(target, nn.Module) and target is not online,
           "momentum_copy returns", "a new module", "the online module itself",
           "copy.deepcopy(online): the target must be able to hold other weights")
    pairs = list(zip(target.parameters(), online.parameters(), strict=True))
    expect(all(torch.equal(t, o) and t.data_ptr() != o.data_ptr() for t, o in pairs),
           "the copy starts with equal weights in its own memory", "equal, not shared",
           "shared or different weights")
    buffers = list(zip(target.buffers(), online.buffers(), strict=True))
    expect(all(torch.equal(t, o) and t.data_ptr() != o.data_ptr() for t, o in buffers),
           "the copy's buffers (BatchNorm's running statistics)", "equal, in their own memory",
           "shared or different buffers", "copy.deepcopy copies buffers too")
    expect(all(not t.requires_grad for t, _ in pairs) and all(o.requires_grad for _, o in pairs),
           "requires_grad of (target, online) parameters", "(False, True) for every parameter",
           [(t.requires_grad, o.requires_grad) for t, o in pairs],
           "freeze the copy only: target.requires_grad_(False)")
    x = torch.randn(8, 4)
    (online(x).sum() + target(x).sum()).backward()
    expect(all(t.grad is None for t in target.parameters()), "gradients reaching the target",
           "none", "the target's parameters received gradients")
    with torch.no_grad():
        for parameter in online.parameters():
            parameter.add_(1.0)
    expect(all(not torch.equal(t, o) for t, o in pairs), "the copy after the online "
           "network's weights change", "unchanged (independent weights)", "it changed too")
    passed("momentum_copy")


def _frozen_target(seed: int) -> nn.Module:
    """A frozen network of the same architecture as :func:`_small_network`, other weights."""
    target = _small_network(seed)
    for parameter in target.parameters():
        parameter.requires_grad = False
    return target


def check_momentum_update(momentum_update: Callable) -> None:
    """``momentum_update(target, online, m)``: target <- m * target + (1 - m) * online, in place."""
    online = _small_network(0)
    target = _frozen_target(seed=1)
    online(torch.randn(8, 4))  # the online BatchNorm's running statistics move away from 0 / 1
    target_buffers = [b.clone() for b in target.buffers()]
    pairs = list(zip(target.parameters(), online.parameters(), strict=True))
    before = [t.detach().clone() for t in target.parameters()]
    objects = [id(t) for t in target.parameters()]
    call_student(momentum_update, target, online, 0.9)
    expect([id(t) for t in target.parameters()] == objects, "the target's parameters after "
           "momentum_update", "the same tensors, changed in place", "new tensor objects",
           "update each parameter in place (mul_, add_, lerp_ or copy_)")
    for (t, o), old in zip(pairs, before, strict=True):
        check_close("a target parameter after momentum_update(target, online, 0.9)", t,
                    0.9 * old + 0.1 * o.detach(), atol=1e-6,
                    hint="target <- m * target + (1 - m) * online")
    expect(all(t.grad_fn is None and not t.requires_grad for t in target.parameters()),
           "the target's parameters after the update", "leaves without autograd history",
           [(t.requires_grad, t.grad_fn) for t in target.parameters()],
           "update inside torch.no_grad()")
    expect(all(torch.equal(b, old) for b, old in zip(target.buffers(), target_buffers, strict=True)),
           "the target's buffers (BatchNorm's running statistics) after the update",
           "unchanged", "changed", "average the parameters only: target.parameters()")
    after = [o.detach().clone() for o in online.parameters()]
    call_student(momentum_update, target, online, 1.0)
    expect(all(torch.equal(o, a) for o, a in zip(online.parameters(), after, strict=True)),
           "the online network after momentum_update", "unchanged", "changed",
           "only the target moves")
    call_student(momentum_update, target, online, 0.0)
    for t, o in pairs:
        check_close("the target after momentum_update(target, online, 0.0)", t, o.detach(),
                    hint="momentum 0 copies the online weights")
    passed("momentum_update")


def check_enqueue(enqueue: Callable) -> None:
    """``enqueue(queue (K, D), keys (B, D), pointer) -> new pointer``, writing in place."""
    queue = torch.zeros(5, 2)
    keys = [torch.full((2, 2), 1.0), torch.full((3, 2), 2.0), torch.full((2, 2), 3.0)]
    pointer = call_student(enqueue, queue, keys[0], 0)
    expect(int(pointer) == 2, "the pointer after enqueueing 2 keys at 0 into a queue of 5", 2,
           pointer)
    check_close("the queue after enqueueing [[1, 1], [1, 1]] at row 0", queue,
                [[1, 1], [1, 1], [0, 0], [0, 0], [0, 0]], hint="write into queue in place")
    pointer = call_student(enqueue, queue, keys[1], int(pointer))
    expect(int(pointer) == 0, "the pointer after 2 + 3 keys in a queue of 5", 0, pointer,
           "wrap around: (pointer + B) % K")
    pointer = call_student(enqueue, queue, keys[2], int(pointer))
    check_close("the queue after batches of 1s (2), 2s (3) and 3s (2): the 5 newest keys", queue,
                [[3, 3], [3, 3], [2, 2], [2, 2], [2, 2]], hint="the oldest keys are overwritten")
    wrap = torch.zeros(4, 1)
    pointer = call_student(enqueue, wrap, torch.tensor([[1.0], [2.0], [3.0]]), 3)
    check_close("3 keys enqueued at row 3 of a queue of 4 (rows 3, 0, 1)", wrap.flatten(),
                [2.0, 3.0, 0.0, 1.0], hint="keys that do not fit at the end continue at row 0")
    expect(int(pointer) == 2, "the pointer after that", 2, pointer)
    queue = torch.zeros(3, 2)
    call_student(enqueue, queue, torch.ones(2, 2, requires_grad=True) * 2, 0)
    expect(not queue.requires_grad, "the queue after enqueueing keys that carry gradients",
           "no autograd history (keys are constants)", "the queue joined the autograd graph",
           "enqueue keys.detach()")
    passed("enqueue")


def _scalar(name: str, value: object) -> float:
    expect(isinstance(value, torch.Tensor) and value.ndim == 0, f"{name} returns", "a 0-dim tensor",
           getattr(value, "shape", type(value).__name__), "average over the images: .mean()")
    expect(bool(torch.isfinite(value)), f"{name} returns", "a finite number", value)
    return float(value)


def _leaves(*tensors: torch.Tensor) -> list[torch.Tensor]:
    return [t.detach().clone().requires_grad_(True) for t in tensors]


def check_byol_loss(byol_loss: Callable) -> None:
    """``byol_loss(p1, p2, z1, z2) -> scalar``: 2 - cos(p1, sg(z2)) - cos(p2, sg(z1)), mean over N."""
    p1, p2 = torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 1.0]])
    z1, z2 = torch.tensor([[2.0, 2.0]]), torch.tensor([[0.0, 3.0]])
    # cos(p1, z2) = 0 and cos(p2, z1) = 1; pairing each prediction with its own view's
    # target instead gives cos 45 degrees twice.
    got = _scalar("byol_loss", call_student(byol_loss, p1, p2, z1, z2))
    own_view = 2 - math.sqrt(2)
    expect(abs(got - 1.0) < 1e-5, "byol_loss([[1, 0]], [[1, 1]], [[2, 2]], [[0, 3]])", "1.0 "
           "(2 - cos(p1, z2) - cos(p2, z1) = 2 - 0 - 1)", f"{got:.5f}",
           {round(own_view, 4): "each view's prediction pairs with the OTHER view's target "
            "(p1 with z2, p2 with z1)",
            2.0: "both directions count: p1 predicts z2 AND p2 predicts z1, averaged",
            6.0: "compare L2-normalised vectors (cosine), not raw ones"}.get(
               round(got, 4), "2 - cos(p1, z2) - cos(p2, z1), averaged over the images"))
    generator = _generator(3)
    p1, p2, z1, z2 = (torch.randn(6, 5, generator=generator) for _ in range(4))
    base = _scalar("byol_loss", call_student(byol_loss, p1, p2, z1, z2))
    perfect = _scalar("byol_loss", call_student(byol_loss, z2.clone(), z1.clone(), z1, z2))
    check_close("the loss when every prediction equals its target (p1 = z2, p2 = z1)", perfect, 0.0,
                atol=1e-5, hint="2 - cos - cos is 0 for perfect predictions; -cos alone would be -2")
    check_close("byol_loss(3 * p1, 0.5 * p2, 2 * z1, 5 * z2) equals byol_loss(p1, p2, z1, z2)",
                call_student(byol_loss, 3 * p1, 0.5 * p2, 2 * z1, 5 * z2), base, atol=1e-5,
                hint="cosine similarity: L2-normalise predictions and targets (a plain MSE "
                "depends on their lengths)")
    doubled = call_student(byol_loss, *(torch.cat([t, t]) for t in (p1, p2, z1, z2)))
    check_close("the loss of a batch holding every image twice", doubled, base, atol=1e-5,
                hint="average over the images, do not sum")
    leaves = _leaves(p1, p2, z1, z2)
    call_student(byol_loss, *leaves).backward()
    names = ("p1", "p2", "z1", "z2")
    reached = {name: t.grad is not None and float(t.grad.abs().sum()) > 0 for name, t in zip(names, leaves, strict=True)}
    expect(not reached["z1"] and not reached["z2"], "gradients reaching the targets z1, z2", "none "
           "(stop-gradient)", reached, "the targets are constants: use z1.detach() and z2.detach()")
    expect(reached["p1"] and reached["p2"], "gradients reaching the predictions p1, p2",
           "non-zero for both", reached, "both directions count, and only the targets are "
           "detached: p1 predicts z2 and p2 predicts z1")
    passed("byol_loss")


def check_vicreg_loss(vicreg_loss: Callable) -> None:
    """``vicreg_loss(z1, z2, sim_weight, var_weight, cov_weight) -> scalar`` (VICReg's loss)."""
    def term(z1: torch.Tensor, z2: torch.Tensor, weights: tuple[float, float, float]) -> float:
        return _scalar("vicreg_loss", call_student(vicreg_loss, z1, z2, *weights))

    z1, z2 = torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[1.0, 0.0], [3.0, 0.0]])
    got = term(z1, z2, (1.0, 0.0, 0.0))
    # squared differences 0, 4, 0, 16: their mean over all N * D entries is 5
    expect(abs(got - 5.0) < 1e-5, "the invariance term (weights 1, 0, 0) for z1 = [[1, 2], [3, 4]], "
           "z2 = [[1, 0], [3, 0]]", "5.0 (the mean of the squared differences over N and D)",
           f"{got:.5f}", {10.0: "summed over the features: F.mse_loss averages over all entries",
                          20.0: "summed: use the mean over all N * D entries"}.get(round(got, 4), ""))
    z1, z2 = torch.tensor([[0.0, 0.0], [0.5, 0.0], [1.0, 0.0]]), torch.tensor([[0.0, 0.0], [0.0, 0.0], [0.0, 3.0]])
    # Per feature over the batch: z1 has variances 0.25 and 0, z2 has 0 and 3 (unbiased), so
    # the hinges relu(1 - sqrt(var + 1e-4)) are 0.4999, 0.99 and 0.99, 0: mean (0.74495 + 0.495) / 2.
    got = term(z1, z2, (0.0, 1.0, 0.0))
    hint = {0.6875: "hinge on the standard deviation sqrt(var + 1e-4), not on the variance",
            0.6429: "the unbiased variance over the batch (divide by N - 1)",
            0.6515: "the variance of each feature over the batch (dim 0), not of each image's "
                    "features (dim 1)",
            1.2399: "average the two branches' variance terms: (v(z1) + v(z2)) / 2"}.get(
        round(got, 4), "the variance is taken over the batch (dim 0), per feature, then hinged "
        "and averaged over the features")
    expect(abs(got - 0.619975) < 1e-4, "the variance term (weights 0, 1, 0) for z1 = [[0, 0], "
           "[0.5, 0], [1, 0]], z2 = [[0, 0], [0, 0], [0, 3]]", "0.619975", f"{got:.6f}", hint)
    z1, z2 = torch.tensor([[6.0, 6.0], [4.0, 4.0]]), torch.tensor([[6.0, 5.0], [4.0, 5.0]])
    # Centred, z1's covariance matrix is [[2, 2], [2, 2]] (N - 1 = 1) and z2's [[2, 0], [0, 0]]:
    # the squared off-diagonal entries sum to 8 and 0, each divided by D = 2.
    got = term(z1, z2, (0.0, 0.0, 1.0))
    hint = {10.0: "off-diagonal entries only: the diagonal holds the variances",
            2.0: "sum the two branches' covariance terms: c(z1) + c(z2)",
            1.0: "the covariance divides by N - 1"}.get(
        round(got, 4), "centre each feature over the batch before the covariance (z - z.mean(0)); "
        "the values here are far from 0")
    expect(abs(got - 4.0) < 1e-4, "the covariance term (weights 0, 0, 1) for z1 = [[6, 6], [4, 4]], "
           "z2 = [[6, 5], [4, 5]]", "4.0", f"{got:.5f}", hint)
    generator = _generator(5)
    z1, z2 = torch.randn(16, 6, generator=generator) + 2, torch.randn(16, 6, generator=generator) * 0.3
    parts = [term(z1, z2, weights) for weights in ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))]
    default = _scalar("vicreg_loss", call_student(vicreg_loss, z1, z2))
    check_close("vicreg_loss(z1, z2) with the default weights", default,
                25 * parts[0] + 25 * parts[1] + parts[2], atol=1e-3, rtol=1e-5,
                hint="defaults sim_weight=25, var_weight=25, cov_weight=1; each weight multiplies its term")
    a, b = _leaves(z1, z2)
    call_student(vicreg_loss, a, b).backward()
    c, d = _leaves(z2, z1)
    call_student(vicreg_loss, c, d).backward()
    expect(a.grad is not None and d.grad is not None and torch.allclose(a.grad, d.grad, atol=1e-5),
           "the gradient for z1 whether it is passed first or second", "the same (the loss is "
           "symmetric in its two inputs)", "different" if a.grad is not None and d.grad is not None
           else "no gradient", "no detach(): both branches are trained, every term reaches both inputs")
    passed("vicreg_loss")
