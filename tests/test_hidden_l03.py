"""Lesson 3's hidden tests (grader code in notebooks/03-activations-mlps), run in this process
by the one harness (tests/hidden_harness.py; the checks every lesson shares are in
tests/test_hidden_tests.py): here, each named mistake of autograder/mutants/03-activations-mlps.py
loses exactly its points, with its hint, on several seeds.
"""
import pytest
from hidden_harness import LESSONS

LESSON = LESSONS["03-activations-mlps"]
SEEDS = range(3)


@pytest.mark.slow
@pytest.mark.parametrize("number", range(1, len(LESSON.mistakes) + 1))
def test_each_mistake_loses_its_points_with_its_hint(number):
    mistake = LESSON.mistakes[number - 1]
    student = LESSON.student({mistake["cell"]: mistake["source"]})
    for seed in SEEDS:
        score, failed = LESSON.score(student, seed)
        assert score == 18 - mistake["lost"], (seed, failed)
        assert any((mistake["hint"] or "") in message for message in failed.values()), seed
    assert sum(LESSON.points.values()) == 18
