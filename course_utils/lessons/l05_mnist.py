"""Lesson 5, MNIST: loading the digits (saying only which kind of source was used), looking
closely at image datasets (the pixel values of one image, one example per class), and cheap data
augmentation for small grayscale images, done on whole batches. The checks of the networks
students write are in :mod:`course_utils.lessons.l05_networks`.

A handwritten digit that is shifted by a pixel or two, turned by a few degrees or drawn a bit
larger is still the same digit, so randomly transformed copies are free extra training data.
The transforms run on batches of preloaded tensors (no per-image Python work) inside a
DataLoader, so ``fit`` uses them unchanged.
"""
import contextlib
import io
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

from ..datasets import load_mnist
from ..plots import finish_figure

# Loading.

def source_kind(source):
    """A dataset source description without file system paths: what kind of data it is."""
    if source.startswith("official MNIST IDX files"):
        return "official MNIST files (training and test set)"
    for prefix in ("full MNIST", "official MNIST test set"):
        if source.startswith(prefix):
            details = source[len(prefix):].strip(" ()").split(", ")[0].strip()
            keep = details if details and "/" not in details and "cached" not in details else ""
            return f"{prefix} ({keep})" if keep else prefix
    return source


def load_lesson_mnist():
    """``load_mnist()``, printing which kind of source the training and test digits come from
    (download, official files or the offline fallback), without the folders they live in."""
    with contextlib.redirect_stdout(io.StringIO()):
        data = load_mnist()
    print(f"Training digits: {source_kind(data.source)}")
    print(f"Test digits:     {source_kind(data.test_source)}")
    return data


# Inspecting images.

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
    return finish_figure(fig, show)


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


# Augmentation.

def _uniform(n, half_width, generator):
    """``n`` values drawn uniformly from ``[-half_width, half_width]``."""
    return (torch.rand(n, generator=generator) * 2 - 1) * half_width


def random_affine(images, max_rotation=10.0, max_scale=0.1, max_shift=2.0, fill=0.0,
                  generator=None):
    """Rotate, scale and shift every image of a batch by its own random amount.

    ``images`` is a float tensor (N, C, H, W). Each image is turned by up to ``max_rotation``
    degrees, scaled by a factor in ``1 ± max_scale`` and moved by up to ``max_shift`` pixels
    along each axis (bilinear interpolation). Pixels coming from outside the image get the value
    ``fill``: the background, which for standardized MNIST is ``-mean / std``, not 0.
    """
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or not images.is_floating_point():
        shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
        raise ValueError(f"random_affine expects a float tensor of shape (N, C, H, W), got {shape}")
    if min(max_rotation, max_scale, max_shift) < 0 or max_scale >= 1:
        raise ValueError("max_rotation, max_scale and max_shift must be >= 0, and max_scale < 1")
    n, _, height, width = images.shape
    if n == 0:
        return images.clone()
    angle = _uniform(n, math.radians(max_rotation), generator)
    scale = 1 + _uniform(n, max_scale, generator)
    # affine_grid maps output coordinates in [-1, 1] to input coordinates: one pixel is 2 / size.
    shift_x = _uniform(n, max_shift, generator) * 2 / width
    shift_y = _uniform(n, max_shift, generator) * 2 / height
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift_x], dim=1),
                         torch.stack([sin, cos, shift_y], dim=1)], dim=1)
    theta = theta.to(device=images.device, dtype=images.dtype)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    # grid_sample pads with zeros: move the background to 0 and back.
    moved = F.grid_sample(images - fill, grid, mode="bilinear", padding_mode="zeros",
                          align_corners=False)
    return moved + fill


class _TransformBatch:
    """A ``collate_fn`` applying ``transform`` to the images of an (images, labels) batch."""

    def __init__(self, transform):
        self.transform = transform

    def __call__(self, batch):
        images, labels = batch
        return self.transform(images), labels


def augmented_loader(X, y, transform, batch_size=64):
    """A shuffling DataLoader over ``(X, y)`` that applies ``transform`` to every image batch.

    Whole batches are sliced out of the tensors at once. Shuffling and ``transform`` draw from
    torch's global random generator, which ``fit`` reseeds at every epoch, so training runs are
    repeatable. Example::

        loader = augmented_loader(X_train, y_train, lambda batch: random_affine(batch, fill=-0.42))
    """
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} images but y has {len(y)} labels")
    if not callable(transform):
        raise TypeError(f"transform must be a function of an image batch, got {transform!r}")
    dataset = TensorDataset(X, y)
    batches = BatchSampler(RandomSampler(dataset), batch_size, drop_last=False)
    # batch_size=None: every item the sampler yields is already a list of indices, one batch.
    return DataLoader(dataset, sampler=batches, batch_size=None,
                      collate_fn=_TransformBatch(transform))
