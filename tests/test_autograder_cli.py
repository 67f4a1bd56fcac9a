"""The instructor commands end to end on the fixture lesson, through `python -m autograder`."""
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.authoring import simulate as sim
from autograder.course import Course
from autograder.instructor.release import release

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
LESSON = "00-fixture"


def run_cli(course_dir, *args):
    command = [sys.executable, "-m", "autograder", "--course-dir", str(course_dir),
               "--source", str(FIXTURES), "--timeout", "20", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def test_release_lms_import_autograde_feedback_export(tmp_path):
    result = run_cli(tmp_path, "release")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "00-fixture: released release/00-fixture/fixture.ipynb (reference 6/6, unanswered 0/6, " \
           "mutants killed 9/9)" in result.stdout
    course = Course.at(tmp_path, FIXTURES)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    full = sim.fill_with_solution(sim.released(course, LESSON), sim.reference_answers(course, LESSON))
    (downloads / "Ada Lovelace.ipynb").write_text(json.dumps(full))
    (downloads / "grace.ipynb").write_text(json.dumps(sim.released(course, LESSON)))
    (downloads / "broken.ipynb").write_text("not json")

    result = run_cli(tmp_path, "autograde", "--submissions", str(downloads), "--lesson", LESSON,
                     "--workers", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ada-lovelace / 00-fixture: 6/6 (+2 to grade by hand)" in result.stdout
    assert "grace / 00-fixture: 0/6" in result.stdout
    assert "broken / 00-fixture: NOT GRADED - not valid JSON" in result.stdout
    assert "submissions/minute with 2 worker(s)" in result.stdout
    assert "Warning" not in result.stderr, result.stderr  # nor from the grading workers

    result = run_cli(tmp_path, "feedback")
    assert result.returncode == 0, result.stdout + result.stderr
    assert course.feedback_html("ada-lovelace", LESSON).exists()
    assert "wrote 2 feedback report(s)" in result.stdout

    result = run_cli(tmp_path, "export")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {row["student_id"]: row for row in csv.DictReader((tmp_path / "grades.csv").open())}
    ada = rows["ada-lovelace"]  # a written answer still to grade: no score yet, and it says so
    assert (ada["status"], ada["score"], ada["raw_score"]) == ("awaiting hand grading", "", "")
    assert float(ada["autograded_score"]) == 6 and float(ada["to_grade_by_hand"]) == 2
    assert float(ada["max_score"]) == 8
    assert rows["grace"]["status"] == "graded" and float(rows["grace"]["score"]) == 0
    assert rows["broken"]["status"] == "not graded" and rows["broken"]["score"] == ""
    table = result.stdout.splitlines()
    assert any(line.split()[:2] == ["ada-lovelace", "pending"] for line in table)
    assert (tmp_path / "exports" / "canvas.csv").is_file()

    from nbgrader.api import Gradebook  # the instructor grades the written answer, as formgrader does

    with Gradebook(course.db_url) as gb:
        for notebook in gb.find_submission(LESSON, "ada-lovelace").notebooks:
            for grade in notebook.grades:
                if grade.needs_manual_grade:
                    grade.manual_score, grade.needs_manual_grade = 1.5, False
        gb.db.commit()
    result = run_cli(tmp_path, "autograde", "--submissions", str(downloads), "--lesson", LESSON)
    assert "ada-lovelace / 00-fixture: 6/6 (+1.5/2 graded by hand)  (unchanged: kept)" in result.stdout, result.stdout
    run_cli(tmp_path, "export")
    rows = {row["student_id"]: row for row in csv.DictReader((tmp_path / "grades.csv").open())}
    assert rows["ada-lovelace"]["status"] == "graded" and float(rows["ada-lovelace"]["score"]) == 7.5


def test_release_refuses_a_notebook_whose_tests_pass_unanswered(tmp_path):
    source = tmp_path / "notebooks" / "01-leaky"
    source.mkdir(parents=True)
    nb = sim.nbformat.read(str(FIXTURES / LESSON / "fixture.ipynb"), as_version=4)
    sim.find_cell(nb, "square-tests").source = (
        "### BEGIN HIDDEN TESTS\nexpect(True, 'passes whatever the answer')\n### END HIDDEN TESTS")
    sim.nbformat.write(nb, source / "leaky.ipynb")
    lines = []
    course = Course.at(tmp_path, timeout=20)
    assert release(course, ["01-leaky"], say=lines.append) == ["01-leaky"]
    assert "NOT RELEASED - the unanswered release already scores 1/6" in lines[0]
    assert not (tmp_path / "release" / "01-leaky").exists()


def test_demo_gives_the_reference_full_marks(tmp_path):
    result = run_cli(tmp_path, "demo", "--workers", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "reference / 00-fixture: 6/6" in result.stdout
    assert "OK: the reference solution gets full marks in all 1 lesson(s)" in result.stdout
    scratch = tmp_path / "build" / "demo-course"
    assert f"demo output: {scratch}" in result.stdout
    assert (scratch / "gradebook.db").is_file() and (scratch / "grades.csv").is_file()
    assert not (tmp_path / "gradebook.db").exists() and not (tmp_path / "grades.csv").exists()


def test_release_refuses_a_reference_that_timed_out_or_was_interrupted(tmp_path, monkeypatch):
    """A reference cell that hits the cell time limit is a failed check, even with full marks;
    an interrupted check releases nothing more (issue 21)."""
    source = tmp_path / "notebooks" / "01-slow"
    source.mkdir(parents=True)
    nb = sim.nbformat.read(str(FIXTURES / LESSON / "fixture.ipynb"), as_version=4)
    sim.find_cell(nb, "setup").source += "\nimport time\ntime.sleep(30)\n"
    sim.nbformat.write(nb, source / "slow.ipynb")
    lines = []
    course = Course.at(tmp_path, timeout=4)
    assert release(course, ["01-slow"], say=lines.append) == ["01-slow"]
    assert "NOT RELEASED - the source notebook did not run to the end: cell 1: " in lines[0], lines
    assert not (tmp_path / "release" / "01-slow").exists()

    import autograder.instructor.release as releasing

    def interrupted(course, lesson):
        raise KeyboardInterrupt

    monkeypatch.setattr(releasing, "check_lesson", interrupted)
    lines.clear()
    assert release(course, ["01-slow"], say=lines.append) == ["01-slow"]
    assert lines == ["  01-slow: NOT RELEASED - interrupted before its check finished"]
