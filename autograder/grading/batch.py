"""Autograde submissions with nbgrader: in this process, or on Dask workers.

Every path runs nbgrader's Autograde converter for one submission at a time:

- ``inline`` (one worker, no scheduler): in this process, against the gradebook itself.
- ``dask`` (several workers, or ``scheduler``): on the workers of a Dask cluster, an embedded
  one sized to this machine or an existing one (autograder/cluster/client.py). Each worker grades in a
  private scratch course against a private SQLite copy of the lesson's definition and returns
  the autograded folder, notes and log as plain data; this process, the only writer of the
  gradebook and of grading-status.json, writes them into autograded/ and records the grades
  with nbgrader's own SaveAutoGrades and AssignLatePenalties (``record_result``), so the grades
  equal sequential grading, with SQLite or any ``db_url`` nbgrader supports.

This module is the one recorder: whichever engine ran a submission, its grades, its line and
its ledger entry are written here (``finish``).

A batch can be interrupted and run again. Each submission is keyed by (lesson, student,
sha256 of the submitted notebook): one whose ledger entry says it was graded from that very
notebook is kept, not run again (``force=True`` regrades it). A submission about to be graded
is first marked "not graded" in the ledger, so a run killed while grading it leaves it so, and
the next run grades it; the gradebook then ends as an uninterrupted run leaves it.

nbgrader's configuration is tuned for throughput here (``tune_config``): kernels are stopped at
once when the notebook is done instead of being asked to quit, and keep IPython's history in
memory instead of a history database in the sandbox.
"""
import threading
import time
from dataclasses import dataclass, field

from autograder.grading.ledger import Ledger, notebook_hash
from autograder.grading.one_submission import (
    Clock,
    record_result,
    run_nbgrader_autograde,
)
from autograder.grading.outcome import notebook_problem, read_outcome, without_byte_order_mark
from autograder.kernel_env import kernel_threads, usable_cores
from autograder.notes import add_note, clear_notes
from autograder.sandbox.cgroups import reap_orphaned_sandboxes
from autograder.sandbox.plain_files import drop_non_plain
from autograder.sandbox.warm_kernels import POOL

ENGINES = ("auto", "inline", "dask")
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
    open autograder.cluster.lifecycle.GradingCluster to use. ``engine``: "auto" (inline for one worker,
    else dask), "inline" or "dask". ``force``: regrade unchanged submissions too.
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
            left_out += without_byte_order_mark(path)
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
        from autograder.cluster.lifecycle import (
            GradingCluster,  # imports Dask: only when used
        )

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
                      sha256=job.sha256, mode=course.grading_mode)
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
            # all cores but one, left to the kernel started ahead for the next submission:
            # small lessons ran twice as fast this way on two cores
            with kernel_threads(default=max(1, usable_cores() - 1)):
                for index, job in enumerate(gradable):
                    clock = Clock()
                    success, error = run_nbgrader_autograde(course, job.lesson, job.student, clock=clock,
                                                            start_ahead=index < len(gradable) - 1)
                    report.executed += 1
                    finish(job, success, error, clock.phases())
        else:
            from autograder.cluster.client import Attempts, grade_on_dask

            attempts = Attempts()
            report.where, report.workers = cluster.describe(), cluster.n_workers()
            for graded in grade_on_dask(course, cluster, gradable, attempts, force=force, say=write):
                began = time.perf_counter()
                record_result(course, graded.job.lesson, graded.job.student)
                report.executed, report.retried = attempts.executed, attempts.retried
                phases = dict(graded.phases)
                phases["recording"] = phases.get("recording", 0.0) + time.perf_counter() - began
                finish(graded.job, graded.success, graded.error, phases, problem=graded.problem)
            report.executed, report.retried = attempts.executed, attempts.retried
    finally:
        POOL.close()  # the kernel started ahead for a submission this batch no longer has
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
            or entry.get("sha256") != job.sha256 or entry.get("mode") != course.grading_mode \
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
