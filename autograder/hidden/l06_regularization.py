"""Trusted helpers for the hidden tests of lesson 6, regularization.

They run in the grader. The models the student's functions receive are fitted in the student's
kernel (``student.module(...)`` reaches scikit-learn and the lesson's ``fit_mlp`` there, never
the student's names); their weights, the student's answers, the texts of the figures they return
and the bytes of the GIFs they write come back as values, and every judgement is made here, with
the same pure functions the self-checks use (imported into this process, not the kernel's copy).
The data are drawn from the hidden test's ``rng``: a random split of the lesson's Iris data,
standardized as in the lesson.
"""
import numpy as np

from autograder.grading.trusted_tests import Remote, kind
from course_utils.datasets import load_iris_2d, train_val_split
from course_utils.lessons.l06_regularization import (
    OWN_CODE,
    block_frames,
    changed_fraction,
    check_regions,
    frame_problem,
    gif_problem,
    penalty_problem,
)

LESSON_MODULE = "course_utils.lessons.l06_regularization"
__all__ = ["LESSON_MODULE", "OWN_CODE", "as_number", "changed_fraction", "check_regions", "feature_names",
           "frame_alphas", "frame_problem", "gif_case", "gif_problem", "iris_split", "is_frame",
           "penalty_cases", "penalty_problem", "read_frame", "read_gif"]


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


# -- exercise 2: one frame ----------------------------------------------------------------------------

def is_frame(frame):
    return (isinstance(frame, np.ndarray) and frame.dtype == np.uint8 and frame.ndim == 3
            and frame.shape[-1] == 3)


def frame_alphas(rng):
    """A small alpha (a detailed boundary) and a large one (the weights collapse)."""
    return float(10 ** rng.uniform(-3.5, -2.5)), float(10 ** rng.uniform(2.8, 3.5))


def feature_names(rng):
    """Axis names the frame must show (drawn, so a typed-in label cannot pass)."""
    unit = ["standardized", "z-score", "scaled", "centered"][int(rng.integers(4))]
    return [f"sepal length ({unit})", f"petal length ({unit})"]


def read_frame(result):
    """(image, texts, figure size in pixels) from make_frame's answer in the kernel, or a hint
    (a str) when it is not a pair (image, matplotlib Figure)."""
    if not (isinstance(result, (tuple, list)) and len(result) == 2 and kind(result[1]) == "Figure"):
        return ("make_frame must return a pair (image, fig): the picture as an array and the "
                "matplotlib Figure it was drawn from")
    image, fig = result
    axes = fig.axes
    if not axes:
        return "the figure has no axes: draw the regions and points into ax from plt.subplots()"
    ax = axes[0]
    suptitle = fig.get_suptitle()
    texts = {"title": f"{ax.get_title()} {suptitle if isinstance(suptitle, str) else ''}".strip(),
             "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel()}
    width, height = fig.canvas.get_width_height()
    if not all(isinstance(t, str) for t in texts.values()):
        return "the figure's title and labels must be text"
    return image, texts, (int(height), int(width))


# -- exercise 3: the GIF ------------------------------------------------------------------------------

def gif_case(rng):
    """Frames (distinct colored blocks of a random size) and a frame rate."""
    n = int(rng.integers(3, 7))
    shape = (int(rng.integers(16, 40)), int(rng.integers(16, 40)))
    return block_frames(n, shape, seed=int(rng.integers(10_000))), int(rng.choice([2, 4, 5]))


def read_gif(student, path):
    """The bytes of the file at ``path`` in the kernel (read there with NumPy), or None."""
    if not student.module("os.path").isfile(path):
        return None
    data = student.module("numpy").fromfile(path, dtype="uint8")
    return data.tobytes() if isinstance(data, np.ndarray) else None
