"""Simulated students for lesson 2, the PyTorch workflow (notebooks/02-pytorch-workflow).

Points: ex1-describe-tests 1, ex2-split-tests 2, ex3-linear-tests 2, ex4-loss-optimizer-tests 1,
ex5-epoch-loss-tests 2, ex6-train-epoch-tests 3, ex7-evaluate-tests 2, ex8-train-loop-tests 2,
ex9-relu-mlp-tests 2, ex10-grid-tests 2, ex11-multiclass-tests 3 (autograded total 22);
q1-linear-answer 2 (graded by hand, never counted here). Every graded test uses its own data;
only Exercise 8 calls other answers (the student's train_one_epoch and evaluate_binary), so a
mistake in Exercise 6 can cost Exercise 8's points too (said per mistake below).
"""

# The model-building exercises and the grid answered; the split, the epoch loss, the loop and the
# multi-class workflow left open (the lesson runs on with [TODO] lines): 1 + 2 + 1 + 2 + 2.
PARTIAL = {
    "solutions": ["ex1-describe", "ex3-linear", "ex4-loss-optimizer", "ex9-relu-mlp", "ex10-grid"],
    "replace": {},
    "score": 8,
}

_EPOCH = (
    "def train_one_epoch(model, X, y, loss_fn, optimizer, batch_size=32):\n"
    "    model.train()\n"
    "    losses, sizes = [], []\n"
    "    for start in range(0, len(X), batch_size):\n"
    "        X_batch, y_batch = X[start:start + batch_size], y[start:start + batch_size]\n"
    "        loss = loss_fn(model(X_batch), y_batch)\n"
    "{zero_grad}"
    "        loss.backward()\n"
    "{step}"
    "        losses.append(loss.item())\n"
    "        sizes.append(len(X_batch))\n"
    "    return {result}\n"
)
_WEIGHTED = "sum(l * s for l, s in zip(losses, sizes)) / sum(sizes)"
_ZERO = "        optimizer.zero_grad()\n"
_STEP = "        optimizer.step()\n"

MISTAKES = [
    {   # seed defect 9's cousin: averages the batch means, ignoring a smaller last batch
        "cell": "ex5-epoch-loss",
        "source": (
            "def epoch_mean_loss(batch_losses, batch_sizes):\n"
            "    return sum(float(loss) for loss in batch_losses) / len(batch_losses)\n"
        ),
        "score": 20,
        "hint": "weight each batch's mean loss by its size",
        "self_check": "weight each batch's mean loss by its size",
    },
    {   # the loop forgets zero_grad: the gradients add up (shown on purpose after the OR loop);
        # Exercise 8 trains with it and misses its accuracy bar too
        "cell": "ex6-train-epoch",
        "source": _EPOCH.format(zero_grad="", step=_STEP, result=_WEIGHTED),
        "score": 17,
        "hint": "call optimizer.zero_grad() before loss.backward()",
        "self_check": "call optimizer.zero_grad() before loss.backward()",
        # known, to be fixed (issue 21): exercise 8's test trains with the student's own epoch
        "self_check_disagrees": {"ex8-train-loop-tests": "this exercise-6 mistake costs exercise 8 too"},
    },
    {   # the loop forgets step: nothing trains, so Exercise 8 (falling loss) fails as well
        "cell": "ex6-train-epoch",
        "source": _EPOCH.format(zero_grad=_ZERO, step="", result=_WEIGHTED),
        "score": 17,
        "hint": "the weights did not change",
        "self_check": "the weights did not change",
    },
    {   # the loop averages the batch means (the mistake of Exercise 5, inside the loop)
        "cell": "ex6-train-epoch",
        "source": _EPOCH.format(zero_grad=_ZERO, step=_STEP, result="sum(losses) / len(losses)"),
        "score": 19,
        "hint": "weight each batch's mean loss by its size",
        "self_check": "weight each batch's mean loss by its size",
    },
    {   # evaluation without model.eval(): dropout stays on
        "cell": "ex7-evaluate",
        "source": (
            "def evaluate_binary(model, X, y, loss_fn):\n"
            "    with torch.no_grad():\n"
            "        logits = model(X)\n"
            "        loss = loss_fn(logits, y).item()\n"
            "        accuracy = ((logits > 0).float() == y).float().mean().item()\n"
            "    return loss, accuracy\n"
        ),
        "score": 20,
        "hint": "call model.eval() first",
        "self_check": "call model.eval() first",
    },
    {   # the training loop delegated to the library: refused
        "cell": "ex8-train-loop",
        "source": (
            "def train_classifier(model, train_data, test_data, loss_fn, optimizer, *, epochs, batch_size=32,\n"
            "                     seed=0):\n"
            "    history = fit(model, train_data, test_data, loss_fn=loss_fn, optimizer=optimizer,\n"
            "                  epochs=epochs, batch_size=batch_size, seed=seed, keep_best=False)\n"
            "    return {'train_loss': history.train_loss, 'val_loss': history.val_loss,\n"
            "            'val_acc': history.val_acc}\n"
        ),
        "score": 20,
        "hint": "do not use `fit` here",
        "self_check": "do not use `fit` here",
    },
    {   # the library MLP instead of the student's own network: refused
        "cell": "ex9-relu-mlp",
        "source": (
            "from course_utils import MLP\n\n\n"
            "def build_relu_mlp(in_features, hidden_features, out_features):\n"
            "    return MLP(in_features, list(hidden_features), out_features)\n"
        ),
        "score": 20,
        "hint": "do not import from course_utils",
        "self_check": "do not import from course_utils",
    },
    {   # seed defect 12: torch.meshgrid without indexing="xy" transposes the grid
        "cell": "ex10-grid",
        "source": (
            "def make_grid(X, resolution=100, margin=0.5):\n"
            "    X = torch.as_tensor(X, dtype=torch.float32)\n"
            "    low, high = X.min(dim=0).values - margin, X.max(dim=0).values + margin\n"
            "    xs = torch.linspace(float(low[0]), float(high[0]), resolution)\n"
            "    ys = torch.linspace(float(low[1]), float(high[1]), resolution)\n"
            "    xx, yy = torch.meshgrid(xs, ys)\n"
            "    return xx, yy, torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)\n"
        ),
        "score": 20,
        "hint": 'indexing="xy"',
        "self_check": 'indexing="xy"',
    },
    {   # a softmax layer in front of CrossEntropyLoss, which applies log-softmax itself
        "cell": "ex11-multiclass",
        "source": (
            "def train_multiclass_classifier(X_train, y_train, X_test, y_test, *, n_classes, epochs,\n"
            "                                device=None):\n"
            "    model = nn.Sequential(nn.Linear(X_train.shape[1], n_classes), nn.Softmax(dim=1))\n"
            "    history = fit(model, (X_train, y_train), (X_test, y_test), loss_fn=nn.CrossEntropyLoss(),\n"
            "                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=epochs,\n"
            "                  batch_size=32, device=device, keep_best=False)\n"
            "    return model, history\n"
        ),
        "score": 19,
        "hint": "CrossEntropyLoss applies log-softmax itself",
        "self_check": "CrossEntropyLoss applies log-softmax itself",
    },
]
