"""The mutants of 04-xor (notebooks/04-xor) that its hidden tests must fail.

Format: autograder/mutants/__init__.py. Each named mistake loses exactly ``lost`` points of its own
exercise, and its failing test and its self-check say ``hint`` and ``self_check``.
"""

_TRAIN_XOR = (
    "\n\ndef train_xor(model, X, y, epochs=20, seed=0):\n"
    "    loss_fn, optimizer = make_loss_and_optimizer(model)\n"
    "    return fit(model, (X, y), loss_fn=loss_fn, optimizer=optimizer, epochs=epochs,\n"
    "               batch_size=64, seed=seed, verbose=False)\n"
)

MISTAKES = [
    {
        "intent": "section 10's mistake: MSE on 0/1 labels",
        "cell": "ex4-loss-optimizer",
        "source": (
            "def make_loss_and_optimizer(model):\n"
            "    return nn.MSELoss(), torch.optim.Adam(model.parameters(), lr=0.05)\n"
        ) + _TRAIN_XOR,
        "lost": 3,
        "hint": "its gradient vanishes for confident mistakes: use nn.BCEWithLogitsLoss",
        "self_check": "MSELoss treats the 0/1 labels as numbers to regress",
    },
    {
        "intent": "forgets that the first bias also goes through the second layer's weights",
        "cell": "ex1-collapse",
        "source": (
            "def collapse(first, second):\n"
            "    merged = nn.Linear(first.in_features, second.out_features)\n"
            "    with torch.no_grad():\n"
            "        merged.weight.copy_(second.weight @ first.weight)\n"
            "        merged.bias.copy_(second.bias)\n"
            "    return merged\n"
        ),
        "lost": 2,
        "hint": "bias = second.weight @ first.bias + second.bias",
        "self_check": "bias = second.weight @ first.bias + second.bias",
    },
    {
        "intent": "section 4's mistake: no activation between the layers, the network stays linear",
        "cell": "ex3-xor-mlp",
        "source": (
            "def xor_mlp(hidden, activation=nn.ReLU):\n"
            "    return nn.Sequential(nn.Linear(2, hidden), nn.Linear(hidden, 1))\n"
        ),
        "lost": 2,
        "hint": "stacked linear layers collapse into one",
        "self_check": "stacked linear layers collapse into one",
    },
    {
        "intent": 'a final sigmoid in front of BCEWithLogitsLoss',
        "cell": "ex3-xor-mlp",
        "source": (
            "def xor_mlp(hidden, activation=nn.ReLU):\n"
            "    return nn.Sequential(nn.Linear(2, hidden), activation(), nn.Linear(hidden, 1),\n"
            "                         nn.Sigmoid())\n"
        ),
        "lost": 2,
        "hint": "remove the final Sigmoid",
        "self_check": "remove the final Sigmoid",
    },
    {
        "intent": "delegation: the library's MLP instead of the student's own layers",
        "cell": "ex3-xor-mlp",
        "source": (
            "def xor_mlp(hidden, activation=nn.ReLU):\n"
            "    return MLP(2, hidden, 1, activation='relu')\n"
        ),
        "lost": 2,
        "hint": "do not use `MLP` here",
        "self_check": "do not use `MLP` here",
    },
    {
        "intent": 'AND gets a positive output weight: the output computes OR, not XOR',
        "cell": "ex2-or-and",
        "source": (
            "def or_and_weights():\n"
            "    W1 = np.array([[1.0, 1.0], [1.0, 1.0]])\n"
            "    b1 = np.array([-0.5, -1.5])\n"
            "    return W1, b1, np.array([1.0, 1.0]), -0.5\n"
        ),
        "lost": 3,
        "hint": "give AND a negative weight",
        "self_check": "give AND a negative weight",
    },
]
