"""Lesson 3's comparisons: scikit-learn classifiers over a grid of 2-D datasets (in the style of
scikit-learn's classifier comparison), their decision surfaces, and regression fits side by side.
"""
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from sklearn.base import clone
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from ..plots import finish_axes, finish_figure

_POINT_COLORS = ListedColormap(["#d62728", "#1f77b4"])


@dataclass
class Comparison:
    """The result of :func:`compare_classifiers`.

    ``splits[dataset]`` is ``(X_train, X_test, y_train, y_test)``, ``fitted[dataset][name]`` the
    trained estimator and ``scores`` a table of test accuracies (rows: datasets, columns:
    classifiers).
    """

    splits: dict
    fitted: dict
    scores: pd.DataFrame


def _check_dataset(name, data):
    try:
        X, y = data
    except (TypeError, ValueError):
        raise ValueError(f"dataset {name!r} must be a pair (X, y)") from None
    X, y = np.asarray(X, dtype=float), np.asarray(y).reshape(-1)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"dataset {name!r}: X must have shape (N, 2) to be drawn; got {X.shape}")
    if len(X) != len(y):
        raise ValueError(f"dataset {name!r}: X has {len(X)} rows but y has {len(y)} labels")
    return X, y


def compare_classifiers(classifiers: dict, datasets: dict, test_size=0.4, seed=0) -> Comparison:
    """Fit a fresh copy of every classifier on every dataset and score it on held-out data.

    ``classifiers`` maps names to unfitted scikit-learn estimators, ``datasets`` maps names to
    ``(X, y)`` pairs with two features. Each dataset is split once (stratified, seeded), so all
    classifiers see the same training and test points. BLAS runs on one thread: on problems
    this small more threads only add overhead (and spin-waiting threads crawl on a busy CPU).
    """
    if not classifiers or not datasets:
        raise ValueError("give at least one classifier and one dataset")
    splits, fitted, scores = {}, {}, {}
    for data_name, data in datasets.items():
        X, y = _check_dataset(data_name, data)
        split = train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)
        X_train, X_test, y_train, y_test = split
        splits[data_name], fitted[data_name], scores[data_name] = split, {}, {}
        for name, estimator in classifiers.items():
            with threadpool_limits(limits=1, user_api="blas"):
                model = clone(estimator).fit(X_train, y_train)
            fitted[data_name][name] = model
            scores[data_name][name] = model.score(X_test, y_test)
    table = pd.DataFrame.from_dict(scores, orient="index")
    table.index.name = "dataset"
    return Comparison(splits=splits, fitted=fitted, scores=table)


def _grid(X, resolution):
    low, high = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    xx, yy = np.meshgrid(np.linspace(low[0], high[0], resolution),
                         np.linspace(low[1], high[1], resolution), indexing="xy")
    return xx, yy


def _surface(model, points):
    """P(class 1) for binary classifiers with predict_proba, else the predicted class."""
    if hasattr(model, "predict_proba") and len(getattr(model, "classes_", ())) == 2:
        return model.predict_proba(points)[:, 1], {"cmap": "RdBu", "vmin": 0, "vmax": 1, "levels": 11}
    labels = model.predict(points).astype(float)
    return labels, {"cmap": "tab10", "vmin": 0, "vmax": 9,
                    "levels": np.arange(-0.5, 10)}


def _scatter(ax, X_train, X_test, y_train, y_test):
    ax.scatter(X_train[:, 0], X_train[:, 1], c=y_train, cmap=_POINT_COLORS, edgecolors="k",
               linewidths=0.5, s=18)
    ax.scatter(X_test[:, 0], X_test[:, 1], c=y_test, cmap=_POINT_COLORS, edgecolors="k",
               linewidths=0.5, s=18, alpha=0.5)


def plot_classifier_comparison(comparison: Comparison, resolution=100, show=True):
    """A grid with one row per dataset: the data (training points solid, test points faded),
    then each classifier's predicted probability of class 1 with its test accuracy."""
    names = list(comparison.scores.columns)
    rows = list(comparison.splits)
    fig, axes = plt.subplots(len(rows), len(names) + 1, squeeze=False,
                             figsize=(2.4 * (len(names) + 1), 2.4 * len(rows)))
    for r, data_name in enumerate(rows):
        X_train, X_test, y_train, y_test = comparison.splits[data_name]
        xx, yy = _grid(np.vstack([X_train, X_test]), resolution)
        points = np.column_stack([xx.ravel(), yy.ravel()])
        axes[r, 0].set_ylabel(data_name)
        if r == 0:
            axes[r, 0].set_title("data")
        _scatter(axes[r, 0], X_train, X_test, y_train, y_test)
        for c, name in enumerate(names, start=1):
            ax = axes[r, c]
            with threadpool_limits(limits=1, user_api="blas"):
                values, style = _surface(comparison.fitted[data_name][name], points)
            ax.contourf(xx, yy, values.reshape(xx.shape), alpha=0.8, **style)
            _scatter(ax, X_train, X_test, y_train, y_test)
            ax.text(0.95, 0.05, f"{comparison.scores.loc[data_name, name]:.2f}",
                    transform=ax.transAxes, ha="right", va="bottom", fontsize=12,
                    bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none"})
            if r == 0:
                ax.set_title(name)
        for ax in axes[r]:
            ax.set_xlim(xx.min(), xx.max())
            ax.set_ylim(yy.min(), yy.max())
            ax.set_xticks(())
            ax.set_yticks(())
    fig.tight_layout()
    return finish_figure(fig, show)


def plot_regression_fits(x, y, predictions: dict, title=None, show=True):
    """Noisy 1-D samples ``(x, y)`` as dots and each model's predicted curve as a line."""
    x, y = np.asarray(x, dtype=float).reshape(-1), np.asarray(y, dtype=float).reshape(-1)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} values but y has {len(y)}")
    order = np.argsort(x)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter(x, y, s=8, color="grey", alpha=0.6, label="data")
    for name, predicted in predictions.items():
        predicted = np.asarray(predicted, dtype=float).reshape(-1)
        if len(predicted) != len(x):
            raise ValueError(f"{name!r} has {len(predicted)} predictions for {len(x)} points")
        ax.plot(x[order], predicted[order], linewidth=2, label=name)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    return finish_axes(fig, ax, title, show)


