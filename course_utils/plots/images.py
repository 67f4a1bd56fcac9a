"""Images in a grid (titled with labels, or predictions coloured right or wrong) and confusion
matrices."""
import math

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay

from .figures import as_numpy, class_indices, finish_figure, new_axes

CORRECT_COLOR, WRONG_COLOR = "green", "red"


def _display_images(images) -> np.ndarray:
    """(N, H, W) or (N, H, W, 3) images checked to lie in the display range."""
    images = as_numpy(images)
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
    labels = class_indices(labels, "labels")
    if len(labels) != len(images):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    if predictions is not None:
        predictions = class_indices(predictions, "predictions")
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
    y_true, y_pred = as_numpy(y_true).reshape(-1), as_numpy(y_pred).reshape(-1)
    labels = np.arange(len(class_names)) if class_names is not None else None
    n_classes = len(labels) if labels is not None else len(np.union1d(y_true, y_pred))
    size = max(4.5, 0.5 * n_classes + 2)
    fig, ax, owned = new_axes(ax, (size + 1, size))
    ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=labels, display_labels=class_names, normalize=normalize, ax=ax,
        cmap="Blues", values_format=".2f" if normalize else "d")
    if title:
        ax.set_title(title)
    return finish_figure(fig, show) if owned else fig
