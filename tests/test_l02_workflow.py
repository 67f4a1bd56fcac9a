"""Tests for lesson 2's self-check helpers (course_utils/lessons/l02_pytorch_workflow.py): each
mistake of the training-loop exercises gets its targeted hint, and the module answers no exercise."""
import torch
from student_epoch import student_epoch
from torch import nn

from course_utils.lessons import l02_pytorch_workflow as lesson

_epoch = student_epoch


def test_a_correct_epoch_passes_and_each_mistake_gets_its_hint():
    assert lesson.diagnose_train_one_epoch(_epoch) is None
    assert "zero_grad" in lesson.diagnose_train_one_epoch(lambda *a, **k: _epoch(*a, **k, zero_grad=False))
    assert "did not change" in lesson.diagnose_train_one_epoch(lambda *a, **k: _epoch(*a, **k, step=False))
    assert lesson.WEIGHTED in lesson.diagnose_train_one_epoch(lambda *a, **k: _epoch(*a, **k, weighted=False))


def test_the_replay_matches_a_real_sgd_epoch():
    generator = torch.Generator().manual_seed(3)
    X, y = lesson.epoch_case(generator, 8)
    torch.manual_seed(3)
    model = nn.Linear(3, 1)
    w0, b0 = model.weight.detach().clone(), model.bias.detach().clone()
    returned = _epoch(model, X, y, nn.BCEWithLogitsLoss(), torch.optim.SGD(model.parameters(), lr=0.5), 8)
    w, b, losses, sizes = lesson._replay_linear_epoch(w0, b0, X, y, 0.5, 8)
    assert torch.allclose(model.weight, w, atol=1e-5) and torch.allclose(model.bias, b, atol=1e-5)
    assert sizes[-1] < sizes[0] and abs(returned - sum(loss * s for loss, s in zip(losses, sizes)) / sum(sizes)) < 1e-5


def test_evaluation_hints():
    def evaluate(model, X, y, loss_fn, eval_mode=True):
        if eval_mode:
            model.eval()
        with torch.no_grad():
            logits = model(X)
            return loss_fn(logits, y).item(), ((logits > 0).float() == y).float().mean().item()

    # outside IPython getsource works on this file: the source mentions no_grad
    assert lesson.diagnose_evaluate_binary(evaluate) is None
    assert "model.eval()" in lesson.diagnose_evaluate_binary(lambda *a: evaluate(*a, eval_mode=False))


def test_history_and_shuffle_hints():
    assert "dict of lists" in lesson.history_problem([1.0], 1, (0.5, 0.5))
    assert "one number per epoch" in lesson.history_problem({"train_loss": [1.0], "val_loss": [], "val_acc": []},
                                                              1, (0.5, 0.5))
    good = {"train_loss": [1.0, 0.5], "val_loss": [0.9, 0.4], "val_acc": [0.5, 0.75]}
    assert lesson.history_problem(good, 2, (0.4, 0.75)) is None
    assert "evaluate on test_data" in lesson.history_problem(good, 2, (0.3, 0.75))
    assert "did not go down" in lesson.history_problem({**good, "train_loss": [0.5, 0.6]}, 2, (0.4, 0.75))
    assert lesson.shuffle_problem(True, True) is None
    assert "same seed differ" in lesson.shuffle_problem(False, True)
    assert "another seed" in lesson.shuffle_problem(True, False)


def test_the_module_holds_no_stand_ins():
    for name in ("call_or_stand_in", "binary_split_tensors", "linear_stack", "binary_loss_and_sgd", "relu_mlp",
                 "train_binary", "train_multiclass", "MLP", "fit"):
        assert not hasattr(lesson, name), name


def test_the_relu_check_judges_what_the_activations_compute():
    from course_utils.lessons.l02_networks import module_activations, relu_layers_problem

    relu = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Dropout(0.1), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1))
    assert relu_layers_problem(module_activations(relu), 2) is None
    tanh = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 1))
    assert "Tanh does not compute ReLU" in relu_layers_problem(module_activations(tanh), 2)
    one = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.Linear(4, 1))
    assert "found 1 for 2 hidden layers" in relu_layers_problem(module_activations(one), 2)
