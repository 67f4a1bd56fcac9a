"""Grades out of the gradebook: nbgrader's CSV export plus a student x lesson table."""
from autograder.course import quiet_logger


def export_csv(course, path=None):
    """nbgrader's CSV export (one row per student and lesson) to ``path`` (default grades.csv)."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    path = path or course.root / "grades.csv"
    plugin = CsvExportPlugin(config=course.config(), log=quiet_logger("export"))
    plugin.to = str(path)
    with Gradebook(course.db_url) as gb:
        plugin.export(gb)
    return path


def grade_table(course):
    """{student: {lesson: score or None when missing}} and {lesson: max score}."""
    from nbgrader.api import Gradebook, MissingEntry

    table, maxima = {}, {}
    with Gradebook(course.db_url) as gb:
        lessons = sorted(assignment.name for assignment in gb.assignments)
        for assignment in gb.assignments:
            maxima[assignment.name] = assignment.max_score
        for student in sorted(s.id for s in gb.students):
            row = table.setdefault(student, {})
            for lesson in lessons:
                try:
                    row[lesson] = gb.find_submission(lesson, student).score
                except MissingEntry:
                    row[lesson] = None
    return table, maxima


def format_table(table, maxima):
    """A plain-text table: one row per student, one column per lesson, total and missing."""
    lessons = sorted(maxima)
    header = ["student", *lessons, "total", "missing"]
    rows = [header, ["(max)", *(f"{maxima[l]:g}" for l in lessons), f"{sum(maxima.values()):g}", ""]]
    for student, scores in sorted(table.items()):
        cells = ["-" if scores[l] is None else f"{scores[l]:g}" for l in lessons]
        total = sum(score or 0.0 for score in scores.values())
        missing = sum(score is None for score in scores.values())
        rows.append([student, *cells, f"{total:g}", str(missing)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def export(course, say=print):
    path = export_csv(course)
    table, maxima = grade_table(course)
    say(format_table(table, maxima))
    say(f"  wrote {path}")
    return table, maxima
