"""What travels between the grader and the workers, as plain data: a lesson's bundle (its
gradebook definition, extra files, secret and settings) and folders as {path: (mode, bytes)}."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from autograder.course import InstructorError

# COURSE_* variables that describe this machine, not the grading: a worker keeps its own.
MACHINE_ENV = ("COURSE_DATA", "COURSE_MNIST_DIR", "COURSE_DEVICE", "COURSE_PROGRESS")
MAX_SUBMISSION_BYTES = 256 << 20


def gradebook_template(course, lesson, path):
    """Write at ``path`` a SQLite gradebook holding only ``lesson``'s definition (assignment,
    notebooks, cells, as release stored them) from the course's gradebook (any db_url)."""
    from nbgrader.api import Base
    from sqlalchemy import create_engine, select, text
    from sqlalchemy.exc import SQLAlchemyError

    path = Path(path)
    path.unlink(missing_ok=True)
    tables = Base.metadata.tables
    source, target = create_engine(course.db_url), create_engine(f"sqlite:///{path}")
    try:
        # nbgrader's Gradebook would run the alembic command to stamp a new file (seconds):
        # the schema and the stamp are taken from the course's gradebook instead
        Base.metadata.create_all(bind=target)
        with source.connect() as src, target.begin() as dst:
            try:
                version = src.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except SQLAlchemyError:
                version = None
            if version is None:
                from nbgrader.api import get_alembic_version

                version = get_alembic_version()
            dst.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            dst.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": version})

            def rows(name, column, values):
                table = tables[name]
                if not values:
                    return []
                return [dict(r) for r in src.execute(
                    select(table).where(table.c[column].in_(list(values)))).mappings()]

            def insert(name, records):
                if records:
                    dst.execute(tables[name].insert(), records)

            assignments = rows("assignment", "name", [lesson])
            if not assignments:
                raise InstructorError(f"{lesson} is not in the gradebook: run release {lesson}")
            insert("course", rows("course", "id", {a["course_id"] for a in assignments}))
            insert("assignment", assignments)
            notebooks = rows("notebook", "assignment_id", [a["id"] for a in assignments])
            insert("notebook", notebooks)
            notebook_ids = [n["id"] for n in notebooks]
            cells = rows("base_cell", "notebook_id", notebook_ids)
            insert("base_cell", cells)
            for name in ("grade_cells", "solution_cells", "task_cells"):
                insert(name, rows(name, "id", [c["id"] for c in cells]))
            insert("source_cell", rows("source_cell", "notebook_id", notebook_ids))
    finally:
        source.dispose()
        target.dispose()
    return path


def read_tree(folder, limit=None):
    """{relative path: (mode, bytes)} of the regular files below ``folder`` (links skipped)."""
    files, total = {}, 0
    folder = Path(folder)
    if not folder.is_dir():
        return files
    for top, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(top, d))]
        for name in names:
            path = os.path.join(top, name)
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode):
                continue
            total += info.st_size
            if limit is not None and total > limit:
                raise ValueError(f"the folder holds over {limit >> 20} MiB")
            with open(path, "rb") as f:
                files[os.path.relpath(path, folder)] = (stat.S_IMODE(info.st_mode), f.read())
    return files


def write_tree(folder, files):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for relative, (mode, data) in files.items():
        parts = Path(relative).parts
        if Path(relative).is_absolute() or ".." in parts or not parts:
            raise ValueError(f"unsafe path {relative!r}")
        path = folder.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.chmod(0o600)
        path.write_bytes(data)
        path.chmod(mode & 0o777)


def lesson_bundle(course, lesson, scratch):
    """What every worker needs to grade ``lesson``, as plain data."""
    from nbgrader.utils import find_all_files

    from autograder.preprocessors.judge import course_secret

    coursedir = course.coursedir()
    config = coursedir.config
    template = gradebook_template(course, lesson, Path(scratch) / f"{lesson}.db")
    source = course.source / lesson
    extras = {}
    for filename in find_all_files(str(source), list(coursedir.ignore) + ["*.ipynb"]):
        with open(filename, "rb") as f:
            extras[os.path.relpath(filename, source)] = (stat.S_IMODE(os.stat(filename).st_mode), f.read())
    limits = course.limits
    return {
        "lesson": lesson,
        "notebook": course.notebook_name(lesson),
        "gradebook": template.read_bytes(),
        "extras": extras,
        "secret": course_secret(str(course.secret_file)),
        "timeout": int(config.Execute.timeout) if "timeout" in config.Execute else None,
        "sandbox": bool(course.sandbox),
        "answer_rules": bool(course.answer_rules),
        "grading_mode": course.grading_mode,
        "limits": None if limits is None else
        (int(limits.memory_bytes), int(limits.max_processes), float(limits.submission_seconds),
         int(limits.disk_bytes), float(limits.cpu_cores)),
        "env": {k: v for k, v in os.environ.items()
                if k.startswith("COURSE_") and k not in MACHINE_ENV},
    }
