"""Autograde submissions with nbgrader, one student at a time or on several cores.

Sequential grading runs nbgrader's Autograde converter for each student against the
gradebook. Parallel grading runs the same converter in worker processes, each against a
private copy of the gradebook (sqlite does not like several writers), then the main
process records every result in the real gradebook with nbgrader's own SaveAutoGrades and
AssignLatePenalties preprocessors, reading the autograded notebook the worker wrote.
"""
import multiprocessing
import re
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.course import Course, quiet_logger
from autograder.kernel_env import share_cores
from autograder.ledger import Ledger, notebook_hash
from autograder.notes import clear_notes, read_notes
from autograder.preprocessors import KERNEL_DIED
from autograder.submissions import notebook_problem

TIMEOUT_ERRORS = {"CellTimeoutError", "TimeoutError"}
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)(: .*)?$")


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

    def line(self):
        where = f"{self.student} / {self.lesson}"
        if self.problem:
            return f"  {where}: NOT GRADED - {self.problem}"
        manual = f" (+{self.manual_max:g} to grade by hand)" if self.manual_max else ""
        notes = f"  [{'; '.join(self.notes)}]" if self.notes else ""
        return f"  {where}: {self.score:g}/{self.auto_max:g}{manual}{notes}"


def run_nbgrader_autograde(course, lesson, student, db_url=None):
    """nbgrader autograde for one student; returns (success, captured log)."""
    from nbgrader.converters import Autograde
    from nbgrader.utils import capture_log

    coursedir = course.coursedir(db_url, assignment_id=lesson, student_id=student)
    logfile = course.log_dir / f"autograde-{lesson}-{student}.log"
    log = quiet_logger(f"autograde.{lesson}.{student}", logfile)
    app = Autograde(coursedir=coursedir, config=coursedir.config, log=log)
    app.force = True
    app.create_student = True
    result = capture_log(app)
    return result["success"], failure_reason(result.get("log", "") + result.get("error", ""))


GENERIC_ERRORS = ("There was an error processing", "Please see the", "NbGraderException")


def failure_reason(log):
    """The most telling line of a failed nbgrader run: its last real exception, else its first
    specific error line (never nbgrader's generic "There was an error processing ...")."""
    exceptions = [
        line.strip() for line in log.splitlines()
        if EXCEPTION_LINE.match(line.strip()) and not any(g in line for g in GENERIC_ERRORS)]
    if exceptions:
        return exceptions[-1][:300]
    errors = [line[len("[ERROR]"):].strip() for line in log.splitlines()
              if line.startswith("[ERROR]") and not any(g in line for g in GENERIC_ERRORS)]
    return errors[0][:300] if errors else "nbgrader failed without saying why (see its log)"


def _grade_in_worker(course, lesson, student, db_path, workers):
    share_cores(workers)  # the kernel nbgrader starts inherits this worker's environment
    return run_nbgrader_autograde(course, lesson, student, db_url=f"sqlite:///{db_path}")


def record_result(course, lesson, student):
    """Save the grades of an autograded notebook into the gradebook, as nbgrader would."""
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades

    coursedir = course.coursedir()
    timestamp = coursedir.get_existing_timestamp(str(course.submitted_dir(student, lesson)))
    with Gradebook(course.db_url, coursedir.course_id) as gb:
        gb.update_or_create_student(student)
        if timestamp:
            gb.update_or_create_submission(lesson, student, timestamp=timestamp)
        else:
            gb.update_or_create_submission(lesson, student)
        notebooks = [nb.name for nb in gb.find_assignment(lesson).notebooks]
    for name in notebooks:
        autograded = course.autograded_notebook(student, lesson).with_name(f"{name}.ipynb")
        if not autograded.exists():
            continue  # grading failed: the submission stays ungraded, as with nbgrader
        nb = nbformat.read(str(autograded), as_version=nbformat.NO_CONVERT)
        resources = {"nbgrader": {"student": student, "assignment": lesson, "notebook": name,
                                  "db_url": course.db_url}}
        for preprocessor in (SaveAutoGrades, AssignLatePenalties):
            nb, resources = preprocessor(config=coursedir.config).preprocess(nb, resources)


def read_outcome(course, lesson, student, problem=None):
    """Score and maximum points from the gradebook, plus notes on crashes and timeouts."""
    from nbgrader.api import Gradebook, MissingEntry

    outcome = Outcome(student, lesson, problem=problem)
    if problem and problem.startswith("missing notebook"):
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


def _problem_before_grading(course, lesson, student):
    return notebook_problem(course.submitted_notebook(student, lesson))


def autograde(course, lesson, students=None, workers=1, say=print):
    """Grade every submission of ``lesson``; returns the Outcomes and the elapsed seconds."""
    students = course.students(lesson) if students is None else students
    course.require_sandbox()
    if not course.sandbox:
        say("  WARNING: grading WITHOUT a sandbox: submissions run with your permissions")
    start = time.perf_counter()
    problems = {s: _problem_before_grading(course, lesson, s) for s in students}
    for student in students:
        clear_notes(course.log_dir, lesson, student)
    gradable = [s for s in students if not (problems[s] or "").startswith("missing notebook")]
    failures = {}
    if workers <= 1 or len(gradable) <= 1:
        for student in gradable:
            success, error = run_nbgrader_autograde(course, lesson, student)
            if not success:
                failures[student] = error
    else:
        failures = _autograde_parallel(course, lesson, gradable, workers)
    outcomes, ledger = [], Ledger(course.root)
    for student in students:
        problem = problems[student]
        if student in failures and not problem:
            problem = f"nbgrader failed: {failures[student]} (log in {course.log_dir})"
        outcome = read_outcome(course, lesson, student, problem)
        ledger.record(lesson, student, problem=outcome.problem, score=outcome.score,
                      sha256=notebook_hash(course.submitted_notebook(student, lesson)))
        say(outcome.line())
        outcomes.append(outcome)
    return outcomes, time.perf_counter() - start


def _autograde_parallel(course, lesson, students, workers):
    failures = {}
    # forkserver: workers start from a clean process (no inherited zmq/asyncio state) that
    # imported nbgrader once, instead of each paying the import like with "spawn".
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["nbgrader.converters", "nbgrader.api", "autograder.grading"])
    with tempfile.TemporaryDirectory(dir=course.log_dir) as scratch:
        copies = {}
        for student in students:
            copies[student] = Path(scratch) / f"{student}.db"
            shutil.copyfile(course.db_path, copies[student])
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {
                pool.submit(_grade_in_worker, course, lesson, student, str(copies[student]),
                            workers): student
                for student in students}
            for future in as_completed(futures):
                student = futures[future]
                try:
                    success, error = future.result()
                except Exception as exc:  # a worker process that crashed
                    success, error = False, f"{type(exc).__name__}: {exc}"
                if not success:
                    failures[student] = error
                record_result(course, lesson, student)
    return failures

