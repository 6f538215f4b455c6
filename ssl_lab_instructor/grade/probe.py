"""Integrity probe: this file's source runs INSIDE the student's kernel, sent by the grader.

Before the first cell of the notebook, :class:`Probe` records what the tests rely on: every
function of the guarded modules (numpy, numpy.testing, torch, lab_utils.checks, builtins,
...), the methods of a few classes (``torch.Tensor``), the kernel's own machinery (the
IPython shell, the kernel and its session: their classes and hooks such as input
transformers, custom exception handlers, event callbacks, trace functions), and what the
notebook's import aliases (``np``, ``torch``, ``F``) must be bound to.

Around each graded cell the grader asks it for :meth:`Probe.report`: everything that
changed since. It also arms and disarms the negative control: the answer names a test
reads are replaced by a stand-in that answers nothing (:meth:`Probe.arm`), the test runs
again and must fail, then everything is put back (:meth:`Probe.disarm`).

The student's code runs in the same process, so a determined attacker who knows this file
can fool it; the probes stop the monkeypatching a student can write in a few lines, and the
static flags (``integrity.static_flags``) point a human at anything stranger. Standard
library only.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import threading
import types

MISSING = object()
CHECKS_PACKAGE = "lab_utils.checks"
KERNEL_METHODS = ("run_cell", "run_cell_async", "run_ast_nodes", "run_code", "showtraceback",
                  "_showtraceback", "transform_cell", "transform_ast", "should_run_async",
                  "do_execute", "execute_request", "dispatch_shell", "send", "sign", "serialize",
                  "send_response", "showsyntaxerror", "_run_cell", "get_exception_only")


def _record(value):
    """What identifies a guarded object: itself, and for functions their code and defaults."""
    if isinstance(value, types.FunctionType):
        return (value, value.__code__, value.__defaults__, value.__kwdefaults__)
    return (value, None, None, None)


def _guarded_items(namespace: dict) -> dict:
    return {key: _record(value) for key, value in list(namespace.items())
            if callable(value) or isinstance(value, types.ModuleType)}


def _wraps(wrapper, original, trusted_prefixes: tuple) -> bool:
    """True for a library's own wrapper of ``original`` (``functools.wraps`` in installed code).

    torch, for one, replaces ``torch.manual_seed`` by such a wrapper when torch._dynamo loads.
    """
    code = getattr(wrapper, "__code__", None)
    if code is None or not code.co_filename.startswith(trusted_prefixes):
        return False
    inner = wrapper
    for _ in range(10):
        inner = getattr(inner, "__wrapped__", None)
        if inner is None:
            return False
        if inner is original:
            return True
    return False


def _changed(before, now, trusted_prefixes: tuple) -> str | None:
    if now is MISSING:
        return "removed"
    if now is not before[0]:
        if isinstance(now, types.MethodType) and now == before[0]:
            return None  # a bound method is a new object at each access: compare its parts
        return None if _wraps(now, before[0], trusted_prefixes) else "replaced"
    if before[1] is not None and (now.__code__ is not before[1] or now.__defaults__ is not before[2]
                                  or now.__kwdefaults__ is not before[3]):
        return "code replaced"
    return None


def _resolve(dotted: str):
    module_name, _, attribute = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


class Probe:
    """Records the guarded state at creation; reports and restores around graded cells."""

    def __init__(self, spec: dict) -> None:
        self.shell = get_ipython()  # noqa: F821 (an IPython builtin inside the kernel)
        self.ns = self.shell.user_ns
        self.spec = spec
        self.trusted_prefixes = tuple(spec["trusted_prefixes"])
        self.modules = {}
        for name in self._module_names(spec["guarded_modules"]):
            try:
                module = importlib.import_module(name)
            except Exception:  # a guarded module this environment lacks: nothing to guard
                continue
            self.modules[name] = (module, _guarded_items(vars(module)))
        self.classes = {}
        for dotted in spec["guarded_classes"]:
            try:
                cls = _resolve(dotted)
            except Exception:
                continue
            self.classes[dotted] = (cls, _guarded_items(vars(cls)))
        self.machinery = self._machinery()
        self.machinery_classes = {
            f"{cls.__module__}.{cls.__qualname__}": (cls, _guarded_items(vars(cls)))
            for obj in self.machinery.values() for cls in type(obj).__mro__ if cls is not object}
        self.instance_methods = {name: {k for k in KERNEL_METHODS if k in vars(obj)}
                                 for name, obj in self.machinery.items()}
        self.hooks = self._hooks()
        self.saved = None

    @staticmethod
    def _module_names(names: list[str]) -> list[str]:
        """The guarded modules, plus every submodule of lab_utils.checks."""
        found = list(names)
        try:
            package = importlib.import_module(CHECKS_PACKAGE)
            found += [f"{CHECKS_PACKAGE}.{info.name}" for info in pkgutil.iter_modules(package.__path__)]
        except Exception:
            pass
        return sorted(set(found))

    def _machinery(self) -> dict:
        kernel = getattr(self.shell, "kernel", None)
        parts = {"shell": self.shell, "shell.events": self.shell.events,
                 "shell.input_transformer_manager": self.shell.input_transformer_manager}
        if kernel is not None:
            parts["kernel"] = kernel
            parts["kernel.session"] = kernel.session
        return parts

    def _hooks(self) -> dict:
        manager = self.shell.input_transformer_manager
        return {
            "sys.excepthook": sys.excepthook,
            "sys.gettrace()": sys.gettrace(),
            "sys.getprofile()": sys.getprofile(),
            "threading trace": getattr(threading, "gettrace", lambda: None)(),
            "threading profile": getattr(threading, "getprofile", lambda: None)(),
            "shell.custom_exceptions": self.shell.custom_exceptions,
            "input transformers": tuple(manager.cleanup_transforms) + tuple(manager.line_transforms)
            + tuple(manager.token_transformers) + tuple(self.shell.input_transformers_post),
            "AST transformers": tuple(self.shell.ast_transformers),
            "event callbacks": tuple(cb for cbs in self.shell.events.callbacks.values() for cb in cbs),
            "__builtins__": self.ns.get("__builtins__"),
        }

    def _untrusted(self, function) -> bool:
        """True for a callable written in the notebook (or in a file outside the installation)."""
        function = getattr(function, "__func__", function)
        function = getattr(function, "func", function)  # functools.partial
        code = getattr(function, "__code__", None)
        if code is None:
            return getattr(type(function), "__module__", "") == "__main__"
        return not code.co_filename.startswith(self.trusted_prefixes)

    def _trusted_module(self, module) -> bool:
        """A module object made by installed code, from a file of the installation."""
        if not isinstance(module, types.ModuleType):
            return False
        files = [getattr(module, "__file__", None)]
        if type(module) is not types.ModuleType:  # a subclass: its class must be installed code too
            files.append(getattr(sys.modules.get(type(module).__module__), "__file__", None))
        return all(isinstance(f, str) and f.startswith(self.trusted_prefixes) for f in files)

    def changes(self) -> list[str]:
        """Everything the tests rely on that differs from the recording, as sentences."""
        found = []
        for name, (module, items) in list(self.modules.items()):
            now = sys.modules.get(name, module)
            if now is not module:
                if not self._trusted_module(now):
                    found.append(f"sys.modules[{name!r}] replaced")
                else:  # a library swapping in its own lazy module (transformers does): guard that one
                    self.modules[name] = (now, _guarded_items(vars(now)))
                    module, items = self.modules[name]
            current = vars(module)
            found += [f"{name}.{key} {how}" for key, before in items.items()
                      if (how := _changed(before, current.get(key, MISSING), self.trusted_prefixes))]
        for label, (cls, items) in {**self.classes, **self.machinery_classes}.items():
            current = vars(cls)
            found += [f"{label}.{key} {how}" for key, before in items.items()
                      if (how := _changed(before, current.get(key, MISSING), self.trusted_prefixes))]
        for name, obj in self.machinery.items():
            added = {k for k in KERNEL_METHODS if k in vars(obj)} - self.instance_methods[name]
            found += [f"{name}.{key} overridden" for key in sorted(added)]
        found += self._hook_changes()
        found += self._binding_changes()
        return found

    def _hook_changes(self) -> list[str]:
        found = []
        now = self._hooks()
        for key in ("sys.excepthook", "sys.gettrace()", "sys.getprofile()", "threading trace",
                    "threading profile", "shell.custom_exceptions", "__builtins__"):
            if now[key] is not self.hooks[key] and now[key] != self.hooks[key]:  # == for bound methods
                found.append(f"{key} changed")
        for key in ("input transformers", "AST transformers", "event callbacks"):
            before = set(map(id, self.hooks[key]))
            added = [hook for hook in now[key] if id(hook) not in before and self._untrusted(hook)]
            removed = len(before - set(map(id, now[key])))
            if added:
                found.append(f"{key}: {len(added)} added by the notebook")
            if removed:
                found.append(f"{key}: {removed} removed")
        return found

    def _binding_changes(self) -> list[str]:
        found = []
        for alias in self.spec["test_aliases"]:
            if alias not in self.ns:
                continue
            module_name, attribute = self.spec["bindings"][alias]
            module = sys.modules.get(module_name)
            if module is None:
                continue
            expected = module if attribute is None else getattr(module, attribute, MISSING)
            if self.ns[alias] is not expected:
                target = module_name if attribute is None else f"{module_name}.{attribute}"
                found.append(f"the name {alias} is no longer {target}")
        return found

    def report(self, tag: str) -> None:
        """Print ``tag`` then the JSON list of changes (the grader reads this line)."""
        try:
            changes = self.changes()
        except Exception as error:  # a broken probe is itself a finding
            changes = [f"the probe failed: {type(error).__name__}: {error}"]
        print(tag + json.dumps(changes))

    def arm(self, names: list[str], tag: str) -> None:
        """Replace the answer names by stand-ins; save the namespace and random states first."""
        self.saved = (dict(self.ns), self._random_states())
        for name in names:
            self.ns[name] = _stand_in(name)
        print(tag + "armed")

    def disarm(self, tag: str) -> None:
        """Put back every name and random state :meth:`arm` saved."""
        before, states = self.saved
        for key in [k for k in self.ns if k not in before and not k.startswith("_")]:
            del self.ns[key]
        for key, value in before.items():
            if self.ns.get(key, MISSING) is not value:
                self.ns[key] = value
        self._set_random_states(states)
        self.saved = None
        print(tag + "disarmed")

    @staticmethod
    def _random_states() -> dict:
        import random

        states = {"random": random.getstate()}
        if "numpy" in sys.modules:
            states["numpy"] = sys.modules["numpy"].random.get_state()
        if "torch" in sys.modules:
            states["torch"] = sys.modules["torch"].get_rng_state()
        return states

    @staticmethod
    def _set_random_states(states: dict) -> None:
        import random

        random.setstate(states["random"])
        if "numpy" in states:
            sys.modules["numpy"].random.set_state(states["numpy"])
        if "torch" in states:
            sys.modules["torch"].set_rng_state(states["torch"])


def _stand_in(name: str):
    """A callable named like the answer that answers nothing."""
    def stand_in(*args, **kwargs):
        return None

    stand_in.__name__ = stand_in.__qualname__ = name
    return stand_in


def install(spec_json: str, variable: str) -> None:
    """Create the probe and keep it in the notebook's namespace under ``variable``."""
    get_ipython().user_ns[variable] = Probe(json.loads(spec_json))  # noqa: F821
