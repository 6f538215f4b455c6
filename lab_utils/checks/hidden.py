"""Hidden tests as plain data: how an autograded test cell's hidden part is written and run.

A hidden test is two functions in the ``### BEGIN HIDDEN TESTS`` block of a test cell:

- ``hidden_outputs()`` builds the hidden inputs, calls the student's definitions and returns
  what they gave as *plain data*: a dict of numbers, strings, lists and arrays (tensors and
  arrays become numpy arrays);
- ``hidden_check(out)`` receives that data, rebuilds the inputs itself, and asserts. It never
  calls the student's code and never trusts a value it did not get as plain data.

The block ends with ``hidden_test(hidden_outputs, hidden_check)``: in the notebook it runs
both here, through the same encoding the grader uses. When ``make grade`` grades a class,
``hidden_outputs`` runs in a fresh sandboxed process with only the student's definitions,
its data comes back through :func:`encode` and :func:`decode` (JSON and ``.npy`` without
pickle: exact types, bounded size), and ``hidden_check`` runs in the grader, outside the
sandbox. Helper functions and constants defined in the block exist on both sides.
"""

from __future__ import annotations

import base64
import io
import json
import math
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

ARRAY_KEY = "__ndarray__"
MAX_BYTES = 64 * 1024**2  # of one test's encoded data
ARRAY_KINDS = "biuf"  # bool, signed and unsigned integers, floats: no objects, strings or records


class NotPlainData(TypeError):
    """A hidden test's outputs hold something that is not plain data."""


def to_plain(value: Any, where: str = "outputs") -> Any:
    """``value`` with tensors and arrays as numpy arrays and containers as lists and dicts.

    Only exact types are accepted: ``bool``, ``int``, ``float``, ``str``, ``None``, lists,
    tuples, dicts with string keys, numpy arrays and scalars of numbers; and torch tensors
    (parameters included), whose numbers are copied out.
    """
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value if math.isfinite(value) else np.asarray(value)
    if kind in (list, tuple):
        return [to_plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if kind is dict:
        if not all(type(key) is str for key in value):
            raise NotPlainData(f"{where}: a dict's keys must be strings")
        return {key: to_plain(item, f"{where}[{key!r}]") for key, item in value.items()}
    if kind is np.ndarray or isinstance(value, np.generic):
        array = np.array(value)  # a copy, C-ordered
        if array.dtype.kind not in ARRAY_KINDS or array.dtype.fields is not None:
            raise NotPlainData(f"{where}: an array of dtype {array.dtype} is not plain data")
        return array
    torch = _torch()
    if torch is not None and isinstance(value, torch.Tensor):  # parameters too; numpy data comes out
        tensor = torch.Tensor.detach(value).cpu()
        if tensor.dtype in (torch.bfloat16, torch.float16):
            tensor = tensor.float()
        return to_plain(np.array(tensor.numpy()), where)
    raise NotPlainData(f"{where} is a {kind.__module__}.{kind.__qualname__}, not plain data "
                       "(numbers, strings, lists, dicts, numpy arrays, tensors)")


def _torch():
    return sys.modules.get("torch")


def _encode_item(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        return {ARRAY_KEY: base64.b64encode(buffer.getvalue()).decode("ascii")}
    if isinstance(value, list):
        return [_encode_item(item) for item in value]
    if isinstance(value, dict):
        if ARRAY_KEY in value:
            raise NotPlainData(f"the key {ARRAY_KEY!r} is reserved")
        return {key: _encode_item(item) for key, item in value.items()}
    return value


def encode(value: Any) -> str:
    """Plain data (see :func:`to_plain`) as one line of JSON."""
    return json.dumps(_encode_item(to_plain(value)), allow_nan=False, separators=(",", ":"))


def decode(text: str, max_bytes: int = MAX_BYTES) -> Any:
    """The plain data :func:`encode` wrote; anything else raises ValueError.

    Meant for text from an untrusted process: the size is bounded, arrays are read without
    pickle and must hold numbers, and only JSON's own types come back besides arrays.
    """
    if not isinstance(text, str) or len(text) > max_bytes:
        raise ValueError(f"hidden test data must be a string of at most {max_bytes} characters")
    try:
        raw = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as error:
        raise ValueError("hidden test data nested too deeply") from error
    return _decode_item(raw, depth=0)


def _refuse_constant(name: str):
    raise ValueError(f"hidden test data may not hold {name}")


def _decode_item(value: Any, depth: int) -> Any:
    if depth > 32:
        raise ValueError("hidden test data nested too deeply")
    if isinstance(value, list):
        return [_decode_item(item, depth + 1) for item in value]
    if isinstance(value, dict):
        if ARRAY_KEY in value:
            if len(value) != 1 or not isinstance(value[ARRAY_KEY], str):
                raise ValueError("a malformed array in hidden test data")
            return _decode_array(value[ARRAY_KEY])
        return {key: _decode_item(item, depth + 1) for key, item in value.items()}
    return value  # str, int, float, bool or None: what json makes


def _decode_array(text: str) -> np.ndarray:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
        array = np.load(io.BytesIO(raw), allow_pickle=False)
    except Exception as error:  # a malformed .npy: the data is refused, the reason kept short
        raise ValueError(f"an unreadable array in hidden test data ({type(error).__name__})") from error
    if type(array) is not np.ndarray or array.dtype.kind not in ARRAY_KINDS or array.dtype.fields is not None:
        raise ValueError(f"an array of dtype {array.dtype} in hidden test data")
    return array


def hidden_test(outputs: Callable[[], Any], check: Callable[[Any], None]) -> None:
    """Run a hidden test here: ``check(decode(encode(outputs())))``, as the grader would."""
    check(decode(encode(outputs())))


# -- record and replay: one test body, run on the student's code, then judged on its data ----

def _tag(value: Any) -> Any:
    """``value`` as plain data that remembers its container and tensor types."""
    torch = _torch()
    if torch is not None and isinstance(value, torch.Tensor):
        return {"tensor": to_plain(value)}
    if type(value) is np.ndarray or isinstance(value, np.generic):
        return {"array": to_plain(value)}
    if type(value) in (tuple, list):
        return {type(value).__name__: [_tag(item) for item in value]}
    if type(value) is dict and all(type(key) is str for key in value):
        return {"dict": {key: _tag(item) for key, item in value.items()}}
    return {"value": to_plain(value)}


def _untag(tagged: Any) -> Any:
    """The value :func:`_tag` described, rebuilt from plain data only."""
    if not isinstance(tagged, dict) or len(tagged) != 1:
        raise ValueError("malformed recorded data")
    (kind, value), = tagged.items()
    if kind == "tensor":
        import torch

        return torch.from_numpy(np.array(value))
    if kind == "array":
        return np.array(value)
    if kind in ("tuple", "list"):
        items = [_untag(item) for item in value]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {key: _untag(item) for key, item in value.items()}
    if kind == "value":
        return value
    raise ValueError(f"malformed recorded data ({kind!r})")


def _arrays_after(args: tuple) -> list:
    """The array arguments of a call as they are after it (an answer may write into them)."""
    torch = _torch()
    return [_tag(arg) if type(arg) is np.ndarray or torch is not None and isinstance(arg, torch.Tensor) else None
            for arg in args]


def record(body: Callable[..., None], **answers: Callable) -> list[dict]:
    """Run ``body`` with each answer wrapped; the calls' results (and array arguments after them)."""
    calls: list[dict] = []

    def wrap(name: str, function: Callable) -> Callable:
        def recorded(*args, **kwargs):
            result = function(*args, **kwargs)
            calls.append({"name": name, "result": _tag(result), "args": _arrays_after(args)})
            return result
        return recorded

    body(**{name: wrap(name, function) for name, function in answers.items()})
    return calls


def replay(body: Callable[..., None], calls: list[dict], *names: str) -> None:
    """Run ``body`` again with stand-ins that give back the recorded results, in order.

    An array argument the answer wrote into is written the same way, so "the input is left
    unchanged" is checked too. A call the recording lacks fails the test.
    """
    if type(calls) is not list:
        raise AssertionError("no recorded calls")
    position = [0]

    def stand_in(name: str) -> Callable:
        def replayed(*args, **kwargs):
            if position[0] >= len(calls) or calls[position[0]].get("name") != name:
                raise AssertionError(f"{name} was not called here as the hidden test expects "
                                     "(it failed or stopped before)")
            call = calls[position[0]]
            position[0] += 1
            for arg, state in zip(args, call["args"], strict=True):  # the same call, or none
                if state is not None:
                    _write_back(arg, _untag(state))
            return _untag(call["result"])
        return replayed

    body(**{name: stand_in(name) for name in names})


def _write_back(arg: Any, state: Any) -> None:
    torch = _torch()
    if torch is not None and isinstance(arg, torch.Tensor) and isinstance(state, torch.Tensor):
        if arg.shape != state.shape or not torch.equal(arg, state.to(arg.dtype)):
            with torch.no_grad():
                arg.copy_(state)
    elif isinstance(arg, np.ndarray) and isinstance(state, np.ndarray):
        if arg.shape != state.shape or not np.array_equal(arg, state):
            arg[...] = state


# -- devices: what a CPU-only grader cannot see on CPU tensors -------------------------------

def device_probe(call: Callable[[], Any]) -> dict:
    """Plain data on the tensor ``call()`` returns when its inputs are on the meta device.

    Meta tensors have shapes, dtypes and a device but no data, and an operation that mixes
    them with CPU tensors raises, as mixing CPU and GPU tensors does on a GPU. An answer that
    makes a tensor on the CPU (``torch.arange(n)`` without ``device=``) thus fails here on a
    CPU-only grader just as it would fail for a student on a GPU.
    Returns ``{"error": str, "device": str, "shape": list}`` (``error`` empty when it ran).
    """
    try:
        result = call()
    except Exception as error:  # the message is the finding: which tensors met on which devices
        return {"error": f"{type(error).__name__}: {str(error)[:500]}", "device": "", "shape": []}
    device = getattr(result, "device", None)
    return {"error": "", "device": str(getattr(device, "type", type(result).__name__)),
            "shape": [int(size) for size in getattr(result, "shape", [])]}


# What torch says when tensors of two devices meet (meta and CPU here, GPU and CPU for a student).
DEVICE_MISMATCH = ("not on the expected device", "to be on the same device")


def assert_on_inputs_device(probe: Any, shape: list[int], what: str) -> None:
    """The grader's side of :func:`device_probe`: ``what`` ran and returned ``shape`` on meta.

    An answer that reads its data (``.tolist()``, boolean indexing) cannot run on meta tensors
    at all; it is not judged here (the hidden tests on CPU tensors judge its numbers).
    """
    if type(probe) is not dict or not isinstance(probe.get("error"), str):
        raise AssertionError(f"{what}: no device probe came back")
    if probe["error"] and not any(words in probe["error"] for words in DEVICE_MISMATCH):
        return
    assert not probe["error"], (
        f"{what} fails when its inputs are not on the CPU (meta tensors stand in for a GPU): "
        f"{probe['error']}: make every new tensor on the inputs' device (device=x.device)")
    assert probe.get("device") == "meta" and probe.get("shape") == list(shape), (
        f"{what} must return a tensor of shape {list(shape)} on its inputs' device, "
        f"got {probe.get('device')!r} of shape {probe.get('shape')!r}")
