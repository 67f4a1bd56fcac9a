"""Lesson 1, similarity learning with ``nn.CosineEmbeddingLoss``: pairs of samples, an encoder
that embeds both members, and the cosines it gives.

``fit`` calls ``loss_fn(model(inputs), targets)``. For similarity learning the inputs are pairs
of samples, shape (N, 2, F); :class:`PairEncoder` embeds both members with the same encoder,
giving (N, 2, D), and :class:`CosinePairLoss` hands the two halves to ``CosineEmbeddingLoss``
with the targets +1 (similar) or -1 (dissimilar).
"""
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..plots import finish_figure

SIMILAR, DISSIMILAR = 1.0, -1.0


def make_pairs(X, y, n_pairs, seed=0):
    """Random pairs of rows of ``X``, half of them sharing a label and half not.

    Returns ``(pairs, targets)``: float32 tensors of shape (n_pairs, 2, F) and (n_pairs,),
    with target +1 for a same-label pair and -1 otherwise.
    """
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y).reshape(-1)
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError(f"X must be (N, F) with one label per row; got X {X.shape}, y {y.shape}")
    if n_pairs < 1:
        raise ValueError(f"n_pairs must be at least 1, got {n_pairs}")
    labels = np.unique(y)
    if len(labels) < 2:
        raise ValueError("make_pairs needs at least two different labels to build dissimilar pairs")
    rng = np.random.default_rng(seed)
    by_label = {label: np.flatnonzero(y == label) for label in labels}
    first = rng.integers(len(X), size=n_pairs)
    similar = np.arange(n_pairs) % 2 == 0
    second = np.empty(n_pairs, dtype=np.int64)
    for k, (i, same) in enumerate(zip(first, similar)):
        if same:
            candidates = by_label[y[i]]
        else:
            candidates = np.flatnonzero(y != y[i])
        second[k] = rng.choice(candidates)
    pairs = np.stack([X[first], X[second]], axis=1)
    targets = np.where(similar, SIMILAR, DISSIMILAR).astype(np.float32)
    return torch.from_numpy(pairs), torch.from_numpy(targets)


class PairEncoder(nn.Module):
    """Embed both members of each pair with one shared ``encoder``: (N, 2, F) -> (N, 2, D)."""

    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder = encoder

    def forward(self, pairs):
        if pairs.dim() != 3 or pairs.shape[1] != 2:
            raise ValueError("PairEncoder expects pairs of shape (N, 2, F); "
                             f"got {tuple(pairs.shape)}")
        n = pairs.shape[0]
        return self.encoder(pairs.reshape(n * 2, -1)).reshape(n, 2, -1)


class CosinePairLoss(nn.Module):
    """``CosineEmbeddingLoss`` on :class:`PairEncoder` outputs, as ``loss(outputs, targets)``."""

    def __init__(self, margin: float = 0.0):
        super().__init__()
        self.loss = nn.CosineEmbeddingLoss(margin=margin)

    def forward(self, embeddings, targets):
        if embeddings.dim() != 3 or embeddings.shape[1] != 2:
            raise ValueError("CosinePairLoss expects embeddings of shape (N, 2, D); "
                             f"got {tuple(embeddings.shape)}")
        return self.loss(embeddings[:, 0], embeddings[:, 1], targets)


@torch.no_grad()
def pair_cosines(model: PairEncoder, pairs) -> torch.Tensor:
    """Cosine similarity of the two embeddings of every pair (evaluation mode, on the CPU)."""
    was_training = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        embeddings = model(torch.as_tensor(pairs, dtype=torch.float32).to(device)).cpu()
    finally:
        model.train(was_training)
    return F.cosine_similarity(embeddings[:, 0], embeddings[:, 1], dim=1)


def pair_accuracy(cosines, targets, threshold: float = 0.0) -> float:
    """Fraction of pairs called correctly when "similar" means cosine above ``threshold``."""
    cosines, targets = torch.as_tensor(cosines), torch.as_tensor(targets)
    predicted = torch.where(cosines > threshold, SIMILAR, DISSIMILAR)
    return float((predicted == targets).float().mean())


def plot_pair_cosines(cosines_by_title: dict, targets, show=True):
    """One histogram panel per entry: cosines of similar pairs against dissimilar pairs."""
    if not cosines_by_title:
        raise ValueError("give at least one set of cosines to plot")
    targets = torch.as_tensor(targets)
    fig, axes = plt.subplots(1, len(cosines_by_title), figsize=(5 * len(cosines_by_title), 3.5),
                             squeeze=False, sharey=True)
    bins = np.linspace(-1, 1, 41)
    for ax, (title, cosines) in zip(axes[0], cosines_by_title.items()):
        cosines = torch.as_tensor(cosines)
        if cosines.shape != targets.shape:
            raise ValueError(f"{title!r}: {tuple(cosines.shape)} cosines for "
                             f"{tuple(targets.shape)} targets")
        ax.hist(cosines[targets == SIMILAR].numpy(), bins=bins, alpha=0.6, label="similar (+1)")
        ax.hist(cosines[targets == DISSIMILAR].numpy(), bins=bins, alpha=0.6,
                label="dissimilar (-1)")
        ax.set_title(title)
        ax.set_xlabel("cosine similarity of the two embeddings")
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0, 0].set_ylabel("pairs")
    fig.tight_layout()
    return finish_figure(fig, show)


__all__ = ["CosinePairLoss", "PairEncoder", "make_pairs", "pair_accuracy", "pair_cosines",
           "plot_pair_cosines"]
