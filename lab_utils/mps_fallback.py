"""Apple GPUs (MPS) lack some operators: with ``PYTORCH_ENABLE_MPS_FALLBACK=1`` torch runs
them on the CPU instead of raising ``NotImplementedError``. torch reads the variable once,
when it loads, so ``lab_utils`` imports this module before anything that imports torch.
"""

from __future__ import annotations

import os
import sys

ENV_VAR = "PYTORCH_ENABLE_MPS_FALLBACK"
# True when torch was loaded before lab_utils without the variable: too late to set it.
TORCH_LOADED_FIRST = "torch" in sys.modules and ENV_VAR not in os.environ
os.environ.setdefault(ENV_VAR, "1")


def active() -> bool:
    """Whether this process's torch runs missing MPS operators on the CPU."""
    return os.environ.get(ENV_VAR) == "1" and not TORCH_LOADED_FIRST
