"""HTML feedback reports (nbgrader generate_feedback), one per student and lesson, written
with the course's feedback template (autograder/templates/course_feedback) and released to the
students through the exchange when the course has one.

What a lesson's feedback shows, and when, is the course's ``c.Autograder.feedback_visibility``
(``{lesson: visibility, "default": visibility}``): ``"hints"`` (everything, the default),
``"score"`` (scores only: the tests' messages are left out) or ``"after_due_date"`` (released
once the lesson's nbgrader due date has passed).
"""
from datetime import datetime, timezone
from pathlib import Path

from autograder.course import AUTOGRADER_DIR, InstructorError, quiet_logger, root_config_value

VISIBILITIES = ("hints", "score", "after_due_date")

TEMPLATES = AUTOGRADER_DIR / "templates"
# nbconvert's HTML priorities, with GIFs (lesson 6's animation) shown rather than their text
DISPLAY_PRIORITY = ["text/html", "text/markdown", "image/svg+xml", "text/latex", "image/png",
                    "image/jpeg", "image/gif", "text/plain"]


def feedback_config(config, score_only=False):
    """``config`` with the course's feedback template (nbgrader's own next to it); with
    ``score_only``, without the tests' messages (autograder/preprocessors/score_only_feedback.py)."""
    import nbgrader
    from traitlets.config import Config

    extra = Config()
    extra.HTMLExporter.template_name = "course_feedback"
    extra.ScoreOnlyFeedback.enabled = score_only
    extra.HTMLExporter.extra_template_basedirs = [
        str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"), str(TEMPLATES)]
    extra.NbConvertBase.display_data_priority = DISPLAY_PRIORITY
    # the sanitizer keeps PNG and JPEG outputs only; a GIF is base64 data shown as an image too
    extra.SanitizeHTML.safe_output_keys = {"metadata", "text/plain", "text/latex", "application/json",
                                           "image/png", "image/jpeg", "image/gif"}
    config.merge(extra)
    return config


def generate_feedback(course, lesson, student, score_only=False):
    """Write feedback/<student>/<lesson>/<notebook>.html; returns None or the reason it failed."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.utils import capture_log

    if not course.autograded_notebook(student, lesson).exists():
        return "not autograded yet (or grading failed)"
    coursedir = course.coursedir(assignment_id=lesson, student_id=student)
    log = quiet_logger(f"feedback.{lesson}.{student}", course.log_dir / f"feedback-{lesson}-{student}.log")
    app = GenerateFeedback(coursedir=coursedir, config=feedback_config(coursedir.config, score_only), log=log)
    app.force = True
    result = capture_log(app)
    if not result["success"]:
        errors = [line for line in (result.get("log") or "").splitlines() if line.startswith("[ERROR]")]
        return errors[0][len("[ERROR]"):].strip() if errors else "nbgrader generate_feedback failed"
    return None


def visibility(course, lesson) -> str:
    table = root_config_value(course.root, "Autograder", "feedback_visibility") or {}
    chosen = table.get(lesson, table.get("default", "hints"))
    if chosen not in VISIBILITIES:
        raise InstructorError(f"c.Autograder.feedback_visibility gives {lesson} {chosen!r}; "
                              f"use one of {', '.join(VISIBILITIES)}")
    return chosen


def due_date(course, lesson):
    """The lesson's nbgrader due date (aware, UTC), or None."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(course.db_url) as gb:
        try:
            due = gb.find_assignment(lesson).duedate
        except MissingEntry:
            return None
    return due.replace(tzinfo=timezone.utc) if due is not None and due.tzinfo is None else due


def feedback(course, lessons, say=print, exchange=None, students=None):
    """Generate feedback for every autograded submission of ``lessons`` (or of ``students``) and
    release it to ``exchange`` when given and the lesson's visibility allows; returns the count."""
    from autograder.exchange.folders import release_feedback

    written = 0
    for lesson in lessons:
        autograded = course.root / "autograded"
        graded = sorted(p.parent.name for p in autograded.glob(f"*/{lesson}") if p.is_dir())
        shown = visibility(course, lesson)
        for student in [s for s in graded if students is None or s in students]:
            problem = generate_feedback(course, lesson, student, score_only=shown == "score")
            if problem:
                say(f"  {student} / {lesson}: NO FEEDBACK - {problem}")
            else:
                written += 1
                say(f"  {student} / {lesson}: {course.feedback_html(student, lesson).relative_to(course.root)}")
        if exchange is None or not graded:
            continue
        due = due_date(course, lesson)
        if shown == "after_due_date" and (due is None or datetime.now(timezone.utc) < due):
            say(f"  {lesson}: feedback held until the due date ({due or 'none set yet'})")
        else:
            release_feedback(course, lesson, exchange, say)
    return written
