"""Lesson 2's trusted hidden-test helpers (autograder/hidden/l02_pytorch_workflow.py) and the
notebook's hidden tests, judged against a "kernel" that lives in this process: the real probe
(autograder/kernel_probe.py) answering over a plain namespace, with the same JSON round trip as
in grading, so handles, plain values and student errors behave as they do there."""
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest
import torch
from torch import nn

from autograder import simulate as sim
from autograder.hidden import l02_pytorch_workflow as h
from autograder.trusted_tests import in_process_student, run_hidden_test, split_hidden

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "02-pytorch-workflow" / "pytorch_workflow.ipynb"
SPEC = ROOT / "tests" / "student_sims" / "02-pytorch-workflow.py"


local_student = in_process_student


GRADER_NAMES = {"student", "rng", "expect", "kind", "TestFailed", "StudentError", "np", "torch", "math"}


def free_names(code):
    """Names a hidden test reads without defining or importing them (builtins aside)."""
    import ast
    import builtins

    tree = ast.parse(code)
    bound, loaded = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return loaded - bound - GRADER_NAMES - set(dir(builtins))


def _cells():
    return nbformat.read(str(NOTEBOOK), as_version=4).cells


def _namespace(replace=None):
    """The setup cell (the first code cell) and every reference answer, run as in a kernel."""
    namespace = {"__name__": "__main__"}
    code = [cell for cell in _cells() if cell.cell_type == "code"]
    with matplotlib.rc_context():  # start_lesson's figure settings stay in this namespace's run
        exec(compile(code[0].source, "setup", "exec"), namespace)
    for cell in code:
        nbgrader = cell.metadata.get("nbgrader", {})
        if nbgrader.get("solution"):
            source = (replace or {}).get(nbgrader["grade_id"], cell.source)
            exec(compile(source, nbgrader["grade_id"], "exec"), namespace)
    return namespace


def _hidden_tests():
    return {c.metadata.nbgrader["grade_id"]: split_hidden(c.source)[1] for c in _cells()
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}


@pytest.fixture(scope="module")
def reference():
    return _namespace()


def test_every_graded_cell_has_a_hidden_test_that_uses_no_kernel_names():
    tests = _hidden_tests()
    assert len(tests) == 9 and all(tests.values())
    for grade_id, code in tests.items():
        assert free_names(code) == set(), grade_id


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_the_reference_answers_pass_every_hidden_test(reference, seed):
    for grade_id, code in _hidden_tests().items():
        verdict = run_hidden_test(code, local_student(reference), seed, name=grade_id)
        assert verdict.passed, f"{grade_id}: {verdict.message}"


@pytest.mark.slow
@pytest.mark.parametrize("number", [1, 2, 3])
def test_the_simulated_mistakes_fail_with_their_hint(number):
    mistake = sim.load_spec(SPEC)["MISTAKES"][number - 1]
    namespace = _namespace({mistake["cell"]: mistake["source"]})
    code = _hidden_tests()[mistake["cell"] + "-tests"]
    verdict = run_hidden_test(code, local_student(namespace), 7)
    assert not verdict.passed and mistake["hint"] in verdict.message


def test_an_unanswered_exercise_fails():
    def describe_dataset(X, y):
        raise NotImplementedError()

    verdict = run_hidden_test(_hidden_tests()["ex1-describe-tests"],
                              local_student({"describe_dataset": describe_dataset}), 3)
    assert not verdict.passed and "NotImplementedError" in verdict.message


# -- the helpers, one mistake at a time --------------------------------------------------------

def _sgd(model, lr=0.1):
    return nn.BCEWithLogitsLoss(), torch.optim.SGD(model.parameters(), lr=lr)


@pytest.mark.parametrize("make, hint", [
    (_sgd, None),
    (lambda model, lr=0.1: (nn.BCELoss(), torch.optim.SGD(model.parameters(), lr=lr)), "BCELoss expects probabilities"),
    (lambda model, lr=0.1: (nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=lr)), "MSELoss is not the loss"),
    (lambda model, lr=0.1: (nn.BCEWithLogitsLoss(), torch.optim.Adam(model.parameters(), lr=lr)), "use torch.optim.SGD"),
    (lambda model, lr=0.1: _sgd(nn.Linear(model.in_features, 1), lr), "the parameters of the model passed in"),
    (lambda model, lr=0.1: _sgd(model, 0.1), "pass the learning rate on"),
    (lambda model, lr=0.1: (nn.BCEWithLogitsLoss(reduction="sum"), torch.optim.SGD(model.parameters(), lr=lr)),
     "did not move the weights by lr times the gradient"),
    (lambda model, lr=0.1: nn.BCEWithLogitsLoss(), "return a pair"),
])
def test_diagnose_loss_and_optimizer(make, hint):
    student = local_student({"make": make})
    problem = h.diagnose_loss_and_optimizer(student, h.KernelTypes(student), student.make, 0.037,
                                            np.random.default_rng(0))
    assert problem is None if hint is None else hint in problem


@pytest.mark.parametrize("seed", range(5))
def test_epoch_batches_tell_the_plain_mean_apart(seed):
    student = local_student({
        "right": lambda losses, sizes: sum(float(l) * s for l, s in zip(losses, sizes)) / sum(sizes),
        "plain": lambda losses, sizes: sum(float(l) for l in losses) / len(losses),
        "tensor": lambda losses, sizes: torch.tensor(sum(float(l) * s for l, s in zip(losses, sizes)) / sum(sizes)),
    })
    cases = h.epoch_batches(np.random.default_rng(seed))
    assert [h.diagnose_epoch_mean_loss(student.right, *case) for case in cases] == [None] * 3
    assert "weight each batch's mean loss by its size" in h.diagnose_epoch_mean_loss(student.plain, *cases[0])
    assert "return a Python float" in h.diagnose_epoch_mean_loss(student.tensor, *cases[0])


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
    types_, rng = h.KernelTypes(student), np.random.default_rng(0)
    stack, relu = student.stack(), student.relu()
    assert [layer.out_features for layer in h.linear_layers(types_, stack)] == [4, 2]
    assert h.n_parameters(stack) == 3 * 4 + 4 + 4 * 2 + 2
    assert h.is_affine(stack, 3, rng) and not h.is_affine(relu, 3, rng)
    assert [h.kind(m) for m in h.leaves(relu)] == ["Linear", "ReLU", "Linear"]


def _grid(X, resolution=100, margin=0.5, indexing="xy"):
    X = torch.as_tensor(X, dtype=torch.float32)
    low, high = X.min(dim=0).values - margin, X.max(dim=0).values + margin
    xs = torch.linspace(float(low[0]), float(high[0]), resolution)
    ys = torch.linspace(float(low[1]), float(high[1]), resolution)
    xx, yy = torch.meshgrid(xs, ys, indexing=indexing)
    return xx, yy, torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)


@pytest.mark.parametrize("make, hint", [
    (_grid, None),
    (lambda X, resolution=100, margin=0.5: _grid(X, resolution, margin, indexing="ij"), 'indexing="xy"'),
    (lambda X, resolution=100, margin=0.5: _grid(X, resolution, 0.0), "widened by margin"),
    (lambda X, resolution=100, margin=0.5: _grid(X, resolution, margin)[:2], "return the triple"),
])
def test_diagnose_grid(make, hint):
    student = local_student({"make": make})
    X = h.grid_points(np.random.default_rng(2))
    problem = h.diagnose_grid(student.make, X, resolution=9, margin=1.25)
    assert problem is None if hint is None else hint in problem


def test_diagnose_training_and_classifier_on_remote_objects():
    from course_utils.lessons.l02_pytorch_workflow import train_multiclass

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
    assert "the history has 1 instead of 2" in h.diagnose_multiclass(types_, student.short, *data, n_classes=3, epochs=2)
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
