"""Time series as tensors: synthetic noisy sines and the UCR/UEA sets that ship with ``aeon``.

Every series comes back as a float32 tensor of shape ``(N, C, T)`` (N series, C channels,
T time steps) with int64 labels ``(N,)``, so a notebook keeps a whole data set in (GPU)
memory and slices mini-batches from it, as for images.

The UCR/UEA files are read from the ``aeon`` package's own data folder: nothing is
downloaded. Only the sets that ``aeon`` ships can be loaded (see :func:`available_ucr`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .sources import DataUnavailableError

AEON_REQUIREMENT = "aeon>=1.6,<1.7"

# Sizes of the sets the course uses, from the UCR/UEA archive's descriptions
# (Dau et al. 2019; Bagnall et al. 2018): (train, test, channels, length, classes).
# A loaded file that disagrees is an error rather than a silently different experiment.
KNOWN_SIZES: dict[str, tuple[int, int, int, int, int]] = {
    "ArrowHead": (36, 175, 1, 251, 3),
    "BasicMotions": (40, 40, 6, 100, 4),
    "GunPoint": (50, 150, 1, 150, 2),
    "ItalyPowerDemand": (67, 1029, 1, 24, 2),
}


class UnknownDatasetError(ValueError):
    """Raised for a data set name that ``aeon`` does not ship."""


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
def _aeon_data_dir() -> Path:
    try:
        import aeon
    except ImportError as error:
        raise ImportError(
            "the UCR/UEA data sets are read from the aeon package, which is not installed; "
            f'install it with `pip install "{AEON_REQUIREMENT}"` (or `make install`)'
        ) from error
    return Path(aeon.__file__).resolve().parent / "datasets" / "data"


def _header(path: Path) -> dict[str, str]:
    """The ``@key value`` lines of a ``.ts`` file's header, keys lower-cased."""
    header = {}
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            line = line.strip()
            if line.lower().startswith("@data"):
                break
            if line.startswith("@"):
                key, _, value = line[1:].partition(" ")
                header[key.lower()] = value.strip().lower()
    return header


def _is_equal_length_classification(train_file: Path) -> bool:
    header = _header(train_file)
    return (
        header.get("classlabel", "false").startswith("true")
        and header.get("equallength", "true") == "true"
        and header.get("timestamps", "false") == "false"
    )


def available_ucr() -> tuple[str, ...]:
    """Names of the equal-length classification sets that the installed ``aeon`` ships."""
    names = []
    for train_file in sorted(_aeon_data_dir().glob("*/*_TRAIN.ts")):
        name = train_file.name.removesuffix("_TRAIN.ts")
        test_file = train_file.with_name(f"{name}_TEST.ts")
        if test_file.is_file() and _is_equal_length_classification(train_file):
            names.append(name)
    return tuple(sorted(names, key=str.lower))


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
        f"unknown UCR/UEA data set {name!r}.{suggestion} The data sets shipped with the "
        f"installed aeon (names are case-sensitive) are: {', '.join(available)}"
    )


def _class_order(labels: np.ndarray) -> list[str]:
    """Class names sorted numerically when they all are numbers, else alphabetically."""
    names = sorted({str(label) for label in labels})
    try:
        return sorted(names, key=float)
    except ValueError:
        return names


def _read_split(path: Path) -> tuple[np.ndarray, np.ndarray]:
    from aeon.datasets import load_from_ts_file

    x, y = load_from_ts_file(str(path))
    if not isinstance(x, np.ndarray) or x.ndim != 3:
        raise DataUnavailableError(
            f"{path} did not load as one (N, C, T) array (series of unequal length?); "
            "choose an equal-length data set from available_ucr()"
        )
    return x, np.asarray(y)


def _check_sizes(data: SeriesSet) -> None:
    expected = KNOWN_SIZES.get(data.name)
    if expected is None:
        return
    got = (len(data.train_x), len(data.test_x), data.n_channels, data.length, data.n_classes)
    if got != expected:
        raise DataUnavailableError(
            f"{data.name} from aeon has (train, test, channels, length, classes) = {got}, "
            f"expected {expected}; the installed aeon ships a different version of it: "
            f'install `pip install "{AEON_REQUIREMENT}"`'
        )


def load_ucr(name: str, normalize: bool = False) -> SeriesSet:
    """A UCR/UEA classification data set from the files inside the ``aeon`` package.

    Args:
        name: e.g. ``"GunPoint"``, ``"ItalyPowerDemand"``, ``"ArrowHead"`` or, with six
            channels, ``"BasicMotions"``; :func:`available_ucr` lists every choice.
        normalize: z-normalise each series and channel (most univariate UCR sets already
            are; the multivariate UEA sets are not).
    Returns:
        a :class:`SeriesSet` with float32 ``(N, C, T)`` series and int64 labels, using the
        archive's official train/test split.
    Raises:
        UnknownDatasetError: ``name`` is not shipped with ``aeon`` (the message lists them).
    """
    name = _resolve_name(name)
    folder = _aeon_data_dir()
    parts = {split: _read_split(next(folder.glob(f"*/{name}_{split}.ts"))) for split in ("TRAIN", "TEST")}
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
