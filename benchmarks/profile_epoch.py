"""Where an epoch of ``course_utils.fit`` spends its time, from torch.profiler.

Groups the operators into matrix products and convolutions (the FLOPs), element-wise work
(activations, dropout, loss, optimizer arithmetic) and the rest, then prints the top
operators. Random MNIST-shaped data, as in ``epoch_time``.

    python -m benchmarks.profile_epoch [--model "MLP 784-512-512-10"] [--threads 2]
"""
import argparse
import time

import numpy as np
import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile

from benchmarks import lesson5
from benchmarks.epoch_time import COURSE_BATCH, MODELS
from benchmarks.report import format_table, warn_if_busy
from course_utils.training import fit

MATRIX_OPS = {"aten::mm", "aten::addmm", "aten::bmm", "aten::mkldnn_convolution",
              "aten::convolution_backward", "aten::_convolution", "aten::thnn_conv2d"}
DATA_OPS = {"aten::index", "aten::index_select", "aten::randperm", "aten::copy_",
            "aten::grid_sampler_2d", "aten::affine_grid_generator", "aten::rand"}


def profile_fit(model, X, y, batch_size=COURSE_BATCH, loader=False):
    """Profile one epoch of ``fit`` on (X, y); returns (profiler, wall seconds).

    ``loader``: train on lesson 5's augmenting DataLoader instead of the tensors.
    """
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    options = dict(loss_fn=nn.CrossEntropyLoss(), optimizer=optimizer, epochs=1,
                   batch_size=batch_size, device="cpu", progress=False, verbose=False)

    def data(n):
        return lesson5.train_loader(X[:n], y[:n], batch_size) if loader else (X[:n], y[:n])

    fit(model, data(2048), **options)  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        fit(model, data(len(X)), **options)
        seconds = time.perf_counter() - start
    return prof, seconds


def summarize(prof, seconds):
    """Rows of (group, seconds, share of the wall time) from the profiler's self times."""
    groups = {"matrix products and convolutions": 0.0,
              "data (shuffle, batching, augmentation)": 0.0,
              "element-wise and other operators": 0.0}
    for event in prof.key_averages():
        if not event.key.startswith("aten::"):
            continue
        self_seconds = event.self_cpu_time_total / 1e6
        if event.key in MATRIX_OPS:
            groups["matrix products and convolutions"] += self_seconds
        elif event.key in DATA_OPS:
            groups["data (shuffle, batching, augmentation)"] += self_seconds
        else:
            groups["element-wise and other operators"] += self_seconds
    groups["Python, autograd and loop overhead (rest)"] = max(seconds - sum(groups.values()), 0)
    return [dict(part=k, seconds=v, share=v / seconds) for k, v in groups.items()]


def run(model_name, threads=None, samples=20_000, top=12, loader=False, say=print):
    """Profile ``model_name`` for an epoch of ``samples``; returns (group rows, top table)."""
    if threads:
        torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    X = torch.from_numpy(rng.standard_normal((samples, 1, 28, 28), dtype=np.float32))
    y = torch.from_numpy(rng.integers(0, 10, size=samples))
    torch.manual_seed(0)
    prof, seconds = profile_fit(MODELS[model_name](), X, y, loader=loader)
    say(f"{model_name}, {torch.get_num_threads()} thread(s), {samples:,} samples, batch "
        f"{COURSE_BATCH}, {'augmenting DataLoader' if loader else 'tensors'}: {seconds:.2f} s "
        "under the profiler")
    rows = summarize(prof, seconds)
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=top,
                                      max_name_column_width=40)
    return rows, table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=next(iter(MODELS)), choices=list(MODELS))
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=12, help="operators to list")
    parser.add_argument("--loader", action="store_true",
                        help="train on lesson 5's augmenting DataLoader instead of tensors")
    args = parser.parse_args(argv)
    warn_if_busy()
    rows, table = run(args.model, args.threads, args.samples, args.top, args.loader)
    print(format_table(rows, [("part", "part", ""), ("seconds", "seconds", ".2f"),
                              ("share", "share", ".0%")]))
    print(table)
    return rows


if __name__ == "__main__":
    main()
