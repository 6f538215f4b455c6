"""Packaging stays consistent: environment.yml and pyproject list the same packages, and
every notebook's Colab cell and badge point at the repository named in pyproject."""

import re
import tomllib

import nbformat
import yaml
from support import ROOT

NAME = re.compile(r"^\s*([A-Za-z0-9_.\-]+)")


def _name(requirement: str) -> str:
    return NAME.match(requirement).group(1).lower().replace("_", "-")


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = _pyproject()["project"]
    declared = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        declared |= {_name(r) for r in extra}
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed = set()
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):
            listed |= {_name(r) for r in entry["pip"] if not r.startswith("-e")}
        elif not entry.startswith(("python", "pip")) or entry.startswith("pip:"):
            listed.add(_name(entry))
    assert declared == listed, (
        f"only in pyproject: {sorted(declared - listed)}; only in environment.yml: {sorted(listed - declared)}"
    )


def test_local_installs_pin_the_torch_the_course_is_tested_with():
    pins = (ROOT / "constraints-local.txt").read_text()
    assert "torch==2.14.1" in pins and "torchvision==0.29.1" in pins
    environment = (ROOT / "environment.yml").read_text()
    assert "torch==2.14.1" in environment and "torchvision==0.29.1" in environment


def test_colab_never_reinstalls_its_preinstalled_frameworks():
    for requirement in _pyproject()["project"]["dependencies"]:
        if _name(requirement) in {"torch", "torchvision", "tensorflow", "transformers"}:
            assert "==" not in requirement, f"{requirement} would force a reinstall in Colab"


def test_every_notebook_installs_from_and_links_to_this_repository_at_main():
    """The instructor's own notebooks point here; `make release` points the student copies at
    the student repository (tests/test_release.py)."""
    from ssl_lab_instructor.release.notebooks import install_requirements

    repository = _pyproject()["project"]["urls"]["Repository"]
    slug = repository.removeprefix("https://github.com/")
    for folder in ("solutions", "notebooks"):
        for path in sorted((ROOT / folder).glob("*/*.ipynb")):
            cells = nbformat.read(path, as_version=4).cells
            assert "google.colab" in cells[0].source, path
            assert install_requirements(cells[0].source) == [f"ssl-lab @ git+{repository}@main"], path
            badge = f"colab.research.google.com/github/{slug}/blob/main/notebooks/{path.parent.name}/{path.name}"
            assert badge in cells[1].source, f"{path}: the Colab badge must link to {badge}"


def test_the_setup_cell_says_how_to_keep_downloads_on_google_drive():
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        setup = nbformat.read(path, as_version=4).cells[0].source
        assert "SSL_LAB_CACHE_DIR" in setup and "HF_HOME" in setup and "Drive" in setup, path


def test_data_readme_lists_every_file_checksum_and_pinned_model():
    """data/README.md is where users look up sources; it must name what the code checks."""
    from lab_utils import datasets, pretrained, timeseries

    readme = (ROOT / "data" / "README.md").read_text()
    remote = [*datasets.MNIST_FILES.values(), datasets.CIFAR10_OFFICIAL, datasets.CIFAR10_JPEG_ARCHIVE,
              *timeseries.UCR_FILES.values()]
    for file in remote:
        assert f"`{file.name}`" in readme and file.sha256 in readme, f"data/README.md: {file.name}"
    for spec in pretrained.MODELS.values():
        assert f"`{spec.name}`" in readme and spec.revision in readme, f"data/README.md: {spec.name}"


def test_every_file_the_instructor_package_reads_is_installed_with_it():
    """A non-editable `pip install .` carries only the package data pyproject names: the
    sandboxed kernelspec, the grading machines' files and the release templates must be in it."""
    import subprocess
    from fnmatch import fnmatch

    setuptools = _pyproject()["tool"]["setuptools"]
    assert {"ssl_lab_instructor", "ssl_lab_instructor.*"} <= set(setuptools["packages"]["find"]["include"])
    patterns = setuptools["package-data"]["ssl_lab_instructor"]
    tracked = subprocess.run(["git", "ls-files", "ssl_lab_instructor"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    data = [name.removeprefix("ssl_lab_instructor/") for name in tracked if not name.endswith(".py")]
    assert "grade/kernelspecs/ssl-lab-sandboxed/kernel.json" in data
    missing = [name for name in data if not any(fnmatch(name, pattern) for pattern in patterns)]
    assert not missing, f"add to [tool.setuptools.package-data] ssl_lab_instructor: {missing}"
    entry = _pyproject()["project"]["entry-points"]["jupyter_client.kernel_provisioners"]["ssl-lab-sandbox"]
    module, _, name = entry.partition(":")
    import importlib

    assert getattr(importlib.import_module(module), name).__module__ == module
