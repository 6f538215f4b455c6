"""Building blocks of the student-facing checks (:mod:`lab_utils.checks`).

A check tests an exercise's answer through properties and small fixed cases (shapes, dtypes,
invariances, exact values on tiny inputs) and says what it expected and what it got. It
holds no reference implementation: reading a check teaches how to test an answer, not the
answer itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch


class CheckFailed(AssertionError):
    """An exercise's answer does not yet do what the exercise asks."""


def expect(condition: bool, what: str, expected: Any, got: Any, hint: str = "") -> None:
    """Raise :class:`CheckFailed` saying ``what`` was expected and what came, unless ``condition``."""
    if not condition:
        message = f"{what}\n  expected: {expected}\n  got:      {got}"
        raise CheckFailed(message + (f"\n  hint: {hint}" if hint else ""))


def _shape(value: Any) -> tuple[int, ...] | None:
    shape = getattr(value, "shape", None)
    return tuple(shape) if shape is not None else None


def check_shape(name: str, value: Any, expected: Sequence[int], hint: str = "") -> None:
    """``value`` (array or tensor) must have shape ``expected``."""
    got = _shape(value)
    expect(
        got == tuple(expected),
        f"{name} has the wrong shape",
        tuple(expected),
        got if got is not None else f"{type(value).__name__} without a shape",
        hint,
    )


def check_close(
    name: str, got: Any, expected: Any, atol: float = 1e-6, rtol: float = 1e-5, hint: str = ""
) -> None:
    """``got`` must equal ``expected`` within tolerances (shapes first)."""
    got_array = as_numpy(got)
    expected_array = np.asarray(expected, dtype=np.float64)
    check_shape(name, got_array, expected_array.shape, hint)
    expect(
        bool(np.all(np.isfinite(got_array))),
        f"{name} holds NaN or inf",
        "finite numbers",
        got_array,
        hint,
    )
    close = np.allclose(got_array, expected_array, atol=atol, rtol=rtol)
    worst = float(np.max(np.abs(got_array - expected_array))) if got_array.size else 0.0
    expect(
        close,
        f"{name} has the wrong values (largest difference {worst:.3g})",
        np.array2string(expected_array, precision=5, threshold=12),
        np.array2string(got_array, precision=5, threshold=12),
        hint,
    )


def as_numpy(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().double().numpy()
    return np.asarray(value, dtype=np.float64)


def passed(name: str) -> None:
    print(f"✔ {name}: all visible checks passed")


def call_student(function: Callable[..., Any], *args: Any) -> Any:
    """Call a student's function, turning its exceptions into one readable failure."""
    try:
        return function(*args)
    except NotImplementedError:
        raise CheckFailed(f"{function.__name__} is not implemented yet") from None
