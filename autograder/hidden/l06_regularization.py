"""Trusted helpers for the hidden tests of lesson 6, regularization.

They run in the grader. The models the student's functions receive are fitted in the student's
kernel (``student.module(...)`` reaches scikit-learn and the lesson's ``fit_mlp`` there, never
the student's names); their weights, probabilities and the student's answers come back as
values, and every expected value is computed here. The data are drawn from the hidden test's
``rng``: a random split of the lesson's Iris data, standardized as in the lesson.
"""
import numpy as np

from autograder.trusted_tests import Remote
from course_utils.datasets import load_iris_2d, train_val_split
from course_utils.lessons.l06_regularization import fit_mlp
from course_utils.plots import decision_boundary_frame

LESSON_MODULE = "course_utils.lessons.l06_regularization"


def iris_split(rng):
    """A random training and held-out part of the lesson's Iris data (both classes present),
    standardized on the training part: (X_train, X_test, y_train, y_test) as NumPy arrays."""
    X, y = load_iris_2d()
    while True:
        test_size = float(rng.uniform(0.25, 0.4))
        X_train, X_test, y_train, y_test, _ = train_val_split(X, y, test_size=test_size,
                                                              random_state=int(rng.integers(10_000)))
        if len(np.unique(y_train)) == 2 and len(np.unique(y_test)) == 2:
            return X_train, X_test, y_train, y_test


# -- exercise 1: the L2 penalty --------------------------------------------------------------------

def penalty_cases(rng):
    """(alpha, hidden_layer_sizes, seed): a small alpha with one hidden layer, a large alpha with
    two layers, and alpha = 0."""
    return [(round(float(rng.uniform(0.1, 1.0)), 3), (int(rng.integers(5, 13)),), int(rng.integers(100))),
            (round(float(rng.uniform(2.0, 8.0)), 3), (int(rng.integers(4, 9)), int(rng.integers(3, 7))),
             int(rng.integers(100))),
            (0.0, (int(rng.integers(2, 6)),), int(rng.integers(100)))]


def as_number(value):
    """``value`` as a float when it is one number (float, int, 0-d array or tensor), else None."""
    if isinstance(value, Remote) or isinstance(value, (str, bytes, bool)) or value is None:
        return None
    try:
        if np.ndim(value) != 0:
            return None
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


# -- exercise 2: one frame per alpha ---------------------------------------------------------------

def is_frame(frame):
    return (isinstance(frame, np.ndarray) and frame.dtype == np.uint8 and frame.ndim == 3
            and frame.shape[-1] == 3)


def plot_area(frame):
    """The rows below the title, where the boundary and the points are drawn."""
    return frame[frame.shape[0] // 6:]


def changed_fraction(a, b):
    """Fraction of the plot area's pixels that differ between two frames of the same shape."""
    return float(np.mean(np.any(plot_area(a) != plot_area(b), axis=-1)))


def reference_frame(alpha, X, y):
    """The frame of the lesson's recipe, drawn here: fit_mlp(alpha, X, y) with its default seed,
    through decision_boundary_frame at its default size (without a title)."""
    return decision_boundary_frame(fit_mlp(alpha, X, y), X, y, title="")


def frame_alphas(rng):
    """A small alpha (a detailed boundary) and a large one (the weights collapse)."""
    return float(10 ** rng.uniform(-3.5, -2.5)), float(10 ** rng.uniform(2.8, 3.5))
