"""Grades out of the gradebook: one record per student and lesson, as ``grades.csv`` (nbgrader's
CSV columns plus status columns), a table on screen, and the LMS formats
(:mod:`autograder.instructor.lms_export`).

Every record says what its score means (``status``): ``graded``; ``awaiting hand grading``
(written answers not yet graded: no score yet, the autograded part in ``autograded_score``);
``not graded`` (the latest grading failed, with the reason; never an earlier score); ``missing``
(nothing submitted). Only a graded record has a score: missing work is never shown as 0.
"""
import csv
from dataclasses import asdict, dataclass

from autograder.grading.ledger import Ledger

NOT_GRADED = "NOT GRADED"
GRADED, AWAITING, FAILED, MISSING = "graded", "awaiting hand grading", "not graded", "missing"
CSV_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
               "raw_score", "late_submission_penalty", "score", "max_score", "status", "reason",
               "grading_mode", "autograded_score", "to_grade_by_hand"]


@dataclass
class GradeRecord:
    """One student's standing in one lesson."""

    assignment: str
    student_id: str
    max_score: float
    status: str
    duedate: str = ""
    timestamp: str = ""
    last_name: str = ""
    first_name: str = ""
    email: str = ""
    raw_score: float | None = None
    late_submission_penalty: float | None = None
    score: float | None = None
    reason: str = ""
    grading_mode: str = ""
    autograded_score: float | None = None
    to_grade_by_hand: float | None = None

    @property
    def shown(self):
        """The score as a table shows it: the number, or what stands in its place."""
        return {GRADED: f"{self.score:g}" if self.score is not None else "", AWAITING: "pending",
                FAILED: NOT_GRADED, MISSING: "-"}[self.status]


def grade_records(course) -> list[GradeRecord]:
    """Every (student, lesson) of the gradebook, lessons in order, then students."""
    from nbgrader.api import Gradebook, MissingEntry

    ledger = Ledger(course.root)
    failed, modes = ledger.not_graded(), ledger.modes()
    records = []
    with Gradebook(course.db_url) as gb:
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            for student in sorted(gb.students, key=lambda s: s.id):
                record = GradeRecord(assignment.name, student.id, assignment.max_score, MISSING,
                                     duedate=str(assignment.duedate or ""),
                                     last_name=student.last_name or "", first_name=student.first_name or "",
                                     email=student.email or "",
                                     grading_mode=modes.get((assignment.name, student.id)) or "")
                try:
                    submission = gb.find_submission(assignment.name, student.id)
                except MissingEntry:
                    submission = None
                if (assignment.name, student.id) in failed:
                    record.status, record.reason = FAILED, failed[(assignment.name, student.id)]
                elif submission is not None:
                    _fill(record, submission)
                records.append(record)
    return records


def _fill(record, submission):
    record.timestamp = str(submission.timestamp or "")
    record.late_submission_penalty = submission.late_submission_penalty
    record.autograded_score = sum(grade.auto_score or 0.0 for notebook in submission.notebooks
                                  for grade in notebook.grades)
    pending = sum(grade.max_score for notebook in submission.notebooks for grade in notebook.grades
                  if grade.needs_manual_grade)
    if pending:
        record.status, record.to_grade_by_hand = AWAITING, pending
    else:
        record.status, record.raw_score = GRADED, submission.score
        record.score = submission.score - (submission.late_submission_penalty or 0.0)


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
    from autograder.instructor.lms_export import write_lms_exports

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
