"""Generate the student version of lessons, after checking that their tests work.

The check runs the real pipeline in a scratch course: the source notebook (the reference
solution) must get full marks, the unanswered release must get zero, and every mutant of the
lesson (autograder/mutants/) must lose points of its exercise. nbgrader's own ``validate`` is not
used: it exits 0 even when validation fails and ignores hidden tests.
"""
import dataclasses
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course import Course, InstructorError, quiet_logger
from autograder.grading.batch import autograde
from autograder.grading.outcome import broken_cells, failed_test_cells
from autograder.mutants import CatalogueError, mutants_of, read_results, write_plan
from autograder.sandbox.bubblewrap import sandbox_unavailable
from autograder.sandbox.limits import SandboxLimits


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


@dataclass
class LessonCheck:
    """What the release check found: the reference's and the unanswered release's outcomes, the
    reference's cells that did not run, and what each mutant got (autograder.mutants)."""

    reference: object
    unanswered: object
    broken: list
    mutants: list = field(default_factory=list)

    def survivors(self):
        return [m for m in self.mutants if not m.get("killed")]

    def mutation_score(self):
        return f"{len(self.mutants) - len(self.survivors())}/{len(self.mutants)}"


def check_lesson(course, lesson):
    """Grade the reference, trying every mutant of the lesson on its exercise, and the unanswered
    release in a scratch course; returns a LessonCheck."""
    try:
        trials = mutants_of(course.source_notebook(lesson), lesson)
    except CatalogueError as error:
        raise InstructorError(str(error)) from None
    with tempfile.TemporaryDirectory(prefix="autograder-check-") as scratch:
        root = Path(scratch)
        (root / "notebooks").symlink_to(course.source, target_is_directory=True)
        plan, results = write_plan(root, "reference", trials)
        # the reference and the instructor's mutants run in one kernel: each cell keeps its time
        # limit, the kernel as a whole has none (a submission's 30 minutes would not hold them all)
        limits = dataclasses.replace(course.limits or SandboxLimits(), submission_seconds=0)
        trial = Course(root=root, source=root / "notebooks", timeout=course.timeout,
                       sandbox=course.sandbox and sandbox_unavailable() is None, limits=limits,
                       grading_mode=course.grading_mode, mutant_trials=str(plan) if trials else None)
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
        return LessonCheck(reference, unanswered, broken, read_results(results, trials))


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
                checked = check_lesson(course, lesson)
                _require_sound_tests(lesson, checked.reference, checked.unanswered, checked.broken)
                _require_killed_mutants(checked)
                summary = (f" (reference {checked.reference.score:g}/{checked.reference.auto_max:g},"
                           f" unanswered {checked.unanswered.score:g}/{checked.unanswered.auto_max:g},"
                           f" mutants killed {checked.mutation_score()})")
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


def _require_killed_mutants(checked):
    survivors = checked.survivors()
    if survivors:
        listed = "; ".join(f"{m['cell']}: {m['intent']}" + (f" ({m['error']})" if m.get("error") else "")
                           for m in survivors[:5])
        more = f"; and {len(survivors) - 5} more" if len(survivors) > 5 else ""
        raise InstructorError(f"{len(survivors)} of {len(checked.mutants)} mutants keep their exercise's "
                              f"points (mutants killed {checked.mutation_score()}): {listed}{more}")


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
