"""Activation functions and their derivatives (from autograd), drawn side by side."""
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from .figures import as_numpy, finish_figure

ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": F.leaky_relu,
    "elu": F.elu,
    "gelu": F.gelu,
    "softplus": F.softplus,
    "silu": F.silu,
    "identity": lambda x: x,
}


def _activation(function):
    """(name, callable) for a name from ACTIVATIONS, a torch function or an nn.Module."""
    if isinstance(function, str):
        if function not in ACTIVATIONS:
            raise ValueError(f"unknown activation {function!r}; choose one of {sorted(ACTIVATIONS)}"
                             " or pass a callable")
        return function, ACTIVATIONS[function]
    if not callable(function):
        raise TypeError(f"an activation must be a name or a callable; got {function!r}")
    name = function.__class__.__name__ if isinstance(function, torch.nn.Module) \
        else getattr(function, "__name__", repr(function))
    return name, function


def activation_curves(function, x):
    """(values, derivative) of an elementwise ``function`` at ``x``; the derivative comes from
    autograd, so it is the one backpropagation uses."""
    x = x.detach().clone().requires_grad_(True)
    y = function(x)
    if not isinstance(y, torch.Tensor) or y.shape != x.shape:
        raise ValueError("an activation must map a tensor to a tensor of the same shape")
    if not y.requires_grad:
        raise ValueError("autograd cannot differentiate this activation (does it leave torch?)")
    (grad,) = torch.autograd.grad(y.sum(), x)
    return y.detach(), grad


def plot_activations(functions=("sigmoid", "tanh", "relu"), x=None, derivatives=True, show=True):
    """Activation functions and, with ``derivatives``, their derivatives side by side."""
    if isinstance(functions, (str, torch.nn.Module)) or callable(functions):
        functions = (functions,)
    x = torch.linspace(-5, 5, 501) if x is None \
        else torch.as_tensor(as_numpy(x), dtype=torch.float32)
    if x.dim() != 1:
        raise ValueError(f"x must be one-dimensional; got shape {tuple(x.shape)}")
    fig, axes = plt.subplots(1, 2 if derivatives else 1, figsize=(10 if derivatives else 5.5, 4),
                             squeeze=False)
    axes = axes[0]
    for function in functions:
        name, fn = _activation(function)
        values, grad = activation_curves(fn, x)
        axes[0].plot(x.numpy(), values.numpy(), label=name)
        if derivatives:
            axes[1].plot(x.numpy(), grad.numpy(), label=name)
    axes[0].set_title("Activation functions")
    if derivatives:
        axes[1].set_title("Derivatives (autograd)")
    for ax in axes:
        ax.set_xlabel("x")
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return finish_figure(fig, show)
