"""The precision policy: which number format training and feature extraction compute in.

One decision per device, made here and nowhere else:

* a GPU with native bfloat16 (compute capability 8.0 or newer: A100, L4, H100) trains in
  bfloat16 autocast; bfloat16 has float32's range, so no gradient scaler is needed;
* a GPU without it (Colab's T4 and the V100, compute capability 7.x) trains in float16
  autocast with a gradient scaler. ``torch.cuda.is_bf16_supported()`` alone would say yes on
  a T4, because it counts emulation, which is several times slower than float16;
* a CPU with native bfloat16 instructions (AVX512-BF16 or AMX on x86, BF16 on Arm) trains in
  bfloat16 autocast (about 3x a float32 step for the course's CNN on two cores);
* any other CPU computes in float32: there bfloat16 is emulated, several times slower;
* an Apple GPU (MPS) of the M3 generation or newer trains in bfloat16 autocast, without a
  gradient scaler, on macOS 14 or newer with torch 2.6 or newer; an M1 or M2, whose GPU
  only emulates bfloat16, trains in float16 autocast with a gradient scaler (torch 2.8 or
  newer); anything older computes in float32. From torch's release notes and issues, not
  measured here (no Mac ran the course): MPS autocast supports float16 from torch 2.5 and
  bfloat16 from 2.6, bfloat16 only on macOS 14 (Sonoma) and newer; the gradient scaler
  runs on MPS from 2.8. MPS models stay in NCHW order (channels-last is a CPU and CUDA gain).

Convolution models are kept channels-last (NHWC) everywhere: oneDNN's CPU convolutions and
the GPUs' tensor cores are fastest in that memory order (on two AVX2 cores a float32
SmallCNN step takes about a fifth less CPU time than in NCHW).

``$SSL_LAB_PRECISION`` (``fp32``, ``bf16`` or ``fp16``) overrides the choice, e.g. to compare
accuracies of float32 and bfloat16 runs.
"""

from __future__ import annotations

import os
import platform
import subprocess
from contextlib import nullcontext
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn

PRECISION_ENV_VAR = "SSL_LAB_PRECISION"
_DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


class UnknownPrecisionError(ValueError):
    """Raised for a ``$SSL_LAB_PRECISION`` that is not fp32, bf16 or fp16."""


@dataclass(frozen=True)
class Precision:
    """How one device computes.

    Attributes:
        device_type: ``"cuda"``, ``"mps"`` or ``"cpu"``.
        name: ``"fp32"``, ``"bf16"`` or ``"fp16"`` (the autocast format).
        grad_scaler: scale the loss so float16 gradients do not underflow.
        channels_last: keep conv models and images in NHWC memory order.
        reason: why this was chosen, for :func:`lab_utils.setup`'s printout.
    """

    device_type: str
    name: str
    grad_scaler: bool
    channels_last: bool
    reason: str

    @property
    def dtype(self) -> torch.dtype | None:
        """The autocast dtype, or None for plain float32."""
        return _DTYPES[self.name]

    def autocast(self) -> torch.autocast | nullcontext:
        """The context manager a forward pass runs in."""
        if self.dtype is None:
            return nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def scaler(self) -> torch.amp.GradScaler:
        """A gradient scaler, enabled only for float16 (a no-op pass-through otherwise)."""
        return torch.amp.GradScaler(self.device_type, enabled=self.grad_scaler)

    def prepare(self, model: nn.Module) -> nn.Module:
        """Move ``model``'s 4-d weights to channels-last when the policy asks for it (in place)."""
        if self.channels_last:
            model.to(memory_format=torch.channels_last)
        return model

    def describe(self) -> str:
        extras = [self.name + (" autocast" if self.dtype is not None else "")]
        if self.grad_scaler:
            extras.append("gradient scaler")
        if self.channels_last:
            extras.append("channels-last")
        return f"{' + '.join(extras)} ({self.reason})"


def cpu_flags() -> frozenset[str]:
    """The CPU feature flags the operating system reports (empty where unknown)."""
    return _cpu_flags()


@lru_cache(maxsize=1)
def _cpu_flags() -> frozenset[str]:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("flags", "Features"):  # x86, Arm
                return frozenset(value.split())
        return frozenset()
    if platform.system() == "Darwin":
        try:
            answer = subprocess.run(["sysctl", "-n", "hw.optional.arm.FEAT_BF16"],
                                    capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.SubprocessError):
            return frozenset()
        return frozenset({"bf16"}) if answer.stdout.strip() == "1" else frozenset()
    return frozenset()


def cpu_has_native_bf16(flags: frozenset[str] | None = None) -> bool:
    """True for AVX512-BF16 or AMX-BF16 (x86) or the BF16 extension (Arm, Apple M2 and newer)."""
    flags = cpu_flags() if flags is None else flags
    return bool(flags & {"avx512_bf16", "amx_bf16", "bf16"})


def _cuda_policy(device: torch.device) -> Precision:
    major, minor = torch.cuda.get_device_capability(device)
    gpu = torch.cuda.get_device_name(device)
    if major >= 8:
        return Precision("cuda", "bf16", False, True,
                         f"{gpu}, compute capability {major}.{minor}: native bf16")
    return Precision("cuda", "fp16", True, True,
                     f"{gpu}, compute capability {major}.{minor}: no native bf16, so fp16")


def macos_version() -> tuple[int, ...]:
    """The running macOS version, e.g. ``(14, 5)``; ``()`` on other systems."""
    release = platform.mac_ver()[0]
    return tuple(int(part) for part in release.split(".") if part.isdigit()) if release else ()


def _torch_version() -> tuple[int, int]:
    major, minor = torch.__version__.split("+")[0].split(".")[:2]
    return int(major), int(minor)


# From torch's release notes (see the module docstring): MPS bfloat16 autocast needs macOS 14
# and torch 2.6; the gradient scaler that float16 needs runs on MPS from torch 2.8.
MPS_BF16_MACOS = (14, 0)
MPS_BF16_TORCH = (2, 6)
MPS_SCALER_TORCH = (2, 8)


def apple_chip() -> str:
    """The Mac's chip, e.g. ``"Apple M2 Pro"``; ``""`` where unknown."""
    try:
        answer = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"],
                                capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return ""
    return answer.stdout.strip()


def gpu_emulates_bf16(chip: str) -> bool:
    """True for the M1 and M2 generations, whose GPUs have no bfloat16 arithmetic."""
    return any(chip.startswith(f"Apple M{generation}") and not chip[len(f"Apple M{generation}"):][:1].isdigit()
               for generation in (1, 2))


def _mps_policy() -> Precision:
    macos, version, chip = macos_version(), _torch_version(), apple_chip()
    where = f"Apple GPU ({chip or 'unknown chip'}, macOS {'.'.join(map(str, macos)) or 'unknown'})"
    if gpu_emulates_bf16(chip):
        if version >= MPS_SCALER_TORCH:
            return Precision("mps", "fp16", True, False,
                             f"{where}: bf16 would be emulated, so fp16")
        return Precision("mps", "fp32", False, False,
                         f"{where}: bf16 would be emulated, and torch {torch.__version__} has no "
                         "MPS gradient scaler for fp16 (2.8 has)")
    if macos >= MPS_BF16_MACOS and version >= MPS_BF16_TORCH:
        return Precision("mps", "bf16", False, False, f"{where}: native bf16")
    why = ("macOS is older than 14" if macos < MPS_BF16_MACOS
           else f"torch {torch.__version__} is older than 2.6")
    return Precision("mps", "fp32", False, False, f"{where}: {why}, so no bf16 autocast")


def _cpu_policy() -> Precision:
    if cpu_has_native_bf16():
        return Precision("cpu", "bf16", False, True, "CPU with native bf16 instructions")
    return Precision("cpu", "fp32", False, True,
                     "CPU without native bf16 instructions: bf16 would be emulated, slower")


def _override(policy: Precision, name: str) -> Precision:
    if name not in _DTYPES:
        raise UnknownPrecisionError(
            f"{PRECISION_ENV_VAR}={name!r} is not a precision; use one of "
            f"{', '.join(_DTYPES)}, or unset it for the automatic choice"
        )
    return Precision(policy.device_type, name, name == "fp16", policy.channels_last,
                     f"set by {PRECISION_ENV_VAR}")


def precision_for(device: torch.device | str) -> Precision:
    """The precision policy of ``device`` (see the module docstring)."""
    device = torch.device(device)
    policies = {"cuda": lambda: _cuda_policy(device), "mps": _mps_policy}
    policy = policies.get(device.type, _cpu_policy)()
    requested = os.environ.get(PRECISION_ENV_VAR, "").strip().lower()
    return _override(policy, requested) if requested else policy
