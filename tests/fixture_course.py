"""The fixture lesson (tests/fixtures/notebooks/00-fixture, no torch) released in a new course.

Autograded points: square-tests 1, mean-tests 2, softmax-tests 3; a solution everywhere scores 6.
"""
from pathlib import Path

from autograder.authoring import simulate as sim
from autograder.course import Course
from autograder.instructor.release import release

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
LESSON = "00-fixture"


def new_fixture_course(root, timeout=None, db_url=None, answer_rules=True):
    """A course at ``root`` (created) with the fixture lesson released. ``answer_rules=False``
    grades without the answer rules (in this process and in ``autograder`` commands run on the
    course), for tests of the layers beneath them: their answers must run."""
    root.mkdir(parents=True)
    (root / "notebooks").mkdir()
    (root / "notebooks" / LESSON).symlink_to(FIXTURES / LESSON, target_is_directory=True)
    if not answer_rules:
        (root / "nbgrader_config.py").write_text("c.ExecuteAndJudge.answer_rules = False\n")
    course = Course.at(root, timeout=timeout, db_url=db_url)
    assert release(course, [LESSON], check=False, say=lambda line: None) == []
    return course


def full_solution(course):
    """The release with every answer the reference's."""
    return sim.fill_with_solution(sim.released(course, LESSON), sim.reference_answers(course, LESSON))
