"""Decision boundaries: the plane coloured by the class a model predicts, with the points on it."""
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.colors import ListedColormap

from .figures import as_numpy, class_indices, finish_figure, new_axes


def _check_points(X, y):
    X = as_numpy(X).astype(float)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError("decision boundaries need points with 2 features: X must have shape "
                         f"(N, 2) with N > 0, got {X.shape}")
    y = class_indices(y, "y")
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
        inputs = torch.as_tensor(as_numpy(X), dtype=dtype, device=device)
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
        return class_indices(model.predict(as_numpy(X)), "the estimator's predictions")
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


def plot_decision_boundary(model, X, y, ax=None, title=None, resolution=200, device=None,
                           threshold=0.0, show=True):
    """Colour the plane by the class ``model`` predicts and scatter the points ``(X, y)`` on it.

    ``model`` is a torch module or a scikit-learn estimator (see ``predict_classes``).
    """
    X, y = _check_points(X, y)
    fig, ax, owned = new_axes(ax, (5.5, 4.5))
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
