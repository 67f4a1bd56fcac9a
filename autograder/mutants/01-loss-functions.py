"""The mutants of 01-loss-functions (notebooks/01-loss-functions) that its hidden tests must fail.

Format: autograder/mutants/__init__.py. Each named mistake loses exactly ``lost`` points of its own
exercise, and its failing test and its self-check say ``hint`` and ``self_check``.

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


_CE = ("def cross_entropy_from_logits(logits, targets):\n"
       "{check}"
       "    largest = logits.max(dim=1, keepdim=True).values\n"
       "    log_sum_exp = {lse}\n"
       "    picked = logits[torch.arange(len(logits)), targets]\n"
       "    return {result}\n")
_CE_CHECK = ("    if len(targets) != len(logits):\n"
             "        raise ValueError('one target per row of logits')\n")
_LSE = "largest.squeeze(1) + (logits - largest).exp().sum(dim=1).log()"


MISTAKES = [
    {
        "intent": "cross-entropy written literally: exp overflows for large logits",
        "cell": "ex4-cross-entropy",
        "source": _CE.format(check=_CE_CHECK, lse="logits.exp().sum(dim=1).log()",
                             result="(log_sum_exp - picked).mean()"),
        "lost": 3,
        "hint": "the loss is not finite for large logits",
        "self_check": "the loss is not finite for large logits",
    },
    {
        "intent": "the log-sum-exp trick without adding the maximum back",
        "cell": "ex4-cross-entropy",
        "source": _CE.format(check=_CE_CHECK, lse="(logits - largest).exp().sum(dim=1).log()",
                             result="(log_sum_exp - picked).mean()"),
        "lost": 3,
        "hint": "where PyTorch gives",
        "self_check": "where PyTorch gives",
    },
    {
        "intent": "cross-entropy summed over the samples instead of averaged",
        "cell": "ex4-cross-entropy",
        "source": _CE.format(check=_CE_CHECK, lse=_LSE, result="(log_sum_exp - picked).sum()"),
        "lost": 3,
        "hint": "where PyTorch gives",
        "self_check": "where PyTorch gives",
    },
    {
        "intent": "the target's logit picked with logits[:, targets]: an (N, N) table, averaged",
        "cell": "ex4-cross-entropy",
        "source": _CE.format(check=_CE_CHECK, lse=_LSE,
                             result="(log_sum_exp - logits[:, targets]).mean()"),
        "lost": 3,
        "hint": "where PyTorch gives",
        "self_check": "where PyTorch gives",
    },
    {
        "intent": "no check of the number of targets",
        "cell": "ex4-cross-entropy",
        "source": _CE.format(check="", lse=_LSE, result="(log_sum_exp - picked).mean()"),
        "lost": 3,
        "hint": "must raise ValueError when the number of targets differs",
        "self_check": "must raise ValueError when the number of targets differs",
    },
    {
        "intent": "the loss returned as a Python float: nothing to backpropagate",
        "cell": "ex4-cross-entropy",
        "source": _CE.format(check=_CE_CHECK, lse=_LSE, result="(log_sum_exp - picked).mean().item()"),
        "lost": 3,
        "hint": "must return a torch tensor",
        "self_check": "must return a torch tensor",
    },
    {
        "intent": "delegates the exercise to PyTorch's own cross-entropy",
        "cell": "ex4-cross-entropy",
        "source": ("def cross_entropy_from_logits(logits, targets):\n" + _CE_CHECK
                   + "    return F.cross_entropy(logits, targets)\n"),
        "lost": 3,
        "hint": "cross_entropy",
        "self_check": "cross_entropy",
    },
    {
        "intent": 'no shape check: (N, 1) against (N,) silently broadcasts to (N, N)',
        "cell": "ex1-l1-loss",
        "source": (
            "def l1_loss(predictions, targets):\n"
            "    return (predictions - targets).abs().mean()\n"
        ),
        "lost": 2,
        "hint": "must raise ValueError: broadcasting would silently compare every prediction",
        "self_check": "must raise ValueError: broadcasting would silently compare every prediction",
    },
    {
        "intent": "delegates the exercise to PyTorch's own L1 loss",
        "cell": "ex1-l1-loss",
        "source": ("def l1_loss(predictions, targets):\n" + _SHAPE_CHECK
                   + "    return F.l1_loss(predictions, targets)\n"),
        "lost": 2,
        "hint": "do not use `l1_loss` here",
        "self_check": "do not use `l1_loss` here",
    },
    {
        "intent": "delegates the exercise to PyTorch's own MSE",
        "cell": "ex2-mse-loss",
        "source": ("def mse_loss(predictions, targets):\n" + _SHAPE_CHECK
                   + "    return nn.MSELoss()(predictions, targets)\n"),
        "lost": 2,
        "hint": "do not use `MSELoss` here",
        "self_check": "do not use `MSELoss` here",
    },
    {
        "intent": 'NLL after ReLU: the model is handed back with its ReLU output',
        "cell": "ex3-repair-nll",
        "source": (
            "def repair_nll_model(model):\n"
            "    return nn.Sequential(*model.children())\n"
        ),
        "lost": 3,
        "hint": "the outputs are not log-probabilities",
        "self_check": "the outputs are not log-probabilities",
    },
    {
        "intent": 'Softmax instead of LogSoftmax: probabilities, not log-probabilities',
        "cell": "ex3-repair-nll",
        "source": (
            "def repair_nll_model(model):\n"
            "    layers = list(model.children())\n"
            "    if not isinstance(layers[-1], nn.Linear):\n"
            "        layers = layers[:-1]\n"
            "    return nn.Sequential(*layers, nn.Softmax(dim=1))\n"
        ),
        "lost": 3,
        "hint": "the outputs are not log-probabilities",
        "self_check": "the outputs are not log-probabilities",
    },
    {
        "intent": 'appends LogSoftmax but keeps the ReLU that clips every negative score to 0',
        "cell": "ex3-repair-nll",
        "source": (
            "def repair_nll_model(model):\n"
            "    return nn.Sequential(*model.children(), nn.LogSoftmax(dim=1))\n"
        ),
        "lost": 3,
        "hint": "before the LogSoftmax",  # the Softmax or the ReLU the model ended in
        "self_check": "remove the ReLU before the LogSoftmax",
    },
    {
        "intent": 'integer one-hot rows: KLDivLoss needs float target probabilities',
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
        "lost": 2,
        "hint": "return a float32 tensor",
        "self_check": "return a float32 tensor",
    },
    {
        "intent": 'delegates the exercise to F.one_hot',
        "cell": "ex4-one-hot",
        "source": (
            "def one_hot(labels, n_classes):\n"
            "    labels = torch.as_tensor(labels).long()\n"
            "    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):\n"
            "        raise ValueError('label out of range')\n"
            "    return F.one_hot(labels, n_classes).float()\n"
        ),
        "lost": 2,
        "hint": "do not use `one_hot` here",
        "self_check": "do not use `one_hot` here",
    },
    {
        "intent": 'softmax in front of CrossEntropyLoss: the softmax is applied twice',
        "cell": "ex5-choose-loss",
        "source": _choices(digits="(nn.CrossEntropyLoss(), nn.Softmax(dim=1))"),
        "lost": 3,
        "hint": "CrossEntropyLoss applies log-softmax itself",
        "self_check": "CrossEntropyLoss applies log-softmax itself",
    },
    {
        "intent": 'NLL after ReLU, chosen for the digits',
        "cell": "ex5-choose-loss",
        "source": _choices(digits="(nn.NLLLoss(), nn.ReLU())"),
        "lost": 3,
        "hint": "NLLLoss expects log-probabilities, but ReLU does not produce them",
        "self_check": "NLLLoss expects log-probabilities, but ReLU does not produce them",
    },
    {
        "intent": 'KLDivLoss without log-probabilities: a Softmax output',
        "cell": "ex5-choose-loss",
        "source": _choices(distill="(nn.KLDivLoss(reduction='batchmean'), nn.Softmax(dim=1))"),
        "lost": 3,
        "hint": "KLDivLoss expects log-probabilities, but Softmax does not produce them",
        "self_check": "KLDivLoss expects log-probabilities, but Softmax does not produce them",
    },
    {
        "intent": 'MSE for every task: it pairs with raw outputs, but suits only the rent',
        "cell": "ex5-choose-loss",
        "source": _choices(**{task: "(nn.MSELoss(), None)" for task in
                              ("delivery", "spam", "digits", "distill", "faces")}),
        "lost": 3,
        "hint": "delivery: a few wildly wrong records must not dominate",
        "self_check": "delivery: a few wildly wrong records must not dominate",
    },
    {
        "intent": 'a library neighbour of L1: smooth L1 with beta=0 is L1 (the allow-list refuses it)',
        "cell": "ex1-l1-loss",
        "source": ("def l1_loss(predictions, targets):\n" + _SHAPE_CHECK
                   + "    return F.smooth_l1_loss(predictions, targets, beta=0)\n"),
        "lost": 2,
        "hint": "`smooth_l1_loss` is not one of the operations this exercise allows",
        "self_check": "`smooth_l1_loss` is not one of the operations this exercise allows",
    },
    {
        "intent": 'a right answer whose cell also hooks into the kernel: the cell does not run',
        "cell": "ex5-choose-loss",
        "source": "get_ipython().events.register('pre_run_cell', lambda *args: None)\n" + _choices(),
        "lost": 3,
        "hint": "`get_ipython` reaches names through strings or the interpreter",
        "self_check": "`get_ipython` reaches names through strings or the interpreter",
    },
    # The library reached in disguise: each is refused whatever it computes.
    {
        "intent": "a library neighbour of MSE: Huber with a huge delta is half the MSE",
        "cell": "ex2-mse-loss",
        "source": ("def mse_loss(predictions, targets):\n" + _SHAPE_CHECK
                   + "    return 2 * F.huber_loss(predictions, targets, delta=1e9)\n"),
        "lost": 2,
        "hint": "`huber_loss` is not one of the operations this exercise allows",
        "self_check": "`huber_loss` is not one of the operations this exercise allows",
    },
    {
        "intent": "the library's L1 smuggled in through a default argument",
        "cell": "ex1-l1-loss",
        "source": ("def l1_loss(predictions, targets, loss=torch.nn.functional):\n" + _SHAPE_CHECK
                   + "    return loss.l1_loss(predictions, targets)\n"),
        "lost": 2,
        "hint": "do not use `l1_loss` here",
        "self_check": "do not use `l1_loss` here",
    },
    {
        "intent": "eval in disguise: a string annotation evaluated by typing.get_type_hints",
        "cell": "ex1-l1-loss",
        "source": ("import typing\n\n\ndef _l1(x: 'F.l1_loss'):\n    pass\n\n\n"
                   "def l1_loss(predictions, targets):\n" + _SHAPE_CHECK
                   + "    return typing.get_type_hints(_l1)['x'](predictions, targets)\n"),
        "lost": 2,
        "hint": None,
        "self_check": "",
    },
    {
        "intent": "getattr in disguise: string.Formatter().get_field",
        "cell": "ex1-l1-loss",
        "source": ("import string\n\n\ndef l1_loss(predictions, targets):\n" + _SHAPE_CHECK
                   + "    found = string.Formatter().get_field('0.l1_loss', [F], {})[0]\n"
                   + "    return found(predictions, targets)\n"),
        "lost": 2,
        "hint": None,
        "self_check": "",
    },
    {
        "intent": "getattr in disguise: torch._utils._import_dotted_name",
        "cell": "ex1-l1-loss",
        "source": ("def l1_loss(predictions, targets):\n" + _SHAPE_CHECK
                   + "    found = torch._utils._import_dotted_name('torch.nn.functional.l1_loss')\n"
                   + "    return found(predictions, targets)\n"),
        "lost": 2,
        "hint": None,
        "self_check": "",
    },
    {
        "intent": "code loaded at run time: a scripted function from torch.jit.load",
        "cell": "ex1-l1-loss",
        "source": ("import io\n\n\ndef l1_loss(predictions, targets):\n" + _SHAPE_CHECK
                   + "    return torch.jit.load(io.BytesIO(bytes.fromhex('00')))(predictions, targets)\n"),
        "lost": 2,
        "hint": None,
        "self_check": "",
    },
]
