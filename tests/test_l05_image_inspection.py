import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_utils.lessons.l05_mnist import one_per_class, plot_pixel_values


def _texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def test_pixel_values_written_for_nonzero_uint8_pixels():
    image = np.zeros((28, 28), dtype=np.uint8)
    image[3, 4], image[10, 12] = 255, 17
    fig = plot_pixel_values(image, title="a digit", show=False)
    assert sorted(_texts(fig)) == ["17", "255"]
    assert fig.axes[0].get_title() == "a digit"
    plt.close(fig)


def test_pixel_values_accept_a_float_tensor_with_channel_axis():
    image = torch.zeros(1, 5, 5)
    image[0, 2, 2] = 0.25
    fig = plot_pixel_values(image, decimals=2, show=False)
    assert _texts(fig) == ["0.25"]
    plt.close(fig)


def test_pixel_values_reject_batches():
    with pytest.raises(ValueError, match="one grayscale image"):
        plot_pixel_values(np.zeros((2, 28, 28)), show=False)


def test_plot_pixel_values_closes_its_figure_when_shown():
    before = len(plt.get_fignums())
    assert plot_pixel_values(np.eye(4, dtype=np.uint8) * 200) is None
    assert len(plt.get_fignums()) == before


def test_one_per_class_picks_one_sample_of_each_class_in_order():
    labels = np.array([3, 1, 1, 0, 3, 2, 0, 2, 1])
    picked = one_per_class(labels, seed=1)
    assert labels[picked].tolist() == [0, 1, 2, 3]
    assert len(set(picked.tolist())) == 4
    assert one_per_class(labels, seed=1).tolist() == picked.tolist()  # seeded
    # Different seeds reach different samples of the same class.
    seen = {tuple(one_per_class(labels, seed=s).tolist()) for s in range(20)}
    assert len(seen) > 1


def test_one_per_class_reports_a_missing_class():
    with pytest.raises(ValueError, match="class 5 has no sample"):
        one_per_class(torch.tensor([0, 1, 2]), classes=[0, 5])
