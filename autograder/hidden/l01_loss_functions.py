"""Trusted helpers for the hidden tests of lesson 1 (notebooks/01-loss-functions).

Hidden tests run in the grader (:mod:`autograder.grading.trusted_tests`). The student's functions and
models stay in the kernel, reached through ``student`` as remote handles; these helpers send
them fresh inputs, bring back values (outputs, gradients, type names) and judge those here.
They mirror the hints of ``course_utils.lessons.l01_loss_functions``, whose ``diagnose_*``
helpers need the objects themselves (``isinstance``, ``requires_grad``, ``id``).
"""
import inspect

import numpy as np
import torch
from torch import nn

from autograder.grading.trusted_tests import Remote, StudentError, kind
from autograder.hidden.kernel import (
    kernel_adam as kernel_adam,  # the lesson's tests import it from here
)
from autograder.hidden.kernel import leaf_modules
from course_utils.lessons import l01_cross_entropy as cross_entropy
from course_utils.lessons.l01_loss_functions import (
    broadcast_problem,
    diagnose_task_choice,
    head_dim_problem,
    loss_gradient_problem,
    loss_value_problem,
    raises_error,
)
from course_utils.lessons.l01_loss_functions import (
    log_probability_model_problem as lesson_log_probability_model_problem,
)
from course_utils.models import MLP

SQUASHING = ("Softmax", "LogSoftmax", "Sigmoid", "ReLU")
REGRESSION_LOSSES = ("MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss")
LOG_PROBABILITY_LOSSES = ("NLLLoss", "KLDivLoss")
# Constructor options of the accepted losses that the behaviour check copies from the student's.
LOSS_OPTIONS = ("reduction", "delta", "beta", "margin", "weight", "pos_weight", "ignore_index",
                "label_smoothing", "log_target")


def random_tensor(rng, shape, scale=1.0):
    return torch.from_numpy((scale * rng.standard_normal(shape)).astype(np.float32))


# -- handwritten losses (exercises 1 and 2) ----------------------------------------------------

def handwritten_loss_problem(student, my_loss, reference, name, formula, rng, shapes):
    """A hint when the remote ``my_loss(predictions, targets)`` differs from ``reference`` on
    fresh inputs, has the wrong gradient (or none), or accepts predictions and targets of
    different shapes; None when it is right.

    The gradient is computed in the kernel by ``torch.autograd.functional.jacobian`` around
    the student's function and compared here with the reference loss's gradient.
    """
    jacobian = student.module("torch.autograd.functional").jacobian
    for shape in shapes:
        predictions, targets = random_tensor(rng, shape), random_tensor(rng, shape)
        try:
            mine = my_loss(predictions, targets)
        except NotImplementedError:
            raise
        except StudentError as error:
            raised = str(error).partition(" raised ")[2]  # "ValueError: message"
            return f"{name} raised {raised} for inputs of shape {shape}"
        problem = loss_value_problem(name, formula, shape, mine, kind(mine), reference(predictions, targets))
        if problem:
            return problem
        try:
            mine_gradient = jacobian(my_loss, (predictions, targets))[0]
        except NotImplementedError:
            raise
        except StudentError:
            mine_gradient = None
        problem = loss_gradient_problem(name, formula, shape, mine_gradient,
                                        torch.autograd.functional.jacobian(reference, (predictions, targets))[0])
        if problem:
            return problem
    n = int(rng.integers(2, 9))
    return broadcast_problem(name, n, raises_error(ValueError, my_loss, random_tensor(rng, (n, 1)),
                                                   random_tensor(rng, (n,))))


def cross_entropy_cases(rng):
    """(logits, targets) for Exercise 4: ordinary logits of random sizes, then large ones that
    overflow exp (scaled from the same draw, so a remembered answer does not fit)."""
    cases = []
    for scale in (1.0, 3.0, float(rng.uniform(300, 1000))):
        n, c = int(rng.integers(3, 9)), int(rng.integers(2, 7))
        cases.append((random_tensor(rng, (n, c), scale), torch.from_numpy(rng.integers(0, c, size=n))))
    return cases


def cross_entropy_from_logits_problem(student, rng):
    """Exercise 4's verdict (:func:`course_utils.lessons.l01_cross_entropy.cross_entropy_problem`)
    on the student's function: values here, gradients computed in the kernel."""
    gradient_in_kernel = student.module("course_utils.lessons.l01_cross_entropy").logits_gradient
    loss = student.cross_entropy_from_logits
    for logits, targets in cross_entropy_cases(rng):
        try:
            mine = loss(logits, targets)
        except NotImplementedError:
            raise
        except StudentError as error:
            raised = str(error).partition(" raised ")[2]
            return f"{cross_entropy.NAME} raised {raised} for logits of shape {tuple(logits.shape)}"
        gradient = gradient_in_kernel(loss, logits, targets)
        problem = cross_entropy.cross_entropy_problem(mine, kind(mine), gradient, logits, targets)
        if problem:
            return problem
    n = int(rng.integers(3, 8))
    return cross_entropy.shape_problem(raises_error(ValueError, loss, random_tensor(rng, (n, 3)),
                                                    torch.zeros(n - 1, dtype=torch.long)))


# -- repairing an NLL model (exercise 3) -------------------------------------------------------

def is_kernel_module(student, value):
    """Whether ``value`` is an ``nn.Module`` in the kernel (a plain value never is)."""
    return isinstance(value, Remote) and bool(
        student.module("builtins").isinstance(value, student.module("torch.nn").Module))


def model_outputs(student, model, X):
    """The remote model's outputs for ``X`` (evaluation mode, CPU), as a float tensor here."""
    outputs = student.module("course_utils.training").predict_outputs(model, X)
    if not torch.is_tensor(outputs):
        raise TypeError(f"the model returned a {kind_of(outputs)}, not a tensor")
    return outputs.detach().float()


def kind_of(value):
    return value._type if isinstance(value, Remote) else type(value).__name__


def _dim_hint(head):
    return head_dim_problem(kind_of(head), head.dim if kind_of(head) in ("Softmax", "LogSoftmax") else None)


def log_probability_model_problem(student, model, outputs):
    """The hint of ``diagnose_log_probability_model`` for a remote model and its ``outputs``."""
    leaves = leaf_modules(model)
    last = leaves[-1] if leaves else None
    return lesson_log_probability_model_problem(
        outputs, [kind_of(m) for m in leaves],
        last.dim if last is not None and kind_of(last) in ("Softmax", "LogSoftmax") else None)


def kept_layers_problem(student, original, repaired):
    """The hint of ``diagnose_kept_layers``: identity is compared with the kernel's ``id``."""
    kernel_id = student.module("builtins").id
    kept = {kernel_id(m) for m in repaired.modules()}
    linears = [m for m in original.modules() if kind_of(m) == "Linear"]
    if not all(kernel_id(m) in kept for m in linears):
        return ("keep the layers of the model you were given (their weights may already be "
                "trained): reuse them, e.g. list(model.children()), and only change the output "
                "activation")
    return None


def nll_candidates(rng, n_features):
    """Models to repair, with fresh sizes: (description, build(nn, MLP), build the same model
    without its output activation, the output activation the repair may keep or None).

    Each ``build`` runs twice: in the kernel (``student.module``) and here, where the copy gets
    the kernel model's weights, so the expected log-probabilities are computed here.
    """
    width, classes = int(rng.integers(5, 12)), int(rng.integers(2, 6))
    return [
        ("an MLP ending in Softmax",
         lambda nn_, MLP_: MLP_(n_features, width, classes, output_activation="softmax"),
         lambda nn_, MLP_: MLP_(n_features, width, classes), lambda z: torch.softmax(z, dim=1)),
        ("an MLP ending in Sigmoid",
         lambda nn_, MLP_: MLP_(n_features, width, classes, output_activation="sigmoid"),
         lambda nn_, MLP_: MLP_(n_features, width, classes), torch.sigmoid),
        ("an MLP ending in its Linear layer",
         lambda nn_, MLP_: MLP_(n_features, width, classes, n_hidden_layers=2),
         lambda nn_, MLP_: MLP_(n_features, width, classes, n_hidden_layers=2), None),
        ("a Sequential ending in ReLU",
         lambda nn_, MLP_: nn_.Sequential(nn_.Linear(n_features, width), nn_.Tanh(),
                                          nn_.Linear(width, classes), nn_.ReLU()),
         lambda nn_, MLP_: nn_.Sequential(nn_.Linear(n_features, width), nn_.Tanh(),
                                          nn_.Linear(width, classes)), None),
    ]


def expected_log_probabilities(build_scores, state, X, squash):
    """The log-probabilities a repaired model may give: log-softmax of the last Linear layer's
    scores. (Log-softmax of the ``squash``-ed scores is the "softmax applied twice" mistake.)"""
    copy = build_scores(nn, MLP)
    copy.load_state_dict({key: torch.as_tensor(value) for key, value in state.items()})
    copy.eval()
    with torch.no_grad():
        scores = copy(X)
    return [torch.log_softmax(scores, dim=1)]


def classification_data(rng, n, n_features, n_classes=2):
    """Random features and labels of a random linear teacher, float32 and int64 tensors."""
    X = rng.standard_normal((n, n_features))
    teacher = rng.standard_normal((n_features, n_classes))
    y = np.argmax(X @ teacher + 0.3 * rng.standard_normal((n, n_classes)), axis=1)
    return torch.from_numpy(X.astype(np.float32)), torch.from_numpy(y.astype(np.int64))


def train_in_kernel(student, model, loss_fn, optimizer, X, y, epochs, seed, batch_size=64):
    """Train the remote ``model`` in the kernel with the course's ``fit`` (CPU, quiet)."""
    return student.module("course_utils").fit(
        model, (X, y), loss_fn=loss_fn, optimizer=optimizer, epochs=epochs,
        batch_size=batch_size, device="cpu", seed=seed, verbose=False, progress=False)


# -- choosing a loss (exercise 5) --------------------------------------------------------------

def loss_pairing_problem(student, loss_fn, output_activation):
    """The hint of ``diagnose_loss_pairing`` for a remote loss and output activation."""
    builtins_ = student.module("builtins")
    nn_ = student.module("torch.nn")

    def is_class(value):
        return isinstance(value, Remote) and bool(builtins_.isinstance(value, builtins_.type))

    def class_name(value):
        return builtins_.getattr(value, "__name__", "the class")

    def is_module(value):
        return isinstance(value, Remote) and bool(builtins_.isinstance(value, nn_.Module))

    if is_class(loss_fn):
        return f"return a loss instance such as {class_name(loss_fn)}(), not the class itself"
    if not is_module(loss_fn):
        return f"the loss must be a torch.nn loss module such as nn.MSELoss(); got {loss_fn!r}"
    if is_class(output_activation):
        return (f"return an activation instance such as {class_name(output_activation)}() "
                "(or None for raw outputs), not the class itself")
    if output_activation is not None and not is_module(output_activation):
        return f"the output activation must be an nn.Module or None; got {output_activation!r}"
    name, head = kind_of(loss_fn), output_activation
    head_name = kind_of(head) if head is not None else "no activation"
    if head is not None and _dim_hint(head):
        return _dim_hint(head)
    if name == "CrossEntropyLoss" and head_name in SQUASHING:
        return (f"CrossEntropyLoss applies log-softmax itself: drop the {head_name} and return "
                "raw logits (output activation None)")
    if name in LOG_PROBABILITY_LOSSES and head_name != "LogSoftmax":
        return (f"{name} expects log-probabilities, but {head_name} does not produce them: end "
                "the model with nn.LogSoftmax(dim=1)")
    if name == "BCEWithLogitsLoss" and head is not None:
        return (f"BCEWithLogitsLoss applies the sigmoid itself: drop the {head_name} and return "
                "the raw score (output activation None)")
    if name == "BCELoss" and head_name != "Sigmoid":
        return "BCELoss expects probabilities in [0, 1]: end the model with nn.Sigmoid()"
    if name in REGRESSION_LOSSES and head_name in ("Softmax", "LogSoftmax"):
        return (f"{name} is a regression loss: a {head_name} would force the outputs to be "
                "class (log-)probabilities; return raw outputs (output activation None)")
    return None


def _trusted_copy_of_loss(student, loss_fn):
    """A torch.nn loss of the remote loss's type with its options (reduction, delta, ...)."""
    loss_type = getattr(nn, kind_of(loss_fn))
    accepted = inspect.signature(loss_type).parameters
    getattr_ = student.module("builtins").getattr
    options = {}
    for option in LOSS_OPTIONS:
        if option in accepted:
            value = getattr_(loss_fn, option, None)
            if isinstance(value, (bool, int, float, str)) or torch.is_tensor(value):
                options[option] = value
    return loss_type(**options)


def _trusted_copy_of_head(head):
    if head is None:
        return None
    if kind_of(head) in ("Softmax", "LogSoftmax"):
        return getattr(nn, kind_of(head))(dim=head.dim)
    return getattr(nn, kind_of(head))()


def loss_inputs(task, rng):
    """Fresh (scores, targets) for a task's loss, or ((x1, x2), targets) for the pair loss."""
    n = int(rng.integers(6, 12))
    if task in ("rent", "delivery"):
        return random_tensor(rng, (n, 1), 3.0), random_tensor(rng, (n, 1), 3.0)
    if task == "spam":
        return random_tensor(rng, (n, 1), 3.0), torch.from_numpy(
            rng.integers(0, 2, size=(n, 1)).astype(np.float32))
    if task == "digits":
        return random_tensor(rng, (n, 10), 2.0), torch.from_numpy(rng.integers(0, 10, size=n))
    if task == "distill":
        soft_targets = torch.softmax(random_tensor(rng, (n, 10), 2.0), dim=1)
        return random_tensor(rng, (n, 10), 2.0), soft_targets
    if task == "faces":
        return (random_tensor(rng, (n, 8)), random_tensor(rng, (n, 8))), torch.from_numpy(
            rng.choice([-1.0, 1.0], size=n).astype(np.float32))
    raise KeyError(task)


def loss_behaviour_problem(student, task, loss_fn, output_activation, rng):
    """A hint when the remote (loss, output activation) pair does not compute what the torch
    classes of the same names compute on fresh inputs for ``task``; None when it does."""
    name = kind_of(loss_fn)
    head_name = kind_of(output_activation) if output_activation is not None else "no activation"
    trusted_loss = _trusted_copy_of_loss(student, loss_fn)
    trusted_head = _trusted_copy_of_head(output_activation)
    scores, targets = loss_inputs(task, rng)
    try:
        if task == "faces":
            mine = loss_fn(*scores, targets)
            expected = trusted_loss(*scores, targets)
        else:
            heads = output_activation(scores) if output_activation is not None else scores
            expected_heads = trusted_head(scores) if trusted_head is not None else scores
            if not (torch.is_tensor(heads) and heads.shape == expected_heads.shape
                    and torch.allclose(heads.float(), expected_heads, atol=1e-5)):
                return f"{task}: your {head_name} does not compute what nn.{head_name} computes"
            mine = loss_fn(heads, targets)
            expected = trusted_loss(expected_heads, targets)
    except NotImplementedError:
        raise
    except StudentError as error:
        return f"{task}: {error}"
    if not (torch.is_tensor(mine) and mine.shape == expected.shape
            and torch.allclose(mine.float(), expected.float(), rtol=1e-4, atol=1e-5)):
        return f"{task}: your {name} does not compute what nn.{name} computes"
    return None


def task_choice_problem(student, task, loss_fn, output_activation):
    """The self-check's ``diagnose_task_choice`` verdict, judged here on torch copies of the
    student's loss and output activation (same types and options; ``loss_behaviour_problem``
    has checked that they compute the same)."""
    return diagnose_task_choice(task, _trusted_copy_of_loss(student, loss_fn),
                                _trusted_copy_of_head(output_activation))
