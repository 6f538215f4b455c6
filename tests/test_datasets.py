import gzip
import hashlib
import http.client
import io
import re
import tarfile
import urllib.error

import numpy as np
import pytest
import torch
from PIL import Image
from support import shared_data_dir

from lab_utils import datasets, sources
from lab_utils.datasets import load_cifar10, load_digits, load_mnist, stratified_indices
from lab_utils.sources import ChecksumError, DataUnavailableError, RemoteFile


def test_digits_are_uint8_images_with_values_up_to_16():
    digits = load_digits()
    assert digits.images.shape == (1797, 1, 8, 8) and digits.images.dtype == torch.uint8
    assert int(digits.images.max()) == 16 and digits.labels.dtype == torch.int64
    assert sorted(digits.labels.unique().tolist()) == list(range(10))


def _idx_gz(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def _register_fake_mnist(tmp_path, monkeypatch, n_train=30, n_test=20):
    """Write MNIST-format files into a local copy folder and register their checksums."""
    rng = np.random.default_rng(0)
    arrays = {"train_images": rng.integers(0, 256, (n_train, 28, 28)),
              "train_labels": np.arange(n_train) % 10,
              "test_images": rng.integers(0, 256, (n_test, 28, 28)),
              "test_labels": np.arange(n_test) % 10}
    local = tmp_path / "local"
    files = {}
    for key, remote in datasets.MNIST_FILES.items():
        blob = _idx_gz(arrays[key])
        (local / remote.name).parent.mkdir(parents=True, exist_ok=True)
        (local / remote.name).write_bytes(blob)
        files[key] = RemoteFile(remote.name, hashlib.sha256(blob).hexdigest(), remote.urls)
    monkeypatch.setattr(datasets, "MNIST_FILES", files)
    monkeypatch.setenv("SSL_LAB_DATA_DIR", str(local))
    return arrays, local


def test_mnist_is_read_from_a_local_copy_and_cached(isolated_data, no_network, tmp_path, monkeypatch):
    arrays, local = _register_fake_mnist(tmp_path, monkeypatch)
    train = load_mnist("train")
    assert train.images.shape == (30, 1, 28, 28) and train.images.dtype == torch.uint8
    assert np.array_equal(train.images[:, 0].numpy(), arrays["train_images"])
    assert train.source == "MNIST"
    monkeypatch.delenv("SSL_LAB_DATA_DIR")  # the decoded cache alone must now suffice
    test = load_mnist("test", limit=10)
    assert len(test) == 10 and sorted(test.labels.tolist()) == list(range(10))


def test_a_corrupted_local_file_names_itself_in_a_checksum_error(isolated_data, no_network, tmp_path, monkeypatch):
    _, local = _register_fake_mnist(tmp_path, monkeypatch)
    corrupted = local / datasets.MNIST_FILES["train_images"].name
    corrupted.write_bytes(b"not the file you are looking for")
    with pytest.raises(ChecksumError) as error:
        load_mnist("train")
    assert str(corrupted) in str(error.value) and "SHA-256" in str(error.value)


def test_without_any_source_the_error_lists_every_source_and_the_fix(isolated_data, no_network):
    with pytest.raises(DataUnavailableError) as error:
        load_cifar10("train")
    message = str(error.value)
    assert str(isolated_data / "cifar-10-python.tar.gz") in message  # the cache
    assert "SSL_LAB_DATA_DIR (not set)" in message  # the local copy
    assert "download https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz" in message
    assert "set SSL_LAB_DATA_DIR" in message and "internet" in message
    attempts = [line for line in message.splitlines() if line.startswith("  - ")]
    assert len(attempts) == 2 + len(datasets.CIFAR10_OFFICIAL.urls), attempts  # cache, local copy, URLs
    assert message.count("Fix one of these") == 1 and message.rstrip().endswith("yourself.")


def test_fetch_downloads_into_the_cache_and_verifies(isolated_data, monkeypatch):
    payload = b"some data set"
    remote = RemoteFile("thing.bin", hashlib.sha256(payload).hexdigest(), ("https://example.org/thing.bin",))
    monkeypatch.setattr(sources.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(payload))
    path = sources.fetch(remote)
    assert path == isolated_data / "thing.bin" and path.read_bytes() == payload


def test_a_corrupted_download_is_rejected_and_not_kept(isolated_data, monkeypatch):
    remote = RemoteFile("thing.bin", "0" * 64, ("https://example.org/thing.bin",))
    monkeypatch.setattr(sources.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(b"junk"))
    with pytest.raises(DataUnavailableError) as error:
        sources.fetch(remote)
    assert "SHA-256 is" in str(error.value) and "not kept" in str(error.value)
    assert "Delete" not in str(error.value), "no file is left to delete"
    assert not list(isolated_data.glob("*")), "a file that failed its checksum must not stay in the cache"


def _serve_by_url(monkeypatch, answers):
    """urlopen answers each URL from ``answers``: bytes, or an exception to raise."""
    def urlopen(request, timeout):
        answer = answers[request.full_url]
        if isinstance(answer, BaseException):
            raise answer
        return io.BytesIO(answer)

    monkeypatch.setattr(sources.urllib.request, "urlopen", urlopen)


@pytest.mark.parametrize("first", [b"a mirror's stale copy",
                                   urllib.error.HTTPError("https://a.example/f", 503, "Service Unavailable", {}, None),
                                   http.client.IncompleteRead(b"par")])
def test_a_failing_first_source_moves_on_to_the_next(isolated_data, monkeypatch, first):
    payload = b"the real file"
    remote = RemoteFile("f.bin", hashlib.sha256(payload).hexdigest(),
                        ("https://a.example/f", "https://b.example/f"))
    _serve_by_url(monkeypatch, {"https://a.example/f": first, "https://b.example/f": payload})
    assert sources.fetch(remote).read_bytes() == payload


def test_when_every_source_fails_the_error_says_what_each_one_did(isolated_data, monkeypatch):
    remote = RemoteFile("f.bin", "0" * 64, ("https://a.example/f", "https://b.example/f"))
    _serve_by_url(monkeypatch, {
        "https://a.example/f": urllib.error.HTTPError("https://a.example/f", 404, "Not Found", {}, None),
        "https://b.example/f": b"wrong bytes"})
    with pytest.raises(DataUnavailableError) as error:
        sources.fetch(remote)
    message = str(error.value)
    assert "download https://a.example/f (HTTP error 404: Not Found)" in message
    assert f"download https://b.example/f (it sent a file whose SHA-256 is {hashlib.sha256(b'wrong bytes').hexdigest()}" in message
    assert not list(isolated_data.glob("*"))


def test_the_error_names_only_what_a_student_has(isolated_data, no_network):
    with pytest.raises(DataUnavailableError) as error:
        load_cifar10("train")
    message = str(error.value)
    for foreign in (r"\bCI\b", "shared/data", r"\bmake ", r"\[test\]"):
        assert not re.search(foreign, message), f"{foreign!r} means nothing to a student: {message}"
    assert "data/README.md" in message


def test_a_download_shows_a_progress_bar(isolated_data, tmp_path, capsys):
    payload = b"x" * 300_000
    origin = tmp_path / "thing.bin"
    origin.write_bytes(payload)
    remote = RemoteFile("thing.bin", hashlib.sha256(payload).hexdigest(), (origin.as_uri(),))
    sources.fetch(remote)
    bar = capsys.readouterr().err
    assert "thing.bin" in bar and "100%" in bar and "293k" in bar.replace("K", "k")


def _official_cifar_archive(path, n_train=4, n_test=2):
    """A tiny archive in the official layout: pickled batches of (N, 3072) uint8 rows."""
    import pickle

    rng = np.random.default_rng(0)
    with tarfile.open(path, "w:gz") as tar:
        names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
        for name in names:
            n = n_test if name == "test_batch" else n_train
            batch = {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                     b"labels": list(range(n))}
            blob = pickle.dumps(batch)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return path


def test_cifar10_comes_from_its_second_source_when_the_first_fails(isolated_data, tmp_path, monkeypatch):
    (tmp_path / "mirror").mkdir()
    archive = _official_cifar_archive(tmp_path / "mirror" / "cifar-10-python.tar.gz")
    broken_first = (tmp_path / "down" / "cifar-10-python.tar.gz").as_uri()
    monkeypatch.setattr(datasets, "CIFAR10_OFFICIAL", RemoteFile(
        "cifar-10-python.tar.gz", sources.sha256_of(archive), (broken_first, archive.as_uri())))
    train, test = load_cifar10("train"), load_cifar10("test")
    assert train.images.shape == (20, 3, 32, 32) and test.images.shape == (2, 3, 32, 32)
    assert (isolated_data / "cifar-10-python.tar.gz").is_file()


def test_the_official_cifar10_archive_has_a_second_source():
    assert len(datasets.CIFAR10_OFFICIAL.urls) >= 2
    assert len({url.split("/")[2] for url in datasets.CIFAR10_OFFICIAL.urls}) >= 2, "two hosts"


def _jpeg(colour) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), colour).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def _tiny_jpeg_archive(path):
    with tarfile.open(path, "w:xz") as tar:
        for split, n in (("train", 3), ("test", 1)):
            for name, colour in (("airplane", (250, 0, 0)), ("truck", (0, 0, 250))):
                for i in range(n):
                    blob = _jpeg(colour)
                    info = tarfile.TarInfo(f"cifar10-jpeg/{split}/{name}/{i:04d}.jpg")
                    info.size = len(blob)
                    tar.addfile(info, io.BytesIO(blob))


def test_the_jpeg_archive_layout_decodes_to_official_label_indices(tmp_path):
    archive = tmp_path / "cifar10-jpeg.tar.xz"
    _tiny_jpeg_archive(archive)
    arrays = datasets._decode_jpeg_archive(archive)
    assert arrays["train_images"].shape == (6, 32, 32, 3)
    assert arrays["train_labels"].tolist() == [0, 0, 0, 9, 9, 9]  # airplane=0, truck=9
    assert arrays["train_images"][0, ..., 0].mean() > 200 and arrays["train_images"][-1, ..., 2].mean() > 200


def test_an_incomplete_jpeg_copy_is_refused(isolated_data, no_network, tmp_path, monkeypatch):
    local = tmp_path / "local"
    local.mkdir()
    _tiny_jpeg_archive(local / "cifar10-jpeg.tar.xz")
    digest = sources.sha256_of(local / "cifar10-jpeg.tar.xz")
    monkeypatch.setattr(datasets, "CIFAR10_JPEG_ARCHIVE", RemoteFile("cifar10-jpeg.tar.xz", digest, ()))
    monkeypatch.setenv("SSL_LAB_DATA_DIR", str(local))
    with pytest.raises(DataUnavailableError, match="incomplete"):
        load_cifar10("train")


def test_a_corrupted_cifar_archive_names_itself(isolated_data, no_network, tmp_path, monkeypatch):
    local = tmp_path / "local"
    local.mkdir()
    (local / "cifar10-jpeg.tar.xz").write_bytes(b"truncated")
    monkeypatch.setenv("SSL_LAB_DATA_DIR", str(local))
    with pytest.raises(ChecksumError, match="cifar10-jpeg.tar.xz"):
        load_cifar10("train")


@pytest.mark.skipif(shared_data_dir() is None, reason="needs the offline copies in ../shared/data")
def test_the_offline_cifar10_copy_loads_whole_and_balanced(monkeypatch):
    monkeypatch.setenv("SSL_LAB_DATA_DIR", str(shared_data_dir()))
    train, test = load_cifar10("train"), load_cifar10("test")
    assert train.images.shape == (50_000, 3, 32, 32) and test.images.shape == (10_000, 3, 32, 32)
    assert train.labels.bincount().tolist() == [5_000] * 10
    assert train.source == "CIFAR-10 (JPEG copy)"
    means = (train.images.float() / 255).mean(dim=(0, 2, 3))
    assert torch.allclose(means, torch.tensor([0.4913, 0.4821, 0.4465]), atol=2e-3)


@pytest.mark.skipif(shared_data_dir() is None, reason="needs the offline copies in ../shared/data")
def test_offline_mnist_falls_back_to_the_test_set_with_a_warning(isolated_data, no_network, monkeypatch):
    monkeypatch.setenv("SSL_LAB_DATA_DIR", str(shared_data_dir()))
    monkeypatch.setattr(datasets, "_warned_mnist_fallback", False)
    with pytest.warns(UserWarning, match="full MNIST training set"):
        train = load_mnist("train")
    test = load_mnist("test")
    assert len(train) == 8_000 and len(test) == 2_000
    assert "test set only" in train.source


def test_stratified_indices_are_balanced_distinct_and_repeatable():
    labels = torch.arange(1_000) % 10
    labels = labels[torch.randperm(1_000, generator=torch.Generator().manual_seed(1))]
    idx = stratified_indices(labels, 25, seed=3)
    assert len(idx) == 25 == len(set(idx.tolist()))
    counts = labels[idx].bincount(minlength=10)
    assert counts.max() - counts.min() <= 1
    assert torch.equal(idx, stratified_indices(labels, 25, seed=3))
    assert not torch.equal(idx, stratified_indices(labels, 25, seed=4))


def test_stratified_indices_refuse_more_than_there_is():
    with pytest.raises(ValueError, match="cannot draw 11"):
        stratified_indices(torch.zeros(10), 11)


def test_an_unknown_split_is_refused():
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_mnist("validation")
