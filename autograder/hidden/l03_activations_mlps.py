"""Trusted helpers for the hidden tests of lesson 3 (notebooks/03-activations-mlps).

They run in the grader, next to the hidden tests, and reach the student's kernel only through
``student`` (autograder/grading/trusted_tests.py): every judgment is made here, on values the kernel
returns. :class:`Kernel` wraps the few library calls a test needs to make *inside* the kernel
(type checks, a backward pass, training with ``course_utils.fit``) without any test code going
there.
"""
import functools

import numpy as np
import torch
from torch import nn

from autograder.grading.trusted_tests import StudentError, kind
from autograder.hidden.kernel import (
    Kernel as Kernel,  # the lesson's tests import it from here
)
from autograder.hidden.kernel import named_leaf_modules as leaf_modules
from course_utils.checks import ending_problem
from course_utils.datasets import load_digits_8x8
from course_utils.lessons.l03_activations_mlps import (
    AFFINE_HINT,
    OUTPUT_TASKS,
    affine_gap,
    output_head_problem,
)
from course_utils.lessons.l03_activations_mlps import (
    CHECKPOINT_KEYS as CHECKPOINT_KEYS,  # imported from here
)
from course_utils.training import check_batch


@functools.cache
def _digits():
    X, y = load_digits_8x8()
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def digits():
    """The 8x8 digits, loaded by the grader: X (1797, 64) float32 in [0, 1], y int64."""
    return _digits()


# -- exercise 2 ---------------------------------------------------------------------------------

def _as_output(value, x, what):
    if kind(value) != "Tensor":
        return None, f"{what} must return a torch tensor; got {kind(value)}"
    if value.shape != x.shape:
        return None, (f"{what} must return a tensor shaped like its input {tuple(x.shape)}; "
                      f"got {tuple(value.shape)}")
    return value.detach().float(), None


def head_scores(rng):
    """Raw scores for an output head: N samples, C outputs (N != C), increasing along each row,
    from below -4 to above 4."""
    n = int(rng.integers(5, 10))
    c = int(rng.choice([k for k in range(2, 6) if k != n]))
    values = np.sort(rng.uniform(-4.5, 4.5, n * c))
    values[0], values[-1] = -rng.uniform(4.5, 6.0), rng.uniform(4.5, 6.0)
    return torch.as_tensor(values, dtype=torch.float32).reshape(n, c)


def diagnose_output_head(kernel, task, head, scores):
    """``course_utils``' diagnose_output_head for a head that lives in the kernel, on ``scores``."""
    if task not in OUTPUT_TASKS:
        raise ValueError(f"unknown task {task!r}")
    if not kernel.is_instance(head, "Module"):
        return f"the head for {task!r} must be an nn.Module (e.g. nn.Identity()); got {kind(head)}"
    out, problem = _as_output(head(scores), scores, f"the head for {task!r}")
    return problem or output_head_problem(task, kind(head), out, scores)


def indices_of(part):
    """The sample numbers in one part of a split of ``TensorDataset(torch.arange(n))``."""
    return [int(item[0]) for item in part]


def split_sizes(n, fractions):
    """The part sizes ``random_split`` gives ``n`` samples for these fractions."""
    parts = torch.utils.data.random_split(range(n), list(fractions),
                                          generator=torch.Generator().manual_seed(0))
    return [len(part) for part in parts]


# -- exercise 5 ---------------------------------------------------------------------------------

def unused_layers_hint(kernel, model, inputs, targets):
    """``diagnose_unused_layers`` for a kernel model: one backward pass of CrossEntropyLoss in
    the kernel, then the names of the parameters that got no gradient, read back here."""
    scores = model(inputs)  # a forward pass that fails says so here, under the model's own name
    if kind(scores) != "Tensor":
        return f"the model must return a tensor of scores; got {kind(scores)}"
    model.zero_grad(set_to_none=True)
    outputs = kernel.later(model, inputs)
    loss = kernel.itertools.starmap(kernel.nn.CrossEntropyLoss(),
                                    kernel.itertools.zip_longest(outputs, [targets]))
    kernel.each(kernel.operator.methodcaller("backward"), loss)
    names = kernel.each(kernel.operator.itemgetter(0), kernel.items_of(model.named_parameters))
    flags = kernel.each(kernel.operator.attrgetter("requires_grad", "grad"),
                        kernel.items_of(model.parameters))
    model.zero_grad(set_to_none=True)
    unused = [name for name, (requires_grad, grad) in zip(names, flags) if requires_grad and grad is None]
    if unused:
        layers = sorted({name.rsplit(".", 1)[0] for name in unused})
        return (f"these layers are defined but never used in forward: {', '.join(layers)}. "
                "Pass the data through every layer, in order")
    return None


def classifier_hint(kernel, model, inputs, targets):
    """``diagnose_classifier`` with CrossEntropyLoss, for a kernel model."""
    outputs = model(inputs)
    if kind(outputs) != "Tensor":
        return f"the model must return a tensor of scores; got {kind(outputs)}"
    try:
        check_batch(outputs, torch.as_tensor(targets), nn.CrossEntropyLoss())
    except ValueError as error:
        return str(error)
    leaves = leaf_modules(model)
    return ending_problem(nn.CrossEntropyLoss(), kind(leaves[-1][1]) if leaves else "")


def train_in_kernel(kernel, model, train, val, *, lr, epochs, batch_size, seed):
    """Train a kernel model with the kernel's ``course_utils.fit`` (Adam, CrossEntropyLoss)."""
    optimizer = kernel.student.module("torch.optim").Adam(kernel.items_of(model.parameters), lr=lr)
    kernel.student.module("course_utils.training").fit(
        model, train, val, loss_fn=kernel.nn.CrossEntropyLoss(), optimizer=optimizer, epochs=epochs,
        batch_size=batch_size, seed=seed, progress=False, verbose=False)


def accuracy(kernel, model, images, labels):
    """Accuracy of a kernel model on ``images``: its outputs (evaluation mode, no gradients, from
    the kernel's ``predict_outputs``) are judged here."""
    outputs = kernel.student.module("course_utils.training").predict_outputs(model, images)
    labels = torch.as_tensor(labels)
    if kind(outputs) != "Tensor" or tuple(outputs.shape) != (len(labels), 10):
        raise StudentError(f"the model must return scores of shape ({len(labels)}, 10)")
    return float((outputs.argmax(dim=1) == labels).float().mean())


# -- exercise 6 ---------------------------------------------------------------------------------

def probe_network(rng):
    """A small classifier with dropout, as (the grader's copy, the architecture to build in the
    kernel): weights seeded from ``rng``, hidden width and dropout rate drawn from it."""
    width, p = int(rng.integers(12, 33)), float(rng.uniform(0.25, 0.5))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(rng.integers(2 ** 31)))
        network = nn.Sequential(nn.Flatten(), nn.Linear(64, width), nn.Dropout(p), nn.ReLU(),
                                nn.Linear(width, 10))
    return network, (width, p)


def build_probe(kernel, width, p, state_dict):
    """The same architecture in the kernel, with the grader's weights, on the kernel's device."""
    nn_k = kernel.nn
    probe = nn_k.Sequential(nn_k.Flatten(), nn_k.Linear(64, width), nn_k.Dropout(p), nn_k.ReLU(),
                            nn_k.Linear(width, 10))
    probe.load_state_dict(state_dict)
    probe.to(kernel.student.module("course_utils.settings").pick_device())
    return probe


def expected_probabilities(network, images):
    """The softmax of the grader's copy of the probe, in evaluation mode, without gradients."""
    network.eval()
    with torch.no_grad():
        return torch.softmax(network(images), dim=1)


# -- exercise 7 ---------------------------------------------------------------------------------

def conv_cases(rng):
    """Layers that fit their input: (size, kernel_size, stride, padding), the first with stride 1
    and an output of at least 8 positions."""
    def case(sizes, kernels, strides, paddings):
        while True:
            size, kernel = int(rng.integers(*sizes)), int(rng.integers(*kernels))
            stride, padding = int(rng.integers(*strides)), int(rng.integers(*paddings))
            if size + 2 * padding >= kernel:
                return size, kernel, stride, padding

    kernel = int(rng.integers(1, 6))
    return [
        case((16, 65), (3, 8), (1, 2), (0, 4)),
        case((9, 33), (2, 6), (2, 4), (0, 3)),
        case((5, 20), (3, 7), (1, 4), (2, 4)),
        (kernel, kernel, int(rng.integers(1, 4)), 0),  # the kernel exactly fits: one position
        case((5, 65), (1, 8), (1, 4), (0, 4)),
    ]


def conv_output_length(size, kernel, stride, padding):
    """What PyTorch's Conv2d gives (computed here, in the grader)."""
    layer = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding)
    with torch.no_grad():
        return int(layer(torch.zeros(1, 1, size, size)).shape[-1])


def pool_case(rng):
    kernel, stride = int(rng.integers(2, 4)), int(rng.integers(2, 4))
    size = int(rng.integers(kernel + 1, 30))
    with torch.no_grad():
        pooled = int(nn.MaxPool2d(kernel, stride=stride)(torch.zeros(1, 1, size, size)).shape[-1])
    return size, kernel, stride, pooled


def misfit_cases(rng):
    """Layers whose kernel does not fit: (size, kernel) and (size, kernel, stride, padding)."""
    size = int(rng.integers(1, 7))
    small = int(rng.integers(1, 5))
    padding = int(rng.integers(0, 3))
    return [(size, size + int(rng.integers(1, 4))),
            (small, small + 2 * padding + int(rng.integers(1, 3)), int(rng.integers(1, 3)), padding)]


def affine_hint(kernel, model, images_a, images_b, tolerance=1e-4):
    """``diagnose_affine`` for a kernel model: its outputs (evaluation mode, no gradients, from
    the kernel's ``predict_outputs``) at a, b and their midpoint are judged here."""
    predict_outputs = kernel.student.module("course_utils.training").predict_outputs
    outputs = [predict_outputs(model, x) for x in (images_a, images_b, (images_a + images_b) / 2)]
    if any(kind(o) != "Tensor" for o in outputs):
        return "the model must return a tensor of scores"
    return AFFINE_HINT if affine_gap(*outputs) < tolerance else None


# -- checkpoints --------------------------------------------------------------------------------

def checkpoint_probe(kernel, rng):
    """A small network and its Adam optimizer built in the kernel, with a batch drawn from rng,
    as (model, optimizer, (x, y), architecture); the weights come from the kernel's seeded init."""
    width = int(rng.integers(8, 24))
    x = torch.as_tensor(rng.normal(size=(int(rng.integers(24, 48)), 4)), dtype=torch.float32)
    y = torch.as_tensor(rng.normal(size=(len(x), 1)), dtype=torch.float32)
    return width, (x, y)


def build_trainee(kernel, width, seed, lr):
    kernel.torch.manual_seed(seed)
    nn_k = kernel.nn
    model = nn_k.Sequential(nn_k.Linear(4, width), nn_k.ReLU(), nn_k.Linear(width, 1))
    optimizer = kernel.student.module("torch.optim").Adam(kernel.items_of(model.parameters), lr=lr)
    return model, optimizer


def train_steps(kernel, model, optimizer, data, epochs, seed):
    """Full-batch training in the kernel with the kernel's ``course_utils.fit``."""
    x, y = data
    kernel.student.module("course_utils.training").fit(
        model, (x, y), loss_fn=kernel.nn.MSELoss(), optimizer=optimizer, epochs=epochs,
        batch_size=len(x), seed=seed, progress=False, verbose=False, keep_best=False)


def weights(model):
    """The model's state_dict, read back as plain tensors."""
    return {name: torch.as_tensor(value) for name, value in dict(model.state_dict()).items()}


def same_weights(a, b, atol=0.0):
    return a.keys() == b.keys() and all(torch.allclose(a[k].double(), b[k].double(), atol=atol, rtol=0)
                                        for k in a)


def optimizer_state(kernel, optimizer):
    """The optimizer's per-parameter state (step counts, running averages) and learning rates,
    read back as rounded plain numbers, to compare two optimizers."""
    state = optimizer.state_dict()
    if not isinstance(state, dict):
        return None
    per_parameter = []
    for key in sorted(state.get("state", {}), key=str):
        entry = state["state"][key]
        per_parameter.append((str(key), {name: torch.as_tensor(value).double().flatten().round(decimals=6).tolist()
                                         for name, value in sorted(entry.items())}))
    groups = [round(float(group.get("lr", 0.0)), 9) for group in state.get("param_groups", [])]
    return per_parameter, groups
