"""`python -m ssl_lab labs|test|install`: the course's commands without make, on any system.

The paths of a Windows venv are checked with PureWindowsPath; the installer's commands are
checked as lists (running them would install gigabytes); `test` runs a real pytest in this
interpreter's venv. tests/test_labs.py serves JupyterLab through `python -m ssl_lab labs`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest
from support import ROOT

import ssl_lab


def test_a_windows_venv_keeps_its_python_in_scripts():
    venv = PureWindowsPath(r"C:\Users\ada\ssl-lab\.venv")
    assert ssl_lab.venv_python(venv, windows=True) == PureWindowsPath(
        r"C:\Users\ada\ssl-lab\.venv\Scripts\python.exe")
    assert str(ssl_lab.venv_bin(venv, windows=True)) == r"C:\Users\ada\ssl-lab\.venv\Scripts"
    assert ssl_lab.venv_python(PurePosixPath("/home/ada/.venv"), windows=False) == PurePosixPath(
        "/home/ada/.venv/bin/python")


@pytest.mark.parametrize("system, nvidia, expected", [
    ("Linux", False, ssl_lab.CPU_TORCH_INDEX), ("Windows", False, ssl_lab.CPU_TORCH_INDEX),
    ("Linux", True, None), ("Windows", True, None), ("Darwin", False, None)])
def test_torch_comes_from_the_cpu_index_only_without_an_nvidia_gpu(system, nvidia, expected):
    assert ssl_lab.default_torch_index(system, nvidia) == expected


def test_the_cpu_torch_is_installed_first_then_the_course_under_the_same_pins(tmp_path):
    python = PureWindowsPath(r"C:\course\.venv\Scripts\python.exe")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "c"\n[project.optional-dependencies]\nlabs = []\ntest = []\nother = []\n')
    commands = ssl_lab.install_commands(python, ssl_lab.CPU_TORCH_INDEX, root=tmp_path)
    assert all(command[0] == str(python) for command in commands)
    torch_step, course_step = commands[1], commands[2]
    assert torch_step[-2:] == ["torch", "torchvision"] and "--no-deps" in torch_step
    assert torch_step[torch_step.index("--index-url") + 1] == "https://download.pytorch.org/whl/cpu"
    constraints = ["-c", str(tmp_path / "constraints-local.txt")]
    for step in (torch_step, course_step):
        assert any(step[i:i + 2] == constraints for i in range(len(step)))
    assert course_step[-2:] == ["-e", f"{tmp_path}[labs,test]"]
    assert commands[-1][-5:] == ["ipykernel", "install", "--sys-prefix", "--name", "python3"]
    assert not any("--index-url" in c for c in ssl_lab.install_commands(python, None, tmp_path))


def test_the_student_release_installs_the_labs_extra_and_has_no_test_command(tmp_path, monkeypatch, capsys):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "c"\n[project.optional-dependencies]\nlabs = []\n')
    course_step = ssl_lab.install_commands(PurePosixPath("/v/bin/python"), None, tmp_path)[-2]
    assert course_step[-2:] == ["-e", f"{tmp_path}[labs]"]
    monkeypatch.setattr(ssl_lab, "ROOT", tmp_path)
    assert ssl_lab.main(["test", "--venv", str(tmp_path / "none"), "--no-install"]) == 1
    assert "student release of the course, which has no tests" in capsys.readouterr().err


def test_an_install_is_redone_only_when_its_inputs_changed(tmp_path):
    root, venv = tmp_path / "course", tmp_path / "venv"
    root.mkdir()
    for name in ssl_lab.INSTALL_INPUTS:
        (root / name).write_text("")
    assert ssl_lab.needs_install(venv, root, windows=False)  # nothing there yet
    python = Path(ssl_lab.venv_python(venv, windows=False))
    python.parent.mkdir(parents=True)
    python.write_text("")
    stamp = venv / ssl_lab.STAMP_NAME
    stamp.write_text("")
    os.utime(stamp, (2_000_000_000, 2_000_000_000))
    assert not ssl_lab.needs_install(venv, root, windows=False)
    os.utime(root / "pyproject.toml", (2_000_000_100, 2_000_000_100))
    assert ssl_lab.needs_install(venv, root, windows=False)


def test_the_labs_see_the_venvs_commands_and_the_mps_fallback(monkeypatch, tmp_path):
    monkeypatch.delenv("PYTORCH_ENABLE_MPS_FALLBACK", raising=False)
    environment = ssl_lab.child_environment(tmp_path, windows=False)
    assert environment["PATH"].split(os.pathsep)[0] == str(tmp_path / "bin")
    assert environment["PYTORCH_ENABLE_MPS_FALLBACK"] == "1"
    assert ssl_lab.command_for("labs", PurePosixPath("/v/bin/python"), ["--port=1"], as_root=False) == [
        "/v/bin/python", "-m", "jupyterlab", str(ssl_lab.ROOT / "notebooks"), "--port=1"]


def test_python_m_ssl_lab_test_runs_pytest_in_the_venv_and_returns_its_status(tmp_path, capfd):
    tests = tmp_path / "test_probe.py"
    tests.write_text("import sys\n\ndef test_passes():\n    assert sys.prefix\n\n"
                     "def test_fails():\n    assert False\n")
    status = ssl_lab.main(["test", "--venv", sys.prefix, "--no-install", "-q", "-p",
                           "no:cacheprovider", "-o", "addopts=", str(tests)])
    output = capfd.readouterr().out
    assert status == 1 and "1 failed, 1 passed" in output, output[-2000:]


def test_a_missing_venv_with_no_install_says_how_to_fix_it(tmp_path, capsys):
    assert ssl_lab.main(["test", "--venv", str(tmp_path / "none"), "--no-install"]) == 1
    assert "drop --no-install" in capsys.readouterr().err


def test_the_readme_shows_both_commands_with_and_without_make():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for action in ("labs", "test"):
        assert f"python -m ssl_lab {action}" in readme and f"make {action}" in readme
    assert ssl_lab.CPU_TORCH_INDEX in readme
