"""Every lesson's hidden tests, judged in this process by one harness (tests/hidden_harness.py):
each graded cell has a hidden test that reads only the names the grader gives it; the reference
answers pass every one for several seeds; the release's unanswered stubs fail every one; each
named mistake of autograder/mutants/<lesson>.py fails its exercise's test with its hint.
Lesson-specific checks (exact scores, the helpers one mistake at a time) stay in
tests/test_hidden_lNN.py."""
import ast
import builtins

import pytest
from hidden_harness import LESSONS

from autograder.grading.trusted_tests import HIDDEN_TEST_NAMES

QUICK = {"01-loss-functions", "04-xor"}  # seconds; the others train models: marked slow


def _lessons(per_lesson):
    return [pytest.param(lesson, *case, marks=() if lesson in QUICK else pytest.mark.slow,
                         id="-".join([lesson, *map(str, case)]))
            for lesson in LESSONS for case in per_lesson(LESSONS[lesson])]


def free_names(code):
    """Names a hidden test reads without defining or importing them (builtins aside)."""
    bound, loaded = set(), set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) or (
                isinstance(node, ast.ExceptHandler) and node.name):
            bound.add(node.name)
    return loaded - bound - set(HIDDEN_TEST_NAMES) - set(dir(builtins))


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_every_graded_cell_has_a_hidden_test_that_reads_only_what_the_grader_gives(lesson):
    hidden = LESSONS[lesson].hidden
    assert hidden and all(hidden.values()), [test_id for test_id, code in hidden.items() if not code]
    for test_id, code in hidden.items():
        assert free_names(code) == set(), test_id


@pytest.mark.parametrize("lesson, seed", _lessons(lambda _: [(0,), (1,), (2,)]))
def test_the_reference_answers_pass_every_hidden_test(lesson, seed):
    harness = LESSONS[lesson]
    score, failed = harness.score(harness.student(), seed)
    assert failed == {}, failed


@pytest.mark.parametrize("lesson", _lessons(lambda _: [()]))
def test_the_unanswered_release_fails_every_hidden_test(lesson):
    harness = LESSONS[lesson]
    score, failed = harness.score(harness.student(harness.unanswered()), 0)
    assert score == 0 and sorted(failed) == harness.judged
    assert all("NotImplementedError" in message for message in failed.values()), failed


@pytest.mark.parametrize("lesson, number", _lessons(lambda h: [(n,) for n in range(1, len(h.mistakes) + 1)]))
def test_each_named_mistake_fails_its_exercise_with_its_hint(lesson, number):
    """A named mistake fails its exercise's test with its hint; a test of another exercise that
    fails too (one that calls this answer) names the exercise to fix."""
    harness = LESSONS[lesson]
    mistake = harness.mistakes[number - 1]
    student = harness.student({mistake["cell"]: mistake["source"]})
    own = f"{mistake['cell']}-tests"
    tests = [own] if own in harness.hidden else \
        [t for t in harness.judged if t.startswith(mistake["cell"].split("-")[0] + "-")]  # ex1-*: one per function
    for seed in (0, 1):
        messages = [harness.judge_student(student, test_id, seed) for test_id in tests]
        assert any(not v.passed and (mistake["hint"] or "") in v.message for v in messages), \
            (seed, [v.message for v in messages])
    _, failed = harness.score(student, 0)
    exercise = f"Exercise {mistake['cell'].split('-')[0][2:]}"
    elsewhere = {t: m for t, m in failed.items() if t not in tests and exercise not in m}
    assert elsewhere == {}, f"{mistake['intent']} costs other exercises without naming {exercise}: {elsewhere}"
