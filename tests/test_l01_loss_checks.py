"""Tests for the loss/output-layer hints of lesson 1."""
import pytest
import torch
from torch import nn

from course_utils import MLP
from course_utils.lessons.l01_loss_functions import (
    TASK_REASONS,
    diagnose_handwritten_loss,
    diagnose_kept_layers,
    diagnose_log_probability_model,
    diagnose_loss_pairing,
    diagnose_task_choice,
    leaf_modules,
    raises_error,
)

GOOD_PAIRS = [
    (nn.MSELoss(), None), (nn.L1Loss(), None), (nn.HuberLoss(), None),
    (nn.CrossEntropyLoss(), None), (nn.NLLLoss(), nn.LogSoftmax(dim=1)),
    (nn.KLDivLoss(reduction="batchmean"), nn.LogSoftmax(dim=1)),
    (nn.BCEWithLogitsLoss(), None), (nn.BCELoss(), nn.Sigmoid()),
    (nn.CosineEmbeddingLoss(), None),
]


@pytest.mark.parametrize("loss_fn, head", GOOD_PAIRS)
def test_matching_pairs_pass(loss_fn, head):
    assert diagnose_loss_pairing(loss_fn, head) is None


@pytest.mark.parametrize("loss_fn, head, hint", [
    (nn.CrossEntropyLoss(), nn.Softmax(dim=1), "applies log-softmax itself"),
    (nn.NLLLoss(), nn.ReLU(), "expects log-probabilities"),
    (nn.NLLLoss(), None, "expects log-probabilities"),
    (nn.KLDivLoss(), nn.Softmax(dim=1), "expects log-probabilities"),
    (nn.BCEWithLogitsLoss(), nn.Sigmoid(), "applies the sigmoid itself"),
    (nn.BCELoss(), None, "expects probabilities"),
    (nn.MSELoss(), nn.Softmax(dim=1), "regression loss"),
    (nn.NLLLoss(), nn.LogSoftmax(dim=0), "dim=1"),
    (nn.MSELoss, None, "not the class itself"),
    (nn.NLLLoss(), nn.LogSoftmax, "not the class itself"),
    ("mse", None, "torch.nn loss module"),
])
def test_mismatches_get_their_hint(loss_fn, head, hint):
    assert hint in diagnose_loss_pairing(loss_fn, head)


def _X():
    return torch.randn(16, 4, generator=torch.Generator().manual_seed(0))


def test_log_probability_model_passes():
    torch.manual_seed(0)
    model = MLP(4, 8, 3, output_activation="log_softmax")
    assert diagnose_log_probability_model(model, _X()) is None


@pytest.mark.parametrize("head, hint", [
    (nn.ReLU(), "not log-probabilities"),
    (nn.Softmax(dim=1), "not log-probabilities"),
    (nn.LogSoftmax(dim=0), "dim=1"),
])
def test_wrong_heads_are_caught(head, hint):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), head)
    assert hint in diagnose_log_probability_model(model, _X())


def test_relu_before_log_softmax_is_caught():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.LogSoftmax(dim=1))
    assert "remove the ReLU" in diagnose_log_probability_model(model, _X())


def test_kept_layers():
    torch.manual_seed(0)
    original = MLP(4, 8, 2, output_activation="relu")
    reused = nn.Sequential(*list(original.children())[:-1], nn.LogSoftmax(dim=1))
    fresh = MLP(4, 8, 2, output_activation="log_softmax")
    assert diagnose_kept_layers(original, reused) is None
    assert "keep the layers" in diagnose_kept_layers(original, fresh)
    assert [type(m) for m in leaf_modules(reused)][-2:] == [nn.Linear, nn.LogSoftmax]


def _l1_good(p, t):
    if p.shape != t.shape:
        raise ValueError("shapes differ")
    return (p - t).abs().mean()


def test_handwritten_loss_passes_a_correct_implementation():
    import torch.nn.functional as F
    assert diagnose_handwritten_loss(_l1_good, F.l1_loss, "l1_loss", "mean of |p - t|") is None


@pytest.mark.parametrize("implementation, hint", [
    (lambda p, t: (p - t).abs().mean(), "must raise ValueError"),        # no shape check
    (lambda p, t: (p - t).abs().sum(), "compute the mean"),              # sum, not mean
    (lambda p, t: (p - t).abs(), "0-dimensional"),                       # no reduction
    (lambda p, t: (p - t).abs().mean().item(), "must return a torch tensor"),
    (lambda p, t: torch.tensor((p - t).abs().mean().item()), "lost the gradient"),
    (lambda p, t: 1 / 0, "raised ZeroDivisionError"),
])
def test_handwritten_loss_mistakes(implementation, hint):
    import torch.nn.functional as F
    found = diagnose_handwritten_loss(implementation, F.l1_loss, "l1_loss", "mean of |p - t|")
    assert hint in found


def test_not_implemented_propagates():
    import torch.nn.functional as F

    def unanswered(p, t):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        diagnose_handwritten_loss(unanswered, F.l1_loss, "l1_loss", "mean")
    with pytest.raises(NotImplementedError):
        raises_error(ValueError, unanswered, 1, 2)


def test_raises_error():
    assert raises_error(ValueError, int, "x")
    assert not raises_error(ValueError, int, "3")
    assert not raises_error(ValueError, lambda: 1 / 0)


# -- exercise 5: a choice must behave as its task needs (the hidden test agrees) ---------------

GOOD_CHOICES = {
    "rent": [(nn.MSELoss(), None), (nn.MSELoss(reduction="sum"), None)],
    "delivery": [(nn.L1Loss(), None), (nn.HuberLoss(delta=2.0), None), (nn.SmoothL1Loss(), None)],
    "spam": [(nn.BCEWithLogitsLoss(), None), (nn.BCELoss(), nn.Sigmoid())],
    "digits": [(nn.CrossEntropyLoss(), None), (nn.NLLLoss(), nn.LogSoftmax(dim=1))],
    "distill": [(nn.KLDivLoss(reduction="batchmean"), nn.LogSoftmax(dim=1)),
                (nn.CrossEntropyLoss(), None)],
    "faces": [(nn.CosineEmbeddingLoss(), None), (nn.CosineEmbeddingLoss(margin=0.2), None)],
}


@pytest.mark.parametrize("task", sorted(GOOD_CHOICES))
def test_task_choice_accepts_every_answer_the_hidden_test_accepts(task):
    for loss_fn, head in GOOD_CHOICES[task]:
        assert diagnose_task_choice(task, loss_fn, head) is None, (task, loss_fn, head)


@pytest.mark.parametrize("task", sorted(set(TASK_REASONS) - {"rent"}))
def test_mse_suits_only_the_rent(task):
    assert diagnose_task_choice(task, nn.MSELoss(), None) == f"{task}: {TASK_REASONS[task]}"
    assert diagnose_task_choice("rent", nn.MSELoss(), None) is None


@pytest.mark.parametrize("task,loss_fn,head", [
    ("rent", nn.L1Loss(), None), ("rent", nn.HuberLoss(), None),
    ("delivery", nn.MSELoss(), None), ("spam", nn.CrossEntropyLoss(), None),
    ("distill", nn.KLDivLoss(log_target=True), nn.LogSoftmax(dim=1)),
    ("faces", nn.CosineEmbeddingLoss(), nn.Tanh()), ("digits", nn.BCEWithLogitsLoss(), None),
])
def test_task_choice_recognizes_wrong_losses(task, loss_fn, head):
    assert diagnose_task_choice(task, loss_fn, head) == f"{task}: {TASK_REASONS[task]}"
