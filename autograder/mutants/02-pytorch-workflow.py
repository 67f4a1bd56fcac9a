"""The mutants of 02-pytorch-workflow (notebooks/02-pytorch-workflow) that its hidden tests must fail.

Format: autograder/mutants/__init__.py. Each named mistake loses exactly ``lost`` points of its own
exercise, and its failing test and its self-check say ``hint`` and ``self_check``.

Every graded test uses its own data; only Exercise 8 calls other answers (the student's
train_one_epoch and evaluate_binary): when its test fails with a train_one_epoch that is not right,
its message says to fix Exercise 6 first.
"""

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
    {
        "intent": "BCELoss on logits: the loss wants probabilities (the lesson's later cells use this pair)",
        "cell": "ex4-loss-optimizer",
        "source": (
            "def make_loss_and_optimizer(model, lr=0.1):\n"
            "    return nn.BCELoss(), torch.optim.SGD(model.parameters(), lr=lr)\n"
        ),
        "lost": 1,
        "hint": "BCELoss expects probabilities",
        "self_check": "BCELoss expects probabilities",
    },
    {
        "intent": "a ReLU between the two layers: the model is no longer the linear one the lesson shows",
        "cell": "ex3-linear",
        "source": (
            "def build_linear_model(in_features, hidden_features, out_features):\n"
            "    return nn.Sequential(nn.Linear(in_features, hidden_features), nn.ReLU(),\n"
            "                         nn.Linear(hidden_features, out_features))\n"
        ),
        "lost": 2,
        "hint": "no activation (and no sigmoid) between or after the layers",
        "self_check": "no activation (and no sigmoid) between or after the layers",
    },
    {
        "intent": "averages the batch means, ignoring a smaller last batch",
        "cell": "ex5-epoch-loss",
        "source": (
            "def epoch_mean_loss(batch_losses, batch_sizes):\n"
            "    return sum(float(loss) for loss in batch_losses) / len(batch_losses)\n"
        ),
        "lost": 2,
        "hint": "weight each batch's mean loss by its size",
        "self_check": "weight each batch's mean loss by its size",
    },
    {
        "intent": "the loop forgets zero_grad: the gradients add up (shown on purpose after the OR loop)",
        # (Exercise 8 trains with it: its test then says to fix Exercise 6 first)
        "cell": "ex6-train-epoch",
        "source": _EPOCH.format(zero_grad="", step=_STEP, result=_WEIGHTED),
        "lost": 3,
        "hint": "call optimizer.zero_grad() before loss.backward()",
        "self_check": "call optimizer.zero_grad() before loss.backward()",
    },
    {
        "intent": "the loop forgets step: nothing trains",
        "cell": "ex6-train-epoch",
        "source": _EPOCH.format(zero_grad=_ZERO, step="", result=_WEIGHTED),
        "lost": 3,
        "hint": "the weights did not change",
        "self_check": "the weights did not change",
    },
    {
        "intent": 'the loop averages the batch means (the mistake of Exercise 5, inside the loop)',
        "cell": "ex6-train-epoch",
        "source": _EPOCH.format(zero_grad=_ZERO, step=_STEP, result="sum(losses) / len(losses)"),
        "lost": 3,
        "hint": "weight each batch's mean loss by its size",
        "self_check": "weight each batch's mean loss by its size",
    },
    {
        "intent": 'evaluation without model.eval(): dropout stays on',
        "cell": "ex7-evaluate",
        "source": (
            "def evaluate_binary(model, X, y, loss_fn):\n"
            "    with torch.no_grad():\n"
            "        logits = model(X)\n"
            "        loss = loss_fn(logits, y).item()\n"
            "        accuracy = ((logits > 0).float() == y).float().mean().item()\n"
            "    return loss, accuracy\n"
        ),
        "lost": 2,
        "hint": "call model.eval() first",
        "self_check": "call model.eval() first",
    },
    {
        "intent": 'the training loop delegated to the library: refused',
        "cell": "ex8-train-loop",
        "source": (
            "def train_classifier(model, train_data, test_data, loss_fn, optimizer, *, epochs, batch_size=32,\n"
            "                     seed=0):\n"
            "    history = fit(model, train_data, test_data, loss_fn=loss_fn, optimizer=optimizer,\n"
            "                  epochs=epochs, batch_size=batch_size, seed=seed, keep_best=False)\n"
            "    return {'train_loss': history.train_loss, 'val_loss': history.val_loss,\n"
            "            'val_acc': history.val_acc}\n"
        ),
        "lost": 2,
        "hint": "do not use `fit` here",
        "self_check": "do not use `fit` here",
    },
    {
        "intent": "the library MLP instead of the student's own network: refused",
        "cell": "ex9-relu-mlp",
        "source": (
            "from course_utils import MLP\n\n\n"
            "def build_relu_mlp(in_features, hidden_features, out_features):\n"
            "    return MLP(in_features, list(hidden_features), out_features)\n"
        ),
        "lost": 2,
        "hint": "do not import from course_utils",
        "self_check": "do not import from course_utils",
    },
    {
        "intent": 'torch.meshgrid without indexing="xy" transposes the grid',
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
        "lost": 2,
        "hint": "\"xy\" is the plotting convention",
        "self_check": "\"xy\" is the plotting convention",
    },
    {
        "intent": 'a softmax layer in front of CrossEntropyLoss, which applies log-softmax itself',
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
        "lost": 3,
        "hint": "CrossEntropyLoss applies log-softmax itself",
        "self_check": "CrossEntropyLoss applies log-softmax itself",
    },
]
