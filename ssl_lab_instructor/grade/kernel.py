"""The student's kernel inside the sandbox: a jupyter kernel provisioner and its kernel manager.

The kernel talks zmq over unix sockets (``transport = "ipc"``) that it creates in its own
``/run/kernel``; the grader reaches them through ``/proc/<sandbox pid>/root``. TCP would
not do: the kernel has its own network namespace, so the grader's localhost is not its own.
The kernel's code can replace anything under its ``/run``, so the grader opens each socket
once, as soon as the kernel made it and before any of the student's code ran, without
following a link (``O_PATH | O_NOFOLLOW``, component by component), and connects, then and
on every reconnection, through that open file: never again through a path of the sandbox.
Every zmq socket of the grader refuses a single message above ``message_bytes``.
"""

from __future__ import annotations

import json
import os
import select
import stat
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import zmq
import zmq.asyncio
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import default

from .sandbox import (
    SANDBOX_HOME,
    SANDBOX_SOCKETS,
    SANDBOX_STAGE,
    SandboxSpec,
    bwrap_argv,
    startup_command,
)

LOG_TAIL_BYTES = 16 * 1024
SANDBOX_START_TIMEOUT_S = 60


class SandboxStartError(RuntimeError):
    """The sandbox could not start (a problem of the grading machine, not of the submission)."""


@dataclass
class LaunchPlan:
    """How to start one kernel."""

    python: str
    job_dir: Path  # the worker's folder for this submission (outside the sandbox)
    workdir_name: str  # the working folder under the home folder: the assignment's name
    env: dict[str, str]
    limit_prefix: list[str] = field(default_factory=list)
    bwrap: str | None = None  # None: no sandbox (--unsafe)
    sandbox: SandboxSpec | None = None
    message_bytes: int = 64 * 1024**2

    @property
    def stage(self) -> Path:
        """Read-only inside the sandbox: the kernel's connection file and its home's first files."""
        return self.job_dir / "stage"


def _limited_context(message_bytes: int) -> zmq.asyncio.Context:
    context = zmq.asyncio.Context()
    context.setsockopt(zmq.MAXMSGSIZE, message_bytes)
    return context


KERNEL_NAME = "ssl-lab-sandboxed"  # the kernelspec that names the provisioner below
PROVISIONER_NAME = "ssl-lab-sandbox"  # its entry point in jupyter_client.kernel_provisioners
KERNELSPECS = Path(__file__).resolve().parent / "kernelspecs"


class SandboxProvisioner(LocalProvisioner):
    """A ``jupyter_client`` kernel provisioner: the kernel runs in the sandbox, under the limits.

    Registered as ``ssl-lab-sandbox`` (entry point group ``jupyter_client.kernel_provisioners``)
    and named by the ``ssl-lab-sandboxed`` kernelspec. Its kernel manager must be a
    :class:`SandboxedKernelManager`, which carries the :class:`LaunchPlan` the trusted grader
    made (mounts, limits, environment): a kernel started any other way is refused.
    """

    async def pre_launch(self, **kwargs):
        km = self.parent
        if not isinstance(km, SandboxedKernelManager):
            raise SandboxStartError(
                f"the {KERNEL_NAME} kernel is started by the course's grader only (nbgrader autograde, the "
                "formgrader, make grade), which gives it its sandbox and limits; use python3 to work")
        return await super().pre_launch(**kwargs)

    async def launch_kernel(self, cmd: list[str], **kwargs):
        km: SandboxedKernelManager = self.parent
        plan = km.plan
        process = self._launch_unsandboxed(km) if plan.bwrap is None else self._launch_sandboxed(km)
        km.process = process
        # the parent kills this group if the worker itself must be killed (time limit)
        (plan.job_dir / "kernel.pgid").write_text(str(os.getpgid(process.pid)))
        self.process, self.pid, self.pgid = process, process.pid, os.getpgid(process.pid)
        threading.Thread(target=km.drain, args=(process.stdout,), daemon=True).start()
        self.connection_info = {**self.connection_info, "ip": km.ip}
        return self.connection_info

    def _kernel_connection(self, km: SandboxedKernelManager, socket_prefix: str) -> Path:
        info = json.loads(Path(km.connection_file).read_text())
        info.update(transport="ipc", ip=socket_prefix)
        path = km.plan.stage / "kernel.json"
        path.write_text(json.dumps(info))
        return path

    @staticmethod
    def _kernel_argv(plan: LaunchPlan, connection_file: str) -> list[str]:
        return [plan.python, "-m", "ipykernel_launcher", "-f", connection_file,
                "--HistoryManager.hist_file=:memory:"]

    def _launch_sandboxed(self, km: SandboxedKernelManager) -> subprocess.Popen:
        plan = km.plan
        self._kernel_connection(km, f"{SANDBOX_SOCKETS}/kernel")
        workdir = f"{SANDBOX_HOME}/{plan.workdir_name}"
        kernel = self._kernel_argv(plan, f"{SANDBOX_STAGE}/kernel.json")
        read_end, write_end = os.pipe()
        argv = [*plan.limit_prefix, *bwrap_argv(plan.bwrap, plan.sandbox, plan.stage, plan.workdir_name,
                                               write_end), *startup_command(kernel, SANDBOX_HOME, workdir)]
        try:
            process = subprocess.Popen(argv, env=plan.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, start_new_session=True, pass_fds=(write_end,))
        finally:
            os.close(write_end)
        info = _read_info(read_end, process)
        km.sandbox_pid = info["child-pid"]
        km.ip = str(self._pin_sockets(km, process))
        return process

    def _pin_sockets(self, km: SandboxedKernelManager, process: subprocess.Popen) -> Path:
        """Open the kernel's sockets once, without following links; the prefix to connect through.

        Each ``<job>/pinned/kernel-<port>`` is a link, in the grader's own folder, to
        ``/proc/<grader>/fd/<n>``: an ``O_PATH`` descriptor of the socket the kernel bound.
        """
        root = f"/proc/{km.sandbox_pid}/root"
        parts = [*SANDBOX_SOCKETS.strip("/").split("/")]
        pinned = km.plan.job_dir / "pinned"
        pinned.mkdir(exist_ok=True)
        deadline = time.monotonic() + SANDBOX_START_TIMEOUT_S
        for port in (km.shell_port, km.iopub_port, km.stdin_port, km.control_port, km.hb_port):
            while (fd := open_socket_nofollow(root, [*parts, f"kernel-{port}"])) is None:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SandboxStartError(f"the kernel did not create its sockets within {SANDBOX_START_TIMEOUT_S} s")
                time.sleep(0.05)
            km.pinned_fds.append(fd)
            link = pinned / f"kernel-{port}"
            link.unlink(missing_ok=True)
            link.symlink_to(f"/proc/{os.getpid()}/fd/{fd}")
        return pinned / "kernel"

    def _launch_unsandboxed(self, km: SandboxedKernelManager) -> subprocess.Popen:
        plan = km.plan
        home = plan.job_dir / "home"
        sockets = plan.job_dir / "sockets"
        sockets.mkdir()
        connection = self._kernel_connection(km, str(sockets / "kernel"))
        km.ip = str(sockets / "kernel")
        env = {**plan.env, "HOME": str(home)}
        return subprocess.Popen([*plan.limit_prefix, *self._kernel_argv(plan, str(connection))], env=env,
                                cwd=home / plan.workdir_name, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


class SandboxedKernelManager(AsyncKernelManager):
    """The kernel manager of a graded notebook: the ``ssl-lab-sandboxed`` kernel, with its plan.

    Its kernelspec (``kernelspecs/ssl-lab-sandboxed``, also installed with the course) names
    :class:`SandboxProvisioner`, which starts the kernel as :attr:`plan` says.
    """

    def __init__(self, plan: LaunchPlan, **kwargs) -> None:
        context = _limited_context(plan.message_bytes)
        kwargs.setdefault("kernel_name", KERNEL_NAME)
        super().__init__(transport="ipc", context=context, **kwargs)
        self.plan = plan
        (plan.job_dir / "unused").mkdir(parents=True, exist_ok=True)
        self.ip = str(plan.job_dir / "unused" / "kernel")  # only picks the socket numbers
        self.connection_file = str(plan.job_dir / "connection-grader.json")
        self._log: deque[bytes] = deque()
        self._log_size = 0
        self.sandbox_pid: int | None = None
        self.process: subprocess.Popen | None = None  # kept after nbclient drops the provisioner
        self.pinned_fds: list[int] = []  # the kernel's sockets, opened once (see _pin_sockets)

    @default("kernel_spec_manager")
    def _kernel_spec_manager_default(self) -> KernelSpecManager:
        # the course's own kernelspec first, whether or not it was installed in share/jupyter
        manager = KernelSpecManager(parent=self)
        manager.kernel_dirs = [str(KERNELSPECS), *manager.kernel_dirs]
        return manager

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        # a kernelspec that names another provisioner would start the kernel unsandboxed
        if not isinstance(self.provisioner, SandboxProvisioner):
            raise SandboxStartError(
                f"the kernelspec {self.kernel_name!r} does not start kernels through the {PROVISIONER_NAME} "
                f"provisioner (it names {type(self.provisioner).__name__}): grade with the {KERNEL_NAME} "
                "kernel (c.SandboxedExecute.kernel_name)")
        await super()._async_launch_kernel(kernel_cmd, **kw)

    def client(self, **kwargs):
        kwargs.setdefault("context", _limited_context(self.plan.message_bytes))
        return super().client(**kwargs)

    @property
    def log_tail(self) -> str:
        """The last bytes the kernel (and bubblewrap) wrote to stdout/stderr."""
        return b"".join(self._log).decode("utf-8", "replace")

    def drain(self, stream) -> None:
        """Keep the last LOG_TAIL_BYTES the kernel writes, however much that is."""
        for chunk in iter(lambda: stream.read1(65536), b""):
            self._log.append(chunk)
            self._log_size += len(chunk)
            while self._log_size > LOG_TAIL_BYTES and len(self._log) > 1:
                self._log_size -= len(self._log.popleft())


def open_socket_nofollow(root: str, parts: list[str]) -> int | None:
    """An ``O_PATH`` descriptor of the socket ``root/parts...``; None while it does not exist yet.

    ``root`` (the sandbox's ``/proc/<pid>/root``) is followed on purpose; every component
    under it is opened without following links and must be a folder, the last a socket:
    anything else raises :class:`SandboxStartError`.
    """
    fd = os.open(root, os.O_PATH | os.O_DIRECTORY)
    try:
        for index, name in enumerate(parts):
            try:
                inner = os.open(name, os.O_PATH | os.O_NOFOLLOW, dir_fd=fd)
            except FileNotFoundError:
                return None
            os.close(fd)
            fd = inner
            last = index == len(parts) - 1
            mode = os.fstat(fd).st_mode
            if not (stat.S_ISSOCK(mode) if last else stat.S_ISDIR(mode)):
                raise SandboxStartError(f"{'/'.join(parts[:index + 1])} in the kernel's sandbox is not "
                                        f"{'a socket' if last else 'a folder'}: it is not followed")
        pinned, fd = fd, -1
        return pinned
    finally:
        if fd >= 0:
            os.close(fd)


def _read_info(read_end: int, process: subprocess.Popen) -> dict:
    """bubblewrap's JSON info (it holds the sandbox's pid), or SandboxStartError."""
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([read_end], [], [], SANDBOX_START_TIMEOUT_S)
            if not ready:
                raise SandboxStartError(f"the sandbox did not start within {SANDBOX_START_TIMEOUT_S} s")
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            try:
                return json.loads(b"".join(chunks))
            except ValueError:
                continue
    finally:
        os.close(read_end)
    process.wait(timeout=30)
    output = process.stdout.read().decode("utf-8", "replace") if process.stdout else ""
    raise SandboxStartError(f"the sandbox did not start (exit status {process.returncode}): {output.strip()}")
