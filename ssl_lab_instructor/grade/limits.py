"""Memory, process and file-size limits of one student's kernel, and how they are enforced.

The kernel is started through a short command prefix that puts it under the limits before
bubblewrap runs. Two enforcers exist:

- cgroups (v1 with the memory and pids controllers, as on this machine; or a writable
  cgroup v2 subtree, e.g. as root or inside ``systemd-run --user --scope -p Delegate=yes``):
  exact memory accounting (including the tmpfs the student writes), a process count, and
  the peak memory and out-of-memory kills are read back;
- rlimits only (any Linux): the address space (coarse: a Python kernel with torch maps
  about 3.5 GiB before it allocates anything, so the limit is the memory limit plus that
  headroom) and the number of processes of the sandbox's user namespace.

Both add rlimits on file size and core dumps.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

GiB = 1024**3
MiB = 1024**2
# A torch + numpy kernel maps ~3.5 GiB of address space before allocating anything.
ADDRESS_SPACE_HEADROOM = 6 * GiB


@dataclass(frozen=True)
class Limits:
    """What one kernel may use."""

    memory_bytes: int = 4 * GiB
    processes: int = 512  # threads count too: torch starts one per core
    cell_timeout_s: int = 300
    submission_timeout_s: int = 1800
    disk_bytes: int = 512 * MiB  # the writable home folder (a tmpfs); /tmp gets a quarter
    output_bytes: int = 20 * MiB  # outputs kept per notebook; the rest is dropped
    message_bytes: int = 64 * MiB  # a larger single kernel message is refused by zmq
    notebook_bytes: int = 50 * MiB  # a larger submitted file is not read


def parse_size(text: str) -> int:
    """``"4G"``, ``"512M"``, ``"100k"`` or a number of bytes -> bytes."""
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    factors = {"K": 1024, "M": MiB, "G": GiB, "T": 1024 * GiB}
    if text and text[-1] in factors:
        return int(float(text[:-1]) * factors[text[-1]])
    return int(text)


@dataclass
class Usage:
    """What a kernel used, as far as the enforcer can tell."""

    peak_memory_bytes: int | None = None
    out_of_memory: bool = False
    cpu_s: float | None = None  # CPU time of the kernel and everything it started


class Enforcer:
    """Puts one kernel under :class:`Limits`; subclasses say how."""

    name = "rlimits (memory by address space, processes of the sandbox's user)"
    exact_memory = False

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    def prefix(self, job_id: str) -> list[str]:
        """Command words that start the kernel under the limits (before ``bwrap``)."""
        return self._rlimit_prefix()

    def usage(self, job_id: str) -> Usage:
        return Usage()

    def release(self, job_id: str) -> None:
        """Remove what :meth:`prefix` created, once every process of the job has ended."""

    def _rlimit_prefix(self) -> list[str]:
        words = ["prlimit", f"--nproc={self.limits.processes}", f"--fsize={self.limits.disk_bytes}",
                 "--core=0"]
        if not self.exact_memory:
            words.append(f"--as={self.limits.memory_bytes + ADDRESS_SPACE_HEADROOM}")
        return [*words, "--"]


class CgroupV1Enforcer(Enforcer):
    """Memory and pids controllers of cgroup v1: one child group per kernel under ours."""

    name = "cgroup v1 (memory, pids)"
    exact_memory = True

    def __init__(self, limits: Limits, memory_root: Path, pids_root: Path, cpuacct_root: Path | None) -> None:
        super().__init__(limits)
        self.memory_root, self.pids_root, self.cpuacct_root = memory_root, pids_root, cpuacct_root
        self.run_id = uuid.uuid4().hex[:8]

    def _dirs(self, job_id: str) -> tuple[Path, ...]:
        """The job's memory, pids and (when there is one) cpuacct groups."""
        name = f"ssl-grade-{self.run_id}-{job_id}"
        roots = [self.memory_root, self.pids_root] + ([self.cpuacct_root] if self.cpuacct_root else [])
        return tuple(root / name for root in roots)

    def prefix(self, job_id: str) -> list[str]:
        groups = self._dirs(job_id)
        for group in groups:
            group.mkdir()
        memory, pids = groups[:2]
        (memory / "memory.limit_in_bytes").write_text(str(self.limits.memory_bytes))
        if (memory / "memory.memsw.limit_in_bytes").exists():
            (memory / "memory.memsw.limit_in_bytes").write_text(str(self.limits.memory_bytes))
        (memory / "memory.swappiness").write_text("0")
        (pids / "pids.max").write_text(str(self.limits.processes))
        # The shell joins every group, then becomes the next command: nothing starts outside.
        join = " && ".join(f'echo $$ > "{group}/cgroup.procs"' for group in groups) + ' && exec "$@"'
        return ["/bin/sh", "-c", join, "sh", *self._rlimit_prefix()]

    def usage(self, job_id: str) -> Usage:
        groups = self._dirs(job_id)
        memory = groups[0]
        try:
            peak = int((memory / "memory.max_usage_in_bytes").read_text())
            oom = _field(memory / "memory.oom_control", "oom_kill") > 0
            failed = int((memory / "memory.failcnt").read_text()) > 0
            cpu = int((groups[2] / "cpuacct.usage").read_text()) / 1e9 if len(groups) > 2 else None
        except OSError:
            return Usage()
        return Usage(peak_memory_bytes=peak, out_of_memory=oom or (failed and peak >= self.limits.memory_bytes),
                     cpu_s=cpu)

    def release(self, job_id: str) -> None:
        for folder in self._dirs(job_id):
            _remove_group(folder)


class CgroupV2Enforcer(Enforcer):
    """A writable cgroup v2 subtree: the grader moves itself into a leaf, kernels get siblings."""

    name = "cgroup v2 (memory, pids)"
    exact_memory = True

    def __init__(self, limits: Limits, root: Path) -> None:
        super().__init__(limits)
        self.root = root
        self.run_id = uuid.uuid4().hex[:8]

    @classmethod
    def prepare(cls, limits: Limits, root: Path) -> CgroupV2Enforcer:
        """Move this process into ``root/grader`` and enable memory and pids for children.

        cgroup v2 lets a group hand controllers to its children only while it holds no
        process itself, hence the leaf for the grader.
        """
        leaf = root / "ssl-grade-grader"
        leaf.mkdir(exist_ok=True)
        (leaf / "cgroup.procs").write_text(str(os.getpid()))
        (root / "cgroup.subtree_control").write_text("+memory +pids")
        return cls(limits, root)

    def _dir(self, job_id: str) -> Path:
        return self.root / f"ssl-grade-{self.run_id}-{job_id}"

    def prefix(self, job_id: str) -> list[str]:
        group = self._dir(job_id)
        group.mkdir()
        (group / "memory.max").write_text(str(self.limits.memory_bytes))
        if (group / "memory.swap.max").exists():
            (group / "memory.swap.max").write_text("0")
        (group / "pids.max").write_text(str(self.limits.processes))
        join = f'echo $$ > "{group}/cgroup.procs" && exec "$@"'
        return ["/bin/sh", "-c", join, "sh", *self._rlimit_prefix()]

    def usage(self, job_id: str) -> Usage:
        group = self._dir(job_id)
        try:
            oom = _field(group / "memory.events", "oom_kill") > 0
            peak_file = group / "memory.peak"
            peak = int(peak_file.read_text()) if peak_file.exists() else None
            cpu = _field(group / "cpu.stat", "usage_usec") / 1e6
        except OSError:
            return Usage()
        return Usage(peak_memory_bytes=peak, out_of_memory=oom, cpu_s=cpu)

    def release(self, job_id: str) -> None:
        _remove_group(self._dir(job_id))


def _field(path: Path, key: str) -> int:
    """The integer after ``key`` in a cgroup ``key value`` file (0 when absent)."""
    for line in path.read_text().splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return int(value)
    return 0


def _remove_group(folder: Path, wait_s: float = 5.0) -> None:
    """rmdir a cgroup once its processes are gone, killing stragglers first."""
    if not folder.exists():
        return
    deadline = time.monotonic() + wait_s
    while True:
        try:
            pids = [int(p) for p in (folder / "cgroup.procs").read_text().split()]
        except OSError:
            pids = []
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            folder.rmdir()
            return
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.05)


def _own_cgroup_v1(controller: str) -> Path | None:
    """This process's v1 group of ``controller`` if its folder is writable."""
    mount = Path("/sys/fs/cgroup") / controller
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            folder = mount / path.lstrip("/")
            if folder.is_dir() and os.access(folder, os.W_OK):
                return folder
    return None


def _own_cgroup_v2() -> Path | None:
    """This process's v2 group if it is writable and can hand memory and pids to children."""
    mount = Path("/sys/fs/cgroup")
    if not (mount / "cgroup.controllers").exists():
        return None
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    path = next((line.split(":", 2)[2] for line in lines if line.startswith("0::")), None)
    if path is None:
        return None
    folder = mount / path.lstrip("/")
    try:
        available = (folder / "cgroup.controllers").read_text().split()
    except OSError:
        return None
    if {"memory", "pids"} <= set(available) and os.access(folder, os.W_OK) \
            and os.access(folder / "cgroup.subtree_control", os.W_OK):
        return folder
    return None


def choose_enforcer(limits: Limits, prefer: str = "auto") -> Enforcer:
    """cgroups where this process may create groups, else rlimits.

    Args:
        prefer: ``"auto"``, ``"cgroup"`` (fail if no cgroup is writable) or ``"rlimit"``.
    """
    if shutil.which("prlimit") is None:
        raise RuntimeError("the `prlimit` command (util-linux) is missing: install util-linux")
    if prefer != "rlimit":
        memory, pids = _own_cgroup_v1("memory"), _own_cgroup_v1("pids")
        if memory and pids:
            return CgroupV1Enforcer(limits, memory, pids, _own_cgroup_v1("cpuacct"))
        v2 = _own_cgroup_v2()
        if v2:
            try:
                return CgroupV2Enforcer.prepare(limits, v2)
            except OSError:  # e.g. other processes share our group: controllers cannot be handed down
                pass
        if prefer == "cgroup":
            raise RuntimeError(
                "no writable cgroup with the memory and pids controllers: run as root, or "
                "inside `systemd-run --user --scope -p Delegate=yes`, or use --limits rlimit")
    enforcer = Enforcer(limits)
    if os.geteuid() == 0:
        enforcer.name = "rlimits (memory by address space; the process limit does not bind root)"
    return enforcer
