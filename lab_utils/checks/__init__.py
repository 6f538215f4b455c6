"""Student-facing checks: call one after an exercise for immediate feedback.

One module per notebook (``lab_utils.checks.intro`` for notebook 01, ...), built on the
helpers of :mod:`lab_utils.checks.core`, which report what was expected and what came.
Checks hold no reference implementation.
"""

from .core import CheckFailed, check_close, check_shape, expect

__all__ = ["CheckFailed", "check_close", "check_shape", "expect"]
