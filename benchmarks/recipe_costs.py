"""What the training recipe costs: MLP epoch time by batch size, optimizer and dropout.

``fit`` itself adds little to an epoch (see ``profile_epoch``); the rest is decided by the
recipe a lesson picks. This times one 60,000-image epoch of the 784-512-512-10 MLP through
``course_utils.fit`` on preloaded tensors for each combination, against the FLOP limit. With
one thread the CPU time the process used is a fair estimate of the wall time on an idle
machine even when other processes compete for the cores.

    python -m benchmarks.recipe_costs [--threads 2] [--batch-sizes 64 128 256]
"""
import argparse
import time

import numpy as np
import torch
from torch import nn

from benchmarks.flops import measured_matmul_gflops, training_flops_per_sample
from benchmarks.report import format_table, warn_if_busy
from course_utils.models import MLP
from course_utils.training import fit

OPTIMIZERS = {
    "Adam": lambda params: torch.optim.Adam(params, lr=1e-3),
    "Adam fused": lambda params: torch.optim.Adam(params, lr=1e-3, fused=True),
    "SGD momentum": lambda params: torch.optim.SGD(params, lr=0.01, momentum=0.9),
}
COLUMNS = [
    ("batch_size", "batch", ""),
    ("optimizer", "optimizer", ""),
    ("dropout", "dropout", ".1f"),
    ("seconds", "s/epoch", ".2f"),
    ("cpu_seconds", "CPU s/epoch", ".2f"),
    ("gflops", "GFLOP/s", ".1f"),
    ("of_limit", "of limit", ".0%"),
]


def epoch_seconds(batch_size, optimizer_name, dropout, X, y):
    torch.manual_seed(0)
    model = MLP(784, 512, 10, n_hidden_layers=2, dropout=dropout)
    options = dict(loss_fn=nn.CrossEntropyLoss(), epochs=1, batch_size=batch_size, device="cpu",
                   optimizer=OPTIMIZERS[optimizer_name](model.parameters()), progress=False,
                   verbose=False)
    fit(model, (X[:2048], y[:2048]), **options)  # warm-up
    start, start_cpu = time.perf_counter(), time.process_time()
    fit(model, (X, y), **options)
    return time.perf_counter() - start, time.process_time() - start_cpu


def run(batch_sizes=(64, 128, 256), optimizers=tuple(OPTIMIZERS), dropouts=(0.2, 0.0),
        threads=None, samples=60_000, say=print):
    if threads:
        torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    X = torch.from_numpy(rng.standard_normal((samples, 1, 28, 28), dtype=np.float32))
    y = torch.from_numpy(rng.integers(0, 10, size=samples))
    flops = training_flops_per_sample(MLP(784, 512, 10, n_hidden_layers=2), (1, 28, 28)) * samples
    limit = measured_matmul_gflops(torch.get_num_threads())
    say(f"MLP 784-512-512-10, {samples:,} samples, {torch.get_num_threads()} thread(s); "
        f"FLOP limit {flops / limit / 1e9:.2f} s/epoch at {limit:.0f} GFLOP/s")
    rows = []
    for batch_size in batch_sizes:
        for name in optimizers:
            for dropout in dropouts:
                seconds, cpu = epoch_seconds(batch_size, name, dropout, X, y)
                rows.append(dict(batch_size=batch_size, optimizer=name, dropout=dropout,
                                 seconds=seconds, cpu_seconds=cpu, gflops=flops / seconds / 1e9,
                                 of_limit=flops / seconds / 1e9 / limit))
                say(f"  batch {batch_size}, {name}, dropout {dropout}: {seconds:.2f} s/epoch")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 128, 256])
    parser.add_argument("--samples", type=int, default=60_000)
    args = parser.parse_args(argv)
    warn_if_busy()
    rows = run(args.batch_sizes, threads=args.threads, samples=args.samples)
    print(format_table(rows, COLUMNS))
    return rows


if __name__ == "__main__":
    main()
