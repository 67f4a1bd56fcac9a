"""Simulated students for lesson 5 (notebooks/05-mnist).

Points: ex1-standardize-tests 2, ex2-per-class-tests 2, ex3-cnn-tests 4,
ex3-cnn-trained-tests 2 (autograded total 10); q1-mlp-vs-cnn 2 and q2-val-below-train 2 are
graded by hand and never counted here.
"""

# standardize right; per-class accuracy left unanswered; a CNN that works but is too weak to
# pass the memorization test (a single 1-channel convolution feeding a 2-unit bottleneck) and
# the accuracy target.
PARTIAL = {
    "solutions": ["ex1-standardize"],
    "replace": {
        "ex3-cnn": (
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
    "score": 2,
}

MISTAKES = [
    {   # the course's source notebook: Normalize(mean=0.1307, std=0.3015)
        "cell": "ex1-standardize",
        "source": (
            "def standardize(images):\n"
            "    pixels = torch.as_tensor(images).float().reshape(-1, 1, 28, 28) / 255.0\n"
            "    return (pixels - 0.1307) / 0.3015\n"
        ),
        "score": 8,
        "hint": "MNIST_STD = 0.3081, not 0.3015",
    },
    {   # rescales each image to its own minimum and maximum instead of standardizing
        "cell": "ex1-standardize",
        "source": (
            "def standardize(images):\n"
            "    x = torch.as_tensor(images).float().reshape(-1, 1, 28, 28)\n"
            "    low = x.amin(dim=(1, 2, 3), keepdim=True)\n"
            "    high = x.amax(dim=(1, 2, 3), keepdim=True)\n"
            "    return (x - low) / (high - low).clamp(min=1)\n"
        ),
        "score": 8,
        "hint": "rescaling each image to its own min and max is not standardizing",
    },
    {   # divides by the number of all predictions instead of the samples of the true class
        "cell": "ex2-per-class",
        "source": (
            "def per_class_accuracy(y_true, y_pred, n_classes=10):\n"
            "    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)\n"
            "    return np.array([np.mean(y_pred == c) for c in range(n_classes)])\n"
        ),
        "score": 8,
        "hint": "divide by the number of samples whose TRUE class is c",
    },
    {   # forgets to flatten the feature maps before the first Linear layer
        "cell": "ex3-cnn",
        "source": (
            "class CNN(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)\n"
            "        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)\n"
            "        self.pool = nn.MaxPool2d(2)\n"
            "        self.fc = nn.Linear(32 * 7 * 7, 10)\n"
            "\n"
            "    def forward(self, x):\n"
            "        x = self.pool(torch.relu(self.conv1(x)))\n"
            "        x = self.pool(torch.relu(self.conv2(x)))\n"
            "        return self.fc(x)\n"
        ),
        "score": 4,
        "hint": "flatten the feature maps with nn.Flatten()",
    },
    {   # ends with a softmax although CrossEntropyLoss applies it itself
        "cell": "ex3-cnn",
        "source": (
            "class CNN(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.net = nn.Sequential(\n"
            "            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),\n"
            "            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),\n"
            "            nn.Flatten(), nn.Linear(32 * 7 * 7, 10), nn.Softmax(dim=1))\n"
            "\n"
            "    def forward(self, x):\n"
            "        return self.net(x)\n"
        ),
        "score": 4,  # the trained CNN returns probabilities: its points are lost on any test set
        "hint": "remove the final Softmax",
    },
]
