"""Figures the notebooks share; every figure has a title and labelled axes.

Each function returns its :class:`~matplotlib.figure.Figure`; :func:`save_figure` writes it
under ``figures/<notebook>/`` so runs can be compared after the fact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from .paths import figures_dir
from .runtime import current_run


def save_figure(fig: Figure, name: str) -> Path:
    """Save ``fig`` as ``figures/<notebook>/<name>.png`` and return the path."""
    run = current_run()
    folder = figures_dir() / (run.notebook if run else "misc")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def to_display(images: torch.Tensor | np.ndarray) -> np.ndarray:
    """``(N, C, H, W)`` uint8 or float in [0, 1] to ``(N, H, W, C)`` floats in [0, 1]."""
    array = (
        images.detach().cpu().float().numpy()
        if isinstance(images, torch.Tensor)
        else np.asarray(images, dtype=np.float32)
    )
    if array.ndim == 3:  # (N, H, W): one channel
        array = array[:, None]
    if array.max(initial=0) > 1.0:
        array = array / 255.0
    return np.clip(array.transpose(0, 2, 3, 1), 0.0, 1.0)


def _imshow(ax: plt.Axes, image: np.ndarray) -> None:
    if image.shape[-1] == 1:
        ax.imshow(image[..., 0], cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(image)
    ax.set_xticks([])
    ax.set_yticks([])


def show_images(
    images: torch.Tensor | np.ndarray,
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    title: str = "",
    row_labels: Sequence[str] | None = None,
) -> Figure:
    """A grid of ``(N, C, H, W)`` images, filled row by row."""
    pictures = to_display(images)
    nrows = -(-len(pictures) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.3 * ncols, 1.4 * nrows + 0.4), squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < len(pictures):
            _imshow(ax, pictures[i])
            if titles is not None:
                ax.set_title(titles[i], fontsize=8)
        else:
            ax.axis("off")
    for row, label in enumerate(row_labels or []):
        axes[row, 0].set_ylabel(label, fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_reconstructions(
    originals: torch.Tensor, reconstructions: torch.Tensor, n: int = 8, title: str = ""
) -> Figure:
    """Originals (top row) above their reconstructions (bottom row), both ``(N, C, H, W)``."""
    if originals.shape[1:] != reconstructions.shape[1:]:
        raise ValueError(
            f"originals {tuple(originals.shape)} and reconstructions "
            f"{tuple(reconstructions.shape)} must have the same image shape"
        )
    pair = torch.cat([to_tensor(originals[:n]), to_tensor(reconstructions[:n])])
    return show_images(
        pair, ncols=min(n, len(originals)), title=title, row_labels=["original", "reconstruction"]
    )


def to_tensor(images: torch.Tensor) -> torch.Tensor:
    """Images as float in [0, 1] on the CPU (uint8 is divided by 255)."""
    images = images.detach().cpu()
    return images.float() / 255.0 if images.dtype == torch.uint8 else images.float()


def plot_attention_maps(
    images: torch.Tensor,
    maps: torch.Tensor,
    map_titles: Sequence[str],
    title: str,
    row_labels: Sequence[str] | None = None,
    cmap: str = "inferno",
) -> Figure:
    """Each image (first column) next to its maps, e.g. one attention map per head.

    Args:
        images: ``(N, C, H, W)`` uint8 or floats in [0, 1].
        maps: ``(N, K, h, w)`` maps on the patch grid; each is shown stretched over the
            image's extent and scaled to its own minimum and maximum.
        map_titles: ``K`` column titles.
    """
    pictures = to_display(images)
    values = maps.detach().float().cpu().numpy()
    n, k = values.shape[:2]
    if len(pictures) != n or len(map_titles) != k:
        raise ValueError(
            f"got {len(pictures)} images, {n} rows of maps and {len(map_titles)} titles "
            f"for {k} maps per image; they must agree"
        )
    fig, axes = plt.subplots(n, k + 1, figsize=(1.6 * (k + 1), 1.7 * n + 0.5), squeeze=False)
    for row in range(n):
        _imshow(axes[row, 0], pictures[row])
        for col in range(k):
            ax = axes[row, col + 1]
            ax.imshow(values[row, col], cmap=cmap, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(map_titles[col], fontsize=8)
    axes[0, 0].set_title("image", fontsize=8)
    for row, label in enumerate(row_labels or []):
        axes[row, 0].set_ylabel(label, fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_tsne(
    embedding: np.ndarray,
    labels: Sequence[int] | np.ndarray,
    classes: Sequence[str],
    title: str = "t-SNE of features",
) -> Figure:
    """A 2-D scatter of ``(N, 2)`` points coloured by class."""
    labels = np.asarray(labels)
    fig, ax = plt.subplots(figsize=(6, 5))
    colours = plt.get_cmap("tab10")
    for c, name in enumerate(classes):
        points = embedding[labels == c]
        ax.scatter(points[:, 0], points[:, 1], s=6, color=colours(c % 10), label=name, alpha=0.8)
    ax.set(title=title, xlabel="t-SNE 1", ylabel="t-SNE 2")
    ax.legend(markerscale=2.5, fontsize=7, loc="best", framealpha=0.7)
    fig.tight_layout()
    return fig


def plot_similarity_matrix(
    similarity: torch.Tensor | np.ndarray, title: str = "cosine similarity", label: str = "view"
) -> Figure:
    """A heat map of an ``(M, M)`` similarity matrix."""
    values = (
        similarity.detach().cpu().numpy() if isinstance(similarity, torch.Tensor) else similarity
    )
    fig, ax = plt.subplots(figsize=(5, 4.3))
    image = ax.imshow(values, cmap="viridis", vmin=-1, vmax=1)
    fig.colorbar(image, ax=ax, label="cosine similarity")
    ax.set(title=title, xlabel=label, ylabel=label)
    fig.tight_layout()
    return fig


def plot_histograms(
    samples: Mapping[str, np.ndarray | torch.Tensor], title: str, xlabel: str, bins: int = 50
) -> Figure:
    """Overlaid density histograms, one per named sample."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, values in samples.items():
        values = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else values
        ax.hist(np.ravel(values), bins=bins, alpha=0.55, density=True, label=name)
    ax.set(title=title, xlabel=xlabel, ylabel="density")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_label_efficiency(
    curves: Mapping[str, Mapping[int, tuple[float, float]]],
    title: str = "accuracy against the number of labels",
    dashed: Mapping[str, str] | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Accuracy (mean +- std over seeds, as error bars) against labelled examples.

    Args:
        curves: ``{name: {n_labels: (mean, std)}}``, one solid line each.
        dashed: ``{name: name of a solid line}``: drawn dashed in that line's colour, for a
            second metric of the same representation (e.g. its k-NN next to its probe).
        ax: draw into this panel of an existing figure (side-by-side metrics) instead of a
            new figure; the panel's figure is returned.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 4.5))
    else:
        fig = ax.figure
    colours = {}
    for name, partner in (dashed or {}).items():
        if name not in curves or partner not in curves:
            raise ValueError(f"dashed line {name!r} and its partner {partner!r} must both be "
                             f"curves; the curves are {', '.join(curves)}")
    ordered = [n for n in curves if n not in (dashed or {})] + list(dashed or {})
    for name in ordered:
        curve = curves[name]
        sizes = sorted(curve)
        means = np.array([curve[n][0] for n in sizes])
        stds = np.array([curve[n][1] for n in sizes])
        partner = (dashed or {}).get(name)
        style = dict(linestyle="--", color=colours.get(partner), marker="s") if partner else dict(marker="o")
        line = ax.errorbar(sizes, means, yerr=stds, capsize=3, label=name, **style)
        colours[name] = line.lines[0].get_color()
    ax.set_xscale("log")
    measured = sorted({n for curve in curves.values() for n in curve})
    ax.set_xticks(measured, [f"{n:,}" for n in measured])   # the label counts, not powers of ten
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set(title=title, xlabel="labelled training examples (log scale)", ylabel="test accuracy")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def plot_results_bar(
    results: Mapping[str, float],
    expected: Mapping[str, float] | None = None,
    baseline: float | None = None,
    title: str = "linear-probe accuracy",
) -> Figure:
    """Bars of measured accuracies, with the seed's expectations and a baseline line."""
    names = list(results)
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(1.3 * len(names) + 2, 4))
    ax.bar(x - 0.2 if expected else x, [results[n] for n in names], width=0.4, label="measured")
    if expected:
        ax.bar(
            x + 0.2,
            [expected.get(n, np.nan) for n in names],
            width=0.4,
            label="seed expectation",
            alpha=0.6,
        )
    if baseline is not None:
        ax.axhline(baseline, color="black", linestyle="--", label="random-init baseline")
    ax.set_xticks(x, names, rotation=20)
    ax.set(title=title, xlabel="method", ylabel="test accuracy", ylim=(0, 1))
    ax.legend()
    fig.tight_layout()
    return fig


def plot_grouped_bars(
    groups: Mapping[str, Mapping[str, float]],
    baseline: float | None = None,
    title: str = "linear-probe accuracy",
) -> Figure:
    """Side-by-side bars: one group per method, one bar per series (e.g. short vs long training).

    Args:
        groups: ``{series: {method: accuracy}}``; a method a series lacks gets no bar.
        baseline: drawn as a dashed line (the random-init baseline).
    """
    methods = list(dict.fromkeys(m for series in groups.values() for m in series))
    x = np.arange(len(methods))
    width = 0.8 / max(1, len(groups))
    fig, ax = plt.subplots(figsize=(1.4 * len(methods) + 2.5, 4))
    for i, (series, values) in enumerate(groups.items()):
        heights = [values.get(m, np.nan) for m in methods]
        bars = ax.bar(x + (i - (len(groups) - 1) / 2) * width, heights, width=width, label=series)
        ax.bar_label(bars, labels=["" if np.isnan(h) else f"{h:.0%}" for h in heights], fontsize=8)
    if baseline is not None:
        ax.axhline(baseline, color="black", linestyle="--", label="random-init baseline")
    ax.set_xticks(x, methods, rotation=20)
    ax.set(title=title, xlabel="method", ylabel="test accuracy", ylim=(0, 1))
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig
