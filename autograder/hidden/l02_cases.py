"""Inputs of lesson 2's hidden tests, drawn from the test's ``rng``: an answer has to be computed,
not remembered."""
import math

import numpy as np
import torch
from sklearn.datasets import make_blobs
from sklearn.model_selection import train_test_split

from autograder.hidden.kernel import random_inputs
from course_utils.datasets import load_circles


def epoch_batches(rng):
    """Three lists of (batch mean losses, batch sizes): full batches and a smaller last one;
    two batches as 0-d tensors; a single batch. The last batch's loss is far from the others'
    mean, so a plain mean of the batch means cannot pass for the weighted one."""
    size = int(rng.choice([16, 32, 64]))
    n_full = int(rng.integers(2, 5))
    full = [round(float(v), 3) for v in rng.uniform(0.2, 1.2, size=n_full)]
    last = round(float(np.mean(full) + rng.uniform(0.5, 1.0)), 3)
    uneven = (full + [last], [size] * n_full + [int(rng.integers(1, size // 2))])
    small, big = (int(n) for n in rng.integers(1, 6, size=2))
    tensors = ([torch.tensor(float(v)) for v in np.round(rng.uniform(0.1, 2.0, size=2), 3)], [small + big, small])
    single = ([round(float(rng.uniform(0.1, 2.0)), 3)], [int(rng.integers(5, 40))])
    return [uneven, tensors, single]


def relu_mlp_sizes(rng):
    """Three (in_features, hidden widths, out_features) from ``rng``: one hidden layer, three,
    and two of the lesson's shape."""
    return [(int(rng.integers(2, 6)), [int(rng.integers(3, 9))], int(rng.integers(2, 4))),
            (int(rng.integers(2, 4)), [int(w) for w in rng.integers(6, 17, size=3)], int(rng.integers(2, 6))),
            (2, [int(rng.integers(32, 65))] * 2, 1)]


def circles_split(seed, n_samples=800):
    """The rings of the lesson (noise 0.05) drawn with ``seed``, split 80/20 as float32 tensors
    with (N, 1) labels: ((X_train, y_train), (X_test, y_test))."""
    X, y = load_circles(n_samples=n_samples, seed=seed)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=seed)
    features = [torch.as_tensor(a, dtype=torch.float32) for a in (X_train, X_test)]
    labels = [torch.as_tensor(a, dtype=torch.float32).reshape(-1, 1) for a in (y_train, y_test)]
    return (features[0], labels[0]), (features[1], labels[1])


def blob_split(seed, n_samples, n_classes, std=1.5, radius=10.0):
    """Gaussian blobs whose centers lie on a circle (random rotation and offset), so they never
    overlap; split 80/20: (X_train, y_train, X_test, y_test), float32 features, long labels."""
    generator = np.random.default_rng(seed)
    angles = generator.uniform(0, 2 * np.pi) + 2 * np.pi * np.arange(n_classes) / n_classes
    centers = generator.uniform(-3, 3, size=2) + radius * np.column_stack([np.cos(angles), np.sin(angles)])
    X, y = make_blobs(n_samples=n_samples, centers=centers, cluster_std=std, random_state=seed)
    X_train, X_test, y_train, y_test = train_test_split(X.astype(np.float32), y.astype(np.int64),
                                                        test_size=0.2, random_state=seed)
    return tuple(torch.as_tensor(a) for a in (X_train, y_train, X_test, y_test))


def grid_points(rng):
    """A few 2-D points whose features have different ranges (so a transposed grid shows)."""
    low = rng.uniform(-6, 6, size=2)
    span = np.array([rng.uniform(2, 5), rng.uniform(6, 10)])[rng.permutation(2)]
    X = low + span * rng.random((int(rng.integers(3, 9)), 2))
    return X.astype(np.float32)


def labelled_data(rng):
    """(X, y) with 3 or 4 classes of different sizes, 2 to 5 features, shuffled rows."""
    n_classes = int(rng.integers(3, 5))
    counts = rng.choice(np.arange(5, 40), size=n_classes, replace=False)
    y = rng.permutation(np.repeat(np.arange(n_classes), counts)).astype(np.int64)
    X = rng.normal(size=(len(y), int(rng.integers(2, 6)))).astype(np.float32)
    return X, y


def split_case(rng):
    """(X, y, test_size, seed): rows whose label is readable from the row (x0 > 0), and a
    test_size for which sklearn's ceil(test_size * n) has no rounding to disagree about."""
    while True:
        n, test_size = int(rng.integers(80, 141)), float(rng.choice([0.2, 0.25, 0.3, 0.4]))
        if float(test_size * n).is_integer():
            break
    X = rng.normal(size=(n, int(rng.integers(3, 6))))
    y = (X[:, 0] > 0).astype(np.int64)
    return X, y, test_size, int(rng.integers(10_000))


def split_sizes(n, test_size):
    n_test = int(math.ceil(test_size * n))
    return n - n_test, n_test


def separable(rng, n, in_features):
    """Points labelled by the side of a random line through the origin: (X, y) float32."""
    X = random_inputs(rng, n, in_features)
    direction = torch.as_tensor(rng.normal(size=(in_features, 1)), dtype=torch.float32)
    return X, (X @ direction > 0).float()
