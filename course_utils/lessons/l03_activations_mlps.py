"""Lesson 3, activation functions and MLPs: hints for activation derivatives, output heads,
unused layers and hand-written checkpoints; and the shapes a tensor takes through a model, layer
by layer (the classifier comparison and regression fits are in ``l03_comparison``).

Each ``diagnose_*`` returns a targeted hint for a common mistake, or None when all is well;
self-check and hidden-test cells pass the hint to ``course_utils.checks.expect_no_problem``.
"""

import pandas as pd
import torch
from torch import nn

from ..plots import ACTIVATIONS, activation_curves

# Building blocks of an MLP.

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


def output_head_problem(task: str, name: str, out, scores) -> str | None:
    """The hint for a head of type ``name`` whose outputs for ``scores`` are ``out`` (both
    tensors of one shape, scores increasing along each row up to about 4), or None when the
    head suits ``task``. The self-check and the grader both decide with this function."""
    if task == "regression":
        if not torch.allclose(out, scores):
            return (f"a regression output must be able to take any real value, but {name} "
                    "changes the scores: leave the linear output as it is (nn.Identity())")
    elif task == "positive_regression":
        if (out < 0).any():
            return f"{name} lets negative values through: use nn.Softplus() (or nn.ReLU())"
        if not torch.all(out[:, 1:] >= out[:, :-1]) or out.max() < 0.97 * scores.max():
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


def diagnose_output_head(task: str, head) -> str | None:
    """Check that ``head`` (an nn.Module applied to raw scores) suits the ``task``."""
    if not isinstance(head, nn.Module):
        return f"the head for {task!r} must be an nn.Module (e.g. nn.Identity()); " \
               f"got {type(head).__name__}"
    scores = torch.linspace(-4, 4, 24).reshape(6, 4)  # 6 samples, 4 outputs: N != C on purpose
    with torch.no_grad():
        out, problem = _as_output(head(scores), scores, f"the head for {task!r}")
    return problem or output_head_problem(task, type(head).__name__, out, scores)


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


AFFINE_HINT = ("DigitsMLP computes an affine map (the output at the midpoint of two images is the "
               "midpoint of their outputs): without an activation such as ReLU between the Linear "
               "layers, the stacked layers collapse into a single linear layer. Put nn.ReLU() "
               "after each hidden Linear layer")


def affine_gap(outputs_a, outputs_b, outputs_mid) -> float:
    """How far f((a + b) / 2) is from (f(a) + f(b)) / 2, relative to how far f(a) is from f(b):
    about 1e-7 for an affine map (round-off), far larger once a nonlinearity acts."""
    outputs_a, outputs_b, outputs_mid = (torch.as_tensor(t).detach().double()
                                         for t in (outputs_a, outputs_b, outputs_mid))
    gap = (outputs_mid - (outputs_a + outputs_b) / 2).norm()
    spread = (outputs_a - outputs_b).norm()
    return float(gap / spread) if spread > 0 else 0.0


def diagnose_affine(model: nn.Module, images_a, images_b, tolerance=1e-4) -> str | None:
    """A hint when ``model`` (in evaluation mode) is an affine map of its input: a "deep"
    network without activations between its layers."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        outputs = [model(x) for x in (images_a, images_b, (images_a + images_b) / 2)]
    model.train(was_training)
    return AFFINE_HINT if affine_gap(*outputs) < tolerance else None


# Checkpoints written by hand.

CHECKPOINT_KEYS = ("model", "optimizer", "epoch")


def _probe_training(seed):
    """A small regression network, its Adam optimizer and a fixed batch to train on."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(32, 5, generator=generator)
    y = torch.randn(32, 1, generator=generator)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        network = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 1))
    return network, torch.optim.Adam(network.parameters(), lr=0.01), x, y


def _steps(network, optimizer, x, y, n):
    for _ in range(n):
        optimizer.zero_grad()
        nn.functional.mse_loss(network(x), y).backward()
        optimizer.step()


def diagnose_checkpoint(save_checkpoint, load_checkpoint, path, seed=0) -> str | None:
    """A hint when ``save_checkpoint(path, model, optimizer, epoch)`` and
    ``load_checkpoint(path, model, optimizer) -> epoch`` do not let training resume exactly."""
    network, optimizer, x, y = _probe_training(seed)
    _steps(network, optimizer, x, y, 3)
    epoch = 3 + seed
    save_checkpoint(path, network, optimizer, epoch)
    try:
        saved = torch.load(path, weights_only=True)
    except Exception:  # noqa: BLE001 - a pickled model object, or no file at all
        return ("the checkpoint could not be read back as plain tensors: save a dict of "
                "state_dicts with torch.save({'model': model.state_dict(), 'optimizer': "
                "optimizer.state_dict(), 'epoch': epoch}, path), not the model object")
    missing = [key for key in CHECKPOINT_KEYS if not isinstance(saved, dict) or key not in saved]
    if missing:
        what = " and ".join(f"'{key}'" for key in missing)
        return (f"the checkpoint has no {what} entry: it must hold the model's state_dict, the "
                "optimizer's state (Adam's running averages) and the epoch")
    fresh, fresh_optimizer, _, _ = _probe_training(seed + 1)  # other initial weights
    resumed_epoch = load_checkpoint(path, fresh, fresh_optimizer)
    if resumed_epoch != epoch:
        return f"load_checkpoint should return the saved epoch ({epoch}); got {resumed_epoch!r}"
    if not all(torch.equal(a, b) for a, b in zip(network.state_dict().values(),
                                                 fresh.state_dict().values())):
        return "the weights were not restored: call model.load_state_dict(checkpoint['model'])"
    _steps(network, optimizer, x, y, 2)
    _steps(fresh, fresh_optimizer, x, y, 2)
    if not all(torch.allclose(a, b, atol=1e-6) for a, b in zip(network.state_dict().values(),
                                                               fresh.state_dict().values())):
        return ("resumed training differs from uninterrupted training: restore the optimizer's "
                "state too, optimizer.load_state_dict(checkpoint['optimizer'])")
    return None


# Shapes through a model.

class ShapeMismatchError(ValueError):
    """An input that does not fit one of the model's layers."""


def _leaf_modules(model):
    return [(name, module) for name, module in model.named_modules()
            if not list(module.children())]


def _describe(module):
    """A short description of a layer, e.g. ``Conv2d(1, 6, kernel_size=(5, 5), ...)``."""
    return f"{type(module).__name__}({module.extra_repr()})"


def layer_shapes(model: nn.Module, input_shape) -> pd.DataFrame:
    """Run one zero sample of ``input_shape`` (without the batch dimension) through ``model``
    and return a table with each layer's output shape and number of parameters.

    A shape that does not fit a layer raises :class:`ShapeMismatchError` naming that layer and
    the shape it received, instead of a bare PyTorch error from deep inside the model.
    """
    shape = tuple(int(s) for s in input_shape)
    if not shape or any(s < 1 for s in shape):
        raise ValueError(f"input_shape must be positive sizes without the batch dimension, "
                         f"e.g. (1, 28, 28); got {input_shape!r}")
    rows, current = [], {}

    def before(module, inputs):
        current["layer"] = module
        current["shape"] = tuple(inputs[0].shape) if inputs else None

    def after(module, inputs, output):
        name = names[module]
        current.update(layer=None, finished=name, shape=tuple(output.shape))
        n_params = sum(p.numel() for p in module.parameters(recurse=False))
        rows.append({"layer": name, "type": _describe(module),
                     "output shape": tuple(output.shape), "parameters": n_params})

    leaves = _leaf_modules(model)
    if not leaves:
        raise ValueError("the model has no layers to follow")
    names = {module: name for name, module in leaves}
    handles = [m.register_forward_pre_hook(before) for _, m in leaves]
    handles += [m.register_forward_hook(after) for _, m in leaves]
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros((1, *shape), device=device))
    except RuntimeError as error:
        layer = current.get("layer")
        if layer is not None:
            where = f"layer '{names[layer]}' ({_describe(layer)}), which received"
        elif "finished" in current:  # failed in the model's own forward code between layers
            where = f"the model's forward code after layer '{current['finished']}', which output"
        else:
            where = "the model's forward code before its first layer"
        received = f" {current['shape']}" if "shape" in current else ""
        raise ShapeMismatchError(f"an input of shape {(1, *shape)} does not fit {where}"
                                 f"{received}: {error}") from None
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    table = pd.DataFrame(rows, columns=["layer", "type", "output shape", "parameters"])
    table.index = pd.RangeIndex(1, len(table) + 1, name="step")
    return table
