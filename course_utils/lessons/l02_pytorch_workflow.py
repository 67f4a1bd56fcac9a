"""Lesson 2, the PyTorch workflow: the hints behind the self-checks of the training-loop exercises.

Nothing here answers an exercise. The ``*_problem`` functions turn what was observed (weights
before and after an epoch, returned losses, ...) into the hint for a common mistake, or None.
The self-checks (``diagnose_*`` below, in the student's kernel) and the hidden tests
(``autograder/hidden/l02_pytorch_workflow.py``, in the grader) observe the student's code in
their own way and then ask the same ``*_problem`` function, so they agree.
"""
import ast
import copy
import inspect
import textwrap

import torch
from torch import nn
from torch.nn import functional as F

from ..checks import is_close

WEIGHTED = ("the batches differ in size: weight each batch's mean loss by its size, "
            "then divide by the number of samples")


# -- exercise 4: the loss and the optimizer ----------------------------------------------------------

def loss_kind(loss_fn, is_instance, type_name):
    """"BCEWithLogitsLoss", "BCELoss" or ``type_name(loss_fn)``; ``is_instance(obj, name)``
    answers isinstance for a class of torch.nn (in this process or in the student's kernel)."""
    for name in ("BCEWithLogitsLoss", "BCELoss"):
        if is_instance(loss_fn, f"torch.nn.{name}"):
            return name
    return type_name(loss_fn)


def loss_and_optimizer_problem(loss, optimizer, own_parameters, learning_rates, lr):
    """A hint when Exercise 4's pair is not BCEWithLogitsLoss with SGD over the model's own
    parameters at ``lr``, else None: ``loss`` from :func:`loss_kind`, ``optimizer`` the
    optimizer's type name, ``own_parameters`` whether it holds exactly the model's parameters,
    ``learning_rates`` those of its parameter groups."""
    if loss == "BCELoss":
        return ("BCELoss expects probabilities, but the model outputs logits: choose the binary loss "
                "that applies the sigmoid itself (the table above)")
    if loss != "BCEWithLogitsLoss":
        return f"{loss} is not the loss for one logit and 0/1 labels (see the table above)"
    if optimizer != "SGD":
        return f"this exercise asks for plain stochastic gradient descent (got {optimizer})"
    if not own_parameters:
        return "the optimizer must update the parameters of the model passed in, all of them"
    if not all(is_close(rate, lr) for rate in learning_rates):
        return f"the optimizer's learning rate must be the lr passed in ({lr}); got {learning_rates}"
    return None


def diagnose_loss_and_optimizer(make, lr):
    """The self-check of Exercise 4: ``make`` called on a probe nn.Linear, judged by
    :func:`loss_and_optimizer_problem`."""
    probe = nn.Linear(2, 1)
    returned = make(probe, lr=lr)
    if not (isinstance(returned, (tuple, list)) and len(returned) == 2):
        return "return a pair (loss_fn, optimizer)"
    loss_fn, optimizer = returned
    groups = optimizer.param_groups if isinstance(optimizer, torch.optim.Optimizer) else []
    handed = [p for group in groups for p in group["params"]]
    own = sorted(map(id, handed)) == sorted(map(id, probe.parameters()))
    return loss_and_optimizer_problem(loss_kind(loss_fn, _is_instance, _type_name), _type_name(optimizer), own,
                                      [group["lr"] for group in groups], lr)


def _is_instance(value, dotted):
    return isinstance(value, getattr(nn, dotted.rsplit(".", 1)[1]))


def _type_name(value):
    return type(value).__name__


# -- exercise 5: the epoch loss -----------------------------------------------------------------------

def epoch_mean_problem(got, losses, sizes):
    """A hint when ``got`` is not the per-sample mean of batches with mean ``losses`` and
    ``sizes`` samples, else None."""
    if not isinstance(got, float):
        return f"return a Python float (got {type(got).__name__})"
    expected = sum(float(loss) * size for loss, size in zip(losses, sizes)) / sum(sizes)
    if is_close(got, expected):
        return None
    if is_close(got, sum(float(loss) for loss in losses) / len(losses)):
        return WEIGHTED
    if got < expected / 4:
        return ("the result is far too small: divide by the number of samples seen, not by a loop "
                "offset or a sum of sizes counted twice")
    return (f"expected {expected:.4f}, got {got:.4f}: an epoch's loss is the mean over all of its "
            "samples")


# -- exercise 6: one epoch of mini-batch training ----------------------------------------------------

def _replay_linear_epoch(weight, bias, X, y, lr, batch_size, *, zero_grad=True, full_batch=False):
    """What one epoch of plain SGD does to a linear model with one logit and BCEWithLogitsLoss:
    the weights after it and the per-batch (mean loss, size). A model of the *mistakes* too:
    ``zero_grad=False`` lets the gradients add up, ``full_batch=True`` makes a single step."""
    w, b = weight.detach().clone(), bias.detach().clone()
    grad_w, grad_b = torch.zeros_like(w), torch.zeros_like(b)
    size = len(X) if full_batch else batch_size
    losses, sizes = [], []
    for start in range(0, len(X), size):
        xb, yb = X[start:start + size], y[start:start + size]
        w_, b_ = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
        loss = F.binary_cross_entropy_with_logits(F.linear(xb, w_, b_), yb)
        g_w, g_b = torch.autograd.grad(loss, (w_, b_))
        grad_w, grad_b = (g_w, g_b) if zero_grad else (grad_w + g_w, grad_b + g_b)
        w, b = w - lr * grad_w, b - lr * grad_b
        losses.append(loss.item())
        sizes.append(len(xb))
    return w, b, losses, sizes


def _close(a, b):
    return torch.allclose(a, b, rtol=1e-4, atol=1e-5)


def epoch_problem(returned, before, after, X, y, lr, batch_size, training_after):
    """The hint for one epoch of ``train_one_epoch`` on a linear probe, or None.

    ``before``/``after``: (weight, bias) of the probe around the call; ``training_after``: the
    probe's ``training`` flag after the call (it was in eval mode before)."""
    (w0, b0), (w1, b1) = before, after
    if not isinstance(returned, float):
        return (f"return the epoch's mean loss as a Python float (got {type(returned).__name__}): "
                "collect loss.item() of every batch")
    if torch.equal(w1, w0) and torch.equal(b1, b0):
        return ("the weights did not change: for every batch call loss.backward() and then "
                "optimizer.step() (optimizer.zero_grad() goes before backward, not between backward "
                "and step)")
    w, b, losses, sizes = _replay_linear_epoch(w0, b0, X, y, lr, batch_size)
    if not (_close(w1, w) and _close(b1, b)):
        w_acc, b_acc, _, _ = _replay_linear_epoch(w0, b0, X, y, lr, batch_size, zero_grad=False)
        if _close(w1, w_acc) and _close(b1, b_acc):
            return ("call optimizer.zero_grad() before loss.backward() in every batch: PyTorch adds new "
                    "gradients to the old ones, so without it each step uses the sum of all past gradients")
        w_one, b_one, _, _ = _replay_linear_epoch(w0, b0, X, y, lr, batch_size, full_batch=True)
        if _close(w1, w_one) and _close(b1, b_one):
            return ("make one update per mini-batch: X[start:start + batch_size] for start in "
                    "range(0, len(X), batch_size), not one step on the whole set")
        return ("the weights after the epoch are not those of forward, loss, zero_grad, backward, step "
                "for every mini-batch in order (X[start:start + batch_size], the last batch smaller)")
    expected = sum(loss * s for loss, s in zip(losses, sizes)) / sum(sizes)
    if not is_close(returned, expected):
        if is_close(returned, sum(losses) / len(losses)):
            return WEIGHTED
        return (f"the returned loss {returned:.4f} is not the mean loss per sample {expected:.4f}: "
                "record each batch's loss.item() and len(X_batch), then combine them as in Exercise 5")
    if not training_after:
        return ("call model.train() at the start of the epoch: an evaluation before left the model in "
                "eval mode, and dropout would stay switched off while training")
    return None


def epoch_case(generator, batch_size=8):
    """A small linearly separable problem for a probe: 3 full batches and a smaller last one."""
    n = 3 * batch_size + int(torch.randint(1, batch_size, (1,), generator=generator))
    X = torch.randn(n, 3, generator=generator)
    y = (X[:, :1] + 0.5 * X[:, 1:2] > 0).float()
    return X, y


def diagnose_train_one_epoch(train_one_epoch, seed=0, batch_size=8, lr=0.5):
    """Self-check of Exercise 6: a linear probe trained for one epoch, compared with a replay."""
    generator = torch.Generator().manual_seed(seed)
    X, y = epoch_case(generator, batch_size)
    torch.manual_seed(seed)
    probe = nn.Linear(3, 1)
    before = (probe.weight.detach().clone(), probe.bias.detach().clone())
    optimizer = torch.optim.SGD(probe.parameters(), lr=lr)
    probe.eval()
    returned = train_one_epoch(probe, X, y, nn.BCEWithLogitsLoss(), optimizer, batch_size=batch_size)
    after = (probe.weight.detach().clone(), probe.bias.detach().clone())
    problem = epoch_problem(returned, before, after, X, y, lr, batch_size, probe.training)
    if problem:
        return problem
    later = [train_one_epoch(probe, X, y, nn.BCEWithLogitsLoss(), optimizer, batch_size=batch_size)
             for _ in range(3)]
    return decrease_problem([returned] + later)


def decrease_problem(losses):
    if not losses[-1] < losses[0]:
        return (f"the loss did not go down over {len(losses)} epochs ({losses[0]:.4f} -> {losses[-1]:.4f}) "
                "on an easy problem: forward, loss, zero_grad, backward, step for every batch")
    return None


# -- exercise 7: evaluation ------------------------------------------------------------------------

def mentions_no_grad(source):
    """True when the code uses ``torch.no_grad`` or ``torch.inference_mode``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return any((isinstance(node, ast.Attribute) and node.attr in ("no_grad", "inference_mode"))
               or (isinstance(node, ast.Name) and node.id in ("no_grad", "inference_mode"))
               for node in ast.walk(tree))


def evaluation_problem(first, second, expected, at_half, uses_no_grad):
    """The hint for ``evaluate_binary`` called twice on a model with dropout (in training mode),
    or None. ``expected``: (loss, accuracy) in eval mode; ``at_half``: the accuracy of the
    mistaken threshold logit > 0.5."""
    if not (isinstance(first, (tuple, list)) and len(first) == 2
            and all(isinstance(v, float) for v in first)):
        return "return (loss, accuracy) as two Python floats: loss.item() and the accuracy's .item()"
    if not (is_close(first[0], second[0]) and is_close(first[1], second[1])):
        return ("two evaluations of the same model gave different results: call model.eval() first, "
                "otherwise dropout still zeroes random units")
    loss, accuracy = first
    if not is_close(loss, expected[0]):
        return (f"the loss {loss:.4f} is not loss_fn(model(X), y) over the whole set in eval mode "
                f"({expected[0]:.4f}): call model.eval() before the forward pass")
    if not is_close(accuracy, expected[1]):
        if is_close(accuracy, at_half) and not is_close(at_half, expected[1]):
            return ("the model outputs logits: a logit above 0 (a probability above 0.5) means class 1, "
                    "so threshold the logits at 0")
        return (f"the accuracy {accuracy:.3f} is not the fraction of samples whose prediction "
                f"(logit > 0) equals the label ({expected[1]:.3f})")
    if not uses_no_grad:
        return ("evaluate inside `with torch.no_grad():` so that no graph is recorded for a backward "
                "pass that never comes")
    return None


def dropout_probe(in_features=3, hidden=16):
    return nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Dropout(0.5), nn.Linear(hidden, 1))


def expected_evaluation(model, X, y):
    """(loss, accuracy) in eval mode and the accuracy of the threshold 0.5 on logits."""
    model = copy.deepcopy(model).eval()
    with torch.no_grad():
        logits = model(X)
        loss = float(F.binary_cross_entropy_with_logits(logits, y))
        accuracy = float(((logits > 0).float() == y).float().mean())
        at_half = float(((logits > 0.5).float() == y).float().mean())
    return (loss, accuracy), at_half


def _source(function):
    try:
        return textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return ""


def diagnose_evaluate_binary(evaluate_binary, seed=0):
    """Self-check of Exercise 7 on a small model with dropout, left in training mode."""
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(64, 3, generator=generator)
    y = (X[:, :1] > 0).float()
    torch.manual_seed(seed)
    model = dropout_probe()
    with torch.no_grad():
        model[-1].bias.fill_(0.3)  # logits between 0 and 0.5 exist, so the two thresholds differ
    expected, at_half = expected_evaluation(model, X, y)
    model.train()
    first = evaluate_binary(model, X, y, nn.BCEWithLogitsLoss())
    model.train()
    second = evaluate_binary(model, X, y, nn.BCEWithLogitsLoss())
    return evaluation_problem(first, second, expected, at_half, mentions_no_grad(_source(evaluate_binary)))


# -- exercise 8: the training loop over epochs ---------------------------------------------------------

def history_problem(history, epochs, final_test):
    """The hint for the history returned by ``train_classifier``, or None. ``final_test``:
    (loss, accuracy) of the trained model on the test data, measured by the checker."""
    if not isinstance(history, dict):
        return f"return a dict of lists (got {type(history).__name__})"
    for key in ("train_loss", "val_loss", "val_acc"):
        values = history.get(key)
        if not isinstance(values, list) or len(values) != epochs:
            return (f'history["{key}"] must be a list with one number per epoch ({epochs} epochs; got '
                    f"{values if not isinstance(values, list) else len(values)})")
        if not all(isinstance(v, float) for v in values):
            return f'history["{key}"] must hold Python floats'
    if not (is_close(history["val_loss"][-1], final_test[0]) and is_close(history["val_acc"][-1], final_test[1])):
        return ("the last val_loss/val_acc are not the trained model's loss and accuracy on test_data: after "
                "each epoch's training, evaluate on test_data with evaluate_binary and record both")
    return decrease_problem(history["train_loss"])


def shuffle_problem(same, other):
    """``same``: two runs with one seed gave equal training losses; ``other``: another seed gave
    different ones."""
    if not same:
        return ("two runs with the same seed differ: shuffle with torch.randperm(n, generator=g) where "
                "g = torch.Generator().manual_seed(seed + epoch)")
    if not other:
        return ("another seed gave exactly the same training: shuffle the training set every epoch with "
                "torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch))")
    return None


def diagnose_train_classifier(train_classifier, seed=0, epochs=4):
    """Self-check of Exercise 8: a linear probe trained with SGD on an easy problem."""
    generator = torch.Generator().manual_seed(seed)
    X, y = epoch_case(generator, 8)
    X_test, y_test = epoch_case(generator, 8)

    def run(run_seed):
        torch.manual_seed(seed)
        model = nn.Linear(3, 1)
        history = train_classifier(model, (X, y), (X_test, y_test), nn.BCEWithLogitsLoss(),
                                   torch.optim.SGD(model.parameters(), lr=0.5), epochs=epochs,
                                   batch_size=8, seed=run_seed)
        return model, history

    return runs_problem(run, seed, epochs, lambda model: expected_evaluation(model, X_test, y_test)[0])


def runs_problem(run, seed, epochs, final_test_loss):
    """A hint from three runs of a student's ``train_classifier`` (``run(seed) -> (model,
    history)``): the history of one, then the same seed again and another seed (shuffling)."""
    model, history = run(seed)
    problem = history_problem(history, epochs, final_test_loss(model))
    if problem:
        return problem
    _, again = run(seed)
    _, other = run(seed + 1)
    return shuffle_problem(again["train_loss"] == history["train_loss"],
                           other["train_loss"] != history["train_loss"])


# -- exercise 10: the grid ------------------------------------------------------------------------

def grid_problem(result, X, resolution, margin):
    """A hint when ``result`` is not the (xx, yy, points) grid of Exercise 10 over the points
    ``X`` with ``resolution`` steps and ``margin``, else None."""
    if not (isinstance(result, (tuple, list)) and len(result) == 3):
        return "return the triple xx, yy, points"
    try:
        xx, yy, points = (torch.as_tensor(t, dtype=torch.float32) for t in result)
    except (TypeError, ValueError, RuntimeError):
        return f"xx, yy and points must be tensors (got {', '.join(type(t).__name__ for t in result)})"
    X = torch.as_tensor(X, dtype=torch.float32)
    square = (resolution, resolution)
    if xx.shape != square or yy.shape != square:
        return f"xx and yy must have shape {square}; got {tuple(xx.shape)} and {tuple(yy.shape)}"
    if torch.allclose(xx[0], xx[0, 0].expand(resolution)) and not torch.allclose(xx[:, 0], xx[0, 0].expand(resolution)):
        return ("x changes down the columns instead of along the rows: the picture comes out "
                'transposed (look at meshgrid\'s `indexing`: "xy" is the plotting convention)')
    expected_x = torch.linspace(float(X[:, 0].min()) - margin, float(X[:, 0].max()) + margin, resolution)
    expected_y = torch.linspace(float(X[:, 1].min()) - margin, float(X[:, 1].max()) + margin, resolution)
    if not (torch.allclose(xx[0], expected_x, atol=1e-4) and torch.allclose(yy[:, 0], expected_y, atol=1e-4)):
        return ("the grid must run from the smallest to the largest value of each feature, widened by "
                "margin on both sides, in `resolution` evenly spaced steps")
    if points.shape != (resolution * resolution, 2):
        return f"points must have shape ({resolution * resolution}, 2); got {tuple(points.shape)}"
    if not (torch.allclose(points[:, 0], xx.reshape(-1)) and torch.allclose(points[:, 1], yy.reshape(-1))):
        return ("row k of points must hold the x and y of the k-th grid point, in the order of xx and yy "
                "read row by row")
    return None
