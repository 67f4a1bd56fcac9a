"""Grades out: ``grades.csv`` (nbgrader's CSV columns plus status columns), a table on screen,
and the LMS formats (:mod:`autograder.instructor.lms_export`), all from the same records
(:mod:`autograder.instructor.grade_records`).
"""
import csv
from dataclasses import asdict

from autograder.instructor.grade_records import AWAITING, FAILED, GRADED, MISSING, NOT_GRADED, grade_records
from autograder.instructor.lms_export import write_lms_exports

CSV_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
               "raw_score", "late_submission_penalty", "score", "max_score", "status", "reason",
               "grading_mode", "autograded_score", "to_grade_by_hand"]


def export_csv(course, records=None, path=None):
    """``grades.csv`` (default in the course folder): one row per record, blank where there is
    no score."""
    path = path or course.root / "grades.csv"
    records = grade_records(course) if records is None else records
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for record in records:
            writer.writerow({key: "" if value is None else value for key, value in asdict(record).items()})
    return path


def format_table(records):
    """A plain-text table: one row per student, one column per lesson, total and counts."""
    lessons = sorted({r.assignment for r in records})
    students = sorted({r.student_id for r in records})
    by_key = {(r.student_id, r.assignment): r for r in records}
    maxima = {r.assignment: r.max_score for r in records}
    header = ["student", *lessons, "total", "missing", "pending"]
    rows = [header, ["(max)", *(f"{maxima[lesson]:g}" for lesson in lessons), f"{sum(maxima.values()):g}", "", ""]]
    for student in students:
        mine = [by_key[(student, lesson)] for lesson in lessons]
        total = sum(r.score for r in mine if r.status == GRADED and r.score is not None)
        rows.append([student, *(r.shown for r in mine), f"{total:g}",
                     str(sum(r.status == MISSING for r in mine)), str(sum(r.status == AWAITING for r in mine))])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def export(course, say=print):
    records = grade_records(course)
    path = export_csv(course, records)
    if records:
        say(format_table(records))
    for record in records:
        if record.status == FAILED:
            say(f"  {record.student_id} / {record.assignment}: {NOT_GRADED} - {record.reason}")
    say(f"  wrote {path}")
    for written in write_lms_exports(course, records):
        say(f"  wrote {written}")
    return records
