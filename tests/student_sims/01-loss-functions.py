"""Simulated students for lesson 1 (notebooks/01-loss-functions).

Points: ex1-l1-loss-tests 2, ex2-mse-loss-tests 2, ex3-repair-nll-tests 3, ex4-one-hot-tests 2,
ex5-choose-loss-tests 3 (autograded total 12); q1-nll-relu-answer 2 and q2-scaling-answer 2 are
graded by hand and never counted here.

Every mistake the lesson shows on purpose has a student here: the shape broadcast of (N, 1)
against (N,), NLLLoss after a ReLU (a repair that keeps the ReLU output, a choice of NLLLoss
after ReLU), KLDivLoss without log-probabilities, a softmax in front of CrossEntropyLoss,
integer one-hot targets, and MSE for every task; and delegating a "by hand" exercise to the
library version it asks to write.
"""


def _choices(**changes):
    pairs = {
        "rent": "(nn.MSELoss(), None)", "delivery": "(nn.L1Loss(), None)",
        "spam": "(nn.BCEWithLogitsLoss(), None)", "digits": "(nn.CrossEntropyLoss(), None)",
        "distill": "(nn.KLDivLoss(reduction='batchmean'), nn.LogSoftmax(dim=1))",
        "faces": "(nn.CosineEmbeddingLoss(), None)", **changes}
    rows = "".join(f"        {task!r}: {pair},\n" for task, pair in pairs.items())
    return ("def choose_loss(task):\n    choices = {\n" + rows + "    }\n"
            "    if task not in choices:\n        raise ValueError(task)\n"
            "    return choices[task]\n")


_SHAPE_CHECK = ("    if predictions.shape != targets.shape:\n"
                "        raise ValueError('shapes differ')\n")

# L1 and one-hot answered correctly, MSE summed instead of averaged, the rest unanswered: 2 + 2.
PARTIAL = {
    "solutions": ["ex1-l1-loss", "ex4-one-hot"],
    "replace": {
        "ex2-mse-loss": ("def mse_loss(predictions, targets):\n" + _SHAPE_CHECK
                         + "    return ((predictions - targets) ** 2).sum()\n"),
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
        "self_check": "must raise ValueError: broadcasting would silently compare every prediction",
    },
    {   # delegates the exercise to PyTorch's own L1 loss
        "cell": "ex1-l1-loss",
        "source": ("def l1_loss(predictions, targets):\n" + _SHAPE_CHECK
                   + "    return F.l1_loss(predictions, targets)\n"),
        "score": 10,
        "hint": "do not use `l1_loss` here",
        "self_check": "do not use `l1_loss` here",
    },
    {   # delegates the exercise to PyTorch's own MSE
        "cell": "ex2-mse-loss",
        "source": ("def mse_loss(predictions, targets):\n" + _SHAPE_CHECK
                   + "    return nn.MSELoss()(predictions, targets)\n"),
        "score": 10,
        "hint": "do not use `MSELoss` here",
        "self_check": "do not use `MSELoss` here",
    },
    {   # NLL after ReLU: the model is handed back with its ReLU output
        "cell": "ex3-repair-nll",
        "source": (
            "def repair_nll_model(model):\n"
            "    return nn.Sequential(*model.children())\n"
        ),
        "score": 9,
        "hint": "the outputs are not log-probabilities",
        "self_check": "the outputs are not log-probabilities",
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
        "self_check": "the outputs are not log-probabilities",
    },
    {   # appends LogSoftmax but keeps the ReLU that clips every negative score to 0
        "cell": "ex3-repair-nll",
        "source": (
            "def repair_nll_model(model):\n"
            "    return nn.Sequential(*model.children(), nn.LogSoftmax(dim=1))\n"
        ),
        "score": 9,
        "hint": "before the LogSoftmax",  # the Softmax or the ReLU the model ended in
        "self_check": "remove the ReLU before the LogSoftmax",
    },
    {   # integer one-hot rows: KLDivLoss needs float target probabilities
        "cell": "ex4-one-hot",
        "source": (
            "def one_hot(labels, n_classes):\n"
            "    labels = torch.as_tensor(labels).long()\n"
            "    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):\n"
            "        raise ValueError('label out of range')\n"
            "    encoded = torch.zeros(len(labels), n_classes, dtype=torch.long)\n"
            "    encoded[torch.arange(len(labels)), labels] = 1\n"
            "    return encoded\n"
        ),
        "score": 10,
        "hint": "return a float32 tensor",
        "self_check": "return a float32 tensor",
    },
    {   # delegates the exercise to F.one_hot
        "cell": "ex4-one-hot",
        "source": (
            "def one_hot(labels, n_classes):\n"
            "    labels = torch.as_tensor(labels).long()\n"
            "    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):\n"
            "        raise ValueError('label out of range')\n"
            "    return F.one_hot(labels, n_classes).float()\n"
        ),
        "score": 10,
        "hint": "do not use `one_hot` here",
        "self_check": "do not use `one_hot` here",
    },
    {   # softmax in front of CrossEntropyLoss: the softmax is applied twice
        "cell": "ex5-choose-loss",
        "source": _choices(digits="(nn.CrossEntropyLoss(), nn.Softmax(dim=1))"),
        "score": 9,
        "hint": "CrossEntropyLoss applies log-softmax itself",
        "self_check": "CrossEntropyLoss applies log-softmax itself",
    },
    {   # NLL after ReLU, chosen for the digits
        "cell": "ex5-choose-loss",
        "source": _choices(digits="(nn.NLLLoss(), nn.ReLU())"),
        "score": 9,
        "hint": "NLLLoss expects log-probabilities, but ReLU does not produce them",
        "self_check": "NLLLoss expects log-probabilities, but ReLU does not produce them",
    },
    {   # KLDivLoss without log-probabilities: a Softmax output
        "cell": "ex5-choose-loss",
        "source": _choices(distill="(nn.KLDivLoss(reduction='batchmean'), nn.Softmax(dim=1))"),
        "score": 9,
        "hint": "KLDivLoss expects log-probabilities, but Softmax does not produce them",
        "self_check": "KLDivLoss expects log-probabilities, but Softmax does not produce them",
    },
    {   # MSE for every task: it pairs with raw outputs, but suits only the rent
        "cell": "ex5-choose-loss",
        "source": _choices(**{task: "(nn.MSELoss(), None)" for task in
                              ("delivery", "spam", "digits", "distill", "faces")}),
        "score": 9,
        "hint": "delivery: a few wildly wrong records must not dominate",
        "self_check": "delivery: a few wildly wrong records must not dominate",
    },
    {   # a library neighbour of L1: smooth L1 with beta=0 is L1 (allow-list, issue 21)
        "cell": "ex1-l1-loss",
        "source": ("def l1_loss(predictions, targets):\n" + _SHAPE_CHECK
                   + "    return F.smooth_l1_loss(predictions, targets, beta=0)\n"),
        "score": 10,
        "hint": "`smooth_l1_loss` is not one of the operations this exercise allows",
        "self_check": "`smooth_l1_loss` is not one of the operations this exercise allows",
    },
    {   # a right answer whose cell also hooks into the kernel: the cell does not run (issue 21)
        "cell": "ex5-choose-loss",
        "source": "get_ipython().events.register('pre_run_cell', lambda *args: None)\n" + _choices(),
        "score": 9,
        "hint": "`get_ipython` reaches names through strings or the interpreter",
        "self_check": "`get_ipython` reaches names through strings or the interpreter",
    },
]
