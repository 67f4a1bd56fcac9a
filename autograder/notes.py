"""Notes about one submission's grading, written by the preprocessors, shown on its line.

nbgrader's preprocessors see one notebook and nothing of the batch; what they find worth
telling the instructor (a repaired cell, a sandbox limit) goes into a small JSON file per
submission in the course's log folder, which ``autograde`` reads back and prints. What the
exchange's collect refused or left out when it received the submission has a file of its own,
replaced at each collect and kept across gradings.
"""
import json
import os
from pathlib import Path


def notes_file(folder, lesson, student) -> Path:
    return Path(folder) / f"notes-{lesson}-{student}.json"


def received_file(folder, lesson, student) -> Path:
    return Path(folder) / f"received-{lesson}-{student}.json"


def _read(path) -> list:
    try:
        return list(json.loads(path.read_text()))
    except (OSError, ValueError):
        return []


def _write(path, notes):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(notes))
    os.replace(tmp, path)


def read_notes(folder, lesson, student) -> list:
    """What was noted when the submission was received, then when it was graded."""
    return _read(received_file(folder, lesson, student)) + _read(notes_file(folder, lesson, student))


def set_received_notes(folder, lesson, student, notes):
    """Replace the notes of how the submission was received (collect)."""
    _write(received_file(folder, lesson, student), [str(note) for note in notes])


def add_note(folder, lesson, student, text):
    if not folder:
        return
    path = notes_file(folder, lesson, student)
    _write(path, _read(path) + [str(text)])


def clear_notes(folder, lesson, student):
    notes_file(folder, lesson, student).unlink(missing_ok=True)
