"""Tests for lesson 3's per-layer shape walk-through."""
import pytest
import torch
from torch import nn

from course_utils import MLP, LeNet
from course_utils.lessons.l03_activations_mlps import ShapeMismatchError, layer_shapes


def test_lenet_walk_through_matches_the_conv_arithmetic():
    table = layer_shapes(LeNet(image_size=28), (1, 28, 28))
    shapes = dict(zip(table["layer"], table["output shape"]))
    assert shapes["features.0"] == (1, 6, 28, 28)  # 5x5 kernel, padding 2 keeps 28
    assert shapes["features.2"] == (1, 6, 14, 14)
    assert shapes["features.3"] == (1, 16, 10, 10)  # 14 - 5 + 1
    assert shapes["classifier.0"] == (1, 400)
    assert table["output shape"].iloc[-1] == (1, 10)


def test_parameter_counts_add_up_to_the_model():
    model = MLP(64, [32, 16], 10)
    table = layer_shapes(model, (64,))
    assert table["parameters"].sum() == sum(p.numel() for p in model.parameters())
    assert table.loc[1, "parameters"] == 64 * 32 + 32


def test_mode_and_hooks_are_restored():
    model = nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.5))
    model.train()
    layer_shapes(model, (4,))
    assert model.training
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_a_too_small_image_names_the_layer_that_fails():
    with pytest.raises(ShapeMismatchError, match=r"features\.3.*\(1, 6, 4, 4\)"):
        layer_shapes(LeNet(image_size=28), (1, 8, 8))


def test_failure_between_layers_names_the_last_layer_that_ran():
    class Reshaper(nn.Module):
        def __init__(self):
            super().__init__()
            self.first = nn.Linear(6, 6)

        def forward(self, x):
            return self.first(x).view(-1, 4)  # 6 values cannot form rows of 4

    with pytest.raises(ShapeMismatchError, match="after layer 'first'"):
        layer_shapes(Reshaper(), (6,))


@pytest.mark.parametrize("bad", [(), (0, 8), (-1,)])
def test_bad_input_shape_is_reported(bad):
    with pytest.raises(ValueError, match="input_shape"):
        layer_shapes(nn.Linear(2, 2), bad)


def test_input_is_created_on_the_model_device():
    model = nn.Linear(3, 2).to(torch.float32)
    table = layer_shapes(model, (3,))
    assert list(table["output shape"]) == [(1, 2)]
