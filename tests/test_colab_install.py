"""No notebook's install cell upgrades or downgrades anything that Colab preinstalls.

tests/colab_preinstalled.toml lists Colab's preinstalled packages and versions. A throw-away
environment holds nothing but their metadata (``*.dist-info`` folders), so that pip takes
them for installed without gigabytes of wheels; ``pip install --dry-run --report`` of each
install cell's requirements then tells what pip would install there. The install cell's
``ssl-lab @ git+https://github.com/<student repository>@<ref>`` is the student release,
built here from this tree and given to pip as a folder.

These tests need PyPI: pip reads the metadata of the packages it would add from it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
from support import ROOT

from scripts.release.build import assemble
from scripts.release.config import load_config
from scripts.release.notebooks import install_requirements

PREINSTALLED_FILE = ROOT / "tests" / "colab_preinstalled.toml"
# What aeon 1.6 asks for (numba < 0.64, hence numpy < 2.4): the install notebook 05 once ran.
CHANGING_REQUIREMENT = "aeon>=1.6,<1.7"


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _preinstalled() -> tuple[dict[str, str], dict[str, list[str]]]:
    document = tomllib.loads(PREINSTALLED_FILE.read_text())
    return document["packages"], document.get("requires", {})


def _pip_env() -> dict[str, str]:
    """This machine's pip settings without its configuration files and constraints, which
    would pin versions that Colab does not have."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PIP_CONSTRAINT", "PIP_REQUIRE_VIRTUALENV", "PIP_USER", "PIP_TARGET",
                          "PIP_PREFIX", "PIP_NO_INDEX", "PYTHONPATH")}
    return {**env, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def _pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True,
                          env=_pip_env())


@pytest.fixture(scope="module")
def fake_colab(tmp_path_factory) -> Path:
    """The python of an environment that holds only the metadata of Colab's packages."""
    folder = tmp_path_factory.mktemp("fake-colab")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    site = next(folder.glob("lib/python3*/site-packages"))
    packages, requires = _preinstalled()
    for name, version in packages.items():
        info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
                 *(f"Requires-Dist: {requirement}" for requirement in requires.get(name, []))]
        (info / "METADATA").write_text("\n".join(lines) + "\n")
        (info / "INSTALLER").write_text("pip\n")
        (info / "RECORD").write_text("")
    return folder / "bin" / "python"


def dry_run(python: Path, requirements: list[str], report: Path) -> list[tuple[str, str]]:
    """``(name, version)`` of every distribution pip would install for ``requirements``."""
    result = _pip("--python", str(python), "install", "--dry-run", "--quiet", "--no-input",
                  "--report", str(report), *requirements)
    if result.returncode != 0:
        pytest.fail(f"pip could not resolve {requirements} for the fake Colab environment (this "
                    f"test needs PyPI, where pip reads package metadata):\n{result.stderr[-3000:]}")
    return [(item["metadata"]["name"], item["metadata"]["version"])
            for item in json.loads(report.read_text())["install"]]


def changed_packages(installs: list[tuple[str, str]]) -> list[str]:
    """The preinstalled packages that an install would replace, as ``name old -> new``."""
    packages = {_normalise(name): version for name, version in _preinstalled()[0].items()}
    return [f"{name} {packages[_normalise(name)]} -> {version}" for name, version in installs
            if _normalise(name) in packages]


def test_pip_takes_the_fake_packages_for_installed(fake_colab):
    listed = _pip("--python", str(fake_colab), "list", "--format=json")
    assert listed.returncode == 0, listed.stderr
    seen = {_normalise(item["name"]): item["version"] for item in json.loads(listed.stdout)}
    assert seen == {_normalise(name): version for name, version in _preinstalled()[0].items()}


def test_no_install_cell_changes_a_preinstalled_package(fake_colab, tmp_path):
    config = load_config()
    release = assemble(tmp_path / "student", config)
    cells = {path.relative_to(release).as_posix(): nbformat.read(path, as_version=4).cells[0].source
             for path in sorted((release / "notebooks").glob("*/*.ipynb"))}
    by_requirements: dict[tuple[str, ...], list[str]] = {}
    for notebook, source in cells.items():
        by_requirements.setdefault(tuple(install_requirements(source)), []).append(notebook)
    for index, (requirements, notebooks) in enumerate(by_requirements.items()):
        assert config.install_requirement in requirements, f"{notebooks} do not install lab_utils"
        local = [f"ssl-lab @ {release.as_uri()}" if r == config.install_requirement else r
                 for r in requirements]
        installs = dry_run(fake_colab, local, tmp_path / f"report-{index}.json")
        changes = changed_packages(installs)
        assert not changes, (f"in Colab, the install cell of {notebooks} would change preinstalled "
                             f"packages: {', '.join(changes)}; Colab would need a restart and its "
                             "other packages may break")
        assert ("ssl-lab", "0.1.0") in {(_normalise(n), v) for n, v in installs}


def test_the_dry_run_sees_a_change_to_a_preinstalled_package(fake_colab, tmp_path):
    installs = dry_run(fake_colab, [CHANGING_REQUIREMENT], tmp_path / "report.json")
    changes = " ".join(changed_packages(installs))
    assert "numpy 2.4.6 -> 2.3" in changes and "numba 0.65.1 -> 0.63" in changes
