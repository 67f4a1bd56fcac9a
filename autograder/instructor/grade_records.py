"""One record per student and lesson from the gradebook and the grading ledger, saying what its
score means (``status``): ``graded``; ``awaiting hand grading`` (written answers not yet graded:
no score yet, the autograded part in ``autograded_score``); ``not graded`` (the latest grading
failed, with the reason; never an earlier score); ``missing`` (nothing submitted). Only a graded
record has a score: missing work is never shown as 0.
"""
from dataclasses import dataclass

from autograder.grading.ledger import Ledger

NOT_GRADED = "NOT GRADED"
GRADED, AWAITING, FAILED, MISSING = "graded", "awaiting hand grading", "not graded", "missing"


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
