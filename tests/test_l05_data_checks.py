"""Lesson 5, exercises 1 and 3: one verdict per exercise, each known mistake named
(course_utils/lessons/l05_data_checks.py)."""
import numpy as np
import pytest
import torch

from course_utils.datasets import MNIST_MEAN, MNIST_STD
from course_utils.lessons.l05_data_checks import (
    WRONG_STD,
    diagnose_per_class,
    diagnose_standardize,
    per_class_problem,
    standardize_problem,
)

IMAGES = np.random.default_rng(0).integers(10, 200, (3, 28, 28)).astype(np.uint8)
PIXELS = torch.as_tensor(IMAGES).float().reshape(-1, 1, 28, 28) / 255


@pytest.mark.parametrize("result,hint", [
    ((PIXELS - MNIST_MEAN) / MNIST_STD, None),
    (IMAGES, "return a torch tensor, not ndarray"),
    ((PIXELS - MNIST_MEAN).reshape(3, 28, 28), "add the channel axis"),
    (((PIXELS - MNIST_MEAN) / MNIST_STD).double(), "use .float()"),
    ((PIXELS - MNIST_MEAN) / WRONG_STD, f"not {WRONG_STD}"),
    (PIXELS, "dividing by 255 is only step 1"),
    ((PIXELS * 255 - MNIST_MEAN) / MNIST_STD, "scale the pixels to [0, 1] first"),
    ((PIXELS - PIXELS.amin((1, 2, 3), keepdim=True)) / (PIXELS.amax((1, 2, 3), keepdim=True)
                                                         - PIXELS.amin((1, 2, 3), keepdim=True)),
     "rescaling each image to its own min and max"),
])
def test_standardize_problem(result, hint):
    problem = standardize_problem(result, IMAGES)
    assert problem is None if hint is None else hint in problem, problem


def test_per_class_problem():
    y_true, y_pred = np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 1, 1])
    assert per_class_problem([0.5, 1.0, 0.0, np.nan], y_true, y_pred, 4) is None
    assert "np.nan" in per_class_problem([0.5, 1.0, 0.0, 0.0], y_true, y_pred, 4)
    assert "shape (4,)" in per_class_problem([0.5, 1.0, 0.0], y_true, y_pred, 4)
    assert "share of all predictions" in per_class_problem([0.2, 0.8, 0.0, np.nan], y_true, y_pred, 4)
    assert "not dict" in per_class_problem({"a": 1}, y_true, y_pred, 4)


def test_the_self_checks_pass_the_answers_and_fail_a_mistake():
    def standardize(images):
        return (torch.as_tensor(images).float().reshape(-1, 1, 28, 28) / 255 - MNIST_MEAN) / MNIST_STD

    problem, result = diagnose_standardize(standardize, IMAGES)
    assert problem is None and result.shape == (3, 1, 28, 28)
    assert "only step 1" in diagnose_standardize(lambda i: torch.as_tensor(i).float().reshape(-1, 1, 28, 28) / 255,
                                                 IMAGES)[0]

    def per_class(y_true, y_pred, n_classes=10):
        return np.array([np.mean(y_pred[y_true == c] == c) if np.any(y_true == c) else np.nan
                         for c in range(n_classes)])

    assert diagnose_per_class(per_class) is None
    assert diagnose_per_class(lambda t, p, n_classes=10: np.array([np.mean(p == c) for c in range(n_classes)]))
