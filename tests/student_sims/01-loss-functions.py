"""Simulated students for lesson 1 (notebooks/01-loss-functions).

Points: ex1-l1-loss-tests 2, ex2-mse-loss-tests 2, ex3-repair-nll-tests 3, ex4-one-hot-tests 2,
ex5-choose-loss-tests 3 (autograded total 12); q1-nll-relu-answer 2 and q2-scaling-answer 2 are
graded by hand and never counted here."""


_SHAPE_CHECK = ("    if predictions.shape != targets.shape:\n"
                "        raise ValueError('shapes differ')\n")

# L1 and one-hot answered correctly, MSE summed instead of averaged, the rest unanswered: 2 + 2.
PARTIAL = {
    "solutions": ["ex1-l1-loss", "ex4-one-hot"],
    "replace": {
        "ex2-mse-loss": ("def mse_loss(predictions, targets):\n" + _SHAPE_CHECK
                         + "    return ((predictions - targets) ** 2).sum()\n"),
    },
    "score": 4,
}
