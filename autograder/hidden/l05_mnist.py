"""Trusted helpers for the hidden tests of lesson 5 (notebooks/05-mnist).

They run in the grader, next to the hidden tests, and reach the student's kernel only through
``student`` (autograder/grading/trusted_tests.py). The data is loaded here, by the grader
(:func:`mnist`); the kernel only computes the student's outputs, and every judgment is made
here. ``cnn_hint`` gives the verdict of the self-check's own function
(course_utils/lessons/l05_networks.py) on a class that lives in the kernel (:class:`KernelModel`);
``evaluate_loader_answer_problem`` that of course_utils/lessons/l05_evaluation.py.
"""
import functools

import numpy as np
import torch

from autograder.grading.trusted_tests import Remote, StudentError, call_for_handle, kind
from autograder.hidden import kernel
from autograder.hidden.kernel import named_leaf_modules
from course_utils.datasets import MNIST_MEAN, MNIST_STD, load_mnist
from course_utils.lessons.l05_data_checks import per_class_problem, standardize_problem
from course_utils.lessons.l05_evaluation import checking_model, evaluate_loader_problem, loader_reference
from course_utils.lessons.l05_networks import (
    affine_problem,
    cnn_problem,
    reach_weights,
    unused_layers_problem,
)

BATCH = 1000  # test images per request: about 4 MB of float32 pixels


@functools.cache
def _mnist():
    data = load_mnist(download=False)  # the student's kernel already downloaded what it could
    for array in (data.train_images, data.train_labels, data.test_images, data.test_labels):
        array.setflags(write=False)
    return data


def mnist():
    """MNIST as the notebook loads it (same sources, same split), loaded by the grader."""
    return _mnist()


def standardized(images):
    """The grader's own answer to exercise 1: uint8 images (N, 28, 28) or (28, 28) -> float32
    tensor (N, 1, 28, 28), ``(pixels / 255 - MNIST_MEAN) / MNIST_STD``."""
    pixels = torch.as_tensor(np.asarray(images)).reshape(-1, 1, 28, 28).float() / 255.0
    return (pixels - MNIST_MEAN) / MNIST_STD


class Kernel(kernel.Kernel):
    """The course's kernel helpers, plus a model's outputs for MNIST images sent in batches.

    A call through ``student`` sends plain results (tensors, numbers) back as copies. To chain
    calls on kernel objects (a model's own parameters, an input the model might change in
    place) the intermediate results must stay in the kernel: :meth:`later`, :meth:`items_of`
    and :meth:`hold` keep them there.
    """

    def outputs(self, model, images, batch=BATCH, to_tensor=None):
        """The model's outputs for ``images``, from the kernel's ``predict_outputs`` (evaluation
        mode, no gradients), sent in batches. ``uint8`` images (N, 28, 28) travel as they are
        (a quarter of the bytes) and are standardized in the kernel with torch's own functions
        (:meth:`standardized_in_kernel`), or by ``to_tensor``, a kernel function (the student's
        ``standardize``, the preprocessing the model was trained with); float tensors are sent as
        they are."""
        predict_outputs = self.student.module("course_utils.training").predict_outputs
        chunks = []
        for start in range(0, len(images), batch):
            part = images[start:start + batch]
            if isinstance(part, np.ndarray) and part.dtype == np.uint8:
                inputs = (self.standardized_in_kernel(part) if to_tensor is None
                          else self.builtins.map(to_tensor, [part]))
                [chunk] = self.builtins.map(predict_outputs, [model], inputs)
            else:
                chunk = predict_outputs(model, part)
            if kind(chunk) != "Tensor" or tuple(chunk.shape) != (len(part), 10):
                raise StudentError(f"for {len(part)} images the model must return logits of shape "
                                   f"({len(part)}, 10), got {tuple(getattr(chunk, 'shape', ())) or kind(chunk)}")
            chunks.append(chunk)
        return torch.cat(chunks)

    def standardized_in_kernel(self, images):
        """A kernel-side iterator yielding ``uint8`` ``images`` (N, 28, 28) standardized there as
        (N, 1, 28, 28) floats: ``(pixels / 255 - MNIST_MEAN) / MNIST_STD``, step by step."""
        torch_ = self.torch
        step = self.later(torch_.as_tensor, images)
        for function, argument in ((torch_.div, 255.0), (torch_.sub, MNIST_MEAN),
                                   (torch_.div, MNIST_STD), (torch_.unsqueeze, 1)):
            step = self.builtins.map(function, step, [argument])
        return step


def accuracy(outputs, labels):
    return float((outputs.argmax(dim=1) == torch.as_tensor(labels)).float().mean())


def _student_message(error):
    """What the student's code raised, without the grader's label: 'mat1 and mat2 ...'."""
    text = str(error).split(" raised ", 1)[-1]
    name, _, message = text.partition(": ")
    return message if name.isidentifier() and message else text


# -- exercise 1 ---------------------------------------------------------------------------------

def standardize_hint(result, images):
    """Exercise 1's verdict (course_utils/lessons/l05_data_checks.py) on a result brought back."""
    return standardize_problem(result, images, type_name=kind)


def standardize_inputs(rng):
    """uint8 inputs for ``standardize``: random test digits (some dimmed, so that no image's own
    maximum is a fixed 255), one training digit alone (28, 28), all-black and all-white images."""
    data = mnist()
    digits = data.test_images[rng.choice(len(data.test_images), size=16, replace=False)].copy()
    dim = rng.random(len(digits)) < 0.5
    dim[int(rng.integers(len(digits)))] = True
    factors = rng.uniform(0.4, 0.9, size=(int(dim.sum()), 1, 1))
    digits[dim] = (digits[dim] * factors).astype(np.uint8)
    one = data.train_images[int(rng.integers(len(data.train_images)))].copy()
    return [digits, one, np.zeros((int(rng.integers(1, 5)), 28, 28), np.uint8),
            np.full((int(rng.integers(1, 5)), 28, 28), 255, np.uint8)]


# -- exercise 3 ---------------------------------------------------------------------------------

def per_class_hint(result, y_true, y_pred, n_classes):
    """Exercise 3's verdict (course_utils/lessons/l05_data_checks.py) on a result brought back."""
    return per_class_problem(result, y_true, y_pred, n_classes, type_name=kind)


def noisy_predictions(rng, y_true, n_classes, right=0.7):
    """Predictions that are right with probability ``right``, else a random class."""
    y_true = np.asarray(y_true)
    return np.where(rng.random(len(y_true)) < right, y_true, rng.integers(0, n_classes, len(y_true)))


def labels_with_absent_classes(rng, n, n_classes, n_absent):
    """``n`` labels in ``range(n_classes)`` where ``n_absent`` random classes never occur."""
    absent = rng.choice(n_classes, size=n_absent, replace=False)
    present = np.setdiff1d(np.arange(n_classes), absent)
    labels = rng.choice(present, size=n)
    labels[:len(present)] = rng.permutation(present)
    return rng.permutation(labels)


# -- exercises 2 and 4: the networks ---------------------------------------------------------

class KernelModel:
    """A model in the student's kernel as :mod:`course_utils.lessons.l05_networks` reads one: the
    checks the self-checks run, asked of the kernel; the verdicts are the shared functions'."""

    def __init__(self, kernel, model):
        self.kernel, self.model = kernel, model
        self.modules = [module for _, module in model.named_modules()] if isinstance(model, Remote) else []

    def is_module(self):
        return self.kernel.is_instance(self.model, "Module")

    def _instances(self, class_name):
        cls = getattr(self.kernel.nn, class_name)
        found = self.kernel.builtins.map(self.kernel.builtins.isinstance, self.modules, [cls] * len(self.modules))
        return [module for module, is_one in zip(self.modules, found) if is_one]

    def count(self, class_name):
        return len(self._instances(class_name))

    def n_parameters(self):
        return self.kernel.n_parameters(self.model)

    def last_layer_ending(self, kinds):
        leaves = [module for _, module in named_leaf_modules(self.model)] or [self.model]
        return kind(leaves[-1]) if self.kernel.is_instance(leaves[-1], *kinds) else None

    def outputs(self, images, training=False):
        self.model.train(training)
        try:
            return self.model(images)
        except StudentError as error:
            if isinstance(error, RuntimeError):
                raise RuntimeError(_student_message(error)) from None
            raise

    def behaviour_problem(self, images):
        self.model.eval()
        first, second = self.model(images[:1]), self.model(images[1:2])
        problem = affine_problem(first, second, self.model(0.3 * images[:1] + 0.7 * images[1:2]), 0.3)
        return problem or unused_layers_problem(layer_reach(self.kernel, self.model, images))


def cnn_hint(kernel, make_model, images, seed):
    """The self-check's verdict (:func:`course_utils.lessons.l05_networks.cnn_problem`) on a CNN
    class that lives in the kernel. ``images``: a few standardized digits (n, 1, 28, 28)."""
    kernel.torch.manual_seed(seed)
    return cnn_problem(KernelModel(kernel, make_model()), images)


def kernel_behaviour_problem(kernel, model, images):
    """The lesson's behaviour checks (no affine map, every layer used) on a kernel model."""
    return KernelModel(kernel, model).behaviour_problem(images)


def layer_reach(kernel, model, images):
    """:func:`course_utils.lessons.l05_networks.layer_reach` for a kernel model: the backward pass
    runs in the kernel, only the gradients' sizes come back."""
    model.zero_grad()
    outputs = call_for_handle(model, images)
    weighted = call_for_handle(outputs.mul, reach_weights(outputs.shape))
    call_for_handle(weighted.sum).backward()
    reach = []
    for name, module in named_leaf_modules(model):
        if kind(kernel.builtins.getattr(module, "weight", None)) not in ("Tensor", "Parameter"):
            continue
        grad = kernel.operator.attrgetter("weight.grad")(module)
        reach.append((name, kind(module), grad is not None and bool(torch.as_tensor(grad).abs().sum() > 0)))
    return reach


def memorization_accuracy(kernel, make_model, images, labels, seed, steps=40, lr=1e-3):
    """Train a fresh kernel model full-batch on ``images`` for ``steps`` Adam steps with the
    kernel's ``course_utils.fit`` (one batch per epoch), then judge its outputs on the same
    images here."""
    kernel.student.module("course_utils.settings").seed_everything(seed)
    model = make_model()
    optimizer = kernel.student.module("torch.optim").Adam(kernel.items_of(model.parameters), lr=lr)
    kernel.student.module("course_utils.training").fit(
        model, (images, labels), loss_fn=kernel.nn.CrossEntropyLoss(), optimizer=optimizer,
        epochs=steps, batch_size=len(images), seed=seed, keep_best=False, progress=False, verbose=False)
    return accuracy(kernel.outputs(model, images), labels)


def evaluate_loader_answer_problem(student, rng):
    """Exercise 2's verdict on the student's ``evaluate_loader``, run in the kernel on a small
    dropout network and a DataLoader of fresh digits whose last batch is smaller. The expected
    numbers come from the same network built here from the same seed."""
    data, evaluation = mnist(), student.module("course_utils.lessons.l05_evaluation")
    torch_data = student.module("torch.utils.data")
    for _ in range(2):
        batch_size = int(rng.integers(8, 33))
        n_samples = batch_size * int(rng.integers(2, 5)) + int(rng.integers(1, batch_size))
        pick = rng.choice(len(data.train_labels), size=n_samples, replace=False)
        images, labels = standardized(data.train_images[pick]), torch.as_tensor(data.train_labels[pick]).long()
        seed = int(rng.integers(10_000))
        model_here = checking_model(seed).eval()
        with torch.no_grad():
            reference = loader_reference(model_here(images), labels, batch_size)
        recording = evaluation.RecordingModel(evaluation.checking_model(seed))
        loader = torch_data.DataLoader(torch_data.TensorDataset(images, labels), batch_size=batch_size)
        result = student.evaluate_loader(recording, loader, student.module("torch.nn").CrossEntropyLoss(), "cpu")
        problem = evaluate_loader_problem(result, reference, recording.calls, n_samples)
        if problem:
            return problem
    return None
