"""Simulated students for lesson 2, the PyTorch workflow (notebooks/02-pytorch-workflow).

Points: ex1-describe-tests 1, ex2-split-tests 2, ex3-linear-tests 2, ex4-loss-optimizer-tests 1,
ex5-epoch-loss-tests 2, ex6-relu-mlp-tests 2, ex7-train-binary-tests 2, ex8-grid-tests 2,
ex9-multiclass-tests 3 (autograded total 17); q1-linear-answer 2 (graded by hand, never counted
here). Every graded test uses its own data, so an unanswered exercise costs only its own points.
"""

# The model-building exercises and the grid answered; the split, the epoch loss and the two
# training functions left open (the lesson runs on with stand-ins): 1 + 2 + 1 + 2 + 2.
PARTIAL = {
    "solutions": ["ex1-describe", "ex3-linear", "ex4-loss-optimizer", "ex6-relu-mlp", "ex8-grid"],
    "replace": {},
    "score": 8,
}

MISTAKES = [
    {   # seed defect 9's cousin: averages the batch means, ignoring a smaller last batch
        "cell": "ex5-epoch-loss",
        "source": (
            "def epoch_mean_loss(batch_losses, batch_sizes):\n"
            "    return sum(float(loss) for loss in batch_losses) / len(batch_losses)\n"
        ),
        "score": 15,
        "hint": "weight each batch's mean loss by its size",
    },
    {   # seed defect 12: torch.meshgrid without indexing="xy" transposes the grid
        "cell": "ex8-grid",
        "source": (
            "def make_grid(X, resolution=100, margin=0.5):\n"
            "    X = torch.as_tensor(X, dtype=torch.float32)\n"
            "    low, high = X.min(dim=0).values - margin, X.max(dim=0).values + margin\n"
            "    xs = torch.linspace(float(low[0]), float(high[0]), resolution)\n"
            "    ys = torch.linspace(float(low[1]), float(high[1]), resolution)\n"
            "    xx, yy = torch.meshgrid(xs, ys)\n"
            "    return xx, yy, torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)\n"
        ),
        "score": 15,
        "hint": 'indexing="xy"',
    },
    {   # a softmax layer in front of CrossEntropyLoss, which applies log-softmax itself
        "cell": "ex9-multiclass",
        "source": (
            "def train_multiclass_classifier(X_train, y_train, X_test, y_test, *, n_classes, epochs,\n"
            "                                device=None):\n"
            "    model = nn.Sequential(nn.Linear(X_train.shape[1], n_classes), nn.Softmax(dim=1))\n"
            "    history = fit(model, (X_train, y_train), (X_test, y_test), loss_fn=nn.CrossEntropyLoss(),\n"
            "                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=epochs,\n"
            "                  batch_size=32, device=device, keep_best=False)\n"
            "    return model, history\n"
        ),
        "score": 14,
        "hint": "CrossEntropyLoss applies log-softmax itself",
    },
]
