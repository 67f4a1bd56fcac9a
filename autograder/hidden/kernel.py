"""The one vocabulary hidden tests use to reach the student's kernel (every lesson's helpers).

A call through ``student`` (:class:`autograder.grading.trusted_tests.Student`) sends plain
results back as copies; these helpers keep what must stay in the kernel there (a model's own
parameters, an optimizer over them, intermediate results) and look at remote models.
"""
import torch

from autograder.grading.trusted_tests import Remote, StudentError, TestFailed, call_for_handle, kind


class Kernel:
    """Library code in the student's kernel, reached by name through ``student``.

    A call through ``student`` sends plain results (tensors, numbers) back as copies. To chain
    calls on kernel objects (a model's own parameters, the loss tensor a backward pass needs)
    the intermediate results must stay in the kernel: :meth:`later` and :meth:`items_of` build
    lazy kernel-side iterators (``itertools.starmap``) that are consumed only there.
    """

    def __init__(self, student):
        self.student = student
        self.builtins = student.module("builtins")
        self.itertools = student.module("itertools")
        self.operator = student.module("operator")
        self.torch = student.module("torch")
        self.nn = student.module("torch.nn")

    def later(self, function, *args):
        """A kernel-side iterator yielding ``function(*args)`` once, computed when consumed."""
        return self.itertools.starmap(function, [args])

    def items_of(self, function, *args):
        """A kernel-side iterator over the items of ``function(*args)`` (e.g. ``model.parameters``)."""
        return self.itertools.chain.from_iterable(self.later(function, *args))

    def each(self, function, iterable):
        """``[function(item) for item in iterable]``, computed in the kernel."""
        return self.builtins.map(function, iterable)

    def hold(self, value):
        """A kernel-side container holding ``value``: ``holder[0]`` reads it back later."""
        return self.student.module("collections").deque([value])

    def is_instance(self, value, *class_names, module="torch.nn"):
        """Whether a kernel object is an instance of one of ``module``'s classes ``class_names``."""
        if not isinstance(value, Remote):
            return False
        classes = tuple(getattr(self.student.module(module), name) for name in class_names)
        return bool(self.builtins.isinstance(value, classes))

    def n_parameters(self, model):
        return int(sum(self.each(self.operator.methodcaller("numel"), self.items_of(model.parameters))))


class KernelTypes:
    """``isinstance`` against library classes, asked of the student's kernel.

    The answer is a fact about the student's object (like :func:`kind`, but subclasses count),
    not a verdict; the classes are found with ``student.module``, never by the student's names.
    """

    def __init__(self, student):
        self.student = student
        self._classes = {}
        self._isinstance = None

    def _class(self, dotted):
        if dotted not in self._classes:
            module, _, name = dotted.rpartition(".")
            self._classes[dotted] = getattr(self.student.module(module), name)
        return self._classes[dotted]

    def isinstance(self, value, dotted):
        """True when ``value`` (a remote handle) is an instance of the class ``dotted``."""
        if not isinstance(value, Remote):
            return False
        if self._isinstance is None:
            self._isinstance = self.student.module("builtins").isinstance
        return self._isinstance(value, self._class(dotted)) is True


def kernel_parameters(model):
    """``model.parameters()`` kept in the kernel (a handle), to build an optimizer there over
    the student's own tensors (a plain call would bring copies of them here)."""
    return call_for_handle(model.parameters)


def kernel_optimizer(student, name, model, **options):
    """``torch.optim.<name>(model.parameters(), **options)`` built in the kernel over the remote
    model's own parameters (kept there as a handle, not copied here)."""
    return getattr(student.module("torch.optim"), name)(kernel_parameters(model), **options)


def kernel_adam(student, model, lr):
    """A ``torch.optim.Adam`` built in the kernel on the parameters of the remote ``model``."""
    return kernel_optimizer(student, "Adam", model, lr=lr)


def state_of(model):
    """The remote model's state dict, as tensors here."""
    return {key: torch.as_tensor(value).clone() for key, value in model.state_dict().items()}


# -- models, seen from the grader ----------------------------------------------------------------

def modules(model):
    """``list(model.modules())`` of a remote model: handles, the model itself first."""
    return list(model.modules()) if isinstance(model, Remote) else []


def leaf_modules(model):
    """The remote model's modules without children, in order (remote handles)."""
    return [m for m in modules(model) if len(m.children()) == 0]


def linear_layers(types, model):
    return [m for m in modules(model) if types.isinstance(m, "torch.nn.Linear")]


def n_parameters(model):
    return sum(int(torch.as_tensor(p).numel()) for p in model.parameters())


def outputs(model, x):
    """The remote model's outputs for the tensor ``x``, as a float tensor here."""
    out = model(x)
    if not isinstance(out, torch.Tensor):
        raise TestFailed(f"the model must return a tensor (got {kind(out)})")
    return out.detach().float()


def random_inputs(rng, n, in_features):
    return torch.as_tensor(rng.normal(size=(n, in_features)), dtype=torch.float32)


def named_leaf_modules(model):
    """The (name, module) pairs of a kernel model's modules that have no submodules, in order."""
    named = list(model.named_modules())
    names = [name for name, _ in named]
    if len(named) == 1:
        return named
    return [(name, module) for name, module in named
            if name and not any(other.startswith(name + ".") for other in names)]


def activation_outputs(model, probe):
    """(type name, output for ``probe`` or None) of a kernel model's leaf modules without
    parameters (its activations, dropout, flatten), in order: what each one computes."""
    found = []
    for module in leaf_modules(model):
        if len(list(module.parameters(False))):
            continue
        try:
            found.append((kind(module), module(probe.clone())))
        except StudentError:
            found.append((kind(module), None))
    return found
