"""Lesson 5's models and training recipe, read from its notebook so the benchmarks follow it.

The CNN class and the standardization are taken from the notebook's solution cells (the package
holds no copy of these graded answers), and the batch size, epoch counts
and learning rates from its code; whatever cannot be found falls back to the values below
(the lesson as of this writing) and ``recipe_source()`` says so.
"""
import json
import re

import torch
from torch import nn

from course_utils.datasets import MNIST_MEAN, MNIST_STD
from course_utils.lessons.l05_mnist import augmented_loader, random_affine
from course_utils.models import MLP
from course_utils.settings import REPO_ROOT

NOTEBOOK = REPO_ROOT / "notebooks" / "05-mnist" / "mnist.ipynb"
BACKGROUND = -MNIST_MEAN / MNIST_STD  # a black pixel after standardizing
AUGMENT = dict(max_rotation=10, max_scale=0.1, max_shift=2)
FALLBACK = dict(batch_size=64, mlp_epochs=20, cnn_epochs=15, mlp_lr=1e-3, cnn_lr=3e-3)
PATTERNS = {
    "batch_size": r"^BATCH_SIZE\s*=\s*(\d+)",
    "mlp_epochs": r"^MLP_EPOCHS\s*=\s*scaled\(full=(\d+)",
    "cnn_epochs": r"^CNN_EPOCHS\s*=\s*scaled\(full=(\d+)",
    "mlp_lr": r"Adam\(mlp\.parameters\(\),\s*lr=([\d.e-]+)\)",
    "cnn_lr": r"Adam\(cnn\.parameters\(\),\s*lr=([\d.e-]+)\)",
}


def _code_cells():
    try:
        notebook = json.loads(NOTEBOOK.read_text())
    except (OSError, ValueError):
        return []
    return ["".join(cell["source"]) for cell in notebook.get("cells", [])
            if cell.get("cell_type") == "code"]


def recipe():
    """The lesson's hyperparameters, and which of them came from the fallback values."""
    code = "\n".join(_code_cells())
    values, missing = {}, []
    for key, pattern in PATTERNS.items():
        found = re.search(pattern, code, re.MULTILINE)
        if found:
            values[key] = type(FALLBACK[key])(float(found.group(1)))
        else:
            values[key], missing = FALLBACK[key], missing + [key]
    return values, missing


def _notebook_answer(name, pattern):
    """What the notebook's solution cell matching ``pattern`` defines as ``name``, or None."""
    for source in _code_cells():
        if re.search(pattern, source, re.MULTILINE):
            namespace = {"nn": nn, "torch": torch, "MNIST_MEAN": MNIST_MEAN, "MNIST_STD": MNIST_STD}
            try:
                exec(compile(source, str(NOTEBOOK), "exec"), namespace)  # the lesson's own code
                return namespace[name]
            except Exception:  # noqa: BLE001 - a half-edited notebook
                return None
    return None


def _notebook_cnn_class():
    """The ``CNN`` class of the notebook's solution cell, or None."""
    return _notebook_answer("CNN", r"^class CNN\(nn\.Module\)")


def mnist_to_tensor(images):
    """The notebook's ``standardize`` (uint8 images -> standardized (N, 1, 28, 28) floats)."""
    standardize = _notebook_answer("standardize", r"^def standardize\(")
    if standardize is None:
        raise RuntimeError(f"no standardize solution found in {NOTEBOOK}")
    return standardize(images)


def mlp():
    return MLP(784, 512, 10, n_hidden_layers=2, dropout=0.2)


def cnn():
    """The lesson's CNN in channels_last, as the lesson trains it."""
    cls = _notebook_cnn_class()
    if cls is None:
        raise RuntimeError(f"no CNN solution found in {NOTEBOOK}")
    model = cls()
    return model.to(memory_format=torch.channels_last)


def augment(batch):
    return random_affine(batch, fill=BACKGROUND, **AUGMENT)


def train_loader(X, y, batch_size):
    """The lesson's shuffling, randomly transforming DataLoader."""
    return augmented_loader(X, y, augment, batch_size=batch_size)


def recipe_source():
    """One line saying where the recipe came from."""
    values, missing = recipe()
    where = "notebooks/05-mnist/mnist.ipynb"
    cnn_from = "the notebook's CNN class"
    text = (f"lesson 5 recipe from {where}: batch {values['batch_size']}, MLP Adam lr "
            f"{values['mlp_lr']:g} x {values['mlp_epochs']} epochs, CNN ({cnn_from}) Adam lr "
            f"{values['cnn_lr']:g} x {values['cnn_epochs']} epochs, cosine schedule; random "
            f"rotations up to {AUGMENT['max_rotation']} degrees, scaling up to "
            f"{AUGMENT['max_scale']:.0%}, shifts up to {AUGMENT['max_shift']} px")
    return text + (f"; not found there, fallback used: {', '.join(missing)}" if missing else "")
