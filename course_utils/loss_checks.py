"""Hints for the classic mismatches between a loss function and a model's output layer.

Each ``diagnose_*`` helper returns a short hint for the first problem it finds, or None.
"""
import torch
from torch import nn

from .checks import diagnose_log_probabilities

REGRESSION_LOSSES = (nn.MSELoss, nn.L1Loss, nn.HuberLoss, nn.SmoothL1Loss)
LOG_PROBABILITY_LOSSES = (nn.NLLLoss, nn.KLDivLoss)
_SQUASHING = (nn.Softmax, nn.LogSoftmax, nn.Sigmoid, nn.ReLU)


def leaf_modules(model: nn.Module) -> list:
    """The model's modules without children, in order (Linear, ReLU, ...)."""
    return [m for m in model.modules() if not list(m.children())]


def _dim_hint(head):
    if isinstance(head, (nn.Softmax, nn.LogSoftmax)) and head.dim not in (1, -1):
        return (f"{type(head).__name__}(dim={head.dim}) does not normalize over the classes: "
                "use dim=1, the class axis of (N, C) outputs")
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
    if outputs.dim() != 2:
        return ("the model should output one row of class scores per sample; got shape "
                f"{tuple(outputs.shape)}")
    leaves = leaf_modules(model)
    if leaves and _dim_hint(leaves[-1]):
        return _dim_hint(leaves[-1])
    hint = diagnose_log_probabilities(outputs)
    if hint:
        return hint
    if len(leaves) >= 2 and isinstance(leaves[-2], nn.ReLU):
        return ("remove the ReLU before the LogSoftmax: it turns every negative class score into "
                "0, so the model cannot say 'unlikely' with a negative score")
    return None


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


def diagnose_handwritten_loss(my_loss, reference, name, formula, seed=0,
                              shapes=((5,), (4, 1), (3, 2))) -> str | None:
    """A hint when ``my_loss(predictions, targets)`` differs from the ``reference`` torch
    function, cannot be backpropagated, or accepts predictions and targets of different shapes.

    ``formula`` is a short reminder added to a wrong-value hint, e.g. "mean of |p - t|".
    """
    generator = torch.Generator().manual_seed(seed)
    for shape in shapes:
        predictions = torch.randn(shape, generator=generator).requires_grad_()
        targets = torch.randn(shape, generator=generator)
        try:
            mine = my_loss(predictions, targets)
        except NotImplementedError:
            raise
        except Exception as error:  # noqa: BLE001 - report the student's crash as a hint
            return f"{name} raised {type(error).__name__}: {error} for inputs of shape {shape}"
        if not torch.is_tensor(mine):
            return (f"{name} must return a torch tensor (so the loss can be backpropagated); "
                    f"got {type(mine).__name__}")
        if mine.dim() != 0:
            return (f"{name} must return one number, a 0-dimensional tensor; got shape "
                    f"{tuple(mine.shape)}: average over all elements")
        expected = reference(predictions, targets).detach()
        value = mine.detach().float()
        if not torch.isclose(value, expected, rtol=1e-4, atol=1e-6):
            return (f"{name} gave {float(value):.4f} where PyTorch gives {float(expected):.4f} "
                    f"for inputs of shape {shape}: compute the {formula}")
        if not mine.requires_grad:
            return (f"{name} lost the gradient: keep every step in torch operations (no .item(), "
                    "NumPy or Python floats)")
    if not raises_error(ValueError, my_loss, torch.zeros(4, 1), torch.zeros(4)):
        return (f"{name}(predictions of shape (4, 1), targets of shape (4,)) must raise "
                "ValueError: broadcasting would silently compare every prediction with every "
                "target, a (4, 4) table of errors")
    return None


def diagnose_kept_layers(original: nn.Module, repaired: nn.Module) -> str | None:
    """A hint when ``repaired`` dropped or replaced the Linear layers of ``original``."""
    kept = {id(m) for m in repaired.modules()}
    linears = [m for m in original.modules() if isinstance(m, nn.Linear)]
    if not all(id(m) in kept for m in linears):
        return ("keep the layers of the model you were given (their weights may already be "
                "trained): reuse them, e.g. list(model.children()), and only change the output "
                "activation")
    return None


__all__ = ["diagnose_handwritten_loss", "diagnose_kept_layers", "diagnose_log_probability_model",
           "diagnose_loss_pairing", "leaf_modules", "raises_error"]
