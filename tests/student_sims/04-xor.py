"""Simulated students for lesson 4 (notebooks/04-xor).

Points: ex1-collapse-tests 2, ex2-or-and-tests 3, ex3-xor-mlp-tests 2,
ex4-loss-optimizer-tests 3 (autograded total 10); q1-why-nonlinear 2 and q2-bce-not-mse 2 are
graded by hand and never counted here.
"""

# collapse and the MLP answered correctly; the OR/AND thresholds sit too close to the corners
# (right on the four corners, wrong for the noisy blobs); the training left unanswered.
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

_TRAIN_XOR = (
    "\n\ndef train_xor(model, X, y, epochs=20, seed=0):\n"
    "    loss_fn, optimizer = make_loss_and_optimizer(model)\n"
    "    return fit(model, (X, y), loss_fn=loss_fn, optimizer=optimizer, epochs=epochs,\n"
    "               batch_size=64, seed=seed, verbose=False)\n"
)

MISTAKES = [
    {   # section 10's mistake: MSE on 0/1 labels
        "cell": "ex4-loss-optimizer",
        "source": (
            "def make_loss_and_optimizer(model):\n"
            "    return nn.MSELoss(), torch.optim.Adam(model.parameters(), lr=0.05)\n"
        ) + _TRAIN_XOR,
        "score": 7,
        "hint": "its gradient vanishes for confident mistakes: use nn.BCEWithLogitsLoss",
        "self_check": "MSELoss treats the 0/1 labels as numbers to regress",
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
        "score": 8,
        "hint": "bias = second.weight @ first.bias + second.bias",
        "self_check": "bias = second.weight @ first.bias + second.bias",
    },
    {   # section 4's mistake: no activation between the layers, the network stays linear
        "cell": "ex3-xor-mlp",
        "source": (
            "def xor_mlp(hidden, activation=nn.ReLU):\n"
            "    return nn.Sequential(nn.Linear(2, hidden), nn.Linear(hidden, 1))\n"
        ),
        "score": 8,
        "hint": "stacked linear layers collapse into one",
        "self_check": "stacked linear layers collapse into one",
    },
    {   # a final sigmoid in front of BCEWithLogitsLoss
        "cell": "ex3-xor-mlp",
        "source": (
            "def xor_mlp(hidden, activation=nn.ReLU):\n"
            "    return nn.Sequential(nn.Linear(2, hidden), activation(), nn.Linear(hidden, 1),\n"
            "                         nn.Sigmoid())\n"
        ),
        "score": 8,
        "hint": "remove the final Sigmoid",
        "self_check": "remove the final Sigmoid",
    },
    {   # delegation: the library's MLP instead of the student's own layers
        "cell": "ex3-xor-mlp",
        "source": (
            "def xor_mlp(hidden, activation=nn.ReLU):\n"
            "    return MLP(2, hidden, 1, activation='relu')\n"
        ),
        "score": 8,
        "hint": "do not use `MLP` here",
        "self_check": "do not use `MLP` here",
    },
    {   # AND gets a positive output weight: the output computes OR, not XOR
        "cell": "ex2-or-and",
        "source": (
            "def or_and_weights():\n"
            "    W1 = np.array([[1.0, 1.0], [1.0, 1.0]])\n"
            "    b1 = np.array([-0.5, -1.5])\n"
            "    return W1, b1, np.array([1.0, 1.0]), -0.5\n"
        ),
        "score": 7,
        "hint": "give AND a negative weight",
        "self_check": "give AND a negative weight",
    },
]
