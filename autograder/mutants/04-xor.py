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

_BACKPROP = (
    "def forward_backward(params, X, y):\n"
    "    W1, b1, W2, b2 = params['W1'], params['b1'], params['W2'], params['b2']\n"
    "    n, rows = len(X), torch.arange(len(X))\n"
    "    hidden = (X @ W1.T + b1).tanh()\n"
    "    logits = hidden @ W2.T + b2\n"
    "    shifted = logits - logits.max(dim=1, keepdim=True).values\n"
    "    probabilities = shifted.exp() / shifted.exp().sum(dim=1, keepdim=True)\n"
    "    loss = -probabilities[rows, y].log().mean()\n"
    "    d_logits = probabilities.clone()\n"
    "{one_hot}"
    "{mean}"
    "    d_hidden = (d_logits @ W2){slope}\n"
    "    return loss, {{'W1': d_hidden.T @ X, 'b1': d_hidden.{b1}(dim=0),\n"
    "                  'W2': {w2}, 'b2': d_logits.sum(dim=0)}}\n"
)
_RIGHT = {"one_hot": "    d_logits[rows, y] -= 1\n", "mean": "    d_logits = d_logits / n\n",
          "slope": " * (1 - hidden ** 2)", "b1": "sum", "w2": "d_logits.T @ hidden"}
_NUMERICAL = (
    "def numerical_gradient(f, x, eps=1e-3):\n"
    "    gradient = torch.zeros_like(x)\n"
    "    flat_x, flat_gradient = x.view(-1), gradient.view(-1)\n"
    "    base = float(f(x))\n"
    "    for j in range(flat_x.numel()):\n"
    "        kept = flat_x[j].item()\n"
    "        flat_x[j] = kept + eps\n"
    "        above = float(f(x))\n"
    "        flat_x[j] = kept - eps\n"
    "        below = float(f(x))\n"
    "{restore}"
    "        flat_gradient[j] = {difference}\n"
    "    return gradient\n"
)
_RESTORE = "        flat_x[j] = kept\n"
_DESCENT = (
    "def gradient_descent(gradients, params, X, y, lr, steps):\n"
    "    losses = []\n"
    "    for _ in range(steps):\n"
    "        loss, grads = gradients(params, X, y)\n"
    "        losses.append(float(loss))\n"
    "        params = {{key: {update} for key, value in params.items()}}\n"
    "    return params, losses\n"
)


MISTAKES = [
    {
        "intent": "backward pass without the 1/N of the mean: every gradient N times too large",
        "cell": "ex3-backprop",
        "source": _BACKPROP.format(**{**_RIGHT, "mean": ""}),
        "lost": 4,
        "hint": "N times too large",
        "self_check": "N times too large",
    },
    {
        "intent": "tanh's slope taken as 1 - tanh (not 1 - tanh squared)",
        "cell": "ex3-backprop",
        "source": _BACKPROP.format(**{**_RIGHT, "slope": " * (1 - hidden)"}),
        "lost": 4,
        "hint": "check how the gradient passes back through W2 and through tanh",
        "self_check": "check how the gradient passes back through W2 and through tanh",
    },
    {
        "intent": "the gradient skips tanh on the way back",
        "cell": "ex3-backprop",
        "source": _BACKPROP.format(**{**_RIGHT, "slope": ""}),
        "lost": 4,
        "hint": "check how the gradient passes back through W2 and through tanh",
        "self_check": "check how the gradient passes back through W2 and through tanh",
    },
    {
        "intent": "the softmax's gradient without subtracting the one-hot target",
        "cell": "ex3-backprop",
        "source": _BACKPROP.format(**{**_RIGHT, "one_hot": ""}),
        "lost": 4,
        "hint": "start from the gradient of the loss with respect to the logits",
        "self_check": "start from the gradient of the loss with respect to the logits",
    },
    {
        "intent": "W2's gradient transposed",
        "cell": "ex3-backprop",
        "source": _BACKPROP.format(**{**_RIGHT, "w2": "hidden.T @ d_logits"}),
        "lost": 4,
        "hint": "the gradient of W2 must have W2's shape",
        "self_check": "the gradient of W2 must have W2's shape",
    },
    {
        "intent": "b1's gradient averaged over the samples instead of summed",
        "cell": "ex3-backprop",
        "source": _BACKPROP.format(**{**_RIGHT, "b1": "mean"}),
        "lost": 4,
        "hint": "b1 is wrong while the output layer's gradients are right",
        "self_check": "b1 is wrong while the output layer's gradients are right",
    },
    {
        "intent": "autograd instead of the backward pass by hand: refused",
        "cell": "ex3-backprop",
        "source": (
            "def forward_backward(params, X, y):\n"
            "    leaves = {key: value.clone().requires_grad_(True) for key, value in params.items()}\n"
            "    hidden = (X @ leaves['W1'].T + leaves['b1']).tanh()\n"
            "    logits = hidden @ leaves['W2'].T + leaves['b2']\n"
            "    loss = (logits.exp().sum(dim=1).log() - logits[torch.arange(len(X)), y]).mean()\n"
            "    loss.backward()\n"
            "    return loss.detach(), {key: leaf.grad for key, leaf in leaves.items()}\n"
        ),
        "lost": 4,
        "hint": "backward",
        "self_check": "backward",
    },
    {
        "intent": "a one-sided (forward) difference: errs by about eps",
        "cell": "ex4-numerical-gradient",
        "source": _NUMERICAL.format(restore=_RESTORE, difference="(above - base) / eps"),
        "lost": 2,
        "hint": "a one-sided difference errs by about eps",
        "self_check": "a one-sided difference errs by about eps",
    },
    {
        "intent": "the element is not put back: later elements are measured at a moved point",
        "cell": "ex4-numerical-gradient",
        "source": _NUMERICAL.format(restore="", difference="(above - below) / (2 * eps)"),
        "lost": 2,
        "hint": "put every element back before you move the next one",
        "self_check": "put every element back before you move the next one",
    },
    {
        "intent": "the central difference divided by eps, not 2 eps",
        "cell": "ex4-numerical-gradient",
        "source": _NUMERICAL.format(restore=_RESTORE, difference="(above - below) / eps"),
        "lost": 2,
        "hint": "twice too large",
        "self_check": "twice too large",
    },
    {
        "intent": "section 11's mistake: MSE on 0/1 labels",
        "cell": "ex6-loss-optimizer",
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
        "intent": "gradient ascent: the update adds lr * gradient",
        "cell": "ex5-gradient-descent",
        "source": _DESCENT.format(update="value + lr * grads[key]"),
        "lost": 2,
        "hint": "the loss grows: step against the gradient",
        "self_check": "the loss grows: step against the gradient",
    },
    {
        "intent": "the gradient computed once, before the loop",
        "cell": "ex5-gradient-descent",
        "source": (
            "def gradient_descent(gradients, params, X, y, lr, steps):\n"
            "    losses = []\n"
            "    loss, grads = gradients(params, X, y)\n"
            "    for _ in range(steps):\n"
            "        losses.append(float(gradients(params, X, y)[0]))\n"
            "        params = {key: value - lr * grads[key] for key, value in params.items()}\n"
            "    return params, losses\n"
        ),
        "lost": 2,
        "hint": "compute the gradient again at each step",
        "self_check": "compute the gradient again at each step",
    },
    {
        "intent": "the biases never updated",
        "cell": "ex5-gradient-descent",
        "source": _DESCENT.format(update="value - lr * grads[key] if key in ('W1', 'W2') else value"),
        "lost": 2,
        "hint": "b1, b2 never moved",
        "self_check": "b1, b2 never moved",
    },
    {
        "intent": "the loss recorded after the update, not before",
        "cell": "ex5-gradient-descent",
        "source": (
            "def gradient_descent(gradients, params, X, y, lr, steps):\n"
            "    losses = []\n"
            "    for _ in range(steps):\n"
            "        loss, grads = gradients(params, X, y)\n"
            "        params = {key: value - lr * grads[key] for key, value in params.items()}\n"
            "        losses.append(float(gradients(params, X, y)[0]))\n"
            "    return params, losses\n"
        ),
        "lost": 2,
        "hint": "before its update",
        "self_check": "before its update",
    },
    {
        "intent": "the library's optimizer instead of the update by hand: refused",
        "cell": "ex5-gradient-descent",
        "source": (
            "def gradient_descent(gradients, params, X, y, lr, steps):\n"
            "    leaves = {key: value.clone().requires_grad_(True) for key, value in params.items()}\n"
            "    optimizer = torch.optim.SGD(list(leaves.values()), lr=lr)\n"
            "    losses = []\n"
            "    for _ in range(steps):\n"
            "        loss, grads = gradients({k: v.detach() for k, v in leaves.items()}, X, y)\n"
            "        losses.append(float(loss))\n"
            "        for key, leaf in leaves.items():\n"
            "            leaf.grad = grads[key]\n"
            "        optimizer.step()\n"
            "    return {k: v.detach() for k, v in leaves.items()}, losses\n"
        ),
        "lost": 2,
        "hint": "SGD",
        "self_check": "SGD",
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
