"""The sandbox's mounts on a grading machine, checked directly with bubblewrap (no kernel).

A virtual environment reached through a symbolic link must start inside the sandbox, and a
kernel must be able to fill an empty data cache without writing to the real one. Needs
bubblewrap (``apt-get install bubblewrap``), as the grading tests do.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ssl_lab_instructor.grade.course import lab_utils_dir
from ssl_lab_instructor.grade.sandbox import (
    SandboxSpec,
    SandboxUnavailable,
    bwrap_argv,
    check_bubblewrap,
    link_mounts,
)

READ_ONLY = sorted({str(Path(sys.prefix).resolve()), str(Path(sys.base_prefix).resolve()),
                    str(Path(os.path.realpath(sys.executable)).parent), str(lab_utils_dir())})


def sandboxed(spec: SandboxSpec, argv: list[str], tmp_path: Path, env: dict[str, str] | None = None):
    """Run ``argv`` in the sandbox ``spec`` describes, as the grader would (same words)."""
    stage = tmp_path / "stage"
    stage.mkdir(exist_ok=True)
    info = os.open(os.devnull, os.O_WRONLY)
    try:
        words = bwrap_argv(check_bubblewrap(), spec, stage, "01_intro", info)
        return subprocess.run([*words, *argv], env=env or {"PATH": "/usr/bin:/bin"}, pass_fds=(info,),
                              capture_output=True, text=True, timeout=120)
    finally:
        os.close(info)


def test_a_virtual_environment_behind_a_symbolic_link_starts_in_the_sandbox(tmp_path):
    linked = tmp_path / "links" / "course-env"  # under /tmp: a tmpfs of the sandbox's own
    linked.parent.mkdir()
    linked.symlink_to(Path(sys.prefix).resolve())
    python = str(linked / "bin" / Path(sys.executable).name)
    program = ["-c", "import sys, traitlets; print(sys.prefix)"]  # traitlets: from the environment
    env = {"PATH": "/usr/bin:/bin"}
    run = sandboxed(SandboxSpec(tuple(READ_ONLY), 64 * 1024**2, links=(python,)), [python, *program], tmp_path, env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(linked), "the interpreter must find its environment through the link"
    # what the grader did before: resolved folders only, so the interpreter's path does not exist
    without = sandboxed(SandboxSpec(tuple(READ_ONLY), 64 * 1024**2, links=()), [python, *program], tmp_path, env)
    assert without.returncode != 0


def test_a_link_at_a_folder_the_sandbox_owns_is_refused_with_the_fix(monkeypatch):
    from ssl_lab_instructor.grade import sandbox

    # e.g. Fedora Silverblue, where /home links to var/home: inside, /home is the sandbox's own
    monkeypatch.setattr(sandbox, "symbolic_links", lambda path: [("/home", "var/home")])
    with pytest.raises(SandboxUnavailable, match="/home, a folder the sandbox makes its own: start the grader with"):
        link_mounts(["/home/ada/env/bin/python"], ["/usr"])


WRITES = r'''
import os, sys
from pathlib import Path
cache = Path(sys.argv[1])
print("kept", (cache / "kept.npz").read_text())
try:
    (cache / "kept.npz").write_text("changed")
    print("overwrote kept")
except OSError:
    print("kept is read-only")
(cache / "features" / "new.pt").write_text("new feature")
(cache / "decoded.npz").write_text("decoded")
print("listed", sorted(p.name for p in cache.rglob("*")))
'''


def test_the_kernel_writes_to_a_layer_of_its_own_over_the_data_cache(tmp_path):
    cache = tmp_path / "cache"
    (cache / "features").mkdir(parents=True)
    (cache / "kept.npz").write_text("cached")
    (cache / "features" / "old.pt").write_text("old")
    before = sorted(str(p.relative_to(cache)) for p in cache.rglob("*"))
    spec = SandboxSpec((*READ_ONLY, str(cache)), 64 * 1024**2, writable=(str(cache),), writable_bytes=16 * 1024**2)
    run = sandboxed(spec, [sys.executable, "-c", WRITES, str(cache)], tmp_path)
    assert run.returncode == 0, run.stderr
    assert "kept cached" in run.stdout and "kept is read-only" in run.stdout
    assert "listed ['decoded.npz', 'features', 'kept.npz', 'new.pt', 'old.pt']" in run.stdout, run.stdout
    assert sorted(str(p.relative_to(cache)) for p in cache.rglob("*")) == before, "nothing reached the real cache"
    assert (cache / "kept.npz").read_text() == "cached"
    # without the layer the same kernel cannot add to the cache
    plain = sandboxed(SandboxSpec((*READ_ONLY, str(cache)), 64 * 1024**2), [sys.executable, "-c", WRITES, str(cache)],
                      tmp_path)
    assert plain.returncode != 0 and "Read-only file system" in plain.stderr


def test_lab_utils_fills_an_empty_cache_inside_the_sandbox(tmp_path):
    """A data cell on a grading machine with an empty cache: the stand-in data set is built and
    saved as lab_utils does for a decoded archive, and read back from the layer."""
    cache = tmp_path / "empty-cache"
    cache.mkdir()
    program = ("import numpy as np\nfrom lab_utils.datasets import _cached_arrays\n"
               "build = lambda: {'x': np.arange(6, dtype=np.uint8)}\n"
               "first = _cached_arrays('standin', build)\n"
               "again = _cached_arrays('standin', lambda: 1 / 0)\n"  # read back: never built twice
               "print('sum', int(first['x'].sum()), int(again['x'].sum()))")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(lab_utils_dir().parent), "SSL_LAB_CACHE_DIR": str(cache),
           "HOME": "/home/student", "MPLCONFIGDIR": "/tmp/mpl"}
    spec = SandboxSpec((*READ_ONLY, str(cache)), 64 * 1024**2, writable=(str(cache),), writable_bytes=16 * 1024**2)
    run = sandboxed(spec, [sys.executable, "-c", program], tmp_path, env)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "sum 15 15" in run.stdout
    assert list(cache.iterdir()) == []


READS = r'''
import sys
from pathlib import Path
site = Path(sys.argv[1])
print("course package", (site / "lab_utils" / "__init__.py").read_text())
print("instructor package", sorted(p.name for p in (site / "ssl_lab_instructor").rglob("*")))
try:
    (site / "ssl_lab_instructor" / "planted.py").write_text("x = 1")
    print("planted")
except OSError:
    print("read-only")
'''


def test_an_instructor_package_installed_into_the_mounted_environment_is_hidden(tmp_path, monkeypatch):
    """A non-editable install puts ssl_lab_instructor into site-packages, which the kernel gets
    read-only: the kernel sees lab_utils there and an empty, read-only instructor package."""
    from ssl_lab_instructor.grade import course

    # this checkout's package (an editable install) is in the course repository, never mounted
    assert course.hidden_paths(READ_ONLY) == []
    site = tmp_path / "site-packages"
    (site / "lab_utils").mkdir(parents=True)
    (site / "lab_utils" / "__init__.py").write_text("shipped")
    (site / "ssl_lab_instructor" / "grade").mkdir(parents=True)
    (site / "ssl_lab_instructor" / "grade" / "hidden.py").write_text("REFERENCE = 'instructor only'")
    monkeypatch.setattr(course, "instructor_dir", lambda: site / "ssl_lab_instructor")
    hidden = course.hidden_paths([*READ_ONLY, str(site)])
    assert hidden == [str(site / "ssl_lab_instructor")]
    spec = SandboxSpec((*READ_ONLY, str(site)), 64 * 1024**2, hidden=tuple(hidden))
    run = sandboxed(spec, [sys.executable, "-c", READS, str(site)], tmp_path)
    assert run.returncode == 0, run.stderr
    assert "course package shipped" in run.stdout and "instructor package []" in run.stdout, run.stdout
    assert "read-only" in run.stdout
    # the same mounts without hiding it: the grading code would be readable (what the test guards)
    plain = sandboxed(SandboxSpec((*READ_ONLY, str(site)), 64 * 1024**2), [sys.executable, "-c", READS, str(site)],
                      tmp_path)
    assert "hidden.py" in plain.stdout, plain.stdout + plain.stderr


IN_THE_KERNEL = '''
import os, sys
from pathlib import Path
cache = Path(os.environ["SSL_LAB_CACHE_DIR"])
(cache / "decoded.npz").write_text("decoded")
print("prefix", sys.prefix)
print("listed", sorted(p.name for p in cache.iterdir()))
'''


def test_the_provisioner_starts_the_graded_kernel_with_the_cache_layer_and_the_links(tmp_path, monkeypatch):
    """What the sandboxed Execute step asks for reaches the kernel the ssl-lab-sandbox provisioner
    starts: a grader started through a linked virtual environment, an empty data cache."""
    import shutil

    import grading  # noqa: F401 (registers this checkout's sandbox provisioner)
    import nbformat
    from nbclient import NotebookClient
    from support import ROOT

    from ssl_lab_instructor.grade.course import Course, kernel_environment
    from ssl_lab_instructor.grade.execution import sandbox_spec
    from ssl_lab_instructor.grade.kernel import LaunchPlan, SandboxedKernelManager
    from ssl_lab_instructor.grade.steps import kernel_sandbox

    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("SSL_LAB_CACHE_DIR", str(cache))
    (tmp_path / "course").mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path / "course")
    course = Course.load(tmp_path / "course")
    linked = tmp_path / "links" / "course-env"
    linked.parent.mkdir()
    linked.symlink_to(Path(sys.prefix).resolve())
    python = str(linked / "bin" / Path(sys.executable).name)
    spec = sandbox_spec(kernel_sandbox(course, [], 64 * 1024**2), python)
    assert spec.writable == (str(cache.resolve()),) and spec.links == (python,)
    plan = LaunchPlan(python=python, job_dir=tmp_path / "job", workdir_name="01_intro", bwrap=check_bubblewrap(),
                      env=kernel_environment(course, "smoke", 1, sandboxed=True), sandbox=spec)
    (plan.stage / "home" / "01_intro").mkdir(parents=True)
    manager = SandboxedKernelManager(plan)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(IN_THE_KERNEL)])
    try:
        NotebookClient(notebook, km=manager, timeout=120, startup_timeout=120).execute()
    finally:
        for fd in manager.pinned_fds:
            os.close(fd)
    text = "".join(output.get("text", "") for output in notebook.cells[0].outputs)
    assert f"prefix {linked}" in text, (text, manager.log_tail)
    assert "listed ['decoded.npz']" in text, text
    assert list(cache.iterdir()) == [], "nothing reached the real cache"
