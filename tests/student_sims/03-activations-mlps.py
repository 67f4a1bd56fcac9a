"""Simulated students for lesson 3 (notebooks/03-activations-mlps).

Points: ex1-sigmoid-tests 1, ex1-tanh-tests 1, ex1-relu-tests 1, ex2-output-activation-tests 2,
ex3-dataset-tests 2, ex4-split-tests 2, ex5-mlp-tests 3, ex6-probabilities-tests 2,
ex7-conv-size-tests 2 (autograded total 16); q1-output-answer 2 and q2-alpha-answer 2 are
graded by hand and never counted here.
"""

# derivatives, dataset and convolution size answered, the rest left unanswered: 3 + 2 + 2.
PARTIAL = {
    "solutions": ["ex1-derivatives", "ex3-dataset", "ex7-conv-size"],
    "replace": {},
    "score": 7,
}

MISTAKES = [
    {   # forgets to square tanh in its derivative
        "cell": "ex1-derivatives",
        "source": (
            "def sigmoid_derivative(x):\n"
            "    s = torch.sigmoid(x)\n"
            "    return s * (1 - s)\n\n\n"
            "def tanh_derivative(x):\n"
            "    return 1 - torch.tanh(x)\n\n\n"
            "def relu_derivative(x):\n"
            "    return (x > 0).float()\n"
        ),
        "score": 15,
        "hint": "the slope is 1 minus the",
    },
    {   # ends a binary classifier with ReLU, as if that gave probabilities
        "cell": "ex2-output-activation",
        "source": (
            "def output_activation(task):\n"
            "    heads = {'regression': nn.Identity(), 'positive_regression': nn.Softplus(),\n"
            "             'binary': nn.ReLU(), 'multiclass': nn.Softmax(dim=1)}\n"
            "    if task not in heads:\n"
            "        raise ValueError(f'unknown task {task}')\n"
            "    return heads[task]\n"
        ),
        "score": 14,
        "hint": "which are not probabilities",
    },
    {   # random_split without its own generator: the split is not reproducible
        "cell": "ex4-split",
        "source": (
            "def split_digits(dataset, fractions=(0.7, 0.15, 0.15), seed=0):\n"
            "    return random_split(dataset, list(fractions))\n"
        ),
        "score": 14,
        "hint": "pass a seeded generator",
    },
    {   # defines an output layer but returns sigmoid(hidden scores) instead
        "cell": "ex5-mlp",
        "source": (
            "class DigitsMLP(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.flatten = nn.Flatten()\n"
            "        self.layer1 = nn.Linear(64, 128)\n"
            "        self.layer2 = nn.Linear(128, 64)\n"
            "        self.output_layer = nn.Linear(64, 10)\n\n"
            "    def forward(self, x):\n"
            "        x = torch.relu(self.layer1(self.flatten(x)))\n"
            "        return torch.sigmoid(self.layer2(x))\n"
        ),
        "score": 13,
        "hint": "defined but never used in forward",
    },
    {   # leaves the model in training mode, so dropout changes the probabilities
        "cell": "ex6-probabilities",
        "source": (
            "def predict_probabilities(model, images):\n"
            "    device = next(model.parameters()).device\n"
            "    with torch.no_grad():\n"
            "        return torch.softmax(model(images.to(device)), dim=1).cpu()\n"
        ),
        "score": 14,
        "hint": "in evaluation mode",
    },
    {   # forgets the + 1 of the output-size formula
        "cell": "ex7-conv-size",
        "source": (
            "def conv_output_size(size, kernel_size, stride=1, padding=0):\n"
            "    out = (size + 2 * padding - kernel_size) // stride\n"
            "    if out < 1:\n"
            "        raise ValueError('the kernel does not fit')\n"
            "    return out\n"
        ),
        "score": 14,
        "hint": "should be",
    },
]
