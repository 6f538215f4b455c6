"""Pretrained vision transformers from the Hugging Face Hub, at pinned revisions.

Notebook 04 uses three checkpoints, each loaded at the commit pinned in :data:`MODELS`, so
that every run of the course sees the same weights:

* ``facebook/vit-mae-base``: a masked autoencoder (He et al., 2022), ``ViTMAEForPreTraining``;
* ``facebook/dinov2-small``: DINOv2 ViT-S/14 (Oquab et al., 2023), ``Dinov2Model``;
* ``google/vit-base-patch16-224``: a ViT-B/16 trained with labels on ImageNet-21k and
  fine-tuned on ImageNet-1k (Dosovitskiy et al., 2021), ``ViTForImageClassification``.

Every model is fed at the resolution it was trained at, 224x224 pixels (DINOv2's
checkpoint declares 518, the resolution of its last training phase; at 224 it gives 16x16
patches of 14 pixels: a fifth of the tokens and a twenty-eighth of the attention scores),
and computes features with PyTorch's fused attention (SDPA); only the attention figures
switch a model to the eager implementation, which returns the attention weights
(:func:`lab_utils.vit.cls_attention`).

When the weights cannot be had (no internet, no local copy):

* in the ``smoke`` profile a tiny randomly initialised model of the same class stands in,
  with a :class:`StandInModelWarning`, so that continuous integration runs the same code;
  this profile never downloads (it uses the local Hugging Face cache when it holds the
  weights);
* in a dry run (:mod:`lab_utils.dry_run`) a randomly initialised model of the real size
  stands in, with the same warning, so the dry run measures real memory and compute;
* in the ``cpu`` and ``gpu`` profiles :func:`load_pretrained` raises
  :class:`HubUnavailableError`, which says how to fix it. Nothing is silently substituted.

``HF_HUB_OFFLINE=1`` is honoured: only the local cache (``$HF_HOME/hub``) is read.

The ``transformers`` package is needed (the ``test`` extra of the course's ``pyproject.toml``
installs it; Colab has it preinstalled).
"""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from . import dry_run, memory
from .precision import precision_for
from .profiles import resolve_profile

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
HALF_MEAN = (0.5, 0.5, 0.5)
HALF_STD = (0.5, 0.5, 0.5)


class HubUnavailableError(RuntimeError):
    """The pretrained weights are neither downloadable nor in the local cache."""


class StandInModelWarning(UserWarning):
    """A tiny randomly initialised model replaces the pretrained one (smoke profile only)."""


@dataclass(frozen=True)
class ModelSpec:
    """What the course loads for one Hub model.

    Attributes:
        name: the Hub repository, e.g. ``"facebook/dinov2-small"``.
        revision: the pinned commit of that repository.
        architecture: the ``transformers`` class that loads it.
        mean, std: per-channel statistics the model's inputs are standardised with
            (from the checkpoint's ``preprocessor_config.json``).
        stand_in_config: keyword arguments of the architecture's config class for the tiny
            randomly initialised stand-in (smoke profile).
        full_config: the checkpoint's own architecture (from its ``config.json``), for a
            randomly initialised stand-in of the real size (dry runs).
        input_size: the side, in pixels, of the images the model is fed: its training
            resolution.
        load_kwargs: extra keyword arguments of ``from_pretrained``.
    """

    name: str
    revision: str
    architecture: str
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    stand_in_config: dict[str, Any]
    full_config: dict[str, Any]
    input_size: int = 224
    load_kwargs: dict[str, Any] = field(default_factory=dict)


# The one table of pinned revisions (commits of the Hub repositories).
MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "facebook/vit-mae-base",
            "25b184bea5538bf5c4c852c79d221195fdd2778d",
            "ViTMAEForPreTraining",
            IMAGENET_MEAN,
            IMAGENET_STD,
            dict(image_size=64, patch_size=8, hidden_size=32, num_hidden_layers=2,
                 num_attention_heads=2, intermediate_size=64, decoder_hidden_size=32,
                 decoder_num_hidden_layers=1, decoder_num_attention_heads=2,
                 decoder_intermediate_size=64, mask_ratio=0.75),
            dict(image_size=224, patch_size=16, hidden_size=768, num_hidden_layers=12,
                 num_attention_heads=12, intermediate_size=3072, decoder_hidden_size=512,
                 decoder_num_hidden_layers=8, decoder_num_attention_heads=16,
                 decoder_intermediate_size=2048, mask_ratio=0.75),
        ),
        ModelSpec(
            "facebook/dinov2-small",
            "ed25f3a31f01632728cabb09d1542f84ab7b0056",
            "Dinov2Model",
            IMAGENET_MEAN,
            IMAGENET_STD,
            dict(image_size=64, patch_size=8, hidden_size=48, num_hidden_layers=2,
                 num_attention_heads=6, mlp_ratio=2),
            # config.json says 518, the resolution of DINOv2's last, short training phase;
            # the model is fed at 224 (position embeddings are interpolated).
            dict(image_size=518, patch_size=14, hidden_size=384, num_hidden_layers=12,
                 num_attention_heads=6, mlp_ratio=4, layerscale_value=1.0),
        ),
        ModelSpec(
            "google/vit-base-patch16-224",
            "3f49326eb077187dfe1c2a2bb15fbd74e6ab91e3",
            "ViTForImageClassification",
            HALF_MEAN,
            HALF_STD,
            dict(image_size=64, patch_size=8, hidden_size=48, num_hidden_layers=2,
                 num_attention_heads=6, intermediate_size=96),
            dict(image_size=224, patch_size=16, hidden_size=768, num_hidden_layers=12,
                 num_attention_heads=12, intermediate_size=3072, num_labels=1000),
        ),
    )
}


def _transformers() -> Any:
    try:
        import transformers
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise ImportError(
            "notebook 04 needs the `transformers` package: `pip install 'transformers>=4.40'` "
            "(or `pip install -e \".[labs]\"` in the course's folder)"
        ) from error
    return transformers


@dataclass
class Pretrained:
    """A loaded model with what is needed to feed it images.

    Attributes:
        model: the ``transformers`` module, in eval mode, frozen, on its device.
        spec: the table entry it was loaded for.
        revision: the pinned commit, or ``"stand-in-<digest>"`` for a random stand-in.
        stand_in: True when random weights replace the pretrained ones.
        image_size: the side of the square images it is fed by default: the model's
            training resolution, 224 for the real models and their full-size stand-ins,
            the tiny stand-in's own size otherwise.
    """

    model: nn.Module
    spec: ModelSpec
    revision: str
    stand_in: bool
    image_size: int

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def patch_size(self) -> int:
        size = self.model.config.patch_size
        return int(size if isinstance(size, int) else size[0])

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def feature_batch_size(self, size: int | None = None, *, fraction: float = 0.5,
                           largest: int = 256) -> int:
        """How many images of side ``size`` to encode at once without running out of memory.

        Sized so that one batch's activations (:func:`lab_utils.memory.vit_inference_bytes`)
        take at most ``fraction`` of the memory free on the model's device.
        """
        per_image = memory.vit_inference_bytes(self.model.config, size or self.image_size,
                                               precision_for(self.device))
        return memory.batch_size_for(per_image, self.device, fraction=fraction, largest=largest)

    @property
    def label(self) -> str:
        """A short name for titles and tables, marked when a stand-in replaces the model."""
        short = self.name.split("/")[-1]
        return f"{short} (random stand-in)" if self.stand_in else short

    def input_size(self, scale: float = 1.0) -> int:
        """``scale`` times the native input side, rounded to a whole number of patches."""
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        patches = max(1, round(self.image_size * scale / self.patch_size))
        return patches * self.patch_size

    def preprocess(self, images: torch.Tensor, size: int | None = None) -> torch.Tensor:
        """uint8 ``(B, 3, H, W)`` (or floats in [0, 1]) to the model's standardised input.

        Images are resized (bicubic) to ``(size, size)``, by default the native input size,
        and standardised with the checkpoint's mean and standard deviation.

        Returns:
            float32 ``(B, 3, size, size)`` on the images' device.
        """
        size = size or self.image_size
        pixels = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
        if pixels.shape[-2:] != (size, size):
            pixels = F.interpolate(pixels, size=(size, size), mode="bicubic",
                                   align_corners=False, antialias=True).clamp(0.0, 1.0)
        mean = torch.tensor(self.spec.mean, device=pixels.device).view(1, 3, 1, 1)
        std = torch.tensor(self.spec.std, device=pixels.device).view(1, 3, 1, 1)
        return (pixels - mean) / std

    def to_display(self, pixels: torch.Tensor) -> torch.Tensor:
        """Undo :meth:`preprocess`'s standardisation: ``(B, 3, H, W)`` floats in [0, 1], on CPU."""
        mean = torch.tensor(self.spec.mean, device=pixels.device).view(1, 3, 1, 1)
        std = torch.tensor(self.spec.std, device=pixels.device).view(1, 3, 1, 1)
        return (pixels.float() * std + mean).clamp(0.0, 1.0).cpu()

    def __str__(self) -> str:
        params = sum(p.numel() for p in self.model.parameters())
        kind = "RANDOM STAND-IN, numbers are meaningless" if self.stand_in else "pretrained"
        revision = self.revision if self.stand_in else self.revision[:12]
        return (f"{self.name} @ {revision} ({type(self.model).__name__}, "
                f"{params / 1e6:.1f} M parameters, {kind}), input {self.image_size}x"
                f"{self.image_size}, patch {self.patch_size}, on {self.device}")


def hub_offline() -> bool:
    """True when ``$HF_HUB_OFFLINE`` asks Hugging Face libraries not to use the network."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def hub_cache_dir() -> str:
    """Where Hugging Face keeps downloaded models (``$HF_HOME/hub``)."""
    from huggingface_hub import constants

    return str(constants.HF_HUB_CACHE)


def _spec(name: str) -> ModelSpec:
    if name not in MODELS:
        raise KeyError(f"no pinned revision for {name!r}; known models: {', '.join(MODELS)}")
    return MODELS[name]


def _from_pretrained(model_class: type, name: str, revision: str, local_files_only: bool,
                     **kwargs: Any) -> nn.Module:
    """``model_class.from_pretrained`` (one place, so tests can replace it)."""
    return model_class.from_pretrained(name, revision=revision,
                                       local_files_only=local_files_only, **kwargs)


def stand_in_model(spec: ModelSpec, seed: int = 0, full_size: bool = False) -> tuple[nn.Module, str]:
    """A model of ``spec``'s class with random weights, and its revision label.

    Tiny by default (smoke profile); of the checkpoint's real size with ``full_size``
    (dry runs). The weights depend only on ``seed`` (the caller's random state is left
    untouched).
    """
    transformers = _transformers()
    model_class = getattr(transformers, spec.architecture)
    settings = spec.full_config if full_size else spec.stand_in_config
    config = model_class.config_class(**settings, **spec.load_kwargs)
    digest = hashlib.sha256(config.to_json_string().encode()).hexdigest()[:12]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = model_class(config)
    return model, f"stand-in-{digest}"


def _hub_message(spec: ModelSpec, error: Exception, local_only: bool) -> str:
    offline = ("HF_HUB_OFFLINE is set, so only the local cache was read; unset it when this "
               "machine is online, or " if hub_offline() else "")
    return (
        f"could not load {spec.name} at the pinned revision {spec.revision[:12]} from the "
        f"Hugging Face Hub or from the local cache {hub_cache_dir()} "
        f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}).\n"
        "Parts A and B of this notebook need these pretrained weights. To fix it:\n"
        f"  * {offline}connect this machine to the internet and run the cell again;\n"
        "  * or download the weights once on a machine that is online:\n"
        f"        hf download {spec.name} --revision {spec.revision}\n"
        "    (older huggingface_hub: `huggingface-cli download ...`), copy its cache folder "
        "(~/.cache/huggingface, or $HF_HOME) to this machine and set HF_HOME to the copy;\n"
        "  * Part C needs no download: run the cells above section A.3, then jump to Part C;\n"
        "  * to dry-run the code with tiny random stand-ins (numbers meaningless), use the "
        "smoke profile: SSL_LAB_PROFILE=smoke."
    )


def load_pretrained(name: str, *, profile: str | None = None,
                    device: torch.device | str = "cpu") -> Pretrained:
    """Load Hub model ``name`` at its pinned revision, frozen and in eval mode.

    Args:
        name: a key of :data:`MODELS`.
        profile: ``smoke``, ``cpu`` or ``gpu`` (default: the current profile).
        device: where the model goes.
    Raises:
        HubUnavailableError: in the cpu and gpu profiles, when the weights can be had
            neither from the Hub nor from the local cache (except in a dry run).
    """
    spec = _spec(name)
    profile = resolve_profile(profile)
    # Neither the smoke profile nor a dry run ever downloads the 0.9 GB of weights.
    local_only = profile == "smoke" or hub_offline() or dry_run.active()
    model_class = getattr(_transformers(), spec.architecture)
    try:
        model = _from_pretrained(model_class, spec.name, spec.revision, local_only,
                                 **spec.load_kwargs)
        revision, stand_in, size = spec.revision, False, spec.input_size
    except OSError as error:  # connection errors and missing cache entries are OSErrors
        full_size = dry_run.active()
        if profile != "smoke" and not full_size:
            raise HubUnavailableError(_hub_message(spec, error, local_only)) from error
        model, revision = stand_in_model(spec, full_size=full_size)
        stand_in = True
        size = spec.input_size if full_size else int(spec.stand_in_config["image_size"])
        _warn_stand_in(spec, full_size)
    model = model.to(device).eval().requires_grad_(False)
    return Pretrained(model, spec, revision, stand_in, size)


def _warn_stand_in(spec: ModelSpec, full_size: bool) -> None:
    why = ("this is a dry run, so a randomly initialised model of the REAL size"
           if full_size else
           f"the smoke profile never downloads, so a tiny {spec.architecture} with RANDOM weights")
    warnings.warn(
        f"STAND-IN: {spec.name} is not in the local Hugging Face cache and {why} replaces "
        "it. The code runs; its numbers and pictures mean nothing. Use the cpu or gpu "
        "profile with internet access for the real model.",
        StandInModelWarning,
        stacklevel=3,
    )
