"""Simulated students for lesson 1 (notebooks/01-loss-functions).

Points: ex1-l1-loss-tests 2, ex2-mse-loss-tests 2, ex3-repair-nll-tests 3, ex4-one-hot-tests 2,
ex5-choose-loss-tests 3 (autograded total 12); q1-nll-relu-answer 2 and q2-scaling-answer 2 are
graded by hand and never counted here.
"""

# L1 and one-hot answered correctly, MSE summed instead of averaged, the rest unanswered: 2 + 2.
PARTIAL = {
    "solutions": ["ex1-l1-loss", "ex4-one-hot"],
    "replace": {
        "ex2-mse-loss": (
            "def mse_loss(predictions, targets):\n"
            "    if predictions.shape != targets.shape:\n"
            "        raise ValueError('shapes differ')\n"
            "    return ((predictions - targets) ** 2).sum()\n"
        ),
    },
    "score": 4,
}

MISTAKES = [
    {   # no shape check: (N, 1) against (N,) silently broadcasts to (N, N)
        "cell": "ex1-l1-loss",
        "source": (
            "def l1_loss(predictions, targets):\n"
            "    return (predictions - targets).abs().mean()\n"
        ),
        "score": 10,
        "hint": "must raise ValueError: broadcasting would silently compare every prediction",
    },
    {   # Softmax instead of LogSoftmax: probabilities, not log-probabilities
        "cell": "ex3-repair-nll",
        "source": (
            "def repair_nll_model(model):\n"
            "    layers = list(model.children())\n"
            "    if not isinstance(layers[-1], nn.Linear):\n"
            "        layers = layers[:-1]\n"
            "    return nn.Sequential(*layers, nn.Softmax(dim=1))\n"
        ),
        "score": 9,
        "hint": "the outputs are not log-probabilities",
    },
    {   # appends LogSoftmax but keeps the ReLU that clips every negative score to 0
        "cell": "ex3-repair-nll",
        "source": (
            "def repair_nll_model(model):\n"
            "    return nn.Sequential(*model.children(), nn.LogSoftmax(dim=1))\n"
        ),
        "score": 9,
        "hint": "remove the ReLU before the LogSoftmax",
    },
    {   # F.one_hot returns int64, KLDivLoss needs float targets
        "cell": "ex4-one-hot",
        "source": (
            "def one_hot(labels, n_classes):\n"
            "    return F.one_hot(torch.as_tensor(labels).long(), n_classes)\n"
        ),
        "score": 10,
        "hint": "return a float32 tensor",
    },
    {   # softmax in front of CrossEntropyLoss: the softmax is applied twice
        "cell": "ex5-choose-loss",
        "source": (
            "def choose_loss(task):\n"
            "    choices = {\n"
            "        'rent': (nn.MSELoss(), None),\n"
            "        'delivery': (nn.L1Loss(), None),\n"
            "        'spam': (nn.BCEWithLogitsLoss(), None),\n"
            "        'digits': (nn.CrossEntropyLoss(), nn.Softmax(dim=1)),\n"
            "        'distill': (nn.KLDivLoss(reduction='batchmean'), nn.LogSoftmax(dim=1)),\n"
            "        'faces': (nn.CosineEmbeddingLoss(), None),\n"
            "    }\n"
            "    if task not in choices:\n"
            "        raise ValueError(task)\n"
            "    return choices[task]\n"
        ),
        "score": 9,
        "hint": "CrossEntropyLoss applies log-softmax itself",
    },
]
