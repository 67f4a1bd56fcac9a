"""Simulated students for lesson 5 (notebooks/05-mnist).

Points: ex1-standardize-tests 2, ex2-evaluate-loader-tests 2, ex3-per-class-tests 2, ex4-cnn-tests 4,
ex4-cnn-trained-tests 2 (autograded total 12); q1-mlp-vs-cnn 2 and q2-val-below-train 2 are
graded by hand and never counted here."""


# standardize right; evaluate_loader and per-class accuracy left unanswered; a CNN that works but is too
# weak to pass the memorization test (a single 1-channel convolution feeding a 2-unit
# bottleneck) and the accuracy target.
PARTIAL = {
    "solutions": ["ex1-standardize"],
    "replace": {
        "ex4-cnn": (
            "class CNN(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.net = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.Conv2d(1, 1, 3, padding=1),\n"
            "                                 nn.Flatten(), nn.Linear(784, 2), nn.Linear(2, 10))\n"
            "\n"
            "    def forward(self, x):\n"
            "        return self.net(x)\n"
        ),
    },
    "score": 2,  # the CNN computes an affine map: the self-check and both CNN tests say so
}
