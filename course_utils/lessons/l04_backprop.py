"""Lesson 4, Exercises 3 to 5: backpropagation by hand, the numerical gradient check and
gradient descent with those gradients.

The network is the lesson's 2-h-2 MLP: ``z1 = X W1^T + b1``, ``h = tanh(z1)``,
``z2 = h W2^T + b2`` (two logits), loss = mean cross-entropy of ``z2`` for the class indices ``y``.
The verdicts (:func:`backprop_problem`, :func:`numerical_gradient_problem`,
:func:`gradient_descent_problem`) compare what the student's functions returned with autograd's
numbers, computed where the check runs; the self-checks here and the hidden tests
(``autograder/hidden/l04_xor.py``) ask the same functions.
"""
import torch
from torch.nn import functional as F

KEYS = ("W1", "b1", "W2", "b2")


def random_parameters(generator, hidden=3, n_in=2, n_out=2):
    """Float64 parameters of a 2-h-2 network, drawn from a torch Generator."""
    shapes = {"W1": (hidden, n_in), "b1": (hidden,), "W2": (n_out, hidden), "b2": (n_out,)}
    return {key: torch.randn(shape, generator=generator, dtype=torch.float64) for key, shape in shapes.items()}


def network_logits(params, X):
    """The network's two logits per sample."""
    hidden = torch.tanh(X @ params["W1"].T + params["b1"])
    return hidden @ params["W2"].T + params["b2"]


def network_loss(params, X, y):
    """The network's mean cross-entropy, with autograd (the reference the checks compare with)."""
    return F.cross_entropy(network_logits(params, X), y)


def autograd_gradients(params, X, y):
    """(loss, {key: gradient}) of :func:`network_loss`, by autograd."""
    leaves = {key: value.detach().clone().requires_grad_(True) for key, value in params.items()}
    loss = network_loss(leaves, X, y)
    loss.backward()
    return loss.detach(), {key: leaves[key].grad for key in KEYS}


def _close(a, b):
    return torch.allclose(torch.as_tensor(a, dtype=torch.float64), b, rtol=1e-5, atol=1e-8)


def backprop_problem(result, params, X, y):
    """A hint when ``result`` is not (loss, {"W1", "b1", "W2", "b2": gradient}) of the network
    for these parameters and data, else None."""
    if not (isinstance(result, (tuple, list)) and len(result) == 2 and isinstance(result[1], dict)):
        return "return a pair (loss, gradients), the gradients a dict with the keys W1, b1, W2, b2"
    loss, grads = result
    if sorted(grads) != sorted(KEYS):
        return f"the gradients need exactly the keys W1, b1, W2, b2; got {sorted(grads)}"
    expected_loss, expected = autograd_gradients(params, X, y)
    if not _close(loss, expected_loss):
        return (f"the loss is {float(loss):.6f} where it should be {float(expected_loss):.6f}: the mean "
                "over the samples of the cross-entropy of the two logits")
    for key in KEYS:
        mine = torch.as_tensor(grads[key])
        if tuple(mine.shape) != tuple(params[key].shape):
            return f"the gradient of {key} must have {key}'s shape {tuple(params[key].shape)}; got {tuple(mine.shape)}"
    wrong = [key for key in KEYS if not _close(grads[key], expected[key])]
    if not wrong:
        return None
    scale = [float((torch.as_tensor(grads[k], dtype=torch.float64) * expected[k]).sum()
                   / (expected[k] * expected[k]).sum()) for k in wrong]
    n = len(X)
    if all(abs(s - n) < 1e-3 * n for s in scale):
        return "every gradient is N times too large: the loss is a mean over the N samples"
    if set(wrong) <= {"W1", "b1"}:
        return (f"{' and '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} wrong while the output layer's "
                "gradients are right: check how the gradient passes back through W2 and through tanh")
    return (f"the gradient of {wrong[-1]} is wrong: start from the gradient of the loss with respect to the "
            "logits and follow the chain rule back one layer at a time")


def probe_function(x):
    """A smooth function of a tensor whose gradient the numerical check must find."""
    return (torch.sin(x) * x.sum()).sum() + (x ** 3).sum() / 3


def numerical_gradient_problem(result, x, eps):
    """A hint when ``result`` is not the central-difference gradient of :func:`probe_function`
    at ``x`` with step ``eps``, else None."""
    leaf = x.detach().clone().requires_grad_(True)
    probe_function(leaf).backward()
    expected = leaf.grad
    if not torch.is_tensor(result) or tuple(result.shape) != tuple(x.shape):
        shape = tuple(result.shape) if torch.is_tensor(result) else type(result).__name__
        return f"return a tensor with x's shape {tuple(x.shape)}; got {shape}"
    result = result.double()
    if torch.allclose(result, expected, rtol=1e-5, atol=1e-5):
        return None
    if torch.allclose(result, 2 * expected, rtol=1e-3, atol=1e-4):
        return "the gradient is twice too large: the two points of a central difference are 2 eps apart"
    if torch.allclose(result, expected, rtol=1e-2, atol=1e-2):
        return (f"close but not close enough (largest error {float((result - expected).abs().max()):.1e}): "
                "a one-sided difference errs by about eps; step eps to both sides of each element, and put "
                "every element back before you move the next one")
    return ("the numbers are far from the gradient: move one element at a time by eps to both sides, and "
            "put every element back before you move the next one")


def descend(params, X, y, lr, steps, gradients=autograd_gradients):
    """``steps`` updates ``params - lr * gradient`` from ``params``: (last params, loss before each step)."""
    losses = []
    for _ in range(steps):
        loss, grads = gradients(params, X, y)
        losses.append(float(loss))
        params = {key: params[key] - lr * grads[key] for key in KEYS}
    return params, losses


def _all_close(mine, expected):
    return all(_close(mine[key], expected[key]) for key in KEYS)


def gradient_descent_problem(result, params, X, y, lr, steps):
    """A hint when ``result`` is not (params after ``steps`` gradient-descent steps with rate
    ``lr``, the loss before each step), with autograd's gradients, else None."""
    if not (isinstance(result, (tuple, list)) and len(result) == 2 and isinstance(result[0], dict)):
        return "return a pair (params, losses), the params a dict with the keys W1, b1, W2, b2"
    mine, losses = result
    if sorted(mine) != sorted(KEYS):
        return f"the parameters need exactly the keys W1, b1, W2, b2; got {sorted(mine)}"
    try:
        losses = [float(loss) for loss in losses]
    except (TypeError, ValueError):
        return "losses must be a list of numbers, one per step"
    if len(losses) != steps:
        return f"record one loss per step: {steps} steps, {steps} losses; got {len(losses)}"
    expected, expected_losses = descend(params, X, y, lr, steps)
    losses_right = torch.allclose(torch.tensor(losses, dtype=torch.float64),
                                  torch.tensor(expected_losses, dtype=torch.float64), rtol=1e-5, atol=1e-8)
    if _all_close(mine, expected):
        return None if losses_right else (
            "the parameters are right but the losses are not: record the loss each step computes, "
            "before its update (losses[0] is the loss at the starting parameters)")
    still = [key for key in KEYS if _close(mine[key], params[key])]
    if len(still) == len(KEYS):
        return "the parameters never moved: return the updated ones, not the starting ones"
    if still:
        return f"{', '.join(still)} never moved: update every parameter, weights and biases"
    if _all_close(mine, descend(params, X, y, -lr, steps)[0]):
        return "the loss grows: step against the gradient, params - lr * gradient"
    _, first = autograd_gradients(params, X, y)
    if _all_close(mine, {key: params[key] - steps * lr * first[key] for key in KEYS}):
        return ("every step used the gradient at the starting parameters: compute the gradient again "
                "at each step, at the current parameters")
    return f"the parameters differ from {steps} steps of params - lr * gradient with lr = {lr}"


# The self-checks, in the student's kernel.

def diagnose_backprop(forward_backward, seed=0):
    generator = torch.Generator().manual_seed(seed)
    for hidden, n in ((3, 4), (5, 7)):
        params = random_parameters(generator, hidden)
        X = torch.randn(n, 2, generator=generator, dtype=torch.float64)
        y = torch.randint(0, 2, (n,), generator=generator)
        copies = {key: value.clone() for key, value in params.items()}
        problem = backprop_problem(forward_backward(copies, X, y), params, X, y)
        if problem:
            return problem
    return None


def diagnose_numerical_gradient(numerical_gradient, seed=0, eps=1e-3):
    generator = torch.Generator().manual_seed(seed)
    for shape in ((4,), (2, 3)):
        x = torch.randn(shape, generator=generator, dtype=torch.float64)
        problem = numerical_gradient_problem(numerical_gradient(probe_function, x.clone(), eps), x, eps)
        if problem:
            return problem
    return None


def diagnose_gradient_descent(gradient_descent, seed=0):
    generator = torch.Generator().manual_seed(seed)
    for hidden, n, lr, steps in ((3, 6, 0.5, 4), (4, 9, 0.1, 7)):
        params = random_parameters(generator, hidden)
        X = torch.randn(n, 2, generator=generator, dtype=torch.float64)
        y = torch.randint(0, 2, (n,), generator=generator)
        copies = {key: value.clone() for key, value in params.items()}
        problem = gradient_descent_problem(gradient_descent(autograd_gradients, copies, X, y, lr, steps),
                                           params, X, y, lr, steps)
        if problem:
            return problem
    return None
