"""nbgrader's autograde for one submission in this process, timed, and recording its grades.

``run_nbgrader_autograde`` runs nbgrader's Autograde converter (with the course's configuration,
tuned by ``tune_config``) and a ``Clock`` marks its phases; ``record_result`` saves the grades of
an autograded notebook into the gradebook with nbgrader's SaveAutoGrades and AssignLatePenalties.
Both the inline path and the Dask workers (autograder/grading/batch.py, autograder/cluster/client.py) use them.
"""
import os
import re
import threading
import time

import nbformat

from autograder.course import quiet_logger, silence_gradebook_warnings
from autograder.kernel_env import environment_set
from autograder.preprocessors.judge import ExecuteAndJudge

EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)(: .*)?$")


class Clock:
    """Marks (perf_counter seconds) taken while one submission is graded in one process."""

    def __init__(self):
        self.marks = {}

    def mark(self, name, first=False):
        if not (first and name in self.marks):
            self.marks[name] = time.perf_counter()

    def phases(self):
        """{phase: seconds} of nbgrader's run (prepare ... saving), from the marks."""
        m = self.marks
        if "begin" not in m or "end" not in m:
            return {}
        if "execute_start" not in m:  # nbgrader stopped before running the notebook
            return {"prepare": m["end"] - m["begin"]}
        start = m["execute_start"]
        first = m.get("first_cell", m.get("execute_end", start))
        last = m.get("last_cell_end", first)
        stop = m.get("execute_end", last)
        return {"prepare": start - m["begin"], "kernel start": first - start,
                "execution": last - first, "kernel stop": stop - last, "saving": m["end"] - stop}


_CURRENT = threading.local()


def _mark(name, first=False):
    clock = getattr(_CURRENT, "clock", None)
    if clock is not None:
        clock.mark(name, first)


class TimedExecuteAndJudge(ExecuteAndJudge):
    """ExecuteAndJudge that marks when the kernel is ready and when the cells are done
    (grading's Clock); it grades exactly as ExecuteAndJudge, whose configuration it takes."""

    def preprocess(self, nb, resources=None, km=None):
        _mark("execute_start")
        try:
            return super().preprocess(nb, resources, km)
        finally:
            _mark("execute_end")

    def preprocess_cell(self, cell, resources, index):
        _mark("first_cell", first=True)
        try:
            return super().preprocess_cell(cell, resources, index)
        finally:
            _mark("last_cell_end")


def tune_config(config, record=True, start_ahead=True):
    """The changes grading makes to the course's nbgrader configuration (see the docstring).

    ``record=False`` (a Dask worker, whose private gradebook is thrown away): nbgrader does not
    save the grades, the client records them from the autograded notebook. ``start_ahead``:
    whether a kernel is started for a next submission (none comes after a process's last)."""
    from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades

    from autograder.gpus import device_nodes

    config.Execute.shutdown_kernel = "immediate"
    config.ExecuteSurvivingKernelDeath.warm_kernels = True  # the next kernel starts while one runs
    config.ExecuteSurvivingKernelDeath.start_ahead = start_ahead
    arguments = list(config.Execute.get("extra_arguments", []))
    if not any(a.startswith("--HistoryManager.hist_file") for a in arguments):
        arguments.append("--HistoryManager.hist_file=:memory:")
    config.Execute.extra_arguments = arguments
    preprocessors = config.Autograde.get("autograde_preprocessors")
    if preprocessors:
        config.Autograde.autograde_preprocessors = [
            TimedExecuteAndJudge if p is ExecuteAndJudge else p for p in preprocessors
            if record or p not in (SaveAutoGrades, AssignLatePenalties)]
    gpus = os.environ.get("CUDA_VISIBLE_DEVICES", "").strip()
    if gpus and config.Execute.get("kernel_manager_class"):
        config.SandboxedKernelManager.device_nodes = device_nodes(gpus)
    return config


def run_nbgrader_autograde(course, lesson, student, db_url=None, clock=None, record=True,
                           start_ahead=True):
    """nbgrader autograde for one student; returns (success, reason when it failed).

    ``clock`` (a Clock) receives the marks of the run; ``record``, ``start_ahead``: see
    tune_config."""
    from nbgrader.converters import Autograde
    from nbgrader.utils import capture_log

    silence_gradebook_warnings()  # also in Dask workers, which do not run the command's set-up
    clock = clock or Clock()
    _CURRENT.clock = clock
    clock.mark("begin")
    try:
        coursedir = course.coursedir(db_url, assignment_id=lesson, student_id=student)
        config = tune_config(coursedir.config, record=record, start_ahead=start_ahead)
        logfile = course.log_dir / f"autograde-{lesson}-{student}.log"
        log = quiet_logger(f"autograde.{lesson}.{student}", logfile)
        app = Autograde(coursedir=coursedir, config=config, log=log)
        app.force = True
        app.create_student = True
        with environment_set(course.kernel_settings()):  # the course's grading mode, not the shell's
            result = capture_log(app)
        for handler in log.handlers:
            handler.flush()
        return result["success"], failure_reason(result.get("log", "") + result.get("error", ""))
    finally:
        clock.mark("end")
        _CURRENT.clock = None


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


def record_result(course, lesson, student):
    """Save the grades of an autograded notebook into the gradebook, as nbgrader would."""
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades

    silence_gradebook_warnings()
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
