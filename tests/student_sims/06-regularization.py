"""Simulated students for lesson 6 (notebooks/06-regularization).

Points: ex1-l2-penalty-tests 3, ex2-make-frame-tests 2, ex3-write-gif-tests 1, ex4-dropout-tests 3,
ex5-weight-decay-tests 3, ex6-keep-best-tests 4 (autograded total 16);
q1-large-alpha 2 and q2-l1-l2-names 2 are graded by hand and never counted here.
"""


# the penalty and the GIF writer answered correctly, the frame function left unanswered.
PARTIAL = {
    "solutions": ["ex1-l2-penalty", "ex3-write-gif"],
    "replace": {},
    "score": 4,
}
