"""The nbgrader course being graded (its folders, gradebook and roster policy), and the
environment and read-only paths a student's kernel gets."""

from __future__ import annotations

import glob
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from .sandbox import SANDBOX_HOME

CONFIG_FILE = "nbgrader_config.py"


@dataclass
class Course:
    """An nbgrader course directory, read from its ``nbgrader_config.py``."""

    root: Path
    config: Config
    coursedir: CourseDirectory
    db_url: str
    create_students: bool

    @classmethod
    def load(cls, root: Path, db_url: str | None = None, create_students: bool | None = None) -> Course:
        root = root.resolve()
        if not (root / CONFIG_FILE).is_file():
            raise FileNotFoundError(f"{root} holds no {CONFIG_FILE}: pass the course's root folder with --course")
        config = PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()
        coursedir = CourseDirectory(config=config)
        coursedir.root = str(root)
        if db_url:
            coursedir.db_url = db_url
        if create_students is None:
            create_students = bool(config.Autograde.get("create_student", True))
        return cls(root, config, coursedir, coursedir.db_url, create_students)

    def folder(self, kind: str) -> Path:
        """``submitted``, ``autograded``, ``release`` or ``source`` folder of the course."""
        return self.root / getattr(self.coursedir, f"{kind}_directory")

    @property
    def sqlite_file(self) -> Path | None:
        prefix = "sqlite:///"
        return Path(self.db_url[len(prefix):]) if self.db_url.startswith(prefix) else None


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def lab_utils_dir() -> Path:
    """The folder of the ``lab_utils`` package this grader would import."""
    spec = importlib.util.find_spec("lab_utils")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("lab_utils is not installed: run `make install` (pip install -e .)")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def instructor_dir() -> Path:
    """The folder of the ``ssl_lab_instructor`` package this grader runs from."""
    return Path(__file__).resolve().parents[1]


def hidden_paths(read_only: list[str]) -> list[str]:
    """What the kernel must not see inside the folders it gets read-only: the instructor package
    (grading code, release checks) when it is installed into the mounted environment (a
    non-editable install); an editable install leaves it in the course repository, unmounted."""
    package = instructor_dir()
    return [str(package)] if any(package.is_relative_to(path) for path in read_only) else []


def data_dirs(course: Course) -> dict[str, Path]:
    """The data caches the kernel reads: ``{environment variable: folder}``."""
    dirs = {"SSL_LAB_CACHE_DIR": Path(os.environ.get("SSL_LAB_CACHE_DIR") or course.root / "data")}
    if os.environ.get("SSL_LAB_DATA_DIR"):
        dirs["SSL_LAB_DATA_DIR"] = Path(os.environ["SSL_LAB_DATA_DIR"])
    hf_home = Path(os.environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface")
    hub = Path(os.environ.get("HF_HUB_CACHE") or hf_home / "hub")  # never the whole HF_HOME: it may hold a token
    if hub.is_dir():
        dirs["HF_HUB_CACHE"] = hub
    return {name: path.expanduser().resolve() for name, path in dirs.items() if path.expanduser().is_dir()}


def writable_data_dirs(course: Course) -> list[str]:
    """The data caches a kernel may add to (in a layer of its own, see :mod:`.sandbox`).

    ``lab_utils`` decodes an archive into ``<cache>/<name>.npz`` on first use: on a grading
    machine whose cache is empty, a read-only cache would fail every data cell.
    """
    cache = data_dirs(course).get("SSL_LAB_CACHE_DIR")
    return [str(cache)] if cache is not None else []


def read_only_paths(course: Course, extra: list[str]) -> list[str]:
    """Everything the sandbox mounts read-only; refuses any path that would expose the course."""
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(os.path.realpath(sys.executable)).parent,
             lab_utils_dir(), *data_dirs(course).values(), *map(Path, extra)}
    resolved = sorted({p.resolve() for p in paths if p.exists()}, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for path in resolved:
        if course.root.is_relative_to(path):
            raise ValueError(f"the sandbox would mount {path}, which holds the course directory "
                             f"{course.root}: install Python and the data outside the course folder")
        if not any(path.is_relative_to(parent) for parent in kept):
            kept.append(path)
    return [str(path) for path in kept]


def font_cache_files() -> dict[str, str]:
    """matplotlib's font list, copied into each kernel's home: saves ~1 s per kernel."""
    cache = os.environ.get("MPLCONFIGDIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "matplotlib")
    return {f".cache/matplotlib/{os.path.basename(path)}": path
            for path in glob.glob(os.path.join(cache, "fontlist-*.json"))}


def kernel_environment(course: Course, profile: str, threads: int, sandboxed: bool) -> dict[str, str]:
    """The kernel's whole environment: nothing of the grader's (it may hold secrets) leaks in."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": SANDBOX_HOME, "USER": "student", "LOGNAME": "student",
        "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TMPDIR": "/tmp",
        "PYTHONPATH": str(lab_utils_dir().parent),  # the course's own lab_utils, first on the path
        "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
        "SSL_LAB_PROFILE": profile,
        # relative: inside the working folder, whatever its path
        "SSL_LAB_RESULTS_DIR": "results", "SSL_LAB_FIGURES_DIR": "figures",
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
        "NBGRADER_EXECUTION": "autograde",
    }
    env["OMP_WAIT_POLICY"] = "PASSIVE"  # idle OpenMP threads sleep: kernels share the cores
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                 "VECLIB_MAXIMUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        env[name] = str(threads)  # one kernel per worker: each gets its share of the cores
    env.update({name: str(path) for name, path in data_dirs(course).items()})
    if not sandboxed:
        env.pop("HOME")  # the kernel manager points it at the job's own folder
    return env
