"""Grades out of the gradebook: nbgrader's CSV export plus a student x lesson table.

A submission whose latest grading failed (autograder.grading.ledger) shows as NOT GRADED with the
reason, never with the score of an earlier submission.
"""
import csv

from autograder.course import quiet_logger
from autograder.grading.ledger import Ledger

NOT_GRADED = "NOT GRADED"


def export_csv(course, path=None):
    """nbgrader's CSV export (one row per student and lesson) to ``path`` (default grades.csv),
    with ``status`` and ``reason`` columns from the ledger."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    path = path or course.root / "grades.csv"
    plugin = CsvExportPlugin(config=course.config(), log=quiet_logger("export"))
    plugin.to = str(path)
    with Gradebook(course.db_url) as gb:
        plugin.export(gb)
    ledger = Ledger(course.root)
    _add_status_columns(path, ledger.not_graded(), ledger.modes())
    return path


def _add_status_columns(path, not_graded, modes):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return
    columns = list(rows[0]) + ["status", "reason", "grading_mode"]
    for row in rows:
        row["grading_mode"] = modes.get((row["assignment"], row["student_id"])) or ""
        reason = not_graded.get((row["assignment"], row["student_id"]))
        row["status"], row["reason"] = ("not graded", reason) if reason is not None else ("graded", "")
        if reason is not None:
            row["raw_score"] = row["score"] = ""
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def grade_table(course):
    """{student: {lesson: score, None when missing, NOT_GRADED}} and {lesson: max score}."""
    from nbgrader.api import Gradebook, MissingEntry

    table, maxima = {}, {}
    not_graded = Ledger(course.root).not_graded()
    with Gradebook(course.db_url) as gb:
        lessons = sorted(assignment.name for assignment in gb.assignments)
        for assignment in gb.assignments:
            maxima[assignment.name] = assignment.max_score
        for student in sorted(s.id for s in gb.students):
            row = table.setdefault(student, {})
            for lesson in lessons:
                if (lesson, student) in not_graded:
                    row[lesson] = NOT_GRADED
                    continue
                try:
                    row[lesson] = gb.find_submission(lesson, student).score
                except MissingEntry:
                    row[lesson] = None
    return table, maxima


def format_table(table, maxima):
    """A plain-text table: one row per student, one column per lesson, total and missing."""
    lessons = sorted(maxima)
    header = ["student", *lessons, "total", "missing"]
    rows = [header, ["(max)", *(f"{maxima[lesson]:g}" for lesson in lessons), f"{sum(maxima.values()):g}", ""]]
    for student, scores in sorted(table.items()):
        cells = ["-" if scores[lesson] is None else scores[lesson] if scores[lesson] == NOT_GRADED
                 else f"{scores[lesson]:g}" for lesson in lessons]
        total = sum(score for score in scores.values() if isinstance(score, (int, float)))
        missing = sum(score is None for score in scores.values())
        rows.append([student, *cells, f"{total:g}", str(missing)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def export(course, say=print):
    path = export_csv(course)
    table, maxima = grade_table(course)
    say(format_table(table, maxima))
    for (lesson, student), reason in sorted(Ledger(course.root).not_graded().items()):
        say(f"  {student} / {lesson}: {NOT_GRADED} - {reason}")
    say(f"  wrote {path}")
    return table, maxima
