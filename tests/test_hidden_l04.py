"""The hidden tests of lesson 4 (notebooks/04-xor), judged in this process.

How they are judged here: tests/hidden_harness.py.
"""
import pytest
from hidden_harness import LessonHiddenTests

LESSON = LessonHiddenTests("04-xor", "xor.ipynb", setup=(
    "import numpy as np\nimport torch\nfrom torch import nn\nfrom course_utils import MLP, fit\n"))
HIDDEN, SPEC = LESSON.hidden, LESSON.spec
_judge = LESSON.judge


@pytest.fixture(scope="module")
def lesson_namespace():
    return LESSON.namespace()


def test_partial_or_and_thresholds_fail_near_the_corners(lesson_namespace):
    verdict = _judge(lesson_namespace, "ex2-or-and-tests", 0,
                     answer=SPEC["PARTIAL"]["replace"]["ex2-or-and"])
    assert not verdict.passed and "near the corners" in verdict.message


TRAIN_XOR = ("\n\ndef train_xor(model, X, y, epochs=20, seed=0):\n"
             "    loss_fn, optimizer = make_loss_and_optimizer(model)\n"
             "    return fit(model, (X, y), loss_fn=loss_fn, optimizer=optimizer, epochs=epochs, batch_size=64,\n"
             "               seed=seed, verbose=False)\n")
REFERENCE_LOSS = ("def make_loss_and_optimizer(model):\n"
                  "    return nn.BCEWithLogitsLoss(), torch.optim.Adam(model.parameters(), lr=0.05)\n")

OTHER_MISTAKES = [
    ("ex1-collapse", "def collapse(first, second):\n"
                     "    merged = nn.Linear(first.in_features, second.out_features)\n"
                     "    with torch.no_grad():\n"
                     "        merged.weight.copy_(second.weight @ first.weight)\n"
                     "        merged.bias.copy_(second.weight @ first.bias + second.bias)\n"
                     "        first.bias.zero_()\n"
                     "    return merged\n",
     "collapse must not change the layers it is given"),
    ("ex1-collapse", "def collapse(first, second):\n    return nn.Sequential(first, second)\n",
     "collapse must return an nn.Linear layer"),
    ("ex5-gradient-descent", "def gradient_descent(gradients, params, X, y, lr, steps):\n"
                             "    return params, []\n",
     "record one loss per step"),
    ("ex5-gradient-descent", "def gradient_descent(gradients, params, X, y, lr, steps):\n"
                             "    losses = []\n"
                             "    for _ in range(steps):\n"
                             "        loss, grads = gradients(params, X, y)\n"
                             "        losses.append(float(loss))\n"
                             "    return params, losses\n",
     "the parameters never moved"),
    ("ex5-gradient-descent", "gradient_descent = lambda gradients, params, X, y, lr, steps: (params, [])\n",
     "define `gradient_descent` with `def` or `class`"),
    ("ex1-collapse", "from course_utils import MLP\n\n\ndef collapse(first, second):\n"
                     "    return nn.Linear(1, 1)\n",
     "do not import from course_utils"),
    ("ex6-loss-optimizer", "def make_loss_and_optimizer(model):\n"
                           "    return nn.BCEWithLogitsLoss(), torch.optim.Adam(\n"
                           "        nn.Linear(2, 1).parameters(), lr=0.05)\n" + TRAIN_XOR,
     "pass model.parameters()"),
    ("ex6-loss-optimizer", "def make_loss_and_optimizer(model):\n"
                           "    copies = [p.detach().clone().requires_grad_()\n"
                           "              for p in model.parameters()]\n"
                           "    return nn.BCEWithLogitsLoss(), torch.optim.Adam(copies, lr=0.05)\n" + TRAIN_XOR,
     "pass model.parameters()"),
    ("ex6-loss-optimizer", "class BCEWithLogitsLoss(nn.MSELoss):\n    pass\n\n\n"
                           "def make_loss_and_optimizer(model):\n"
                           "    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)\n"
                           "    return BCEWithLogitsLoss(), optimizer\n" + TRAIN_XOR,
     "your loss does not compute binary cross-entropy on logits"),
    ("ex6-loss-optimizer", "def make_loss_and_optimizer(model):\n"
                           "    optimizer = torch.optim.SGD(model.parameters(), lr=0.001)\n"
                           "    return nn.BCEWithLogitsLoss(), optimizer\n" + TRAIN_XOR,
     "try torch.optim.Adam with lr=0.05"),
    ("ex6-loss-optimizer", REFERENCE_LOSS + "\n\ndef train_xor(model, X, y, epochs=20, seed=0):\n"
                           "    return None\n",
     "train_xor trained MLP(2, 16, 1) to only"),
    ("ex6-loss-optimizer", REFERENCE_LOSS + "\n\ndef train_xor(model, X, y, epochs=20, seed=0):\n"
                           "    return train_loop(model, X, y)\n",
     "`train_loop` comes from outside this answer cell"),
]


@pytest.mark.parametrize("cell,source,hint", OTHER_MISTAKES,
                         ids=[f"{m[0]}-{n}" for n, m in enumerate(OTHER_MISTAKES)])
def test_other_mistakes_fail_with_a_hint(lesson_namespace, cell, source, hint):
    verdict = _judge(lesson_namespace, f"{cell}-tests", 3, answer=source)
    assert not verdict.passed and hint in verdict.message, verdict.message
