"""Lesson 1, loss functions: hints for loss/output-layer mismatches and comparing runs trained
with different losses (similarity learning with pairs: :mod:`course_utils.lessons.l01_pairs`).

Each ``diagnose_*`` helper returns a short hint for the first problem it finds, or None. Each
loss has its own unit (an L1 loss of 0.3 and a cross-entropy of 0.5 cannot be ranked), so the
comparison puts the loss next to the one number every run shares: the validation accuracy.
"""
import itertools
import math
import warnings

import pandas as pd
import torch
from torch import nn

from ..checks import diagnose_log_probabilities
from ..plots import finish_figure, plot_histories

# Loss functions and output layers.

REGRESSION_LOSSES = (nn.MSELoss, nn.L1Loss, nn.HuberLoss, nn.SmoothL1Loss)
LOG_PROBABILITY_LOSSES = (nn.NLLLoss, nn.KLDivLoss)
_SQUASHING = (nn.Softmax, nn.LogSoftmax, nn.Sigmoid, nn.ReLU)


def leaf_modules(model: nn.Module) -> list:
    """The model's modules without children, in order (Linear, ReLU, ...)."""
    return [m for m in model.modules() if not list(m.children())]


def head_dim_problem(kind: str, dim) -> str | None:
    """The hint for a final Softmax or LogSoftmax (``kind``) over the wrong axis ``dim``."""
    if kind in ("Softmax", "LogSoftmax") and dim not in (1, -1):
        return (f"{kind}(dim={dim}) does not normalize over the classes: "
                "use dim=1, the class axis of (N, C) outputs")
    return None


def _dim_hint(head):
    return head_dim_problem(type(head).__name__, getattr(head, "dim", None))


def log_probability_model_problem(outputs, leaf_kinds, last_dim) -> str | None:
    """The hint for a model whose ``outputs`` (a tensor) should be log-probabilities, given the
    type names of its leaf modules in order and the ``dim`` of the last one. The self-check and
    the grader both decide with this function."""
    if outputs.dim() != 2:
        return ("the model should output one row of class scores per sample; got shape "
                f"{tuple(outputs.shape)}")
    if leaf_kinds and head_dim_problem(leaf_kinds[-1], last_dim):
        return head_dim_problem(leaf_kinds[-1], last_dim)
    if len(leaf_kinds) >= 2 and leaf_kinds[-1] == "LogSoftmax" and \
            leaf_kinds[-2] in ("Softmax", "Sigmoid", "LogSoftmax"):
        return (f"remove the {leaf_kinds[-2]} before the LogSoftmax: the class scores would be squashed "
                "twice (the softmax applied twice), so no probability could come near 1")
    hint = diagnose_log_probabilities(outputs)
    if hint:
        return hint
    if len(leaf_kinds) >= 2 and leaf_kinds[-2] == "ReLU":
        return ("remove the ReLU before the LogSoftmax: it turns every negative class score into "
                "0, so the model cannot say 'unlikely' with a negative score")
    return None


def diagnose_loss_pairing(loss_fn, output_activation) -> str | None:
    """A hint when ``output_activation`` (a module or None) does not suit ``loss_fn``."""
    if isinstance(loss_fn, type):
        return f"return a loss instance such as {loss_fn.__name__}(), not the class itself"
    if not isinstance(loss_fn, nn.Module):
        return f"the loss must be a torch.nn loss module such as nn.MSELoss(); got {loss_fn!r}"
    if isinstance(output_activation, type):
        return (f"return an activation instance such as {output_activation.__name__}() "
                "(or None for raw outputs), not the class itself")
    if output_activation is not None and not isinstance(output_activation, nn.Module):
        return f"the output activation must be an nn.Module or None; got {output_activation!r}"
    name, head = type(loss_fn).__name__, output_activation
    head_name = type(head).__name__ if head is not None else "no activation"
    if _dim_hint(head):
        return _dim_hint(head)
    if isinstance(loss_fn, nn.CrossEntropyLoss) and isinstance(head, _SQUASHING):
        return (f"CrossEntropyLoss applies log-softmax itself: drop the {head_name} and return "
                "raw logits (output activation None)")
    if isinstance(loss_fn, LOG_PROBABILITY_LOSSES) and not isinstance(head, nn.LogSoftmax):
        return (f"{name} expects log-probabilities, but {head_name} does not produce them: end "
                "the model with nn.LogSoftmax(dim=1)")
    if isinstance(loss_fn, nn.BCEWithLogitsLoss) and head is not None:
        return (f"BCEWithLogitsLoss applies the sigmoid itself: drop the {head_name} and return "
                "the raw score (output activation None)")
    if isinstance(loss_fn, nn.BCELoss) and not isinstance(head, nn.Sigmoid):
        return "BCELoss expects probabilities in [0, 1]: end the model with nn.Sigmoid()"
    if isinstance(loss_fn, REGRESSION_LOSSES) and isinstance(head, (nn.Softmax, nn.LogSoftmax)):
        return (f"{name} is a regression loss: a {head_name} would force the outputs to be "
                "class (log-)probabilities; return raw outputs (output activation None)")
    return None


def diagnose_log_probability_model(model: nn.Module, X) -> str | None:
    """A hint when ``model`` does not output log-probabilities for ``X``, or clips its scores
    with a ReLU right before the final LogSoftmax."""
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    with torch.no_grad():
        outputs = model(torch.as_tensor(X, dtype=torch.float32).to(device))
    leaves = leaf_modules(model)
    return log_probability_model_problem(outputs, [type(m).__name__ for m in leaves],
                                         getattr(leaves[-1], "dim", None) if leaves else None)


def raises_error(exception_type, function, *args, **kwargs) -> bool:
    """True when ``function(*args, **kwargs)`` raises ``exception_type``.

    Any other exception counts as False, except NotImplementedError, which is re-raised so
    that an unanswered exercise reads as "not attempted".
    """
    try:
        function(*args, **kwargs)
    except NotImplementedError:
        raise
    except exception_type:
        return True
    except Exception:  # noqa: BLE001 - a wrong exception is simply "did not raise it"
        return False
    return False


def loss_value_problem(name, formula, shape, mine, kind_name, expected) -> str | None:
    """A hint when a handwritten loss's value ``mine`` (of type ``kind_name``) for inputs of
    ``shape`` is not the 0-dimensional tensor ``expected``, else None."""
    if not torch.is_tensor(mine):
        return f"{name} must return a torch tensor (so the loss can be backpropagated); got {kind_name}"
    if mine.dim() != 0:
        return (f"{name} must return one number, a 0-dimensional tensor; got shape "
                f"{tuple(mine.shape)}: average over all elements")
    value = mine.detach().float()
    if not torch.isclose(value, expected, rtol=1e-4, atol=1e-6):
        return (f"{name} gave {float(value):.4f} where PyTorch gives {float(expected):.4f} "
                f"for inputs of shape {shape}: compute the {formula}")
    return None


def loss_gradient_problem(name, formula, shape, mine, expected) -> str | None:
    """A hint when a handwritten loss's gradient with respect to the predictions, ``mine``
    (None when it could not be computed), is missing or differs from ``expected``, else None."""
    if not (torch.is_tensor(mine) and mine.shape == expected.shape and torch.count_nonzero(mine) > 0):
        return (f"{name} lost the gradient: keep every step in torch operations (no .item(), "
                "NumPy or Python floats)")
    if not torch.allclose(mine.float(), expected, rtol=1e-3, atol=1e-6):
        return (f"the gradient of {name} differs from PyTorch's for inputs of shape {shape}: "
                f"compute the {formula} with torch operations")
    return None


def broadcast_problem(name, n, raised) -> str | None:
    """A hint when a handwritten loss did not raise ValueError for predictions (n, 1) and targets (n,)."""
    if raised:
        return None
    return (f"{name}(predictions of shape ({n}, 1), targets of shape ({n},)) must raise "
            "ValueError: broadcasting would silently compare every prediction with every "
            f"target, a ({n}, {n}) table of errors")


def called(function, name, inputs, *args):
    """(what ``function(*args)`` returned, None), or (None, a hint naming the exception it raised
    for ``inputs``); an unanswered exercise's NotImplementedError goes through."""
    try:
        return function(*args), None
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001 - report the student's crash as a hint
        return None, f"{name} raised {type(error).__name__}: {error} for {inputs}"


def diagnose_handwritten_loss(my_loss, reference, name, formula, seed=0,
                              shapes=((5,), (4, 1), (3, 2))) -> str | None:
    """A hint when ``my_loss(predictions, targets)`` differs from the ``reference`` torch
    function, cannot be backpropagated, or accepts predictions and targets of different shapes
    (the grader asks the same three questions of the same functions).

    ``formula`` is a short reminder added to a wrong-value hint, e.g. "mean of |p - t|".
    """
    generator = torch.Generator().manual_seed(seed)
    jacobian = torch.autograd.functional.jacobian
    for shape in shapes:
        predictions, targets = torch.randn(shape, generator=generator), torch.randn(shape, generator=generator)
        mine, crashed = called(my_loss, name, f"inputs of shape {shape}", predictions, targets)
        if crashed:
            return crashed
        problem = loss_value_problem(name, formula, shape, mine, type(mine).__name__, reference(predictions, targets))
        if problem:
            return problem
        try:
            mine_gradient = jacobian(my_loss, (predictions, targets))[0]
        except Exception:  # noqa: BLE001 - a loss that cannot be differentiated has lost its gradient
            mine_gradient = None
        problem = loss_gradient_problem(name, formula, shape, mine_gradient,
                                        jacobian(reference, (predictions, targets))[0])
        if problem:
            return problem
    return broadcast_problem(name, 4, raises_error(ValueError, my_loss, torch.zeros(4, 1), torch.zeros(4)))


def diagnose_kept_layers(original: nn.Module, repaired: nn.Module) -> str | None:
    """A hint when ``repaired`` dropped or replaced the Linear layers of ``original``."""
    kept = {id(m) for m in repaired.modules()}
    linears = [m for m in original.modules() if isinstance(m, nn.Linear)]
    if not all(id(m) in kept for m in linears):
        return ("keep the layers of the model you were given (their weights may already be "
                "trained): reuse them, e.g. list(model.children()), and only change the output "
                "activation")
    return None


# Why a task calls for its kind of loss: the hint when a choice does not behave as the task needs.
TASK_REASONS = {
    "rent": "large errors must cost far more than small ones, so square them",
    "delivery": "a few wildly wrong records must not dominate: the loss should grow only "
                "linearly with large errors",
    "spam": "two classes with a single output unit call for the binary form of cross-entropy",
    "digits": "ten classes from raw class scores is the standard classification case",
    "distill": "the targets are whole probability distributions compared with the model's "
               "log-probabilities",
    "faces": "the training signal is pairs that should or should not point the same way",
}


def _task_behaves(task, loss_fn, head) -> bool:
    """Whether ``loss_fn`` after ``head`` behaves as ``task`` needs, on fixed probe inputs.

    Only the behaviour is probed (how the loss grows with the error, what it rewards), never
    the names: rent squares errors, delivery grows linearly, spam rewards a large score for
    class 1 from one output column and float 0/1 targets, digits rewards the target's score
    given class indices, distill is stationary where the predicted distribution equals the
    soft targets, faces compares the directions of two embeddings.
    """
    generator = torch.Generator().manual_seed(0)

    def out(scores):
        return scores if head is None else head(scores)

    def value(*args):
        return float(loss_fn(*args))

    if task in ("rent", "delivery"):
        targets = 3 * torch.randn(8, 1, generator=generator)
        error = {e: value(out(targets + e), targets) for e in (0.0, 1.0, 3.0, 10.0, 20.0)}
        if abs(error[0.0]) > 1e-6 or not 0 < error[1.0] < error[3.0] < error[10.0] < error[20.0]:
            return False
        if task == "rent":
            return error[3.0] / error[1.0] > 8
        return error[20.0] / error[10.0] < 2.5
    if task == "spam":
        ones, zeros = torch.ones(8, 1), torch.zeros(8, 1)
        at = {s: (value(out(torch.full((8, 1), s)), ones), value(out(torch.full((8, 1), s)), zeros))
              for s in (-4.0, -1.0, 2.0, 4.0)}
        return (at[4.0][0] < at[2.0][0] < at[-1.0][0] < at[-4.0][0]
                and at[-4.0][1] < at[-1.0][1] < at[2.0][1] < at[4.0][1])
    if task == "digits":
        scores = torch.randn(8, 10, generator=generator)
        classes = torch.randint(0, 10, (8,), generator=generator)
        boost = torch.zeros(8, 10)
        boost[torch.arange(8), classes] = 3.0
        return value(out(scores + boost), classes) < value(out(scores), classes)
    if task == "distill":
        soft = torch.softmax(2 * torch.randn(8, 10, generator=generator), dim=1)
        scores = soft.log().requires_grad_()
        loss = loss_fn(out(scores), soft)
        (gradient,) = torch.autograd.grad(loss, scores)
        other = torch.randn(8, 10, generator=generator)
        return bool(gradient.abs().max() < 1e-5) and float(loss) < value(out(other), soft)
    if task == "faces":
        if head is not None:
            return False
        first, second = torch.randn(8, 4, generator=generator), torch.randn(8, 4, generator=generator)
        similar = torch.ones(8)
        return (math.isclose(value(first, 3 * second, similar), value(first, second, similar),
                             rel_tol=1e-4, abs_tol=1e-6)
                and value(first, first, similar) < value(first, -first, similar))
    raise KeyError(task)


def diagnose_task_choice(task, loss_fn, output_activation) -> str | None:
    """A hint (``"task: why"``) when the loss and output activation chosen for one of the
    tasks of exercise 5 do not behave as the task needs; None when they do."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. MSELoss warning about broadcast shapes
            behaves = _task_behaves(task, loss_fn, output_activation)
    except NotImplementedError:
        raise
    except Exception:  # noqa: BLE001 - a loss that cannot even take the task's data
        behaves = False
    return None if behaves else f"{task}: {TASK_REASONS[task]}"


# Runs trained with different losses, side by side.

def _last(values):
    return values[-1] if values else math.nan


def comparison_table(histories: dict) -> pd.DataFrame:
    """One row per run: last-epoch training and validation loss and validation accuracy."""
    if not histories:
        raise ValueError("give at least one history, e.g. {'MSE': history}")
    rows = {}
    for name, history in histories.items():
        if not len(history):
            raise ValueError(f"run {name!r} has no epochs: train it before comparing")
        accuracy = _last(history.val_acc)
        rows[name] = {
            "train loss": _last(history.train_loss),
            "validation loss": _last(history.val_loss),
            "validation accuracy": math.nan if accuracy is None else accuracy,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "loss"
    return table


def plot_loss_comparison(histories: dict, baseline_accuracy=None, title=None, show=True):
    """Validation loss (symmetric log scale, so a diverging run fits) and validation accuracy
    per epoch, one curve per run; ``baseline_accuracy`` draws a dashed reference line.

    Runs get different line styles, so identical runs drawn on top of each other stay visible,
    and one legend to the right of both panels names them.
    """
    fig = plot_histories(histories, metrics=("val_loss", "val_acc"), title=title, show=False)
    loss_ax, acc_ax = fig.axes[:2]
    for ax in (loss_ax, acc_ax):
        styles = itertools.cycle([("-", 1.5), ("--", 2.0), (":", 2.5), ("-.", 2.0)])
        for line, (style, width) in zip(ax.lines, styles):
            line.set_linestyle(style)
            line.set_linewidth(width)
        ax.get_legend().remove()
    loss_ax.set_yscale("symlog", linthresh=1.0)
    loss_ax.set_title("validation loss (symlog scale)")
    if baseline_accuracy is not None:
        acc_ax.axhline(baseline_accuracy, color="grey", linestyle="--", linewidth=1,
                       label="majority class")
    handles, labels = acc_ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(0.78, 0.5),
               fontsize="small")
    fig.set_size_inches(12, 4)
    fig.tight_layout(rect=(0, 0, 0.78, 1))
    return finish_figure(fig, show)


__all__ = ["TASK_REASONS", "broadcast_problem", "comparison_table", "diagnose_handwritten_loss", "diagnose_kept_layers",
           "diagnose_log_probability_model", "diagnose_loss_pairing", "diagnose_task_choice",
           "leaf_modules", "loss_gradient_problem", "loss_value_problem", "plot_loss_comparison",
           "raises_error"]
