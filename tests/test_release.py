"""The student release (`make release`): all that a student needs, none of the answers, and
every link at the student repository named in release.toml."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml
from support import ROOT

from ssl_lab_instructor.release import build as build_module
from ssl_lab_instructor.release import leaks, publish
from ssl_lab_instructor.release.build import ReleaseError, assemble, build, instructor_repository
from ssl_lab_instructor.release.config import (
    ReleaseConfig,
    ReleaseConfigError,
    course_assignments,
    load_config,
)
from ssl_lab_instructor.release.notebooks import install_requirements
from ssl_lab_instructor.release.tracked import tracked_files
from ssl_lab_instructor.release.urls import url_problems

STUDENT_FILES = {".gitignore", "LICENSE", "README.md", "data", "environment.yml", "lab_utils",
                 "notebooks", "pyproject.toml", "ssl_lab.py", "constraints-local.txt"}
FORK = ReleaseConfig("uni-example/ssl-course", "term-2027a", ("01_intro", "05_time_series"))


@pytest.fixture(scope="module")
def config() -> ReleaseConfig:
    return load_config()


@pytest.fixture(scope="module")
def release(tmp_path_factory, config) -> Path:
    """The release as `make release` assembles it, before its checks, with every assignment
    of the course released (whatever release.toml lists today): the most there is to check."""
    every_assignment = dataclasses.replace(config, assignments=tuple(course_assignments()))
    return assemble(tmp_path_factory.mktemp("release") / "student", every_assignment)


def _notebooks(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.glob("*/*.ipynb"))


def _git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def git_identity(monkeypatch):
    for variable in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.setenv(variable, "Course Staff")
    for variable in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(variable, "staff@example.org")


INSTRUCTOR_FILES = (".gitignore", "LICENSE", "pyproject.toml", "environment.yml", "data/README.md",
                    "lab_utils", "solutions", "notebooks", "tests/answers", "ssl_lab.py",
                    "constraints-local.txt", "ssl_lab_instructor")


@pytest.fixture(scope="module")
def instructor_repository_copy(tmp_path_factory) -> Path:
    """A committed copy of this repository's course files, plus what a working tree gathers
    beside them: an untracked answer file, an untracked notebook, ignored data and caches."""
    root = tmp_path_factory.mktemp("instructor")
    for name in tracked_files(ROOT, INSTRUCTOR_FILES):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, root / name)
    identity = ["-c", "user.name=Course Staff", "-c", "user.email=staff@example.org"]
    _git("init", "--quiet", cwd=root)
    _git("add", "--all", cwd=root)
    _git(*identity, "commit", "--quiet", "-m", "course", cwd=root)
    (root / "notebooks" / "01_intro" / "my_answers.py").write_text("SECRET = 'untracked'\n")
    (root / "notebooks" / "01_intro" / "01_intro_ssl-Copy1.ipynb").write_text(
        (root / "notebooks" / "01_intro" / "01_intro_ssl.ipynb").read_text())
    (root / "lab_utils" / "__pycache__").mkdir(exist_ok=True)
    (root / "lab_utils" / "__pycache__" / "paths.cpython-311.pyc").write_bytes(b"ignored")
    (root / "data" / "cifar-10-python.tar.gz").write_bytes(b"ignored")
    (root / "notebooks" / "01_intro" / ".ipynb_checkpoints").mkdir()
    (root / "notebooks" / "01_intro" / ".ipynb_checkpoints" / "01_intro_ssl-checkpoint.ipynb").write_text("{}")
    return root


# --------------------------------------------------------------------------- contents
def test_the_release_holds_what_a_student_needs_and_nothing_else(release):
    assert {entry.name for entry in release.iterdir()} == STUDENT_FILES
    assert _notebooks(release / "notebooks") == _notebooks(ROOT / "notebooks")
    assert (release / "lab_utils" / "checks" / "__init__.py").is_file()
    assert [p.name for p in (release / "data").iterdir()] == ["README.md"]
    assert not list(release.rglob("__pycache__")) and not list(release.rglob("*.pyc"))
    readme = (release / "README.md").read_text()
    assert "pip install -e \".[labs]\"" in readme and "jupyter lab notebooks/" in readme
    assert "SSL_LAB_CACHE_DIR" in readme and "HF_HOME" in readme and "Mount Drive" in readme


def test_the_release_has_no_instructor_package_and_opens_its_labs_with_python_m_ssl_lab(release, tmp_path):
    shipped = {p.relative_to(release).as_posix() for p in release.rglob("*")}
    assert not {name for name in shipped if "ssl_lab_instructor" in name}, "the instructor package shipped"
    package = (release / "pyproject.toml").read_text(encoding="utf-8")
    assert "ssl_lab_instructor" not in package and "ssl-lab-sandbox" not in package
    code = "\n".join(p.read_text(encoding="utf-8") for p in release.rglob("*.py"))
    assert "import ssl_lab_instructor" not in code and "from ssl_lab_instructor" not in code
    # `python -m ssl_lab labs` in the release: JupyterLab on the release's own notebooks, after an
    # install of the labs extra (the release has no tests, and says so when asked to run them)
    script = ("import json, pathlib, ssl_lab\n"
              "labs = ssl_lab.command_for('labs', pathlib.PurePosixPath('/v/bin/python'), [], as_root=False)\n"
              "install = ssl_lab.install_commands(pathlib.PurePosixPath('/v/bin/python'), None)[-2]\n"
              "print(json.dumps({'labs': labs, 'install': install}))\n")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    run = subprocess.run([sys.executable, "-c", script], cwd=release, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    commands = json.loads(run.stdout)
    assert commands["labs"][1:4] == ["-m", "jupyterlab", str(release / "notebooks")]
    assert commands["install"][-2:] == ["-e", f"{release}[labs]"]
    assert _notebooks(release / "notebooks")
    run = subprocess.run([sys.executable, "-m", "ssl_lab", "test", "--no-install", "--venv", str(tmp_path)],
                         cwd=release, env=env, capture_output=True, text=True)
    assert run.returncode == 1 and "student release of the course, which has no tests" in run.stderr


def test_only_the_listed_assignments_and_only_tracked_files_ship(instructor_repository_copy, tmp_path):
    only_01 = ReleaseConfig("uni-example/ssl-course", "week-1", ("01_intro",))
    release = assemble(tmp_path / "student", only_01, root=instructor_repository_copy)
    assert _notebooks(release / "notebooks") == ["01_intro/01_intro_ssl.ipynb"]
    shipped = {p.relative_to(release).as_posix() for p in release.rglob("*")}
    assert not {name for name in shipped if "my_answers" in name or "Copy1" in name
                or "__pycache__" in name or "checkpoint" in name and name.endswith(".ipynb")
                or name.startswith("data/") and name != "data/README.md"}, "untracked or ignored files shipped"
    assert not {name for name in shipped if name.startswith(("ssl_lab_instructor", "solutions", "tests"))}
    readme = (release / "README.md").read_text()
    assert "01_intro_ssl.ipynb" in readme and "02_pretext_tasks" not in readme
    assert "4 more assignments follow in later releases" in readme
    assert leaks.find_leaks(release, instructor_repository_copy) == []
    # the next week: 02 is listed too, and ships
    two = ReleaseConfig("uni-example/ssl-course", "week-2", ("01_intro", "02_pretext_tasks"))
    release = assemble(tmp_path / "student-2", two, root=instructor_repository_copy)
    assert _notebooks(release / "notebooks") == [
        "01_intro/01_intro_ssl.ipynb", "02_pretext_tasks/02_pretext_tasks.ipynb",
        "02_pretext_tasks/02b_rotnet_keras.ipynb"]


def test_a_release_needs_git_and_committed_notebooks(instructor_repository_copy, tmp_path):
    loose = shutil.copytree(instructor_repository_copy / "lab_utils", tmp_path / "loose" / "lab_utils")
    with pytest.raises(ReleaseError, match="(?s)git cannot list the files it tracks.*not a git repository"):
        assemble(tmp_path / "student", FORK, root=loose.parent)
    unborn = ReleaseConfig("uni-example/ssl-course", "v1", ("01_intro", "06_not_committed"))
    with pytest.raises(ReleaseError, match="git tracks nothing of notebooks/06_not_committed"):
        assemble(tmp_path / "student-2", unborn, root=instructor_repository_copy)


def test_no_answer_is_in_the_release(release):
    found = leaks.find_leaks(release, ROOT)
    assert not found, "the student release holds answers:\n" + "\n".join(map(str, found))


def test_the_student_package_files_carry_no_instructor_tools(release, config):
    project = tomllib.loads((release / "pyproject.toml").read_text())["project"]
    assert set(project["optional-dependencies"]) == {"labs"}
    assert project["urls"]["Repository"] == config.url
    instructor = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == instructor["dependencies"]
    environment = yaml.safe_load((release / "environment.yml").read_text())
    text = (release / "environment.yml").read_text()
    for tool in ("pytest", "nbgrader", "nbval", "ruff", "aeon"):
        assert tool not in text, f"environment.yml still lists {tool}"
    for requirement in [*project["dependencies"], *project["optional-dependencies"]["labs"]]:
        name = requirement.split(">")[0].split("=")[0].split("<")[0]
        assert name in text, f"environment.yml lacks {name}"
    assert "-e ." in environment["dependencies"][-1]["pip"]


# --------------------------------------------------------------------------- links
def test_every_url_names_the_student_repository(release, config):
    assert url_problems(release, config, instructor_repository()) == []
    for path in sorted((release / "notebooks").glob("*/*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        assert install_requirements(cells[0].source) == [config.install_requirement]
        assert config.colab_url(path.relative_to(release).as_posix()) in cells[1].source
        assert config.colab_url(path.relative_to(release).as_posix()) in (release / "README.md").read_text()


def test_one_setting_moves_every_link_of_a_fork(tmp_path):
    fork = assemble(tmp_path / "student", FORK)
    assert url_problems(fork, FORK, instructor_repository()) == []
    text = "".join(p.read_text(errors="replace") for p in fork.rglob("*") if p.is_file())
    assert text.count("uni-example/ssl-course@term-2027a") == len(_notebooks(fork / "notebooks"))
    assert instructor_repository() not in text


def test_a_link_to_another_repository_is_reported(tmp_path, release, config):
    copy = shutil.copytree(release, tmp_path / "copy")
    readme = copy / "README.md"
    readme.write_text(readme.read_text() + f"\nSee https://github.com/{instructor_repository()}/tree/main\n")
    notebook = copy / "notebooks" / "01_intro" / "01_intro_ssl.ipynb"
    notebook.write_text(notebook.read_text().replace(f"/blob/{config.ref}/", "/blob/main/", 1))
    found = "\n".join(url_problems(copy, config, instructor_repository()))
    assert "README.md" in found and "instructor repository" in found
    assert "01_intro_ssl.ipynb" in found and f"not {config.repository}@{config.ref}" in found


# --------------------------------------------------------------------------- the leak checks
def _solution(origin_part: str) -> leaks.Secret:
    matches = [s for s in leaks.repository_secrets(ROOT) if origin_part in s.origin]
    assert matches, f"no secret matches {origin_part!r}"
    return matches[0]


def test_a_verbatim_solution_line_is_found_even_re_indented(tmp_path, release):
    copy = shutil.copytree(release, tmp_path / "copy")
    secret = _solution("random_masking (solution)")
    line = next(line for line in leaks.code_lines(secret.text) if line.substantive)
    module = copy / "lab_utils" / "augment.py"
    spaced = " ".join(text for _, text in line.tokens)  # other spacing, same code
    module.write_text(module.read_text() + f"\n\ndef helper(num_patches, mask_ratio):\n    {spaced}\n")
    found = leaks.find_leaks(copy, ROOT)
    assert any(leak.secret == secret.origin and leak.where == "lab_utils/augment.py" for leak in found)


def test_a_renamed_copy_of_a_solution_is_found(tmp_path, release):
    copy = shutil.copytree(release, tmp_path / "copy")
    secret = _solution("knn_predict (solution)")
    renamed = (secret.text.replace("train", "reference").replace("labels", "targets")
               .replace("chunk", "block").replace("votes", "tally"))
    notebook_path = copy / "notebooks" / "03_simclr" / "03_simclr.ipynb"
    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("def neighbours(a, b, c, k):\n" + renamed,
                                                    id="planted"))
    nbformat.write(notebook, notebook_path)
    found = leaks.find_leaks(copy, ROOT)
    assert any(leak.secret == secret.origin and leak.where.endswith("planted")
               and "other names" in leak.evidence for leak in found)


def test_a_renamed_copy_of_a_two_line_solution_is_found(tmp_path, release):
    copy = shutil.copytree(release, tmp_path / "copy")
    secret = _solution("momentum_update (solution)")
    renamed = (secret.text.replace("target_param", "slow").replace("online_param", "fast")
               .replace("target", "teacher").replace("online", "student").replace("momentum", "tau"))
    assert "target" not in renamed and "momentum" not in renamed
    notebook_path = copy / "notebooks" / "03_simclr" / "03_simclr.ipynb"
    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(
        "def ema(teacher, student, tau):\n    with torch.no_grad():\n" + renamed, id="planted"))
    nbformat.write(notebook, notebook_path)
    found = leaks.find_leaks(copy, ROOT)
    assert [leak.evidence for leak in found if leak.secret == secret.origin] == [
        "2 of its 2 lines appear with other names"]


# How notebook 02 once plotted its colorizations: two of the three lines of colorization_loss.
OLD_COLORIZATION_PLOT = """\
lab = kornia.color.rgb_to_lab(originals.float() / 255)
grey = (lab[:, :1] / 100).expand(-1, 3, -1, -1)
with torch.inference_mode():
    predicted_ab = colorization_model(normalize_cifar(grey)) * 128
"""


def test_given_code_that_repeats_most_of_a_short_answer_is_found(tmp_path, release):
    copy = tmp_path / "copy"
    shutil.copytree(release / "notebooks" / "02_pretext_tasks", copy / "notebooks" / "02_pretext_tasks")
    notebook_path = copy / "notebooks" / "02_pretext_tasks" / "02_pretext_tasks.ipynb"
    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(OLD_COLORIZATION_PLOT, id="old-plot"))
    nbformat.write(notebook, notebook_path)
    secret = _solution("colorization_loss (solution)")
    found = [leak for leak in leaks.find_leaks(copy, ROOT) if leak.secret == secret.origin]
    assert [(leak.where.split()[-1], leak.evidence) for leak in found] == [
        ("old-plot", "the line 'grey=(lab[:,:1]/100).expand(-1,3,-1,-1)' appears as it is"),
        ("old-plot", "2 of its 3 lines appear with other names")]


def _plant(notebook_path: Path, where: str, line: str) -> None:
    """Hide ``line`` in a notebook's outputs, attachments or metadata."""
    notebook = nbformat.read(notebook_path, as_version=4)
    code = next(cell for cell in notebook.cells if cell.cell_type == "code")
    markdown = next(cell for cell in notebook.cells if cell.cell_type == "markdown")
    if where == "stream output":
        code.outputs = [nbformat.v4.new_output("stream", name="stdout", text=line + "\n")]
    elif where == "html output":
        code.outputs = [nbformat.v4.new_output("display_data", data={"text/html": f"<pre>{line}</pre>"})]
    elif where == "attachment":
        markdown.attachments = {"answer.txt": {"text/plain": base64.b64encode(line.encode()).decode()}}
    elif where == "cell metadata":
        code.metadata["scratch"] = {"lines": [line]}
    else:
        notebook.metadata["scratch"] = line
    nbformat.write(notebook, notebook_path)


@pytest.mark.parametrize("where", ["stream output", "html output", "attachment", "cell metadata",
                                   "notebook metadata"])
def test_an_answer_hidden_in_outputs_attachments_or_metadata_is_found(tmp_path, release, where):
    copy = tmp_path / "copy"
    shutil.copytree(release / "notebooks" / "05_time_series", copy / "notebooks" / "05_time_series")
    secret = _solution("masked_mse (solution)")
    line = "return (prediction - target)[hidden].pow(2).mean()"
    assert line in secret.text
    _plant(copy / "notebooks" / "05_time_series" / "05_time_series.ipynb", where, line)
    found = leaks.find_leaks(copy, ROOT)
    assert [leak.secret for leak in found] == [secret.origin], found


def test_a_reference_that_hidden_tests_import_is_found(tmp_path):
    release = tmp_path / "release"
    (release / "lab_utils").mkdir(parents=True)
    (release / "lab_utils" / "metrics.py").write_text("def reference_answer(x):\n    return x\n")
    (release / "lab_utils" / "checks").mkdir()
    (release / "lab_utils" / "checks" / "demo.py").write_text("def check_answer(f):\n    pass\n")
    hidden = leaks.Secret("demo answer_tests (hidden tests)", "code",
                          "from lab_utils.checks.demo import check_answer\n"
                          "from lab_utils.metrics import reference_answer\n", "demo")
    found = leaks.reference_leaks([hidden], release)
    assert [(leak.where, "reference_answer" in leak.evidence) for leak in found] == [
        ("lab_utils/metrics.py", True)]


def test_trivial_and_instructed_lines_are_no_leaks():
    solution = leaks.Secret("demo x (solution)", "code",
                            "for k in range(4):\n    n = len(z1)\n"
                            "keep = int(count * (1 - ratio))\n"
                            "order = torch.rand(batch, count, generator=gen).argsort(dim=1)\n"
                            "return order[:, :keep], order.argsort(dim=1)\n", "demo")
    text = leaks.ReleaseText([
        ("notebooks/demo/demo.ipynb cell-01", "prose", "Use `keep = int(count * (1 - ratio))`."),
        ("notebooks/demo/demo.ipynb cell-02", "code", "for k in range(4):\n    n = len(z1)\n"),
    ])
    assert leaks.verbatim_leaks([solution], text) == []
    spelled_out = leaks.ReleaseText([("notebooks/demo/demo.ipynb cell-01", "prose", solution.text)])
    assert len(leaks.verbatim_leaks([solution], spelled_out)) == 3, "a whole answer in the text leaks"
    elsewhere = leaks.ReleaseText([("notebooks/other/other.ipynb cell-01", "prose",
                                    "keep = int(count * (1 - ratio))")])
    assert len(leaks.verbatim_leaks([solution], elsewhere)) == 1


def test_a_one_line_answer_of_two_names_is_found_as_it_is():
    answer = leaks.Secret("demo head_forward (solution)", "code", "        return self.layers(features)\n",
                          "demo")
    copied = leaks.ReleaseText([("notebooks/other/other.ipynb cell-09", "code",
                                 "class Head:\n    def forward(self, features):\n"
                                 "        return self.layers(features)\n")])
    assert [leak.where for leak in leaks.verbatim_leaks([answer], copied)] == [
        "notebooks/other/other.ipynb cell-09"]
    other = leaks.ReleaseText([("notebooks/other/other.ipynb cell-09", "code", "return self.layers(x)\n")])
    assert leaks.verbatim_leaks([answer], other) == []


# --------------------------------------------------------------------------- packaging
def test_pip_install_of_the_release_gives_a_working_lab_utils(release, config, tmp_path):
    target, copy = tmp_path / "site", shutil.copytree(release, tmp_path / "student")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--target", str(target), str(copy)],
                   check=True, capture_output=True, text=True, cwd=tmp_path)
    # pip builds in the folder (build/, *.egg-info): what it leaves there is no part of the release
    assert url_problems(copy, config, instructor_repository()) == []
    script = (
        "import lab_utils, lab_utils.checks.simclr, lab_utils.paths as paths, pathlib\n"
        "from lab_utils import timeseries\n"
        "from lab_utils.rocket import Rocket\n"
        "assert pathlib.Path(lab_utils.__file__).is_relative_to(pathlib.Path.cwd() / 'site')\n"
        "assert paths.project_root() == pathlib.Path.cwd()\n"
        "x, y = timeseries.make_sines(n=8, length=32)\n"
        "print(Rocket(n_kernels=20, random_state=0).fit_transform(x).shape)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "(8, 40)"
    metadata = next(target.glob("ssl_lab-*.dist-info")) / "METADATA"
    assert f"Project-URL: Repository, {config.url}" in metadata.read_text()


# --------------------------------------------------------------------------- build and publish
def test_build_refuses_a_release_with_an_answer_and_writes_nothing(tmp_path, monkeypatch, config):
    planted = leaks.Leak("solutions/x.ipynb y (solution)", "lab_utils/z.py", "the line 'w' appears")
    monkeypatch.setattr(build_module, "find_leaks", lambda release, root: [planted])
    with pytest.raises(ReleaseError, match="lab_utils/z.py"):
        build(tmp_path / "student", config)
    assert not (tmp_path / "student").exists()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("not a release")
    monkeypatch.setattr(build_module, "find_leaks", lambda release, root: [])
    with pytest.raises(ReleaseError, match="not a student release"):
        build(tmp_path / "mine", config)
    assert (tmp_path / "mine" / "thesis.tex").exists()


def _setting(repository: str = "a/b", ref: str = "v1", assignments: str = '["01_intro"]') -> str:
    return f'[student]\nrepository = "{repository}"\nref = "{ref}"\nassignments = {assignments}\n'


@pytest.mark.parametrize("text, message", [
    ("", "must hold"),
    ('[student]\nrepository = "a/b"\nref = "v1"\n', "assignments"),
    (_setting(repository="no-slash"), "owner/name"),
    (_setting(ref="release/2027"), "no '/'"),
    (_setting(ref="main"), "branch"),
    (_setting(ref="HEAD"), "branch or a git pointer"),
    (_setting(ref="0123456789abcdef0123456789abcdef01234567"), "looks like a commit id"),
    (_setting(ref="deadbeef"), "looks like a commit id"),
    (_setting(ref="v1."), "not ending in '.'"),
    (_setting(assignments="[]"), "released so far"),
    (_setting(assignments='"01_intro"'), "released so far"),
    (_setting(assignments='["01_intro", "06_diffusion"]'), "'06_diffusion'.*01_intro, 02_pretext_tasks"),
    (_setting(assignments='["../solutions"]'), "'../solutions'"),
    (_setting(assignments='["01_intro", "01_intro"]'), "more than once"),
])
def test_a_bad_release_setting_is_a_clear_error_when_it_is_read(tmp_path, text, message):
    path = tmp_path / "release.toml"
    path.write_text(text)
    with pytest.raises(ReleaseConfigError, match=message):
        load_config(path)


def test_a_good_release_setting_reads_back(tmp_path):
    path = tmp_path / "release.toml"
    path.write_text(_setting(ref="term-2027.1", assignments='["01_intro", "03_simclr"]'))
    assert load_config(path) == ReleaseConfig("a/b", "term-2027.1", ("01_intro", "03_simclr"))


def test_publish_commits_and_tags_each_release_and_never_moves_a_tag(tmp_path, monkeypatch, release,
                                                                     git_identity):
    monkeypatch.setattr(publish, "problems", lambda release, config, root: [])
    remote = tmp_path / "student.git"
    _git("init", "--quiet", "--bare", str(remote), cwd=tmp_path)
    first, second = (ReleaseConfig("uni-example/ssl-course", ref, ("01_intro",)) for ref in ("v1", "v2"))
    clone = tmp_path / "clone"
    # the first push is rejected (as by a network failure or missing rights) ...
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'rejected by the test' >&2\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(publish.PublishError, match="(?s)push .* failed.*rejected by the test.*again"):
        publish.publish(release, first, remote=str(remote), clone=clone, allow_dirty=True)
    assert _git("tag", "--list", "v1", cwd=clone).strip() == "v1", "the failed run tagged its clone"
    # ... and publishing again, once the cause is fixed, succeeds with one commit
    hook.unlink()
    publish.publish(release, first, remote=str(remote), clone=clone, allow_dirty=True)
    assert _git("rev-list", "--count", "main", cwd=remote).strip() == "1"
    assert _git("show", "v1:notebooks/05_time_series/05_time_series.ipynb", cwd=remote)
    assert set(_git("ls-tree", "--name-only", "v1", cwd=remote).split()) == STUDENT_FILES
    with pytest.raises(publish.PublishError, match="never change"):
        publish.publish(release, first, remote=str(remote), clone=clone, allow_dirty=True)
    # a failed push of the next release, retried, leaves one commit on top of the first
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(publish.PublishError, match="failed"):
        publish.publish(release, second, remote=str(remote), clone=clone, allow_dirty=True)
    hook.unlink()
    publish.publish(release, second, remote=str(remote), clone=clone, allow_dirty=True)
    assert _git("rev-list", "--count", "main", cwd=remote).strip() == "2"
    assert _git("rev-parse", "v1^{commit}", cwd=remote) == _git("rev-parse", "main~1", cwd=remote)
    assert _git("rev-parse", "v2^{commit}", cwd=remote) == _git("rev-parse", "main", cwd=remote)
