"""How much memory a device has free, and how much a batch needs: batch sizes that fit.

A batch size that suits a 80 GB GPU runs a 15 GB T4 or a 12.7 GB Colab CPU out of memory;
one that suits a laptop wastes a data-centre GPU. Features of frozen models are therefore
computed in batches sized from the memory that is actually free.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from .precision import Precision

FALLBACK_CPU_BYTES = 4 * 2**30  # where the operating system does not say (assume a small laptop)


def available_bytes(device: torch.device | str) -> int:
    """Memory free for new tensors on ``device``: the GPU's free memory, or the host's."""
    device = torch.device(device)
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    return _host_available_bytes()


def _host_available_bytes() -> int:
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():  # Linux: MemAvailable counts reclaimable page cache too
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return FALLBACK_CPU_BYTES


def vit_inference_bytes(config: Any, size: int, precision: Precision) -> int:
    """Peak activation bytes per image when a ViT encodes one ``size x size`` image.

    In inference only one block's tensors are alive at a time: the residual stream, the
    query/key/value projections, the attention output, the MLP's hidden layer (``T`` tokens
    each) and, where attention is not fused, the ``heads x T x T`` attention scores.

    Args:
        config: a ``transformers`` ViT config (``hidden_size``, ``num_attention_heads``,
            ``patch_size``, and ``intermediate_size`` or ``mlp_ratio``).
        size: the input side in pixels.
        precision: the policy the forward pass runs in (2 bytes per value under autocast).
    """
    patch = config.patch_size if isinstance(config.patch_size, int) else config.patch_size[0]
    tokens = (size // patch) ** 2 + 1 + getattr(config, "num_register_tokens", 0)
    width = config.hidden_size
    mlp = getattr(config, "intermediate_size", None) or int(config.mlp_ratio * width)
    value_bytes = 4 if precision.dtype is None else 2
    per_block = tokens * (6 * width + mlp) + config.num_attention_heads * tokens**2
    return value_bytes * per_block + 3 * size * size * 4  # plus the float32 input image


def batch_size_for(bytes_per_item: int, device: torch.device | str, *, fraction: float = 0.5,
                   largest: int = 256) -> int:
    """The largest batch (at most ``largest``) whose items take ``fraction`` of free memory."""
    if bytes_per_item <= 0:
        raise ValueError(f"bytes_per_item must be positive, got {bytes_per_item}")
    fitting = int(available_bytes(device) * fraction) // bytes_per_item
    return max(1, min(largest, fitting))
