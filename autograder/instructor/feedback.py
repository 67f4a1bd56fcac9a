"""HTML feedback reports (nbgrader generate_feedback), one per student and lesson, written
with the course's feedback template (autograder/templates/course_feedback) and released to the
students through the exchange when the course has one."""
from pathlib import Path

from autograder.course import AUTOGRADER_DIR, quiet_logger

TEMPLATES = AUTOGRADER_DIR / "templates"
# nbconvert's HTML priorities, with GIFs (lesson 6's animation) shown rather than their text
DISPLAY_PRIORITY = ["text/html", "text/markdown", "image/svg+xml", "text/latex", "image/png",
                    "image/jpeg", "image/gif", "text/plain"]


def feedback_config(config):
    """``config`` with the course's feedback template (nbgrader's own next to it)."""
    import nbgrader
    from traitlets.config import Config

    extra = Config()
    extra.HTMLExporter.template_name = "course_feedback"
    extra.HTMLExporter.extra_template_basedirs = [
        str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"), str(TEMPLATES)]
    extra.NbConvertBase.display_data_priority = DISPLAY_PRIORITY
    # the sanitizer keeps PNG and JPEG outputs only; a GIF is base64 data shown as an image too
    extra.SanitizeHTML.safe_output_keys = {"metadata", "text/plain", "text/latex", "application/json",
                                           "image/png", "image/jpeg", "image/gif"}
    config.merge(extra)
    return config


def generate_feedback(course, lesson, student):
    """Write feedback/<student>/<lesson>/<notebook>.html; returns None or the reason it failed."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.utils import capture_log

    if not course.autograded_notebook(student, lesson).exists():
        return "not autograded yet (or grading failed)"
    coursedir = course.coursedir(assignment_id=lesson, student_id=student)
    log = quiet_logger(f"feedback.{lesson}.{student}", course.log_dir / f"feedback-{lesson}-{student}.log")
    app = GenerateFeedback(coursedir=coursedir, config=feedback_config(coursedir.config), log=log)
    app.force = True
    result = capture_log(app)
    if not result["success"]:
        errors = [line for line in (result.get("log") or "").splitlines() if line.startswith("[ERROR]")]
        return errors[0][len("[ERROR]"):].strip() if errors else "nbgrader generate_feedback failed"
    return None


def feedback(course, lessons, say=print, exchange=None):
    """Generate feedback for every autograded submission of ``lessons`` and release it to
    ``exchange`` when given; returns the count."""
    from autograder.exchange.folders import release_feedback

    written = 0
    for lesson in lessons:
        autograded = course.root / "autograded"
        students = sorted(p.parent.name for p in autograded.glob(f"*/{lesson}") if p.is_dir())
        for student in students:
            problem = generate_feedback(course, lesson, student)
            if problem:
                say(f"  {student} / {lesson}: NO FEEDBACK - {problem}")
            else:
                written += 1
                say(f"  {student} / {lesson}: {course.feedback_html(student, lesson).relative_to(course.root)}")
        if exchange is not None and students:
            release_feedback(course, lesson, exchange, say)
    return written
