"""Simulated students for the autograder fixture lesson (tests/fixtures/notebooks/00-fixture).

Points: square-tests 1, mean-tests 2, softmax-tests 3 (autograded total 6);
explain-answer 2 (graded by hand, never counted here).
"""

# square and softmax answered with the reference solution, mean left unanswered: 1 + 3.
PARTIAL = {
    "solutions": ["square-answer", "softmax-answer"],
    "replace": {},
    "score": 4,
}
