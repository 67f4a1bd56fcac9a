"""Simulated students for lesson 4 (notebooks/04-xor).

Points: ex1-collapse-tests 2, ex2-or-and-tests 3, ex3-backprop-tests 4,
ex4-numerical-gradient-tests 2, ex5-gradient-descent-tests 2, ex6-loss-optimizer-tests 3 (autograded total 16);
q1-why-nonlinear 2 and q2-bce-not-mse 2 are
graded by hand and never counted here.
"""


# collapse and gradient descent answered correctly; the OR/AND thresholds sit too close to the corners
# (right on the four corners, wrong for the noisy blobs); the training left unanswered.
PARTIAL = {
    "solutions": ["ex1-collapse", "ex5-gradient-descent"],
    "replace": {
        "ex2-or-and": (
            "def or_and_weights():\n"
            "    W1 = np.array([[1.0, 1.0], [1.0, 1.0]])\n"
            "    b1 = np.array([-0.1, -1.9])\n"
            "    return W1, b1, np.array([1.0, -1.0]), -0.5\n"
        ),
    },
    "score": 4,
}
