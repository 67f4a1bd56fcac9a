"""HTML feedback reports (nbgrader generate_feedback), one per student and lesson."""
from autograder.course import quiet_logger


def generate_feedback(course, lesson, student):
    """Write feedback/<student>/<lesson>/<notebook>.html; returns None or the reason it failed."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.utils import capture_log

    if not course.autograded_notebook(student, lesson).exists():
        return "not autograded yet (or grading failed)"
    coursedir = course.coursedir(assignment_id=lesson, student_id=student)
    log = quiet_logger(f"feedback.{lesson}.{student}", course.log_dir / f"feedback-{lesson}-{student}.log")
    app = GenerateFeedback(coursedir=coursedir, config=coursedir.config, log=log)
    app.force = True
    result = capture_log(app)
    if not result["success"]:
        errors = [line for line in (result.get("log") or "").splitlines() if line.startswith("[ERROR]")]
        return errors[0][len("[ERROR]"):].strip() if errors else "nbgrader generate_feedback failed"
    return None


def feedback(course, lessons, say=print):
    """Generate feedback for every autograded submission of ``lessons``; returns the count."""
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
    return written
