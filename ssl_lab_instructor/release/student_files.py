"""The files of the student repository that differ from this one's: README, pyproject.toml,
environment.yml and .gitignore. Each is derived from this repository's own, so that the two
cannot drift apart."""

from __future__ import annotations

import copy
import re
import string
import tomllib
from pathlib import Path

import nbformat

from .config import ROOT, ReleaseConfig

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Extras of this repository that students do not get (tests, grading, the instructor package).
INSTRUCTOR_EXTRAS = ("test",)
STUDENT_PACKAGES = ("lab_utils",)  # ssl_lab_instructor (grading, release, ...) stays here
_PACKAGE_LINE = re.compile(r"^\s*-\s*([A-Za-z0-9_.\-]+)")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    return _normalise(re.match(r"\s*([A-Za-z0-9_.\-]+)", requirement).group(1))


def instructor_only_packages(pyproject: dict) -> set[str]:
    """Packages only the instructor extras bring, by normalised name."""
    project = pyproject["project"]
    students = {_requirement_name(r) for r in project["dependencies"]}
    for extra, requirements in project["optional-dependencies"].items():
        if extra not in INSTRUCTOR_EXTRAS:
            students |= {_requirement_name(r) for r in requirements}
    instructors = {_requirement_name(r) for extra in INSTRUCTOR_EXTRAS
                   for r in project["optional-dependencies"].get(extra, [])}
    return instructors - students


# --------------------------------------------------------------------------- pyproject.toml
def _toml_value(value) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        inline = "[" + ", ".join(_toml_value(item) for item in value) + "]"
        if len(inline) <= 60:
            return inline
        return "[\n" + "".join(f"    {_toml_value(item)},\n" for item in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")


def _toml_tables(name: str, table: dict) -> list[list[str]]:
    """``[name]`` and its sub-tables, as blocks of lines; a table of tables gets no header."""
    values = [f"{key} = {_toml_value(value)}" for key, value in table.items() if not isinstance(value, dict)]
    blocks = [[f"[{name}]", *values]] if values else []
    for key, value in table.items():
        if isinstance(value, dict):
            blocks += _toml_tables(f"{name}.{key}", value)
    return blocks


def student_pyproject(pyproject: dict, config: ReleaseConfig) -> str:
    """This repository's pyproject without the instructor extras and tools, with the
    student repository's URLs."""
    project = dict(pyproject["project"])
    project["optional-dependencies"] = {
        extra: requirements for extra, requirements in project["optional-dependencies"].items()
        if extra not in INSTRUCTOR_EXTRAS
    }
    project["urls"] = {"Repository": config.url, "Release": f"{config.url}/tree/{config.ref}"}
    project.pop("entry-points", None)  # the grading sandbox's provisioner: instructor side only
    setuptools = copy.deepcopy(pyproject["tool"]["setuptools"])
    find = setuptools["packages"]["find"]
    find["include"] = [name for name in find["include"] if name.split(".")[0] in STUDENT_PACKAGES]
    setuptools["package-data"] = {name: files for name, files in setuptools.get("package-data", {}).items()
                                  if name.split(".")[0] in STUDENT_PACKAGES}
    document = {"build-system": pyproject["build-system"], "project": project,
                "tool": {"setuptools": setuptools}}
    header = ["# The course's helper package lab_utils and what the notebooks need.",
              '#   pip install -e ".[labs]"    (Colab installs it from its first cell)', ""]
    blocks = [block for name, table in document.items() for block in _toml_tables(name, table)]
    text = "\n".join(header + ["\n\n".join("\n".join(block) for block in blocks)]) + "\n"
    tomllib.loads(text)  # what we write must read back
    return text


# --------------------------------------------------------------------------- environment.yml
def student_environment(environment_text: str, drop: set[str]) -> str:
    """environment.yml without the packages in ``drop`` and with a student header."""
    lines = ["# Conda environment for running the notebooks locally:",
             "#   conda env create -f environment.yml && conda activate ssl-lab",
             "#   jupyter lab notebooks/"]
    for line in environment_text.splitlines():
        if line.startswith("#"):
            continue
        match = _PACKAGE_LINE.match(line)
        if match and _normalise(match.group(1)) in drop:
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- README
def notebook_title(path: Path) -> str:
    """The title of a notebook: the first heading of its title cell, without its number."""
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            heading = cell.source.splitlines()[0].removeprefix("# ")
            return heading.split(" · ", 1)[-1].strip()
    raise ValueError(f"{path} has no title heading")


def course_map(notebooks: list[Path], config: ReleaseConfig, root: Path) -> str:
    """A markdown table: number, title and Colab link of every notebook."""
    badge = "https://colab.research.google.com/assets/colab-badge.svg"
    rows = ["| # | notebook | open |", "| --- | --- | --- |"]
    for path in notebooks:
        relative = path.relative_to(root).as_posix()
        number = path.stem.split("_", 1)[0]
        rows.append(f"| {number} | [{notebook_title(path)}]({relative}) | "
                    f"[![Open In Colab]({badge})]({config.colab_url(relative)}) |")
    return "\n".join(rows)


def schedule(upcoming: int) -> str:
    """The README's word on the assignments of later releases (none: an empty string)."""
    if not upcoming:
        return ""
    more = "one more assignment follows" if upcoming == 1 else f"{upcoming} more assignments follow"
    return (f" The course releases its assignments one at a time: {more} in later releases of "
            "this repository, each with a new tag.")


def student_readme(notebooks: list[Path], config: ReleaseConfig, root: Path, upcoming: int = 0) -> str:
    template = string.Template((TEMPLATES / "README.md").read_text(encoding="utf-8"))
    return template.substitute(course_map=course_map(notebooks, config, root),
                               repository=config.repository, ref=config.ref, url=config.url,
                               schedule=schedule(upcoming))


def write_student_files(out: Path, config: ReleaseConfig, root: Path = ROOT, upcoming: int = 0) -> None:
    """Write README.md, pyproject.toml, environment.yml and .gitignore into ``out``.

    Args:
        root: where this repository's pyproject.toml and environment.yml are read (``out``
            itself when they were copied there: each is read before it is replaced).
        upcoming: how many assignments of the course this release does not hold yet.
    """
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    (out / "pyproject.toml").write_text(student_pyproject(pyproject, config), encoding="utf-8")
    environment = (root / "environment.yml").read_text(encoding="utf-8")
    (out / "environment.yml").write_text(
        student_environment(environment, instructor_only_packages(pyproject)), encoding="utf-8")
    notebooks = sorted((out / "notebooks").glob("*/*.ipynb"))
    (out / "README.md").write_text(student_readme(notebooks, config, out, upcoming), encoding="utf-8")
    (out / ".gitignore").write_text((TEMPLATES / "gitignore").read_text(encoding="utf-8"),
                                    encoding="utf-8")
