"""Dataset loaders for the course, modelled on ``sklearn.datasets``.

Downloads are cached and checksummed under ``settings.data_home()``; without network
the loaders fall back to data shipped with installed packages and say so.
"""
from .errors import DatasetUnavailableError, DownloadError
from .mnist import MNIST_MEAN, MNIST_STD, load_mnist, mnist_denormalize
from .splits import train_val_split
from .titanic import load_titanic
from .toy import (
    load_blobs,
    load_circles,
    load_digits_8x8,
    load_iris_2d,
    load_linearly_separable,
    load_moons,
    make_or_gate,
    make_xor_blobs,
)

DATASETS = {
    "titanic": load_titanic,
    "mnist": load_mnist,
    "or_gate": make_or_gate,
    "xor_blobs": make_xor_blobs,
    "circles": load_circles,
    "blobs": load_blobs,
    "moons": load_moons,
    "linearly_separable": load_linearly_separable,
    "iris_2d": load_iris_2d,
    "digits_8x8": load_digits_8x8,
}


def load_dataset(name, **kwargs):
    """Load a dataset by its name in ``DATASETS``."""
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}. Valid names: {', '.join(sorted(DATASETS))}")
    return DATASETS[name](**kwargs)


__all__ = [
    "DATASETS", "DatasetUnavailableError", "DownloadError", "MNIST_MEAN", "MNIST_STD",
    "load_blobs", "load_circles", "load_dataset", "load_digits_8x8", "load_iris_2d",
    "load_linearly_separable", "load_mnist", "load_moons", "load_titanic", "make_or_gate",
    "make_xor_blobs", "mnist_denormalize", "train_val_split",
]
