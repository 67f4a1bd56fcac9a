"""Simulated students for lesson 4 (notebooks/04-xor).

Points: ex1-collapse-tests 2, ex2-or-and-tests 3, ex3-xor-mlp-tests 2,
ex4-loss-optimizer-tests 2 (autograded total 9); q1-why-nonlinear 2 and q2-bce-not-mse 2 are
graded by hand and never counted here.
"""

# collapse and the MLP answered correctly; the OR/AND thresholds sit too close to the corners
# (right on the four corners, wrong for the noisy blobs); the loss/optimizer left unanswered.
PARTIAL = {
    "solutions": ["ex1-collapse", "ex3-xor-mlp"],
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

MISTAKES = [
    {   # the course's source notebook: MSE on a sigmoid output, labelled "binary cross entropy"
        "cell": "ex4-loss-optimizer",
        "source": (
            "def make_loss_and_optimizer(model):\n"
            "    return nn.MSELoss(), torch.optim.Adam(model.parameters(), lr=0.05)\n"
        ),
        "score": 7,
        "hint": "its gradient vanishes for confident mistakes: use nn.BCEWithLogitsLoss",
    },
    {   # forgets that the first bias also goes through the second layer's weights
        "cell": "ex1-collapse",
        "source": (
            "def collapse(first, second):\n"
            "    merged = nn.Linear(first.in_features, second.out_features)\n"
            "    with torch.no_grad():\n"
            "        merged.weight.copy_(second.weight @ first.weight)\n"
            "        merged.bias.copy_(second.bias)\n"
            "    return merged\n"
        ),
        "score": 7,
        "hint": "bias = second.weight @ first.bias + second.bias",
    },
    {   # no activation between the layers: the network stays linear
        "cell": "ex3-xor-mlp",
        "source": (
            "def make_xor_mlp():\n"
            "    return nn.Sequential(nn.Linear(2, 16), nn.Linear(16, 1))\n"
        ),
        "score": 7,
        "hint": "stacked linear layers collapse into one",
    },
    {   # a final sigmoid in front of BCEWithLogitsLoss
        "cell": "ex3-xor-mlp",
        "source": (
            "def make_xor_mlp():\n"
            "    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1), nn.Sigmoid())\n"
        ),
        "score": 7,
        "hint": "remove the final Sigmoid",
    },
    {   # AND gets a positive output weight: the output computes OR, not XOR
        "cell": "ex2-or-and",
        "source": (
            "def or_and_weights():\n"
            "    W1 = np.array([[1.0, 1.0], [1.0, 1.0]])\n"
            "    b1 = np.array([-0.5, -1.5])\n"
            "    return W1, b1, np.array([1.0, 1.0]), -0.5\n"
        ),
        "score": 6,
        "hint": "the network must compute XOR on the four corners",
    },
]
