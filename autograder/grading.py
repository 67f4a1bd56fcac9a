"""Autograde submissions with nbgrader: in this process, or on Dask workers.

Every path runs nbgrader's Autograde converter for one submission at a time:

- ``inline`` (one worker, no scheduler): in this process, against the gradebook itself.
- ``dask`` (several workers, or ``scheduler``): on the workers of a Dask cluster, an embedded
  one sized to this machine or an existing one (autograder/cluster.py). Each worker grades in a
  private scratch course against a private SQLite copy of the lesson's definition and returns
  the autograded folder, notes and log as plain data; this process, the only writer of the
  gradebook and of grading-status.json, writes them into autograded/ and records the grades
  with nbgrader's own SaveAutoGrades and AssignLatePenalties (``record_result``), so the grades
  equal sequential grading, with SQLite or any ``db_url`` nbgrader supports.
- ``processes``: the former process pool of this machine, kept for comparison (benchmark).

A batch can be interrupted and run again. Each submission is keyed by (lesson, student,
sha256 of the submitted notebook): one whose ledger entry says it was graded from that very
notebook is kept, not run again (``force=True`` regrades it). A submission about to be graded
is first marked "not graded" in the ledger, so a run killed while grading it leaves it so, and
the next run grades it; the gradebook then ends as an uninterrupted run leaves it.

nbgrader's configuration is tuned for throughput here (``tune_config``): kernels are stopped at
once when the notebook is done instead of being asked to quit, and keep IPython's history in
memory instead of a history database in the sandbox.
"""
import multiprocessing
import os
import re
import shutil
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.course import Course, quiet_logger
from autograder.kernel_env import share_cores
from autograder.ledger import Ledger, notebook_hash
from autograder.notes import add_note, clear_notes, read_notes
from autograder.nbgrader_run import (  # noqa: F401 - failure_reason, tune_config: public here too
    Clock, TimedExecuteAndJudge, failure_reason, record_result, run_nbgrader_autograde, tune_config)
from autograder.preprocessors import KERNEL_DIED
from autograder.submission_files import drop_non_plain
from autograder.submissions import notebook_problem

TIMEOUT_ERRORS = {"CellTimeoutError", "TimeoutError"}
ENGINES = ("auto", "inline", "dask", "processes")
INTERRUPTED = "grading did not finish (interrupted): run autograde again"
# Where the time of one submission goes. queue: waiting for a free worker; transfer: sending
# the submission and its results; setup: the worker's scratch course and first imports;
# prepare: nbgrader before the kernel (sanitizing, gradebook, copies); kernel start: until the
# first cell runs; execution: the cells and hidden tests; kernel stop; saving: nbgrader after
# the kernel (scores, output limits, the autograded notebook); recording: this process
# writing the results into autograded/, the gradebook and the ledger.
PHASES = ("queue", "transfer", "setup", "prepare", "kernel start", "execution", "kernel stop",
          "saving", "recording")
NOT_OVERHEAD = ("queue", "execution")


@dataclass
class Outcome:
    """What grading one submission gave: a score, or the reason there is none."""

    student: str
    lesson: str
    score: float = 0.0
    auto_max: float = 0.0
    manual_max: float = 0.0
    problem: str | None = None
    notes: list = field(default_factory=list)
    kept: bool = False  # unchanged since it was graded: not run again

    def line(self):
        where = f"{self.student} / {self.lesson}"
        if self.problem:
            return f"  {where}: NOT GRADED - {self.problem}"
        manual = f" (+{self.manual_max:g} to grade by hand)" if self.manual_max else ""
        notes = f"  [{'; '.join(self.notes)}]" if self.notes else ""
        kept = "  (unchanged: kept)" if self.kept else ""
        return f"  {where}: {self.score:g}/{self.auto_max:g}{manual}{notes}{kept}"


# ---- timing: where one submission's seconds go -------------------------------------------

def _grade_in_worker(course, lesson, student, db_path, workers):
    share_cores(workers)  # the kernel nbgrader starts inherits this worker's environment
    clock = Clock()
    success, error = run_nbgrader_autograde(course, lesson, student, db_url=f"sqlite:///{db_path}",
                                            clock=clock, record=False)
    return success, error, clock.phases()


def read_outcome(course, lesson, student, problem=None):
    """Score and maximum points from the gradebook, plus notes on crashes and timeouts."""
    from nbgrader.api import Gradebook, MissingEntry

    outcome = Outcome(student, lesson, problem=problem)
    if problem and problem.startswith("missing notebook"):
        outcome.notes = read_notes(course.log_dir, lesson, student)
        return outcome
    with Gradebook(course.db_url) as gb:
        try:
            submission = gb.find_submission(lesson, student)
        except MissingEntry:
            outcome.problem = problem or "no submission in the gradebook"
            return outcome
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.cell.cell_type == "code":
                    outcome.auto_max += grade.max_score
                    outcome.score += grade.auto_score or 0.0
                else:
                    outcome.manual_max += grade.max_score
    outcome.notes = read_notes(course.log_dir, lesson, student) + execution_notes(
        course.autograded_notebook(student, lesson))
    return outcome


def execution_notes(autograded):
    """Short notes about cells that timed out or crashed the kernel."""
    if not autograded.exists():
        return []
    notes = []
    nb = nbformat.read(str(autograded), as_version=nbformat.NO_CONVERT)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        names = {out.get("ename") for out in cell.outputs if out.output_type == "error"}
        if names & TIMEOUT_ERRORS:
            notes.append(f"cell {index} timed out")
        if KERNEL_DIED in names:
            notes.append(f"kernel died in cell {index}; later cells not run")
    return notes


def failed_test_cells(autograded):
    """``grade_id: error`` for each test cell of an autograded notebook that lost points."""
    from nbgrader import utils

    if not autograded.exists():
        return []
    failed = []
    nb = nbformat.read(str(autograded), as_version=nbformat.NO_CONVERT)
    for cell in nb.cells:
        if cell.cell_type == "code" and utils.is_grade(cell):
            score, max_score = utils.determine_grade(cell)
            if score is not None and score < max_score:
                errors = [f"{out.ename}: {out.evalue}" for out in cell.outputs
                          if out.output_type == "error"]
                reason = (errors[-1] if errors else "output on stderr")[:200]
                failed.append(f"{cell.metadata.nbgrader['grade_id']}: {reason}")
    return failed


# ---- a batch -------------------------------------------------------------------------------

@dataclass
class Job:
    """One submission to grade."""

    lesson: str
    student: str
    sha256: str | None
    problem: str | None  # found before grading (e.g. not valid JSON), or None
    notes: list = field(default_factory=list)  # what was left out of the submitted folder


@dataclass
class Report:
    """What a batch did: the outcomes (in the order asked), counts, and where the time went."""

    outcomes: list
    seconds: float = 0.0
    workers: int = 1
    where: str = "this process"
    graded: int = 0  # recorded in this run (scores or NOT GRADED)
    failed: int = 0  # of those, NOT GRADED
    kept: int = 0  # unchanged since graded: not run again
    executed: int = 0  # runs of nbgrader started (a retried submission counts each run)
    retried: int = 0  # runs started again after a worker died or a run raised
    phases: dict = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))

    @property
    def per_minute(self):
        return 60 * self.graded / max(self.seconds, 1e-9)

    def phase_means(self):
        timed = max(self.graded, 1)
        return {name: seconds / timed for name, seconds in self.phases.items()}

    @property
    def overhead(self):
        """Seconds per submission besides waiting for a worker and running its cells."""
        return sum(v for k, v in self.phase_means().items() if k not in NOT_OVERHEAD)

    def summary(self):
        lines = [f"graded {self.graded} submission(s) in {self.seconds:.1f} s: "
                 f"{self.per_minute:.1f} submissions/minute with {self.workers} worker(s) "
                 f"({self.where})"]
        lines.append(f"  {self.graded - self.failed} graded, {self.failed} not graded, "
                     f"{self.kept} unchanged (kept), {self.executed} run(s), {self.retried} retried")
        if self.graded:
            means = self.phase_means()
            parts = ", ".join(f"{name} {means[name]:.2f} s" for name in PHASES)
            lines.append(f"  time per submission: {parts}; overhead {self.overhead:.2f} s "
                         "(all but queue and execution)")
        return lines


def _progress_bar(total, enabled):
    from tqdm.auto import tqdm

    from course_utils.progress import switched_off

    if enabled is None:
        import sys

        enabled = not switched_off() and sys.stderr.isatty()
    return tqdm(total=total, unit="submission", desc="autograde", disable=not enabled,
                dynamic_ncols=True, leave=True)


def grade_batch(course, batch, workers=1, say=print, *, scheduler=None, engine="auto",
                force=False, retries=3, progress=None, cluster=None):
    """Grade ``batch``, a list of (lesson, students or None for all); returns a Report.

    ``workers``: grading processes (1: in this process). ``scheduler``: the address of an
    existing Dask scheduler, whose workers grade (``workers`` is then ignored). ``cluster``: an
    open autograder.cluster.GradingCluster to use. ``engine``: "auto" (inline for one worker,
    else dask), "inline", "dask" or "processes". ``force``: regrade unchanged submissions too.
    ``retries``: how often a submission is started again after its worker died (or its run
    raised) before it is reported NOT GRADED. ``progress``: a tqdm bar on stderr (None: when
    stderr is a terminal and no course_utils.progress.SWITCHES_OFF variable turns bars off).
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}")
    start = time.perf_counter()
    remote = scheduler is not None or (cluster is not None and cluster.remote)
    if not remote:
        course.require_sandbox()
    if course.sandbox:
        from autograder.cluster import reap_orphaned_sandboxes

        reap_orphaned_sandboxes()  # kernels of grading processes killed earlier
    if not course.sandbox:
        say("  WARNING: grading WITHOUT a sandbox: submissions run with your permissions")
    report = Report(outcomes=[], workers=workers)
    ledger = Ledger(course.root)
    entries = ledger.read()
    order, outcomes, jobs = [], {}, []
    for lesson, students in batch:
        students = course.students(lesson) if students is None else list(students)
        for student in students:
            order.append((lesson, student))
            # links, FIFOs and the like never reach nbgrader, which would follow or open them
            left_out = drop_non_plain(course.submitted_dir(student, lesson))
            path = course.submitted_notebook(student, lesson)
            job = Job(lesson, student, notebook_hash(path), notebook_problem(path), left_out)
            kept = None if force else _unchanged(course, entries, job)
            if kept is not None:
                outcomes[(lesson, student)] = kept
                report.kept += 1
                say(kept.line())
            else:
                jobs.append(job)
    gradable = [job for job in jobs if not (job.problem or "").startswith("missing notebook")]
    if engine == "auto":
        engine = "dask" if remote or cluster is not None or (workers > 1 and len(gradable) > 1) \
            else "inline"
    own = None
    if engine == "dask" and gradable and cluster is None:
        from autograder.cluster import GradingCluster

        own = cluster = GradingCluster(course, workers=workers, scheduler=scheduler, retries=retries)
        own.start()  # an unreachable cluster stops the batch before anything is marked
    bar = _progress_bar(len(jobs), progress)
    write = bar.write if (not bar.disable and say is print) else say
    lock = threading.Lock()

    def finish(job, success, error, phases, problem=None):
        """Record one graded submission (this process only); returns its Outcome."""
        began = time.perf_counter()
        problem = job.problem or problem
        if not success and not problem:
            problem = f"nbgrader failed: {error} (log in {course.log_dir})"
        outcome = read_outcome(course, job.lesson, job.student, problem)
        ledger.record(job.lesson, job.student, problem=outcome.problem, score=outcome.score,
                      sha256=job.sha256)
        phases = dict(phases or {})
        phases["recording"] = phases.get("recording", 0.0) + time.perf_counter() - began
        with lock:
            for name, seconds in phases.items():
                report.phases[name] = report.phases.get(name, 0.0) + max(0.0, seconds)
            report.graded += 1
            report.failed += bool(outcome.problem)
            outcomes[(job.lesson, job.student)] = outcome
        write(outcome.line())
        _postfix(bar, report)
        bar.update(1)
        return outcome

    try:
        for job in jobs:  # a run killed from here on leaves these "not graded", never stale
            clear_notes(course.log_dir, job.lesson, job.student)
            for note in job.notes:
                add_note(course.log_dir, job.lesson, job.student, note)
            ledger.record(job.lesson, job.student, problem=INTERRUPTED, sha256=None)
        for job in jobs:
            if job not in gradable:
                finish(job, False, None, {})
        if engine == "inline" or not gradable:
            report.where = "this process"
            report.workers = 1
            for job in gradable:
                clock = Clock()
                success, error = run_nbgrader_autograde(course, job.lesson, job.student, clock=clock)
                report.executed += 1
                finish(job, success, error, clock.phases())
        elif engine == "processes":
            report.where = "a process pool"
            _autograde_parallel(course, gradable, workers, finish, report)
        else:
            from autograder.cluster import grade_on_dask

            grade_on_dask(course, cluster, gradable, finish, report, bar, force=force, say=write)
    finally:
        bar.close()
        if own is not None:
            own.close()
    report.outcomes = [outcomes[key] for key in order if key in outcomes]
    report.seconds = time.perf_counter() - start
    return report


def _postfix(bar, report):
    if not bar.disable:
        bar.set_postfix(graded=report.graded - report.failed, failed=report.failed,
                        retried=report.retried, refresh=False)


def _unchanged(course, entries, job):
    """The kept Outcome of a submission graded before from this very notebook, else None."""
    entry = entries.get(job.lesson, {}).get(job.student)
    if not entry or entry.get("status") != "graded" or not job.sha256 \
            or entry.get("sha256") != job.sha256 \
            or not course.autograded_notebook(job.student, job.lesson).exists():
        return None
    outcome = read_outcome(course, job.lesson, job.student)
    if outcome.problem:  # e.g. the gradebook was replaced since
        return None
    outcome.kept = True
    return outcome


def autograde(course, lesson, students=None, workers=1, say=print, **options):
    """Grade every submission of ``lesson`` (or ``students``); returns the Outcomes and the
    elapsed seconds. ``options`` are grade_batch's (scheduler, engine, force, retries, ...)."""
    report = grade_batch(course, [(lesson, students)], workers=workers, say=say, **options)
    return report.outcomes, report.seconds


def _autograde_parallel(course, jobs, workers, finish, report):
    """The process pool of this machine, each process against a private gradebook copy."""
    # forkserver: workers start from a clean process (no inherited zmq/asyncio state) that
    # imported nbgrader once, instead of each paying the import like with "spawn".
    from autograder.cluster import WORKER_IMPORTS

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_IMPORTS)
    with tempfile.TemporaryDirectory(dir=course.log_dir) as scratch:
        copies = {}
        for job in jobs:
            copies[job.student, job.lesson] = Path(scratch) / f"{job.lesson}-{job.student}.db"
            if course.db_is_sqlite_file:
                shutil.copyfile(course.db_path, copies[job.student, job.lesson])
            else:
                from autograder.cluster import gradebook_template

                gradebook_template(course, job.lesson, copies[job.student, job.lesson])
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {
                pool.submit(_grade_in_worker, course, job.lesson, job.student,
                            str(copies[job.student, job.lesson]), workers): job
                for job in jobs}
            for future in as_completed(futures):
                job = futures[future]
                report.executed += 1
                try:
                    success, error, phases = future.result()
                except Exception as exc:  # a worker process that crashed
                    success, error, phases = False, f"{type(exc).__name__}: {exc}", {}
                began = time.perf_counter()
                record_result(course, job.lesson, job.student)
                phases = dict(phases, recording=time.perf_counter() - began)
                finish(job, success, error, phases)
