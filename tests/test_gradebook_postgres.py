"""The gradebook on a real PostgreSQL server (nbgrader's ``db_url``) grades exactly as SQLite.

The test starts a throwaway server: ``initdb`` in a temporary folder, run as an unprivileged
user (initdb refuses root), listening on 127.0.0.1 on a free port, stopped at the end.
``make system`` (which ``make test`` runs first) installs Debian's postgresql package when
``initdb`` is missing; without it the test is skipped and says why.
"""
import csv
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from gradebook_snapshot import gradebook_snapshot as snapshot_of

from autograder.authoring import simulate as sim
from autograder.cli import main as cli_main
from autograder.course import Course
from autograder.grading.batch import autograde
from autograder.instructor.export import export
from autograder.instructor.feedback import feedback
from autograder.instructor.release import release

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
LESSON = "00-fixture"


def _postgres_bin(name):
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return candidates[-1] if candidates else None


def _server_user():
    """An unprivileged account to run the server as (this one, unless it is root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    pytest.skip("running as root and no unprivileged account (postgres, nobody) to run PostgreSQL")


def _as(user, command, **kwargs):
    if user is not None:
        runuser = shutil.which("runuser")
        command = [runuser, "-u", user.pw_name, "--", *command] if runuser else \
            ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)


@pytest.fixture(scope="module")
def postgres_url():
    initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL server not installed (initdb/pg_ctl missing): run `make system` "
                    "as root to install Debian's postgresql package")
    psycopg = pytest.importorskip("psycopg", reason="psycopg (SQLAlchemy's PostgreSQL driver) is not installed")
    user = _server_user()
    folder = Path(tempfile.mkdtemp(prefix="pg-gradebook-"))
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir()
    if user is not None:
        for path in (folder, sockets):
            os.chown(path, user.pw_uid, user.pw_gid)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = False
    try:
        done = _as(user, [initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                          "--no-sync"])
        assert done.returncode == 0, done.stdout + done.stderr
        options = f"-h 127.0.0.1 -p {port} -k {sockets} -F -c max_connections=50"
        done = _as(user, [pg_ctl, "-D", str(data), "-l", str(folder / "server.log"), "-w", "-t", "60",
                          "-o", options, "start"])
        assert done.returncode == 0, done.stdout + done.stderr + _read(folder / "server.log")
        started = True
        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres",
                             autocommit=True) as connection:
            connection.execute("CREATE DATABASE gradebook")
        yield f"postgresql://postgres@127.0.0.1:{port}/gradebook"
    finally:
        if started:
            _as(user, [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(folder, ignore_errors=True)


def _read(path):
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def end_to_end(root, db_url=None):
    """release, submissions, autograde (embedded Dask cluster, then in this process),
    feedback and export; returns everything they left, comparable across gradebooks."""
    root.mkdir()
    (root / "notebooks").mkdir()
    (root / "notebooks" / LESSON).symlink_to(FIXTURES / LESSON, target_is_directory=True)
    course = Course.at(root, timeout=20, db_url=db_url)
    assert release(course, [LESSON], check=False, say=lambda line: None) == []
    full = lambda: sim.fill_with_solution(sim.released(course, LESSON),
                                          sim.reference_answers(course, LESSON))
    sim.submit(course, "ada", LESSON, full())
    sim.submit(course, "bo", LESSON, sim.released(course, LESSON))
    sim.submit(course, "cy", LESSON, sim.replace_source(full(), "mean-answer",
                                                        "def mean(values):\n    return 2\n"))
    sim.submit_text(course, "dee", LESSON, '{"cells": [')
    (course.submitted_dir("ed", LESSON) / "timestamp.txt").parent.mkdir(parents=True)
    (course.submitted_dir("ed", LESSON) / "timestamp.txt").write_text("2020-01-01 10:00:00")
    sim.submit(course, "ed", LESSON, full())
    first, _ = autograde(course, LESSON, workers=2, say=lambda line: None)
    # a resubmission, graded in this process straight into the gradebook
    sim.submit(course, "bo", LESSON, full())
    second, _ = autograde(course, LESSON, workers=1, say=lambda line: None)
    feedback(course, [LESSON], say=lambda line: None)
    records = export(course, say=lambda line: None)
    with open(course.root / "grades.csv") as f:
        rows = sorted((r["student_id"], r["score"], r["max_score"], r["status"], r["reason"][:20])
                      for r in csv.DictReader(f))
    return {
        "first": sorted(o.line() for o in first),
        "second": sorted(o.line() for o in second),
        "gradebook": _snapshot(course),
        "csv": rows,
        "table": [(r.student_id, r.assignment, r.status, r.score) for r in records],
        "feedback": sorted(str(p.relative_to(course.root)) for p in (course.root / "feedback").rglob("*.html")),
    }


def _snapshot(course):
    return snapshot_of(course.db_url, submissions=True)


def test_postgres_gradebook_grades_exactly_as_sqlite(postgres_url, tmp_path):
    sqlite = end_to_end(tmp_path / "sqlite")
    postgres = end_to_end(tmp_path / "postgres", db_url=postgres_url)
    assert not (tmp_path / "postgres" / "gradebook.db").exists()  # nothing went to SQLite
    assert "  ada / 00-fixture: 6/6 (+2 to grade by hand)" in sqlite["first"]
    assert any(line.startswith("  dee / 00-fixture: NOT GRADED - not valid JSON") for line in sqlite["first"])
    assert "  bo / 00-fixture: 6/6 (+2 to grade by hand)" in sqlite["second"]
    for part in ("first", "second", "gradebook", "csv", "table", "feedback"):
        assert postgres[part] == sqlite[part], part
    assert sqlite["gradebook"][("ed", "timestamp")] == "2020-01-01 10:00:00"


def test_cli_takes_db_url_and_masks_its_password(tmp_path, capsys):
    # an unreachable server: one line, no password in it
    url = "postgresql://grader:s3cret@127.0.0.1:1/gradebook"
    assert cli_main(["--course-dir", str(tmp_path), "--source", str(FIXTURES), "--db-url", url,
                     "autograde", LESSON]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot open the gradebook" in err
    assert "s3cret" not in err and "grader:***@" in err


def test_course_reads_db_url_from_the_course_nbgrader_config(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.db_url = "postgresql://u@db.invalid/g"\n'
        'c.Autograder.scheduler = "tcp://127.0.0.1:8786"\n')
    course = Course.at(tmp_path)
    assert course.db_url == "postgresql://u@db.invalid/g" and not course.db_is_sqlite_file
    assert course.config().CourseDirectory.db_url == "postgresql://u@db.invalid/g"
    from autograder.cluster.lifecycle import configured_scheduler

    assert configured_scheduler(course) == "tcp://127.0.0.1:8786"
    assert Course.at(tmp_path, db_url="sqlite:////x.db").db_url == "sqlite:////x.db"
    assert Course.at(tmp_path / "..").db_is_sqlite_file
