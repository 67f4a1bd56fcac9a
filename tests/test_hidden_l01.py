"""The hidden tests of lesson 1 (notebooks/01-loss-functions), judged in this process.

How they are judged here: tests/hidden_harness.py.
"""
import pytest
from hidden_harness import LessonHiddenTests

LESSON = LessonHiddenTests("01-loss-functions", "loss_functions.ipynb",
                           setup=("import numpy as np\nimport torch\nfrom torch import nn\n"
                                  "from torch.nn import functional as F\nfrom course_utils import MLP\n"))
HIDDEN, SPEC = LESSON.hidden, LESSON.spec
_judge = LESSON.judge


@pytest.fixture(scope="module")
def lesson_namespace():
    return LESSON.namespace()


def test_partial_mse_sum_fails(lesson_namespace):
    verdict = _judge(lesson_namespace, "ex2-mse-loss-tests", 0,
                     answer=SPEC["PARTIAL"]["replace"]["ex2-mse-loss"])
    assert not verdict.passed
    assert "compute the mean of (prediction - target) ** 2" in verdict.message


def _l1(body):
    return ("def l1_loss(p, t):\n    if p.shape != t.shape:\n        raise ValueError('shapes')\n"
            f"    return {body}\n")


def _repair(*body):
    return "def repair_nll_model(model):\n" + "".join(f"    {line}\n" for line in body)


def _one_hot(*body):
    return "def one_hot(labels, n_classes):\n" + "".join(f"    {line}\n" for line in body)


REFERENCE_CHOICES = {
    "rent": "(nn.MSELoss(), None)", "delivery": "(nn.L1Loss(), None)",
    "spam": "(nn.BCEWithLogitsLoss(), None)", "digits": "(nn.CrossEntropyLoss(), None)",
    "distill": "(nn.KLDivLoss(reduction='batchmean'), nn.LogSoftmax(dim=1))",
    "faces": "(nn.CosineEmbeddingLoss(), None)",
}


def _choose(prelude="", lookup="CHOICES[task]", **changes):
    pairs = {**REFERENCE_CHOICES, **changes}
    choices = ", ".join(f"{task!r}: {pair}" for task, pair in pairs.items())
    check = "" if "get" in lookup else \
        "    if task not in CHOICES:\n        raise ValueError(task)\n"
    return (f"{prelude}CHOICES = {{{choices}}}\n\n\n"
            f"def choose_loss(task):\n{check}    return {lookup}\n")


KEEP_LAYERS = ("layers = list(model.children())",
               "if not isinstance(layers[-1], nn.Linear):", "    layers = layers[:-1]")
OTHER_MISTAKES = [
    ("ex1-l1-loss", _l1("torch.tensor((p - t).abs().mean().item())"), "l1_loss lost the gradient"),
    ("ex1-l1-loss", _l1("torch.tensor(np.abs(p.numpy() - t.numpy()).mean())"),
     "l1_loss lost the gradient"),
    ("ex1-l1-loss", _l1("(p - t).abs().detach().numpy().mean()"),
     "l1_loss must return a torch tensor"),
    ("ex1-l1-loss", _l1("(p - t).abs()"), "l1_loss must return one number"),
    ("ex3-repair-nll", "import copy\n\n\n" + _repair(
        "layers = [copy.deepcopy(m) for m in model.children()][:-1]",
        "return nn.Sequential(*layers, nn.LogSoftmax(dim=1))"),
     "keep the layers of the model you were given"),
    ("ex3-repair-nll", _repair("layers = list(model.children())[:-1]",
                               "return nn.Sequential(*layers, nn.LogSoftmax(dim=0))"),
     "LogSoftmax(dim=0) does not normalize over the classes"),
    ("ex3-repair-nll", _repair(*KEEP_LAYERS, "with torch.no_grad():",
                               "    layers[-1].weight.mul_(2)",
                               "return nn.Sequential(*layers, nn.LogSoftmax(dim=1))"),
     "the outputs must be the log-softmax of the class scores"),
    ("ex3-repair-nll", _repair(*KEEP_LAYERS, "for parameter in model.parameters():",
                               "    parameter.requires_grad_(False)",
                               "return nn.Sequential(*layers, nn.LogSoftmax(dim=1))"),
     "training the repaired model with NLLLoss failed"),
    ("ex4-one-hot", _one_hot("labels = torch.as_tensor(labels)",
                             "if labels.min() < 0 or labels.max() >= n_classes:",
                             "    raise ValueError('labels')",
                             "encoded = torch.eye(n_classes)[labels.long()]",
                             "labels.fill_(0)", "return encoded"),
     "do not modify the labels you are given"),
    ("ex4-one-hot", _one_hot("labels = torch.as_tensor(labels).long()",
                             "return torch.eye(int(labels.max()) + 1)[labels]"),
     "keep n_classes columns"),
    ("ex4-one-hot", _one_hot("return torch.eye(n_classes)[torch.as_tensor(labels).long()]"),
     "labels outside 0 .. n_classes - 1 must raise ValueError"),
    # aliasing or delegating instead of writing the answer
    ("ex1-l1-loss", "l1_loss = torch.nn.functional.l1_loss\n", "define `l1_loss` with `def`"),
    ("ex1-l1-loss", _l1("torch.nn.L1Loss()(p, t)"), "do not use `L1Loss` here"),
    ("ex1-l1-loss", "from course_utils import checks\n\n\n" + _l1("(p - t).abs().mean()"),
     "do not import from course_utils"),
    ("ex2-mse-loss", "def mse_loss(p, t):\n    return F.mse_loss(p, t)\n",
     "do not use `mse_loss` here"),
    ("ex2-mse-loss", "def mse_loss(p, t):\n    return l1_loss(p, t) ** 2\n",
     "`l1_loss` comes from outside this answer cell"),
    ("ex3-repair-nll", _repair("return MLP(4, 16, 2, output_activation='log_softmax')"),
     "`MLP` comes from outside this answer cell"),
    ("ex4-one-hot", _one_hot("return getattr(F, 'one_' + 'hot')(labels, n_classes).float()"),
     "reaches names through strings"),
    ("ex5-choose-loss", _choose(delivery="(nn.MSELoss(), None)", digits="(nn.MSELoss(), None)"),
     "delivery: a few wildly wrong records must not dominate"),
    ("ex5-choose-loss", _choose(distill="(nn.KLDivLoss(log_target=True), nn.LogSoftmax(dim=1))"),
     "distill: the targets are whole probability distributions"),
    ("ex5-choose-loss", _choose("class MSELoss(nn.L1Loss):\n    pass\n\n\n",
                                rent="(MSELoss(), None)"),
     "rent: your MSELoss does not compute what nn.MSELoss computes"),
    ("ex5-choose-loss", _choose(rent="(nn.MSELoss, None)"),
     "rent: return a loss instance such as MSELoss(), not the class itself"),
    ("ex5-choose-loss", _choose(delivery="(nn.MSELoss(), None)"),
     "delivery: a few wildly wrong records must not dominate"),
    ("ex5-choose-loss", _choose(lookup="CHOICES.get(task)"),
     "an unknown task name must raise ValueError"),
]


def test_choices_the_old_tests_accepted_still_pass(lesson_namespace):
    other_choices = _choose(rent="(nn.MSELoss(reduction='sum'), None)",
                            delivery="(nn.HuberLoss(delta=2.0), None)",
                            spam="(nn.BCELoss(), nn.Sigmoid())",
                            digits="(nn.NLLLoss(), nn.LogSoftmax(dim=1))",
                            distill="(nn.CrossEntropyLoss(), None)",
                            faces="(nn.CosineEmbeddingLoss(margin=0.2), None)")
    verdict = _judge(lesson_namespace, "ex5-choose-loss-tests", 0, answer=other_choices)
    assert verdict.passed, verdict.message


def test_keeping_the_softmax_before_log_softmax_is_the_mistake_the_lesson_names(lesson_namespace):
    keeps_softmax = _repair("layers = list(model.children())",  # only drops a final ReLU
                            "if isinstance(layers[-1], nn.ReLU):", "    layers = layers[:-1]",
                            "return nn.Sequential(*layers, nn.LogSoftmax(dim=1))")
    verdict = _judge(lesson_namespace, "ex3-repair-nll-tests", 0, answer=keeps_softmax)
    assert not verdict.passed and "the softmax applied twice" in verdict.message, verdict.message


@pytest.mark.parametrize("cell,source,hint", OTHER_MISTAKES,
                         ids=[f"{m[0]}-{n}" for n, m in enumerate(OTHER_MISTAKES)])
def test_other_mistakes_fail_with_a_hint(lesson_namespace, cell, source, hint):
    verdict = _judge(lesson_namespace, f"{cell}-tests", 3, answer=source)
    assert not verdict.passed and hint in verdict.message, verdict.message
