"""Bring submissions into nbgrader's ``submitted/<student>/<lesson>/`` layout and check them."""
import contextlib
import datetime
import os
import pwd
import re
import unicodedata

from autograder.sandbox.plain_files import copy_plain_file


def sanitize_student_id(name):
    """A safe student id from a file name: ASCII letters, digits, ``_`` and ``-``, lower case."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9_-]+", "-", ascii_name.lower()).strip("-_")


def import_flat_folder(course, folder, lesson, say=print):
    """Copy ``<folder>/<student>.ipynb`` files (an LMS download) into submitted/.

    The student id comes from the file name; the file's modification time becomes
    nbgrader's timestamp.txt. Returns the imported student ids.
    """
    imported = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or (path.is_dir() and not path.is_symlink()):
            continue
        if path.suffix.lower() != ".ipynb":
            say(f"  skipped {path.name}: not a .ipynb file")
            continue
        owner = path.lstat().st_uid
        if owner != os.geteuid():
            say(f"  skipped {path.name}: owned by {_user_name(owner)}, not by you (an LMS download "
                "is the instructor's own: another user's file there was planted)")
            continue
        student = sanitize_student_id(path.stem)
        if not student:
            say(f"  skipped {path.name}: no usable student id in the file name")
            continue
        if student in imported:
            say(f"  skipped {path.name}: student id '{student}' already taken by {imported[student]}")
            continue
        target = course.submitted_notebook(student, lesson)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() or target.is_symlink():
            target.unlink()
        refused = copy_plain_file(path, target)
        if refused:
            say(f"  skipped {path.name}: {refused} (only regular files are imported)")
            for folder in (target.parent, target.parent.parent):  # made for it just now
                with contextlib.suppress(OSError):
                    folder.rmdir()
            continue
        mtime = datetime.datetime.fromtimestamp(path.lstat().st_mtime, tz=datetime.timezone.utc)
        (target.parent / "timestamp.txt").write_text(mtime.isoformat())
        imported[student] = path.name
    return sorted(imported)


def _user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"
