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
    is_affine,
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
from course_utils.checks import is_close
from course_utils.lessons.l02_pytorch_workflow import (
    RELU_PROBE,
    decrease_problem,
    dropout_probe,
    epoch_problem,
    evaluation_problem,
    expected_evaluation,
    mentions_no_grad,
    relu_layers_problem,
    runs_problem,
)
from course_utils.models import MLP
from course_utils.training import check_batch, evaluate


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
    if types.isinstance(loss_fn, "torch.nn.BCELoss"):
        return ("BCELoss expects probabilities, but the model outputs logits: use BCEWithLogitsLoss, "
                "which applies the sigmoid itself (and is numerically stable)")
    if not types.isinstance(loss_fn, "torch.nn.BCEWithLogitsLoss"):
        return f"{kind(loss_fn)} is not the loss for one logit and 0/1 labels: use BCEWithLogitsLoss"
    if not types.isinstance(optimizer, "torch.optim.SGD"):
        return f"use torch.optim.SGD (got {kind(optimizer)})"
    before = [torch.as_tensor(p).clone() for p in probe.parameters()]
    groups = optimizer.param_groups
    handed = [p for group in groups for p in group["params"]]
    if not _same_tensors(before, handed):
        return "give the optimizer the parameters of the model passed in: SGD(model.parameters(), ...)"
    if not all(is_close(group["lr"], lr) for group in groups):
        return "pass the learning rate on: SGD(model.parameters(), lr=lr)"
    # one full-batch step with the student's loss and optimizer, made by the course's fit
    X = random_inputs(rng, 24, in_features)
    y = torch.as_tensor(rng.integers(0, 2, size=(24, 1)), dtype=torch.float32)
    w0, b0 = torch.as_tensor(probe.weight).clone(), torch.as_tensor(probe.bias).clone()
    student.module("course_utils.training").fit(
        probe, (X, y), loss_fn=loss_fn, optimizer=optimizer, epochs=1, batch_size=len(X),
        device="cpu", keep_best=False, progress=False, verbose=False)
    w1, b1 = torch.as_tensor(probe.weight), torch.as_tensor(probe.bias)
    if torch.equal(w1, w0) and torch.equal(b1, b0):
        return "give the optimizer the parameters of the model passed in: SGD(model.parameters(), ...)"
    w, b = w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
    nn.BCEWithLogitsLoss()(X @ w.T + b, y).backward()
    if not (torch.allclose(w1, w0 - lr * w.grad, rtol=1e-4, atol=1e-6)
            and torch.allclose(b1, b0 - lr * b.grad, rtol=1e-4, atol=1e-6)):
        return ("one step of your optimizer did not move the weights by lr times the gradient of the "
                "mean BCEWithLogitsLoss: nn.BCEWithLogitsLoss() and SGD(model.parameters(), lr=lr)")
    return None


# -- exercise 5: the epoch loss -------------------------------------------------------------------


def diagnose_epoch_mean_loss(average, losses, sizes):
    got = average(losses, sizes)
    if not isinstance(got, float):
        return f"return a Python float (got {kind(got)}): float(...)"
    n_seen = sum(sizes)
    expected = sum(float(loss) * s for loss, s in zip(losses, sizes)) / n_seen
    if is_close(got, expected):
        return None
    if is_close(got, sum(float(loss) for loss in losses) / len(losses)):
        return ("the batches differ in size: weight each batch's mean loss by its size, "
                "then divide by the number of samples")
    if got < expected / 4:
        return ("the result is far too small: divide by the number of samples seen, not by a loop "
                "offset or a sum of sizes counted twice")
    return f"expected {expected:.4f}, got {got:.4f}: sum loss * size over the batches, divide by the samples"


# -- exercise 9: the ReLU network ------------------------------------------------------------------

def diagnose_relu_mlp(types, build, in_features, hidden_features, out_features, rng):
    model = build(in_features, list(hidden_features), out_features)
    if not types.isinstance(model, "torch.nn.Module"):
        return "return an nn.Module (nn.Sequential or a subclass)"
    layers = linear_layers(types, model)
    widths = [layer.out_features for layer in layers]
    if widths != list(hidden_features) + [out_features] or layers[0].in_features != in_features:
        return (f"expected linear layers of widths {list(hidden_features) + [out_features]} after "
                f"{in_features} inputs; got {widths}")
    ends = leaf_modules(model)
    if not types.isinstance(ends[-1], "torch.nn.Linear"):
        return (f"the model ends in {kind(ends[-1])}: end with the last nn.Linear and return "
                "raw logits (the loss applies the sigmoid or softmax itself)")
    n_relu = sum(types.isinstance(m, "torch.nn.ReLU") for m in ends)
    if n_relu < len(hidden_features) and is_affine(model, in_features, rng):
        return "put an nn.ReLU() after every hidden nn.Linear: without it the network stays linear"
    problem = relu_layers_problem(activation_outputs(model, RELU_PROBE), len(hidden_features))
    if problem:
        return problem
    if tuple(outputs(model, torch.zeros(3, in_features)).shape) != (3, out_features):
        return "the output must have shape (N, out_features)"
    if is_affine(model, in_features, rng):
        return "the network is still linear: put an activation after every hidden layer"
    return None


# -- exercises 8 and 11: training ---------------------------------------------------------------------

def diagnose_training(types, history, epochs):
    if not types.isinstance(history, "course_utils.training.History"):
        return f"return the History that fit returns (got {kind(history)})"
    if len(history) != epochs:
        return f"train for `epochs` epochs: the history has {len(history)} instead of {epochs}"
    if not history.val_loss:
        return "pass test_data to fit as the validation data, so test metrics are recorded every epoch"
    if history.train_acc[-1] is None:
        return "no accuracy was recorded: use BCEWithLogitsLoss with float 0/1 labels"
    return None


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


def diagnose_classifier(types, model, X, y, loss_fn):
    """course_utils.checks.diagnose_classifier for a remote model: outputs, targets and loss."""
    ends = leaf_modules(model)
    last = ends[-1] if ends else None
    out = outputs(model, X[:64])
    try:
        check_batch(out, y[:64], loss_fn)
    except ValueError as error:
        return str(error)
    if isinstance(loss_fn, nn.CrossEntropyLoss) and any(
            types.isinstance(last, f"torch.nn.{name}") for name in ("Softmax", "LogSoftmax", "ReLU", "Sigmoid")):
        return (f"CrossEntropyLoss applies log-softmax itself: remove the final "
                f"{kind(last)} and return raw logits")
    if isinstance(loss_fn, nn.BCEWithLogitsLoss) and types.isinstance(last, "torch.nn.Sigmoid"):
        return "BCEWithLogitsLoss applies the sigmoid itself: remove the final nn.Sigmoid"
    return None


def diagnose_multiclass(types, train, X_tr, y_tr, X_te, y_te, n_classes, epochs):
    result = train(X_tr, y_tr, X_te, y_te, n_classes=n_classes, epochs=epochs, device="cpu")
    if not (isinstance(result, tuple) and len(result) == 2):
        return "return a pair (model, history)"
    model, history = result
    problem = diagnose_training(types, history, epochs)
    if problem:
        return problem
    shape = tuple(outputs(model, X_te[:5]).shape)
    if shape != (5, n_classes):
        return f"the model must output one logit per class: shape (N, {n_classes}), got {shape}"
    return diagnose_classifier(types, model, X_te, y_te, nn.CrossEntropyLoss())


def class_accuracy(model, X, y):
    """Accuracy of the argmax of the remote model's outputs (in eval mode), computed here."""
    model.eval()
    logits = outputs(model, X)
    if logits.dim() != 2 or logits.shape[0] != len(y):
        raise TestFailed(f"the model must output (N, C) logits; got shape {tuple(logits.shape)}")
    return float((logits.argmax(dim=1) == y).float().mean())


# -- exercise 10: the grid --------------------------------------------------------------------------


def diagnose_grid(make, X, resolution, margin):
    result = make(X, resolution=resolution, margin=margin)
    if not (isinstance(result, (tuple, list)) and len(result) == 3):
        return "return the triple xx, yy, points"
    try:
        xx, yy, points = (torch.as_tensor(t, dtype=torch.float32) for t in result)
    except (TypeError, ValueError, RuntimeError):
        return f"xx, yy and points must be tensors (got {', '.join(kind(t) for t in result)})"
    X = torch.as_tensor(X, dtype=torch.float32)
    if xx.shape != (resolution, resolution) or yy.shape != (resolution, resolution):
        return f"xx and yy must have shape ({resolution}, {resolution}); got {tuple(xx.shape)} and {tuple(yy.shape)}"
    if torch.allclose(xx[0], xx[0, 0].expand(resolution)) and not torch.allclose(xx[:, 0], xx[0, 0].expand(resolution)):
        return ('x changes down the columns instead of along the rows: call torch.meshgrid(xs, ys, '
                'indexing="xy") (the default "ij" indexing transposes the picture)')
    expected_x = torch.linspace(float(X[:, 0].min()) - margin, float(X[:, 0].max()) + margin, resolution)
    expected_y = torch.linspace(float(X[:, 1].min()) - margin, float(X[:, 1].max()) + margin, resolution)
    if not (torch.allclose(xx[0], expected_x, atol=1e-4) and torch.allclose(yy[:, 0], expected_y, atol=1e-4)):
        return ("the grid must run from the smallest to the largest value of each feature, widened by "
                "margin on both sides, in `resolution` steps (torch.linspace)")
    if points.shape != (resolution * resolution, 2):
        return f"points must have shape ({resolution * resolution}, 2); got {tuple(points.shape)}"
    if not (torch.allclose(points[:, 0], xx.reshape(-1)) and torch.allclose(points[:, 1], yy.reshape(-1))):
        return "points[:, 0] must be xx.reshape(-1) and points[:, 1] yy.reshape(-1) (torch.stack(..., dim=1))"
    return None


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
