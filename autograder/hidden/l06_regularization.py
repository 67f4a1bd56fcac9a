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
import torch

from autograder.grading.trusted_tests import Remote, StudentError, kind
from autograder.hidden.kernel import KernelTypes
from course_utils.datasets import load_iris_2d, train_val_split
from course_utils.lessons import l06_pytorch as pytorch
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
PYTORCH_MODULE = "course_utils.lessons.l06_pytorch"
__all__ = ["LESSON_MODULE", "OWN_CODE", "as_number", "changed_fraction", "check_regions", "feature_names",
           "frame_alphas", "frame_problem", "gif_case", "gif_problem", "iris_split", "is_frame",
           "penalty_cases", "penalty_problem", "read_frame", "read_gif", "dropout_answer_problem",
           "weight_decay_answer_problem", "keep_best_answer_problem"]


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


# -- Exercises 4 to 6: dropout, weight decay and the best epoch in PyTorch ----------------------------

def dropout_answer_problem(student, rng):
    """Exercise 4's verdict (:func:`course_utils.lessons.l06_pytorch.dropout_problem`) on the
    student's ``InvertedDropout``, built and called in the kernel with a rate and inputs from ``rng``."""
    p = round(float(rng.uniform(0.2, 0.6)), 2)
    x = torch.from_numpy(rng.uniform(0.5, 1.5, size=int(rng.integers(3000, 5000))).astype(np.float32))
    layer = student.InvertedDropout(p)
    if not KernelTypes(student).isinstance(layer, "torch.nn.Module"):
        return pytorch.dropout_problem(False, x, None, None, None, None, p)
    eval_out = layer.eval()(x)
    train_out, again_out = layer.train()(x), layer(x)
    zero_p_out = student.InvertedDropout(0.0).train()(x)
    return pytorch.dropout_problem(True, x, eval_out, train_out, again_out, zero_p_out, p)


def kernel_network(student, n_inputs, seed):
    """The lesson's ``small_network`` built in the kernel with ``seed``, and its parameters here."""
    student.module("torch").manual_seed(seed)
    model = student.module(PYTORCH_MODULE).small_network(n_inputs)
    return model, {name: torch.as_tensor(value).clone() for name, value in model.state_dict().items()}


def weight_decay_answer_problem(student, rng):
    """Exercise 5's verdict on the student's ``weight_decay_term`` for a fresh network in the kernel."""
    weight_decay = round(float(rng.uniform(0.01, 0.5)), 3)
    model, _ = kernel_network(student, int(rng.integers(3, 9)), int(rng.integers(2 ** 31)))
    state = student.module(PYTORCH_MODULE).parameters_of(model)
    value = student.weight_decay_term(model, weight_decay)
    gradients = student.module(PYTORCH_MODULE).parameter_gradients(student.weight_decay_term, model, weight_decay)
    return pytorch.weight_decay_problem(value, gradients, state, weight_decay)


def own_term_works(student, rng):
    """Whether the student's ``weight_decay_term`` (Exercise 5) passes its own test's check."""
    try:
        return weight_decay_answer_problem(student, rng) is None
    except (NotImplementedError, StudentError):
        return False


def keep_best_answer_problem(student, rng):
    """Exercise 6's verdict on the student's ``train_keep_best``: a network built in the kernel
    trained there by the student's loop, its validation losses and final weights compared with the
    specified loop replayed here from the same initial weights."""
    train, val, _ = pytorch.noisy_features_data(int(rng.integers(10_000)), n_train=40, n_val=40, n_test=0)
    decay = round(float(rng.uniform(0.01, 0.1)), 3)
    if not own_term_works(student, rng):
        decay = 0.0  # the loop is judged on its own: Exercise 5's mistake costs Exercise 5 only
    for keep_best, weight_decay in ((True, decay), (False, 0.0)):
        for _ in range(10):  # a draw whose best epoch is not the last, so that keeping it shows
            epochs = int(rng.integers(10, 20))
            model, initial = kernel_network(student, train[0].shape[1], int(rng.integers(2 ** 31)))
            expected = pytorch.specified_validation_losses(initial, train, val, epochs=epochs, lr=0.02,
                                                           weight_decay=weight_decay)
            if min(expected) < expected[-1]:
                break
        result = student.train_keep_best(model, train, val, epochs=epochs, lr=0.02, weight_decay=weight_decay,
                                         keep_best=keep_best)
        final = pytorch.validation_loss(model.state_dict(), val)
        problem = pytorch.keep_best_problem(result, expected, final, keep_best)
        if problem:
            return problem
    return None
