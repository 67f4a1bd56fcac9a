"""Tests for lesson 3's hints for activation derivatives, heads and unused layers."""
import pytest
import torch
from torch import nn

from course_utils.lessons.l03_activations_mlps import (
    diagnose_derivative,
    diagnose_output_head,
    diagnose_unused_layers,
)


@pytest.mark.parametrize("name, derivative", [
    ("sigmoid", lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x))),
    ("tanh", lambda x: 1 - torch.tanh(x) ** 2),
    ("relu", lambda x: (x > 0).float()),
    ("relu", lambda x: (x >= 0).float()),  # the slope at 0 is a convention
])
def test_correct_derivatives_pass(name, derivative):
    assert diagnose_derivative(name, derivative) is None


@pytest.mark.parametrize("name, derivative, hint", [
    ("sigmoid", torch.sigmoid, "value of sigmoid"),
    ("sigmoid", lambda x: torch.sigmoid(x) * (1 + torch.sigmoid(x)), "(1 - sigmoid(x))"),
    ("tanh", lambda x: 1 - torch.tanh(x), "square"),
    ("relu", torch.relu, "value of relu"),
    ("tanh", lambda x: torch.ones_like(x), "slope of tanh there is"),
    ("relu", lambda x: x.numpy(), "torch tensor"),
    ("sigmoid", lambda x: x[:5], "shaped like"),
])
def test_common_derivative_mistakes_get_targeted_hints(name, derivative, hint):
    message = diagnose_derivative(name, derivative)
    assert message is not None and hint in message


def test_unknown_activation_is_reported():
    with pytest.raises(ValueError, match="unknown activation"):
        diagnose_derivative("swish2", torch.sigmoid)


@pytest.mark.parametrize("task, head", [
    ("regression", nn.Identity()),
    ("positive_regression", nn.Softplus()),
    ("positive_regression", nn.ReLU()),
    ("binary", nn.Sigmoid()),
    ("multiclass", nn.Softmax(dim=1)),
])
def test_right_heads_pass(task, head):
    assert diagnose_output_head(task, head) is None


@pytest.mark.parametrize("task, head, hint", [
    ("binary", nn.ReLU(), "not probabilities"),
    ("binary", nn.Softplus(), "not probabilities"),
    ("multiclass", nn.Softmax(dim=0), "use dim=1"),
    ("multiclass", nn.Sigmoid(), "do not sum to 1"),
    ("multiclass", nn.LogSoftmax(dim=1), "negative"),
    ("regression", nn.ReLU(), "any real value"),
    ("positive_regression", nn.Identity(), "negative"),
    ("positive_regression", nn.Sigmoid(), "bounded"),
    ("binary", "sigmoid", "nn.Module"),
])
def test_wrong_heads_get_targeted_hints(task, head, hint):
    message = diagnose_output_head(task, head)
    assert message is not None and hint in message


def test_unknown_task_is_reported():
    with pytest.raises(ValueError, match="unknown task"):
        diagnose_output_head("ranking", nn.Identity())


class SkipsLayers(nn.Module):
    """Defines an output layer but returns the hidden layer (the seed notebook's bug)."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 6)
        self.output_layer = nn.Linear(6, 3)

    def forward(self, x):
        return self.hidden(x)


def test_unused_layers_are_named():
    x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
    message = diagnose_unused_layers(SkipsLayers(), x, y, nn.CrossEntropyLoss())
    assert message is not None and "output_layer" in message and "hidden" not in message


def test_model_using_every_layer_passes_and_keeps_no_gradients():
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
    x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
    assert diagnose_unused_layers(model, x, y, nn.CrossEntropyLoss()) is None
    assert all(p.grad is None for p in model.parameters())
