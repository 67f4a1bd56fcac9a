"""Lesson 3's hidden tests (grader code in notebooks/03-activations-mlps), run in this process
by the one harness (tests/hidden_harness.py; the checks every lesson shares are in
tests/test_hidden_tests.py): here, each simulated mistake of tests/student_sims/03-activations-mlps.py
loses exactly its points, with its hint, on several seeds.
"""
import pytest
from hidden_harness import LESSONS

LESSON = LESSONS["03-activations-mlps"]
SEEDS = range(3)


@pytest.mark.slow
@pytest.mark.parametrize("number", range(1, len(LESSON.spec["MISTAKES"]) + 1))
def test_each_mistake_loses_its_points_with_its_hint(number):
    mistake = LESSON.spec["MISTAKES"][number - 1]
    student = LESSON.student({mistake["cell"]: mistake["source"]})
    for seed in SEEDS:
        score, failed = LESSON.score(student, seed)
        assert score == mistake["score"], (seed, failed)
        assert any(mistake["hint"] in message for message in failed.values()), seed
    assert sum(LESSON.points.values()) == 18
