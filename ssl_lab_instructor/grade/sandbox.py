"""The bubblewrap sandbox of a student's kernel, and the check that one can be made here.

Inside, the kernel sees:

- the operating system's programs and libraries (``/usr``, a few files of ``/etc``), the
  Python installation and environment, the course package ``lab_utils`` and the data
  caches, all read-only, at the paths they have outside; the symbolic links on the way to
  the interpreter (a virtual environment reached through a link) are made again inside;
- over the data cache, a writable layer of its own that vanishes with the sandbox: the
  cached files stay read-only, and what the kernel adds (an archive decoded into ``.npz``
  on a machine whose cache is empty) is written to a size-limited tmpfs, never outside;
- its home folder ``/home/student`` (the working folder ``/home/student/<assignment>``
  holding a copy of the notebooks), ``/tmp`` and ``/dev/shm``: size-limited tmpfs
  mounts that vanish with the sandbox;
- ``/run/kernel``, where it creates its zmq sockets. The grader reaches them through
  ``/proc/<pid>/root``, so nothing of the sandbox is ever mounted outside it.

It does not see the rest of the course directory (``solutions/``, ``tests/``, the gradebook,
``submitted/``, ``autograded/``), the instructor package (hidden under an empty folder where
it is installed into the mounted environment), other processes (own pid namespace), the network (own
network namespace: only a loopback device) or the grader's environment variables.
bubblewrap needs unprivileged user namespaces (or root).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

SANDBOX_HOME = "/home/student"
SANDBOX_STAGE = "/run/grading"  # read-only: the connection file and the files to copy in
SANDBOX_SOCKETS = "/run/kernel"  # the kernel binds its zmq sockets here
ETC_FILES = ["ld.so.cache", "ld.so.conf", "ld.so.conf.d", "passwd", "group", "nsswitch.conf",
             "hosts", "localtime", "fonts", "alternatives", "ssl", "mime.types", "matplotlibrc"]
TOP_LEVEL_LINKS = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"]
OWN_FOLDERS = ("/home", "/tmp", "/run", "/dev", "/proc")  # the sandbox's own mounts
MAX_LINKS = 40  # as the kernel's own limit on links followed while resolving one path
DEFAULT_WRITABLE_BYTES = 2 * 1024**3  # the decoded data sets of the largest notebook fit

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
    # folders (among the read-only ones) the kernel may add files to, in a layer of its own
    writable: tuple[str, ...] = ()
    writable_bytes: int = DEFAULT_WRITABLE_BYTES  # size of each such layer
    # folders inside the read-only ones that the kernel must not see (the instructor package,
    # when it is installed into the mounted environment): each becomes an empty read-only folder
    hidden: tuple[str, ...] = ()
    # paths used inside as they are written outside: the interpreter the kernel is started
    # with is the grader's own, possibly reached through symbolic links
    links: tuple[str, ...] = (sys.executable,)


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
    for path in spec.writable:
        args += writable_layer(path, spec.writable_bytes)
    for path in spec.hidden:
        args += ["--size", "4096", "--tmpfs", path, "--remount-ro", path]
    args += link_mounts(spec.links, [*spec.read_only, "/usr", "/etc", "/proc", "/dev"])
    for device in sorted(glob.glob("/dev/nvidia*")):  # the GPU, for PROFILE=gpu on a CUDA machine
        args += ["--dev-bind", device, device]
    args += ["--chdir", "/", "--info-fd", str(info_fd)]
    return args


def writable_layer(folder: str, size_bytes: int) -> list[str]:
    """bubblewrap words that put a writable tmpfs at ``folder``, holding its files read-only.

    Every folder under it is made again in the tmpfs (so new files can go anywhere) and
    every file is bound read-only at its place: the kernel reads what is cached, adds what
    is missing, and nothing it writes reaches the folder outside. (bubblewrap 0.8, the
    version of current Debian and Ubuntu LTS, has no overlay mounts.)
    """
    root = Path(folder)
    args = ["--size", str(size_bytes), "--tmpfs", folder]
    for top, dirs, files in os.walk(root):  # links are not followed: a linked entry is bound as it is
        dirs.sort()
        for name in dirs:
            inside = Path(top) / name
            args += ["--ro-bind", str(inside), str(inside)] if inside.is_symlink() else ["--dir", str(inside)]
        dirs[:] = [d for d in dirs if not (Path(top) / d).is_symlink()]
        for name in sorted(files):
            args += ["--ro-bind", str(Path(top) / name), str(Path(top) / name)]
    return args


def symbolic_links(path: str) -> list[tuple[str, str]]:
    """Every symbolic link met while resolving ``path``, as ``(where, what it holds)``, in order."""
    found: list[tuple[str, str]] = []
    current = Path(os.path.abspath(path))
    for _ in range(MAX_LINKS):
        prefix = Path("/")
        for index, part in enumerate(current.parts[1:], start=1):
            prefix = prefix / part
            if prefix.is_symlink():
                target = os.readlink(prefix)
                found.append((str(prefix), target))
                rest = current.parts[index + 1:]
                current = Path(os.path.normpath(prefix.parent / target)).joinpath(*rest)
                break
        else:
            return found
    raise ValueError(f"{path} goes through more than {MAX_LINKS} symbolic links")


def link_mounts(paths: tuple[str, ...] | list[str], visible: list[str]) -> list[str]:
    """bubblewrap words that make again the symbolic links on the way to each of ``paths``.

    The sandbox mounts resolved folders; a kernel started as ``/srv/venv/bin/python`` where
    ``/srv/venv`` links to ``/opt/envs/course`` needs the link too (Python finds its virtual
    environment from the path it was started with). Links inside a mounted folder
    (``visible``) are there already.
    """
    args: list[str] = []
    made: set[str] = set()
    for path in paths:
        for where, target in symbolic_links(path):
            if where in OWN_FOLDERS:
                raise SandboxUnavailable(
                    f"{path} goes through the symbolic link {where}, a folder the sandbox makes its own: "
                    f"start the grader with the interpreter's resolved folder, "
                    f"{os.path.realpath(os.path.dirname(path))}/{os.path.basename(path)}")
            shown = any(Path(where).is_relative_to(folder) for folder in visible)
            if not shown and where not in made and where.strip("/") not in TOP_LEVEL_LINKS:
                args += ["--symlink", target, where]
                made.add(where)
    return args


def startup_command(kernel_argv: list[str], home: str, workdir: str) -> list[str]:
    """Copy the staged home folder into the sandbox's tmpfs, enter the workdir, start the kernel."""
    script = f'cp -R {SANDBOX_STAGE}/home/. "{home}"/ && cd "{workdir}" && exec "$@"'
    return ["/bin/sh", "-c", script, "sh", *kernel_argv]
