"""Reference architectures."""
import pytest
import torch
from torch import nn

from course_utils.models import MLP, LeNet


def test_mlp_layout_follows_its_arguments():
    model = MLP(784, 512, 10, n_hidden_layers=2, dropout=0.2)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    assert [(layer.in_features, layer.out_features) for layer in linears] == [(784, 512), (512, 512), (512, 10)]
    assert sum(isinstance(m, nn.Dropout) for m in model) == 2
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)  # images are flattened


@pytest.mark.parametrize("name, check", [
    ("sigmoid", lambda out: ((out > 0) & (out < 1)).all()),
    ("log_softmax", lambda out: torch.allclose(out.exp().sum(1), torch.ones(len(out)))),
    ("softmax", lambda out: torch.allclose(out.sum(1), torch.ones(len(out)))),
])
def test_output_activations(name, check):
    out = MLP(3, [5, 4], 2, output_activation=name)(torch.randn(6, 3))
    assert check(out)


def test_unknown_activation_names_are_rejected():
    with pytest.raises(ValueError, match="unknown activation"):
        MLP(2, 4, 1, activation="swishy")


@pytest.mark.parametrize("model, size", [(LeNet(), 28), (LeNet(image_size=32), 32)])
def test_cnns_give_one_score_per_class(model, size):
    assert model(torch.zeros(2, 1, size, size)).shape == (2, 10)
