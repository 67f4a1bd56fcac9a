"""Lesson 2's checks of the networks students build and train (Exercises 3, 9 and 11), written once.

Each check reads a model through a *view* that answers a few questions (is it a module, the
Linear layers' shapes, the kinds of its leaf modules, what its activations compute, its outputs
for some inputs). The self-checks use :class:`LocalNetwork`, a model in this process; the grader
uses a view of the same shape on a model in the student's kernel
(``autograder/hidden/l02_pytorch_workflow.py``), so the verdicts and hints come from the same
code on both sides.
"""
import torch
from torch import nn

from ..checks import ending_problem
from ..training import History, check_batch

RELU_PROBE = torch.linspace(-3.0, 3.0, 13)
PASS_THROUGH = ("Dropout", "Flatten", "Identity")


class LocalNetwork:
    """The self-checks' view of a model in this process."""

    def __init__(self, model):
        self.model = model

    def is_module(self):
        return isinstance(self.model, nn.Module)

    def linear_shapes(self):
        return [(m.in_features, m.out_features) for m in self.model.modules() if isinstance(m, nn.Linear)]

    def leaf_kinds(self):
        return [type(m).__name__ for m in self.model.modules() if not list(m.children())]

    def activations(self):
        return module_activations(self.model)

    def n_parameters(self):
        return sum(p.numel() for p in self.model.parameters())

    def outputs(self, x):
        with torch.no_grad():
            return self.model(x).detach().float()


def module_activations(model):
    """(type name, output for :data:`RELU_PROBE` or None) of ``model``'s leaf modules without
    parameters (see :func:`relu_layers_problem`)."""
    found = []
    for module in model.modules():
        if list(module.children()) or list(module.parameters(recurse=False)):
            continue
        try:
            with torch.no_grad():
                found.append((type(module).__name__, module(RELU_PROBE.clone())))
        except Exception:  # noqa: BLE001 - a module that cannot take a 1-D tensor computes no ReLU
            found.append((type(module).__name__, None))
    return found


def affine_inputs(generator, n, in_features):
    """Two batches of random inputs for :func:`is_affine`, drawn from a torch Generator."""
    return torch.randn(n, in_features, generator=generator), torch.randn(n, in_features, generator=generator)


def is_affine(view, inputs):
    """True when the network maps the midpoint of two inputs to the midpoint of their outputs,
    as any linear (affine) map does."""
    a, b = inputs
    return torch.allclose(view.outputs((a + b) / 2), (view.outputs(a) + view.outputs(b)) / 2, atol=1e-5)


def relu_layers_problem(activations, n_hidden):
    """A hint when the network's activation layers do not compute ReLU, else None.

    ``activations``: (type name, its output for :data:`RELU_PROBE` or None) of every leaf module
    without parameters, in order; what each computes decides, not its name."""
    relus = 0
    for kind, output in activations:
        if output is not None and torch.allclose(torch.as_tensor(output).float(), torch.relu(RELU_PROBE)):
            relus += 1
        elif kind not in PASS_THROUGH:
            return (f"{kind} does not compute ReLU: this exercise asks for nn.ReLU() after every "
                    "hidden nn.Linear")
    if relus < n_hidden:
        return f"put an nn.ReLU() after every hidden nn.Linear (found {relus} for {n_hidden} hidden layers)"
    return None


def linear_model_problem(view, in_features, hidden_features, out_features, inputs):
    """Exercise 3: two Linear layers in -> hidden -> out and nothing nonlinear."""
    if not view.is_module():
        return "return an nn.Module (a subclass or nn.Sequential)"
    shapes = view.linear_shapes()
    if len(shapes) != 2:
        return f"use exactly two nn.Linear layers (found {len(shapes)})"
    if shapes != [(in_features, hidden_features), (hidden_features, out_features)]:
        return "the layers must go in_features -> hidden_features -> out_features"
    a, b, c = in_features, hidden_features, out_features
    if view.n_parameters() != a * b + b + b * c + c:
        return "only the two linear layers (with biases) have weights"
    if tuple(view.outputs(torch.zeros(5, in_features)).shape) != (5, out_features):
        return "the output must have shape (N, out_features)"
    if not is_affine(view, inputs):
        return "no activation (and no sigmoid) between or after the layers in this exercise: that is the point"
    return None


def relu_mlp_problem(view, in_features, hidden_features, out_features, inputs):
    """Exercise 9: Linear layers of the given widths with a ReLU after each hidden one, raw
    logits at the end. ``inputs``: two pairs of random input batches (see :func:`is_affine`)."""
    if not view.is_module():
        return "return an nn.Module (nn.Sequential or a subclass)"
    widths = [out for _, out in view.linear_shapes()]
    expected = list(hidden_features) + [out_features]
    if widths != expected or view.linear_shapes()[0][0] != in_features:
        return f"expected linear layers of widths {expected} after {in_features} inputs; got {widths}"
    kinds = view.leaf_kinds()
    if kinds[-1] != "Linear":
        return (f"the model ends in {kinds[-1]}: end with the last nn.Linear and return "
                "raw logits (the loss applies the sigmoid or softmax itself)")
    if kinds.count("ReLU") < len(hidden_features) and is_affine(view, inputs[0]):
        return "put an nn.ReLU() after every hidden nn.Linear: without it the network stays linear"
    problem = relu_layers_problem(view.activations(), len(hidden_features))
    if problem:
        return problem
    if tuple(view.outputs(torch.zeros(3, in_features)).shape) != (3, out_features):
        return "the output must have shape (N, out_features)"
    if is_affine(view, inputs[1]):
        return "the network is still linear: put an activation after every hidden layer"
    return None


def training_problem(is_history, type_name, history, epochs):
    """Exercises 8 and 11: the History that ``fit`` (or the student's loop) returns."""
    if not is_history:
        return f"return the History that fit returns (got {type_name})"
    if len(history) != epochs:
        return f"train for `epochs` epochs: the history has {len(history)} instead of {epochs}"
    if not history.val_loss:
        return "pass the test data to fit as the validation data, so test metrics are recorded every epoch"
    if history.train_acc[-1] is None:
        return "no accuracy was recorded: the loss does not fit the labels (see the table of losses)"
    return None


def classifier_problem(view, X, y, loss_fn):
    """A hint when the network's outputs do not fit ``loss_fn`` (shapes, target format, an
    activation the loss applies itself), else None."""
    try:
        check_batch(view.outputs(X[:64]), y[:64], loss_fn)
    except ValueError as error:
        return str(error)
    kinds = view.leaf_kinds()
    return ending_problem(loss_fn, kinds[-1] if kinds else "")


def multiclass_problem(view, X_test, y_test, n_classes):
    """Exercise 11, after the training checks: (N, C) logits fit for CrossEntropyLoss."""
    shape = tuple(view.outputs(X_test[:5]).shape)
    if shape != (5, n_classes):
        return f"the model must output one logit per class: shape (N, {n_classes}), got {shape}"
    return classifier_problem(view, X_test, y_test, nn.CrossEntropyLoss())


# The self-checks, in the student's kernel.

def diagnose_linear_model(build, in_features=2, hidden_features=10, out_features=1):
    generator = torch.Generator().manual_seed(0)
    return linear_model_problem(LocalNetwork(build(in_features, hidden_features, out_features)),
                                in_features, hidden_features, out_features,
                                affine_inputs(generator, 16, in_features))


def diagnose_relu_mlp(build, in_features, hidden_features, out_features):
    generator = torch.Generator().manual_seed(0)
    return relu_mlp_problem(LocalNetwork(build(in_features, hidden_features, out_features)),
                            in_features, hidden_features, out_features,
                            [affine_inputs(generator, 16, in_features) for _ in range(2)])


def diagnose_multiclass(train, X_train, y_train, X_test, y_test, n_classes, epochs, device=None):
    result = train(X_train, y_train, X_test, y_test, n_classes=n_classes, epochs=epochs, device=device)
    if not (isinstance(result, tuple) and len(result) == 2):
        return "return a pair (model, history)"
    model, history = result
    problem = training_problem(isinstance(history, History), type(history).__name__, history, epochs)
    if problem:
        return problem
    model = model.to("cpu")
    return multiclass_problem(LocalNetwork(model), X_test.cpu(), y_test.cpu(), n_classes)
