"""Lesson 5, Exercise 2: evaluating a classifier over the batches of a DataLoader.

The verdict (:func:`evaluate_loader_problem`) judges what the student's ``evaluate_loader``
returned against numbers computed where the check runs, and what a :class:`RecordingModel`
saw of each forward pass (training mode, gradients, batch size). The self-check here and the
hidden test (``autograder/hidden/l05_mnist.py``) ask the same function.
"""
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class RecordingModel(nn.Module):
    """A model that notes, for each forward pass, (training mode, gradients on, batch size)."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.calls = []

    def forward(self, x):
        self.calls.append((self.training, torch.is_grad_enabled(), len(x)))
        return self.model(x)


def loader_reference(logits, labels, batch_size):
    """(loss per sample, accuracy, mean of the batches' mean losses) for all ``logits``."""
    losses = F.cross_entropy(logits.double(), labels, reduction="none")
    batch_means = torch.stack([chunk.mean() for chunk in losses.split(batch_size)])
    accuracy = (logits.argmax(dim=1) == labels).double().mean()
    return float(losses.mean()), float(accuracy), float(batch_means.mean())


def _close(a, b):
    return abs(a - b) <= 1e-4 * max(1.0, abs(b))


def evaluate_loader_problem(result, reference, calls, n_samples):
    """A hint when ``result`` is not (loss per sample, accuracy) over every batch, computed in
    evaluation mode without gradients, else None. ``reference``: :func:`loader_reference`;
    ``calls``: the :class:`RecordingModel`'s notes; ``n_samples``: the loader's sample count."""
    loss, accuracy, mean_of_means = reference
    try:
        got_loss, got_accuracy = (float(value) for value in result)
    except (TypeError, ValueError):
        return "return a pair of numbers: (mean loss per sample, accuracy)"
    if any(training for training, _, _ in calls):
        return "the model was in training mode (dropout on): call model.eval() before the loop"
    if any(grad for _, grad, _ in calls):
        return "the forward passes built a graph for gradients: run the loop inside torch.no_grad()"
    if sum(size for _, _, size in calls) != n_samples:
        return "evaluate every batch of the loader you are given (its argument, not a loader of the lesson), once"
    if _close(got_loss, mean_of_means) and not _close(loss, mean_of_means):
        return ("the loss is the mean of the batches' means, but the last batch is smaller: add up "
                "each batch's mean loss times its size, then divide by the number of samples")
    if not _close(got_loss, loss):
        return f"the loss is {got_loss:.4f} where the mean loss per sample is {loss:.4f}"
    if _close(got_accuracy, 100 * accuracy) and accuracy > 0:
        return "return the accuracy as a fraction between 0 and 1, not a percentage"
    if not _close(got_accuracy, accuracy):
        return (f"the accuracy is {got_accuracy:.4f} where it should be {accuracy:.4f}: the share of "
                "samples whose largest logit is their label")
    return None


def checking_model(seed):
    """A small image classifier with dropout, for the checks."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 10))


def diagnose_evaluate_loader(evaluate_loader, seed=0):
    """The self-check of exercise 2, on random images in batches whose last one is smaller."""
    generator = torch.Generator().manual_seed(seed)
    for n_samples, batch_size in ((50, 16), (37, 10)):
        images = torch.randn(n_samples, 1, 28, 28, generator=generator)
        labels = torch.randint(0, 10, (n_samples,), generator=generator)
        model = checking_model(seed)
        model.eval()
        with torch.no_grad():
            reference = loader_reference(model(images), labels, batch_size)
        model.train()
        recording = RecordingModel(model)
        loader = DataLoader(TensorDataset(images, labels), batch_size=batch_size)
        result = evaluate_loader(recording, loader, nn.CrossEntropyLoss(), "cpu")
        problem = evaluate_loader_problem(result, reference, recording.calls, n_samples)
        if problem:
            return problem
    return None
