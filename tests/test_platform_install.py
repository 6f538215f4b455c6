"""The local install resolves on every platform students bring: macOS on Apple Silicon and
on Intel, Windows on x86-64, and Linux on x86-64 and ARM.

For each platform, a dry run resolves what a student installs (pyproject.toml's
dependencies and its ``labs`` extra, under constraints-local.txt, as ``python -m ssl_lab``
does), from binary wheels only, with the oldest Python the course supports (environment.yml's)
and on Windows the newest its packages publish wheels for, and reads which versions it
would get. The student's conda environment (the
student release's environment.yml) must list the same requirements with the same markers,
so it resolves alike. The resolver is
uv's: it evaluates each target platform's environment markers (``sys_platform``,
``platform_machine``), whereas pip evaluates them for the machine it runs on even with
``--platform``, and so asks for CUDA wheels on a Mac; uv also resolves in about a second of
CPU time per platform, where pip takes fifteen.

These tests need PyPI, where the resolver reads the packages' metadata.
"""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import uv  # the test extra installs it
import yaml
from support import ROOT


@dataclass(frozen=True)
class Platform:
    """A student's machine as the resolver sees it."""

    name: str
    target: str  # uv's --python-platform
    tensorflow: str  # the TensorFlow distribution it should get
    torch: str  # the torch version it should get
    environment: tuple[tuple[str, str], ...] = ()
    # The Pythons to resolve for: the oldest the course supports, and on Windows, where
    # students download the newest from python.org, the newest with wheels of every package
    # (each newer Python costs about ten seconds per platform).
    pythons: tuple[str, ...] = ("3.11",)


PLATFORMS = (
    # torch 2.14's wheels for Apple Silicon need macOS 14 or newer.
    Platform("macOS arm64", "aarch64-apple-darwin", "tensorflow", "2.14.1",
             (("MACOSX_DEPLOYMENT_TARGET", "14.0"),)),
    Platform("macOS x86_64", "x86_64-apple-darwin", "tensorflow", "2.2.2"),
    Platform("Windows amd64", "x86_64-pc-windows-msvc", "tensorflow-cpu", "2.14.1",
             pythons=("3.11", "3.13")),
    Platform("Linux x86_64", "x86_64-manylinux_2_28", "tensorflow-cpu", "2.14.1"),
    Platform("Linux aarch64", "aarch64-manylinux_2_28", "tensorflow", "2.14.1"),
)
STUDENT_PYTHON = "3.11"  # environment.yml's
CASES = [(platform, python) for platform in PLATFORMS for python in platform.pythons]
PINNED = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", re.MULTILINE)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def resolve(requirements: Path, platform: Platform, python: str,
            constraints: Path | None = None) -> tuple[dict[str, str] | None, str]:
    """``({name: version}, "")`` of what a binary-only install of ``requirements`` gets on
    ``platform``, or ``(None, the resolver's error)``."""
    command = [uv.find_uv_bin(), "pip", "compile", "--quiet", "--no-config", "--no-header",
               "--only-binary", ":all:", "--python-platform", platform.target,
               "--python-version", python, str(requirements)]
    if requirements.name == "pyproject.toml":
        command[-1:-1] = ["--extra", "labs"]
    if constraints is not None:
        command += ["--constraints", str(constraints)]
    environment = {key: value for key, value in os.environ.items() if not key.startswith("UV_")}
    result = subprocess.run(command, capture_output=True, text=True,
                            env={**environment, **dict(platform.environment)}, timeout=300)
    if result.returncode != 0:
        return None, result.stderr[-3000:]
    return {_normalise(n): v for n, v in PINNED.findall(result.stdout)}, ""


def student_environment() -> dict:
    """The environment.yml that the student release ships: this one without the instructor's
    packages (which include aeon, whose NumPy 2 an Intel Mac's torch 2.2 cannot use)."""
    from ssl_lab_instructor.release.student_files import (
        instructor_only_packages,
        student_environment,
    )

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    text = student_environment((ROOT / "environment.yml").read_text(),
                               instructor_only_packages(pyproject))
    return yaml.safe_load(text)


@pytest.fixture(scope="module")
def resolutions(tmp_path_factory) -> dict[object, tuple[dict[str, str] | None, str]]:
    """Every platform's student install for each of its Pythons, resolved concurrently, and
    under ``"control"`` the old requirement (tensorflow-cpu everywhere) on Apple Silicon,
    which has no wheels there."""
    control = tmp_path_factory.mktemp("platforms") / "requirements.txt"
    control.write_text("tensorflow-cpu>=2.18\n")
    with ThreadPoolExecutor(max_workers=len(CASES) + 1) as pool:
        jobs = {(platform.name, python): pool.submit(
                    resolve, ROOT / "pyproject.toml", platform, python,
                    ROOT / "constraints-local.txt")
                for platform, python in CASES}
        jobs["control"] = pool.submit(resolve, control, PLATFORMS[0], STUDENT_PYTHON)
        return {key: job.result() for key, job in jobs.items()}


def _check(resolved: dict[str, str] | None, error: str, platform: Platform, what: str) -> None:
    assert resolved is not None, f"{what} does not resolve on {platform.name}:\n{error}"
    assert resolved.get("torch") == platform.torch, (
        f"{what} on {platform.name}: torch {resolved.get('torch')}, expected {platform.torch}")
    other = "tensorflow" if platform.tensorflow == "tensorflow-cpu" else "tensorflow-cpu"
    assert platform.tensorflow in resolved and other not in resolved, (
        f"{what} on {platform.name} should get {platform.tensorflow} only, got "
        f"{sorted(n for n in resolved if n.startswith('tensorflow'))}")
    missing = {"jupyterlab", "ipykernel", "ipywidgets", "transformers", "kornia", "torchvision",
               "scikit-learn", "matplotlib"} - set(resolved)
    assert not missing, f"{what} on {platform.name} lacks {sorted(missing)}"
    if platform.torch.startswith("2.2."):  # built against NumPy 1
        assert resolved["numpy"].startswith("1."), f"{platform.name} needs NumPy 1"


@pytest.mark.parametrize("platform, python", CASES, ids=[f"{p.name}, Python {v}" for p, v in CASES])
def test_the_student_install_resolves(resolutions, platform, python):
    _check(*resolutions[platform.name, python], platform, f'pip install -e ".[labs]" (Python {python})')


def test_the_check_sees_a_package_without_wheels_for_a_platform(resolutions):
    resolved, error = resolutions["control"]
    assert resolved is None and "tensorflow-cpu" in error


def _canonical(requirement: str) -> str:
    return _normalise_name(re.sub(r"\s+", "", requirement.split("#")[0].replace('"', "'")))


def _normalise_name(requirement: str) -> str:
    name = re.match(r"[A-Za-z0-9_.\-]+", requirement).group(0)
    return _normalise(name) + requirement[len(name):]


def test_the_student_conda_environment_lists_what_pip_resolves():
    """The student's environment.yml: every requirement of the student install (the
    dependencies, the labs extra and the local pins, markers included) and nothing else,
    Python aside; so the resolutions above hold for it too."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    constraints = [line for line in (ROOT / "constraints-local.txt").read_text().splitlines()
                   if line.strip() and not line.startswith("#")]
    # torch and torchvision appear as ranges in pyproject and as pins in the constraints:
    # the environment lists the pins.
    pinned = {_normalise(re.match(r"[A-Za-z0-9_.\-]+", c).group(0)) for c in constraints}
    wanted = {_canonical(r) for r in [*project["dependencies"],
                                      *project["optional-dependencies"]["labs"]]
              if _normalise(re.match(r"[A-Za-z0-9_.\-]+", r).group(0)) not in pinned}
    wanted |= {_canonical(c) for c in constraints}
    environment = student_environment()
    listed = set()
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):
            listed |= {_canonical(r) for r in entry["pip"] if not r.startswith("-e")}
        elif not re.match(r"(python|pip)\b(?![-_])", entry):
            listed.add(_canonical(entry))
    assert listed == wanted, (f"only in pyproject/constraints: {sorted(wanted - listed)}; "
                              f"only in environment.yml: {sorted(listed - wanted)}")
    assert f"python={STUDENT_PYTHON}" in environment["dependencies"]
