"""Hostile and broken submissions on the fixture lesson: each gets the expected grade and
the batch always finishes. Also: parallel grading equals sequential grading, re-grading is
idempotent, feedback shows hints but never hidden tests.

The fixture (tests/fixtures/notebooks/00-fixture) needs no torch. Autograded points:
square-tests 1, mean-tests 2, softmax-tests 3; a solution everywhere scores 6.
"""
import html
import re
import shutil
from pathlib import Path

import pytest

from autograder import simulate as sim
from autograder.course import Course
from autograder.feedback import feedback
from autograder.grading import autograde
from autograder.release import release

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
LESSON = "00-fixture"
HIDDEN_MARKER = "HIDDEN-FIXTURE-MARKER"
TIMEOUT = 8  # seconds per cell; the fixture's cells take milliseconds

CHEAT = ("import IPython.core.interactiveshell\n"
         "IPython.core.interactiveshell.InteractiveShell.showtraceback = lambda *a, **k: None\n")


def _full(course):
    return sim.fill_with_solution(sim.released(course, LESSON), sim.reference_answers(course, LESSON))


def _with_answer(course, cell_id, source):
    return sim.replace_source(_full(course), cell_id, source)


def _hostile_submissions(course):
    """{student: (expected score or None when not graded, expected problem substring)}."""
    full = lambda: _full(course)  # noqa: E731
    cases = {}

    def add(student, nb, score, problem=None):
        sim.submit(course, student, LESSON, nb)
        cases[student] = (score, problem)

    add("edited-test-cell", sim.replace_source(full(), "square-tests", "pass"), 6)
    add("deleted-test-cell", sim.delete_cell(full(), "mean-tests"), 6)
    add("edited-read-only-cell", sim.replace_source(full(), "setup", "pass"), 6)
    nb = full()
    for cell in nb.cells:
        cell.id = "same-id"
    add("duplicate-cell-ids", nb, 6)
    nb = sim.duplicate_cell(full(), "softmax-tests")
    nb.cells[[sim.grade_id(c) for c in nb.cells].index("softmax-tests")].source = "pass"
    add("duplicate-grade-ids", nb, 6)
    add("infinite-loop", _with_answer(course, "mean-answer",
                                      "def mean(values):\n    while True:\n        pass\n"), 4)
    add("infinite-recursion", _with_answer(course, "square-answer",
                                           "def square(x):\n    return square(x)\n"), 5)
    nb = full()
    nb.cells.insert(0, sim.nbformat.v4.new_code_cell('raise RuntimeError("boom")'))
    add("exception-first-cell", nb, 6)
    add("stderr-in-test-cells", sim.replace_source(
        _with_answer(course, "square-answer",
                     "def square(x):\n    warnings.warn('square is slow', UserWarning)\n"
                     "    return x * x\n"),
        "mean-answer",
        "import logging, sys\n"
        "def mean(values):\n"
        "    print(' 50%|#####     | 1/2 [00:01<00:01, 1.00it/s]', file=sys.stderr)\n"
        "    logging.warning('averaging %d values', len(values))\n"
        "    if not values:\n        raise ValueError('empty')\n"
        "    return sum(values) / len(values)\n"), 6)
    add("huge-output", sim.append_code(full(), "square-answer",
                                       "for i in range(200_000):\n    print(i)\nprint('x' * 5_000_000)"), 6)
    add("sys-exit", sim.append_code(full(), "mean-answer", "import sys\nsys.exit()"), 6)
    # the kernel dies in mean-answer: square-tests (before it) keeps its point
    add("kernel-killed", sim.append_code(full(), "mean-answer",
                                         "import os\nos.kill(os.getpid(), 9)"), 1)
    add("showtraceback-cheat", sim.replace_source(sim.released(course, LESSON),
                                                  "square-answer", CHEAT + "def square(x):\n    return 0\n"), 0)
    add("showtraceback-none-cheat", sim.replace_source(
        sim.released(course, LESSON), "square-answer",
        "import IPython.core.interactiveshell\n"
        "IPython.core.interactiveshell.InteractiveShell.showtraceback = None\n"), 0)
    add("custom-exception-cheat", sim.replace_source(
        sim.released(course, LESSON), "square-answer",
        "get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)\n"), 0)
    add("writes-files", sim.append_code(
        full(), "square-answer",
        "open('written_by_student.txt', 'w').write('hello')\n"
        "open('fixture.ipynb', 'a').write('garbage')\n"), 6)
    add("hidden-test-echo", sim.insert_code_cell(full(), "softmax-tests", "print(In)"), 6)
    sim.submit_text(course, "not-json", LESSON, '{"cells": [')
    cases["not-json"] = (0, "not valid JSON")
    wrong_name = course.submitted_dir("missing-notebook", LESSON)
    wrong_name.mkdir(parents=True)
    (wrong_name / "my-homework.ipynb").write_text("{}")
    cases["missing-notebook"] = (None, "missing notebook")
    return cases


def _new_course(root):
    root.mkdir()
    (root / "notebooks").mkdir()
    (root / "notebooks" / LESSON).symlink_to(FIXTURES / LESSON, target_is_directory=True)
    course = Course.at(root, timeout=TIMEOUT)
    assert release(course, [LESSON], check=False, say=lambda line: None) == []
    return course


def gradebook_snapshot(course):
    """Every grade and comment in the gradebook, keyed by (student, cell)."""
    from nbgrader.api import Gradebook

    rows = {}
    with Gradebook(course.db_url) as gb:
        for student in gb.students:
            for submission in student.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        rows[(student.id, grade.name)] = (
                            grade.auto_score, grade.manual_score, grade.needs_manual_grade)
                    for comment in notebook.comments:
                        rows[(student.id, comment.name, "comment")] = comment.auto_comment
    return rows


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = _new_course(tmp_path_factory.mktemp("hostile") / "course")
    cases = _hostile_submissions(course)
    lines = []
    outcomes, seconds = autograde(course, LESSON, workers=1, say=lines.append)
    feedback(course, [LESSON], say=lambda line: None)
    return course, cases, {o.student: o for o in outcomes}, lines, seconds


def test_every_hostile_submission_is_graded_as_expected(graded):
    course, cases, outcomes, lines, _ = graded
    assert set(outcomes) == set(cases)
    for student, (score, problem) in cases.items():
        outcome = outcomes[student]
        if problem:
            assert problem in (outcome.problem or ""), (student, outcome)
        else:
            assert outcome.problem is None, (student, outcome)
        if score is not None:
            assert outcome.score == score, (student, outcome)
        assert outcome.auto_max == (6 if score is not None else 0)
    # one line per submission, naming student and lesson
    for student in cases:
        assert sum(line.startswith(f"  {student} / {LESSON}: ") for line in lines) == 1


def test_crashes_and_timeouts_are_explained(graded):
    _, _, outcomes, _, _ = graded
    assert any("timed out" in note for note in outcomes["infinite-loop"].notes)
    assert any("kernel died" in note for note in outcomes["kernel-killed"].notes)


def test_missing_notebook_is_missing_in_the_gradebook_and_invalid_json_scores_zero(graded):
    from nbgrader.api import Gradebook, MissingEntry

    course = graded[0]
    with Gradebook(course.db_url) as gb:
        with pytest.raises(MissingEntry):
            gb.find_submission(LESSON, "missing-notebook")
        assert gb.find_submission(LESSON, "not-json").score == 0


def test_huge_output_is_truncated(graded):
    course = graded[0]
    autograded = course.autograded_notebook("huge-output", LESSON)
    assert autograded.stat().st_size < 1_000_000
    assert course.feedback_html("huge-output", LESSON).stat().st_size < 2_000_000


def test_files_written_by_a_submission_stay_in_its_sandbox(graded):
    course = graded[0]
    own = course.autograded_notebook("writes-files", LESSON).parent
    # the kernel wrote into a scratch copy of its folder, thrown away after grading
    assert list(course.root.rglob("written_by_student.txt")) == []
    # the garbage appended to the running notebook was overwritten by the graded result
    assert sim.nbformat.read(str(own / "fixture.ipynb"), as_version=4).cells


def _visible_text(path):
    text = re.sub(r"<[^>]+>", "", path.read_text())
    return html.unescape(text)


def test_feedback_shows_points_and_hints_but_never_hidden_tests(graded):
    course, cases, _, _, _ = graded
    reports = sorted((course.root / "feedback").rglob("*.html"))
    assert len(reports) == sum(problem is None for _, problem in cases.values())
    hidden_lines = [
        'expect(student.square(x) == x * x, "square must also work for negative numbers")',
        "probabilities = student.softmax([big, big])",
    ]
    for report in reports:
        text = _visible_text(report)
        assert HIDDEN_MARKER not in text, report
        for line in hidden_lines:
            assert line not in text, (report, line)
    looped = _visible_text(course.feedback_html("infinite-recursion", LESSON))
    assert "Score: 5.0 / 8.0" in looped or "Score: 5 / 8" in looped
    assert "Test cell" in looped and "(Score: 0.0 / 1.0)" in looped
    # hidden tests run in the grader: the kernel's input history holds none of them
    echo = _visible_text(course.feedback_html("hidden-test-echo", LESSON))
    assert "print(In)" in echo and "student.softmax" not in echo


def test_release_never_contains_hidden_tests(graded):
    course = graded[0]
    assert HIDDEN_MARKER not in course.release_notebook(LESSON).read_text()


def test_regrading_is_idempotent(graded):
    course = graded[0]
    before = gradebook_snapshot(course)
    students = ["edited-test-cell", "kernel-killed", "not-json", "stderr-in-test-cells"]
    autograde(course, LESSON, students, workers=1, say=lambda line: None)
    assert gradebook_snapshot(course) == before


PARALLEL_SAMPLE = ["edited-test-cell", "deleted-test-cell", "duplicate-grade-ids", "kernel-killed",
                   "infinite-recursion", "stderr-in-test-cells", "not-json", "missing-notebook"]


def test_parallel_grading_equals_sequential(graded, tmp_path):
    course, cases, _, _, sequential_seconds = graded
    twin = _new_course(tmp_path / "twin")
    for student in PARALLEL_SAMPLE:
        shutil.copytree(course.root / "submitted" / student, twin.root / "submitted" / student)
    outcomes, parallel_seconds = autograde(twin, LESSON, workers=2, say=lambda line: None)
    assert len(outcomes) == len(PARALLEL_SAMPLE)
    sequential = {key: value for key, value in gradebook_snapshot(course).items()
                  if key[0] in PARALLEL_SAMPLE}
    assert gradebook_snapshot(twin) == sequential
    print(f"\nthroughput: 1 worker {60 * len(cases) / sequential_seconds:.1f} submissions/min "
          f"({len(cases)} submissions), 2 workers {60 * len(outcomes) / parallel_seconds:.1f}/min "
          f"({len(outcomes)} submissions)")
