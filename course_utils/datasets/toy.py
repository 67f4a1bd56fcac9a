"""Small synthetic and classic datasets for the first lessons.

Each function returns ``(X, y)`` with ``X`` float32 of shape (n_samples, n_features).
"""
import numpy as np
from sklearn import datasets as skdata

_XOR_CENTRES = [((0, 0), 0), ((1, 1), 0), ((0, 1), 1), ((1, 0), 1)]


def make_or_gate():
    """The OR truth table: X (4, 2), y float32 (4, 1)."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([[0], [1], [1], [1]], dtype=np.float32)
    return X, y


def make_xor_blobs(n_per_blob=100, std=0.1, seed=0):
    """Four Gaussian blobs: (0,0) and (1,1) are class 0, (0,1) and (1,0) class 1.

    ``std`` is the standard deviation of each coordinate. Points are grouped by blob;
    y is int64 of length ``4 * n_per_blob``.
    """
    if int(n_per_blob) != n_per_blob or n_per_blob < 1:
        raise ValueError(f"n_per_blob must be a positive integer, got {n_per_blob}")
    if std < 0:
        raise ValueError(f"std must be >= 0, got {std}")
    rng = np.random.default_rng(seed)
    n = int(n_per_blob)
    X = np.concatenate([rng.normal(centre, std, size=(n, 2)) for centre, _ in _XOR_CENTRES])
    y = np.repeat([label for _, label in _XOR_CENTRES], n)
    return X.astype(np.float32), y.astype(np.int64)


def load_circles(n_samples=2000, noise=0.05, seed=42, factor=0.8):
    """Two concentric rings (sklearn's make_circles); the inner ring is class 1."""
    X, y = skdata.make_circles(n_samples, noise=noise, factor=factor, random_state=seed)
    return X.astype(np.float32), y.astype(np.int64)


def load_blobs(n_samples=1000, n_classes=4, std=1.5, seed=42):
    """``n_classes`` Gaussian blobs in 2-D (sklearn's make_blobs)."""
    X, y = skdata.make_blobs(n_samples=n_samples, n_features=2, centers=n_classes,
                             cluster_std=std, random_state=seed)
    return X.astype(np.float32), y.astype(np.int64)


def load_moons(n_samples=100, noise=0.3, seed=0):
    """Two interleaving half circles (sklearn's make_moons)."""
    X, y = skdata.make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return X.astype(np.float32), y.astype(np.int64)


def load_linearly_separable(n_samples=100, seed=1):
    """Two informative features, one cluster per class, jittered: the "linearly separable"
    dataset of sklearn's classifier comparison (identical to it for the default seed)."""
    X, y = skdata.make_classification(n_samples=n_samples, n_features=2, n_redundant=0,
                                      n_informative=2, n_clusters_per_class=1, random_state=seed)
    X += 2 * np.random.RandomState(seed + 1).uniform(size=X.shape)
    return X.astype(np.float32), y.astype(np.int64)


def load_iris_2d():
    """Iris setosa (0) vs versicolor (1) described by sepal length and petal length (cm)."""
    iris = skdata.load_iris()
    keep = iris.target < 2
    return iris.data[keep][:, [0, 2]].astype(np.float32), iris.target[keep].astype(np.int64)


def load_digits_8x8():
    """sklearn's 1,797 8x8 digits: X (1797, 64) scaled to [0, 1], y int64."""
    digits = skdata.load_digits()
    return (digits.data / 16.0).astype(np.float32), digits.target.astype(np.int64)
