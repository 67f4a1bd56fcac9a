"""What a gradebook holds, as a dict to compare two gradings with."""


def gradebook_snapshot(db_url, submissions=False):
    """Every grade and comment, keyed by (student, cell); with ``submissions`` also each
    submission's notebook count, timestamp and lateness."""
    from nbgrader.api import Gradebook

    rows = {}
    with Gradebook(db_url) as gb:
        for student in gb.students:
            for submission in student.submissions:
                if submissions:
                    rows[(student.id, submission.assignment.name)] = len(submission.notebooks)
                    rows[(student.id, "timestamp")] = str(submission.timestamp)
                    rows[(student.id, "late")] = submission.total_seconds_late
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        rows[(student.id, grade.name)] = (
                            grade.auto_score, grade.manual_score, grade.needs_manual_grade)
                    for comment in notebook.comments:
                        rows[(student.id, comment.name, "comment")] = comment.auto_comment
    return rows
