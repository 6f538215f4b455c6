"""The course's two commands, on any system with Python 3.11 or newer (no make needed):

    python -m ssl_lab labs [JupyterLab options]   # install what is missing, open the labs
    python -m ssl_lab test [pytest options]       # install what is missing, run the tests
    python -m ssl_lab install                     # only install

The first call creates the virtual environment ``.venv`` and installs the course into it
with ``pip install -c constraints-local.txt -e ".[labs,test]"``; later calls install nothing
unless pyproject.toml or constraints-local.txt changed. On Linux and Windows without an
NVIDIA GPU, torch and torchvision come from PyTorch's CPU wheel index first: a venv of about
3.5 GB instead of 8.1 GB, without the CUDA libraries such a machine cannot use (README). ``--torch-index``
(or ``$SSL_LAB_TORCH_INDEX``) chooses another index; ``default`` keeps pip's own.

Only the standard library is used here: this file runs before anything is installed. The
Makefile calls it too (``make labs``, ``make test``). The student release ships it as well,
with ``labs`` and ``install`` (it has no tests).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path, PurePath

ROOT = Path(__file__).resolve().parent
CPU_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
TORCH_INDEX_ENV_VAR = "SSL_LAB_TORCH_INDEX"
STAMP_NAME = ".install-stamp"
# Installing again when one of these is newer than the stamp.
INSTALL_INPUTS = ("pyproject.toml", "constraints-local.txt")
# The extras installed, of those the course's pyproject.toml declares: the student release
# declares `labs` only (it has no tests to run).
EXTRAS = ("labs", "test")


class InstallError(RuntimeError):
    """A step of the installation failed; the message says which and what to do."""


def venv_python(venv: PurePath, windows: bool) -> PurePath:
    """The interpreter of a virtual environment: ``Scripts\\python.exe`` on Windows."""
    return venv / "Scripts" / "python.exe" if windows else venv / "bin" / "python"


def venv_bin(venv: PurePath, windows: bool) -> PurePath:
    """The folder of a virtual environment's commands (jupyter, alembic, ...)."""
    return venv_python(venv, windows).parent


def has_nvidia_gpu() -> bool:
    """Whether an NVIDIA driver is installed (its tool on PATH, or Linux's driver file)."""
    return shutil.which("nvidia-smi") is not None or Path("/proc/driver/nvidia/version").exists()


def default_torch_index(system: str, nvidia: bool) -> str | None:
    """The index torch comes from: PyTorch's CPU wheels on Linux and Windows without an
    NVIDIA GPU; pip's own index elsewhere (macOS wheels there are CPU and Apple GPU builds,
    and a CUDA machine wants the CUDA build)."""
    return CPU_TORCH_INDEX if system in ("Linux", "Windows") and not nvidia else None


def needs_install(venv: Path, root: Path = ROOT, windows: bool = os.name == "nt") -> bool:
    """True when the venv lacks Python or the course, or an install input changed since."""
    stamp = venv / STAMP_NAME
    if not Path(venv_python(venv, windows)).exists() or not stamp.exists():
        return True
    return any((root / name).stat().st_mtime > stamp.stat().st_mtime for name in INSTALL_INPUTS)


def course_extras(root: Path | None = None) -> str:
    """The extras to install, as pip writes them (``labs,test``): those of EXTRAS that
    ``root/pyproject.toml`` declares (root: this file's folder by default)."""
    declared = tomllib.loads(((root or ROOT) / "pyproject.toml").read_text(encoding="utf-8"))["project"].get(
        "optional-dependencies", {})
    return ",".join(extra for extra in EXTRAS if extra in declared)


def install_commands(python: PurePath, torch_index: str | None, root: Path = ROOT) -> list[list[str]]:
    """The commands that install the course into the venv of ``python``, in order."""
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    constraints = ["-c", str(root / "constraints-local.txt")]
    commands = [[*pip, "--upgrade", "pip"]]
    if torch_index is not None:
        # torch and torchvision alone from that index; their dependencies come with the rest.
        commands.append([*pip, *constraints, "--no-deps", "--index-url", torch_index,
                         "torch", "torchvision"])
    commands.append([*pip, *constraints, "-e", f"{root}[{course_extras(root)}]"])
    commands.append([str(python), "-m", "ipykernel", "install", "--sys-prefix", "--name",
                     "python3"])
    return commands


def _run(command: list[str], what: str) -> None:
    print("+", " ".join(command), flush=True)
    if subprocess.run(command).returncode != 0:
        hint = ""
        if "--index-url" in command:
            hint = (f"; if that index cannot be reached from here, install torch from pip's "
                    f"own index with --torch-index default (or {TORCH_INDEX_ENV_VAR}=default)")
        raise InstallError(f"{what} failed (the command above){hint}; fix what it printed "
                           "and run the same command again")


def install(venv: Path, torch_index: str | None, force: bool = False) -> Path:
    """Create ``venv`` and install the course into it when needed; return its Python."""
    windows = os.name == "nt"
    python = Path(venv_python(venv, windows))
    if not force and not needs_install(venv, windows=windows):
        return python
    if not python.exists():
        _run([sys.executable, "-m", "venv", str(venv)], f"creating the virtual environment {venv}")
    where = torch_index or "pip's default index"
    print(f"installing the course into {venv} (torch from {where})", flush=True)
    for command in install_commands(python, torch_index):
        _run(command, "installing torch" if "torch" in command else "installing the course")
    (venv / STAMP_NAME).touch()
    return python


def child_environment(venv: Path, windows: bool = os.name == "nt") -> dict[str, str]:
    """The environment of the labs and tests: the venv's commands first on PATH (nbgrader's
    alembic, jupyter), and missing Apple GPU operators run on the CPU."""
    path = str(venv_bin(venv, windows)) + os.pathsep + os.environ.get("PATH", "")
    return {**os.environ, "PATH": path, "PYTORCH_ENABLE_MPS_FALLBACK":
            os.environ.get("PYTORCH_ENABLE_MPS_FALLBACK", "1")}


def command_for(action: str, python: PurePath, extra: list[str], as_root: bool | None = None) -> list[str]:
    """What ``labs`` (JupyterLab serving notebooks/) and ``test`` (pytest) run inside the venv.

    JupyterLab refuses to start as root ("Running as root is not recommended") unless told
    --allow-root; containers and CI images often run as root, so the flag is added there.
    """
    if action == "test":
        return [str(python), "-m", "pytest", *extra]
    if action != "labs":
        raise ValueError(f"unknown action {action!r}: choose labs or test")
    if as_root is None:
        as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    return [str(python), "-m", "jupyterlab", str(ROOT / "notebooks"),
            *(["--allow-root"] if as_root else []), *extra]


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(prog="python -m ssl_lab", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     allow_abbrev=False)
    parser.add_argument("action", choices=("labs", "test", "install"))
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv",
                        help="the virtual environment (default: .venv in the repository)")
    parser.add_argument("--torch-index", default=os.environ.get(TORCH_INDEX_ENV_VAR) or None,
                        help="where torch comes from: an index URL, or 'default' for pip's own "
                             "(default: PyTorch's CPU wheels on Linux and Windows without an "
                             "NVIDIA GPU, pip's own index elsewhere)")
    parser.add_argument("--no-install", action="store_true",
                        help="use the venv as it is (make has installed it already)")
    parser.add_argument("--force-install", action="store_true", help="install even if done")
    # Everything after the known options goes to JupyterLab or pytest.
    return parser.parse_known_args(argv)


def main(argv: list[str] | None = None) -> int:
    options, extra = parse(sys.argv[1:] if argv is None else argv)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    if options.action == "test" and "test" not in course_extras().split(","):
        print(f"error: {ROOT} is the student release of the course, which has no tests: "
              "run `python -m ssl_lab labs`", file=sys.stderr)
        return 1
    venv = options.venv.resolve()
    if options.torch_index == "default":
        index = None
    elif options.torch_index is not None:
        index = options.torch_index
    else:
        index = default_torch_index(platform.system(), has_nvidia_gpu())
    try:
        if options.no_install:
            python = Path(venv_python(venv, os.name == "nt"))
            if not python.exists():
                raise InstallError(f"{python} does not exist: drop --no-install to create it")
        else:
            python = install(venv, index, force=options.force_install)
    except InstallError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if options.action == "install":
        return 0
    # Run from the repository, as make does: pytest's configuration lives here.
    try:
        return subprocess.run(command_for(options.action, python, extra), cwd=ROOT,
                              env=child_environment(venv)).returncode
    except KeyboardInterrupt:  # Ctrl-C reached JupyterLab or pytest too, which stopped
        return 130


if __name__ == "__main__":
    sys.exit(main())

