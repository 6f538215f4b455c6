"""The bubblewrap sandbox of a student's kernel, and the check that one can be made here.

Inside, the kernel sees:

- the operating system's programs and libraries (``/usr``, a few files of ``/etc``), the
  Python installation and environment, the course package ``lab_utils`` and the data
  caches, all read-only, at the paths they have outside;
- its home folder ``/home/student`` (the working folder ``/home/student/<assignment>``
  holding a copy of the notebooks), ``/tmp`` and ``/dev/shm``: size-limited tmpfs
  mounts that vanish with the sandbox;
- ``/run/kernel``, where it creates its zmq sockets. The grader reaches them through
  ``/proc/<pid>/root``, so nothing of the sandbox is ever mounted outside it.

It does not see the rest of the course directory (``solutions/``, ``tests/``, the gradebook,
``submitted/``, ``autograded/``), other processes (own pid namespace), the network (own
network namespace: only a loopback device) or the grader's environment variables.
bubblewrap needs unprivileged user namespaces (or root).
"""

from __future__ import annotations

import glob
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

SANDBOX_HOME = "/home/student"
SANDBOX_STAGE = "/run/grading"  # read-only: the connection file and the files to copy in
SANDBOX_SOCKETS = "/run/kernel"  # the kernel binds its zmq sockets here
ETC_FILES = ["ld.so.cache", "ld.so.conf", "ld.so.conf.d", "passwd", "group", "nsswitch.conf",
             "hosts", "localtime", "fonts", "alternatives", "ssl", "mime.types", "matplotlibrc"]
TOP_LEVEL_LINKS = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"]

HOW_TO_GET_A_SANDBOX = """\
Student code must run in a sandbox, and none can be made here:
  {reason}
To fix it:
  - install bubblewrap: `sudo apt-get install bubblewrap` (Debian, Ubuntu),
    `sudo dnf install bubblewrap` (Fedora, RHEL), `sudo pacman -S bubblewrap` (Arch);
  - bubblewrap needs user namespaces: on Debian 10 and older
    `sudo sysctl -w kernel.unprivileged_userns_clone=1`; on Ubuntu 23.10 and newer the
    bubblewrap package's AppArmor profile allows it (else
    `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`); check
    `sysctl user.max_user_namespaces` is above 0; in a Docker container, start it with
    `--security-opt seccomp=unconfined --security-opt apparmor=unconfined` or grade on the host;
  - test it with: `bwrap --unshare-all --ro-bind / / true`.
Or grade WITHOUT a sandbox with --unsafe (make grade ... GRADE_ARGS=--unsafe): every
student's code then runs with your rights and can read the answers and write the gradebook.
"""


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made on this machine; the message says how to get one."""


@dataclass(frozen=True)
class SandboxSpec:
    """Where things are, outside, that the kernel must see read-only."""

    read_only: tuple[str, ...]  # absolute paths, mounted at the same place
    disk_bytes: int
    extra_env: dict[str, str] = field(default_factory=dict)


def check_bubblewrap(bwrap: str = "bwrap") -> str:
    """The path of a working bubblewrap, or raise :class:`SandboxUnavailable`."""
    path = shutil.which(bwrap)
    if path is None:
        raise SandboxUnavailable(HOW_TO_GET_A_SANDBOX.format(reason=f"`{bwrap}` is not installed"))
    probe = [path, "--unshare-all", "--unshare-user", "--die-with-parent", "--ro-bind", "/", "/",
             "--proc", "/proc", "--size", "1048576", "--tmpfs", "/tmp", "true"]
    try:
        result = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SandboxUnavailable(HOW_TO_GET_A_SANDBOX.format(reason=f"{path} failed: {error}")) from error
    if result.returncode != 0:
        reason = f"`{' '.join(probe)}` failed: {result.stderr.strip() or result.returncode}"
        raise SandboxUnavailable(HOW_TO_GET_A_SANDBOX.format(reason=reason))
    return path


def _supports(bwrap: str, option: str) -> bool:
    help_text = subprocess.run([bwrap, "--help"], capture_output=True, text=True).stdout
    return option in help_text


def _system_mounts() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in TOP_LEVEL_LINKS:
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", str(path.readlink()), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ETC_FILES:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return args


def bwrap_argv(bwrap: str, spec: SandboxSpec, stage: Path, workdir_name: str, info_fd: int) -> list[str]:
    """The bubblewrap words that wrap the kernel command.

    Args:
        stage: a folder outside, mounted read-only at ``SANDBOX_STAGE``.
        workdir_name: the working folder's name under the home folder (the assignment).
        info_fd: the descriptor bubblewrap writes its JSON info (the sandbox's pid) to.
    """
    tmp_bytes = max(spec.disk_bytes // 4, 16 * 1024**2)
    args = [bwrap, "--unshare-all", "--unshare-user", "--die-with-parent",
            "--uid", "1000", "--gid", "1000", "--hostname", "grading", "--cap-drop", "ALL"]
    if _supports(bwrap, "--disable-userns"):
        args.append("--disable-userns")  # no nested namespaces: less kernel attack surface
    args += _system_mounts()
    args += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(spec.disk_bytes), "--tmpfs", "/home",
             "--size", str(tmp_bytes), "--tmpfs", "/tmp",
             "--size", str(tmp_bytes), "--tmpfs", "/dev/shm",
             "--size", str(1024**2), "--tmpfs", "/run",
             "--dir", SANDBOX_SOCKETS,
             "--ro-bind", str(stage), SANDBOX_STAGE]
    for path in spec.read_only:
        args += ["--ro-bind", path, path]
    for device in sorted(glob.glob("/dev/nvidia*")):  # the GPU, for PROFILE=gpu on a CUDA machine
        args += ["--dev-bind", device, device]
    args += ["--chdir", "/", "--info-fd", str(info_fd)]
    return args


def startup_command(kernel_argv: list[str], home: str, workdir: str) -> list[str]:
    """Copy the staged home folder into the sandbox's tmpfs, enter the workdir, start the kernel."""
    script = f'cp -R {SANDBOX_STAGE}/home/. "{home}"/ && cd "{workdir}" && exec "$@"'
    return ["/bin/sh", "-c", script, "sh", *kernel_argv]
