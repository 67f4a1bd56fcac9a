"""Trusted helpers for the hidden tests of lesson 4 (notebooks/04-xor).

Hidden tests run in the grader (:mod:`autograder.grading.trusted_tests`); the student's objects stay
in the kernel and are reached through ``student`` as remote handles. These helpers build and
train models there with library code only (reached through ``student.module``) and bring back
values (outputs, parameters, type names) that the grader judges itself.
"""
import numpy as np
import torch

from course_utils.datasets import make_xor_blobs
from course_utils.lessons import l04_backprop as backprop


def xor_data(seed, n_per_blob=100, std=0.1):
    """Fresh XOR blobs: float32 inputs (N, 2), float labels (N, 1) and int labels (N,)."""
    X, y = make_xor_blobs(n_per_blob=n_per_blob, std=std, seed=seed)
    return torch.from_numpy(X), torch.from_numpy(y.astype(np.float32)).view(-1, 1), y


def outputs_of(student, model, X):
    """The remote model's outputs for ``X`` (evaluation mode, on the CPU), as a tensor here."""
    outputs = student.module("course_utils.training").predict_outputs(model, X)
    if not torch.is_tensor(outputs):
        raise TypeError(f"the model returned a {type(outputs).__name__}, not a tensor")
    return outputs.detach().double()


def logit_accuracy(outputs, labels):
    """Share of points whose one logit has the sign of its 0/1 label (computed here)."""
    outputs = torch.as_tensor(outputs).reshape(-1)
    labels = torch.as_tensor(np.asarray(labels)).reshape(-1)
    if outputs.shape != labels.shape:
        return 0.0
    return float(((outputs > 0).long() == labels.long()).double().mean())


def train_in_kernel(student, model, loss_fn, optimizer, X, y, epochs, seed):
    """Train the remote ``model`` in the kernel with the course's ``fit`` (CPU, quiet)."""
    return student.module("course_utils").fit(
        model, (X, y), loss_fn=loss_fn, optimizer=optimizer, epochs=epochs, batch_size=64,
        device="cpu", seed=seed, verbose=False, progress=False)


def bce_with_logits_problem(student, loss_fn, rng):
    """None when the remote loss computes what ``nn.BCEWithLogitsLoss`` computes (with its
    own ``reduction``, ``weight`` and ``pos_weight``) on random logits; else a hint."""
    get = student.module("builtins").getattr
    options = {name: get(loss_fn, name, None) for name in ("reduction", "weight", "pos_weight")}
    reduction = options["reduction"] if options["reduction"] in ("mean", "sum", "none") else "mean"
    reference = torch.nn.BCEWithLogitsLoss(
        weight=options["weight"] if torch.is_tensor(options["weight"]) else None,
        pos_weight=options["pos_weight"] if torch.is_tensor(options["pos_weight"]) else None,
        reduction=reduction)
    logits = torch.from_numpy(rng.normal(0.0, 3.0, size=(16, 1)).astype(np.float32))
    targets = torch.from_numpy(rng.integers(0, 2, size=(16, 1)).astype(np.float32))
    value = loss_fn(logits, targets)
    expected = reference(logits, targets)
    if not (torch.is_tensor(value) and value.shape == expected.shape
            and torch.allclose(value.double(), expected.double(), rtol=1e-4, atol=1e-6)):
        return ("your loss does not compute binary cross-entropy on logits: use "
                "nn.BCEWithLogitsLoss()")
    return None


def parameter_fingerprints(tensors):
    """Shape and values of each tensor, to compare parameter lists read from the kernel."""
    return sorted((tuple(t.shape), str(t.dtype), t.detach().cpu().numpy().tobytes())
                  for t in tensors)


# -- exercises 3 to 5: backpropagation by hand, the numerical gradient, gradient descent ---------

def backprop_cases(rng, n_cases=3):
    """(params, X, y) in float64 for 2-h-2 networks of random widths, drawn from ``rng``; the
    hidden width is never 2, the outputs' count, so that a transposed W2 gradient shows in its
    shape (with a square W2 it drew the generic hint one run in five)."""
    cases = []
    for _ in range(n_cases):
        hidden, n = int(rng.integers(3, 7)), int(rng.integers(3, 10))
        params = {key: torch.from_numpy(rng.standard_normal(shape)) for key, shape in
                  (("W1", (hidden, 2)), ("b1", (hidden,)), ("W2", (2, hidden)), ("b2", (2,)))}
        cases.append((params, torch.from_numpy(rng.standard_normal((n, 2))), torch.from_numpy(rng.integers(0, 2, n))))
    return cases


def backprop_answer_problem(student, rng):
    """Exercise 3's verdict (:func:`course_utils.lessons.l04_backprop.backprop_problem`) on the
    student's ``forward_backward`` for fresh networks and data."""
    for params, X, y in backprop_cases(rng):
        problem = backprop.backprop_problem(student.forward_backward(params, X, y), params, X, y)
        if problem:
            return problem
    return None


def numerical_gradient_answer_problem(student, rng, eps=1e-3):
    """Exercise 4's verdict on the student's ``numerical_gradient``, applied in the kernel to the
    lesson's probe function at fresh points."""
    probe = student.module("course_utils.lessons.l04_backprop").probe_function
    for shape in ((int(rng.integers(3, 7)),), (int(rng.integers(2, 4)), int(rng.integers(2, 4)))):
        x = torch.from_numpy(rng.standard_normal(shape))
        problem = backprop.numerical_gradient_problem(student.numerical_gradient(probe, x, eps), x, eps)
        if problem:
            return problem
    return None


def gradient_descent_answer_problem(student, rng):
    """Exercise 5's verdict on the student's ``gradient_descent``, run in the kernel with the
    lesson's autograd gradients (not the student's own) for fresh networks, rates and step counts."""
    gradients = student.module("course_utils.lessons.l04_backprop").autograd_gradients
    for params, X, y in backprop_cases(rng, n_cases=2):
        lr, steps = round(float(rng.uniform(0.05, 0.8)), 3), int(rng.integers(3, 9))
        result = student.gradient_descent(gradients, params, X, y, lr, steps)
        problem = backprop.gradient_descent_problem(result, params, X, y, lr, steps)
        if problem:
            return problem
    return None
