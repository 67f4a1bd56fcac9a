"""Trusted helpers for the hidden tests of lesson 2, the PyTorch workflow.

They run in the grader. The student's functions and models are reached through the hidden
test's ``student`` (:class:`autograder.grading.trusted_tests.Student`): models and optimizers are
remote handles, tensors come back as values, and every verdict is computed here. The
``diagnose_*`` functions mirror the notebook's self-check helpers of the same names (which a
student could redefine): each returns the hint for a common mistake, or None.

Inputs are derived from the hidden test's ``rng`` (data seeds, sizes, random tensors), so an
answer has to be computed, not remembered.
"""

import torch
from torch import nn

from autograder.grading.trusted_tests import TestFailed, kind
from autograder.hidden.kernel import (
    KernelTypes as KernelTypes,  # the lesson's tests import it from here
)
from autograder.hidden.kernel import (
    activation_outputs,
    kernel_optimizer,
    leaf_modules,
    linear_layers,
    outputs,
    random_inputs,
    state_of,
)
from autograder.hidden.kernel import (
    n_parameters as n_parameters,  # the lesson's tests import it from here
)
from autograder.hidden.l02_cases import (  # the lesson's tests import these from here
    blob_split as blob_split,
)
from autograder.hidden.l02_cases import (
    circles_split as circles_split,
)
from autograder.hidden.l02_cases import (
    epoch_batches as epoch_batches,
)
from autograder.hidden.l02_cases import (
    grid_points as grid_points,
)
from autograder.hidden.l02_cases import (
    labelled_data as labelled_data,
)
from autograder.hidden.l02_cases import (
    relu_mlp_sizes as relu_mlp_sizes,
)
from autograder.hidden.l02_cases import separable
from autograder.hidden.l02_cases import (
    split_case as split_case,
)
from autograder.hidden.l02_cases import (
    split_sizes as split_sizes,
)
from course_utils.lessons.l02_networks import (
    RELU_PROBE,
    linear_model_problem,
    multiclass_problem,
    relu_mlp_problem,
    training_problem,
)
from course_utils.lessons.l02_pytorch_workflow import (
    decrease_problem,
    dropout_probe,
    epoch_mean_problem,
    epoch_problem,
    evaluation_problem,
    expected_evaluation,
    grid_problem,
    loss_and_optimizer_problem,
    loss_kind,
    mentions_no_grad,
    runs_problem,
)
from course_utils.models import MLP
from course_utils.training import evaluate


def expect_no_problem(hint):
    """Fail the hidden test with ``hint`` when a ``diagnose_*`` helper found a problem."""
    if hint:
        raise TestFailed(hint)


# -- exercise 4: loss and optimizer --------------------------------------------------------------

def _same_tensors(mine, theirs):
    """Every tensor of ``mine`` equals a distinct tensor of ``theirs`` (and the counts match)."""
    theirs = list(theirs)
    if len(mine) != len(theirs):
        return False
    for tensor in mine:
        match = next((i for i, t in enumerate(theirs)
                      if isinstance(t, torch.Tensor) and t.shape == tensor.shape and torch.equal(t, tensor)),
                     None)
        if match is None:
            return False
        theirs.pop(match)
    return True


def diagnose_loss_and_optimizer(student, types, make, lr, rng):
    """Build a probe nn.Linear in the kernel, hand it to ``make`` and check what comes back:
    the loss type, SGD over exactly the probe's parameters with ``lr``, and one SGD step on
    random data from ``rng`` that moves the probe's weights as computed here."""
    in_features = int(rng.integers(2, 6))
    student.module("torch").manual_seed(int(rng.integers(2 ** 31)))
    probe = student.module("torch.nn").Linear(in_features, 1)
    returned = make(probe, lr=lr)
    if not (isinstance(returned, (tuple, list)) and len(returned) == 2):
        return "return a pair (loss_fn, optimizer)"
    loss_fn, optimizer = returned
    groups = optimizer.param_groups if types.isinstance(optimizer, "torch.optim.Optimizer") else []
    before = [torch.as_tensor(p).clone() for p in probe.parameters()]
    problem = loss_and_optimizer_problem(
        loss_kind(loss_fn, types.isinstance, kind), kind(optimizer),
        _same_tensors(before, [p for group in groups for p in group["params"]]),
        [group["lr"] for group in groups], lr)
    if problem:
        return problem
    # one full-batch step with the student's loss and optimizer, made by the course's fit
    X = random_inputs(rng, 24, in_features)
    y = torch.as_tensor(rng.integers(0, 2, size=(24, 1)), dtype=torch.float32)
    w0, b0 = torch.as_tensor(probe.weight).clone(), torch.as_tensor(probe.bias).clone()
    student.module("course_utils.training").fit(
        probe, (X, y), loss_fn=loss_fn, optimizer=optimizer, epochs=1, batch_size=len(X),
        device="cpu", keep_best=False, progress=False, verbose=False)
    w1, b1 = torch.as_tensor(probe.weight), torch.as_tensor(probe.bias)
    if torch.equal(w1, w0) and torch.equal(b1, b0):
        return "the weights did not move: the optimizer must update the parameters of the model passed in"
    w, b = w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
    nn.BCEWithLogitsLoss()(X @ w.T + b, y).backward()
    if not (torch.allclose(w1, w0 - lr * w.grad, rtol=1e-4, atol=1e-6)
            and torch.allclose(b1, b0 - lr * b.grad, rtol=1e-4, atol=1e-6)):
        return ("one step of your optimizer did not move the weights by lr times the gradient of the "
                "mean binary cross-entropy of the logits")
    return None


# -- exercise 5: the epoch loss -------------------------------------------------------------------


def diagnose_epoch_mean_loss(average, losses, sizes):
    """The self-check's verdict (:func:`epoch_mean_problem`) on the student's ``average``."""
    return epoch_mean_problem(average(losses, sizes), losses, sizes)


# -- exercise 9: the ReLU network ------------------------------------------------------------------

class KernelNetwork:
    """A model in the student's kernel as :mod:`course_utils.lessons.l02_networks` reads one
    (the self-checks read a local model through ``LocalNetwork``)."""

    def __init__(self, types, model):
        self.types, self.model = types, model

    def is_module(self):
        return self.types.isinstance(self.model, "torch.nn.Module")

    def linear_shapes(self):
        return [(m.in_features, m.out_features) for m in linear_layers(self.types, self.model)]

    def leaf_kinds(self):
        return [kind(m) for m in leaf_modules(self.model)]

    def activations(self):
        return activation_outputs(self.model, RELU_PROBE)

    def n_parameters(self):
        return n_parameters(self.model)

    def outputs(self, x):
        return outputs(self.model, x)


def diagnose_linear_model(types, build, sizes, rng):
    inputs = (random_inputs(rng, 16, sizes[0]), random_inputs(rng, 16, sizes[0]))
    return linear_model_problem(KernelNetwork(types, build(*sizes)), *sizes, inputs)


def diagnose_relu_mlp(types, build, in_features, hidden_features, out_features, rng):
    model = build(in_features, list(hidden_features), out_features)
    pairs = [(random_inputs(rng, 16, in_features), random_inputs(rng, 16, in_features)) for _ in range(2)]
    return relu_mlp_problem(KernelNetwork(types, model), in_features, hidden_features, out_features, pairs)


# -- exercises 8 and 11: training ---------------------------------------------------------------------

def diagnose_training(types, history, epochs):
    return training_problem(types.isinstance(history, "course_utils.training.History"), kind(history),
                            history, epochs)


def mlp_with(state_dict, hidden_features):
    """``MLP(2, hidden_features, 1)`` here, holding the weights read from the kernel."""
    model = MLP(2, list(hidden_features), 1)
    model.load_state_dict({k: torch.as_tensor(v) for k, v in state_dict.items()})
    return model


def mlp_accuracy(state_dict, hidden_features, test_data):
    """Test accuracy of ``MLP(2, hidden_features, 1)`` with the given weights, computed here."""
    return evaluate(mlp_with(state_dict, hidden_features), *test_data, loss_fn=nn.BCEWithLogitsLoss(),
                    device="cpu")["accuracy"]


def specified_loop_accuracy(initial_state, hidden_features, train_data, test_data, epochs, seed):
    """The test accuracy of the loop Exercises 6 and 8 specify (shuffled with
    ``torch.Generator().manual_seed(seed + epoch)``, mini-batches of 32 in that order, Adam at
    0.003), replayed here from the same initial weights on the same data: a correct answer
    reaches exactly this, so it is the bar on a draw where 93% is out of reach."""
    model = mlp_with(initial_state, hidden_features)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.003)
    loss_fn = nn.BCEWithLogitsLoss()
    X, y = train_data
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed + epoch))
        for start in range(0, len(X), 32):
            batch = order[start:start + 32]
            optimizer.zero_grad()
            loss_fn(model(X[batch]), y[batch]).backward()
            optimizer.step()
    return mlp_accuracy(model.state_dict(), hidden_features, test_data)


def diagnose_multiclass(types, train, X_tr, y_tr, X_te, y_te, n_classes, epochs):
    result = train(X_tr, y_tr, X_te, y_te, n_classes=n_classes, epochs=epochs, device="cpu")
    if not (isinstance(result, tuple) and len(result) == 2):
        return "return a pair (model, history)"
    model, history = result
    return (diagnose_training(types, history, epochs)
            or multiclass_problem(KernelNetwork(types, model), X_te, y_te, n_classes))


def class_accuracy(model, X, y):
    """Accuracy of the argmax of the remote model's outputs (in eval mode), computed here."""
    model.eval()
    logits = outputs(model, X)
    if logits.dim() != 2 or logits.shape[0] != len(y):
        raise TestFailed(f"the model must output (N, C) logits; got shape {tuple(logits.shape)}")
    return float((logits.argmax(dim=1) == y).float().mean())


# -- exercise 10: the grid --------------------------------------------------------------------------


def diagnose_grid(make, X, resolution, margin):
    """The self-check's verdict (:func:`grid_problem`) on the student's ``make``."""
    return grid_problem(make(X, resolution=resolution, margin=margin), X, resolution, margin)


# -- exercises 1 and 2: data ---------------------------------------------------------------------


# -- exercises 6 to 8: the training loop the student writes --------------------------------------------


def diagnose_train_one_epoch(student, rng):
    """One epoch of the student's ``train_one_epoch`` on a linear probe built in the kernel (in eval
    mode, with SGD), compared with a replay computed here; then three more epochs must lower the loss."""
    batch_size = int(rng.choice([4, 8, 16]))
    in_features = int(rng.integers(2, 6))
    X, y = separable(rng, 3 * batch_size + int(rng.integers(1, batch_size)), in_features)
    lr = round(float(rng.uniform(0.2, 0.8)), 3)
    tnn = student.module("torch.nn")
    student.module("torch").manual_seed(int(rng.integers(2 ** 31)))
    probe = tnn.Linear(in_features, 1)
    before = state_of(probe)
    optimizer = kernel_optimizer(student, "SGD", probe, lr=lr)
    probe.eval()
    returned = student.train_one_epoch(probe, X, y, tnn.BCEWithLogitsLoss(), optimizer, batch_size=batch_size)
    after = state_of(probe)
    problem = epoch_problem(returned, (before["weight"], before["bias"]), (after["weight"], after["bias"]),
                            X, y, lr, batch_size, probe.training is True)
    if problem:
        return problem
    later = [student.train_one_epoch(probe, X, y, tnn.BCEWithLogitsLoss(), optimizer, batch_size=batch_size)
             for _ in range(3)]
    return decrease_problem([returned] + later)


def diagnose_evaluate_binary(student, rng):
    """The student's ``evaluate_binary`` twice on a kernel model with dropout left in training mode."""
    in_features = int(rng.integers(2, 6))
    X, y = separable(rng, int(rng.integers(40, 100)), in_features)
    tnn = student.module("torch.nn")
    student.module("torch").manual_seed(int(rng.integers(2 ** 31)))
    model = tnn.Sequential(tnn.Linear(in_features, 16), tnn.ReLU(), tnn.Dropout(0.5), tnn.Linear(16, 1))
    local = dropout_probe(in_features)
    local.load_state_dict(state_of(model))
    with torch.no_grad():
        local[-1].bias.fill_(0.3)  # logits between 0 and 0.5 exist, so the two thresholds differ
    model.load_state_dict(local.state_dict())
    expected, at_half = expected_evaluation(local, X, y)
    model.train()
    first = student.evaluate_binary(model, X, y, tnn.BCEWithLogitsLoss())
    model.train()
    second = student.evaluate_binary(model, X, y, tnn.BCEWithLogitsLoss())
    return evaluation_problem(first, second, expected, at_half,
                              mentions_no_grad(student.source("evaluate_binary")))


def diagnose_train_classifier(student, rng, epochs=4):
    """The student's ``train_classifier`` on a kernel linear probe with SGD: the history, the last
    evaluation (measured here), a falling loss and seeded shuffling."""
    batch_size = int(rng.choice([4, 8]))
    in_features = int(rng.integers(2, 6))
    train = separable(rng, 3 * batch_size + int(rng.integers(1, batch_size)), in_features)
    test = separable(rng, int(rng.integers(20, 40)), in_features)
    init_seed, seed = int(rng.integers(2 ** 31)), int(rng.integers(1000))
    tnn = student.module("torch.nn")

    def run(run_seed):
        student.module("torch").manual_seed(init_seed)
        model = tnn.Linear(in_features, 1)
        optimizer = kernel_optimizer(student, "SGD", model, lr=0.5)
        history = student.train_classifier(model, train, test, tnn.BCEWithLogitsLoss(), optimizer,
                                           epochs=epochs, batch_size=batch_size, seed=run_seed)
        return model, history

    def final_test_loss(model):  # of a grader copy of the student's trained model
        local = nn.Linear(in_features, 1)
        local.load_state_dict(state_of(model))
        return expected_evaluation(local, *test)[0]

    return runs_problem(run, seed, epochs, final_test_loss)


def rings_accuracy_with_own_loop(student, rng, hidden_features=(32, 32), epochs=20):
    """A grader-built 2-32-32-1 ReLU MLP trained on fresh rings by the student's ``train_classifier``
    with Adam: (test accuracy computed here, the bar). The bar is 93%, or on a draw where the
    specified loop itself stays below that, what it reaches minus 2 points."""
    train_ref, test_ref = circles_split(int(rng.integers(10_000)))
    student.module("torch").manual_seed(int(rng.integers(2 ** 31)))
    model = student.module("course_utils.models").MLP(2, list(hidden_features), 1)
    initial = state_of(model)
    optimizer = kernel_optimizer(student, "Adam", model, lr=0.003)
    seed = int(rng.integers(1000))
    student.train_classifier(model, train_ref, test_ref, student.module("torch.nn").BCEWithLogitsLoss(),
                             optimizer, epochs=epochs, batch_size=32, seed=seed)
    accuracy = mlp_accuracy(state_of(model), hidden_features, test_ref)
    target = 0.93
    if accuracy < target:
        target = min(target, specified_loop_accuracy(initial, hidden_features, train_ref, test_ref,
                                                     epochs, seed) - 0.02)
    return accuracy, target
