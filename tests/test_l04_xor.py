import matplotlib
import numpy as np
import pytest
import torch
from torch import nn

from course_utils.lessons.l04_xor import (
    CORNERS,
    corner_gap,
    plot_feature_space,
    plot_runs,
    plot_score_maps,
    step,
    step_network,
)
from course_utils.training import History

matplotlib.use("Agg")

XOR_W1 = np.array([[1.0, -1.0], [-1.0, 1.0]])
XOR_B1 = np.array([-0.5, -0.5])


def test_step_numpy_and_torch_agree_and_have_zero_gradient():
    z = np.array([-2.0, -1e-6, 0.0, 1e-6, 3.0])
    np.testing.assert_array_equal(step(z), [0, 0, 0, 1, 1])
    t = torch.tensor(z, requires_grad=True)
    out = step(t)
    np.testing.assert_array_equal(out.detach().numpy(), [0, 0, 0, 1, 1])
    (grad,) = torch.autograd.grad(out.sum(), t)
    assert torch.count_nonzero(grad) == 0


def test_step_network_solves_xor_corners_with_detector_units():
    hidden, output = step_network(CORNERS, XOR_W1, XOR_B1, [1.0, 1.0], -0.5)
    np.testing.assert_array_equal(output, [0, 1, 1, 0])
    np.testing.assert_array_equal(hidden, [[0, 0], [0, 1], [1, 0], [0, 0]])


def test_step_network_accepts_tensors_and_wider_hidden_layers():
    W1 = torch.tensor([[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    hidden, output = step_network(torch.as_tensor(CORNERS), W1, [-0.5, -1.5, -1.0],
                                  [1.0, -1.0, 5.0], np.array([-0.5]))
    assert hidden.shape == (4, 3)
    np.testing.assert_array_equal(output, [0, 1, 1, 0])


@pytest.mark.parametrize("args, message", [
    ((np.zeros((3, 3)), XOR_W1, XOR_B1, [1, 1], 0), "X must have shape"),
    ((CORNERS, np.zeros((2, 3)), XOR_B1, [1, 1], 0), "W1 must have shape"),
    ((CORNERS, XOR_W1, [1, 2, 3], [1, 1], 0), "b1 must have shape"),
    ((CORNERS, XOR_W1, XOR_B1, [1], 0), "w2 must have shape"),
    ((CORNERS, XOR_W1, XOR_B1, [1, 1], [0, 1]), "b2 must be a single number"),
])
def test_step_network_rejects_bad_shapes(args, message):
    with pytest.raises(ValueError, match=message):
        step_network(*args)


def test_corner_gap_is_zero_for_linear_and_not_for_nonlinear_models():
    torch.manual_seed(0)
    linear = nn.Sequential(nn.Linear(2, 5), nn.Linear(5, 1))
    assert abs(corner_gap(linear)) < 1e-5
    assert abs(corner_gap(lambda P: P @ np.array([0.3, -2.0]) + 1.0)) < 1e-12
    relu = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
    assert abs(corner_gap(relu)) > 1e-4
    assert corner_gap(lambda P: step_network(P, XOR_W1, XOR_B1, [1, 1], -0.5)[1]) == -2


def test_corner_gap_rejects_several_outputs():
    with pytest.raises(ValueError, match="one value per corner"):
        corner_gap(lambda P: np.zeros((4, 2)))


def test_plot_score_maps_draws_one_panel_per_function():
    X = CORNERS + 0.05
    y = np.array([0, 1, 1, 0])
    fig = plot_score_maps({"a": lambda P: P[:, 0], "b": nn.Linear(2, 1), "c": lambda P: P.sum(1),
                           "d": lambda P: step(P[:, 0] - 0.5)}, X, y, levels=(0.5,),
                          resolution=20, ncols=3, show=False)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["a", "b", "c", "d"]
    assert len(fig.axes) == 6 + 4  # a 2x3 grid (two panels switched off) plus 4 colour bars
    assert len(panels[0].collections) >= 3  # the map, a contour line and the class scatters
    matplotlib.pyplot.close(fig)


def test_plot_score_maps_rejects_wrong_output_length():
    with pytest.raises(ValueError, match="one value per point"):
        plot_score_maps({"bad": lambda P: np.zeros(3)}, CORNERS, [0, 1, 1, 0], show=False)
    with pytest.raises(ValueError, match="non-empty dict"):
        plot_score_maps({}, CORNERS, [0, 1, 1, 0], show=False)


def test_plot_feature_space_draws_the_boundary_line():
    H = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.1, 0.9]])
    fig = plot_feature_space(H, [0, 1, 1, 1], line=([1.0, 1.0], -0.5), show=False)
    (line,) = fig.axes[0].get_lines()
    xs, ys = line.get_data()
    np.testing.assert_allclose(np.asarray(xs) + np.asarray(ys), 0.5)
    matplotlib.pyplot.close(fig)
    fig = plot_feature_space(H, [0, 1, 1, 1], line=([1.0, 0.0], -0.5), show=False)  # vertical
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_data()[0], 0.5)
    matplotlib.pyplot.close(fig)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        plot_feature_space(np.zeros((3, 3)), [0, 1, 0], show=False)


def test_plot_runs_plots_each_history_and_checks_the_key():
    runs = {"a": History(train_loss=[1.0, 0.5], train_acc=[0.5, 0.75]),
            "b": History(train_loss=[1.0, 0.9, 0.8], train_acc=[0.5, 0.5, 1.0])}
    fig = plot_runs(runs, key="train_acc", show=False)
    lines = fig.axes[0].get_lines()
    assert [list(line.get_ydata()) for line in lines] == [[0.5, 0.75], [0.5, 0.5, 1.0]]
    assert fig.axes[0].get_ylabel() == "training accuracy"
    matplotlib.pyplot.close(fig)
    with pytest.raises(ValueError, match="no 'val_acc' values"):
        plot_runs(runs, key="val_acc", show=False)


def test_plot_score_maps_handles_a_constant_function():
    fig = plot_score_maps({"flat": lambda P: np.full(len(P), 0.5)}, CORNERS, [0, 1, 1, 0],
                          resolution=10, show=False)
    assert fig.axes[0].get_title() == "flat"
    matplotlib.pyplot.close(fig)


def test_corner_gap_rounds_away_floating_point_noise_on_request():
    noisy_linear = lambda P: P @ np.array([0.1, 0.7]) + 0.2 + np.array([0, 0, 0, -4.7e-10])
    assert corner_gap(noisy_linear) != 0
    rounded = corner_gap(noisy_linear, decimals=6)
    assert rounded == 0 and str(rounded) == "0.0"  # not "-0.0"
    assert corner_gap(lambda P: step_network(P, XOR_W1, XOR_B1, [1, 1], -0.5)[1], decimals=6) == -2


def test_gradient_descent_problem_names_each_mistake():
    from course_utils.lessons.l04_backprop import (
        autograd_gradients,
        descend,
        gradient_descent_problem,
        random_parameters,
    )
    generator = torch.Generator().manual_seed(3)
    params = random_parameters(generator, hidden=4)
    X = torch.randn(9, 2, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 2, (9,), generator=generator)
    lr, steps = 0.3, 5
    right, losses = descend(params, X, y, lr, steps)

    def problem(result):
        return gradient_descent_problem(result, params, X, y, lr, steps)

    assert problem((right, losses)) is None
    assert problem(([1], losses)).startswith("return a pair (params, losses)")
    assert "one loss per step" in problem((right, losses[:-1]))
    assert "before its update" in problem((right, losses[1:] + [losses[-1]]))
    assert "never moved: return the updated ones" in problem((params, losses))
    assert problem(({**right, "b2": params["b2"]}, losses)).startswith("b2 never moved")
    assert "the loss grows" in problem((descend(params, X, y, -lr, steps)[0], losses))
    _, first = autograd_gradients(params, X, y)
    frozen = {key: params[key] - steps * lr * first[key] for key in params}
    assert "compute the gradient again at each step" in problem((frozen, losses))
    assert "with lr = 0.3" in problem((descend(params, X, y, 2 * lr, steps)[0], losses))


def test_diagnose_loss_and_optimizer():
    from course_utils.lessons.l04_xor import MSE_HINT, OTHER_PARAMETERS_HINT, diagnose_loss_and_optimizer
    good = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    adam = torch.optim.Adam(good.parameters(), lr=0.05)
    assert diagnose_loss_and_optimizer((nn.BCEWithLogitsLoss(), adam), good) is None
    assert diagnose_loss_and_optimizer((nn.MSELoss(), adam), good) == MSE_HINT
    assert "BCELoss expects probabilities" in diagnose_loss_and_optimizer((nn.BCELoss(), adam), good)
    other = torch.optim.Adam(nn.Linear(2, 1).parameters(), lr=0.05)
    assert diagnose_loss_and_optimizer((nn.BCEWithLogitsLoss(), other), good) == OTHER_PARAMETERS_HINT
    assert "pair" in diagnose_loss_and_optimizer(nn.BCEWithLogitsLoss(), good)
