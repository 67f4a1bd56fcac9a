"""Benchmark 1: seconds per training epoch on 60,000 MNIST-shaped images.

Compares, in one run, the seed notebooks' loop (a torchvision-style Dataset that turns every
uint8 image into a PIL image and then a tensor with ToTensor, a DataLoader with batch 20,
plain SGD, ``loss.item()`` every batch) with the course's path (``course_utils.fit`` with
lesson 5's batch size and Adam) for the MLP, a LeNet-style CNN and the lesson 5 CNN, with 1
and 2 threads. The course path is timed twice: on preloaded standardized tensors, and on the
randomly transforming DataLoader lesson 5 trains with (``benchmarks.lesson5``).
Random images are fine for timing. The seed loop is timed on its first ``--seed-batches``
batches and extrapolated to the epoch.

    python -m benchmarks.epoch_time [--samples 60000] [--threads 1 2] [--device cpu]
"""
import argparse
import json
import time

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from benchmarks import lesson5
from benchmarks.flops import measured_matmul_gflops, training_flops_per_sample
from benchmarks.report import format_table, warn_if_busy
from course_utils.models import LeNet
from course_utils.training import fit

SEED_BATCH = 20
COURSE_BATCH = lesson5.recipe()[0]["batch_size"]
MODELS = {
    "MLP 784-512-512-10": lesson5.mlp,
    "LeNet-5": LeNet,
    "Lesson 5 CNN": lesson5.cnn,
}
COLUMNS = [
    ("model", "model", ""),
    ("threads", "threads", ""),
    ("seed_seconds", "seed s/epoch", ".2f"),
    ("course_seconds", "course s/epoch", ".2f"),
    ("speedup", "speed-up", ".1f"),
    ("loader_seconds", "lesson-5 loader s/epoch", ".2f"),
    ("seed_gflops", "seed GFLOP/s", ".1f"),
    ("course_gflops", "course GFLOP/s", ".1f"),
    ("limit_gflops", "matmul limit GFLOP/s", ".1f"),
    ("limit_seconds", "limit s/epoch", ".2f"),
    ("of_limit", "course/limit", ".0%"),
]


class SeedStyleMNIST(Dataset):
    """What the seeds' ``torchvision.datasets.MNIST`` does per access: uint8 -> PIL -> tensor."""

    def __init__(self, images, labels):
        self.images, self.labels = images, labels
        self.transform = transforms.ToTensor()

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.transform(Image.fromarray(self.images[i])), int(self.labels[i])


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def seed_loop_epoch_seconds(model, images, labels, max_batches, device):
    """The seed's training loop; seconds per full epoch, extrapolated from ``max_batches``."""
    loader = DataLoader(SeedStyleMNIST(images, labels), batch_size=SEED_BATCH, shuffle=True)
    model.to(device, memory_format=torch.contiguous_format)  # the seeds know no channels_last
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    train_loss, done = 0.0, 0
    start = time.perf_counter()
    for data, target in loader:
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(data), target)
        loss.backward()
        optimizer.step()
        train_loss += loss.item() * data.size(0)
        done += 1
        if done == max_batches:
            break
    _sync(device)
    return (time.perf_counter() - start) * len(loader) / done


def course_epoch_seconds(model, X, y, device, batch_size=COURSE_BATCH, augmented=False):
    """One epoch of ``course_utils.fit`` (after a warm-up epoch on a slice).

    ``augmented``: train on lesson 5's randomly transforming DataLoader instead of the tensors.
    """
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    options = dict(loss_fn=nn.CrossEntropyLoss(), optimizer=optimizer, epochs=1,
                   batch_size=batch_size, device=device, progress=False, verbose=False)

    def data(n):
        if not augmented:
            return X[:n], y[:n]
        return lesson5.train_loader(X[:n].cpu(), y[:n].cpu(), batch_size)

    fit(model, data(2048), **options)
    _sync(device)
    start = time.perf_counter()
    fit(model, data(len(X)), **options)
    _sync(device)
    return time.perf_counter() - start


def run(samples=60_000, seed_batches=300, threads=(1, 2), models=tuple(MODELS), device="cpu",
        batch_size=COURSE_BATCH, say=print):
    """Time every model with every thread count; returns one dict per row."""
    device = torch.device(device)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(samples, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=samples)
    X = ((torch.from_numpy(images).float() / 255 - 0.1307) / 0.3081).unsqueeze(1).to(device)
    y = torch.from_numpy(labels).to(device)
    say(f"{samples:,} random 28x28 images on {device}. Seed loop: batch {SEED_BATCH}, PIL + "
        f"ToTensor per image, SGD, timed on {seed_batches} batches and extrapolated. "
        f"Course: fit(), batch {batch_size}, Adam, one full epoch on preloaded tensors and "
        "one on lesson 5's augmenting DataLoader.")
    rows = []
    thread_counts = threads if device.type == "cpu" else [torch.get_num_threads()]
    previous_threads = torch.get_num_threads()
    try:
        for n_threads in thread_counts:
            torch.set_num_threads(n_threads)
            limit = measured_matmul_gflops(n_threads, device=device)
            for name in models:
                torch.manual_seed(0)
                flops = training_flops_per_sample(MODELS[name](), (1, 28, 28)) * samples
                seed_s = seed_loop_epoch_seconds(MODELS[name](), images, labels, seed_batches,
                                                 device)
                course_s = course_epoch_seconds(MODELS[name](), X, y, device, batch_size)
                loader_s = course_epoch_seconds(MODELS[name](), X, y, device, batch_size,
                                                augmented=True)
                rows.append(dict(
                    model=name, threads=n_threads if device.type == "cpu" else str(device),
                    seed_seconds=seed_s, course_seconds=course_s, speedup=seed_s / course_s,
                    loader_seconds=loader_s,
                    seed_gflops=flops / seed_s / 1e9, course_gflops=flops / course_s / 1e9,
                    limit_gflops=limit, limit_seconds=flops / limit / 1e9,
                    of_limit=flops / course_s / 1e9 / limit, gflop_per_epoch=flops / 1e9))
                say(f"  {name}, {rows[-1]['threads']} thread(s): seed {seed_s:.2f} s/epoch, "
                    f"course {course_s:.2f} s/epoch, lesson-5 loader {loader_s:.2f} s/epoch")
    finally:
        torch.set_num_threads(previous_threads)
    return rows


def notes(rows):
    """FLOPs per epoch of each model (the count behind the GFLOP/s columns)."""
    seen = {}
    for row in rows:
        seen.setdefault(row["model"], row["gflop_per_epoch"])
    return "; ".join(f"{name}: {gflop:.1f} GFLOP per epoch (forward + backward)"
                     for name, gflop in seen.items())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--seed-batches", type=int, default=300,
                        help="batches timed for the seed loop before extrapolating")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--batch-size", type=int, default=COURSE_BATCH,
                        help=f"the course path's batch size (default {COURSE_BATCH}, lesson 5's)")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)
    if args.samples < SEED_BATCH * args.seed_batches or args.seed_batches < 1:
        parser.error("--samples must hold at least --seed-batches batches of 20")
    warn_if_busy()
    rows = run(args.samples, args.seed_batches, args.threads, args.models, args.device,
               args.batch_size, say=lambda line: print(line, flush=True))
    print()
    print(format_table(rows, COLUMNS))
    print(notes(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return rows


if __name__ == "__main__":
    main()
