"""In Colab, a notebook's install cell installs the course package and the few libraries
Colab lacks, and nothing else: no preinstalled package is upgraded, downgraded or joined by
another.

tests/colab_preinstalled.toml lists Colab's preinstalled packages and versions, its Python
and Jupyter stack included, with every package's own ``Requires-Dist``. A throw-away
environment of Colab's Python (3.12) holds nothing but their metadata (``*.dist-info``
folders), so that pip takes them for installed without gigabytes of wheels; ``pip install
--dry-run --report`` of each install cell's requirements, and of each pip command the student
README gives for Colab, then tells what pip would install there. The install cell's
``ssl-lab @ git+https://github.com/<student repository>@<ref>`` is the student release,
built here from this tree and given to pip as a folder.

These tests need PyPI: pip reads the metadata of the packages it would add from it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import colab_refresh
import nbformat
import pytest
from support import ROOT

from ssl_lab_instructor.release.build import assemble
from ssl_lab_instructor.release.config import load_config
from ssl_lab_instructor.release.notebooks import install_requirements

PREINSTALLED_FILE = ROOT / "tests" / "colab_preinstalled.toml"
# All that an install in Colab may add: the course package and what it needs that Colab lacks.
MAY_INSTALL = {"ssl-lab", "kornia", "kornia-rs"}
# A probe that upgrades Colab's kernel, as the labs extra (JupyterLab's stack) once would.
CHANGING_REQUIREMENT = "ipykernel>=7"


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _document() -> dict:
    return tomllib.loads(PREINSTALLED_FILE.read_text(encoding="utf-8"))


def _preinstalled() -> tuple[dict[str, str], dict[str, list[str]]]:
    """Every preinstalled package's version and ``Requires-Dist``, by normalised name."""
    document = _document()
    packages = {**document["colab"], **document["dependencies"]}
    requires = {**document["requires"], **document["colab-requires"]}
    return ({_normalise(n): v for n, v in packages.items()},
            {_normalise(n): r for n, r in requires.items()})


def colab_interpreter() -> str:
    """A Python of Colab's version on this machine (pip resolves markers with it)."""
    try:
        return colab_refresh.colab_interpreter(_document()["python"])
    except colab_refresh.NoColabPythonError as error:
        pytest.fail(f"the Colab check needs it: {error}")


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
    subprocess.run([colab_interpreter(), "-m", "venv", "--without-pip", str(folder)], check=True)
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


def unexpected_installs(installs: list[tuple[str, str]]) -> list[str]:
    """What an install would do beyond adding :data:`MAY_INSTALL`: ``name old -> new`` for a
    preinstalled package it replaces, ``name version (new)`` for any other package."""
    packages = _preinstalled()[0]
    found = []
    for name, version in installs:
        name = _normalise(name)
        if name in packages:
            found.append(f"{name} {packages[name]} -> {version}")
        elif name not in MAY_INSTALL:
            found.append(f"{name} {version} (new)")
    return found


def test_pip_takes_the_fake_packages_for_installed_in_colabs_python(fake_colab):
    listed = _pip("--python", str(fake_colab), "list", "--format=json")
    assert listed.returncode == 0, listed.stderr
    seen = {_normalise(item["name"]): item["version"] for item in json.loads(listed.stdout)}
    assert seen == _preinstalled()[0]
    version = subprocess.run([str(fake_colab), "-c", "import sys; print(sys.version)"],
                             capture_output=True, text=True, check=True).stdout
    assert version.startswith(_document()["python"] + "."), version


def test_the_fake_colab_holds_its_python_and_jupyter_stack_with_their_requirements():
    packages, requires = _preinstalled()
    stack = {"ipython", "ipykernel", "jupyter-client", "jupyter-core", "ipywidgets", "notebook",
             "tornado", "traitlets", "pyzmq", "google-colab"}
    assert stack <= set(packages), sorted(stack - set(packages))
    assert set(requires) == set(packages), sorted(set(packages) ^ set(requires))
    assert "ipython>=7.23.1" in requires["ipykernel"]  # ipykernel's own metadata
    assert "ipykernel==6.17.1" in requires["google-colab"]
    from packaging.requirements import Requirement

    colab = {"python_version": _document()["python"], "python_full_version": _document()["python"] + ".0",
             "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
             "os_name": "posix", "extra": ""}
    needed = {_normalise(parsed.name) for requirements in requires.values()
              for parsed in map(Requirement, requirements)
              if parsed.marker is None or parsed.marker.evaluate(colab)}
    assert needed <= set(packages), (f"preinstalled packages need {sorted(needed - set(packages))}, "
                                     "which the list lacks: run tests/colab_refresh.py")


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
        unexpected = unexpected_installs(installs)
        assert not unexpected, (
            f"in Colab, the install cell of {notebooks} would install more than "
            f"{sorted(MAY_INSTALL)}: {', '.join(unexpected)}; a changed package needs a restart "
            "of Colab's runtime and may break its other packages")
        assert ("ssl-lab", "0.1.0") in {(_normalise(n), v) for n, v in installs}


def colab_commands(readme: str) -> list[list[str]]:
    """The pip commands of the student README's Colab section (``!pip``/``%pip`` too)."""
    section = readme.split("## In Colab", 1)[1].split("\n## ", 1)[0]
    commands = []
    for line in section.splitlines():
        line = line.strip().strip("`").lstrip("!%")
        if re.match(r"(python -m )?pip3? install\b", line):
            words = shlex.split(line)
            commands.append(words[words.index("install") + 1:])
    return commands


def test_the_student_readmes_colab_commands_install_nothing_preinstalled(fake_colab, tmp_path):
    release = assemble(tmp_path / "student", load_config())
    readme = (release / "README.md").read_text(encoding="utf-8")
    assert "## In Colab" in readme and "Run the first cell" in readme
    for index, arguments in enumerate(colab_commands(readme)):
        requirements = [a for a in arguments if not a.startswith("-")]
        installs = dry_run(fake_colab, requirements, tmp_path / f"readme-{index}.json")
        assert not unexpected_installs(installs), (arguments, unexpected_installs(installs))


def test_the_readme_commands_are_read_from_the_colab_section_only():
    readme = ("## In Colab\n\nRun the first cell.\n`!pip install kornia`\n\n"
              "## On your computer\n\n```bash\npip install -e \".[labs]\"\n```\n")
    assert colab_commands(readme) == [["kornia"]]


def test_the_dry_run_fails_an_install_that_upgrades_the_kernel(fake_colab, tmp_path):
    installs = dry_run(fake_colab, [CHANGING_REQUIREMENT], tmp_path / "report.json")
    unexpected = " ".join(unexpected_installs(installs))
    assert "ipykernel 6.17.1 -> 7." in unexpected, unexpected


def test_a_package_colab_lacks_is_unexpected_unless_named():
    assert unexpected_installs([("kornia", "0.9.0"), ("ssl_lab", "0.1.0")]) == []
    assert unexpected_installs([("jupyterlab", "4.6.6")]) == ["jupyterlab 4.6.6 (new)"]
