"""Benchmark 4: autograding throughput of the grading engines, against plain nbgrader autograde.

In a scratch course folder (the repository is left alone) the lessons are released and
``--submissions`` copies of the reference solution are submitted per lesson; then the whole
batch is graded by ``python -m autograder autograde LESSON ... --force`` (the command an
instructor runs; its start-up is included) with each engine and worker count:

- ``plain nbgrader``: ``nbgrader autograde LESSON --force`` in the scratch course, with the
  course's nbgrader configuration and the same sandbox (the baseline: what nbgrader alone does
  with this course; one process);
- ``in process``: one submission after another in the command's own process (``--engine inline``,
  one worker only);
- ``embedded Dask``: the default, a Dask cluster started by the command (``--engine dask``);
- ``loopback cluster``: an existing Dask cluster standing in for N machines: a ``dask
  scheduler`` and N ``dask worker`` processes of one thread each, each pinned to its own core
  (taskset) and warmed up (imports done) as a long-lived cluster's workers are; the command
  gets ``--scheduler``.

Besides the lessons, the fixture lesson (tests/fixtures, whose cells take milliseconds) is
graded the same way: its time per submission is the grading overhead alone. Each row gives
submissions per minute, the overhead per submission (what the command reports besides waiting
for a worker and running cells: kernel start, nbgrader, copying, recording) and the speed-up
of the added worker. Quick mode (``COURSE_QUICK=1``) is the default: ``--full`` grades full runs.

    python -m benchmarks.grading_throughput [--submissions 4] [--fixture 8] [--workers 1 2]
        [--lessons 01-loss-functions 04-xor] [--engines nbgrader inline dask loopback] [--full]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.report import format_table, load_average, warn_if_busy
from course_utils.settings import REPO_ROOT

COLUMNS = [
    ("set", "lessons", ""),
    ("engine", "engine", ""),
    ("workers", "workers", ""),
    ("submissions", "submissions", ""),
    ("seconds", "seconds", ".1f"),
    ("per_minute", "submissions/min", ".1f"),
    ("overhead", "overhead s/submission", ".2f"),
    ("speedup", "speed-up vs 1 worker", ".2f"),
    ("vs_nbgrader", "vs plain nbgrader", ".2f"),
    ("full_marks", "full marks", ""),
]
ENGINES = {"nbgrader": "plain nbgrader", "inline": "in process", "dask": "embedded Dask",
           "loopback": "loopback cluster"}
DEFAULT_LESSONS = ["01-loss-functions", "04-xor"]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "notebooks"
SCORE = re.compile(r"^\s+(\S+) / (\S+): ([\d.]+)/([\d.]+)", re.MULTILINE)
OVERHEAD = re.compile(r"overhead ([\d.]+) s")
DASK = Path(sys.executable).parent / "dask"


def autograder_available():
    return (REPO_ROOT / "autograder" / "__main__.py").exists()


def _autograder(root, source, *args, env):
    """Run ``python -m autograder`` on the scratch course; return its output (fail loudly)."""
    command = [sys.executable, "-m", "autograder", "--course-dir", str(root), "--source",
               str(source), *args]
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:])} failed ({done.returncode}):\n"
                           f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.stdout


def _submit_reference_copies(root, source, lessons, n_submissions):
    from autograder.authoring.simulate import (
        fill_with_solution,
        reference_answers,
        released,
        submit,
    )
    from autograder.course import Course

    course = Course.at(root, source)
    for lesson in lessons:
        answers = reference_answers(course, lesson)
        for number in range(1, n_submissions + 1):
            submit(course, f"student-{number:02d}", lesson,
                   fill_with_solution(released(course, lesson), answers))


class LoopbackCluster:
    """A scheduler and ``n`` single-thread workers on 127.0.0.1, worker k pinned to core k."""

    def __init__(self, n, env, folder):
        self.n, self.env, self.folder = n, env, Path(folder)
        self.processes, self.address = [], None

    def __enter__(self):
        from distributed import Client

        scheduler_file = self.folder / "scheduler.json"
        self._start([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0",
                     "--no-dashboard", "--scheduler-file", str(scheduler_file)], "scheduler")
        deadline = time.monotonic() + 60
        while not scheduler_file.exists():
            if time.monotonic() > deadline:
                raise RuntimeError("the dask scheduler did not start")
            time.sleep(0.1)
        cores = sorted(os.sched_getaffinity(0))
        for k in range(self.n):
            pin = ["taskset", "-c", str(cores[k % len(cores)])] if shutil.which("taskset") else []
            self._start([*pin, str(DASK), "worker", "--scheduler-file", str(scheduler_file),
                         "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                         "--host", "127.0.0.1", "--name", f"machine-{k + 1}",
                         "--local-directory", str(self.folder / f"worker-{k + 1}")], f"worker-{k + 1}")
        self.address = json.loads(scheduler_file.read_text())["address"]
        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(self.n, timeout=180)
            from autograder.cluster.worker import warm_imports

            client.run(warm_imports)  # a long-lived cluster's workers have imported already
        return self

    def _start(self, command, name):
        log = open(self.folder / f"{name}.log", "w")
        env = dict(self.env, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self.processes.append((subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                                env=env, start_new_session=True), log))

    def __exit__(self, *exc):
        import signal

        for process, log in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
            log.close()


def _plain_nbgrader(root, source, lessons, env):
    """``nbgrader autograde`` for each lesson, configured as ``python -m autograder`` configures
    it (autograder/course.py: the course's nbgrader_config.py, its secret, the sandbox); returns
    (seconds, output with one ``student / lesson: score/max`` line per submission)."""
    from autograder.course import Course

    course = Course.at(root, source)
    settings = {"CourseDirectory.root": str(root), "CourseDirectory.source_directory": "notebooks",
                "CourseDirectory.db_url": course.db_url,
                "ExecuteAndJudge.secret_file": str(course.secret_file),
                "ExecuteAndJudge.notes_dir": str(course.log_dir),
                "RepairCellIdentity.notes_dir": str(course.log_dir),
                "TruncateLongOutputs.notes_dir": str(course.log_dir),
                "Execute.kernel_manager_class": "autograder.sandbox.kernel_manager.SandboxedKernelManager"}
    config = [f"load_subconfig({str(REPO_ROOT / 'autograder' / 'nbgrader_config.py')!r})  # noqa: F821"]
    config += [f"c.{key} = {value!r}" for key, value in settings.items()]
    (root / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821\n" + "\n".join(config) + "\n")
    start = time.perf_counter()
    for lesson in lessons:
        done = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", lesson, "--force"],
                              cwd=root, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"nbgrader autograde {lesson} failed:\n{done.stderr[-2000:]}")
    seconds = time.perf_counter() - start
    (root / "nbgrader_config.py").unlink()
    from nbgrader.api import Gradebook

    lines = []
    with Gradebook(course.db_url) as gradebook:
        for lesson in lessons:
            for submission in gradebook.assignment_submissions(lesson):
                lines.append(f"  {submission.student_id} / {lesson}: "
                             f"{submission.code_score:g}/{submission.max_code_score:g}")
    return seconds, "\n".join(lines) + "\n"


def _grade(root, source, lessons, engine, n_workers, env, scratch):
    """One timed batch; returns (seconds, command output)."""
    if engine == "nbgrader":
        return _plain_nbgrader(root, source, lessons, env)
    args = ["autograde", *lessons, "--force"]
    if engine == "loopback":
        with LoopbackCluster(n_workers, env, tempfile.mkdtemp(dir=scratch)) as cluster:
            start = time.perf_counter()
            output = _autograder(root, source, *args, "--scheduler", cluster.address, env=env)
            return time.perf_counter() - start, output
    engine_flag = engine
    start = time.perf_counter()
    output = _autograder(root, source, *args, "--engine", engine_flag, "--workers", str(n_workers),
                         env=env)
    return time.perf_counter() - start, output


def run_set(name, source, lessons, n_submissions, workers, engines, env, say=print):
    """Every engine and worker count on one set of lessons; returns table rows."""
    rows = []
    root = Path(tempfile.mkdtemp(prefix="grading-benchmark-"))
    try:
        (root / "notebooks").symlink_to(source, target_is_directory=True)
        _autograder(root, source, "release", "--no-check", *lessons, env=env)
        _submit_reference_copies(root, source, lessons, n_submissions)
        count = n_submissions * len(lessons)
        baseline = None
        for engine in engines:
            one = None
            for n_workers in workers:
                if engine in ("inline", "nbgrader") and n_workers > 1:
                    continue
                seconds, output = _grade(root, source, lessons, engine, n_workers, env, root)
                scores = SCORE.findall(output)
                full = sum(float(score) == float(best) for *_, score, best in scores)
                overhead = OVERHEAD.search(output)
                per_minute = 60 * count / seconds
                one = per_minute if n_workers == 1 else one
                baseline = per_minute if engine == "nbgrader" else baseline
                rows.append(dict(set=name, engine=ENGINES[engine], workers=n_workers,
                                 submissions=count, seconds=seconds, per_minute=per_minute,
                                 overhead=float(overhead.group(1)) if overhead else None,
                                 speedup=per_minute / one if one else None,
                                 vs_nbgrader=per_minute / baseline if baseline else None,
                                 full_marks=f"{full}/{count}"))
                say(f"  {name}, {ENGINES[engine]}, {n_workers} worker(s): {count} graded in "
                    f"{seconds:.1f} s ({per_minute:.1f}/min, overhead "
                    f"{rows[-1]['overhead'] or 0:.2f} s/submission), full marks {full}; "
                    f"load {load_average() or 0:.1f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rows


def run(lessons=None, n_submissions=4, workers=(1, 2), quick=True, source=None, say=print,
        fixture_submissions=8, engines=tuple(ENGINES)):
    """The benchmark; returns the table rows (COLUMNS)."""
    from autograder.course import Course

    source = Path(source or REPO_ROOT / "notebooks").resolve()
    env = dict(os.environ, COURSE_PROGRESS="0")
    env.pop("COURSE_QUICK", None)
    if quick:
        env["COURSE_QUICK"] = "1"
    known = Course.at(source=source).lessons()
    lessons = lessons or [lesson for lesson in DEFAULT_LESSONS if lesson in known] or known
    rows = []
    if fixture_submissions and (FIXTURES / "00-fixture").is_dir():
        rows += run_set("fixture (overhead only)", FIXTURES, ["00-fixture"], fixture_submissions,
                        workers, engines, env, say)
    if lessons:
        rows += run_set(", ".join(lessons), source, lessons, n_submissions, workers, engines, env, say)
    elif not rows:
        say("No lessons under notebooks/: nothing to grade.")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", nargs="*", default=None,
                        help=f"lessons to grade (default: {' '.join(DEFAULT_LESSONS)})")
    parser.add_argument("--submissions", type=int, default=4, help="submissions per lesson")
    parser.add_argument("--fixture", type=int, default=8,
                        help="submissions of the fixture lesson (0: none)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--engines", nargs="+", choices=list(ENGINES), default=list(ENGINES))
    parser.add_argument("--full", action="store_true", help="grade in full mode, not quick")
    parser.add_argument("--source", help="folder of lesson folders (default: notebooks/)")
    args = parser.parse_args(argv)
    if args.submissions < 1 or min(args.workers) < 1:
        parser.error("--submissions and --workers must be at least 1")
    if not autograder_available():
        print("The autograder (autograder/) is not in this checkout yet: nothing to measure.")
        return []
    warn_if_busy()
    print(f"{args.submissions} reference submissions per lesson, {args.fixture} of the fixture, "
          f"{'full' if args.full else 'quick'} mode, engines {', '.join(args.engines)}")
    rows = run(args.lessons, args.submissions, args.workers, quick=not args.full,
               source=args.source, fixture_submissions=args.fixture, engines=args.engines)
    if rows:
        print(format_table(rows, COLUMNS))
        print(format_table(rows, COLUMNS, markdown=True))
    return rows


if __name__ == "__main__":
    main()
