"""Time series as tensors: synthetic noisy sines and four small sets of the UCR/UEA archive.

Every series comes back as a float32 tensor of shape ``(N, C, T)`` (N series, C channels,
T time steps) with int64 labels ``(N,)``, so a notebook keeps a whole data set in (GPU)
memory and slices mini-batches from it, as for images.

The UCR/UEA sets are ``.ts`` text files, found like every data file of the course (see
:mod:`lab_utils.sources`): the cache, ``$SSL_LAB_DATA_DIR/ucr/``, the copy inside an
installed ``aeon`` package (which ships these very files), then a
download from aeon's repository at a fixed tag. Each file is checked against its SHA-256.
"""

from __future__ import annotations

import difflib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .sources import DataUnavailableError, RemoteFile, fetch

# Sizes of the sets the course uses, from the UCR/UEA archive's descriptions
# (Dau et al. 2019; Bagnall et al. 2018): (train, test, channels, length, classes).
# A loaded file that disagrees is an error rather than a silently different experiment.
KNOWN_SIZES: dict[str, tuple[int, int, int, int, int]] = {
    "ArrowHead": (36, 175, 1, 251, 3),
    "BasicMotions": (40, 40, 6, 100, 4),
    "GunPoint": (50, 150, 1, 150, 2),
    "ItalyPowerDemand": (67, 1029, 1, 24, 2),
}

# The same bytes as in aeon's wheels (1.0 to 1.6): the files have not changed since 2023.
UCR_MIRRORS = (
    "https://raw.githubusercontent.com/aeon-toolkit/aeon/v1.5.0/aeon/datasets/data/",
    "https://cdn.jsdelivr.net/gh/aeon-toolkit/aeon@v1.5.0/aeon/datasets/data/",
)
_UCR_SHA256 = {
    ("ArrowHead", "TRAIN"): "a83c470aaf611a5f5284377cce27a5fc9f6292bc3d110257b0fd4905ced5ee72",
    ("ArrowHead", "TEST"): "5417dab42626d41df5e435bb22458c2df40dfad4bcd3b59559bbe72e20e84904",
    ("BasicMotions", "TRAIN"): "8dc43cc6306cb679c888c01e26f91772ac4441a916da43bac8b79734a538b9d6",
    ("BasicMotions", "TEST"): "79213102bc6fca1a398ad98ce1185dff0208fa3d1465e687f48288946b0ff8dc",
    ("GunPoint", "TRAIN"): "f842401779fd9800d247d8b33121a1a4643710a19b24917dbdd9a060ca8630d5",
    ("GunPoint", "TEST"): "79332750788a6227b325b96bd0d70130c8eb707b9731f8d7dec62b7a7d36017e",
    ("ItalyPowerDemand", "TRAIN"): "341269cb7e6cef96846b30e774580beec79addb93848ba360145219115a74b7c",
    ("ItalyPowerDemand", "TEST"): "26122451f87dd0387ef90b18bc8a86c041371b8a1c068004922b939971247144",
}


def _ucr_file(name: str, split: str) -> RemoteFile:
    relative = f"{name}/{name}_{split}.ts"
    return RemoteFile(f"ucr/{relative}", _UCR_SHA256[name, split],
                      tuple(mirror + relative for mirror in UCR_MIRRORS))


UCR_FILES: dict[tuple[str, str], RemoteFile] = {key: _ucr_file(*key) for key in _UCR_SHA256}


class UnknownDatasetError(ValueError):
    """Raised for a data set name that is not one of the course's UCR/UEA sets."""


@dataclass
class SeriesSet:
    """A labelled time-series data set with its official train/test split.

    Attributes:
        train_x: ``(N, C, T)`` float32 tensor; train_y: ``(N,)`` int64 class indices.
        test_x: ``(M, C, T)`` float32 tensor; test_y: ``(M,)`` int64 class indices.
        classes: class names, indexed by label.
        name: the data set's name, e.g. ``"GunPoint"``.
    """

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    classes: tuple[str, ...]
    name: str

    @property
    def n_channels(self) -> int:
        return int(self.train_x.shape[1])

    @property
    def length(self) -> int:
        return int(self.train_x.shape[2])

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def to(self, device: torch.device | str) -> SeriesSet:
        return SeriesSet(
            self.train_x.to(device),
            self.train_y.to(device),
            self.test_x.to(device),
            self.test_y.to(device),
            self.classes,
            self.name,
        )

    def __repr__(self) -> str:
        return (
            f"SeriesSet({self.name}: train {tuple(self.train_x.shape)}, "
            f"test {tuple(self.test_x.shape)}, {self.n_classes} classes)"
        )


# --------------------------------------------------------------------------- sines
def make_sines(
    n: int = 1_000,
    length: int = 50,
    frequencies: tuple[float, float] = (1.0, 3.0),
    noise: float = 0.1,
    random_phase: bool = False,
    normalize: bool = True,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Noisy sine waves of two frequencies, half of each, as a two-class data set.

    Series ``i`` of class ``c`` is ``sin(f_c * t + phase_i) + noise * e_i(t)`` on ``T =
    length`` points ``t`` evenly spaced over ``[0, 2 pi]``, with Gaussian ``e_i(t)``.

    Args:
        n: number of series (``n // 2`` of class 0, the rest of class 1).
        frequencies: ``(f_0, f_1)``, cycles per series of class 0 and class 1.
        noise: standard deviation of the Gaussian noise.
        random_phase: draw each series' phase uniformly in ``[0, 2 pi)``; else phase 0.
        normalize: z-normalise each series (zero mean, unit standard deviation).
        seed: seed of this function's own ``np.random.Generator`` (the global RNG is untouched).
    Returns:
        ``x``: ``(n, 1, length)`` float32 tensor, class 0 first; ``y``: ``(n,)`` int64 labels.
    """
    if n < 2 or length < 2:
        raise ValueError(f"need n >= 2 series of length >= 2, got n={n}, length={length}")
    if noise < 0:
        raise ValueError(f"noise is a standard deviation and must be >= 0, got {noise}")
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.array([0, 1]), [n // 2, n - n // 2])
    t = np.linspace(0.0, 2.0 * np.pi, length)
    phase = rng.uniform(0.0, 2.0 * np.pi, size=(n, 1)) if random_phase else np.zeros((n, 1))
    frequency = np.asarray(frequencies, dtype=np.float64)[labels][:, None]
    series = np.sin(frequency * t[None, :] + phase) + rng.normal(0.0, noise, size=(n, length))
    x = torch.from_numpy(series.astype(np.float32)).unsqueeze(1)
    if normalize:
        x = znormalize(x)
    return x, torch.from_numpy(labels.astype(np.int64))


def znormalize(x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Give every series and channel of ``x`` ``(N, C, T)`` zero mean and unit standard deviation."""
    mean = x.mean(dim=-1, keepdim=True)
    std = x.std(dim=-1, keepdim=True, unbiased=False)
    return (x - mean) / (std + eps)


# --------------------------------------------------------------------------- UCR / UEA
def _aeon_data_dir() -> Path | None:
    """The data folder inside an installed ``aeon`` package, found without importing aeon."""
    spec = importlib.util.find_spec("aeon")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"


def available_ucr() -> tuple[str, ...]:
    """Names of the UCR/UEA sets that :func:`load_ucr` can load (their checksums are known)."""
    return tuple(sorted(KNOWN_SIZES, key=str.lower))


def _resolve_name(name: str) -> str:
    available = available_ucr()
    if name in available:
        return name
    by_lower = {known.lower(): known for known in available}
    close = by_lower.get(name.lower()) or next(
        iter(difflib.get_close_matches(name, available, n=1, cutoff=0.6)), None
    )
    suggestion = f" Did you mean {close!r}?" if close else ""
    raise UnknownDatasetError(
        f"unknown UCR/UEA data set {name!r}.{suggestion} The course's data sets "
        f"(names are case-sensitive) are: {', '.join(available)}"
    )


def _class_order(labels: np.ndarray) -> list[str]:
    """Class names sorted numerically when they all are numbers, else alphabetically."""
    names = sorted({str(label) for label in labels})
    try:
        return sorted(names, key=float)
    except ValueError:
        return names


def read_ts(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read a labelled, equal-length ``.ts`` file, the text format of the UCR/UEA archive.

    After the ``@``-header and the ``@data`` line, each line is one series: its channels
    separated by ``:``, the values of a channel by ``,``, and the class label last.

    Returns:
        ``(N, C, T)`` float64 values (a missing value ``?`` becomes NaN) and ``(N,)`` labels
        as strings.
    """
    series, labels = [], []
    in_data = False
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not in_data:
                in_data = line.lower().startswith("@data")
                continue
            *channels, label = line.split(":")
            series.append([np.array(c.replace("?", "nan").split(","), dtype=np.float64) for c in channels])
            labels.append(label.strip())
    shapes = {(len(channels), len(values)) for channels in series for values in channels}
    if not in_data or not series or len(shapes) != 1 or not all(labels):
        raise DataUnavailableError(
            f"{path} is not a labelled .ts file of equal-length series (shapes {sorted(shapes)[:3]}); "
            "choose one of the course's data sets from available_ucr()"
        )
    return np.stack([np.stack(channels) for channels in series]), np.asarray(labels)


def _ucr_split(name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    remote = UCR_FILES[name, split]
    aeon_dir = _aeon_data_dir()
    in_aeon = [("installed aeon package", aeon_dir / name / f"{name}_{split}.ts")] if aeon_dir else []
    return read_ts(fetch(remote, more_places=in_aeon))


def _check_sizes(data: SeriesSet) -> None:
    expected = KNOWN_SIZES.get(data.name)
    if expected is None:
        return
    got = (len(data.train_x), len(data.test_x), data.n_channels, data.length, data.n_classes)
    if got != expected:
        raise DataUnavailableError(
            f"{data.name} has (train, test, channels, length, classes) = {got}, expected "
            f"{expected}: the file is a different version of the data set"
        )


def load_ucr(name: str, normalize: bool = False) -> SeriesSet:
    """A UCR/UEA classification data set, with the archive's official train/test split.

    Args:
        name: ``"GunPoint"``, ``"ItalyPowerDemand"``, ``"ArrowHead"`` or, with six channels,
            ``"BasicMotions"`` (:func:`available_ucr` lists them).
        normalize: z-normalise each series and channel (most univariate UCR sets already
            are; the multivariate UEA sets are not).
    Returns:
        a :class:`SeriesSet` with float32 ``(N, C, T)`` series and int64 labels.
    Raises:
        UnknownDatasetError: ``name`` is not one of the course's sets (the message lists them).
        DataUnavailableError: no source has the files (the message lists every one tried).
    """
    name = _resolve_name(name)
    parts = {split: _ucr_split(name, split) for split in ("TRAIN", "TEST")}
    classes = _class_order(np.concatenate([parts["TRAIN"][1], parts["TEST"][1]]))
    index = {label: i for i, label in enumerate(classes)}

    def tensors(split: str) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = parts[split]
        series = torch.from_numpy(x.astype(np.float32))
        if normalize:
            series = znormalize(series)
        return series, torch.tensor([index[str(label)] for label in y], dtype=torch.int64)

    (train_x, train_y), (test_x, test_y) = tensors("TRAIN"), tensors("TEST")
    data = SeriesSet(train_x, train_y, test_x, test_y, tuple(classes), name)
    _check_sizes(data)
    return data
