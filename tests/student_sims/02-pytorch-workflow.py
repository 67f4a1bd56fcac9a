"""Simulated students for lesson 2, the PyTorch workflow (notebooks/02-pytorch-workflow).

Points: ex1-describe-tests 1, ex2-split-tests 2, ex3-linear-tests 2, ex4-loss-optimizer-tests 1,
ex5-epoch-loss-tests 2, ex6-train-epoch-tests 3, ex7-evaluate-tests 2, ex8-train-loop-tests 2,
ex9-relu-mlp-tests 2, ex10-grid-tests 2, ex11-multiclass-tests 3 (autograded total 22);
q1-linear-answer 2 (graded by hand, never counted here).
"""


# The model-building exercises and the grid answered; the split, the epoch loss, the loop and the
# multi-class workflow left open (the lesson runs on with [TODO] lines): 1 + 2 + 1 + 2 + 2.
PARTIAL = {
    "solutions": ["ex1-describe", "ex3-linear", "ex4-loss-optimizer", "ex9-relu-mlp", "ex10-grid"],
    "replace": {},
    "score": 8,
}
