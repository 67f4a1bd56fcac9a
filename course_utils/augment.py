"""Cheap data augmentation for small grayscale images, done on whole batches.

A handwritten digit that is shifted by a pixel or two, turned by a few degrees or drawn a bit
larger is still the same digit, so randomly transformed copies are free extra training data.
The transforms run on batches of preloaded tensors (no per-image Python work) inside a
DataLoader, so ``fit`` uses them unchanged.
"""
import math

import torch
import torch.nn.functional as F
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset


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
