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

MISTAKES = [
    {   # forgets to subtract the maximum: overflows for large scores
        "cell": "softmax-answer",
        "source": (
            "def softmax(scores):\n"
            "    exps = [math.exp(s) for s in scores]\n"
            "    return [e / sum(exps) for e in exps]\n"
        ),
        "score": 3,
        "hint": "subtract the maximum score before exponentiating",
        "self_check": None,  # the fixture has no self-check cells; every lesson's mistakes do
    },
    {   # divides by zero on an empty list instead of raising ValueError
        "cell": "mean-answer",
        "source": "def mean(values):\n    return sum(values) / len(values)\n",
        "score": 4,
        "hint": "check for an empty list and raise ValueError",
        "self_check": None,
    },
]
