"""What the last grading of each submission gave, kept beside the gradebook.

nbgrader's gradebook keeps the last grades it saved, so a resubmission that cannot be graded
would still show the previous score. The ledger (``grading-status.json`` in the course root)
records, per lesson and student, whether the latest submission was graded, why not, and the
hash of the notebook that was graded; the table and the CSV read it.
"""
import hashlib
import json
import os
from pathlib import Path

FILE_NAME = "grading-status.json"


def notebook_hash(path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


class Ledger:
    def __init__(self, root):
        self.path = Path(root) / FILE_NAME

    def read(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except ValueError as error:
            raise ValueError(f"{self.path} is damaged ({error}); delete it and grade again") from None

    def entry(self, lesson, student) -> dict | None:
        return self.read().get(lesson, {}).get(student)

    def record(self, lesson, student, *, problem=None, score=None, sha256=None, mode=None):
        data = self.read()
        data.setdefault(lesson, {})[student] = {
            "status": "not graded" if problem else "graded", "reason": problem or "",
            "score": None if problem else score, "sha256": sha256, "mode": mode}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        os.replace(tmp, self.path)

    def modes(self) -> dict:
        """{(lesson, student): the grading mode of the latest grading} (None: graded before
        modes were recorded)."""
        return {(lesson, student): entry.get("mode")
                for lesson, students in self.read().items() for student, entry in students.items()}

    def not_graded(self) -> dict:
        """{(lesson, student): reason} of the submissions whose latest grading failed."""
        return {(lesson, student): entry["reason"]
                for lesson, students in self.read().items()
                for student, entry in students.items() if entry.get("status") == "not graded"}
