"""Tests for the CosineEmbeddingLoss pair helpers used by lesson 1."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from torch import nn

from course_utils import MLP, fit
from course_utils.lessons.l01_pairs import (
    CosinePairLoss,
    PairEncoder,
    make_pairs,
    pair_accuracy,
    pair_cosines,
    plot_pair_cosines,
)


def _two_blobs(n=200, seed=0):
    """XOR quadrants: an untrained encoder does not separate the classes."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 3)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return X, y


def test_make_pairs_labels_match_the_members():
    X, y = _two_blobs()
    X = np.column_stack([X, np.arange(len(X))]).astype(np.float32)  # last column: row index
    pairs, targets = make_pairs(X, y, n_pairs=101, seed=3)
    assert pairs.shape == (101, 2, 4) and targets.shape == (101,)
    assert pairs.dtype == torch.float32 and targets.dtype == torch.float32
    rows = pairs[:, :, -1].long().numpy()
    same = y[rows[:, 0]] == y[rows[:, 1]]
    assert np.array_equal(np.where(same, 1.0, -1.0), targets.numpy())
    assert int((targets == 1).sum()) == 51  # alternating similar / dissimilar


def test_make_pairs_is_seeded():
    X, y = _two_blobs()
    a, ta = make_pairs(X, y, 50, seed=1)
    b, tb = make_pairs(X, y, 50, seed=1)
    c, _ = make_pairs(X, y, 50, seed=2)
    assert torch.equal(a, b) and torch.equal(ta, tb)
    assert not torch.equal(a, c)


@pytest.mark.parametrize("bad", [
    dict(X=np.zeros((4, 2)), y=np.zeros(4), n_pairs=3),      # one label only
    dict(X=np.zeros((4, 2)), y=np.array([0, 1, 0]), n_pairs=3),  # length mismatch
    dict(X=np.zeros((4, 2)), y=np.array([0, 1, 0, 1]), n_pairs=0),
])
def test_make_pairs_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        make_pairs(**bad)


def test_pair_encoder_shares_weights_and_checks_shape():
    torch.manual_seed(0)
    model = PairEncoder(nn.Linear(3, 5))
    x = torch.randn(4, 3)
    out = model(torch.stack([x, x], dim=1))
    assert out.shape == (4, 2, 5)
    assert torch.allclose(out[:, 0], out[:, 1])
    assert torch.allclose(pair_cosines(model, torch.stack([x, x], dim=1)), torch.ones(4))
    with pytest.raises(ValueError, match=r"\(N, 2, F\)"):
        model(torch.randn(4, 3))


def test_cosine_pair_loss_follows_the_formula():
    a = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    b = torch.tensor([[2.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [1.0, 1.0]])
    cos = torch.tensor([1.0, 0.0, -1.0, 2 ** -0.5])
    targets = torch.tensor([1.0, -1.0, -1.0, -1.0])
    margin = 0.5
    expected = torch.where(targets > 0, 1 - cos, (cos - margin).clamp(min=0)).mean()
    loss = CosinePairLoss(margin=margin)(torch.stack([a, b], dim=1), targets)
    assert torch.isclose(loss, expected)


def test_training_separates_similar_from_dissimilar_pairs():
    X, y = _two_blobs(300)
    pairs, targets = make_pairs(X, y, 400, seed=0)
    torch.manual_seed(0)
    model = PairEncoder(MLP(3, 32, 4))
    before = pair_accuracy(pair_cosines(model, pairs), targets)
    history = fit(model, (pairs, targets), loss_fn=CosinePairLoss(), device="cpu",
                  optimizer=torch.optim.Adam(model.parameters(), lr=0.01), epochs=30,
                  progress=False, verbose=False)
    after = pair_accuracy(pair_cosines(model, pairs), targets)
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.train_acc[-1] is None  # accuracy means nothing to fit for this loss
    assert before < 0.8 and after > 0.9


def test_pair_accuracy_counts_threshold_decisions():
    cosines = torch.tensor([0.9, -0.2, 0.1, -0.8])
    targets = torch.tensor([1.0, 1.0, -1.0, -1.0])
    assert pair_accuracy(cosines, targets) == 0.5
    assert pair_accuracy(cosines, targets, threshold=0.5) == 0.75


def test_plot_pair_cosines_draws_one_panel_per_entry():
    targets = torch.tensor([1.0, -1.0, 1.0])
    fig = plot_pair_cosines({"before": torch.zeros(3), "after": torch.tensor([0.9, -0.9, 0.8])},
                            targets, show=False)
    assert [ax.get_title() for ax in fig.axes] == ["before", "after"]
    with pytest.raises(ValueError, match="cosines for"):
        plot_pair_cosines({"bad": torch.zeros(2)}, targets, show=False)
    with pytest.raises(ValueError):
        plot_pair_cosines({}, targets, show=False)
