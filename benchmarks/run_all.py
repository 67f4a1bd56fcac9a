"""Run every benchmark and write the results to BENCHMARKS.md, with a plot.

    python -m benchmarks.run_all                      # everything (about 15-25 min on 2 cores)
    python -m benchmarks.run_all --only epoch_time    # one or more benchmarks
    python -m benchmarks.run_all --device cuda        # also time benchmarks 1 and 2 on a GPU

Only the block between the ``generated`` markers of BENCHMARKS.md is replaced; the notes
around it are kept. Set ``COURSE_MNIST_DIR`` to the folder with the official MNIST test set
(the Makefile does it when ``../shared/data`` is present) for the offline accuracy benchmark.
"""
import argparse
import os
import re
import shlex
import sys
from pathlib import Path

from benchmarks import (
    epoch_time,
    grading_throughput,
    lesson5,
    notebook_times,
    profile_epoch,
    recipe_costs,
    time_to_accuracy,
)
from benchmarks.report import format_table, load_average, machine_facts
from course_utils.settings import REPO_ROOT

START, END = "<!-- generated:start -->", "<!-- generated:end -->"
BENCHMARKS = ("epoch_time", "profile", "recipe_costs", "time_to_accuracy", "notebook_times",
              "grading_throughput")
PLOT = REPO_ROOT / "benchmarks" / "epoch_time.png"
TEMPLATE = f"""# Benchmarks

How fast the course trains and grades on a student's laptop, against the seed notebooks'
loop and the machine's floating-point limit. Regenerate with the command below; the block
between the markers is rewritten, these notes are kept.

{START}
{END}
"""


def _say(line):
    print(line, flush=True)


def _load():
    load = load_average()
    return "unknown" if load is None else f"{load:.1f}"


def epoch_time_section(device, quick):
    sections = []
    options = dict(samples=12_000, seed_batches=60) if quick else {}
    rows = epoch_time.run(device="cpu", say=_say, **options)
    devices = [("cpu", rows)]
    if device != "cpu":
        devices.append((device, epoch_time.run(device=device, say=_say, **options)))
    for name, device_rows in devices:
        sections.append(f"Device {name}; 1-minute load average when done: {_load()}.\n\n"
                        + format_table(device_rows, epoch_time.COLUMNS, markdown=True)
                        + f"\n\n{epoch_time.notes(device_rows)}.")
    _plot_epoch_times(rows)
    heading = ("## 1. Seconds per epoch: the seeds' loop against the course's path\n\n"
               "`python -m benchmarks.epoch_time`: 60,000 random MNIST-shaped images. Seed "
               "loop: per-image PIL + ToTensor in a DataLoader, batch 20, SGD, `loss.item()` "
               "every batch (timed on 300 batches, extrapolated). Course: `fit()` with batch "
               f"{epoch_time.COURSE_BATCH} and Adam as lesson 5 trains, one full epoch on "
               "preloaded tensors (`course s/epoch`) and one on lesson 5's augmenting "
               "DataLoader (random rotation, scale and shift; `lesson-5 loader`). GFLOP/s = "
               "forward + backward FLOPs of the epoch / seconds; the limit is the measured "
               "rate of a 1024x1024 float32 matrix product with the same threads. Lesson 5 "
               "CNN: the CNN class of the lesson's solution, in channels_last as the lesson "
               "trains it.\n")
    plot_link = PLOT.relative_to(REPO_ROOT).as_posix()  # BENCHMARKS.md is in the root
    return heading + "\n" + "\n\n".join(sections) + f"\n\n![epoch times]({plot_link})\n"


def _per_thread_count(part):
    """``part(threads)`` for 1 and 2 threads, as paragraphs."""
    return "\n\n".join(part(threads) for threads in (1, 2))


def profile_section(quick):
    samples = 5_000 if quick else 20_000

    def part(threads):
        rows, table = profile_epoch.run(next(iter(epoch_time.MODELS)), threads, samples,
                                        say=_say)
        return (f"{threads} thread(s):\n\n" + format_table(
            rows, [("part", "part", ""), ("seconds", "seconds", ".2f"),
                   ("share", "share of the epoch", ".0%")], markdown=True)
            + "\n\n```\n" + table.strip() + "\n```")
    return ("### Profile of the course path (MLP)\n\n"
            f"`python -m benchmarks.profile_epoch --threads N`: one epoch of {samples:,} samples "
            "under torch.profiler (self CPU time per operator group; the rest is Python, "
            f"autograd bookkeeping and profiler overhead). Load average: {_load()}.\n\n"
            + _per_thread_count(part) + "\n")


def recipe_costs_section(quick):
    samples = 12_000 if quick else 60_000

    def part(threads):
        rows = recipe_costs.run(threads=threads, samples=samples, say=_say)
        return (f"{threads} thread(s), load average when done {_load()}:\n\n"
                + format_table(rows, recipe_costs.COLUMNS, markdown=True))
    return ("### What the recipe costs (MLP)\n\n"
            "`python -m benchmarks.recipe_costs --threads N`: one epoch of the MLP through "
            "`fit()` on tensors, by batch size, optimizer and dropout. With 1 thread the CPU "
            "time is a fair estimate of an idle machine's wall time.\n\n"
            + _per_thread_count(part) + "\n")


def time_to_accuracy_section(device, quick):
    epochs = 2 if quick else None
    out = []
    for name in ["cpu"] + ([device] if device != "cpu" else []):
        rows, sources = time_to_accuracy.run(device=name, epochs=epochs, say=_say)
        out.append(f"Device {name}. {sources}. Load average when done: {_load()}.\n\n"
                   + format_table(rows, time_to_accuracy.COLUMNS, markdown=True))
    return ("## 2. Time to accuracy on the offline MNIST digits\n\n"
            "`python -m benchmarks.time_to_accuracy`: lesson 5's recipe (90/10 stratified "
            "train/validation split of the 5,000 digits, random affine augmentation, Adam with "
            "a cosine schedule, best validation epoch kept); training seconds (test evaluations "
            "excluded) until the test accuracy first reaches the target. The "
            f"{lesson5.recipe_source()}.\n\n"
            + "\n\n".join(out) + "\n")


def notebook_section(quick):
    modes = ("quick",) if quick else ("full", "quick")
    rows = notebook_times.run(modes=modes, say=_say)
    if not rows:
        return "## 3. Notebook execution times\n\nNo lesson notebooks yet.\n"
    return ("## 3. Notebook execution times\n\n"
            "`python -m benchmarks.notebook_times`: each lesson notebook top to bottom in a "
            "fresh kernel (as `make course` runs them). Targets: 3 min per notebook, 10 min "
            f"for the course, in full mode. Load average when done: {_load()}.\n\n"
            + format_table(rows, notebook_times.columns(modes), markdown=True) + "\n")


def grading_section(quick):
    heading = "## 4. Autograding throughput\n\n"
    if not grading_throughput.autograder_available():
        return heading + "The autograder is not in this checkout yet.\n"
    n = 2 if quick else 4
    rows = grading_throughput.run(n_submissions=n, say=_say)
    if not rows:
        return heading + "No lessons to grade yet.\n"
    return (heading + f"`python -m benchmarks.grading_throughput`: {n} copies of the reference "
            "solution per lesson, graded in quick mode by `python -m autograder autograde "
            "LESSON --workers N` (command start-up included). Load average when done: "
            f"{_load()}.\n\n"
            + format_table(rows, grading_throughput.COLUMNS, markdown=True) + "\n")


def _plot_epoch_times(rows):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(r["model"] for r in rows))
    threads = list(dict.fromkeys(r["threads"] for r in rows))
    fig, ax = plt.subplots(figsize=(6.4, 3.4), dpi=80)
    width = 0.8 / (2 * len(threads))
    for t_index, n_threads in enumerate(threads):
        for k, (key, label) in enumerate([("seed_seconds", "seed loop"),
                                          ("course_seconds", "course fit()")]):
            offset = (2 * t_index + k) * width - 0.4 + width / 2
            values = [next(r[key] for r in rows if r["model"] == m and r["threads"] == n_threads)
                      for m in models]
            ax.bar([i + offset for i in range(len(models))], values, width,
                   label=f"{label}, {n_threads} thread(s)",
                   color=["#d62728", "#1f77b4"][k], alpha=1.0 if t_index else 0.55)
    limits = [min(r["limit_seconds"] for r in rows if r["model"] == m) for m in models]
    ax.scatter(range(len(models)), limits, marker="_", s=900, color="black", zorder=3,
               label="FLOP limit, best thread count")
    ax.set_xticks(range(len(models)), models)
    ax.set_yscale("log")
    ax.set_ylabel("seconds per 60k-image epoch")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(PLOT)
    plt.close(fig)


def write_markdown(path, generated):
    text = path.read_text() if path.exists() else TEMPLATE
    if START not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n{START}\n{END}\n"
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    path.write_text(pattern.sub(lambda _: f"{START}\n{generated}\n{END}", text))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=list(BENCHMARKS))
    parser.add_argument("--device", default="cpu", help="also run benchmarks 1-2 on this device")
    parser.add_argument("--quick", action="store_true",
                        help="a fast smoke run with small sizes (figures not comparable)")
    parser.add_argument("--output", default=str(REPO_ROOT / "BENCHMARKS.md"))
    args = parser.parse_args(argv)
    facts = machine_facts()
    command = "python -m benchmarks.run_all " + shlex.join(sys.argv[1:] if argv is None else argv)
    sections = [
        "## Machine\n\n"
        + format_table([{"fact": k, "value": v} for k, v in facts.items()],
                       [("fact", "item", ""), ("value", "value", "")], markdown=True)
        + f"\n\nReproduce: `{command.strip()}`"
        + (f" with `COURSE_MNIST_DIR={os.environ['COURSE_MNIST_DIR']}`"
           if os.environ.get("COURSE_MNIST_DIR") else "")
        + (" (quick smoke run: sizes reduced, figures not comparable)" if args.quick else "")
        + "\n"]
    runners = {
        "epoch_time": lambda: epoch_time_section(args.device, args.quick),
        "profile": lambda: profile_section(args.quick),
        "recipe_costs": lambda: recipe_costs_section(args.quick),
        "time_to_accuracy": lambda: time_to_accuracy_section(args.device, args.quick),
        "notebook_times": lambda: notebook_section(args.quick),
        "grading_throughput": lambda: grading_section(args.quick),
    }
    for name in BENCHMARKS:
        if name in args.only:
            print(f"== {name}", flush=True)
            sections.append(runners[name]())
    write_markdown(Path(args.output), "\n".join(sections))
    print(f"wrote {args.output}" + (f" and {PLOT}" if "epoch_time" in args.only else ""))


if __name__ == "__main__":
    main()
