"""Frozen features computed once and kept on disk, keyed by model, revision and data.

Running a pretrained ViT over thousands of images takes minutes on a CPU; a probe or a k-NN
classifier on the features takes seconds. :func:`cached_features` stores the features under
``<cache>/features/`` (``$SSL_LAB_CACHE_DIR``), so re-running a cell, or the notebook,
loads them instead of recomputing. The key holds the model's name and revision, a name for
the data subset, a digest of the images themselves, the extraction settings and the
numeric precision, so a change to any of them computes fresh features.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import dry_run
from .evaluation import extract_features
from .paths import cache_dir
from .precision import precision_for


def images_digest(images: torch.Tensor) -> str:
    """SHA-256 of a tensor's shape, dtype and bytes (what the features are computed from)."""
    values = images.detach().cpu().contiguous()
    digest = hashlib.sha256(f"{tuple(values.shape)}|{values.dtype}".encode())
    digest.update(values.view(torch.uint8).numpy().tobytes() if values.numel() else b"")
    return digest.hexdigest()


def precision_on(device: torch.device) -> str:
    """The precision :func:`lab_utils.evaluation.extract_features` computes in on ``device``."""
    return precision_for(device).name


def feature_path(model: str, revision: str, subset: str, digest: str,
                 settings: Mapping[str, Any]) -> Path:
    """The cache file of one set of features (readable prefix, hashed key)."""
    key = json.dumps({"model": model, "revision": revision, "subset": subset,
                      "images": digest, "settings": dict(settings)}, sort_keys=True, default=str)
    slug = "".join(c if c.isalnum() or c in "-." else "-" for c in f"{model}-{subset}")
    return cache_dir() / "features" / f"{slug}-{hashlib.sha256(key.encode()).hexdigest()[:20]}.pt"


def cached_features(
    encoder: nn.Module | Callable[[torch.Tensor], torch.Tensor],
    images: torch.Tensor,
    *,
    model: str,
    revision: str,
    subset: str,
    settings: Mapping[str, Any] | None = None,
    preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None,
    batch_size: int = 256,
    refresh: bool = False,
) -> torch.Tensor:
    """Features of ``images`` from the disk cache, computing and storing them when absent.

    Computing runs :func:`lab_utils.evaluation.extract_features`: batches, inference mode,
    the device's precision policy (:mod:`lab_utils.precision`). A dry run
    (:mod:`lab_utils.dry_run`) neither reads nor writes the cache: its features are partial.

    Args:
        encoder: maps a preprocessed batch to ``(B, D)`` features.
        images: ``(N, 3, H, W)`` images on the encoder's device.
        model, revision: the model's name and pinned revision (part of the key).
        subset: a name for the data, e.g. ``"cifar10-train-1000"`` (part of the key, with a
            digest of ``images``).
        settings: anything else that changes the features (input size, pooling...).
        preprocess: applied to each batch before the encoder.
        refresh: recompute even when cached.
    Returns:
        ``(N, D)`` float32 features on the CPU.
    """
    if dry_run.active():
        return extract_features(encoder, images, batch_size=batch_size, preprocess=preprocess)
    settings = {**(settings or {}), "precision": precision_on(images.device)}
    path = feature_path(model, revision, subset, images_digest(images), settings)
    if path.exists() and not refresh:
        try:
            features = torch.load(path, map_location="cpu", weights_only=True)
            if isinstance(features, torch.Tensor) and len(features) == len(images):
                print(f"features of {subset} by {model}: loaded from the cache ({path.name})")
                return features
        except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError):
            pass  # unreadable (e.g. an interrupted write from an old version): recompute
    started = time.perf_counter()
    features = extract_features(encoder, images, batch_size=batch_size, preprocess=preprocess)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    torch.save(features, partial)
    partial.replace(path)
    print(f"features of {subset} by {model}: computed in {time.perf_counter() - started:.1f} s "
          f"and cached ({path.name})")
    return features
