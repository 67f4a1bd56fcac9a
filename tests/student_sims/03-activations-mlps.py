"""Simulated students for lesson 3 (notebooks/03-activations-mlps).

Points: ex1-sigmoid-tests 1, ex1-tanh-tests 1, ex1-relu-tests 1, ex2-output-activation-tests 2,
ex3-dataset-tests 2, ex4-split-tests 2, ex5-mlp-tests 3, ex6-checkpoint-tests 2,
ex6-probabilities-tests 2 (exercise 7), ex7-conv-size-tests 2 (exercise 8): autograded total 18;
q1-output-answer 2 and q2-alpha-answer 2 are graded by hand and never counted here.
"""


# derivatives, dataset, checkpoint and convolution size answered, the rest left unanswered:
# 3 + 2 + 2 + 2.
PARTIAL = {
    "solutions": ["ex1-derivatives", "ex3-dataset", "ex6-checkpoint", "ex7-conv-size"],
    "replace": {},
    "score": 9,
}
