"""Lesson 6, regularization: L1/L2 coefficient paths of linear models, and scikit-learn's
MLPClassifier, whose ``alpha`` is an L2 penalty on the network's weights, swept over alpha.
"""
import re
import warnings
from pathlib import Path

import imageio.v3 as iio
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from ..plots import finish_figure


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
    return finish_figure(fig, show)


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
    return finish_figure(fig, show)


# -- what the exercises may not use ----------------------------------------------------------------
# The exercises write these by hand; the self-checks and the hidden tests refuse these names.
OWN_CODE = {
    "l2_penalty": ("loss_", "log_loss"),
    "make_frame": ("plot_decision_boundary", "plot_train_test_boundaries", "DecisionBoundaryDisplay",
                   "decision_boundary_frame", "figure_to_array", "course_utils"),
    "write_gif": ("PIL", "Image", "save_gif", "frames_to_gif", "show_gif", "course_utils"),
}


# -- exercise 1: the L2 penalty ----------------------------------------------------------------------

def penalty_problem(got, alpha, coefs, intercepts, n_samples):
    """A hint when ``got`` is not the MLPClassifier penalty alpha / (2 n) * sum of squared weights
    (known slips recognized by name), else None. Takes plain values, so the self-check and the
    grader judge the same way."""
    try:
        got = float(got)
    except (TypeError, ValueError):
        return "return one finite number (a float)"
    if not np.isfinite(got):
        return "return one finite number (a float)"
    weights = sum(float(np.sum(np.asarray(W) ** 2)) for W in coefs)
    biases = sum(float(np.sum(np.asarray(b) ** 2)) for b in intercepts)
    expected = alpha / (2 * n_samples) * weights
    if np.isclose(got, expected, rtol=1e-9, atol=1e-12):
        return None
    slips = [
        (alpha / (2 * n_samples) * (weights + biases),
         "the penalty covers the weights (model.coefs_) only, not the biases (model.intercepts_)"),
        (2 * expected, "scikit-learn's penalty is alpha / (2 n) times the sum of squared weights: "
                       "the factor 1/2 is missing"),
        (n_samples * expected, "divide by the number of training samples n"),
        (alpha / (2 * n_samples) * float(np.sum(np.asarray(coefs[0]) ** 2)),
         "sum over every weight matrix in model.coefs_ (one per layer), not only the first"),
        (alpha / (2 * n_samples) * np.sqrt(weights),
         "square the weights: the penalty uses the sum of squares, not the norm"),
    ]
    for value, hint in slips:
        if alpha > 0 and np.isclose(got, value, rtol=1e-9):
            return hint
    return (f"for alpha={alpha:g} the penalty should be {expected:.6g}, got {got:.6g}: "
            "alpha / (2 * n_samples) * (sum of the squared entries of every matrix in model.coefs_)")


# -- exercise 2: one frame ----------------------------------------------------------------------------

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def shows_number(text, value, rtol=0.05):
    """Whether ``text`` contains ``value`` written as a number (to within ``rtol``)."""
    for match in _NUMBER.findall(text or ""):
        try:
            number = float(match)
        except ValueError:
            continue
        if np.isclose(number, value, rtol=rtol, atol=0):
            return True
    return False


def figure_texts(fig):
    """The title (axes title and figure suptitle), x and y label of ``fig``'s first axes."""
    ax = fig.axes[0]
    suptitle = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    return {"title": f"{ax.get_title()} {suptitle}".strip(), "xlabel": ax.get_xlabel(),
            "ylabel": ax.get_ylabel()}


def frame_problem(image, texts, figure_px, alpha, feature_names):
    """A hint when one answer of make_frame is wrong, else None.

    ``image``: the returned picture; ``texts``: :func:`figure_texts` of the returned figure;
    ``figure_px``: its size in pixels (height, width); ``alpha``: the model's penalty."""
    if not (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3
            and image.shape[-1] == 3):
        return ("make_frame must return (image, fig) with image an (H, W, 3) uint8 array: draw the "
                "figure (fig.canvas.draw()) and take np.asarray(fig.canvas.buffer_rgba())[..., :3]")
    if tuple(image.shape[:2]) != tuple(figure_px):
        return (f"the image is {image.shape[1]}x{image.shape[0]} pixels but the figure you return is "
                f"{figure_px[1]}x{figure_px[0]}: the image must be that figure, rendered")
    if feature_names[0] not in texts["xlabel"] or feature_names[1] not in texts["ylabel"]:
        return ("label the axes with the feature names: ax.set_xlabel(feature_names[0]) and "
                "ax.set_ylabel(feature_names[1])")
    if not shows_number(texts["title"], alpha):
        return (f"the title must show the model's alpha ({alpha:.3g}), e.g. "
                "ax.set_title(f\"alpha = {model.alpha:.3g}\")")
    return None


def changed_fraction(a, b):
    """Fraction of the pixels below the title (the top sixth) that differ between two frames."""
    if a.shape != b.shape:
        return 1.0
    top = a.shape[0] // 6
    return float(np.mean(np.any(a[top:] != b[top:], axis=-1)))


def region_samples(image_shape, bounds, xlim, ylim, X, n=24, margin_px=8):
    """Places in the plot area away from the drawn points, where the picture shows only the
    decision regions: (points in data coordinates (m, 2), pixel rows, pixel columns).

    ``bounds``: the axes' position (left, bottom, width, height) as fractions of the figure;
    ``xlim``, ``ylim``: its data limits; ``X``: the points the frame draws."""
    height, width = image_shape[:2]
    left, bottom, w, h = (float(b) for b in bounds)
    (x0, x1), (y0, y1) = (float(v) for v in xlim), (float(v) for v in ylim)
    fx, fy = (a.ravel() for a in np.meshgrid(np.linspace(0.06, 0.94, n), np.linspace(0.06, 0.94, n)))
    cols, rows = (left + fx * w) * width, (1 - (bottom + fy * h)) * height
    X = np.asarray(X, dtype=float)
    point_cols = (left + (X[:, 0] - x0) / (x1 - x0) * w) * width
    point_rows = (1 - (bottom + (X[:, 1] - y0) / (y1 - y0) * h)) * height
    distance = np.hypot(cols[:, None] - point_cols[None], rows[:, None] - point_rows[None]).min(axis=1)
    keep = distance > margin_px
    points = np.column_stack([x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)])[keep]
    return points, rows[keep].astype(int).clip(0, height - 1), cols[keep].astype(int).clip(0, width - 1)


def regions_problem(colors, predictions):
    """A hint when the colors of the plane do not follow the model's predictions, else None.

    ``colors``: (m, 3) pixel colors at :func:`region_samples`; ``predictions``: the model's
    class at the same places. Each class must have its own color: a pixel's color is nearest
    to the mean color of its own predicted class (for 90% of them), and the means differ."""
    colors, predictions = np.asarray(colors, dtype=float), np.asarray(predictions)
    classes = [c for c in np.unique(predictions) if np.sum(predictions == c) >= 5]
    if len(classes) < 2:
        return None  # the model predicts one class here: nothing to tell apart
    means = np.stack([colors[predictions == c].mean(axis=0) for c in classes])
    nearest = np.asarray(classes)[np.argmin(np.linalg.norm(colors[:, None] - means[None], axis=2), axis=1)]
    shown = np.isin(predictions, classes)
    agree = float(np.mean(nearest[shown] == predictions[shown]))
    separation = min(np.linalg.norm(a - b) for i, a in enumerate(means) for b in means[i + 1:])
    if separation < 10 or agree < 0.9:
        return ("the colors of the plane do not follow the model's predictions: color every grid "
                "point by the class model.predict gives there (ax.contourf over np.meshgrid)")
    return None


def check_frame(result, model, feature_names):
    """Self-check of one make_frame answer (None when it is fine)."""
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], Figure)):
        return ("make_frame must return a pair (image, fig): the picture as an array and the "
                "matplotlib Figure it was drawn from")
    image, fig = result
    if not fig.axes:
        return "the figure has no axes: draw the regions and points into ax from plt.subplots()"
    width, height = fig.canvas.get_width_height()
    return frame_problem(image, figure_texts(fig), (height, width), model.alpha, feature_names)


def check_regions(result, model, X):
    """A hint when a frame's regions are not the model's predictions, else None. The self-check
    calls it on local objects, the grader on the kernel's (the figure and the model stay there)."""
    image, fig = result
    ax = fig.axes[0]
    points, rows, cols = region_samples(image.shape, ax.get_position().bounds, ax.get_xlim(), ax.get_ylim(), X)
    return regions_problem(image[rows, cols], model.predict(points))


# -- exercise 3: the GIF --------------------------------------------------------------------------------

def gif_problem(data, frames, fps):
    """A hint when the GIF bytes ``data`` do not hold ``frames`` at ``fps`` frames a second,
    looping forever, else None."""
    try:
        written = iio.imread(data, index=None, extension=".gif")
        meta = iio.immeta(data, index=0, extension=".gif")
    except Exception as error:  # noqa: BLE001 - any unreadable file gets the same hint
        return f"the file is not a GIF imageio can read ({type(error).__name__}): write it with imageio"
    if len(written) != len(frames):
        return (f"the GIF has {len(written)} frames for {len(frames)} images: write every frame, "
                "one frame per image, in order")
    if written.shape[1:3] != np.asarray(frames[0]).shape[:2]:
        return "the GIF frames must keep the images' size"
    for index, (got, want) in enumerate(zip(written, frames)):
        if np.abs(got[..., :3].astype(int) - np.asarray(want)[..., :3].astype(int)).mean() > 8:
            return f"frame {index} of the GIF does not show image {index}: keep the frames in order"
    duration = meta.get("duration", 0)
    if abs(duration - 1000 / fps) > 10:
        return (f"each frame lasts {duration} ms, but at fps={fps} it should last {1000 / fps:.0f} "
                "ms: imageio's GIF writer takes duration in milliseconds per frame (1000 / fps)")
    if meta.get("loop") != 0:
        return "the GIF plays only once: pass loop=0 so it repeats forever"
    return None


def check_gif(path, frames, fps):
    """Self-check of a GIF file written by write_gif (None when it is fine)."""
    path = Path(path)
    if not path.is_file():
        return f"no file at {path}: write_gif must write the GIF to the path it is given"
    return gif_problem(path.read_bytes(), frames, fps)


def block_frames(n=4, shape=(24, 32), seed=0):
    """A few distinct uint8 frames (colored blocks, exact in a GIF palette) to test a GIF writer."""
    rng = np.random.default_rng(seed)
    colors = rng.integers(0, 256, (n, 2, 3), dtype=np.uint8)
    frames = []
    for first, second in colors:
        frame = np.empty((*shape, 3), np.uint8)
        frame[:, : shape[1] // 2], frame[:, shape[1] // 2:] = first, second
        frames.append(frame)
    return frames
