"""Benchmark 4: autograding throughput (submissions per minute) with 1 and N workers.

In a scratch course folder (the repository is left alone) every lesson is released, then
``--submissions`` copies of the reference solution are submitted per lesson and graded with
``python -m autograder autograde LESSON --workers N`` for each N. The time includes starting
the command, so it is what an instructor waits for. Quick mode (``COURSE_QUICK=1``) is the
default because grading runs every submission's notebook: pass ``--full`` to grade with the
full-size training runs.

    python -m benchmarks.grading_throughput [--submissions 4] [--workers 1 2] [--full]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.report import format_table, warn_if_busy
from course_utils.settings import REPO_ROOT

COLUMNS = [
    ("lesson", "lesson", ""),
    ("workers", "workers", ""),
    ("submissions", "submissions", ""),
    ("seconds", "seconds", ".1f"),
    ("per_minute", "submissions/min", ".1f"),
    ("full_marks", "full marks", ""),
]
SCORE = re.compile(r"^\s+(\S+) / (\S+): ([\d.]+)/([\d.]+)", re.MULTILINE)


def autograder_available():
    return (REPO_ROOT / "autograder" / "__main__.py").exists()


def _autograder(root, *args, env):
    """Run ``python -m autograder`` on the scratch course; return its output (fail loudly)."""
    command = [sys.executable, "-m", "autograder", "--course-dir", str(root), *args]
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:])} failed ({done.returncode}):\n"
                           f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.stdout


def _submit_reference_copies(root, lessons, n_submissions):
    from autograder.course import Course
    from autograder.simulate import fill_with_solution, reference_answers, released, submit

    course = Course.at(root)
    for lesson in lessons:
        answers = reference_answers(course, lesson)
        for number in range(1, n_submissions + 1):
            submit(course, f"student-{number:02d}", lesson,
                   fill_with_solution(released(course, lesson), answers))


def run(lessons=None, n_submissions=4, workers=(1, 2), quick=True, source=None, say=print):
    """Grade ``n_submissions`` reference copies per lesson with each worker count."""
    from autograder.course import Course

    source = Path(source or REPO_ROOT / "notebooks").resolve()
    env = dict(os.environ, COURSE_PROGRESS="0")
    env.pop("COURSE_QUICK", None)
    if quick:
        env["COURSE_QUICK"] = "1"
    lessons = lessons or Course.at(source=source).lessons()
    if not lessons:
        say("No lessons under notebooks/: nothing to grade.")
        return []
    rows = []
    root = Path(tempfile.mkdtemp(prefix="grading-benchmark-"))
    try:
        (root / "notebooks").symlink_to(source, target_is_directory=True)
        _autograder(root, "release", "--no-check", *lessons, env=env)
        _submit_reference_copies(root, lessons, n_submissions)
        totals = {}
        for lesson in lessons:
            for n_workers in workers:
                start = time.perf_counter()
                output = _autograder(root, "autograde", lesson, "--workers", str(n_workers),
                                     env=env)
                seconds = time.perf_counter() - start
                scores = SCORE.findall(output)
                full = sum(float(score) == float(best) for *_, score, best in scores)
                rows.append(dict(lesson=lesson, workers=n_workers, submissions=n_submissions,
                                 seconds=seconds, per_minute=60 * n_submissions / seconds,
                                 full_marks=f"{full}/{n_submissions}"))
                say(f"  {lesson}, {n_workers} worker(s): {n_submissions} graded in "
                    f"{seconds:.1f} s ({rows[-1]['per_minute']:.1f}/min), full marks {full}")
                total = totals.setdefault(n_workers, [0, 0.0])
                total[0] += n_submissions
                total[1] += seconds
        for n_workers, (count, seconds) in totals.items():
            rows.append(dict(lesson="all lessons", workers=n_workers, submissions=count,
                             seconds=seconds, per_minute=60 * count / seconds))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="default: every lesson")
    parser.add_argument("--submissions", type=int, default=4, help="submissions per lesson")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--full", action="store_true", help="grade in full mode, not quick")
    parser.add_argument("--source", help="folder of lesson folders (default: notebooks/)")
    args = parser.parse_args(argv)
    if args.submissions < 1 or min(args.workers) < 1:
        parser.error("--submissions and --workers must be at least 1")
    if not autograder_available():
        print("The autograder (autograder/) is not in this checkout yet: nothing to measure.")
        return []
    warn_if_busy()
    print(f"{args.submissions} reference submissions per lesson, "
          f"{'full' if args.full else 'quick'} mode")
    rows = run(args.lessons, args.submissions, args.workers, quick=not args.full,
               source=args.source)
    if rows:
        print(format_table(rows, COLUMNS))
    return rows


if __name__ == "__main__":
    main()
