"""Lesson 1, Exercise 4: cross-entropy from logits, written by hand, checked once for both sides.

:func:`cross_entropy_problem` judges what the student's function returned for some logits and
targets (its value and its gradient with respect to the logits) against PyTorch's own
cross-entropy. The self-check (:func:`diagnose_cross_entropy`, in the student's kernel) and the
hidden test (``autograder/hidden/l01_loss_functions.py``, in the grader) call the function the
same way and ask the same question; the cases always include logits large enough to overflow
``exp``.
"""
import torch
from torch.nn import functional as F

from .l01_loss_functions import called, loss_gradient_problem, loss_value_problem, raises_error

NAME = "cross_entropy_from_logits"
FORMULA = "mean over the samples of log(sum_j exp(z_j)) - z_y"
OVERFLOW = ("the loss is not finite for large logits: exp(1000) overflows to inf. Rewrite "
            "log(sum_j exp(z_j)) so that no exponent is positive (the log-sum-exp trick) before "
            "you take any exp")


def logits_gradient(loss, logits, targets):
    """The gradient of ``loss(logits, targets)`` with respect to the logits, or None when the
    result cannot be backpropagated (runs where ``loss`` lives: the kernel or the self-check)."""
    leaf = torch.as_tensor(logits).detach().clone().requires_grad_(True)
    try:
        value = loss(leaf, targets)
        value.backward()
    except Exception:  # noqa: BLE001 - a loss that cannot be differentiated has lost its gradient
        return None
    return leaf.grad


def cross_entropy_problem(mine, kind_name, gradient, logits, targets):
    """A hint when ``mine`` (of type ``kind_name``) and its ``gradient`` are not PyTorch's
    cross-entropy of ``logits`` (N, C) for the class indices ``targets`` (N,), else None."""
    shape = tuple(logits.shape)
    if torch.is_tensor(mine) and mine.dim() == 0 and not torch.isfinite(mine):
        return OVERFLOW
    expected = F.cross_entropy(logits, targets)
    problem = loss_value_problem(NAME, FORMULA, shape, mine, kind_name, expected)
    if problem:
        return problem
    if gradient is not None and not torch.isfinite(torch.as_tensor(gradient)).all():
        return OVERFLOW
    reference = logits.detach().clone().requires_grad_(True)
    F.cross_entropy(reference, targets).backward()
    return loss_gradient_problem(NAME, FORMULA, shape, gradient, reference.grad)


def shape_problem(raised_for_mismatch):
    """A hint when the function accepted N logit rows with a different number of targets."""
    if raised_for_mismatch:
        return None
    return (f"{NAME} must raise ValueError when the number of targets differs from the number of "
            "logit rows: indexing would otherwise pair rows with the wrong targets, or fail later")


def extreme_logits():
    """Logits of a few hundred to a thousand: exp overflows float32 (it does above about 88)."""
    return torch.tensor([[1000.0, 0.0, -1000.0], [-500.0, 400.0, 0.0], [90.0, 95.0, 89.0]])


def diagnose_cross_entropy(loss, seed=0):
    """The self-check: ordinary and extreme logits, then a mismatched number of targets."""
    generator = torch.Generator().manual_seed(seed)
    cases = [(torch.randn(5, 3, generator=generator), torch.tensor([0, 2, 1, 1, 0])),
             (3 * torch.randn(4, 6, generator=generator), torch.tensor([5, 0, 3, 3])),
             (extreme_logits(), torch.tensor([0, 2, 1]))]
    for logits, targets in cases:
        mine, crashed = called(loss, NAME, f"logits of shape {tuple(logits.shape)}", logits, targets)
        if crashed:
            return crashed
        problem = cross_entropy_problem(mine, type(mine).__name__, logits_gradient(loss, logits, targets),
                                        logits, targets)
        if problem:
            return problem
    return shape_problem(raises_error(ValueError, loss, torch.zeros(4, 3), torch.zeros(3, dtype=torch.long)))
