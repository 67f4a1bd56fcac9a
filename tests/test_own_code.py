"""The own-code rule: an answer is a def/class written in its cell, not borrowed."""
import pytest

from course_utils.own_code import borrowed_code, redefined_elsewhere, top_level_names

OWN_L1 = "def l1(a, b):\n    return (a - b).abs().mean()\n"
OWN_CNN = """class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3)
    def forward(self, x):
        return F.relu(self.conv(x)).flatten(1)
"""


@pytest.mark.parametrize("source,name", [(OWN_L1, "l1"), (OWN_CNN, "CNN")])
def test_own_code_passes(source, name):
    assert borrowed_code(source, name) is None


@pytest.mark.parametrize("source,expected", [
    ("l1 = F.l1_loss\n", "define `l1` with `def`"),
    ("def l1(a, b):\n    return F.l1_loss(a, b)\n", "do not use `l1_loss`"),
    ("def l1(a, b):\n    return nn.L1Loss()(a, b)\n", "do not use `L1Loss`"),
    ("from course_utils import fit\ndef l1(a, b):\n    return fit(a, b)\n", "do not import from course_utils"),
    ("def l1(a, b):\n    return helper(a, b)\n", "`helper` comes from outside this answer cell"),
    ("def l1(a, b):\n    return getattr(F, 'l1' + '_loss')(a, b)\n", "write the code directly"),
    ("def l1(a, b):\n    return __import__('torch').nn.functional.l1_loss(a, b)\n", "write the code directly"),
    ("def l1(a, b):\n    return globals()['x'](a, b)\n", "write the code directly"),
    ("import sys\ndef l1(a, b):\n    return sys.modules['m'].f(a, b)\n", "reaches the interpreter"),
    ("from sys import modules\ndef l1(a, b):\n    return modules['m'].f(a, b)\n", "only stdout and stderr"),
    ("from autograder.hidden import l01_loss_functions as h\ndef l1(a, b):\n    return h.l1(a, b)\n",
     "do not import `autograder.hidden`"),
    ("import my_helpers\ndef l1(a, b):\n    return my_helpers.l1(a, b)\n", "do not import `my_helpers`"),
    ("from .helpers import l1 as mine\ndef l1(a, b):\n    return mine(a, b)\n", "do not import `helpers`"),
    ("import pickle\ndef l1(a, b):\n    return pickle.load(open('f', 'rb'))(a, b)\n", "do not import `pickle`"),
    ("def l1(a, b):\n    return torch.load('f.pt', weights_only=False)(a, b)\n",
     "do not load pickled objects (`weights_only=False`)"),
    ("def l1(a, b):\n    return np.load('f.npy', allow_pickle=True)[0](a, b)\n",
     "do not load pickled objects (`allow_pickle=True`)"),
    ("def l1(a, b):\n    return object.__getattribute__(torch, 'x')(a, b)\n", "public names only"),
    ("def l1(a, b)\n    return 0\n", "not valid Python"),
    ("", "write `l1` in its answer cell"),
])
def test_borrowed_answers_get_a_hint(source, expected):
    hint = borrowed_code(source, "l1", forbidden=("l1_loss", "L1Loss"))
    assert hint is not None and expected in hint, hint


def test_allowed_names_from_other_cells():
    source = "def train(model, data):\n    return epoch_loss(model, data)\n"
    assert borrowed_code(source, "train") is not None
    assert borrowed_code(source, "train", allowed=("epoch_loss",)) is None


def test_a_subclass_of_a_given_model_is_borrowed():
    assert "MnistCNN" in borrowed_code("class CNN(MnistCNN):\n    pass\n", "CNN")


def test_other_answer_cells_may_not_rebind_the_answer():
    """Only answer cells run when grading; another one binding the name would replace it."""
    answer = OWN_L1
    assert redefined_elsewhere([answer, "x = 1\nprint(x)"], answer, "l1") is None
    assert "defined again" in redefined_elsewhere([answer, "l1 = F.l1_loss"], answer, "l1")
    assert "defined again" in redefined_elsewhere([answer, "%%time\nl1 = F.l1_loss"], answer, "l1")


def test_an_answer_may_not_store_code_on_a_library():
    """A stash on a module (``torch.mine = ...``) would reach another answer as ``torch.mine``."""
    for cell in ("from course_utils.lessons import l01_loss_functions as h\ntorch.mine = h.l1",
                 "import sys\nsys.stash = F.l1_loss", "nn.Module.helper = lambda self: 0",
                 "import math as m\nm.f += F.l1_loss", "torch.backends.cudnn.deterministic = True",
                 "plt.rcParams['figure.dpi'] = 100"):
        assert borrowed_code(cell + "\ndef l1(a, b):\n    return (a - b).abs().mean()\n", "l1"), cell
    mine = "model = nn.Linear(2, 1)\nmodel.weight.data = torch.zeros(1, 2)\ndef l1(a, b):\n    return a\n"
    assert borrowed_code(mine, "l1") is None


def test_top_level_names():
    assert top_level_names("import torch.nn as nn\nx, (y, z) = 1, (2, 3)\ndef f(): w = 1\n") == \
        {"nn", "x", "y", "z", "f"}
    assert top_level_names("def broken(:") == set()


def test_methods_named_like_builtins_are_fine():
    source = ("def evaluate(model, X):\n    model.eval()\n    with torch.no_grad():\n"
              "        return torch.compile(model)(X)\n")
    assert borrowed_code(source, "evaluate") is None
    assert "public names only" in borrowed_code(
        "def f(x):\n    return f.__globals__['g'](x)\n", "f")
