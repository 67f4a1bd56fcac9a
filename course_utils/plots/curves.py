"""Learning curves: one run's loss and accuracy, several runs side by side, and a live plot
that ``fit`` redraws after every epoch."""
import math
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import MaxNLocator

from . import figures
from .figures import finish_figure

HISTORY_KEYS = ("train_loss", "val_loss", "train_acc", "val_acc")


def _history_series(history) -> dict:
    """Read a History object, a dict of lists or a plain list of losses into a dict of lists."""
    if isinstance(history, Mapping):
        series = {key: history.get(key) for key in HISTORY_KEYS}
    elif all(hasattr(history, key) for key in ("train_loss", "val_loss")):
        series = {key: getattr(history, key, None) for key in HISTORY_KEYS}
    elif isinstance(history, (list, tuple, np.ndarray, torch.Tensor)):
        series = {"train_loss": history}
    else:
        raise TypeError(f"history must be a History, a dict with keys {', '.join(HISTORY_KEYS)}"
                        f" or a list of losses; got {type(history).__name__}")
    return {key: [] if values is None else list(values) for key, values in series.items()}


def _points(values):
    """(epochs, values) with epochs counted from 1, skipping missing (None or NaN) entries."""
    pairs = [(epoch, float(value)) for epoch, value in enumerate(values, start=1)
             if value is not None and not math.isnan(float(value))]
    return tuple(zip(*pairs)) if pairs else ((), ())


def _has_accuracy(series):
    return any(_points(series.get(key, []))[0] for key in ("train_acc", "val_acc"))


def plot_history(history, title=None, show=True):
    """Loss curves (train and validation) and, when recorded, accuracy curves side by side."""
    series = _history_series(history)
    if not any(_points(values)[0] for values in series.values()):
        raise ValueError("history is empty: train for at least one epoch before plotting it")
    panels = [("Loss", "train_loss", "val_loss")]
    if _has_accuracy(series):
        panels.append(("Accuracy", "train_acc", "val_acc"))
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels) + 0.5, 4), squeeze=False)
    for ax, (name, train_key, val_key) in zip(axes[0], panels):
        for key, label in ((train_key, "train"), (val_key, "validation")):
            epochs, values = _points(series.get(key, []))
            if epochs:
                ax.plot(epochs, values, marker="o", markersize=3, label=label)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if ax.lines:
            ax.legend()
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return finish_figure(fig, show)


class LiveLossPlot:
    """A ``fit`` callback that redraws the learning curves after every epoch.

    In Jupyter the figure is updated in place (one output per training run, other output such
    as progress bars is kept); elsewhere the callback does nothing.
    """

    def __init__(self, title=None):
        self.title = title
        self._handle = None
        self._epochs_seen = 0

    def __call__(self, history):
        series = _history_series(history)
        n_epochs = max(len(values) for values in series.values())
        if n_epochs == 0:
            return
        if n_epochs <= self._epochs_seen:  # a new training run: start a new output
            self._handle = None
        self._epochs_seen = n_epochs
        if not figures.in_notebook():
            return
        fig = plot_history(series, title=self.title, show=False)
        if self._handle is None:
            self._handle = figures.display(fig, display_id=True)
        else:
            self._handle.update(fig)
        plt.close(fig)


def plot_histories(histories: dict, metrics=("val_loss", "val_acc"), title=None, show=True):
    """One panel per metric with one curve per run, e.g. ``{"ReLU": h1, "tanh": h2}``."""
    if not histories:
        raise ValueError("give at least one history to plot")
    series = {name: _history_series(history) for name, history in histories.items()}
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.8), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        drawn = False
        for name, values in series.items():
            if metric not in values:
                raise ValueError(f"unknown metric {metric!r}; choose from {sorted(values)}")
            epochs, points = _points(values[metric])
            if epochs:
                ax.plot(epochs, points, marker="o", markersize=2, label=name)
                drawn = True
        if not drawn:
            raise ValueError(f"no run recorded {metric!r}")
        ax.set_title(metric.replace("val_", "validation ").replace("train_", "training ")
                     .replace("acc", "accuracy"))
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return finish_figure(fig, show)
