"""Lesson 6, sections 8 and 9: dropout, weight decay and keeping the best epoch in PyTorch,
written by the student (Exercises 4 to 6), and an experiment where each of them helps.

The ``*_problem`` functions are the verdicts: they judge what the student's code returned (or
did to a model) from plain values. The self-checks (``diagnose_*`` here, in the student's
kernel) and the hidden tests (``autograder/hidden/l06_regularization.py``, in the grader) gather
those values in their own way and ask the same function.
"""
import math

import torch
from sklearn.datasets import make_classification
from torch import nn
from torch.nn import functional as F

N_FEATURES, N_INFORMATIVE, FLIPPED = 40, 4, 0.05


def noisy_features_data(seed, n_train=60, n_val=60, n_test=2000):
    """Two classes told apart by 4 of 40 features (the other 36 are noise), with 5% of the labels
    flipped: (train, validation, test), each (float32 inputs, class indices)."""
    X, y = make_classification(n_train + n_val + n_test, n_features=N_FEATURES, n_informative=N_INFORMATIVE,
                               n_redundant=0, flip_y=FLIPPED, class_sep=1.0, random_state=seed)
    X, y = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y)
    cuts = (0, n_train, n_train + n_val, len(X))
    return tuple((X[a:b], y[a:b]) for a, b in zip(cuts, cuts[1:]))


def small_network(n_inputs, hidden=32):
    """The network the checks of Exercises 5 and 6 train: no dropout, so that every run can be
    replayed exactly, but batch norm, which computes differently in training and evaluation mode.
    The layer before batch norm has no bias: batch norm removes it, so its gradient would be
    round-off, which Adam turns into full steps that differ from one thread count to another."""
    return nn.Sequential(nn.Linear(n_inputs, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(),
                         nn.Linear(hidden, 2))


# -- Exercise 4: inverted dropout -------------------------------------------------------------------

def dropout_input(generator, n=4000):
    """Positive inputs (so a 0 in the output can only be a dropped value)."""
    return torch.rand(n, generator=generator) + 0.5


def dropout_problem(is_module, x, eval_out, train_out, again_out, zero_p_out, p):
    """A hint when a dropout layer's outputs for ``x`` (evaluation mode; training mode twice;
    training mode with p = 0) are not inverted dropout with rate ``p``, else None."""
    if not is_module:
        return "InvertedDropout must be an nn.Module (a subclass), so that model.train() and model.eval() reach it"
    for out in (eval_out, train_out, again_out, zero_p_out):
        if not torch.is_tensor(out) or out.shape != x.shape:
            return f"return a tensor with the input's shape {tuple(x.shape)}"
    if not torch.allclose(eval_out, x):
        return "in evaluation mode (self.training is False) dropout must return its input unchanged"
    if not torch.allclose(zero_p_out, x):
        return "with p = 0 nothing is dropped: the output must equal the input"
    kept = train_out != 0
    dropped = 1 - kept.float().mean().item()
    if abs(dropped - p) > 0.03:
        return f"in training mode a fraction p = {p} of the values should be 0; {dropped:.2f} were"
    if not torch.allclose(train_out[kept], x[kept] / (1 - p), rtol=1e-5):
        return ("the values that are kept must be scaled up so that each output's expected value equals "
                "its input; then evaluation needs no change")
    if torch.equal(train_out, again_out):
        return "two calls in training mode dropped the same values: draw a new random mask at every call"
    return None


def diagnose_dropout(layer_class, p=0.3, seed=0):
    x = dropout_input(torch.Generator().manual_seed(seed))
    layer = layer_class(p)
    if not isinstance(layer, nn.Module):
        return dropout_problem(False, x, None, None, None, None, p)
    with torch.no_grad():
        eval_out = layer.eval()(x.clone())
        train_out, again_out = layer.train()(x.clone()), layer(x.clone())
        zero_p_out = layer_class(0.0).train()(x.clone())
    return dropout_problem(True, x, eval_out, train_out, again_out, zero_p_out, p)


# -- Exercise 5: the weight-decay term -----------------------------------------------------------------

def parameters_of(model):
    """{name: a copy of the parameter} (no buffers such as batch norm's running statistics)."""
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def parameter_gradients(term, model, weight_decay):
    """{parameter name: gradient of ``term(model, weight_decay)`` or None}; {} when the term is
    not a tensor that can be backpropagated (runs where the model lives)."""
    model.zero_grad(set_to_none=True)
    try:
        term(model, weight_decay).backward()
    except Exception:  # noqa: BLE001 - a term that cannot be differentiated has no gradients
        return {}
    gradients = {name: None if p.grad is None else p.grad.clone() for name, p in model.named_parameters()}
    model.zero_grad(set_to_none=True)
    return gradients


def weight_decay_problem(value, gradients, state, weight_decay):
    """A hint when ``value`` (the student's term) and its ``gradients`` are not
    weight_decay / 2 times the squared weight matrices of the model whose parameters are
    ``state``, else None."""
    weights = {name: w for name, w in state.items() if w.dim() > 1}
    expected = weight_decay / 2 * sum(float((w.double() ** 2).sum()) for w in weights.values())
    if not torch.is_tensor(value) or value.dim() != 0:
        return "return a 0-dimensional tensor (one number that can be added to the loss and backpropagated)"
    got = float(value.detach())
    if not math.isclose(got, expected, rel_tol=1e-4):
        every = weight_decay / 2 * sum(float((w.double() ** 2).sum()) for w in state.values())
        if math.isclose(got, every, rel_tol=1e-4):
            return "penalize the weight matrices only, not the biases (the parameters with one dimension)"
        if math.isclose(got, 2 * expected, rel_tol=1e-4):
            return "twice too large: the term has a factor 1/2, so that its gradient is weight_decay times W"
        return f"the term is {got:.6f} where it should be {expected:.6f} for these weights"
    for name, w in weights.items():
        gradient = gradients.get(name)
        if gradient is None:
            return ("the term has no gradient: compute it from the parameters themselves with tensor "
                    "operations (no .item(), .detach() or NumPy)")
        if not torch.allclose(torch.as_tensor(gradient), weight_decay * w, rtol=1e-4, atol=1e-7):
            return f"the gradient of the term with respect to {name} is not weight_decay times it"
    return None


def diagnose_weight_decay_term(term, weight_decay=0.1, seed=0):
    torch.manual_seed(seed)
    model = small_network(5)
    state = parameters_of(model)
    value = term(model, weight_decay)
    return weight_decay_problem(value, parameter_gradients(term, model, weight_decay), state, weight_decay)


# -- Exercise 6: keeping the best epoch ------------------------------------------------------------------

def weight_decay_term(model, weight_decay):
    """The checks' own term (what Exercise 5 asks for), used to replay the specified loop."""
    return weight_decay / 2 * sum((p ** 2).sum() for p in model.parameters() if p.dim() > 1)


def specified_validation_losses(initial_state, train, val, *, epochs, lr, weight_decay):
    """The validation losses of the loop Exercise 6 specifies, replayed here from the same
    initial weights: full-batch Adam, the term added to the training loss, the validation
    cross-entropy in evaluation mode after each epoch."""
    model = small_network(train[0].shape[1])
    model.load_state_dict(initial_state)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        model.train()
        optimizer.zero_grad()
        (F.cross_entropy(model(train[0]), train[1]) + weight_decay_term(model, weight_decay)).backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            losses.append(F.cross_entropy(model(val[0]), val[1]).item())
    return losses


def validation_loss(state, val):
    """The validation cross-entropy of ``small_network`` holding ``state``."""
    model = small_network(val[0].shape[1])
    model.load_state_dict({name: torch.as_tensor(value) for name, value in state.items()})
    model.eval()
    with torch.no_grad():
        return F.cross_entropy(model(val[0]), val[1]).item()


def keep_best_problem(result, expected, final_loss, keep_best):
    """A hint when Exercise 6's ``result`` (best_epoch, validation losses) and the validation loss
    of the model it left behind, ``final_loss``, do not match the ``expected`` losses of the
    specified loop, else None."""
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        return "return the pair (best_epoch, validation_losses)"
    best_epoch, losses = result
    losses = [float(v) for v in losses] if isinstance(losses, (list, tuple)) else None
    if losses is None or len(losses) != len(expected):
        return f"validation_losses must be a list with one loss per epoch ({len(expected)})"
    if not all(math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-6) for a, b in zip(losses, expected)):
        return ("the validation losses differ from the loop the exercise describes: full-batch Adam at lr, "
                "the weight-decay term added to the training loss, then the validation loss without it, in "
                "evaluation mode and without gradients, after every epoch")
    best = min(range(len(expected)), key=expected.__getitem__)
    if best_epoch != best + 1:
        return f"best_epoch must count epochs from 1: the lowest validation loss came in epoch {best + 1}"
    target = expected[best] if keep_best else expected[-1]
    if not math.isclose(final_loss, target, rel_tol=1e-3, abs_tol=1e-6):
        if keep_best and math.isclose(final_loss, expected[-1], rel_tol=1e-3, abs_tol=1e-6):
            return ("the model ends with its last weights, not those of its best epoch: keep a copy of the "
                    "state_dict (its tensors are the model's own and keep changing) and load it at the end")
        return ("with keep_best=False the model keeps the weights of its last epoch" if not keep_best else
                "after training, the model must hold the weights of the epoch with the lowest validation loss")
    return None


def diagnose_keep_best(train_keep_best, seed=0, epochs=12):
    train, val, _ = noisy_features_data(seed, n_train=40, n_val=40, n_test=0)
    for keep_best, weight_decay in ((True, 0.05), (False, 0.0)):
        torch.manual_seed(seed)
        model = small_network(train[0].shape[1])
        initial = {name: value.clone() for name, value in model.state_dict().items()}
        expected = specified_validation_losses(initial, train, val, epochs=epochs, lr=0.02, weight_decay=weight_decay)
        result = train_keep_best(model, train, val, epochs=epochs, lr=0.02, weight_decay=weight_decay,
                                 keep_best=keep_best)
        problem = keep_best_problem(result, expected, validation_loss(model.state_dict(), val), keep_best)
        if problem:
            return problem
    return None
