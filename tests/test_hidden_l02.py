"""Lesson 2's trusted hidden-test helpers (autograder/hidden/l02_pytorch_workflow.py) and the
notebook's hidden tests, judged against a "kernel" that lives in this process: the real probe
(autograder/grading/kernel_probe.py) answering over a plain namespace, with the same JSON round trip as
in grading, so handles, plain values and student errors behave as they do there."""

import numpy as np
import pytest
import torch
from hidden_harness import LessonHiddenTests
from student_epoch import student_epoch
from torch import nn

from autograder.grading.trusted_tests import (
    in_process_student,
)
from autograder.hidden import kernel
from autograder.hidden import l02_pytorch_workflow as h
from course_utils.lessons.l02_networks import is_affine


def local_student(namespace, sources=None):
    """An in-process student; ``sources`` (name -> answer cell source) feed the own-code checks."""
    return in_process_student(namespace, sources)


LESSON = LessonHiddenTests("02-pytorch-workflow", "pytorch_workflow.ipynb", setup=None)


@pytest.mark.slow
@pytest.mark.parametrize("number", range(1, len(LESSON.mistakes) + 1))
@pytest.mark.parametrize("seed", [7, 8])
def test_the_named_mistakes_lose_exactly_their_points(number, seed):
    """Each mistake, judged here over every hidden test, loses exactly its ``lost`` points in its
    own exercise (another exercise that fails names it: tests/test_hidden_tests.py)."""
    mistake = LESSON.mistakes[number - 1]
    _, failed = LESSON.score(LESSON.student({mistake["cell"]: mistake["source"]}), seed)
    own = [test for test in failed if test.startswith(mistake["cell"] + "-")]
    assert sum(LESSON.points[test] for test in own) == mistake["lost"], failed
    assert sum(LESSON.points.values()) == 22


# -- the helpers, one mistake at a time --------------------------------------------------------

def _sgd(model, lr=0.1):
    return nn.BCEWithLogitsLoss(), torch.optim.SGD(model.parameters(), lr=lr)


@pytest.mark.parametrize("make, hint", [
    (_sgd, None),
    (lambda model, lr=0.1: (nn.BCELoss(), torch.optim.SGD(model.parameters(), lr=lr)), "BCELoss expects probabilities"),
    (lambda model, lr=0.1: (nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=lr)), "MSELoss is not the loss"),
    (lambda model, lr=0.1: (nn.BCEWithLogitsLoss(), torch.optim.Adam(model.parameters(), lr=lr)),
     "plain stochastic gradient descent"),
    (lambda model, lr=0.1: _sgd(nn.Linear(model.in_features, 1), lr), "the parameters of the model passed in"),
    (lambda model, lr=0.1: _sgd(model, 0.1), "must be the lr passed in"),
    (lambda model, lr=0.1: (nn.BCEWithLogitsLoss(reduction="sum"), torch.optim.SGD(model.parameters(), lr=lr)),
     "did not move the weights by lr times the gradient"),
    (lambda model, lr=0.1: nn.BCEWithLogitsLoss(), "return a pair"),
])
def test_diagnose_loss_and_optimizer(make, hint):
    student = local_student({"make": make})
    problem = h.diagnose_loss_and_optimizer(student, h.KernelTypes(student), student.make, 0.037,
                                            np.random.default_rng(0))
    assert problem is None if hint is None else hint in problem
    if "did not move" not in (hint or ""):  # the self-check takes no training step
        from course_utils.lessons.l02_pytorch_workflow import diagnose_loss_and_optimizer
        assert diagnose_loss_and_optimizer(make, 0.037) == problem


@pytest.mark.parametrize("seed", range(5))
def test_epoch_batches_tell_the_plain_mean_apart(seed):
    student = local_student({
        "right": lambda losses, sizes: sum(float(loss) * s for loss, s in zip(losses, sizes)) / sum(sizes),
        "plain": lambda losses, sizes: sum(float(loss) for loss in losses) / len(losses),
        "tensor": lambda losses, sizes: torch.tensor(
            sum(float(loss) * s for loss, s in zip(losses, sizes)) / sum(sizes)),
    })
    cases = h.epoch_batches(np.random.default_rng(seed))
    assert [h.diagnose_epoch_mean_loss(student.right, *case) for case in cases] == [None] * 3
    assert "weight each batch's mean loss by its size" in h.diagnose_epoch_mean_loss(student.plain, *cases[0])
    assert "return a Python float" in h.diagnose_epoch_mean_loss(student.tensor, *cases[0])


class _FakeReLU(nn.ReLU):
    def forward(self, x):
        return torch.tanh(x)


class _Functional(nn.Module):
    """The Linear layers of a ReLU network, applied with tanh in forward."""

    def __init__(self, relu_network):
        super().__init__()
        self.linears = nn.ModuleList(m for m in relu_network if isinstance(m, nn.Linear))

    def forward(self, x):
        for layer in self.linears[:-1]:
            x = torch.tanh(layer(x))
        return self.linears[-1](x)


def _relu(in_features, hidden, out_features):
    widths = [in_features] + list(hidden)
    layers = [m for a, b in zip(widths, widths[1:]) for m in (nn.Linear(a, b), nn.ReLU())]
    return nn.Sequential(*layers, nn.Linear(widths[-1], out_features))


@pytest.mark.parametrize("build, hint", [
    (_relu, None),
    (lambda i, hs, o: nn.Sequential(*[m for m in _relu(i, hs, o) if not isinstance(m, nn.ReLU)]), "put an nn.ReLU()"),
    (lambda i, hs, o: nn.Sequential(_relu(i, hs, o), nn.Sigmoid()), "the model ends in Sigmoid"),
    (lambda i, hs, o: nn.Sequential(nn.Linear(i, o)), "expected linear layers of widths"),
    (lambda i, hs, o: [nn.Linear(i, o)], "return an nn.Module"),
    # what the activations compute decides, not their names (issue 21)
    (lambda i, hs, o: nn.Sequential(*[nn.Tanh() if isinstance(m, nn.ReLU) else m for m in _relu(i, hs, o)]),
     "Tanh does not compute ReLU"),
    (lambda i, hs, o: nn.Sequential(*[_FakeReLU() if isinstance(m, nn.ReLU) else m for m in _relu(i, hs, o)]),
     "_FakeReLU does not compute ReLU"),
    (lambda i, hs, o: _Functional(_relu(i, hs, o)), "put an nn.ReLU() after every hidden nn.Linear"),
])
def test_diagnose_relu_mlp(build, hint):
    student = local_student({"build": build})
    types_ = h.KernelTypes(student)
    rng = np.random.default_rng(1)
    problems = [h.diagnose_relu_mlp(types_, student.build, *sizes, rng) for sizes in h.relu_mlp_sizes(rng)]
    assert all(p is None for p in problems) if hint is None else hint in problems[0]


def test_linear_layers_and_affinity_of_a_remote_model():
    student = local_student({"stack": lambda: nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2)),
                             "relu": lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))})
    types_, rng = kernel.KernelTypes(student), np.random.default_rng(0)
    stack, relu = student.stack(), student.relu()
    assert [layer.out_features for layer in kernel.linear_layers(types_, stack)] == [4, 2]
    assert kernel.n_parameters(stack) == 3 * 4 + 4 + 4 * 2 + 2
    pair = (kernel.random_inputs(rng, 16, 3), kernel.random_inputs(rng, 16, 3))
    assert is_affine(h.KernelNetwork(types_, stack), pair) and not is_affine(h.KernelNetwork(types_, relu), pair)
    assert [h.kind(m) for m in kernel.leaf_modules(relu)] == ["Linear", "ReLU", "Linear"]


def _grid(X, resolution=100, margin=0.5, indexing="xy"):
    X = torch.as_tensor(X, dtype=torch.float32)
    low, high = X.min(dim=0).values - margin, X.max(dim=0).values + margin
    xs = torch.linspace(float(low[0]), float(high[0]), resolution)
    ys = torch.linspace(float(low[1]), float(high[1]), resolution)
    xx, yy = torch.meshgrid(xs, ys, indexing=indexing)
    return xx, yy, torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)


@pytest.mark.parametrize("make, hint", [
    (_grid, None),
    (lambda X, resolution=100, margin=0.5: _grid(X, resolution, margin, indexing="ij"),
     '"xy" is the plotting convention'),
    (lambda X, resolution=100, margin=0.5: _grid(X, resolution, 0.0), "widened by margin"),
    (lambda X, resolution=100, margin=0.5: _grid(X, resolution, margin)[:2], "return the triple"),
])
def test_diagnose_grid(make, hint):
    student = local_student({"make": make})
    X = h.grid_points(np.random.default_rng(2))
    problem = h.diagnose_grid(student.make, X, resolution=9, margin=1.25)
    assert problem is None if hint is None else hint in problem


def train_multiclass(X_train, y_train, X_test, y_test, *, n_classes, epochs, device=None):
    from course_utils.training import fit

    model = nn.Linear(X_train.shape[1], n_classes)
    history = fit(model, (X_train, y_train), (X_test, y_test), loss_fn=nn.CrossEntropyLoss(),
                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=epochs,
                  batch_size=32, device=device, keep_best=False, progress=False, verbose=False)
    return model, history


def test_diagnose_training_and_classifier_on_remote_objects():

    def softmax_model(X_train, y_train, X_test, y_test, *, n_classes, epochs, device=None):
        model, history = train_multiclass(X_train, y_train, X_test, y_test, n_classes=n_classes, epochs=epochs,
                                          device=device)
        return nn.Sequential(model, nn.Softmax(dim=1)), history

    student = local_student({"right": train_multiclass, "softmax": softmax_model,
                             "short": lambda *a, n_classes, epochs, device=None: train_multiclass(
                                 *a, n_classes=n_classes, epochs=1, device=device)})
    types_ = h.KernelTypes(student)
    data = h.blob_split(3, 300, 3)
    assert h.diagnose_multiclass(types_, student.right, *data, n_classes=3, epochs=2) is None
    assert "CrossEntropyLoss applies log-softmax itself" in h.diagnose_multiclass(
        types_, student.softmax, *data, n_classes=3, epochs=2)
    hint = h.diagnose_multiclass(types_, student.short, *data, n_classes=3, epochs=2)
    assert "the history has 1 instead of 2" in hint
    model, _ = student.right(*data, n_classes=3, epochs=5, device="cpu")
    assert h.class_accuracy(model, data[2], data[3]) > 0.95


@pytest.mark.parametrize("seed", range(4))
def test_data_helpers(seed):
    rng = np.random.default_rng(seed)
    X, y = h.labelled_data(rng)
    counts = np.bincount(y)
    assert len(X) == len(y) and len(counts) in (3, 4) and len(set(counts)) == len(counts)
    X, y, test_size, split_seed = h.split_case(rng)
    n_train, n_test = h.split_sizes(len(X), test_size)
    from sklearn.model_selection import train_test_split
    X_train, X_test = train_test_split(X, test_size=test_size, random_state=split_seed)
    assert (len(X_train), len(X_test)) == (n_train, n_test)
    X_tr, y_tr, X_te, y_te = h.blob_split(seed, 200, 4)
    assert X_tr.dtype == torch.float32 and y_tr.dtype == torch.long and len(X_te) == 40
    (X_c, y_c), _ = h.circles_split(seed)
    assert X_c.shape == (640, 2) and y_c.shape == (640, 1)


# -- the training loop the student writes (exercises 6 to 8) ------------------------------------------

_epoch = student_epoch


def _whole(model, X, y, loss_fn, optimizer, batch_size=32):
    return _epoch(model, X, y, loss_fn, optimizer, batch_size=len(X))


@pytest.mark.parametrize("epoch, hint", [
    (_epoch, None),
    (lambda *a, **k: _epoch(*a, **k, zero_grad=False), "call optimizer.zero_grad() before loss.backward()"),
    (lambda *a, **k: _epoch(*a, **k, step=False), "the weights did not change"),
    (lambda *a, **k: _epoch(*a, **k, weighted=False), "weight each batch's mean loss by its size"),
    (lambda *a, **k: _epoch(*a, **k, train=False), "call model.train()"),
    (_whole, "one update per mini-batch"),
    (lambda *a, **k: torch.tensor(_epoch(*a, **k)), "as a Python float"),
])
@pytest.mark.parametrize("seed", [0, 1])
def test_diagnose_train_one_epoch_in_kernel_and_grader(epoch, hint, seed):
    from course_utils.lessons import l02_pytorch_workflow as lesson

    kernel = lesson.diagnose_train_one_epoch(epoch, seed=seed)
    grader = h.diagnose_train_one_epoch(local_student({"train_one_epoch": epoch}), np.random.default_rng(seed))
    for problem in (kernel, grader):
        assert problem is None if hint is None else hint in (problem or "")


def _evaluate(model, X, y, loss_fn, *, eval_mode=True, threshold=0.0):
    if eval_mode:
        model.eval()
    with torch.no_grad():
        logits = model(X)
        return loss_fn(logits, y).item(), ((logits > threshold).float() == y).float().mean().item()


NO_GRAD = "def evaluate_binary(model, X, y, loss_fn):\n    with torch.no_grad():\n        pass\n"


@pytest.mark.parametrize("evaluate, source, hint", [
    (_evaluate, NO_GRAD, None),
    (lambda *a: _evaluate(*a, eval_mode=False), NO_GRAD, "call model.eval() first"),
    (lambda *a: _evaluate(*a, threshold=0.5), NO_GRAD, "threshold the logits at 0"),
    (_evaluate, "def evaluate_binary(model, X, y, loss_fn):\n    pass\n", "torch.no_grad()"),
    (lambda *a: list(map(torch.tensor, _evaluate(*a))), NO_GRAD, "two Python floats"),
])
def test_diagnose_evaluate_binary_in_the_grader(evaluate, source, hint):
    student = local_student({"evaluate_binary": evaluate}, {"evaluate_binary": source})
    problem = h.diagnose_evaluate_binary(student, np.random.default_rng(3))
    assert problem is None if hint is None else hint in (problem or "")


def test_diagnose_evaluate_binary_in_the_kernel():
    from course_utils.lessons import l02_pytorch_workflow as lesson

    assert "call model.eval() first" in lesson.diagnose_evaluate_binary(lambda *a: _evaluate(*a, eval_mode=False))
    assert "threshold the logits at 0" in lesson.diagnose_evaluate_binary(lambda *a: _evaluate(*a, threshold=0.5))
    assert lesson.mentions_no_grad(NO_GRAD) and not lesson.mentions_no_grad("def f():\n    pass\n")


def _train(model, train_data, test_data, loss_fn, optimizer, *, epochs, batch_size=32, seed=0, shuffle=True,
           record_last=True):
    X, y = train_data
    history = {"train_loss": [], "val_loss": [], "val_acc": []}
    for epoch in range(epochs):
        order = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed + epoch)) if shuffle \
            else torch.arange(len(X))
        history["train_loss"].append(_epoch(model, X[order], y[order], loss_fn, optimizer, batch_size))
        if record_last or epoch == 0:
            loss, accuracy = _evaluate(model, *test_data, loss_fn)
        history["val_loss"].append(loss)
        history["val_acc"].append(accuracy)
    return history


@pytest.mark.parametrize("train, hint", [
    (_train, None),
    (lambda *a, **k: _train(*a, **k, shuffle=False), "another seed gave exactly the same training"),
    (lambda *a, **k: _train(*a, **k, record_last=False), "evaluate on test_data"),
    (lambda *a, epochs, **k: _train(*a, epochs=epochs - 1, **k), "one number per epoch"),
])
def test_diagnose_train_classifier_in_kernel_and_grader(train, hint):
    from course_utils.lessons import l02_pytorch_workflow as lesson

    for problem in (lesson.diagnose_train_classifier(train),
                    h.diagnose_train_classifier(local_student({"train_classifier": train}), np.random.default_rng(4))):
        assert problem is None if hint is None else hint in (problem or "")
