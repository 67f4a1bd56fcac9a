"""What a loss function expects of outputs and targets, and how accuracy is counted for it.

``fit``, ``evaluate`` and the self-checks share these rules, so a wrong shape or dtype is
reported the same way everywhere.
"""
import torch
from torch import nn

REGRESSION_LOSSES = (nn.MSELoss, nn.L1Loss, nn.SmoothL1Loss, nn.HuberLoss)
INDEX_LOSSES = (nn.CrossEntropyLoss, nn.NLLLoss)
BINARY_LOSSES = (nn.BCEWithLogitsLoss, nn.BCELoss)


def _shape(t):
    return tuple(t.shape)


def check_batch(outputs: torch.Tensor, targets: torch.Tensor, loss_fn) -> None:
    """Raise a ValueError saying what ``loss_fn`` expected when outputs/targets do not fit it."""
    name = type(loss_fn).__name__
    n = outputs.shape[0]
    if targets.shape[0] != n:
        raise ValueError(f"{name}: {n} outputs but {targets.shape[0]} targets in the batch")
    if isinstance(loss_fn, INDEX_LOSSES):
        if outputs.dim() != 2:
            raise ValueError(f"{name} expects outputs of shape (N, C), one score per class; "
                             f"got {_shape(outputs)}")
        if targets.dtype != torch.long or targets.dim() != 1:
            if isinstance(loss_fn, nn.CrossEntropyLoss) and targets.shape == outputs.shape \
                    and targets.is_floating_point():
                return  # class probabilities are a valid CrossEntropyLoss target
            raise ValueError(f"{name} expects class-index targets: dtype torch.long, shape (N,); "
                             f"got {targets.dtype}, {_shape(targets)} "
                             "(use y.long() and y.view(-1))")
    elif isinstance(loss_fn, nn.KLDivLoss):
        if targets.shape != outputs.shape or not targets.is_floating_point():
            raise ValueError("KLDivLoss expects float target distributions with the outputs' "
                             f"shape {_shape(outputs)} (e.g. one-hot rows); got {targets.dtype}, "
                             f"{_shape(targets)}")
    elif isinstance(loss_fn, BINARY_LOSSES + REGRESSION_LOSSES):
        if targets.shape != outputs.shape:
            raise ValueError(f"{name} expects targets with the outputs' shape {_shape(outputs)}; "
                             f"got {_shape(targets)} (a (N,) target against (N, 1) outputs "
                             "broadcasts to (N, N): use y.view(-1, 1))")
        if not targets.is_floating_point():
            raise ValueError(f"{name} expects float targets; got {targets.dtype} (use y.float())")


def predicted_classes(outputs: torch.Tensor, loss_fn=None) -> torch.Tensor:
    """Class predictions: argmax over (N, C) scores, a threshold for one output column."""
    if outputs.dim() == 2 and outputs.shape[1] > 1:
        return outputs.argmax(dim=1)
    flat = outputs.reshape(-1)
    threshold = 0.0 if isinstance(loss_fn, nn.BCEWithLogitsLoss) or loss_fn is None else 0.5
    return (flat > threshold).long()


def count_correct(outputs: torch.Tensor, targets: torch.Tensor, loss_fn) -> int | None:
    """Number of correct predictions in the batch, or None where accuracy means nothing."""
    if isinstance(loss_fn, INDEX_LOSSES) and targets.dtype == torch.long:
        return int((outputs.argmax(dim=1) == targets).sum())
    if isinstance(loss_fn, (nn.KLDivLoss, nn.CrossEntropyLoss)):  # distribution targets
        return int((outputs.argmax(dim=1) == targets.argmax(dim=1)).sum())
    if isinstance(loss_fn, BINARY_LOSSES + REGRESSION_LOSSES):
        labels = targets.reshape(-1)
        if not torch.all((labels == 0) | (labels == 1)):
            return None  # real-valued regression targets
        return int((predicted_classes(outputs, loss_fn) == labels.long()).sum())
    return None
