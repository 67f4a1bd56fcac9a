"""The mutants of 06-regularization (notebooks/06-regularization) that its hidden tests must fail.

Format: autograder/mutants/__init__.py. Each named mistake loses exactly ``lost`` points of its own
exercise, and its failing test and its self-check say ``hint`` and ``self_check``.
"""

# A make_frame that draws like the reference, with one piece changed (``{...}`` fields below).
_FRAME = (
    "def make_frame(model, X, y, feature_names):\n"
    "    (x_min, y_min), (x_max, y_max) = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5\n"
    "    xx, yy = np.meshgrid(np.linspace(x_min, x_max, 200), np.linspace(y_min, y_max, 200))\n"
    "    regions = model.predict(np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)\n"
    "    fig, ax = plt.subplots(figsize=(5, 4), dpi=80)\n"
    "{regions}"
    "    ax.scatter(X[:, 0], X[:, 1], c=y, edgecolors='k', s=20)\n"
    "{labels}"
    "    ax.set_title({title})\n"
    "    fig.canvas.draw()\n"
    "    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()\n"
    "    plt.close(fig)\n"
    "    return {result}\n"
)
_PARTS = {
    "regions": "    ax.contourf(xx, yy, regions, levels=[-0.5, 0.5, 1.5], alpha=0.3)\n",
    "labels": "    ax.set_xlabel(feature_names[0])\n    ax.set_ylabel(feature_names[1])\n",
    "title": "f'alpha = {model.alpha:.3g}'",
    "result": "image, fig",
}


def _frame(**changes):
    return _FRAME.format(**{**_PARTS, **changes})


def _gif(call):
    return f"def write_gif(frames, path, fps):\n    {call}\n"

MISTAKES = [
    {
        "intent": 'penalizes the biases too',
        "cell": "ex1-l2-penalty",
        "source": (
            "def l2_penalty(model, n_samples):\n"
            "    squared = sum(float(np.sum(W ** 2)) for W in model.coefs_ + model.intercepts_)\n"
            "    return model.alpha / (2 * n_samples) * squared\n"
        ),
        "lost": 3,
        "hint": "not the biases (model.intercepts_)",
        "self_check": "not the biases (model.intercepts_)",
    },
    {
        "intent": "the textbook lambda * ||w||^2, without scikit-learn's 1/2",
        "cell": "ex1-l2-penalty",
        "source": (
            "def l2_penalty(model, n_samples):\n"
            "    squared = sum(float(np.sum(W ** 2)) for W in model.coefs_)\n"
            "    return model.alpha / n_samples * squared\n"
        ),
        "lost": 3,
        "hint": "the factor 1/2 is missing",
        "self_check": "the factor 1/2 is missing",
    },
    {
        "intent": 'a title without the alpha: the frames of the GIF cannot be told apart',
        "cell": "ex2-make-frame",
        "source": _frame(title="'decision regions'"),
        "lost": 3,
        "hint": "the title must show the model's alpha",
        "self_check": "the title must show the model's alpha",
    },
    {
        "intent": 'no axis labels',
        "cell": "ex2-make-frame",
        "source": _frame(labels=""),
        "lost": 3,
        "hint": "label the axes with the feature names",
        "self_check": "label the axes with the feature names",
    },
    {
        "intent": 'the points only, no decision regions: every frame looks the same',
        "cell": "ex2-make-frame",
        "source": _frame(regions=""),
        "lost": 3,
        "hint": "the colors of the plane do not follow the model's predictions",
        "self_check": "the colors of the plane do not follow the model's predictions",
    },
    {
        "intent": "a background that changes with alpha, not with the model's predictions",
        "cell": "ex2-make-frame",
        "source": _frame(regions=("    ax.set_facecolor(plt.cm.viridis(min(1.0, max(0.0, "
                                  "np.log10(model.alpha) / 8 + 0.5))))\n")),
        "lost": 3,
        "hint": "the colors of the plane do not follow the model's predictions",
        "self_check": "the colors of the plane do not follow the model's predictions",
    },
    {
        "intent": 'returns the image without the figure',
        "cell": "ex2-make-frame",
        "source": _frame(result="image"),
        "lost": 3,
        "hint": "make_frame must return a pair (image, fig)",
        "self_check": "make_frame must return a pair (image, fig)",
    },
    {
        "intent": "delegates to the course's plotting helper",
        "cell": "ex2-make-frame",
        "source": (
            "def make_frame(model, X, y, feature_names):\n"
            "    from course_utils.plots import plot_decision_boundary\n"
            "    fig = plot_decision_boundary(model, X, y, title=f'alpha = {model.alpha:.3g}', show=False)\n"
            "    fig.axes[0].set_xlabel(feature_names[0])\n"
            "    fig.axes[0].set_ylabel(feature_names[1])\n"
            "    fig.canvas.draw()\n"
            "    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()\n"
            "    plt.close(fig)\n"
            "    return image, fig\n"
        ),
        "lost": 3,
        "hint": "do not import from course_utils in this answer",
        "self_check": "do not import from course_utils in this answer",
    },
    {
        "intent": 'the slip the lesson shows: duration in seconds',
        "cell": "ex3-write-gif",
        "source": _gif("iio.imwrite(path, list(frames), extension='.gif', duration=1 / fps, loop=0)"),
        "lost": 2,
        "hint": "takes duration in milliseconds",
        "self_check": "takes duration in milliseconds",
    },
    {
        "intent": 'no loop: the GIF plays once',
        "cell": "ex3-write-gif",
        "source": _gif("iio.imwrite(path, list(frames), extension='.gif', duration=1000 / fps)"),
        "lost": 2,
        "hint": "pass loop=0 so it repeats forever",
        "self_check": "pass loop=0 so it repeats forever",
    },
    {
        "intent": 'Pillow instead of imageio',
        "cell": "ex3-write-gif",
        "source": (
            "def write_gif(frames, path, fps):\n"
            "    from PIL import Image\n"
            "    images = [Image.fromarray(frame) for frame in frames]\n"
            "    images[0].save(path, save_all=True, append_images=images[1:],\n"
            "                   duration=round(1000 / fps), loop=0)\n"
        ),
        "lost": 2,
        "hint": "do not use `Image` here",
        "self_check": "do not use `Image` here",
    },
    {
        "intent": "a library neighbour of the squared norm: np.linalg.norm",
        "cell": "ex1-l2-penalty",
        "source": (
            "def l2_penalty(model, n_samples):\n"
            "    squared = sum(float(np.linalg.norm(W)) ** 2 for W in model.coefs_)\n"
            "    return model.alpha / (2 * n_samples) * squared\n"
        ),
        "lost": 3,
        "hint": None,
        "self_check": "",
    },
]
