"""Immediate feedback for exercises.

A self-check cell wraps its checks in :func:`self_check`::

    with self_check("one-hot targets"):
        expect(one_hot(y, 3).shape == (len(y), 3), "return one row per sample, one column per class")

It prints one line: ``[PASS] name``, ``[TODO] name: not attempted yet ...`` when the exercise still
raises NotImplementedError, or ``[FAIL] name: <targeted hint>``, also when the checks pass but the
cell defining a name after the colon breaks the answer rules that grading applies. It never stops
"Run All".
The ``diagnose_*`` helpers return a hint for a common mistake, or None.

A lesson cell that uses the result of an exercise runs inside :func:`builds_on`::

    with builds_on("Exercise 3"):
        model = CNN()
        history = fit(model, ...)

Until the exercise is answered, the cell prints one ``[TODO]`` line and stops there, and so do
the later ``builds_on("Exercise 3")`` cells that use what it would have defined. When the
exercise's self-check failed and the cell then raises, it prints that hint instead of a traceback
and stops there too: a wrong answer does not stop "Run All".
"""
import math
from contextlib import contextmanager

import torch
from torch import nn

from .own_code import diagnose_answer_rules, diagnose_own_code
from .training import check_batch

NOT_ATTEMPTED = "not attempted yet: replace `raise NotImplementedError` with your code"


class CheckFailed(AssertionError):
    """A self-check or hidden test found a mistake; the message is the hint."""


def expect(condition, hint: str) -> None:
    """Fail with ``hint`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(hint)


def expect_no_problem(hint: str | None) -> None:
    """Fail with ``hint`` when a ``diagnose_*`` helper found a problem."""
    if hint:
        raise CheckFailed(hint)


_NOT_DONE: set[str] = set()  # exercises seen raising NotImplementedError in this kernel
_FAILED: dict[str, dict[str, str]] = {}  # exercise -> {self-check: the hint it printed last}


def _exercise(name: str) -> str:
    """``"Exercise 3"`` from ``"Exercise 3: build_cnn"``."""
    return name.split(":")[0].strip()


@contextmanager
def builds_on(*exercises: str):
    """Run a lesson cell that needs the named exercises; skip its rest with a [TODO] line while
    one of them is not done yet, or with a [FAIL] line repeating the hint when it raises while
    one of them fails its self-check. Other errors are shown as usual."""
    names = [_exercise(name) for name in exercises]
    try:
        yield
    except NotImplementedError:
        _NOT_DONE.update(names)
    except Exception as error:
        failed = [name for name in names if _FAILED.get(name)]
        if failed:
            hint = next(iter(_FAILED[failed[0]].values()))
            print(f"[FAIL] this cell stopped at {type(error).__name__}: it uses your answer to "
                  f"{' and '.join(failed)}, whose self-check said \"{hint}\"; it runs once that "
                  "answer passes.")
            return
        if not (isinstance(error, NameError) and _NOT_DONE.intersection(names)):
            raise  # a real mistake, not a value that an unfinished exercise did not define
    else:
        _NOT_DONE.difference_update(names)
        return
    print(f"[TODO] {' and '.join(names)} not done yet: this cell stops here and runs once "
          f"your answer works.")


@contextmanager
def self_check(name: str, on_error: str | None = None):
    """Run the checks in the ``with`` block and print one pass, not-attempted or hint line."""
    exercise = _exercise(name)
    _NOT_DONE.discard(exercise)
    _FAILED.setdefault(exercise, {}).pop(name, None)
    try:
        yield
    except NotImplementedError:
        _NOT_DONE.add(exercise)
        print(f"[TODO] {name}: {NOT_ATTEMPTED}")
        return
    except AssertionError as failure:
        problem = str(failure) or "the result is not what was expected"
    except Exception as error:  # noqa: BLE001 - the student's code crashed: say where, not a traceback
        advice = f" Hint: {on_error}" if on_error else ""
        problem = f"your code raised {type(error).__name__}: {error}.{advice}"
    else:
        problem = diagnose_answer_rules(name)
    if problem:
        _FAILED[exercise][name] = problem
        print(f"[FAIL] {name}: {problem}")
    else:
        print(f"[PASS] {name}")


def _model_device(model):
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else None


def diagnose_device(model, *tensors) -> str | None:
    """A hint when the model's weights and the data live on different devices."""
    device = _model_device(model)
    for tensor in tensors:
        if device is not None and tensor.device != device:
            return (f"the model is on {device} but the data is on {tensor.device}: move both "
                    f"with .to(device)")
    return None


def diagnose_scaling(X, tolerance: float = 0.5) -> str | None:
    """A hint when the feature columns of ``X`` are far from mean 0 and standard deviation 1."""
    X = torch.as_tensor(X, dtype=torch.float32)
    mean, std = X.mean(dim=0), X.std(dim=0)
    if (mean.abs() > tolerance).any() or ((std - 1).abs() > tolerance).any():
        worst = int(torch.argmax(mean.abs() + (std - 1).abs()))
        return (f"the features are not standardized (column {worst} has mean "
                f"{mean[worst]:.2f} and std {std[worst]:.2f}): fit a StandardScaler on the "
                "training split and transform both splits")
    return None


def diagnose_log_probabilities(outputs) -> str | None:
    """A hint when (N, C) outputs are not log-probabilities (rows of exp() summing to 1)."""
    outputs = torch.as_tensor(outputs).detach().float()
    row_sums = torch.logsumexp(outputs, dim=1)
    if (outputs > 1e-6).any() or not torch.allclose(row_sums, torch.zeros_like(row_sums),
                                                      atol=1e-3):
        return ("the outputs are not log-probabilities: NLLLoss and KLDivLoss expect them, so "
                "end the model with nn.LogSoftmax(dim=1) (not ReLU), or return raw logits and "
                "use CrossEntropyLoss")
    return None


def _last_module(model):
    modules = [m for m in model.modules() if not list(m.children())]
    return modules[-1] if modules else None


def diagnose_classifier(model, X, y, loss_fn) -> str | None:
    """A hint for the usual mistakes between a classifier's outputs, its targets and its loss."""
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    hint = diagnose_device(model, X)
    if hint:
        return hint
    last = _last_module(model)
    with torch.no_grad():
        outputs = model(X[:64])
    try:
        check_batch(outputs, y[:64], loss_fn)
    except ValueError as error:
        return str(error)
    if isinstance(loss_fn, (nn.NLLLoss, nn.KLDivLoss)):
        return diagnose_log_probabilities(outputs)
    return ending_problem(loss_fn, type(last).__name__ if last is not None else "")


def ending_problem(loss_fn, last_kind: str) -> str | None:
    """A hint when a classifier's last module (its type name) applies what ``loss_fn`` applies
    itself (a softmax or sigmoid in front of a loss on logits), else None."""
    if isinstance(loss_fn, nn.CrossEntropyLoss) and last_kind in ("Softmax", "LogSoftmax", "ReLU", "Sigmoid"):
        return f"CrossEntropyLoss applies log-softmax itself: remove the final {last_kind} and return raw logits"
    if isinstance(loss_fn, nn.BCEWithLogitsLoss) and last_kind == "Sigmoid":
        return "BCEWithLogitsLoss applies the sigmoid itself: remove the final nn.Sigmoid"
    return None


def is_close(a, b, rel: float = 1e-4, abs_tol: float = 1e-6) -> bool:
    """Scalar comparison that accepts tensors, arrays and floats."""
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs_tol)


__all__ = ["CheckFailed", "builds_on", "diagnose_own_code", "expect", "expect_no_problem",
           "self_check", "diagnose_device", "diagnose_scaling", "diagnose_log_probabilities",
           "diagnose_classifier", "ending_problem", "is_close"]
