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

_DROPOUT = (
    "class InvertedDropout(nn.Module):\n"
    "    def __init__(self, p=0.5):\n"
    "        super().__init__()\n"
    "        self.p = p\n"
    "\n"
    "    def forward(self, x):\n"
    "{guard}"
    "        keep = (torch.rand_like(x) >= self.p).float()\n"
    "        return {result}\n"
)
_GUARD = "        if not self.training or self.p == 0:\n            return x\n"
_KEEP_BEST = (
    "def train_keep_best(model, train_data, val_data, *, epochs, lr, weight_decay=0.0, keep_best=True):\n"
    "    import copy\n"
    "    (X, y), (X_val, y_val) = train_data, val_data\n"
    "    optimizer = torch.optim.Adam(model.parameters(), lr=lr)\n"
    "    losses, best_state = [], None\n"
    "    for _ in range(epochs):\n"
    "        model.train()\n"
    "        optimizer.zero_grad()\n"
    "        loss = F.cross_entropy(model(X), y){term}\n"
    "        loss.backward()\n"
    "        optimizer.step()\n"
    "{evaluate}"
    "        if losses[-1] == min(losses):\n"
    "            best_state = {copy}\n"
    "    if keep_best:\n"
    "        model.load_state_dict(best_state)\n"
    "    return losses.index(min(losses)) + {first}, losses\n"
)
_EVAL = ("        model.eval()\n"
         "        with torch.no_grad():\n"
         "            losses.append(F.cross_entropy(model(X_val), y_val).item())\n")
_RIGHT = {"term": " + weight_decay_term(model, weight_decay)", "evaluate": _EVAL,
          "copy": "copy.deepcopy(model.state_dict())", "first": "1"}


MISTAKES = [
    {
        "intent": "dropout without the scaling: the outputs shrink in training and not in evaluation",
        "cell": "ex4-dropout",
        "source": _DROPOUT.format(guard=_GUARD, result="x * keep"),
        "lost": 3,
        "hint": "must be scaled up so that each output's expected value equals its input",
        "self_check": "must be scaled up so that each output's expected value equals its input",
    },
    {
        "intent": "dropout also in evaluation mode",
        "cell": "ex4-dropout",
        "source": _DROPOUT.format(guard="", result="x * keep / (1 - self.p)"),
        "lost": 3,
        "hint": "in evaluation mode (self.training is False) dropout must return its input unchanged",
        "self_check": "in evaluation mode (self.training is False) dropout must return its input unchanged",
    },
    {
        "intent": "p read as the probability to keep a value",
        "cell": "ex4-dropout",
        "source": _DROPOUT.format(guard=_GUARD, result="x * (1 - keep) / self.p"),
        "lost": 3,
        "hint": "of the values should be 0",
        "self_check": "of the values should be 0",
    },
    {
        "intent": "the library's dropout instead of the student's own: refused",
        "cell": "ex4-dropout",
        "source": _DROPOUT.format(guard=_GUARD, result="F.dropout(x, self.p, self.training)"),
        "lost": 3,
        "hint": "dropout",
        "self_check": "dropout",
    },
    {
        "intent": "weight decay on the biases too",
        "cell": "ex5-weight-decay",
        "source": ("def weight_decay_term(model, weight_decay):\n"
                   "    return weight_decay / 2 * sum((p ** 2).sum() for p in model.parameters())\n"),
        "lost": 3,
        "hint": "penalize the weight matrices only",
        "self_check": "penalize the weight matrices only",
    },
    {
        "intent": "weight decay without the 1/2",
        "cell": "ex5-weight-decay",
        "source": ("def weight_decay_term(model, weight_decay):\n"
                   "    return weight_decay * sum((p ** 2).sum() for p in model.parameters() if p.dim() > 1)\n"),
        "lost": 3,
        "hint": "twice too large",
        "self_check": "twice too large",
    },
    {
        "intent": "the term turned into a Python number: it no longer has a gradient",
        "cell": "ex5-weight-decay",
        "source": ("def weight_decay_term(model, weight_decay):\n"
                   "    total = sum(float((p ** 2).sum()) for p in model.parameters() if p.dim() > 1)\n"
                   "    return torch.tensor(weight_decay / 2 * total)\n"),
        "lost": 3,
        "hint": "the term has no gradient",
        "self_check": "the term has no gradient",
    },
    {
        "intent": "the best epoch kept as the state_dict itself, not a copy: the last weights remain",
        "cell": "ex6-keep-best",
        "source": _KEEP_BEST.format(**{**_RIGHT, "copy": "model.state_dict()"}),
        "lost": 4,
        "hint": "keep a copy of the state_dict",
        "self_check": "keep a copy of the state_dict",
    },
    {
        "intent": "the weight-decay term left out of the training loss",
        "cell": "ex6-keep-best",
        "source": _KEEP_BEST.format(**{**_RIGHT, "term": ""}),
        "lost": 4,
        "hint": "the weight-decay term added to the training loss",
        "self_check": "the weight-decay term added to the training loss",
    },
    {
        "intent": "the best epoch counted from 0",
        "cell": "ex6-keep-best",
        "source": _KEEP_BEST.format(**{**_RIGHT, "first": "0"}),
        "lost": 4,
        "hint": "best_epoch must count epochs from 1",
        "self_check": "best_epoch must count epochs from 1",
    },
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
        "lost": 2,
        "hint": "the title must show the model's alpha",
        "self_check": "the title must show the model's alpha",
    },
    {
        "intent": 'no axis labels',
        "cell": "ex2-make-frame",
        "source": _frame(labels=""),
        "lost": 2,
        "hint": "label the axes with the feature names",
        "self_check": "label the axes with the feature names",
    },
    {
        "intent": 'the points only, no decision regions: every frame looks the same',
        "cell": "ex2-make-frame",
        "source": _frame(regions=""),
        "lost": 2,
        "hint": "the colors of the plane do not follow the model's predictions",
        "self_check": "the colors of the plane do not follow the model's predictions",
    },
    {
        "intent": "a background that changes with alpha, not with the model's predictions",
        "cell": "ex2-make-frame",
        "source": _frame(regions=("    ax.set_facecolor(plt.cm.viridis(min(1.0, max(0.0, "
                                  "np.log10(model.alpha) / 8 + 0.5))))\n")),
        "lost": 2,
        "hint": "the colors of the plane do not follow the model's predictions",
        "self_check": "the colors of the plane do not follow the model's predictions",
    },
    {
        "intent": 'returns the image without the figure',
        "cell": "ex2-make-frame",
        "source": _frame(result="image"),
        "lost": 2,
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
        "lost": 2,
        "hint": "do not import from course_utils in this answer",
        "self_check": "do not import from course_utils in this answer",
    },
    {
        "intent": 'the slip the lesson shows: duration in seconds',
        "cell": "ex3-write-gif",
        "source": _gif("iio.imwrite(path, list(frames), extension='.gif', duration=1 / fps, loop=0)"),
        "lost": 1,
        "hint": "takes duration in milliseconds",
        "self_check": "takes duration in milliseconds",
    },
    {
        "intent": 'no loop: the GIF plays once',
        "cell": "ex3-write-gif",
        "source": _gif("iio.imwrite(path, list(frames), extension='.gif', duration=1000 / fps)"),
        "lost": 1,
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
        "lost": 1,
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


EQUIVALENT = {
    ("ex6-keep-best", "no-no-grad"): "torch.no_grad() only saves memory: the validation losses are the same numbers",
}
