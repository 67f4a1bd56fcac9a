"""A student's own copy of the course: the released lessons (never the solutions) in a folder
of theirs, for studying without an instructor's exchange.

The lessons are released into a scratch course in a temporary folder (the course folder is only
read, so a student who owns nothing of it can do this), then each release is copied into
``<dest>/<lesson>/``. A lesson folder already there is the student's work: it is kept.
"""
import shutil
import tempfile
from pathlib import Path

from autograder.course import Course
from autograder.instructor.release import release


def make_workspace(course, dest, lessons=(), say=print) -> list[str]:
    """Copy the release of each lesson (default: all) into ``dest``; returns the lessons copied."""
    dest = Path(dest).expanduser()
    dest.mkdir(parents=True, exist_ok=True)
    lessons = course.check_lessons(list(lessons) or course.lessons())
    copied = []
    with tempfile.TemporaryDirectory(prefix="mlp-course-release-") as scratch:
        scratch_course = Course(root=Path(scratch), source=course.source, timeout=course.timeout)
        failed = release(scratch_course, lessons, check=False, say=lambda line: None)
        for lesson in lessons:
            target = dest / lesson
            if lesson in failed:
                say(f"  {lesson}: not copied (its release failed; ask your instructor)")
            elif target.exists():
                say(f"  {lesson}: kept {target} (your work is there)")
            else:
                shutil.copytree(scratch_course.release_notebook(lesson).parent, target)
                copied.append(lesson)
                say(f"  {lesson}: {target / scratch_course.release_notebook(lesson).name}")
    return copied
