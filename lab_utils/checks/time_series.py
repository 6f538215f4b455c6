"""Checks for notebook 05 (time series): autoencoder, span masks, masked loss, augmentations and
TS2Vec's hierarchical contrastive loss.

Each check tests properties and tiny fixed cases: shapes, dtypes, statistics of the random
draws, that randomness is per series and repeats with the same generator. None holds a
reference implementation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

from .core import CheckFailed, call_student, check_close, check_shape, expect, passed

__all__ = [
    "CheckFailed",
    "bottleneck_rank",
    "check_hierarchical_contrastive_loss",
    "check_masked_mse",
    "check_random_crop",
    "check_random_span_mask",
    "check_scale_and_jitter",
    "check_sequence_autoencoder",
    "single_thread",
]


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@contextmanager
def single_thread() -> Iterator[None]:
    """Run tiny models on one CPU thread: coordinating threads costs more than it saves."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def signed_sequences(n: int, length: int, amplitude: float = 2.5) -> torch.Tensor:
    """``(n, 1, length)`` sequences that mix two shapes (a sine period and a ramp).

    They span a plane, so any autoencoder with a code of 2 or more numbers can redraw them;
    their largest values grow from 1 to ``amplitude``, so the output layer must cover any
    real number.
    """
    t = torch.linspace(0, 1, length)
    sine, ramp = torch.sin(2 * math.pi * t), 2 * t - 1
    angle = torch.linspace(0, 2 * math.pi, n + 1)[:n, None]
    mixed = torch.cos(angle) * sine + torch.sin(angle) * ramp
    size = torch.linspace(1.0, amplitude, n)[:, None]
    return (size * mixed / mixed.abs().amax(dim=1, keepdim=True)).unsqueeze(1)


def reconstruction_jacobian(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The Jacobian ``(length, length)`` of ``model``'s reconstruction at one sequence ``x`` ``(1, 1, length)``."""
    model.eval()
    flat = x.flatten().detach()
    return torch.autograd.functional.jacobian(lambda v: model(v.view_as(x)).flatten(), flat)


def jacobian_rank(jacobian: torch.Tensor) -> int:
    """The numerical rank of a Jacobian (singular values above 1e-4 of the largest)."""
    singular = torch.linalg.svdvals(jacobian.double())
    return int((singular > 1e-4 * singular.max().clamp(min=1e-12)).sum())


def bottleneck_rank(model: nn.Module, x: torch.Tensor) -> int:
    """The rank of the Jacobian of ``model`` at one sequence ``x`` ``(1, 1, length)``.

    If the reconstruction depends on the input only through a code of ``k`` numbers, the
    Jacobian (length x length) is a product through a k-dimensional space: its rank is at
    most ``k``. A shortcut around the code makes it larger.
    """
    return jacobian_rank(reconstruction_jacobian(model, x))


def check_sequence_autoencoder(autoencoder_class: type[nn.Module]) -> None:
    """``SequenceAutoencoder(length, latent_dim)``: ``encode`` gives ``(N, latent_dim)``,
    ``forward`` gives a reconstruction of the input's shape ``(N, 1, length)`` that passes
    through the code, and the model learns to redraw a few signed sequences."""
    torch.manual_seed(0)
    model = call_student(autoencoder_class, 20, 4)
    x = signed_sequences(8, 20)
    codes = model.encode(x)
    check_shape(
        "model.encode(x) for x of shape (8, 1, 20) and latent_dim=4",
        codes,
        (8, 4),
        "the code size is the constructor's latent_dim argument",
    )
    output = model(x)
    check_shape(
        "model(x) for x of shape (8, 1, 20)",
        output,
        (8, 1, 20),
        "give the reconstruction the input's shape, e.g. with .reshape(x.shape)",
    )
    output.pow(2).mean().backward()
    frozen = [name for name, p in model.named_parameters() if p.grad is None]
    expect(not frozen, "parameters that receive a gradient", "all of them", f"not: {frozen}")
    rank = bottleneck_rank(model, x[:1])
    expect(rank <= 4, "the number of directions in which the reconstruction of one sequence "
           "can change (the rank of its Jacobian)", "at most latent_dim = 4", rank,
           "forward must go through the code: decoder(encode(x)), no shortcut around it")
    model.train()
    # Eight sequences in a plane, codes of 4 numbers: any autoencoder whose output layer can
    # give any real number redraws them; 300 Adam steps are plenty.
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    with single_thread():
        for _ in range(300):
            optimizer.zero_grad()
            loss = (model(x) - x).pow(2).mean()
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        redrawn = model(x)
    final = float((redrawn - x).pow(2).mean())
    low, high = float(redrawn.min()), float(redrawn.max())
    if low > -0.5:
        hint = "the outputs stay above -0.5 while the sequences reach -2.5: end the decoder " \
               "with a Linear layer, no ReLU or sigmoid after it"
    elif high - low < 4:
        hint = f"the outputs stay within [{low:.2f}, {high:.2f}] while the sequences span " \
               "[-2.5, 2.5]: no tanh or other bounded function after the last layer"
    else:
        hint = "the output range is fine: check that every layer is trained (Adam on " \
               "model.parameters()) and that the code feeds the decoder"
    expect(
        final < 0.1,
        "reconstruction MSE after 300 Adam steps (learning rate 0.01) on 8 sequences that "
        f"mix two shapes (mean square {float(x.pow(2).mean()):.2f}, values up to +-2.5)",
        "< 0.1",
        f"{final:.3f} (outputs from {low:.2f} to {high:.2f})",
        hint,
    )
    passed("SequenceAutoencoder")


# --------------------------------------------------------------------------- exercise 2
def _runs(row: torch.Tensor) -> list[int]:
    """Lengths of the runs of True in a 1-D bool tensor."""
    runs, current = [], 0
    for value in row.tolist():
        if value:
            current += 1
        elif current:
            runs.append(current)
            current = 0
    return runs + ([current] if current else [])


def check_random_span_mask(random_span_mask: Callable[..., torch.Tensor]) -> None:
    """``random_span_mask(n, length, mask_ratio, span, generator) -> (n, length)`` bool."""
    mask = call_student(random_span_mask, 400, 40, 0.3, 4, _generator(0))
    check_shape("random_span_mask(400, 40, 0.3, 4, g)", mask, (400, 40))
    expect(
        isinstance(mask, torch.Tensor) and mask.dtype == torch.bool,
        "the mask's type",
        "a torch.bool tensor",
        getattr(mask, "dtype", type(mask).__name__),
    )
    spans = max(1, round(0.3 * 40 / 4))
    counts = mask.sum(1)
    expect(
        bool((counts >= 4).all()) and bool((counts <= spans * 4).all()),
        f"masked steps per series ({spans} spans of 4 steps, overlaps allowed)",
        f"between 4 and {spans * 4}",
        f"between {int(counts.min())} and {int(counts.max())}",
    )
    shortest = min(min(_runs(row)) for row in mask[:50])
    expect(
        shortest >= 4,
        "the shortest run of masked steps",
        ">= 4 (whole spans, never single steps)",
        shortest,
        "mask `span` consecutive steps from each random start",
    )
    fraction = float(mask.float().mean())
    expect(
        0.2 <= fraction <= 0.3,
        "the masked fraction over 400 series (overlapping spans make it a little below 0.3)",
        "between 0.2 and 0.3",
        f"{fraction:.3f}",
    )
    same = int((mask == mask[0]).all(1).sum()) - 1
    expect(
        same < 20,
        "series whose mask equals the first series' mask",
        "few: every series draws its own spans",
        same,
        "draw the starts with shape (n, number of spans)",
    )
    edges = (bool(mask[:, 0].any()), bool(mask[:, -1].any()))
    expect(
        edges == (True, True),
        "are the first and the last time step ever masked?",
        (True, True),
        edges,
        "starts run from 0 to length - span, both included (torch.randint's high is exclusive)",
    )
    # mask_ratio * length / span = 3.7: round() draws 4 spans, int() only 3, so at most 6 of 20
    # steps could ever be masked (4 spans that do not overlap mask 8).
    most = int(call_student(random_span_mask, 400, 20, 0.37, 2, _generator(2)).sum(1).max())
    expect(
        most == 8,
        "the most masked steps in a series for length 20, mask_ratio 0.37, span 2 (400 series)",
        "8: round(0.37 * 20 / 2) = round(3.7) = 4 spans of 2 steps, some not overlapping",
        most,
        "the number of spans is round(mask_ratio * length / span), not int(): int() truncates 3.7 to 3",
    )
    again = call_student(random_span_mask, 400, 40, 0.3, 4, _generator(0))
    other = call_student(random_span_mask, 400, 40, 0.3, 4, _generator(1))
    expect(
        torch.equal(mask, again) and not torch.equal(mask, other),
        "the same generator seed gives the same mask, another seed another mask",
        "(True, True)",
        (torch.equal(mask, again), not torch.equal(mask, other)),
        "draw every random number from the `generator` argument",
    )
    passed("random_span_mask")


# --------------------------------------------------------------------------- exercise 3
def check_masked_mse(masked_mse: Callable[..., torch.Tensor]) -> None:
    """``masked_mse(prediction (N, C, T), target (N, C, T), mask (N, T)) -> scalar``."""
    target = torch.tensor([[[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 2.0]],
                           [[1.0, 1.0, 1.0, 1.0], [3.0, 3.0, 3.0, 3.0]]])
    prediction = torch.zeros_like(target, requires_grad=True)
    mask = torch.tensor([[False, True, False, True], [True, False, False, False]])
    loss = call_student(masked_mse, prediction, target, mask)
    check_shape("masked_mse(...)", loss, (), "return one number: a 0-dimensional tensor")
    # Masked entries: series 0 steps 1 and 3 in both channels (4, 0, 16, 4), series 1 step 0
    # in both channels (1, 9): six squared errors.
    check_close(
        "masked_mse for a zero prediction (2 series, 2 channels, 4 steps)",
        loss,
        (4 + 0 + 16 + 4 + 1 + 9) / 6,
        hint="average the squared errors over the masked time steps of every channel, "
        "i.e. divide by (number of masked steps) x (number of channels)",
    )
    loss.backward()
    leaked = prediction.grad.abs().sum(1)[~mask]
    expect(
        bool((leaked == 0).all()),
        "gradient reaching unmasked time steps",
        "none: visible steps do not count in the loss",
        f"{int((leaked != 0).sum())} unmasked steps get a gradient",
    )
    passed("masked_mse")


# --------------------------------------------------------------------------- exercise 4
def _check_input_kept(name: str, x: torch.Tensor, copy: torch.Tensor) -> None:
    expect(torch.equal(x, copy), f"{name} leaves its input unchanged", True, False,
           "return a new tensor instead of changing x in place")


def _check_repeatable(name: str, function: Callable[..., torch.Tensor], *args) -> None:
    first = call_student(function, *args, _generator(3))
    again = call_student(function, *args, _generator(3))
    other = call_student(function, *args, _generator(4))
    expect(
        torch.equal(first, again) and not torch.equal(first, other),
        f"{name}: the same generator seed repeats, another seed differs",
        "(True, True)",
        (torch.equal(first, again), not torch.equal(first, other)),
        "draw every random number from the `generator` argument",
    )


def _normal_tails(name: str, draws: torch.Tensor, sigma: float) -> None:
    """Normal draws fall beyond 2 standard deviations 4.55 % of the time (uniform ones never)."""
    beyond = float(((draws.abs() / sigma) > 2).float().mean())
    expect(0.03 <= beyond <= 0.062, f"{name}: the share beyond 2 sigma", "about 4.6 % (normal "
           "draws)", f"{beyond:.2%}", "draw standard normal numbers (torch.randn), not uniform ones")


def check_scale_and_jitter(scale_and_jitter: Callable[..., torch.Tensor]) -> None:
    """``scale_and_jitter(x (N, C, T), scale_sigma, jitter_sigma, generator)``: each series and
    channel times ``1 + scale_sigma * z``, then independent ``N(0, jitter_sigma^2)`` noise."""
    x = 1.0 + torch.rand(2_000, 2, 30, generator=_generator(0))
    copy = x.clone()
    scaled = call_student(scale_and_jitter, x, 0.3, 0.0, _generator(2))
    check_shape("scale_and_jitter(x (2000, 2, 30), 0.3, 0.0, g)", scaled, tuple(x.shape))
    _check_input_kept("scale_and_jitter", x, copy)
    ratio = scaled / x
    factors = ratio[:, :, :1]
    expect(torch.allclose(ratio, factors.expand_as(ratio), atol=1e-5),
           "with jitter_sigma = 0: one factor per series and channel, the same at every time step",
           "output / x constant along time", "it varies along time",
           "draw the factors with shape (N, C, 1); the noise is the jitter's, scaled by jitter_sigma")
    check_close("mean scaling factor", factors.mean(), 1.0, atol=0.03,
                hint="factors are drawn from a normal distribution with mean 1: 1 + sigma * z")
    check_close("standard deviation of the scaling factors (scale_sigma = 0.3)", factors.std(), 0.3,
                atol=0.03, hint="factor = 1 + scale_sigma * standard normal, one per series and channel")
    _normal_tails("scaling factors - 1", factors - 1, 0.3)
    expect(not torch.allclose(factors[:, 0], factors[:, 1]),
           "scaling factors of channel 0 and channel 1", "different", "the same",
           "draw factors of shape (N, C, 1)")
    jittered = call_student(scale_and_jitter, x, 0.0, 0.2, _generator(1))
    _check_input_kept("scale_and_jitter", x, copy)
    noise = jittered - x
    check_close("mean of the jitter noise (scale_sigma = 0)", noise.mean(), 0.0, atol=0.01)
    check_close("standard deviation of the jitter noise (scale_sigma = 0, jitter_sigma = 0.2)",
                noise.std(), 0.2, atol=0.01, hint="add jitter_sigma * standard normal noise to every value")
    _normal_tails("jitter noise", noise, 0.2)
    expect(not torch.allclose(noise[0], noise[1]), "jitter noise of series 0 and series 1",
           "different", "the same", "draw noise of x's full shape, not one row for the batch")
    steps = float(torch.corrcoef(noise[:, 0, :2].T)[0, 1])
    expect(abs(steps) < 0.1, "correlation of the noise at two neighbouring time steps",
           "about 0 (independent)", f"{steps:.2f}", "draw one number per value")
    # Order: on series of zeros, scaling first leaves pure noise of the same spread in every
    # series; jittering first scales each series' noise by its factor, so the spreads differ.
    noise_only = call_student(scale_and_jitter, torch.zeros(500, 1, 400), 0.5, 0.1, _generator(6))
    spreads = noise_only.std(dim=2).flatten()
    variation = float(spreads.std() / spreads.mean())
    expect(variation < 0.15, "on all-zero series (scale_sigma 0.5, jitter_sigma 0.1): how much the "
           "noise's standard deviation varies between series (its coefficient of variation)",
           "about 0.035 (sampling only: every series gets noise of standard deviation 0.1)",
           f"{variation:.3f}", "scale first, then add the noise: noise added before scaling is "
           "multiplied by each series' factor")
    _check_repeatable("scale_and_jitter", scale_and_jitter, x[:4], 0.3, 0.2)
    passed("scale_and_jitter")


def check_random_crop(random_crop: Callable[..., torch.Tensor]) -> None:
    """``random_crop(x (N, C, T), length, generator) -> (N, C, length)``, one window per series."""
    # Each value encodes its position: series * 1000 + channel * 100 + time step.
    n, c, t, crop = 300, 2, 12, 9
    coded = (torch.arange(n)[:, None, None] * 1000 + torch.arange(c)[None, :, None] * 100
             + torch.arange(t)[None, None, :]).float()
    coded_copy = coded.clone()
    cropped = call_student(random_crop, coded, crop, _generator(5))
    check_shape("random_crop(x (300, 2, 12), 9, g)", cropped, (n, c, crop))
    _check_input_kept("random_crop", coded, coded_copy)
    steps = cropped.remainder(100)
    starts = steps[:, :, :1]
    expect(torch.equal(steps, starts + torch.arange(crop).float()),
           "random_crop returns windows of consecutive time steps", True, False)
    expect(torch.equal(cropped.div(100, rounding_mode="floor"),
                       coded[:, :, :crop].div(100, rounding_mode="floor")),
           "random_crop keeps each series and channel in its place", True, False)
    expect(torch.equal(starts[:, 0], starts[:, 1]),
           "random_crop: the same window for every channel of a series", True, False,
           "draw one start per series, shape (N,)")
    seen = sorted(int(s) for s in starts[:, 0, 0].unique())
    expect(seen == list(range(t - crop + 1)),
           f"window starts seen over {n} series (T = {t}, crop = {crop})",
           list(range(t - crop + 1)), seen,
           "every series draws its own start, from 0 to T - length, both included")
    _check_repeatable("random_crop", random_crop, coded[:50], crop)
    passed("random_crop")




# --------------------------------------------------------------------------- exercise 5
def _loss_of(hierarchical_contrastive_loss: Callable[..., torch.Tensor], what: str, *args) -> float:
    """The student's loss as a float; an error inside it becomes a failed check that says where."""
    try:
        value = call_student(hierarchical_contrastive_loss, *args)
    except (RuntimeError, IndexError, ValueError) as error:
        raise CheckFailed(f"hierarchical_contrastive_loss on {what}\n  expected: a loss\n  got:      "
                          f"{type(error).__name__}: {str(error)[:300]}\n  hint: z1 and z2 are (N, D, T): "
                          "pool along time, the last axis (F.max_pool1d(z, 2)), and stop after the level "
                          "with T = 1") from None
    expect(isinstance(value, torch.Tensor) and value.ndim == 0, f"hierarchical_contrastive_loss on {what}",
           "a 0-dim tensor", getattr(value, "shape", type(value).__name__), "average, then return one number")
    expect(bool(torch.isfinite(value)), f"hierarchical_contrastive_loss on {what}", "a finite number",
           value, "let F.cross_entropy or torch.logsumexp handle the exponentials")
    return float(value)


def _tied_levels(n: int, t: int, alpha: float, instance: Callable[[int, int], int],
                 temporal: Callable[[int, int], int], ceil: bool = False) -> list[float]:
    """Per-level losses when every score is 0: each anchor's term is log(number of candidates)."""
    levels = []
    while True:
        if t == 1:
            levels.append(alpha * math.log(instance(n, t)))
            return levels
        levels.append(alpha * math.log(instance(n, t)) + (1 - alpha) * math.log(temporal(n, t)))
        t = -(-t // 2) if ceil else t // 2


def _tied_mistakes(n: int, t: int, alpha: float) -> dict[float, str]:
    """The loss on all-zero features that typical mistakes give, with what each mistake is."""
    right = (lambda n, t: 2 * n - 1, lambda n, t: 2 * t - 1)
    levels = _tied_levels(n, t, alpha, *right)
    cases = {
        sum(levels): "sum of the levels: average them (divide by the number of levels)",
        sum(levels[:-1]) / (len(levels) - 1): "the last level (T = 1, instance contrast only) is missing",
        levels[0]: "only the first level: max-pool along time and contrast again, down to T = 1",
        float(np.mean(_tied_levels(n, t, alpha, *right, ceil=True))): "an odd last step is dropped when "
        "pooling (F.max_pool1d(z, 2)), not padded or kept",
        float(np.mean(_tied_levels(n, t, alpha, lambda n, t: n, lambda n, t: t))): "each anchor's candidates "
        "are ALL other representations of its group, from both views (2N - 1 at a time step, 2T - 1 in "
        "a series), not only the other view's",
        float(np.mean(_tied_levels(n, t, alpha, lambda n, t: 2 * n, lambda n, t: 2 * t))): "leave each "
        "anchor's similarity with itself out of its candidates",
        float(np.mean(_tied_levels(n, t, alpha, lambda n, t: 2 * n * t - 1, right[1]))): "the instance "
        "contrast is per time step: series are compared at the same step only",
        float(np.mean(_tied_levels(n, t, alpha, right[0], lambda n, t: 2 * n * t - 1))): "the temporal "
        "contrast is per series: time steps are compared within one series only",
        float(np.mean(_tied_levels(n, t, 1 - alpha, *right))): "alpha weights the instance term, "
        "1 - alpha the temporal one",
    }
    return {round(value, 4): hint for value, hint in cases.items()}


def check_hierarchical_contrastive_loss(hierarchical_contrastive_loss: Callable[..., torch.Tensor]) -> None:
    """``hierarchical_contrastive_loss(z1 (N, D, T), z2 (N, D, T), alpha) -> scalar``: TS2Vec's loss."""
    loss = hierarchical_contrastive_loss
    # All-zero features: every score is 0, so each anchor's term is log(its number of
    # candidates); levels at T = 5, 2, 1 (an odd last step dropped by the pooling).
    n, t, alpha = 3, 5, 0.3
    got = _loss_of(loss, "all-zero z1, z2 of shape (3, 2, 5), alpha = 0.3", torch.zeros(n, 2, t),
                   torch.zeros(n, 2, t), alpha)
    expected = float(np.mean(_tied_levels(n, t, alpha, lambda n, t: 2 * n - 1, lambda n, t: 2 * t - 1)))
    expect(abs(got - expected) < 1e-4, "the loss of all-zero z1, z2 (N = 3, D = 2, T = 5), alpha = 0.3: "
           "levels at T = 5, 2 and 1, each anchor with log(number of candidates)",
           f"{expected:.5f} = mean over the levels of 0.3 log(2N - 1) + 0.7 log(2T - 1), and 0.3 log(5) "
           "at T = 1", f"{got:.5f}", _tied_mistakes(n, t, alpha).get(
               round(got, 4), "count the levels (T = 5, 2, 1) and each anchor's candidates"))
    # Two series, one step, D = 2: z = 2 * identity in both views. An anchor's score with its
    # partner is 4, with the two other representations 0: -log(e^4 / (e^4 + 2)).
    eye = 2 * torch.eye(2).unsqueeze(-1)
    got = _loss_of(loss, "z1 = z2 = 2 * identity, shape (2, 2, 1), alpha = 1", eye, eye.clone(), 1.0)
    expected = math.log(math.e**4 + 2) - 4
    expect(abs(got - expected) < 1e-4, "the loss of z1 = z2 = [[2, 0], [0, 2]] as (N = 2, D = 2, T = 1), "
           "alpha = 1", f"{expected:.5f} = -log(e^4 / (e^4 + 2)): scores are plain dot products", f"{got:.5f}",
           {round(math.log(math.e + 2) - 1, 4): "scores are plain dot products, as in TS2Vec: do not "
            "L2-normalise (no cosine) and no temperature",
            round(math.log(2 * math.e**4 + 2) - 4, 4): "leave each anchor's score with itself out"}.get(
                round(got, 4), "scores are dot products z_a . z_b; -log softmax of the partner's score "
                "among the 2N - 1 candidates"))
    # Pooling, judged by the student's own loss: with alpha = 1 and T = 2 the loss is the mean of
    # the instance terms at the two steps (level 1) and of the instance term of the maximum
    # over both steps (level 2).
    generator = _generator(7)
    z1, z2 = torch.randn(4, 3, 2, generator=generator), torch.randn(4, 3, 2, generator=generator)
    step = [_loss_of(loss, "one time step of random (4, 3, 2) features", z1[..., k:k + 1], z2[..., k:k + 1], 1.0)
            for k in range(2)]
    top = _loss_of(loss, "the maximum over time of random features", z1.amax(-1, keepdim=True),
                   z2.amax(-1, keepdim=True), 1.0)
    got = _loss_of(loss, "random (4, 3, 2) features, alpha = 1", z1, z2, 1.0)
    expected = ((step[0] + step[1]) / 2 + top) / 2
    expect(abs(got - expected) < 1e-4, "with alpha = 1 and T = 2: loss(z1, z2) = (mean of the instance terms "
           "of both steps + instance term of the steps' maximum) / 2, from your own loss on the parts",
           f"{expected:.5f}", f"{got:.5f}", "the next level is the maximum over windows of 2 time steps "
           "(F.max_pool1d(z, 2) on (N, D, T)): not the mean, not along the features")
    base = _loss_of(loss, "random (4, 3, 2) features", z1, z2, 0.5)
    check_close("loss(z2, z1) equals loss(z1, z2)", _loss_of(loss, "swapped views", z2, z1, 0.5), base,
                atol=1e-5, hint="contrast both views alike: every representation of both views is an anchor")
    _loss_of(loss, "random (4, 3, 2) features times 20 (scores in the hundreds)", 20 * z1, 20 * z2, 0.5)
    # Gradients reach both views; the inputs stay as they were.
    leaves = [torch.randn(5, 4, 6, generator=generator).requires_grad_(True) for _ in range(2)]
    copies = [leaf.detach().clone() for leaf in leaves]
    value = call_student(loss, *leaves, 0.5)
    expect(isinstance(value, torch.Tensor) and value.requires_grad, "the loss of inputs that require "
           "gradients", "a tensor with a gradient", "no gradient", "compute it with torch operations only")
    value.backward()
    reached = [leaf.grad is not None and bool(torch.isfinite(leaf.grad).all()) and float(leaf.grad.abs().sum()) > 0
               for leaf in leaves]
    expect(all(reached), "finite, non-zero gradients reaching z1 and z2", "both", tuple(reached),
           "both views are trained: no .detach() on either")
    expect(all(torch.equal(leaf.detach(), copy) for leaf, copy in zip(leaves, copies, strict=True)),
           "the loss leaves z1 and z2 unchanged", True, False, "pool into new tensors, do not write into z1, z2")
    passed("hierarchical_contrastive_loss")
