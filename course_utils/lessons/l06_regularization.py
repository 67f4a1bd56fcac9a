"""Lesson 6, regularization: L1/L2 coefficient paths of linear models, and scikit-learn's
MLPClassifier, whose ``alpha`` is an L2 penalty on the network's weights, swept over alpha.
"""
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from ..plots import _finish


def fit_mlp(alpha, X, y, hidden_layer_sizes=(10,), seed=0, max_iter=2000):
    """An ``MLPClassifier`` with L2 penalty ``alpha`` fitted on ``(X, y)``.

    L-BFGS suits a small data set: it uses every sample in each step, so for a given seed the
    result is deterministic. A fit that stops at ``max_iter`` raises a ConvergenceWarning.
    """
    if not np.isfinite(alpha) or alpha < 0:
        raise ValueError(f"alpha must be a finite number >= 0; got {alpha}")
    model = MLPClassifier(hidden_layer_sizes=hidden_layer_sizes, alpha=float(alpha),
                          solver="lbfgs", max_iter=max_iter, random_state=seed)
    return model.fit(X, y)


def weight_norm(model) -> float:
    """The Euclidean norm of all weights of a fitted MLPClassifier (biases excluded), the
    quantity its L2 penalty shrinks."""
    if not hasattr(model, "coefs_"):
        raise ValueError("the model is not fitted yet: call fit_mlp or model.fit first")
    return float(np.sqrt(sum(np.sum(W ** 2) for W in model.coefs_)))


def alpha_sweep(alphas, X_train, y_train, X_test, y_test, **fit_kwargs) -> pd.DataFrame:
    """Fit one MLP per alpha; return a table of alpha, weight norm, train and test accuracy and
    the number of solver iterations."""
    alphas = np.asarray(alphas, dtype=float).reshape(-1)
    if alphas.size == 0:
        raise ValueError("alphas is empty: pass e.g. np.logspace(-3, 3, 21)")
    rows = []
    for alpha in alphas:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model = fit_mlp(alpha, X_train, y_train, **fit_kwargs)
        rows.append({"alpha": alpha, "weight_norm": weight_norm(model),
                     "train_accuracy": model.score(X_train, y_train),
                     "test_accuracy": model.score(X_test, y_test),
                     "iterations": model.n_iter_,
                     "converged": not any(issubclass(w.category, ConvergenceWarning)
                                          for w in caught)})
    return pd.DataFrame(rows)


def plot_alpha_sweep(table, title=None, show=True):
    """Weight norm (left) and train/test accuracy (right) against alpha on a log axis."""
    missing = {"alpha", "weight_norm", "train_accuracy", "test_accuracy"} - set(table.columns)
    if missing:
        raise ValueError(f"the table lacks columns {sorted(missing)}: make it with alpha_sweep")
    fig, (ax_norm, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.8))
    ax_norm.plot(table["alpha"], table["weight_norm"], marker="o", markersize=4)
    ax_norm.set_ylabel("weight norm $\\|W\\|$")
    ax_acc.plot(table["alpha"], table["train_accuracy"], marker="o", markersize=4, label="train")
    ax_acc.plot(table["alpha"], table["test_accuracy"], marker="s", markersize=4, label="test")
    ax_acc.set_ylabel("accuracy")
    ax_acc.legend()
    for ax in (ax_norm, ax_acc):
        ax.set_xscale("log")
        ax.set_xlabel("alpha (L2 penalty strength)")
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _finish(fig, show)


def coefficient_paths(make_model, alphas, X, y) -> np.ndarray:
    """Coefficients of ``make_model(alpha).fit(X, y)`` for each alpha: shape (alphas, features)."""
    alphas = np.asarray(alphas, dtype=float).reshape(-1)
    if alphas.size == 0:
        raise ValueError("alphas is empty")
    return np.array([np.ravel(make_model(alpha).fit(X, y).coef_) for alpha in alphas])


def plot_coefficient_paths(paths, show=True):
    """One panel per ``{title: (alphas, coefficients)}``: each coefficient against alpha."""
    if not paths:
        raise ValueError("paths must be a non-empty dict {title: (alphas, coefficients)}")
    fig, axes = plt.subplots(1, len(paths), figsize=(4.8 * len(paths), 3.8), squeeze=False)
    for ax, (name, (alphas, coefs)) in zip(axes[0], paths.items()):
        coefs = np.asarray(coefs)
        if coefs.ndim != 2 or len(coefs) != len(alphas):
            raise ValueError(f"{name}: coefficients must have shape (len(alphas), features)")
        for j in range(coefs.shape[1]):
            ax.plot(alphas, coefs[:, j], label=f"$w_{{{j + 1}}}$")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("alpha")
        ax.set_ylabel("coefficient")
        ax.set_title(name)
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize="small", ncol=2)
    fig.tight_layout()
    return _finish(fig, show)
