"""The FLOP counts behind the benchmarks' GFLOP/s figures."""
import pytest
from torch import nn

from benchmarks.flops import training_flops_per_sample
from course_utils.models import MLP


def test_mnist_mlp_epoch_matches_the_hand_count():
    # forward: 2 FLOPs per multiply-add; backward: weight gradients (same again) and input
    # gradients (same again) for every layer but the first, whose input needs none
    macs = 784 * 512 + 512 * 512 + 512 * 10
    by_hand = 3 * 2 * macs - 2 * 784 * 512
    per_sample = training_flops_per_sample(MLP(784, 512, 10, n_hidden_layers=2, dropout=0.2),
                                           (1, 28, 28))
    assert per_sample == by_hand
    assert per_sample * 60_000 / 1e9 == pytest.approx(193, abs=0.5)


def test_convolution_counts_every_output_position():
    model = nn.Sequential(nn.Conv2d(1, 2, kernel_size=3, padding=1), nn.ReLU(),
                          nn.Conv2d(2, 3, kernel_size=3), nn.Flatten())
    first = 2 * 4 * 4 * (1 * 3 * 3)  # 2 channels x 4x4 positions, 9 inputs each
    second = 3 * 2 * 2 * (2 * 3 * 3)  # 3 channels x 2x2 positions, 18 inputs each
    assert training_flops_per_sample(model, (1, 4, 4)) == 2 * (2 * first + 3 * second)


def test_counting_leaves_the_model_as_it_was():
    model = MLP(4, 3, 2, dropout=0.5)
    model.train()
    training_flops_per_sample(model, (4,))
    assert model.training and not model[0]._forward_hooks


def test_a_model_without_weights_layers_is_reported():
    with pytest.raises(ValueError, match="no Linear or Conv2d"):
        training_flops_per_sample(nn.Sequential(nn.Flatten()), (1, 4, 4))
