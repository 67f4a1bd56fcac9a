"""Lesson 5, Exercises 1 and 3: the verdicts on ``standardize`` and ``per_class_accuracy``.

The self-checks call them on the student's results in the kernel, the hidden tests
(``autograder/hidden/l05_mnist.py``) on the results brought back to the grader: one verdict,
one hint per known mistake. ``type_name`` names a result that is not what was asked for (the
grader passes its own, which also names objects that stayed in the kernel).
"""
import numpy as np
import torch

from ..datasets import MNIST_MEAN, MNIST_STD

WRONG_STD = 0.3015  # a standard deviation often copied from elsewhere


def _type_name(value):
    return type(value).__name__


def standardize_problem(result, images, type_name=_type_name):
    """A hint when ``result`` is not ``images`` (uint8, (N, 28, 28) or (28, 28)) standardized as
    float32 (N, 1, 28, 28) with MNIST_MEAN and MNIST_STD, else None."""
    n = 1 if np.ndim(images) == 2 else len(images)
    if not isinstance(result, torch.Tensor):
        return f"return a torch tensor, not {type_name(result)}"
    if tuple(result.shape) != (n, 1, 28, 28):
        return (f"the result has shape {tuple(result.shape)}; it must be ({n}, 1, 28, 28): add the "
                "channel axis with .reshape(-1, 1, 28, 28)")
    if result.dtype != torch.float32:
        return f"the result has dtype {result.dtype}; use .float() (torch.float32)"
    scaled01 = torch.as_tensor(np.asarray(images)).float().reshape(-1, 1, 28, 28) / 255.0
    if torch.allclose(result * MNIST_STD + MNIST_MEAN, scaled01, atol=1e-5):  # undone, it gives the pixels
        return None
    if torch.allclose(result, (scaled01 - MNIST_MEAN) / WRONG_STD, atol=1e-4):
        return f"the standard deviation of MNIST's training pixels is MNIST_STD = {MNIST_STD}, not {WRONG_STD}"
    if torch.allclose(result, scaled01, atol=1e-5):
        return "dividing by 255 is only step 1: also subtract MNIST_MEAN and divide by MNIST_STD"
    if result.max() > 50:
        return "scale the pixels to [0, 1] first (divide by 255), then subtract MNIST_MEAN and divide by MNIST_STD"
    if result.flatten(1).amin(1).abs().max() < 1e-5 and (result.flatten(1).amax(1) - 1).abs().max() < 1e-5:
        return ("rescaling each image to its own min and max is not standardizing: use the fixed "
                "constants MNIST_MEAN and MNIST_STD for every image")
    return "the values differ from (pixels / 255 - MNIST_MEAN) / MNIST_STD"


def per_class_problem(result, y_true, y_pred, n_classes, type_name=_type_name):
    """A hint when ``result`` is not, for each class c, the share of the samples of class c
    predicted as c (NaN for a class without samples), else None."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    try:
        result = np.asarray(result, dtype=float)
    except (TypeError, ValueError):
        return f"return a NumPy array of {n_classes} numbers, not {type_name(result)}"
    if result.shape != (n_classes,):
        return f"return one value per class: shape ({n_classes},), got {result.shape}"
    counts = np.bincount(y_true, minlength=n_classes)[:n_classes]
    hits = np.bincount(y_true[y_true == y_pred], minlength=n_classes)[:n_classes]
    present = counts > 0
    if not np.isnan(result[~present]).all():
        return "a class without samples has no accuracy: return np.nan for it"
    if np.allclose(result[present], hits[present] / counts[present]):
        return None
    share = np.array([np.mean(y_pred == c) for c in range(n_classes)])
    if np.allclose(result[present], share[present]):
        return ("you computed the share of all predictions that equal c; divide by the number of "
                "samples whose TRUE class is c instead")
    return "entry c must be (number of samples of class c predicted as c) / (number of samples of class c)"


def diagnose_standardize(standardize, train_images):
    """The self-check of exercise 1: made-up digits (their darkest and brightest pixels are not
    0 and 255), then eight real ones; returns (hint or None, the real ones standardized)."""
    probe = torch.randint(10, 200, (8, 28, 28), generator=torch.Generator().manual_seed(0)).to(torch.uint8)
    problem = standardize_problem(standardize(probe), probe)
    if problem:
        return problem, None
    result = standardize(train_images[:8])
    return standardize_problem(result, train_images[:8]), result


def diagnose_per_class(per_class_accuracy, seed=0):
    """The self-check of exercise 3: made-up labels and predictions, 80% right; then a few
    labels with more classes than occur."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 10, 500)
    y_pred = np.where(rng.random(500) < 0.8, y_true, rng.integers(0, 10, 500))
    return (per_class_problem(per_class_accuracy(y_true, y_pred), y_true, y_pred, 10)
            or per_class_problem(per_class_accuracy(y_true[:6], y_pred[:6], n_classes=12), y_true[:6], y_pred[:6], 12))
