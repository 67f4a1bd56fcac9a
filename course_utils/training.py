"""Training: one fit/evaluate loop for every lesson, what each loss expects, and checkpoints.

Data can be a pair ``(X, y)`` of tensors or arrays (preloaded once onto the device and sliced
into batches: no per-sample work on the hot path) or a ``DataLoader``. The loss reported for an
epoch is the mean over samples, whatever the batch sizes. ``fit`` can save a checkpoint after
every epoch and resume from it (files written by ``course_utils.checkpoints``).
"""
import copy
import math
import os
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from .checkpoints import load_checkpoint, save_checkpoint
from .progress import progress_bar, shown_by_default
from .settings import pick_device

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
        if isinstance(loss_fn, BINARY_LOSSES) and outputs.dim() == 2 and outputs.shape[1] > 1 \
                and targets.dim() == 1 and not targets.is_floating_point():
            raise ValueError(f"{name} scores one output per sample (or one per label, each 0 or 1); "
                             f"for one class index per sample out of {outputs.shape[1]} classes "
                             "use CrossEntropyLoss on (N, C) logits")
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


@dataclass
class History:
    """Per-epoch metrics of a ``fit`` run (accuracies are fractions, or None)."""

    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    best_epoch: int | None = None  # lowest validation loss
    kept_epoch: int | None = None  # the epoch whose weights the model has after fit
    keep_best: bool = False  # fit restored the weights of the best epoch

    def __len__(self):
        return len(self.train_loss)

    def record(self, model, loss_fn, train_data, val_data=None):
        """Append the mean loss and accuracy of ``model`` on ``train_data`` and ``val_data``
        ((X, y) pairs), computed in evaluation mode without gradients: one epoch of a loop."""
        for split, data in (("train", train_data), ("val", val_data)):
            if data is not None:
                result = evaluate(model, *data, loss_fn=loss_fn)
                getattr(self, f"{split}_loss").append(result["loss"])
                getattr(self, f"{split}_acc").append(result["accuracy"])

    def to_frame(self):
        """The history as a pandas DataFrame indexed by epoch (1-based)."""
        import pandas as pd

        columns = {k: getattr(self, k) for k in ("train_loss", "val_loss", "train_acc", "val_acc")}
        columns = {k: v for k, v in columns.items() if v and any(x is not None for x in v)}
        return pd.DataFrame(columns, index=pd.RangeIndex(1, len(self) + 1, name="epoch"))


def _as_tensor(a):
    return a if isinstance(a, torch.Tensor) else torch.as_tensor(np.asarray(a))


def _batches(data, batch_size, device, generator=None):
    """Yield (inputs, targets) batches on ``device`` from a DataLoader or an (X, y) pair."""
    if isinstance(data, DataLoader):
        for inputs, targets in data:
            yield inputs.to(device, non_blocking=True), targets.to(device, non_blocking=True)
        return
    X, y = data
    n = len(X)
    if generator is None:
        for start in range(0, n, batch_size):
            yield X[start:start + batch_size], y[start:start + batch_size]
        return
    order = torch.randperm(n, generator=generator).to(X.device)
    for start in range(0, n, batch_size):
        index = order[start:start + batch_size]
        yield X.index_select(0, index), y.index_select(0, index)


def _prepare(data, device):
    if data is None or isinstance(data, DataLoader):
        return data
    X, y = data
    X, y = _as_tensor(X), _as_tensor(y)
    if X.is_floating_point() and X.dtype != torch.float32:
        X = X.float()
    if y.dtype == torch.float64:
        y = y.float()
    return X.to(device), y.to(device)


def _n_samples(data):
    return len(data.dataset) if isinstance(data, DataLoader) else len(data[0])


def _run_epoch(model, data, loss_fn, batch_size, device, optimizer=None, generator=None):
    """One pass over ``data``; trains when an optimizer is given. Returns (mean loss, accuracy).

    Batch losses and correct counts stay tensors until the epoch ends: reading a number out
    of a tensor every batch would make the CPU wait for an accelerator each time.
    """
    training = optimizer is not None
    losses, sizes, corrects, applies = [], [], [], []
    with torch.set_grad_enabled(training):
        for inputs, targets in _batches(data, batch_size, device, generator):
            outputs = model(inputs)
            if not sizes:
                check_batch(outputs, targets, loss_fn)
            loss = loss_fn(outputs, targets)
            if training:
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            losses.append(loss.detach())
            sizes.append(len(inputs))
            correct, applicable = _correct_tensors(outputs.detach(), targets, loss_fn)
            corrects.append(correct)
            applies.append(applicable)
    seen = sum(sizes)
    if seen == 0:
        raise ValueError("no samples to iterate over: the data is empty")
    # the batch mean times its size is a per-sample sum, so uneven batches weigh right
    total_loss = sum(value * n for value, n in zip(torch.stack(losses).tolist(), sizes))
    checks = [a for a in applies if a is not None]
    if any(c is None for c in corrects) or (checks and not bool(torch.stack(checks).all())):
        return total_loss / seen, None
    return total_loss / seen, int(torch.stack(corrects).sum()) / seen


def _correct_tensors(outputs, targets, loss_fn):
    """``tasks.count_correct`` without leaving the device: (count, applies) as tensors.

    ``count`` is None where accuracy means nothing for ``loss_fn``; ``applies`` is None, or a
    boolean tensor that is False when 0/1 labels were expected but real values came.
    """
    if isinstance(loss_fn, INDEX_LOSSES) and targets.dtype == torch.long:
        return (outputs.argmax(dim=1) == targets).sum(), None
    if isinstance(loss_fn, (nn.KLDivLoss, nn.CrossEntropyLoss)):  # distribution targets
        return (outputs.argmax(dim=1) == targets.argmax(dim=1)).sum(), None
    if isinstance(loss_fn, BINARY_LOSSES + REGRESSION_LOSSES):
        labels = targets.reshape(-1)
        applies = ((labels == 0) | (labels == 1)).all()
        return (predicted_classes(outputs, loss_fn) == labels.long()).sum(), applies
    return None, None


def _model_device(model):
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def fit(model, train_data, val_data=None, *, loss_fn, optimizer, epochs, batch_size=64,
        device=None, seed=0, keep_best=True, progress=None, callbacks=(), checkpoint=None,
        resume=False, verbose=True):
    """Train ``model`` for ``epochs`` and return its :class:`History`.

    - ``keep_best``: with validation data, restore the weights of the epoch with the lowest
      validation loss at the end (``History.best_epoch`` says which).
    - ``callbacks``: callables ``cb(history)`` run after each epoch (e.g. a live plot).
    - ``checkpoint``: a path written after every epoch; with ``resume=True`` an existing
      checkpoint is loaded and training continues after its last epoch.
    - Each epoch reseeds from ``seed`` and the epoch number, so a resumed run repeats an
      uninterrupted one exactly.
    """
    device = torch.device(device) if device is not None else pick_device()
    model.to(device)
    train_data, val_data = _prepare(train_data, device), _prepare(val_data, device)
    history, start, best_state = History(), 0, None
    if checkpoint is not None and resume and os.path.exists(checkpoint):
        start, saved_history, best_state = load_checkpoint(checkpoint, model, optimizer)
        history = History(**saved_history)
        if verbose:
            print(f"Resumed from {checkpoint} after epoch {start}")
    best_loss = min((v for v in history.val_loss if v is not None), default=math.inf)
    bar = progress_bar(range(start, epochs), desc="Training", unit="epoch",
                       disable=not (shown_by_default() if progress is None else progress),
                       initial=start, total=epochs)
    try:
        for epoch in bar:
            torch.manual_seed(seed * 100_003 + epoch)  # dropout and any other model randomness
            generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
            model.train()
            loss, acc = _run_epoch(model, train_data, loss_fn, batch_size, device, optimizer,
                                   generator)
            history.train_loss.append(loss)
            history.train_acc.append(acc)
            if val_data is not None:
                metrics = evaluate(model, *_pair(val_data), loss_fn=loss_fn, device=device)
                history.val_loss.append(metrics["loss"])
                history.val_acc.append(metrics["accuracy"])
                if metrics["loss"] < best_loss:
                    best_loss, history.best_epoch = metrics["loss"], epoch + 1
                    best_state = copy.deepcopy(model.state_dict()) if keep_best else None
            bar.set_postfix(_postfix(history))
            if checkpoint is not None:
                save_checkpoint(checkpoint, model, optimizer, epoch + 1, history, best_state)
            for callback in callbacks:
                callback(history)
    finally:  # an interrupted run too leaves a text bar, not a dead widget
        bar.close()
    history.kept_epoch = len(history) or None
    history.keep_best = bool(keep_best and history.val_loss)
    if keep_best and best_state is not None:
        model.load_state_dict(best_state)
        history.kept_epoch = history.best_epoch
    if verbose and len(history):
        print(summarize(history))
    return history


def _pair(data):
    return (data, None) if isinstance(data, DataLoader) else data


def _postfix(history):
    post = {"loss": f"{history.train_loss[-1]:.4f}"}
    if history.val_loss:
        post["val_loss"] = f"{history.val_loss[-1]:.4f}"
    return post


def _fmt_acc(acc):
    return "" if acc is None else f", accuracy {100 * acc:.1f}%"


def summarize(history: History) -> str:
    """One line: the last epoch's metrics, then the epoch with the lowest validation loss and
    whether the model kept its weights. The line reads the same whichever epoch that is, so
    that a run on another CPU, where another epoch may win, prints the same words."""
    last = len(history)
    text = f"Epoch {last}: train loss {history.train_loss[-1]:.4f}{_fmt_acc(history.train_acc[-1])}"
    if history.val_loss:
        text += f" | validation loss {history.val_loss[-1]:.4f}{_fmt_acc(history.val_acc[-1])}"
    if history.keep_best and history.kept_epoch:
        k = history.kept_epoch - 1
        text += (f" | weights kept from epoch {history.kept_epoch} (lowest validation loss "
                 f"{history.val_loss[k]:.4f}{_fmt_acc(history.val_acc[k])})")
    elif history.best_epoch:
        b = history.best_epoch - 1
        text += (f" | lowest validation loss at epoch {history.best_epoch} "
                 f"({history.val_loss[b]:.4f}); the model keeps the last epoch's weights")
    return text


def evaluate(model, X, y=None, *, loss_fn, batch_size=1024, device=None):
    """Mean per-sample loss and accuracy (None where it means nothing) of ``model`` on (X, y).

    ``X`` may also be a DataLoader (then leave ``y`` out).
    """
    device = torch.device(device) if device is not None else _model_device(model)
    data = X if isinstance(X, DataLoader) else _prepare((X, y), device)
    was_training = model.training
    model.eval()
    try:
        loss, acc = _run_epoch(model, data, loss_fn, batch_size, device)
    finally:
        model.train(was_training)
    return {"loss": loss, "accuracy": acc}


@torch.no_grad()
def predict(model, X, loss_fn=None, batch_size=1024, device=None):
    """Predicted classes for ``X`` (argmax for several outputs, a threshold for one), on the CPU.

    With one output column the threshold is 0 for logits (the default and BCEWithLogitsLoss)
    and 0.5 for probabilities or regression onto 0/1 targets.
    """
    return predicted_classes(predict_outputs(model, X, batch_size, device), loss_fn)


@torch.no_grad()
def predict_outputs(model, X, batch_size=1024, device=None):
    """The model's raw outputs for ``X`` in evaluation mode, on the CPU."""
    device = torch.device(device) if device is not None else _model_device(model)
    X = _as_tensor(X)
    X = X.float() if X.is_floating_point() else X
    was_training = model.training
    model.eval()
    try:
        chunks = [model(X[i:i + batch_size].to(device)).cpu() for i in range(0, len(X), batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(chunks)
