"""Grades in the formats learning-management systems import, written into ``<course>/exports/``.

- ``canvas.csv``: Canvas's gradebook import (the columns of its own gradebook export: Student,
  ID, SIS User ID, SIS Login ID, Section, then one column per assignment; the second row gives
  Points Possible). Students are matched by SIS Login ID (the nbgrader student id, the login
  name). A cell without a grade is left empty, which Canvas reads as "no grade", never as 0.
- ``moodle.csv``: Moodle's grade import from a CSV file: a ``Username`` column to map users by,
  one column per grade item and a ``<lesson> feedback`` column beside it (mapped to the item's
  feedback on import). An empty grade is skipped by the import; the feedback says why it is empty.
- ``gradescope/<student>/<lesson>/results.json``: Gradescope's autograder results: one test per
  graded cell (``score``, ``max_score``, ``visibility``) and the total ``score``; written answers
  awaiting hand grading are named in ``output`` (Gradescope grades them itself); a submission
  whose grading failed has no score at all, only its reason.
"""
import csv
import json

from autograder.instructor.grade_records import AWAITING, FAILED, GRADED, MISSING

CANVAS_IDS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
WHY_EMPTY = {AWAITING: "awaiting hand grading", FAILED: "NOT GRADED", MISSING: "missing: nothing submitted"}


def _grade(record) -> str:
    return f"{record.score:g}" if record.status == GRADED and record.score is not None else ""


def _students(records):
    return sorted({r.student_id: r for r in records}.values(), key=lambda r: r.student_id)


def write_canvas(records, path):
    lessons = sorted({r.assignment for r in records})
    by_key = {(r.student_id, r.assignment): r for r in records}
    maxima = {r.assignment: r.max_score for r in records}
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CANVAS_IDS + lessons)
        writer.writerow(["    Points Possible", "", "", "", ""] + [f"{maxima[lesson]:g}" for lesson in lessons])
        for student in _students(records):
            name = ", ".join(filter(None, [student.last_name, student.first_name])) or student.student_id
            writer.writerow([name, "", "", student.student_id, ""]
                            + [_grade(by_key[(student.student_id, lesson)]) for lesson in lessons])
    return path


def write_moodle(records, path):
    lessons = sorted({r.assignment for r in records})
    by_key = {(r.student_id, r.assignment): r for r in records}
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Username", "Email address"]
                        + [column for lesson in lessons for column in (lesson, f"{lesson} feedback")])
        for student in _students(records):
            row = [student.student_id, student.email]
            for lesson in lessons:
                record = by_key[(student.student_id, lesson)]
                why = WHY_EMPTY.get(record.status, "")
                if record.status == FAILED:
                    why = f"{why} - {record.reason}"
                row += [_grade(record), why]
            writer.writerow(row)
    return path


def gradescope_results(record, tests) -> dict:
    """Gradescope's results.json for one submission; ``tests`` are (name, score, max score)."""
    if record.status == FAILED:
        return {"output": f"NOT GRADED - {record.reason}", "tests": [], "visibility": "visible",
                "extra_data": {"status": record.status}}
    results = {"score": sum(score for _, score, _ in tests), "visibility": "visible",
               "tests": [{"name": name, "score": score, "max_score": top, "visibility": "visible"}
                         for name, score, top in tests],
               "extra_data": {"status": record.status}}
    if record.status == AWAITING:
        results["output"] = (f"{record.to_grade_by_hand:g} point(s) of written answers are graded by hand; "
                             "this score is the autograded part only.")
    return results


def autograded_tests(course, record) -> list[tuple[str, float, float]]:
    """(grade id, score, max score) of each autograded cell of a submission."""
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gb:
        submission = gb.find_submission(record.assignment, record.student_id)
        return [(grade.name, grade.auto_score or 0.0, grade.max_score)
                for notebook in submission.notebooks for grade in notebook.grades
                if grade.cell.cell_type == "code"]


def write_lms_exports(course, records) -> list:
    """Write every format; returns the files and folders written."""
    folder = course.root / "exports"
    folder.mkdir(exist_ok=True)
    written = [write_canvas(records, folder / "canvas.csv"), write_moodle(records, folder / "moodle.csv")]
    submitted = [record for record in records if record.status != MISSING]
    for record in submitted:
        tests = [] if record.status == FAILED else autograded_tests(course, record)
        path = folder / "gradescope" / record.student_id / record.assignment / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(gradescope_results(record, tests), indent=2) + "\n")
    return written + ([folder / "gradescope"] if submitted else [])
