"""Follow a tensor through a model layer by layer: output shapes and parameter counts."""
import pandas as pd
import torch
from torch import nn


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
