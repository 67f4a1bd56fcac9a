"""What the grading sandbox costs per submission: kernel start, and a whole fixture submission,
with and without bubblewrap, measured in one run.

    .venv/bin/python -m benchmarks.sandbox_overhead [--repeats 5]
"""
import argparse
import statistics
import tempfile
import time
from pathlib import Path

from autograder.authoring import simulate as sim
from autograder.course import Course
from autograder.grading.batch import autograde
from autograder.instructor.release import release

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "notebooks" / "00-fixture"


def kernel_start_seconds(manager_class, repeats):
    """Median seconds from starting a kernel to its first reply."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        km = manager_class()
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        kc.execute_interactive("pass", timeout=60)
        times.append(time.perf_counter() - start)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return statistics.median(times)


def submission_seconds(sandbox, repeats):
    """Median seconds to grade one reference submission of the fixture lesson."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "notebooks").mkdir()
        (root / "notebooks" / FIXTURE.name).symlink_to(FIXTURE, target_is_directory=True)
        course = Course.at(root, timeout=30, sandbox=sandbox)
        release(course, [FIXTURE.name], check=False, say=lambda line: None)
        full = sim.fill_with_solution(sim.released(course, FIXTURE.name),
                                      sim.reference_answers(course, FIXTURE.name))
        times = []
        for index in range(repeats):
            student = f"s{index}"
            sim.submit(course, student, FIXTURE.name, full)
            _, seconds = autograde(course, FIXTURE.name, [student], say=lambda line: None)
            times.append(seconds)
    return statistics.median(times)


def main(argv=None):
    from jupyter_client.manager import KernelManager

    from autograder.sandbox.kernel_manager import BlockingSandboxedKernelManager

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    rows = [("kernel start to first reply", kernel_start_seconds(KernelManager, args.repeats),
             kernel_start_seconds(BlockingSandboxedKernelManager, args.repeats)),
            ("one fixture submission, graded", submission_seconds(False, args.repeats),
             submission_seconds(True, args.repeats))]
    print(f"median of {args.repeats} | without sandbox | with sandbox | overhead")
    for name, plain, boxed in rows:
        print(f"{name} | {plain:.2f} s | {boxed:.2f} s | {boxed - plain:+.2f} s")


if __name__ == "__main__":
    main()
