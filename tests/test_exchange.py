"""The exchange workflow on one machine, with nbgrader's own student commands: the instructor
publishes, a student fetches and submits (twice), ``autograde`` collects the newest and grades
it; and the Jupyter configuration each role gets."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.lab.setup import write_jupyter_config

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
LESSON = "00-fixture"


def instructor(course, exchange, *args):
    command = [sys.executable, "-m", "autograder", "--course-dir", str(course), "--source", str(FIXTURES),
               "--exchange", str(exchange), "--timeout", "20", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def student(home, config_dir, *args):
    """An nbgrader student command, run as JupyterLab's Assignment List runs it."""
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config_dir), "HOME": str(home)}
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=home, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


@pytest.mark.slow
def test_publish_fetch_submit_collect_grade(tmp_path):
    course, exchange, home, config = (tmp_path / name for name in ("course", "exchange", "home", "jupyter"))
    course.mkdir()
    home.mkdir()
    out = instructor(course, exchange, "release", "--publish", LESSON)
    assert f"created the exchange {exchange}" in out and f"{LESSON}: published to the exchange" in out
    assert oct(exchange.stat().st_mode & 0o7777) == "0o1777"
    instructor(course, exchange, "jupyter-setup", "student", "--config-dir", str(config), "--student-id", "alice")

    assert "Fetched as: mlp-course 00-fixture" in student(home, config, "fetch_assignment", LESSON)
    fetched = home / LESSON / "fixture.ipynb"
    assert fetched.read_text() == (course / "release" / LESSON / "fixture.ipynb").read_text()
    student(home, config, "submit", LESSON)  # first the unanswered release, then the answers
    fetched.write_text((FIXTURES / LESSON / "fixture.ipynb").read_text())
    student(home, config, "submit", LESSON)

    out = instructor(course, exchange, "autograde", "--workers", "1")
    assert f"{LESSON}: collected 1 submission(s) from the exchange: alice" in out
    assert "alice / 00-fixture: 6/6" in out, out  # the newest of the two submissions
    out = instructor(course, exchange, "autograde", "--workers", "1")
    assert "collected" not in out and "1 unchanged (kept)" in out

    # the Assignment List: each submission named by its time, the lack of feedback said
    first, newest = submitted_rows(home, config)
    for row in (first, newest):
        assert re.fullmatch(r"submitted \d{4}-\d\d-\d\d at \d\d\.\d\d\.\d\d UTC \(no feedback released yet\)",
                            row["timestamp"]), row["timestamp"]
    assert "No feedback released yet" in student(home, config, "fetch_feedback", LESSON)
    assert not (home / LESSON / "feedback").exists()
    instructor(course, exchange, "feedback")
    first, newest = submitted_rows(home, config)
    assert newest["has_exchange_feedback"] and not newest["has_local_feedback"]
    assert "(no feedback released yet)" not in newest["timestamp"]
    assert first["timestamp"].endswith("(no feedback released yet)")  # graded was the newest only
    student(home, config, "fetch_feedback", LESSON)
    (folder,) = (home / LESSON / "feedback").iterdir()
    assert folder.name == newest["timestamp"] and [p.name for p in folder.iterdir()] == ["fixture.html"]
    first, newest = submitted_rows(home, config)
    assert newest["has_local_feedback"] and not newest["feedback_updated"]
    assert newest["local_feedback_path"] == f"{LESSON}/feedback/{folder.name}"


def submitted_rows(home, config_dir):
    """The student's submissions of the lesson, oldest first, as JupyterLab's Assignment List gets them."""
    code = ("import json\n"
            "from nbgrader.server_extensions.assignment_list.handlers import AssignmentList\n"
            "manager = AssignmentList()\nmanager.root_dir = '.'\n"
            "print(json.dumps(manager.list_submitted_assignments('mlp-course')))")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config_dir), "HOME": str(home)}
    result = subprocess.run([sys.executable, "-c", code], cwd=home, env=env, capture_output=True,
                            text=True, timeout=120)
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["success"], answer
    (lesson,) = answer["value"]
    return lesson["submissions"]


def test_publish_needs_an_exchange(tmp_path):
    command = [sys.executable, "-m", "autograder", "--course-dir", str(tmp_path), "--source", str(FIXTURES),
               "release", "--no-check", "--publish", LESSON]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "no exchange: pass --exchange DIR" in result.stderr
    assert not (tmp_path / "release").exists()


def test_roles_see_their_menus_and_the_course_validate(tmp_path):
    write_jupyter_config(tmp_path / "s", "student", "/srv/exchange", student_id="alice")
    write_jupyter_config(tmp_path / "i", "instructor", "/srv/exchange", course_dir="/srv/course")
    pages = {role: json.loads((tmp_path / role / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
             for role in ("s", "i")}
    servers = {role: json.loads((tmp_path / role / "jupyter_server_config.json").read_text())
               ["ServerApp"]["jpserver_extensions"] for role in ("s", "i")}
    assert pages["s"]["@jupyter/nbgrader:formgrader"] and pages["s"]["@jupyter/nbgrader:create-assignment"]
    assert not any(pages["i"].values())
    assert servers["s"]["nbgrader.server_extensions.formgrader"] is False
    assert servers["i"]["nbgrader.server_extensions.formgrader"] is True
    for extensions in servers.values():
        assert extensions["autograder.lab.extension"] is True
        assert extensions["nbgrader.server_extensions.validate_assignment"] is False
    assert "c.Exchange.root = '/srv/exchange'" in (tmp_path / "s" / "nbgrader_config.py").read_text()
    assert "c.CourseDirectory.root = '/srv/course'" in (tmp_path / "i" / "nbgrader_config.py").read_text()


def test_setup_keeps_other_settings_and_foreign_config_files(tmp_path):
    (tmp_path / "labconfig").mkdir()
    (tmp_path / "jupyter_server_config.json").write_text(json.dumps({"ServerApp": {"ip": "0.0.0.0"}}))
    write_jupyter_config(tmp_path, "student", "/srv/exchange")
    assert json.loads((tmp_path / "jupyter_server_config.json").read_text())["ServerApp"]["ip"] == "0.0.0.0"
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.Exchange.root = '/mine'\n")
    with pytest.raises(ValueError, match="was not written by jupyter-setup"):
        write_jupyter_config(tmp_path, "student", "/srv/exchange")
    assert "/mine" in (tmp_path / "nbgrader_config.py").read_text()
