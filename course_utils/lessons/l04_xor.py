"""Lesson 4, XOR: hand-built threshold networks and pictures of the plane.

``plot_score_maps`` colors the plane by any real-valued function of two inputs (a linear
score, a probability, one hidden unit); ``plot_feature_space`` scatters the points in any 2-D
feature space (e.g. a hidden layer); ``plot_runs`` compares one metric over several runs.
"""
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import MaxNLocator

from ..plots import finish_axes, finish_figure
from ..training import predict_outputs

CLASS_COLORS = ("tab:blue", "tab:orange")
METRIC_NAMES = {"train_loss": "training loss", "val_loss": "validation loss",
                "train_acc": "training accuracy", "val_acc": "validation accuracy"}
CORNERS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)


def _to_numpy(values) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


def step(z):
    """The threshold activation: 1 where ``z > 0``, else 0.

    Tensors keep their autograd graph, so backpropagation through ``step`` sees its true
    derivative, which is 0 everywhere.
    """
    if isinstance(z, torch.Tensor):
        return torch.sign(z).clamp(min=0)
    return (np.asarray(z) > 0).astype(np.float32)


def _as_matrix(value, shape, name):
    array = np.asarray(value, dtype=np.float64)
    if array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got {array.shape}")
    return array


def step_network(X, W1, b1, w2, b2):
    """Forward pass of a 2-input network with one hidden layer of step units and a step output.

    ``W1`` has one row per hidden unit (shape (H, 2), the layout of ``nn.Linear.weight``),
    ``b1`` shape (H,), ``w2`` shape (H,) and ``b2`` a number. Returns ``(hidden, output)``:
    the 0/1 hidden activations (N, H) and the 0/1 predictions (N,).
    """
    X = _to_numpy(X).astype(np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2); got {X.shape}")
    W1 = np.asarray(W1, dtype=np.float64)
    if W1.ndim != 2 or W1.shape[1] != 2:
        raise ValueError(f"W1 must have shape (hidden units, 2); got {W1.shape}")
    n_hidden = W1.shape[0]
    b1 = _as_matrix(b1, (n_hidden,), "b1")
    w2 = _as_matrix(w2, (n_hidden,), "w2")
    b2 = float(np.asarray(b2, dtype=np.float64).reshape(-1)[0]) if np.size(b2) == 1 else None
    if b2 is None:
        raise ValueError("b2 must be a single number")
    hidden = step(X @ W1.T + b1)
    return hidden, step(hidden @ w2 + b2)


def corner_gap(f, decimals: int | None = None) -> float:
    """``f(0,0) + f(1,1) - f(0,1) - f(1,0)`` for a function of (N, 2) inputs with one output.

    It is 0 for every linear (affine) function, because (0,0) + (1,1) = (0,1) + (1,0), up to
    floating-point rounding: ``decimals`` rounds that away so a printed gap reads 0.
    """
    values = predict_outputs(f, CORNERS) if isinstance(f, torch.nn.Module) else f(CORNERS)
    values = _to_numpy(values).astype(np.float64).reshape(-1)
    if values.shape != (4,):
        raise ValueError(f"f must return one value per corner; got {values.shape[0]} values")
    gap = float(values[0] + values[3] - values[1] - values[2])
    return gap if decimals is None else round(gap, decimals) + 0.0  # + 0.0: no "-0.0"


def _plane_grid(X, resolution, pad=0.25):
    X = _to_numpy(X)
    low, high = X.min(axis=0) - pad, X.max(axis=0) + pad
    xs = np.linspace(low[0], high[0], resolution)
    ys = np.linspace(low[1], high[1], resolution)
    xx, yy = np.meshgrid(xs, ys, indexing="xy")
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()]).astype(np.float32)


def _scatter_classes(ax, points, y, size=12):
    y = _to_numpy(y).reshape(-1).astype(int)
    for label, color in enumerate(CLASS_COLORS):
        chosen = y == label
        ax.scatter(points[chosen, 0], points[chosen, 1], s=size, color=color,
                   edgecolors="k", linewidths=0.3, label=f"class {label}")


def _evaluate(function, grid):
    if isinstance(function, torch.nn.Module):
        values = predict_outputs(function, grid)
    else:
        values = function(grid)
    values = _to_numpy(values).astype(np.float64).reshape(-1)
    if values.shape[0] != len(grid):
        raise ValueError(f"a score function must return one value per point; got "
                         f"{values.shape[0]} values for {len(grid)} points")
    return values


def plot_score_maps(functions, X, y, levels=(0.5,), resolution=120, ncols=3, title=None,
                    show=True):
    """One panel per ``{title: function}``: the function's value over the plane as color,
    its ``levels`` as black contour lines, and the points ``(X, y)`` on top.

    A function maps an (N, 2) float32 array (or tensor, for an ``nn.Module``) to N numbers.
    """
    if not isinstance(functions, Mapping) or not functions:
        raise ValueError("functions must be a non-empty dict {panel title: function}")
    X = _to_numpy(X)
    xx, yy, grid = _plane_grid(X, resolution)
    ncols = min(ncols, len(functions))
    nrows = -(-len(functions) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.8 * nrows), squeeze=False)
    for ax, (name, function) in zip(axes.flat, functions.items()):
        values = _evaluate(function, grid).reshape(xx.shape)
        low, high = float(values.min()), float(values.max())
        bands = np.linspace(low, high, 21) if high > low else [low - 0.5, low + 0.5]
        image = ax.contourf(xx, yy, values, levels=bands, cmap="coolwarm")  # bands: small PNGs
        fig.colorbar(image, ax=ax, ticks=MaxNLocator(6))
        inside = [level for level in levels if values.min() < level < values.max()]
        if inside:
            contour = ax.contour(xx, yy, values, levels=inside, colors="black", linewidths=1.5)
            ax.clabel(contour, fmt="%g", fontsize=8)
        _scatter_classes(ax, X, y)
        ax.set_title(name)
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
    for ax in list(axes.flat)[len(functions):]:
        ax.axis("off")
    axes.flat[0].legend(loc="upper right", fontsize="small")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return finish_figure(fig, show)


def plot_feature_space(features, y, title=None, labels=("$h_1$", "$h_2$"), line=None,
                       show=True):
    """Scatter the points in a 2-D feature space (e.g. a hidden layer), colored by class.

    ``line=(w, b)`` also draws the straight boundary ``w[0] h1 + w[1] h2 + b = 0``.
    """
    features = _to_numpy(features).astype(np.float64)
    if features.ndim != 2 or features.shape[1] != 2:
        raise ValueError(f"features must have shape (N, 2); got {features.shape}")
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    _scatter_classes(ax, features, y, size=16)
    if line is not None:
        w, b = np.asarray(line[0], dtype=np.float64).reshape(-1), float(line[1])
        low, high = features.min(axis=0), features.max(axis=0)
        pad = 0.1 * np.maximum(high - low, 1e-3)
        ax.set_xlim(low[0] - pad[0], high[0] + pad[0])
        ax.set_ylim(low[1] - pad[1], high[1] + pad[1])
        if abs(w[1]) >= abs(w[0]):
            xs = np.linspace(*ax.get_xlim(), 2)
            ax.plot(xs, -(w[0] * xs + b) / w[1], "k--", label="output boundary")
        else:
            ys = np.linspace(*ax.get_ylim(), 2)
            ax.plot(-(w[1] * ys + b) / w[0], ys, "k--", label="output boundary")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.legend(loc="best", fontsize="small")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return finish_figure(fig, show)


def plot_runs(histories, key="train_acc", title=None, show=True):
    """One curve per ``{name: History}`` for the metric ``key`` (e.g. "train_acc")."""
    if not isinstance(histories, Mapping) or not histories:
        raise ValueError("histories must be a non-empty dict {run name: History}")
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for name, history in histories.items():
        values = getattr(history, key, None)
        if not values or any(v is None for v in values):
            raise ValueError(f"run {name!r} has no {key!r} values to plot")
        ax.plot(range(1, len(values) + 1), values, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel(METRIC_NAMES.get(key, key))
    return finish_axes(fig, ax, title, show)


# -- self-check hints, shared with the grader (which passes the same plain data) -------------
MSE_HINT = ("MSELoss treats the 0/1 labels as numbers to regress and its gradient vanishes for "
            "confident mistakes: use nn.BCEWithLogitsLoss")
BCE_HINT = "BCELoss expects probabilities but the model returns logits: use nn.BCEWithLogitsLoss"
OTHER_PARAMETERS_HINT = ("the optimizer must update the parameters of the model it is given: "
                         "pass model.parameters()")


def loss_problem(loss_name):
    """A hint when a loss (given by its type name) is not the one for one logit and 0/1 labels."""
    if loss_name == "MSELoss":
        return MSE_HINT
    if loss_name == "BCELoss":
        return BCE_HINT
    if loss_name != "BCEWithLogitsLoss":
        return f"{loss_name} is not the loss for one logit with 0/1 labels: use nn.BCEWithLogitsLoss"
    return None


def diagnose_loss_and_optimizer(answer, model):
    """Self-check hints for ``make_loss_and_optimizer(model)``'s answer, else None."""
    if not (isinstance(answer, (tuple, list)) and len(answer) == 2):
        return "make_loss_and_optimizer must return the pair (loss_fn, optimizer)"
    loss_fn, optimizer = answer
    if not isinstance(optimizer, torch.optim.Optimizer):
        return "the second item must be a torch optimizer"
    problem = loss_problem(type(loss_fn).__name__)
    if problem:
        return problem
    given = {id(p) for group in optimizer.param_groups for p in group["params"]}
    if given != {id(p) for p in model.parameters()}:
        return OTHER_PARAMETERS_HINT
    return None
