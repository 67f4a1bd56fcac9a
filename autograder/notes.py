"""Notes about one submission's grading, written by the preprocessors, shown on its line.

nbgrader's preprocessors see one notebook and nothing of the batch; what they find worth
telling the instructor (a repaired cell, a sandbox limit) goes into a small JSON file per
submission in the course's log folder, which ``autograde`` reads back and prints.
"""
import json
import os
from pathlib import Path


def notes_file(folder, lesson, student) -> Path:
    return Path(folder) / f"notes-{lesson}-{student}.json"


def read_notes(folder, lesson, student) -> list:
    try:
        return list(json.loads(notes_file(folder, lesson, student).read_text()))
    except (OSError, ValueError):
        return []


def add_note(folder, lesson, student, text):
    if not folder:
        return
    notes = read_notes(folder, lesson, student) + [str(text)]
    path = notes_file(folder, lesson, student)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(notes))
    os.replace(tmp, path)


def clear_notes(folder, lesson, student):
    notes_file(folder, lesson, student).unlink(missing_ok=True)
