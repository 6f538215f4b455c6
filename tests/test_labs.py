"""`make labs` and `python -m ssl_lab labs` serve JupyterLab, as root (containers, CI images)
and as a normal user.

Each test runs the Makefile's own `labs` recipe, or `python -m ssl_lab labs` without make
(both with the install step marked done and this interpreter's environment as the venv), on a
free port, waits until the server answers, then stops it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from support import ROOT

START_TIMEOUT_S = 120
# As root, the "normal user" runs in a user namespace where this process is uid 1000: it is
# not root for JupyterLab, yet it still reads this machine's files (whose owner it stays).
AS_USER_1000 = ["unshare", "--user", "--map-user=1000", "--map-group=1000"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _can_drop_root() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run([*AS_USER_1000, sys.executable, "-c", "import os; print(os.geteuid())"],
                           capture_output=True, text=True)
    return probe.returncode == 0 and probe.stdout.strip() == "1000"


def _status(port: int, token: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=5) as reply:
            return json.loads(reply.read())
    except OSError:
        return None


def serve_with_make_labs(home: Path, prefix: list[str] = (), without_make: bool = False
                         ) -> tuple[dict | None, str]:
    """Run `make labs` (or `python -m ssl_lab labs`) until JupyterLab answers; return its
    /api/status and the output."""
    port, token = _free_port(), "ssl-lab-test-token"
    venv = Path(sys.prefix)
    lab_args = [f"--port={port}", "--ip=127.0.0.1", "--no-browser", f"--IdentityProvider.token={token}"]
    make = [*prefix, shutil.which("make") or "make", "-C", str(ROOT), "-o", str(venv / ".install-stamp"),
            "labs", f"VENV={venv}", "LAB_ARGS=" + " ".join(lab_args)]
    if without_make:
        make = [*prefix, sys.executable, str(ROOT / "ssl_lab.py"), "labs", "--venv", str(venv),
                "--no-install", *lab_args]
    env = {**os.environ, "HOME": str(home), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
           "IPYTHONDIR": str(home / "ipython")}
    log = home / "labs.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(make, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            deadline, status = time.monotonic() + START_TIMEOUT_S, None
            while status is None and process.poll() is None and time.monotonic() < deadline:
                time.sleep(1)
                status = _status(port, token)
        finally:
            _stop(process)
    return status, log.read_text(errors="replace")


def _stop(process: subprocess.Popen) -> None:
    """Stop make and the JupyterLab it started (one process group)."""
    for sig, wait_s in ((signal.SIGTERM, 30), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.mark.skipif(not _is_root(), reason="needs root")
def test_python_m_ssl_lab_labs_serves_jupyterlab_as_root_without_make(tmp_path):
    status, output = serve_with_make_labs(tmp_path, without_make=True)
    assert status is not None and "started" in status, f"JupyterLab did not answer as root:\n{output[-3000:]}"


def test_make_labs_serves_jupyterlab_as_a_normal_user(tmp_path):
    prefix = []
    if _is_root():
        if not _can_drop_root():
            pytest.skip("root without user namespaces (unshare): cannot run as a normal user")
        prefix = AS_USER_1000
    status, output = serve_with_make_labs(tmp_path, prefix)
    assert status is not None and "started" in status, (
        f"JupyterLab did not answer as a normal user:\n{output[-3000:]}")


def test_the_labs_command_allows_root_only_for_root(monkeypatch):
    import ssl_lab

    python = Path("/v/bin/python")
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert "--allow-root" in ssl_lab.command_for("labs", python, [])
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "--allow-root" not in ssl_lab.command_for("labs", python, ["--port", "9999"])
    assert ssl_lab.command_for("labs", python, ["--port", "9999"])[-2:] == ["--port", "9999"]
    assert ssl_lab.command_for("labs", python, [])[3] == str(ROOT / "notebooks")
