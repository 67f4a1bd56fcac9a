"""The exchange from other Unix accounts: submissions prove who made them, stay private, and
bring only their own regular files into grading (autograder/exchange/private.py).

Two local users are made for the test, ``ex-bob`` and ``ex-mallory``; the instructor is root.
Mallory submits her own work with links to the instructor's files added to her folder, forges
a later submission in bob's name, and tries to read bob's."""
import html
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from local_users import as_user

from autograder.lab.setup import write_jupyter_config
from autograder.preprocessors.score_only_feedback import WITHHELD

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
LESSON = "00-fixture"
USERS = ("ex-bob", "ex-mallory")

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    os.geteuid() != 0 or not (shutil.which("useradd") and shutil.which("bwrap")),
    reason="needs root to make local users, and bubblewrap")]


def instructor(course, exchange, *args, check=True):
    command = [sys.executable, "-m", "autograder", "--course-dir", str(course), "--source", str(FIXTURES),
               "--exchange", str(exchange), "--timeout", "20", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0 or not check, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def world():
    base = Path(tempfile.mkdtemp(prefix="exchange-perimeter-"))
    base.chmod(0o755)  # the students must reach their homes and the exchange below it
    for name in USERS:
        subprocess.run(["userdel", name], capture_output=True)
        home = base / name
        subprocess.run(["useradd", "--no-create-home", "--home-dir", str(home), "--shell",
                        "/usr/sbin/nologin", name], check=True, capture_output=True)
        home.mkdir()
        write_jupyter_config(home / ".jupyter", "student", base / "exchange")
        shutil.chown(home, name, name)
        for path in home.rglob("*"):
            shutil.chown(path, name, name)
    yield base
    for name in USERS:
        subprocess.run(["userdel", name], capture_output=True)
    shutil.rmtree(base, ignore_errors=True)


def nbgrader(world, name, *args):
    home = world / name
    return as_user(name, home, sys.executable, "-m", "nbgrader", *args, config=home / ".jupyter")


@pytest.fixture(scope="module")
def collected(world):
    course, exchange = world / "course", world / "exchange"
    course.mkdir()
    instructor(course, exchange, "release", "--publish", LESSON)
    secret = course / ".autograder-secret"
    for name in USERS:
        assert nbgrader(world, name, "fetch_assignment", LESSON).returncode == 0
    solution = (FIXTURES / LESSON / "fixture.ipynb").read_text()
    (world / "ex-bob" / LESSON / "fixture.ipynb").write_text(solution)
    assert nbgrader(world, "ex-bob", "submit", LESSON).returncode == 0
    assert nbgrader(world, "ex-mallory", "submit", LESSON).returncode == 0  # the blank release
    inbound = exchange / "mlp-course" / "inbound"
    mallory_own = next(inbound.glob("ex-mallory+*"))
    bob_own = next(inbound.glob("ex-bob+*"))
    # her own folder: links to the instructor's files, a FIFO, a link in place of a folder
    plants = ("import os\n"
              f"os.symlink({str(secret)!r}, {str(mallory_own / 'secret.txt')!r})\n"
              f"os.symlink({str(course / 'gradebook.db')!r}, {str(mallory_own / 'gradebook.db')!r})\n"
              f"os.symlink({str(course)!r}, {str(mallory_own / 'course')!r})\n"
              f"os.mkfifo({str(mallory_own / 'pipe')!r})\n"
              # a later submission in bob's name, the blank release inside
              f"forged = {str(inbound / 'ex-bob+00-fixture+2099-01-01 00:00:00.000000 UTC+x')!r}\n"
              "os.mkdir(forged)\n"
              f"open(forged + '/fixture.ipynb', 'w').write(open({str(mallory_own / 'fixture.ipynb')!r}).read())\n"
              "open(forged + '/timestamp.txt', 'w').write('2099-01-01 00:00:00.000000 UTC')\n"
              # and a link in bob's name that points at the course folder
              f"os.symlink({str(course)!r}, {str(inbound / 'ex-bob+00-fixture+2098-01-01 00:00:00.000000 UTC+y')!r})\n")
    planted = as_user("ex-mallory", world / "ex-mallory", sys.executable, "-c", plants)
    assert planted.returncode == 0, planted.stderr
    peeks = {
        "list bob's submission": ["ls", str(bob_own)],
        "read bob's notebook": ["cat", str(bob_own / "fixture.ipynb")],
        "write into bob's submission": ["touch", str(bob_own / "planted.txt")],
    }
    peeked = {what: as_user("ex-mallory", world / "ex-mallory", *command).returncode
              for what, command in peeks.items()}
    graded = instructor(course, exchange, "autograde", "--workers", "1")
    return course, exchange, bob_own, secret, peeked, graded.stdout


def test_a_submission_in_someone_elses_name_is_refused(collected):
    course, _, _, _, _, out = collected
    assert "00-fixture: refused the submission ex-bob+00-fixture+2099-01-01 00:00:00.000000 UTC+x " \
           "in ex-bob's name: its folder belongs to ex-mallory, not to ex-bob" in out, out
    assert "refused the submission ex-bob+00-fixture+2098-01-01 00:00:00.000000 UTC+y in " \
           "ex-bob's name: its folder belongs to a symbolic link" in out, out
    line = next(line for line in out.splitlines() if "ex-bob / 00-fixture" in line)
    assert "ex-bob / 00-fixture: 6/6" in line and "refused the submission" in line, out
    timestamp = (course / "submitted" / "ex-bob" / LESSON / "timestamp.txt").read_text()
    assert not timestamp.startswith("209"), timestamp


def test_links_and_fifos_in_a_students_folder_never_reach_grading(collected):
    course, _, _, secret, _, out = collected
    line = next(line for line in out.splitlines() if "ex-mallory / 00-fixture" in line)
    for note in ("left out secret.txt: a symbolic link", "left out gradebook.db: a symbolic link",
                 "left out course: a symbolic link", "left out pipe: a FIFO"):
        assert note in line, out
    assert sorted(p.name for p in (course / "submitted" / "ex-mallory" / LESSON).iterdir()) == \
        ["fixture.ipynb", "submission_secret.txt", "timestamp.txt"]
    key = secret.read_bytes()
    for folder in ("submitted", "autograded"):
        for path in (course / folder).rglob("*"):
            assert path.is_dir() or not path.is_symlink(), path
            if path.is_file():
                assert key not in path.read_bytes() and key.hex().encode() not in path.read_bytes(), path


def test_a_submission_is_its_students_alone(collected):
    _, _, bob_own, _, peeked, _ = collected
    info = bob_own.stat()
    assert pwd.getpwuid(info.st_uid).pw_name == "ex-bob" and oct(info.st_mode & 0o777) == "0o700"
    assert {oct(p.stat().st_mode & 0o777) for p in bob_own.iterdir()} == {"0o600"}
    assert all(code != 0 for code in peeked.values()), peeked


def test_released_feedback_is_readable_by_its_student_only(collected, world):
    course, exchange, _, _, _, _ = collected
    result = instructor(course, exchange, "feedback")  # the README's command releases it too
    assert f"{LESSON}: feedback released to the exchange" in result.stdout, result.stdout
    released = list((exchange / "mlp-course" / "feedback").glob("*.html"))
    assert len(released) == 2
    owners = sorted(pwd.getpwuid(p.stat().st_uid).pw_name for p in released)
    assert owners == ["ex-bob", "ex-mallory"]
    assert {oct(p.stat().st_mode & 0o777) for p in released} == {"0o600"}
    fetched = nbgrader(world, "ex-bob", "fetch_feedback", LESSON)
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    assert list((world / "ex-bob" / LESSON / "feedback").rglob("fixture.html"))
    for path in released:
        assert as_user("ex-mallory", world / "ex-mallory", "cat", str(path)).returncode != 0 \
            or pwd.getpwuid(path.stat().st_uid).pw_name == "ex-mallory"


def test_a_planted_course_folder_in_the_exchange_stops_the_instructor(world):
    course, exchange = world / "course-2", world / "exchange-2"
    course.mkdir()
    exchange.mkdir()
    exchange.chmod(0o1777)
    planted = as_user("ex-mallory", world / "ex-mallory", "mkdir", "-p",
                      str(exchange / "mlp-course" / "inbound"))
    assert planted.returncode == 0, planted.stderr
    result = instructor(course, exchange, "release", "--publish", LESSON, check=False)
    assert result.returncode == 1
    assert f"the exchange folder {exchange / 'mlp-course'} is owned by uid" in result.stderr
    assert "someone may have planted it" in result.stderr
    assert not (exchange / "mlp-course" / "outbound").exists()


def test_grading_on_submit_within_the_rate_limit_and_the_lessons_visibility(collected, world):
    """``autograde --watch``: a new submission is collected, graded and its feedback released in
    one round, well within 2 minutes of submitting; with ``feedback_visibility`` "score" the page
    holds no test message; a second submission within the rate limit waits for its window."""
    course, exchange = collected[0], collected[1]
    (course / "nbgrader_config.py").write_text(
        "c.Autograder.rate_limit_minutes = 10\nc.Autograder.feedback_visibility = {'default': 'score'}\n")
    notebook = world / "ex-bob" / LESSON / "fixture.ipynb"
    wrong = notebook.read_text().replace("return sum(values) / len(values)", "return 0")
    assert wrong != notebook.read_text()
    as_user("ex-bob", world / "ex-bob", sys.executable, "-c",
            f"open({str(notebook)!r}, 'w').write({wrong!r})")
    started = time.monotonic()
    assert nbgrader(world, "ex-bob", "submit", LESSON).returncode == 0
    first = instructor(course, exchange, "autograde", "--watch", "--rounds", "1", "--workers", "1")
    assert "ex-bob / 00-fixture:" in first.stdout and "feedback released" in first.stdout, first.stdout
    assert nbgrader(world, "ex-bob", "fetch_feedback", LESSON).returncode == 0
    seconds = time.monotonic() - started
    # one folder per submission, named by its time: the newest is the submission just graded
    pages = sorted((world / "ex-bob" / LESSON / "feedback").rglob("fixture.html"), key=lambda p: p.parent.name)
    page = html.unescape(pages[-1].read_text())
    assert WITHHELD.strip() in page and "output_error" not in page, (first.stdout, pages)
    print(f"submit to feedback fetched: {seconds:.1f} s")
    assert seconds < 120

    assert nbgrader(world, "ex-bob", "submit", LESSON).returncode == 0  # again, at once
    second = instructor(course, exchange, "autograde", "--watch", "--rounds", "1", "--workers", "1")
    assert "ex-bob / 00-fixture: waits for the rate limit (one grading per 10 min)" in second.stdout, second.stdout
    assert "graded 1 submission" not in second.stdout

    (course / "nbgrader_config.py").write_text("c.Autograder.feedback_visibility = {'00-fixture': 'after_due_date'}\n")
    held = instructor(course, exchange, "feedback")
    assert "00-fixture: feedback held until the due date (none set yet)" in held.stdout, held.stdout
    assert "feedback released" not in held.stdout
