"""The grading mode is the course's decision (c.Autograder.grading_mode), recorded with each grade."""
import csv

import nbformat
import pytest

from autograder.authoring import simulate as sim
from autograder.course import Course, InstructorError
from autograder.grading.batch import autograde
from autograder.grading.ledger import Ledger
from autograder.instructor.export import export_csv
from autograder.instructor.release import release
from tests.fixture_course import FIXTURES, LESSON


def _course(root, mode=None):
    root.mkdir(parents=True, exist_ok=True)
    if mode is not None:
        (root / "nbgrader_config.py").write_text(f"c.Autograder.grading_mode = {mode!r}\n")
    return Course.at(root)


def test_the_mode_comes_from_the_course_configuration(tmp_path):
    assert _course(tmp_path / "unset").grading_mode == "quick"
    full = _course(tmp_path / "full", "full")
    assert full.grading_mode == "full" and full.kernel_settings() == {"COURSE_QUICK": "0"}
    assert _course(tmp_path / "quick", "quick").kernel_settings() == {"COURSE_QUICK": "1"}
    with pytest.raises(InstructorError, match="grading_mode .* is 'fast'; use one of quick, full"):
        _course(tmp_path / "wrong", "fast")


@pytest.mark.slow
def test_a_submission_is_graded_in_the_course_mode_whatever_the_shell_says(tmp_path, monkeypatch):
    """The shell says quick mode; the course says full: the kernel runs in full mode, the ledger
    and the CSV say so, and a later grading in another mode does not keep the earlier grade."""
    monkeypatch.setenv("COURSE_QUICK", "1")
    lesson = tmp_path / "notebooks" / LESSON
    lesson.mkdir(parents=True)
    nb = nbformat.read(str(FIXTURES / LESSON / "fixture.ipynb"), as_version=4)
    sim.find_cell(nb, "setup").source += "\nimport os\nprint('COURSE_QUICK =', os.environ.get('COURSE_QUICK'))"
    nbformat.write(nb, str(lesson / "fixture.ipynb"))
    course = _course(tmp_path, "full")
    assert release(course, [LESSON], check=False, say=lambda line: None) == []
    answers = sim.reference_answers(course, LESSON)
    sim.submit(course, "ada", LESSON, sim.fill_with_solution(sim.released(course, LESSON), answers))

    [outcome], _ = autograde(course, LESSON, say=lambda line: None)
    assert outcome.score == 6
    graded = nbformat.read(str(course.autograded_notebook("ada", LESSON)), as_version=4)
    assert "COURSE_QUICK = 0" in sim.find_cell(graded, "setup").outputs[0]["text"]
    assert Ledger(course.root).modes() == {(LESSON, "ada"): "full"}
    rows = list(csv.DictReader(export_csv(course).open()))
    assert [(row["student_id"], row["grading_mode"]) for row in rows] == [("ada", "full")]

    course.grading_mode = "quick"
    [outcome], _ = autograde(course, LESSON, say=lambda line: None)
    assert not outcome.kept and Ledger(course.root).modes() == {(LESSON, "ada"): "quick"}
    graded = nbformat.read(str(course.autograded_notebook("ada", LESSON)), as_version=4)
    assert "COURSE_QUICK = 1" in sim.find_cell(graded, "setup").outputs[0]["text"]
