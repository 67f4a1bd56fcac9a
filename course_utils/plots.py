"""Figures the lessons draw: learning curves, decision boundaries, image grids, confusion
matrices, activation functions, and showing animated GIFs inline.

Every ``plot_*`` helper shows its figure and closes it, so a notebook cell that ends with the
call leaves exactly one picture and no ``<Figure size ...>`` text. Pass ``show=False`` to get
the open Figure back instead (to save it or to add to it); helpers that take ``ax=`` only draw
into that axes and return its Figure, leaving showing it to the caller.
"""
import math
from collections.abc import Mapping
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from IPython import get_ipython
from IPython.display import Image, display
from matplotlib.colors import ListedColormap
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import ConfusionMatrixDisplay

HISTORY_KEYS = ("train_loss", "val_loss", "train_acc", "val_acc")
ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": F.leaky_relu,
    "elu": F.elu,
    "gelu": F.gelu,
    "softplus": F.softplus,
    "silu": F.silu,
    "identity": lambda x: x,
}
CORRECT_COLOR, WRONG_COLOR = "green", "red"
_NON_INTERACTIVE_BACKENDS = {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}


# --- showing figures -------------------------------------------------------------------------

def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, classic notebook, VS Code, nbclient)."""
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def _interactive_backend() -> bool:
    backend = matplotlib.get_backend().lower()
    return backend not in _NON_INTERACTIVE_BACKENDS and "inline" not in backend


def finish_figure(fig, show):
    """Display and close ``fig`` when ``show``; otherwise return it open."""
    if not show:
        return fig
    if in_notebook():
        display(fig)
    elif _interactive_backend():
        plt.show()
    plt.close(fig)
    return None


def _to_numpy(values) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


# --- learning curves -------------------------------------------------------------------------

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
        if not in_notebook():
            return
        fig = plot_history(series, title=self.title, show=False)
        if self._handle is None:
            self._handle = display(fig, display_id=True)
        else:
            self._handle.update(fig)
        plt.close(fig)


# --- decision boundaries ---------------------------------------------------------------------

def _class_indices(values, name) -> np.ndarray:
    array = _to_numpy(values).reshape(-1)
    if array.dtype.kind not in "biuf" or not np.all(np.mod(array, 1) == 0):
        raise ValueError(f"{name} must hold integer class labels 0, 1, ...; got {array[:5]}...")
    return array.astype(int)


def _check_points(X, y):
    X = _to_numpy(X).astype(float)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError("decision boundaries need points with 2 features: X must have shape "
                         f"(N, 2) with N > 0, got {X.shape}")
    y = _class_indices(y, "y")
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels")
    return X, y


def _bounds(*arrays):
    points = np.concatenate(arrays)
    low, high = points.min(axis=0), points.max(axis=0)
    pad = np.where(high > low, 0.1 * (high - low), 0.5)
    return low - pad, high + pad


def predict_classes(model, X, device=None, threshold=0.0) -> np.ndarray:
    """Class indices a torch model or a scikit-learn estimator predicts for the rows of ``X``.

    Torch models run in eval mode without gradients on their own device (or ``device``) and
    get their train/eval mode back afterwards. One output column is read as a logit and
    thresholded at ``threshold`` (use 0.5 for a sigmoid output); several columns give the
    argmax, which suits logits, probabilities and log-probabilities alike.
    """
    if isinstance(model, torch.nn.Module):
        param = next(model.parameters(), None)
        if device is None:
            device = param.device if param is not None else torch.device("cpu")
        dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
        inputs = torch.as_tensor(_to_numpy(X), dtype=dtype, device=device)
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                outputs = model(inputs).detach().cpu()
        finally:
            model.train(was_training)
        if outputs.dim() == 1 or outputs.shape[1] == 1:
            return (outputs.reshape(-1) > threshold).long().numpy()
        return outputs.argmax(dim=1).numpy()
    if hasattr(model, "predict"):
        return _class_indices(model.predict(_to_numpy(X)), "the estimator's predictions")
    raise TypeError("model must be a torch.nn.Module or an estimator with a .predict method; "
                    f"got {type(model).__name__}")


def _class_cmap(n_classes):
    """One distinct colour per class index."""
    palette = plt.get_cmap("tab10" if n_classes <= 10 else "tab20").colors
    if n_classes > len(palette):
        raise ValueError(f"cannot colour {n_classes} classes; at most {len(palette)} are supported")
    return ListedColormap(palette[:max(n_classes, 2)])


def _draw_boundary(ax, model, X, y, bounds, resolution, device, threshold):
    if int(resolution) < 2:
        raise ValueError(f"resolution must be at least 2 grid points per axis; got {resolution}")
    (x_min, y_min), (x_max, y_max) = bounds
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, resolution),
                         np.linspace(y_min, y_max, resolution), indexing="xy")
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    zz = predict_classes(model, grid, device=device, threshold=threshold).reshape(xx.shape)
    n_classes = int(max(zz.max(), y.max(initial=0))) + 1
    cmap = _class_cmap(n_classes)
    levels = np.arange(n_classes + 1) - 0.5
    ax.contourf(xx, yy, zz, levels=levels, cmap=cmap, vmin=-0.5, vmax=cmap.N - 0.5, alpha=0.3)
    points = ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=-0.5, vmax=cmap.N - 0.5,
                        edgecolors="k", linewidths=0.5, s=20)
    ax.legend(*points.legend_elements(), title="class", loc="upper right", fontsize="small")
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_min, y_max)


def _new_axes(ax, figsize):
    """The given axes, or the single axes of a new figure; also says who owns the figure."""
    if ax is not None:
        return ax.figure, ax, False
    fig, ax = plt.subplots(figsize=figsize)
    return fig, ax, True


def plot_decision_boundary(model, X, y, ax=None, title=None, resolution=200, device=None,
                           threshold=0.0, show=True):
    """Colour the plane by the class ``model`` predicts and scatter the points ``(X, y)`` on it.

    ``model`` is a torch module or a scikit-learn estimator (see ``predict_classes``).
    """
    X, y = _check_points(X, y)
    fig, ax, owned = _new_axes(ax, (5.5, 4.5))
    _draw_boundary(ax, model, X, y, _bounds(X), resolution, device, threshold)
    if title:
        ax.set_title(title)
    return finish_figure(fig, show) if owned else fig


def plot_train_test_boundaries(model, X_train, y_train, X_test, y_test, title=None,
                               resolution=200, device=None, threshold=0.0, show=True):
    """The decision boundary over the training points and over the test points, side by side."""
    X_train, y_train = _check_points(X_train, y_train)
    X_test, y_test = _check_points(X_test, y_test)
    bounds = _bounds(X_train, X_test)  # one extent, so the two panels compare directly
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharex=True, sharey=True)
    for ax, X, y, name in ((axes[0], X_train, y_train, "Train"), (axes[1], X_test, y_test, "Test")):
        _draw_boundary(ax, model, X, y, bounds, resolution, device, threshold)
        ax.set_title(name)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return finish_figure(fig, show)


# --- images ----------------------------------------------------------------------------------

def _display_images(images) -> np.ndarray:
    """(N, H, W) or (N, H, W, 3) images checked to lie in the display range."""
    images = _to_numpy(images)
    if images.ndim == 4 and images.shape[1] in (1, 3):  # channels first, as torch stores them
        images = np.moveaxis(images, 1, -1)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 3):
        raise ValueError("images must have shape (N, H, W), (N, 1, H, W), (N, 3, H, W) or "
                         f"(N, H, W, 3); got {images.shape}")
    if len(images) == 0:
        raise ValueError("no images to plot")
    if images.dtype != np.uint8:
        low, high = float(images.min()), float(images.max())
        if low < -1e-3 or high > 1 + 1e-3:
            raise ValueError(f"float images must lie in [0, 1] to be shown; these span "
                             f"[{low:.3g}, {high:.3g}]. Undo the normalization first "
                             "(image * std + mean) instead of rescaling each image.")
    return images


def _label_text(index, class_names):
    return str(class_names[index]) if class_names is not None else str(index)


def plot_image_grid(images, labels, predictions=None, class_names=None, ncols=10, title=None,
                    show=True):
    """Images in a grid, each titled with its label, or "prediction (label)" in green when the
    prediction is right and red when it is wrong."""
    images = _display_images(images)
    labels = _class_indices(labels, "labels")
    if len(labels) != len(images):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    if predictions is not None:
        predictions = _class_indices(predictions, "predictions")
        if len(predictions) != len(images):
            raise ValueError(f"{len(images)} images but {len(predictions)} predictions")
    ncols = max(1, min(int(ncols), len(images)))
    nrows = math.ceil(len(images) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.3 * ncols, 1.5 * nrows + 0.4),
                             squeeze=False)
    vmax = 255 if images.dtype == np.uint8 else 1
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= len(images):
            continue
        ax.imshow(images[i], cmap="gray", vmin=0, vmax=vmax)
        truth = _label_text(labels[i], class_names)
        if predictions is None:
            ax.set_title(truth, fontsize=9)
        else:
            color = CORRECT_COLOR if predictions[i] == labels[i] else WRONG_COLOR
            ax.set_title(f"{_label_text(predictions[i], class_names)} ({truth})", fontsize=9,
                         color=color)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return finish_figure(fig, show)


def plot_confusion_matrix(y_true, y_pred, class_names=None, normalize=None, ax=None, title=None,
                          show=True):
    """Confusion matrix (rows: true class, columns: predicted class) drawn by scikit-learn.

    ``normalize`` is None (counts), "true" (rows sum to 1), "pred" or "all".
    """
    y_true, y_pred = _to_numpy(y_true).reshape(-1), _to_numpy(y_pred).reshape(-1)
    labels = np.arange(len(class_names)) if class_names is not None else None
    n_classes = len(labels) if labels is not None else len(np.union1d(y_true, y_pred))
    size = max(4.5, 0.5 * n_classes + 2)
    fig, ax, owned = _new_axes(ax, (size + 1, size))
    ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=labels, display_labels=class_names, normalize=normalize, ax=ax,
        cmap="Blues", values_format=".2f" if normalize else "d")
    if title:
        ax.set_title(title)
    return finish_figure(fig, show) if owned else fig


# --- activation functions --------------------------------------------------------------------

def _activation(function):
    """(name, callable) for a name from ACTIVATIONS, a torch function or an nn.Module."""
    if isinstance(function, str):
        if function not in ACTIVATIONS:
            raise ValueError(f"unknown activation {function!r}; choose one of {sorted(ACTIVATIONS)}"
                             " or pass a callable")
        return function, ACTIVATIONS[function]
    if not callable(function):
        raise TypeError(f"an activation must be a name or a callable; got {function!r}")
    name = function.__class__.__name__ if isinstance(function, torch.nn.Module) \
        else getattr(function, "__name__", repr(function))
    return name, function


def activation_curves(function, x):
    """(values, derivative) of an elementwise ``function`` at ``x``; the derivative comes from
    autograd, so it is the one backpropagation uses."""
    x = x.detach().clone().requires_grad_(True)
    y = function(x)
    if not isinstance(y, torch.Tensor) or y.shape != x.shape:
        raise ValueError("an activation must map a tensor to a tensor of the same shape")
    if not y.requires_grad:
        raise ValueError("autograd cannot differentiate this activation (does it leave torch?)")
    (grad,) = torch.autograd.grad(y.sum(), x)
    return y.detach(), grad


def plot_activations(functions=("sigmoid", "tanh", "relu"), x=None, derivatives=True, show=True):
    """Activation functions and, with ``derivatives``, their derivatives side by side."""
    if isinstance(functions, (str, torch.nn.Module)) or callable(functions):
        functions = (functions,)
    x = torch.linspace(-5, 5, 501) if x is None \
        else torch.as_tensor(_to_numpy(x), dtype=torch.float32)
    if x.dim() != 1:
        raise ValueError(f"x must be one-dimensional; got shape {tuple(x.shape)}")
    fig, axes = plt.subplots(1, 2 if derivatives else 1, figsize=(10 if derivatives else 5.5, 4),
                             squeeze=False)
    axes = axes[0]
    for function in functions:
        name, fn = _activation(function)
        values, grad = activation_curves(fn, x)
        axes[0].plot(x.numpy(), values.numpy(), label=name)
        if derivatives:
            axes[1].plot(x.numpy(), grad.numpy(), label=name)
    axes[0].set_title("Activation functions")
    if derivatives:
        axes[1].set_title("Derivatives (autograd)")
    for ax in axes:
        ax.set_xlabel("x")
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return finish_figure(fig, show)


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


# Animated GIFs: showing a GIF file inline (writing one is the lessons' exercise).

def show_gif(path, show=True):
    """Display the GIF at ``path`` in the notebook (embedded, so the notebook keeps it).

    With ``show=False`` the ``IPython.display.Image`` is returned instead.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no GIF at {path}; write the GIF file first")
    image = Image(filename=str(path), format="gif")
    if not show:
        return image
    if in_notebook():
        display(image)
    return None
