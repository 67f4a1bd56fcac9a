"""Diagnoses for the building blocks of an MLP: activation derivatives, output heads, and
layers that a model defines but never uses.

Each ``diagnose_*`` returns a targeted hint for a common mistake, or None when all is well;
self-check and hidden-test cells pass the hint to ``course_utils.checks.expect_no_problem``.
"""
import torch
from torch import nn

from .plots import ACTIVATIONS, activation_curves

OUTPUT_TASKS = ("regression", "positive_regression", "binary", "multiclass")


def _as_output(value, x, what):
    if not isinstance(value, torch.Tensor):
        return None, f"{what} must return a torch tensor; got {type(value).__name__}"
    if value.shape != x.shape:
        return None, (f"{what} must return a tensor shaped like its input {tuple(x.shape)}; "
                      f"got {tuple(value.shape)}")
    return value.detach().float(), None


def diagnose_derivative(name: str, derivative, x=None) -> str | None:
    """Compare ``derivative(x)`` with autograd's derivative of the activation ``name``."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    function = ACTIVATIONS[name]
    x = torch.linspace(-6, 6, 241) if x is None else torch.as_tensor(x, dtype=torch.float32)
    got, problem = _as_output(derivative(x.clone()), x, f"{name}_derivative")
    if problem:
        return problem
    _, expected = activation_curves(function, x)
    if name == "relu":  # the slope at exactly 0 is a convention (autograd uses 0): accept both
        keep = x != 0
        x, got, expected = x[keep], got[keep], expected[keep]
    if torch.allclose(got, expected, atol=1e-5):
        return None
    value = function(x)
    if torch.allclose(got, value, atol=1e-5):
        return (f"{name}_derivative returns the value of {name}(x), not its slope: "
                "differentiate the function")
    if name == "tanh" and torch.allclose(got, 1 - value, atol=1e-5):
        return "tanh_derivative: the slope is 1 minus the *square* of tanh(x)"
    if name == "sigmoid" and torch.allclose(got, value * (1 + value), atol=1e-5):
        return "sigmoid_derivative: the slope is sigmoid(x) times (1 - sigmoid(x))"
    worst = int(torch.argmax((got - expected).abs()))
    return (f"{name}_derivative({x[worst]:.2f}) gives {got[worst]:.4f}, but the slope of "
            f"{name} there is {expected[worst]:.4f}")


def diagnose_output_head(task: str, head) -> str | None:
    """Check that ``head`` (an nn.Module applied to raw scores) suits the ``task``."""
    if not isinstance(head, nn.Module):
        return f"the head for {task!r} must be an nn.Module (e.g. nn.Identity()); " \
               f"got {type(head).__name__}"
    scores = torch.linspace(-4, 4, 24).reshape(6, 4)  # 6 samples, 4 outputs: N != C on purpose
    with torch.no_grad():
        out, problem = _as_output(head(scores), scores, f"the head for {task!r}")
    if problem:
        return problem
    name = type(head).__name__
    if task == "regression":
        if not torch.allclose(out, scores):
            return (f"a regression output must be able to take any real value, but {name} "
                    "changes the scores: leave the linear output as it is (nn.Identity())")
    elif task == "positive_regression":
        if (out < 0).any():
            return f"{name} lets negative values through: use nn.Softplus() (or nn.ReLU())"
        if not torch.all(out[:, 1:] >= out[:, :-1]) or out.max() < 3.9:
            return (f"{name} squeezes large values into a bounded range; a positive quantity "
                    "has no upper bound: use nn.Softplus() (or nn.ReLU())")
    elif task == "binary":
        if (out <= 0).any() or (out >= 1).any():
            return (f"{name} gives values outside (0, 1), which are not probabilities "
                    "(ReLU and softplus outputs can exceed 1): use nn.Sigmoid()")
        if not torch.allclose(out, torch.sigmoid(scores), atol=1e-6):
            return f"{name} is not the logistic function: use nn.Sigmoid()"
    elif task == "multiclass":
        if (out < 0).any():
            return f"{name} gives negative values, which cannot be probabilities: use nn.Softmax(dim=1)"
        if torch.allclose(out.sum(dim=0), torch.ones(out.shape[1]), atol=1e-5):
            return "the probabilities sum to 1 down each column (over the batch): use dim=1"
        if not torch.allclose(out.sum(dim=1), torch.ones(len(out)), atol=1e-5):
            return (f"the outputs of {name} do not sum to 1 over the classes, so they are not a "
                    "probability distribution: use nn.Softmax(dim=1)")
    else:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(OUTPUT_TASKS)}")
    return None


def diagnose_unused_layers(model: nn.Module, inputs, targets, loss_fn) -> str | None:
    """A hint naming the parameters that receive no gradient: layers created in ``__init__``
    that ``forward`` never uses (or uses with their output thrown away)."""
    model.zero_grad(set_to_none=True)
    loss_fn(model(inputs), targets).backward()
    unused = [name for name, p in model.named_parameters() if p.requires_grad and p.grad is None]
    model.zero_grad(set_to_none=True)
    if unused:
        layers = sorted({name.rsplit(".", 1)[0] for name in unused})
        return (f"these layers are defined but never used in forward: {', '.join(layers)}. "
                "Pass the data through every layer, in order")
    return None
