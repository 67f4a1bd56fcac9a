"""Lesson 5's checks of the network students write (``CNN``), written once.

Each check reads a model through a *view* with a few questions (how many layers of a kind, the
Linear shapes, the outputs for some images in evaluation or training mode, ...). The
self-checks use :class:`LocalModel`, a model in this process; the grader uses a view of the same
shape on a model in the student's kernel (``autograder/hidden/l05_mnist.py``). The verdicts and
hints therefore come from the same code on both sides. The behaviour checks (no affine map, every
layer reaches the output) work on values and serve both sides too.
"""
import math

import torch
from torch import nn

CLASSIFIER_ENDINGS = ("Softmax", "LogSoftmax", "Sigmoid", "ReLU")
MAX_CNN_PARAMETERS = 1_000_000


# Behaviour, judged on values.

def unused_layers_problem(layers):
    """A hint when a layer with weights never reaches the output, else None.

    ``layers``: (name, type name, reached) for each leaf layer with a weight, where ``reached``
    says whether a backward pass from the outputs gave that weight a nonzero gradient."""
    unused = [f"{name} ({kind})" for name, kind, reached in layers if not reached]
    if unused:
        return (f"{', '.join(unused)} never reach{'es' if len(unused) == 1 else ''} the output: "
                "forward must pass the images through every layer the network defines")
    return None


def reach_weights(shape):
    """Unequal weights for the outputs whose gradients :func:`layer_reach` follows (a plain sum
    of softmax rows is constant: it would reach nothing)."""
    shape = tuple(int(n) for n in shape)
    return torch.linspace(1.0, 2.0, math.prod(shape)).reshape(shape)


def layer_reach(model, images):
    """(name, type name, reached) for each leaf layer of ``model`` with a weight (see
    :func:`unused_layers_problem`)."""
    model.zero_grad(set_to_none=True)
    outputs = model(images)
    (outputs * reach_weights(outputs.shape)).sum().backward()
    return [(name, type(module).__name__, module.weight.grad is not None and bool(module.weight.grad.abs().sum() > 0))
            for name, module in model.named_modules()
            if not list(module.children()) and isinstance(getattr(module, "weight", None), torch.Tensor)]


def affine_problem(first, second, mixed, weight):
    """A hint when the network's outputs are an affine function of its inputs (no nonlinearity
    at work), else None: ``mixed`` = f(weight * x1 + (1 - weight) * x2), ``first`` = f(x1),
    ``second`` = f(x2)."""
    if torch.allclose(mixed.float(), weight * first.float() + (1 - weight) * second.float(), rtol=1e-4, atol=1e-5):
        return ("the network computes an affine map of its input (mixing two images mixes the outputs "
                "the same way): put nn.ReLU() after each hidden layer")
    return None


def behaviour_problem(model, images):
    """The behaviour checks of a classifier in evaluation mode: no affine map, every layer used."""
    model.eval()
    with torch.no_grad():
        first, second = model(images[:1]), model(images[1:2])
        mixed = model(0.3 * images[:1] + 0.7 * images[1:2])
    return affine_problem(first, second, mixed, 0.3) or unused_layers_problem(layer_reach(model, images))


# A model in this process, as the checks below read it.

class LocalModel:
    """The self-checks' view of a model (the grader's reads one in the kernel the same way)."""

    def __init__(self, model):
        self.model = model

    def is_module(self):
        return isinstance(self.model, nn.Module)

    def count(self, class_name):
        return sum(isinstance(m, getattr(nn, class_name)) for m in self.model.modules())

    def n_parameters(self):
        return sum(p.numel() for p in self.model.parameters())

    def last_layer_ending(self, kinds):
        """The type name of the model's last leaf module when it is one of ``kinds``, else None."""
        leaves = [m for m in self.model.modules() if not list(m.children())]
        if leaves and isinstance(leaves[-1], tuple(getattr(nn, kind) for kind in kinds)):
            return type(leaves[-1]).__name__
        return None

    def outputs(self, images, training=False):
        """The outputs for ``images`` without gradients; raises what forward raised."""
        self.model.train(training)
        with torch.no_grad():
            return self.model(images)

    def behaviour_problem(self, images):
        return behaviour_problem(self.model, images)


# The checks, on a view.

def forward_problem(view, images, times, flatten_hint):
    """(the outputs of ``times`` calls in evaluation mode, None) or (None, the hint for what the
    forward pass raised)."""
    try:
        return [view.outputs(images) for _ in range(times)], None
    except RuntimeError as error:
        message = str(error)
        if "shapes cannot be multiplied" in message:
            return None, f"a Linear layer got the wrong number of inputs ({message}): {flatten_hint}"
        return None, f"the forward pass failed: {message}"


def shape_problem(out, n):
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (n, 10):
        return (f"for input ({n}, 1, 28, 28) the output must have shape ({n}, 10), "
                f"got {tuple(getattr(out, 'shape', ()))}")
    return None


def logits_problem(view, out):
    """A hint when a classifier ends in a softmax-like layer or returns probabilities."""
    ending = view.last_layer_ending(CLASSIFIER_ENDINGS)
    if ending:
        return (f"remove the final {ending}: the network must return raw logits, "
                "CrossEntropyLoss applies the softmax itself")
    out, n = out.float(), len(out)
    if torch.allclose(out.exp().sum(dim=1), torch.ones(n), atol=1e-4) or \
            torch.allclose(out.sum(dim=1), torch.ones(n), atol=1e-4):
        return "the outputs look like probabilities: return raw logits, CrossEntropyLoss applies the softmax itself"
    return None


def cnn_problem(view, images):
    """Exercise 4's hint for a CNN (``view``) on a few standardized digits, or None."""
    if not view.is_module():
        return "CNN must be a subclass of nn.Module"
    n_conv = view.count("Conv2d")
    if n_conv < 2:
        return f"use at least two nn.Conv2d layers (found {n_conv})"
    n_params = view.n_parameters()
    if n_params >= MAX_CNN_PARAMETERS:
        return f"the network has {n_params:,} parameters; stay below {MAX_CNN_PARAMETERS:,}"
    outputs, problem = forward_problem(view, images, 1, "flatten the feature maps with nn.Flatten() and give "
                                                        "the first Linear channels x height x width inputs")
    return problem or shape_problem(outputs[0], len(images)) or logits_problem(view, outputs[0]) \
        or view.behaviour_problem(images)


def cnn_hint(make_model, images, seed=0):
    """The self-check of exercise 4: :func:`cnn_problem` on a model built with ``seed``."""
    torch.manual_seed(seed)
    return cnn_problem(LocalModel(make_model()), images)
