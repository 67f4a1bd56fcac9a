"""Exercises written by hand are allow-lists (course_utils/by_hand.py): library neighbours and
disguised ways to reach the library are refused, natural answers are not."""
import pytest

from course_utils.by_hand import BASICS, BY_HAND
from course_utils.own_code import borrowed_code

CHECK = "    if predictions.shape != targets.shape:\n        raise ValueError('shapes differ')\n"


def _loss(name, body):
    return f"def {name}(predictions, targets):\n" + CHECK + body


@pytest.mark.parametrize("name,body", [
    ("l1_loss", "    return (predictions - targets).abs().mean()\n"),
    ("l1_loss", "    return torch.mean(torch.abs(predictions - targets))\n"),
    ("l1_loss", "    difference = predictions - targets\n    return difference.abs().sum() / difference.numel()\n"),
    ("mse_loss", "    return ((predictions - targets) ** 2).mean()\n"),
    ("mse_loss", "    return (predictions - targets).pow(2).sum() / len(predictions)\n"),
    ("mse_loss", "    return torch.square(predictions - targets).mean()\n"),
])
def test_natural_losses_are_accepted(name, body):
    assert borrowed_code(_loss(name, body), name) is None


@pytest.mark.parametrize("source", [
    "def one_hot(labels, n_classes):\n    labels = torch.as_tensor(labels).long()\n"
    "    if labels.min() < 0 or labels.max() >= n_classes:\n        raise ValueError('label')\n"
    "    return torch.eye(n_classes)[labels]\n",
    "def one_hot(labels, n_classes):\n    rows = torch.zeros(len(labels), n_classes)\n"
    "    for i, label in enumerate(labels):\n        if not 0 <= int(label) < n_classes:\n"
    "            raise ValueError('label')\n        rows[i, int(label)] = 1.0\n    return rows\n",
    "def one_hot(labels, n_classes):\n    labels = torch.as_tensor(labels).long().reshape(-1, 1)\n"
    "    if (labels < 0).any() or (labels >= n_classes).any():\n        raise ValueError('label')\n"
    "    return torch.zeros(len(labels), n_classes).scatter_(1, labels, 1.0)\n",
])
def test_natural_one_hots_are_accepted(source):
    assert borrowed_code(source, "one_hot") is None


@pytest.mark.parametrize("name,body,named", [
    # library neighbours of the function to write
    ("l1_loss", "    return F.smooth_l1_loss(predictions, targets, beta=0)\n", "smooth_l1_loss"),
    ("l1_loss", "    return torch.nn.functional.l1_loss(predictions, targets)\n", "l1_loss"),
    ("l1_loss", "    return torch.dist(predictions, targets, p=1) / predictions.numel()\n", "dist"),
    ("l1_loss", "    return torch.linalg.vector_norm(predictions - targets, 1) / len(predictions)\n", "vector_norm"),
    ("mse_loss", "    return 2 * F.huber_loss(predictions, targets, delta=1e9)\n", "huber_loss"),
    ("mse_loss", "    return nn.MSELoss()(predictions, targets)\n", "MSELoss"),
    ("mse_loss", "    return (predictions - targets).norm() ** 2 / predictions.numel()\n", "norm"),
    ("mse_loss", "    return l1_loss(predictions, targets) ** 2\n", "l1_loss"),
    # the library reached in disguise
    ("l1_loss", "    lib = F\n    return lib.l1_loss(predictions, targets)\n", "l1_loss"),
])
def test_library_neighbours_are_refused_by_name(name, body, named):
    hint = borrowed_code(_loss(name, body), name)
    assert hint and f"`{named}`" in hint, hint


@pytest.mark.parametrize("source,named", [
    ("def l1_loss(predictions, targets, loss=F):\n" + CHECK + "    return loss.l1_loss(predictions, targets)\n",
     "l1_loss"),
    ("import typing\ndef l1_loss(predictions, targets) -> 'F.l1_loss':\n" + CHECK
     + "    return typing.get_type_hints(l1_loss)['return'](predictions, targets)\n", "typing"),
    ("def l1_loss(predictions, targets):\n" + CHECK
     + "    return torch.jit.load(bytes.fromhex('00'))(predictions, targets)\n", "torch.jit"),
    ("import string\ndef l1_loss(predictions, targets):\n" + CHECK
     + "    return string.Formatter().get_field('0.l1_loss', [F], {})[0](predictions, targets)\n", "string"),
    ("def l1_loss(predictions, targets):\n" + CHECK
     + "    return torch._utils._import_dotted_name('torch.nn.functional.l1_loss')(predictions, targets)\n",
     "_import_dotted_name"),
    ("def l1_loss(predictions, targets):\n" + CHECK
     + "    return eval('F.l1' + '_loss')(predictions, targets)\n", "eval"),
    ("F = torch.nn.functional\ndef l1_loss(predictions, targets):\n" + CHECK
     + "    return F.l1_loss(predictions, targets)\n", "l1_loss"),
])
def test_disguised_library_calls_are_refused(source, named):
    hint = borrowed_code(source, "l1_loss")
    assert hint and named in hint, hint


def test_every_allow_list_is_named_and_leaves_out_the_functions_to_write():
    assert {"l1_loss", "mse_loss", "one_hot", "standardize", "per_class_accuracy", "l2_penalty"} <= set(BY_HAND)
    for name, ops in BY_HAND.items():
        assert name not in ops, name
    for neighbour in ("l1_loss", "mse_loss", "one_hot", "smooth_l1_loss", "huber_loss", "norm", "dist",
                      "cdist", "loss_", "recall_score", "confusion_matrix", "Normalize", "nn", "functional"):
        assert neighbour not in BASICS, neighbour


def test_the_hint_lists_what_the_exercise_allows():
    hint = borrowed_code(_loss("l1_loss", "    return F.smooth_l1_loss(predictions, targets, beta=0)\n"),
                         "l1_loss")
    assert "abs, mean, sum" in hint and "course_utils.by_hand.BASICS" in hint


def test_the_unanswered_stub_and_raised_errors_are_plain_python():
    """The release's stub must give [TODO], not an allow-list hint; raising is always allowed."""
    assert borrowed_code("def l1_loss(predictions, targets):\n    raise NotImplementedError()\n",
                         "l1_loss") is None
    assert borrowed_code(_loss("l1_loss", "    if predictions.numel() == 0:\n        raise RuntimeError('empty')\n"
                                          "    return (predictions - targets).abs().mean()\n"), "l1_loss") is None
