"""The whole pipeline on the reference solutions: every lesson must get full marks."""
import shutil

from autograder.course import Course
from autograder.grading.batch import autograde
from autograder.instructor.export import export
from autograder.instructor.release import release

REFERENCE = "reference"


def demo_course(course):
    """A fresh scratch course in ``<root>/build/demo-course`` over the same lessons, so that the
    demo's student ``reference`` never enters the instructor's gradebook."""
    root = course.root / "build" / "demo-course"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    return Course(root=root, source=course.source, timeout=course.timeout, sandbox=course.sandbox,
                  limits=course.limits)


def demo(course, lessons, workers=1, say=print):
    """Release, submit each source notebook as student ``reference``, grade and export.

    Returns the lessons where the reference solution lost points.
    """
    lessons = course.check_lessons(lessons)
    say("release:")
    failed = release(course, lessons, check=False, say=say)
    say("submit the reference solutions and autograde:")
    below_full = list(failed)
    for lesson in lessons:
        if lesson in failed:
            continue
        target = course.submitted_notebook(REFERENCE, lesson)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(course.source_notebook(lesson), target)
        (outcome,), _ = autograde(course, lesson, [REFERENCE], workers=workers, say=say)
        if outcome.problem or outcome.score < outcome.auto_max:
            below_full.append(lesson)
    say("grades:")
    export(course, say=say)
    if below_full:
        say(f"FAILED: below full marks: {', '.join(below_full)}")
    else:
        say(f"OK: the reference solution gets full marks in all {len(lessons)} lesson(s)")
    return below_full
