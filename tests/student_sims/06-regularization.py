"""Simulated students for lesson 6 (notebooks/06-regularization).

Points: ex1-l2-penalty-tests 3, ex2-make-frame-tests 3 (autograded total 6);
q1-large-alpha 2 and q2-l1-l2-names 2 are graded by hand and never counted here.
"""

# the penalty answered correctly, the frame function left unanswered.
PARTIAL = {
    "solutions": ["ex1-l2-penalty"],
    "replace": {},
    "score": 3,
}

MISTAKES = [
    {   # penalizes the biases too
        "cell": "ex1-l2-penalty",
        "source": (
            "def l2_penalty(model, n_samples):\n"
            "    squared = sum(float(np.sum(W ** 2)) for W in model.coefs_ + model.intercepts_)\n"
            "    return model.alpha / (2 * n_samples) * squared\n"
        ),
        "score": 3,
        "hint": "not the biases (model.intercepts_)",
    },
    {   # the textbook lambda * ||w||^2, without scikit-learn's 1/2
        "cell": "ex1-l2-penalty",
        "source": (
            "def l2_penalty(model, n_samples):\n"
            "    squared = sum(float(np.sum(W ** 2)) for W in model.coefs_)\n"
            "    return model.alpha / n_samples * squared\n"
        ),
        "score": 3,
        "hint": "the factor 1/2 is missing",
    },
    {   # fits with a fixed alpha: every frame shows the same boundary
        "cell": "ex2-make-frame",
        "source": (
            "def make_frame(alpha, X, y):\n"
            "    model = fit_mlp(0.0001, X, y)\n"
            "    return decision_boundary_frame(model, X, y, title=f\"alpha = {alpha:.3g}\")\n"
        ),
        "score": 3,
        "hint": "look the same: pass alpha to fit_mlp",
    },
    {   # returns a matplotlib figure instead of the image array
        "cell": "ex2-make-frame",
        "source": (
            "def make_frame(alpha, X, y):\n"
            "    import matplotlib.pyplot as plt\n"
            "    fig, ax = plt.subplots()\n"
            "    ax.set_title(f\"alpha = {alpha:.3g}\")\n"
            "    return fig\n"
        ),
        "score": 3,
        "hint": "make_frame must return an (H, W, 3) uint8 array",
    },
]
