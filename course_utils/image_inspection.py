"""Looking closely at image datasets: the pixel values of one image, one example per class."""
import matplotlib.pyplot as plt
import numpy as np
import torch

from .plots import _finish


def _as_2d_image(image):
    array = image.detach().cpu().numpy() if isinstance(image, torch.Tensor) else np.asarray(image)
    array = np.squeeze(array)
    if array.ndim != 2:
        raise ValueError(f"expected one grayscale image of shape (H, W) or (1, H, W), "
                         f"got shape {np.shape(image)}")
    return array


def plot_pixel_values(image, title=None, decimals=1, size=9, show=True):
    """Draw a grayscale image large, with each nonzero pixel's value written on it.

    Works for uint8 pixels (0-255) and for floats in [0, 1]; values are printed with
    ``decimals`` digits (none for uint8).
    """
    pixels = _as_2d_image(image)
    is_int = np.issubdtype(pixels.dtype, np.integer)
    vmax = 255 if is_int else 1.0
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(pixels, cmap="gray", vmin=0, vmax=vmax)
    for (row, col), value in np.ndenumerate(pixels):
        if value == 0:
            continue
        text = f"{value:d}" if is_int else f"{value:.{decimals}f}"
        # Dark text on bright pixels, bright text on dark ones.
        ax.text(col, row, text, ha="center", va="center", fontsize=6,
                color="black" if value > 0.4 * vmax else "white")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return _finish(fig, show)


def one_per_class(labels, classes=None, seed=0):
    """Indices of one randomly chosen sample of each class, in class order.

    ``classes`` defaults to the classes present in ``labels``; a requested class with no
    sample raises a ValueError.
    """
    labels = labels.cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    classes = np.unique(labels) if classes is None else classes
    rng = np.random.default_rng(seed)
    picked = []
    for cls in classes:
        candidates = np.flatnonzero(labels == cls)
        if len(candidates) == 0:
            raise ValueError(f"class {cls} has no sample in these labels")
        picked.append(int(rng.choice(candidates)))
    return np.array(picked, dtype=np.int64)
