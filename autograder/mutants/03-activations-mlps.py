"""The mutants of 03-activations-mlps (notebooks/03-activations-mlps) that its hidden tests must fail.

Format: autograder/mutants/__init__.py. Each named mistake loses exactly ``lost`` points of its own
exercise, and its failing test and its self-check say ``hint`` and ``self_check``.
"""

_REFERENCE_DERIVATIVES = (
    "def tanh_derivative(x):\n"
    "    return 1 - torch.tanh(x) ** 2\n\n\n"
    "def relu_derivative(x):\n"
    "    return (x > 0).float()\n"
)

MISTAKES = [
    {
        "intent": 'forgets to square tanh in its derivative',
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
        "lost": 1,
        "hint": "the slope is 1 minus the",
        "self_check": "the slope is 1 minus the",
    },
    {
        "intent": "lets autograd compute the sigmoid's slope instead of writing it (refused for the whole cell)",
        "cell": "ex1-derivatives",
        "source": (
            "def sigmoid_derivative(x):\n"
            "    x = x.detach().clone().requires_grad_(True)\n"
            "    torch.sigmoid(x).sum().backward()\n"
            "    return x.grad\n\n\n" + _REFERENCE_DERIVATIVES
        ),
        "lost": 3,  # autograd anywhere in the cell: none of its three answers counts
        "hint": "this exercise asks you to write it by hand",
        "self_check": "this exercise asks you to write it by hand",
    },
    {
        "intent": 'ends a binary classifier with ReLU, as if that gave probabilities',
        "cell": "ex2-output-activation",
        "source": (
            "def output_activation(task):\n"
            "    heads = {'regression': nn.Identity(), 'positive_regression': nn.Softplus(),\n"
            "             'binary': nn.ReLU(), 'multiclass': nn.Softmax(dim=1)}\n"
            "    if task not in heads:\n"
            "        raise ValueError(f'unknown task {task}')\n"
            "    return heads[task]\n"
        ),
        "lost": 2,
        "hint": "which are not probabilities",
        "self_check": "which are not probabilities",
    },
    {
        "intent": 'random_split without its own generator: the split is not reproducible',
        "cell": "ex4-split",
        "source": (
            "def split_digits(dataset, fractions=(0.7, 0.15, 0.15), seed=0):\n"
            "    return random_split(dataset, list(fractions))\n"
        ),
        "lost": 2,
        "hint": "pass a seeded generator",
        "self_check": "give random_split its own generator",
    },
    {
        "intent": 'defines an output layer but returns sigmoid(hidden scores) instead (the SkippingMLP bug)',
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
        "lost": 3,
        "hint": "defined but never used in forward",
        "self_check": "defined but never used in forward",
    },
    {
        "intent": 'no activation between the linear layers: the network is one affine map (93% on the digits)',
        "cell": "ex5-mlp",
        "source": (
            "class DigitsMLP(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.layers = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.Linear(128, 64),\n"
            "                                    nn.Linear(64, 10))\n\n"
            "    def forward(self, x):\n"
            "        return self.layers(x)\n"
        ),
        "lost": 3,
        "hint": "collapse into a single linear layer",
        "self_check": "collapse into a single linear layer",
    },
    {
        "intent": "wraps the course's MLP instead of building the layers",
        "cell": "ex5-mlp",
        "source": (
            "class DigitsMLP(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.flatten = nn.Flatten()\n"
            "        self.net = MLP(64, [128, 64], 10)\n\n"
            "    def forward(self, x):\n"
            "        return self.net(self.flatten(x))\n"
        ),
        "lost": 3,
        "hint": "do not use `MLP` here",
        "self_check": "do not use `MLP` here",
    },
    {
        "intent": 'checkpoints the model only: Adam restarts from scratch after the resume',
        "cell": "ex6-checkpoint",
        "source": (
            "def save_checkpoint(path, model, optimizer, epoch):\n"
            "    torch.save({'model': model.state_dict(), 'epoch': epoch}, path)\n\n\n"
            "def load_checkpoint(path, model, optimizer):\n"
            "    checkpoint = torch.load(path)\n"
            "    model.load_state_dict(checkpoint['model'])\n"
            "    return checkpoint['epoch']\n"
        ),
        "lost": 2,
        "hint": "the optimizer's state (Adam's running averages)",
        "self_check": "the optimizer's state (Adam's running averages)",
    },
    {
        "intent": "saves the optimizer's state but never loads it",
        "cell": "ex6-checkpoint",
        "source": (
            "def save_checkpoint(path, model, optimizer, epoch):\n"
            "    torch.save({'model': model.state_dict(), 'optimizer': optimizer.state_dict(),\n"
            "                'epoch': epoch}, path)\n\n\n"
            "def load_checkpoint(path, model, optimizer):\n"
            "    checkpoint = torch.load(path)\n"
            "    model.load_state_dict(checkpoint['model'])\n"
            "    return checkpoint['epoch']\n"
        ),
        "lost": 2,
        "hint": "optimizer.load_state_dict(checkpoint['optimizer'])",
        "self_check": "optimizer.load_state_dict(checkpoint['optimizer'])",
    },
    {
        "intent": 'pickles the model and optimizer objects instead of their state_dicts',
        "cell": "ex6-checkpoint",
        "source": (
            "def save_checkpoint(path, model, optimizer, epoch):\n"
            "    torch.save({'model': model, 'optimizer': optimizer, 'epoch': epoch}, path)\n\n\n"
            "def load_checkpoint(path, model, optimizer):\n"
            "    checkpoint = torch.load(path, weights_only=False)\n"
            "    model.load_state_dict(checkpoint['model'].state_dict())\n"
            "    optimizer.load_state_dict(checkpoint['optimizer'].state_dict())\n"
            "    return checkpoint['epoch']\n"
        ),
        "lost": 2,
        "hint": "not the model object",
        "self_check": "not the model object",
    },
    {
        "intent": 'leaves the model in training mode, so dropout changes the probabilities',
        "cell": "ex6-probabilities",
        "source": (
            "def predict_probabilities(model, images):\n"
            "    device = next(model.parameters()).device\n"
            "    with torch.no_grad():\n"
            "        return torch.softmax(model(images.to(device)), dim=1).cpu()\n"
        ),
        "lost": 2,
        "hint": "in evaluation mode",
        "self_check": "call model.eval() first",
    },
    {
        "intent": 'forgets the + 1 of the output-size formula',
        "cell": "ex7-conv-size",
        "source": (
            "def conv_output_size(size, kernel_size, stride=1, padding=0):\n"
            "    out = (size + 2 * padding - kernel_size) // stride\n"
            "    if out < 1:\n"
            "        raise ValueError('the kernel does not fit')\n"
            "    return out\n"
        ),
        "lost": 2,
        "hint": "should be",
        "self_check": "Count the positions where the kernel fits (+1)",
    },
    {
        "intent": 'returns a size below 1 instead of refusing a kernel that does not fit (LeNet on 8x8)',
        "cell": "ex7-conv-size",
        "source": (
            "def conv_output_size(size, kernel_size, stride=1, padding=0):\n"
            "    return (size + 2 * padding - kernel_size) // stride + 1\n"
        ),
        "lost": 2,
        "hint": "the kernel does not fit",
        "self_check": "raise ValueError",
    },
]
