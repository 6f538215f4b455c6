"""Reading vision transformers: attention maps, patch tokens, MAE masks and reconstructions,
and building a ViT-MAE to train from scratch with MAE's own initialisation (:func:`new_mae`).

Works with the ``transformers`` classes of notebook 04 (``ViTMAEForPreTraining``,
``Dinov2Model``, ``ViTForImageClassification``/``ViTModel``). A ViT cuts an image of
``H x W`` pixels into ``h x w`` patches of ``p x p`` pixels (``h = H / p``); the sequence it
processes is one CLS token followed by the ``L = h * w`` patch tokens.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn
from torch.nn import functional as F

PREFIX_TOKENS = 1  # the CLS token (none of the course's models has register tokens)


def _patch_size(model: nn.Module) -> int:
    size = model.config.patch_size
    return int(size if isinstance(size, int) else size[0])


def _image_size(model: nn.Module) -> int:
    size = model.config.image_size
    return int(size if isinstance(size, int) else size[0])


def _accepts(model: nn.Module, argument: str) -> bool:
    return argument in inspect.signature(model.forward).parameters


def _forward(model: nn.Module, pixel_values: torch.Tensor, **kwargs) -> object:
    """Call a ViT, interpolating its position embeddings when the input size differs."""
    if _accepts(model, "interpolate_pos_encoding"):
        kwargs["interpolate_pos_encoding"] = pixel_values.shape[-1] != _image_size(model)
    return model(pixel_values=pixel_values, **kwargs)


def patch_grid(model: nn.Module, pixel_values: torch.Tensor) -> tuple[int, int]:
    """``(h, w)``: the number of patch rows and columns for input ``(B, 3, H, W)``."""
    p = _patch_size(model)
    return pixel_values.shape[-2] // p, pixel_values.shape[-1] // p


# --------------------------------------------------------------------------- attention
@contextmanager
def eager_attention(model: nn.Module) -> Iterator[None]:
    """Run ``model`` with the eager attention implementation inside the block.

    The fused implementation (SDPA), which the course uses for features, never forms the
    attention matrix and so cannot return it; the eager one does, at the cost of memory
    for ``heads x tokens x tokens`` scores per image.
    """
    config = getattr(model, "config", None)
    previous = getattr(config, "_attn_implementation", None)
    if previous in (None, "eager") or not hasattr(model, "set_attn_implementation"):
        yield  # already eager, or a model that cannot switch (cls_attention says so)
        return
    model.set_attn_implementation("eager")
    try:
        yield
    finally:
        model.set_attn_implementation(previous)


@torch.inference_mode()
def cls_attention(model: nn.Module, pixel_values: torch.Tensor, layer: int = -1) -> torch.Tensor:
    """How much the CLS token attends to each patch, per head, in one layer.

    The model is switched to eager attention for this call (:func:`eager_attention`).

    Args:
        model: a ``Dinov2Model``, ``ViTModel`` or ``ViTForImageClassification``.
        pixel_values: ``(B, 3, H, W)`` standardised images.
        layer: which layer's attention (default: the last).
    Returns:
        ``(B, heads, h, w)`` float32 on the CPU: row CLS of the attention matrix, patch
        columns only (the CLS-to-CLS weight is dropped, so a row sums to less than 1).
    """
    with eager_attention(model):
        outputs = _forward(model, pixel_values, output_attentions=True)
    if not outputs.attentions:
        raise RuntimeError(
            f"{type(model).__name__} returned no attention weights: it needs the eager "
            "attention implementation (SDPA does not return them). Load it with "
            "attn_implementation='eager', or upgrade transformers (`pip install -U "
            "transformers`) so that it can switch."
        )
    attention = outputs.attentions[layer]  # (B, heads, 1 + L, 1 + L)
    h, w = patch_grid(model, pixel_values)
    cls_row = attention[:, :, 0, PREFIX_TOKENS:]
    return cls_row.reshape(len(pixel_values), -1, h, w).float().cpu()


@torch.inference_mode()
def patch_tokens(model: nn.Module, pixel_values: torch.Tensor) -> torch.Tensor:
    """The last layer's (layer-normalised) patch tokens: ``(B, h * w, D)`` float32 on the CPU."""
    hidden = _forward(model, pixel_values).last_hidden_state
    return hidden[:, PREFIX_TOKENS:].float().cpu()


def cls_token(model: nn.Module, pixel_values: torch.Tensor) -> torch.Tensor:
    """The last layer's (layer-normalised) CLS token: ``(B, D)`` on the input's device."""
    return _forward(model, pixel_values).last_hidden_state[:, 0]


# --------------------------------------------------------------------------- MAE
@contextmanager
def mask_ratio(model: nn.Module, ratio: float) -> Iterator[None]:
    """Temporarily set a ViT-MAE's masking ratio (the fraction of patches hidden).

    ``transformers``' ViT-MAE reads ``config.mask_ratio`` at every forward pass to decide how
    many patches to keep: ``int(L * (1 - ratio))``.
    """
    if not 0.0 <= ratio < 1.0:
        raise ValueError(f"the mask ratio must be in [0, 1), got {ratio}")
    config = model.config
    previous = config.mask_ratio
    config.mask_ratio = ratio
    try:
        yield
    finally:
        config.mask_ratio = previous


def new_mae(config) -> nn.Module:
    """A ``ViTMAEForPreTraining`` of ``config`` with MAE's initialisation, to train from scratch.

    MAE gives its encoder and its decoder fixed 2-D sin-cos position embeddings and draws
    the CLS and mask tokens from N(0, 0.02) [He 2022]. A ``ViTMAEForPreTraining`` built from
    a config by ``transformers`` 5 leaves all four at zero, and the position embeddings are
    frozen: that model never learns where a patch is (the encoder sees a bag of patches) and
    its decoder gives every hidden patch of an image the same prediction. This sets them as
    MAE does, whatever the version, and checks that the positions tell the patches apart.

    Raises:
        RuntimeError: if the position embeddings are still not distinct per patch.
    """
    from transformers import ViTMAEForPreTraining

    model = ViTMAEForPreTraining(config)
    embeddings = model.vit.embeddings
    # transformers skips the embeddings' initialisation once their projection is flagged as
    # initialised; MAE's initialisation (xavier projection, sin-cos positions, CLS token) is
    # what a model trained from scratch needs, so run it again.
    embeddings.patch_embeddings.projection._is_hf_initialized = False
    embeddings.initialize_weights()
    model.decoder.initialize_weights(embeddings.patch_embeddings.num_patches)
    for name, positions in (("encoder", embeddings.position_embeddings),
                            ("decoder", model.decoder.decoder_pos_embed)):
        if not has_distinct_positions(positions):
            raise RuntimeError(f"the ViT-MAE's {name} position embeddings are not distinct per patch "
                               "after initialisation: this transformers version initialises ViT-MAE "
                               "differently, and lab_utils.vit.new_mae needs updating")
    return model


def has_distinct_positions(position_embeddings: torch.Tensor) -> bool:
    """Whether every patch token's position embedding ``(1, 1 + L, D)`` differs from the others."""
    patches = position_embeddings[0, PREFIX_TOKENS:].float()
    return bool(torch.cdist(patches, patches).add(torch.eye(len(patches))).min() > 1e-3)


def _mae_encoder(model: nn.Module) -> nn.Module:
    return model.vit if hasattr(model, "vit") else model


class MAEEncoder(nn.Module):
    """The encoder of a ViT-MAE as a frozen feature extractor for probes.

    All patches are visible (masking ratio 0, patches in their original order), and the
    features are the mean of the last layer's patch tokens.

    Input: ``(B, 3, H, W)`` standardised images. Output: ``(B, D)``.
    """

    def __init__(self, mae: nn.Module) -> None:
        super().__init__()
        self.mae = mae

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        encoder = _mae_encoder(self.mae)
        h, w = patch_grid(encoder, pixel_values)
        in_order = torch.arange(h * w, device=pixel_values.device, dtype=torch.float32)
        with mask_ratio(encoder, 0.0):
            hidden = _forward(encoder, pixel_values,
                              noise=in_order.expand(len(pixel_values), -1)).last_hidden_state
        return hidden[:, PREFIX_TOKENS:].mean(dim=1)


class MAEClassifier(nn.Module):
    """A copy of a ViT-MAE's encoder under a new linear head, to fine-tune end to end.

    MAE's own evaluation protocol [He 2022]: the encoder sees all patches (as
    :class:`MAEEncoder`), the mean of its last patch tokens feeds a linear classifier, and
    every weight trains. The encoder is copied, so ``mae`` itself is left as it is (a frozen
    course checkpoint too); its decoder is not needed and not copied.

    Input: ``(B, 3, H, W)`` standardised images. Output: ``(B, n_classes)`` logits.
    """

    def __init__(self, mae: nn.Module, n_classes: int) -> None:
        super().__init__()
        encoder = copy.deepcopy(_mae_encoder(mae)).requires_grad_(True).train()
        self.features = MAEEncoder(encoder)
        self.head = nn.Linear(encoder.config.hidden_size, n_classes)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(pixel_values))


@torch.inference_mode()
def mae_reconstruct(mae: nn.Module, pixel_values: torch.Tensor, ratio: float,
                    noise: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Mask ``ratio`` of the patches and let a ``ViTMAEForPreTraining`` fill them in.

    Args:
        mae: the masked autoencoder.
        pixel_values: ``(B, 3, H, W)`` standardised images.
        ratio: the fraction of patches to hide.
        noise: ``(B, L)`` optional; the model keeps the ``int(L * (1 - ratio))`` patches of
            lowest noise, so ``noise = ids_restore.float()`` reproduces a given masking.
    Returns:
        ``(reconstruction (B, 3, H, W), mask (B, L))`` in the input's standardised pixel
        space; ``mask`` is 1 for hidden patches. Where the model was trained on per-patch
        normalised targets (``norm_pix_loss``), each predicted patch gets the mean and
        spread of the true patch back, as in the MAE paper's figures.
    """
    h, w = patch_grid(mae, pixel_values)
    interpolate = pixel_values.shape[-1] != _image_size(mae)
    if noise is not None:
        noise = noise.to(pixel_values.device, torch.float32)
    with mask_ratio(mae, ratio):
        outputs = mae(pixel_values=pixel_values, noise=noise,
                      interpolate_pos_encoding=interpolate)
    predicted = outputs.logits.float()  # (B, L, p * p * 3)
    if mae.config.norm_pix_loss:
        target = mae.patchify(pixel_values, interpolate_pos_encoding=interpolate).float()
        spread = (target.var(dim=-1, keepdim=True) + 1e-6).sqrt()
        predicted = predicted * spread + target.mean(dim=-1, keepdim=True)
    reconstruction = mae.unpatchify(predicted, original_image_size=tuple(pixel_values.shape[-2:]))
    return reconstruction, outputs.mask


def mask_to_pixels(mask: torch.Tensor, grid: tuple[int, int], patch_size: int) -> torch.Tensor:
    """Patch mask ``(B, L)`` (row-major over the ``h x w`` grid) to a pixel mask ``(B, 1, H, W)``."""
    h, w = grid
    patches = mask.reshape(len(mask), 1, h, w).float()
    return F.interpolate(patches, scale_factor=patch_size, mode="nearest") > 0.5


def paint_masked(images: torch.Tensor, mask: torch.Tensor, patch_size: int,
                 fill: float = 0.5) -> torch.Tensor:
    """Images ``(B, C, H, W)`` in [0, 1] with their masked patches painted grey ``fill``."""
    grid = (images.shape[-2] // patch_size, images.shape[-1] // patch_size)
    hidden = mask_to_pixels(mask.to(images.device), grid, patch_size)
    return torch.where(hidden, torch.full_like(images, fill), images)
