"""Feedback says "pending" for what a person has not graded yet, instead of a score of 0, and
when the work was submitted against the lesson's due date."""
from nbgrader.api import Gradebook
from nbgrader.preprocessors import GetGrades


class MarkPendingGrades(GetGrades):
    """nbgrader's GetGrades, which also marks each cell whose grade still needs grading by hand
    (``nbgrader.pending``) and totals their points (``resources["nbgrader"]["pending"]``)."""

    def preprocess(self, nb, resources):
        resources.setdefault("nbgrader", {})["pending"] = 0.0
        nb, resources = super().preprocess(nb, resources)
        with Gradebook(self.db_url) as gradebook:
            submission = gradebook.find_submission(self.assignment_id, self.student_id)
            resources["nbgrader"]["submitted"] = _minutes(submission.timestamp)
            resources["nbgrader"]["due"] = _minutes(submission.duedate)
        return nb, resources

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") or meta.get("task"):
            grade = self.gradebook.find_grade(meta["grade_id"], self.notebook_id, self.assignment_id,
                                              self.student_id)
            meta["pending"] = bool(grade.needs_manual_grade)
            if grade.needs_manual_grade:
                resources["nbgrader"]["pending"] += grade.max_score
        return cell, resources


def _minutes(moment):
    """A date and time as the page shows it (UTC, to the minute), or "" when there is none."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else ""
