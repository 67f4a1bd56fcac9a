"""Generate the student version of lessons, after checking that their tests work.

The check runs the real pipeline in a scratch course: the source notebook (the reference
solution) must get full marks and the unanswered release must get zero. nbgrader's own
``validate`` is not used: it exits 0 even when validation fails and ignores hidden tests.
"""
import shutil
import tempfile
from pathlib import Path

from autograder.course import Course, InstructorError, quiet_logger
from autograder.grading.batch import autograde
from autograder.grading.outcome import broken_cells, failed_test_cells
from autograder.sandbox.bubblewrap import sandbox_unavailable


def generate_assignment(course, lesson):
    """nbgrader generate_assignment for one lesson (overwrites an earlier release)."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.utils import capture_log

    coursedir = course.coursedir(assignment_id=lesson)
    log = quiet_logger(f"release.{lesson}", course.log_dir / f"release-{lesson}.log")
    app = GenerateAssignment(coursedir=coursedir, config=coursedir.config, log=log)
    app.force = True
    app.create_assignment = True
    result = capture_log(app)
    if not result["success"]:
        raise InstructorError(
            f"{lesson}: nbgrader generate_assignment failed: {_first_error(result)}")


def check_lesson(course, lesson):
    """Return (reference outcome, unanswered outcome, the reference's broken cells) from a
    scratch course."""
    with tempfile.TemporaryDirectory(prefix="autograder-check-") as scratch:
        root = Path(scratch)
        (root / "notebooks").symlink_to(course.source, target_is_directory=True)
        trial = Course(root=root, source=root / "notebooks", timeout=course.timeout,
                       sandbox=course.sandbox and sandbox_unavailable() is None, limits=course.limits)
        generate_assignment(trial, lesson)
        for student, notebook in (("reference", trial.source_notebook(lesson)),
                                  ("unanswered", trial.release_notebook(lesson))):
            trial.submitted_dir(student, lesson).mkdir(parents=True)
            shutil.copyfile(notebook, trial.submitted_notebook(student, lesson))
        reference, unanswered = autograde(
            trial, lesson, ["reference", "unanswered"], say=lambda line: None)[0]
        autograded = trial.autograded_notebook("reference", lesson)
        broken = broken_cells(autograded) if autograded.exists() else ["it was not graded"]
        reference.notes += failed_test_cells(autograded) if autograded.exists() else []
    return reference, unanswered, broken


def release(course, lessons, check=True, say=print, exchange=None):
    """Release each lesson, and publish it to ``exchange`` (when given) as soon as its own check
    passed; returns the lessons that could not be released. An interrupted check releases
    nothing more."""
    failed = []
    lessons = course.check_lessons(lessons)
    for number, lesson in enumerate(lessons):
        try:
            summary = ""
            if check:
                reference, unanswered, broken = check_lesson(course, lesson)
                _require_sound_tests(lesson, reference, unanswered, broken)
                summary = (f" (reference {reference.score:g}/{reference.auto_max:g},"
                           f" unanswered {unanswered.score:g}/{unanswered.auto_max:g})")
            generate_assignment(course, lesson)
            say(f"  {lesson}: released {course.release_notebook(lesson).relative_to(course.root)}{summary}")
        except InstructorError as error:
            say(f"  {lesson}: NOT RELEASED - {error}")
            failed.append(lesson)
            continue
        except KeyboardInterrupt:
            for skipped in lessons[number:]:
                say(f"  {skipped}: NOT RELEASED - interrupted before its check finished")
            return failed + lessons[number:]
        if exchange is not None:  # an exchange that cannot be trusted stops the whole command
            from autograder.exchange.folders import publish

            publish(course, lesson, exchange)
    return failed


def _require_sound_tests(lesson, reference, unanswered, broken=()):
    if reference.problem:
        raise InstructorError(f"the source notebook could not be graded: {reference.problem}")
    if reference.auto_max == 0:
        raise InstructorError("the source notebook has no autograded test cells")
    if broken:
        raise InstructorError(f"the source notebook did not run to the end: {'; '.join(broken[:3])}")
    if reference.score < reference.auto_max:
        notes = f" [{'; '.join(reference.notes)}]" if reference.notes else ""
        raise InstructorError(
            f"the source notebook fails its own tests: {reference.score:g}/{reference.auto_max:g}"
            f"{notes}")
    if unanswered.score > 0:
        raise InstructorError(
            f"the unanswered release already scores {unanswered.score:g}/{unanswered.auto_max:g}:"
            " some tests pass without an answer")


def _first_error(result):
    for line in (result.get("log") or "").splitlines():
        if line.startswith("[ERROR]"):
            return line[len("[ERROR]"):].strip()
    lines = (result.get("error") or "unknown error").strip().splitlines()
    return lines[-1] if lines else "unknown error"
