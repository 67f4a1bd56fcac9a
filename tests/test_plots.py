"""Tests for course_utils.plots: figure contents, model handling and figure cleanup."""
import types

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.colors import same_color
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix
from torch import nn

from course_utils import plots


@pytest.fixture(autouse=True)
def no_leftover_figures():
    plt.close("all")
    yield
    plt.close("all")


@pytest.fixture
def notebook_display(monkeypatch):
    """Pretend to run in Jupyter and record what would be displayed."""
    shown, updates = [], []

    class Handle:
        def update(self, obj):
            updates.append(obj)

    def fake_display(obj, display_id=None):
        shown.append(obj)
        return Handle() if display_id else None

    monkeypatch.setattr(plots.figures, "in_notebook", lambda: True)
    monkeypatch.setattr(plots.figures, "display", fake_display)
    return types.SimpleNamespace(shown=shown, updates=updates)


def history_like(epochs=4, with_acc=True):
    rng = np.random.default_rng(0)
    return types.SimpleNamespace(
        train_loss=list(rng.random(epochs)), val_loss=list(rng.random(epochs)),
        train_acc=list(rng.random(epochs)) if with_acc else [],
        val_acc=list(rng.random(epochs)) if with_acc else [], best_epoch=1)


# --- learning curves -------------------------------------------------------------------------

def test_history_with_accuracy_has_two_panels_of_two_curves():
    fig = plots.plot_history(history_like(), title="run", show=False)
    assert [ax.get_title() for ax in fig.axes] == ["Loss", "Accuracy"]
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]
    np.testing.assert_allclose(fig.axes[0].lines[0].get_xdata(), [1, 2, 3, 4])


def test_history_from_dict_without_accuracy_has_one_panel():
    fig = plots.plot_history({"train_loss": [3.0, 2.0, 1.0], "val_loss": [3.5, 2.5, 2.0]},
                             show=False)
    assert len(fig.axes) == 1
    assert [line.get_label() for line in fig.axes[0].lines] == ["train", "validation"]


def test_history_from_list_of_losses():
    fig = plots.plot_history([0.9, 0.5, 0.4], show=False)
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) == 1
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), [0.9, 0.5, 0.4])


def test_history_skips_missing_values():
    history = {"train_loss": [1.0, 0.8, 0.6], "val_loss": [None, 0.9, float("nan")],
               "train_acc": [None, None, None], "val_acc": []}
    fig = plots.plot_history(history, show=False)
    assert len(fig.axes) == 1  # accuracy recorded as all-None is no accuracy
    val_line = fig.axes[0].lines[1]
    np.testing.assert_allclose(val_line.get_xdata(), [2])
    np.testing.assert_allclose(val_line.get_ydata(), [0.9])


def test_empty_history_and_wrong_type_get_clear_errors():
    with pytest.raises(ValueError, match="empty"):
        plots.plot_history({"train_loss": [], "val_loss": []}, show=False)
    with pytest.raises(TypeError, match="history must be"):
        plots.plot_history(42, show=False)


def test_shown_figures_are_closed_and_nothing_is_returned(notebook_display):
    assert plots.plot_history(history_like()) is None
    assert len(notebook_display.shown) == 1
    assert isinstance(notebook_display.shown[0], matplotlib.figure.Figure)
    assert plt.get_fignums() == []


def test_outside_notebooks_show_closes_silently(capsys):
    assert plots.plot_history([1.0, 0.5]) is None
    assert plt.get_fignums() == []
    assert capsys.readouterr().out == ""


def test_live_loss_plot_updates_one_output_per_run(notebook_display):
    live = plots.LiveLossPlot()
    for epochs in (1, 2, 3):
        live(history_like(epochs))
    assert len(notebook_display.shown) == 1
    assert len(notebook_display.updates) == 2
    live(history_like(1))  # a second training run starts a new output
    assert len(notebook_display.shown) == 2
    assert plt.get_fignums() == []


def test_live_loss_plot_is_silent_outside_notebooks(capsys):
    live = plots.LiveLossPlot()
    live(history_like(2))
    assert plt.get_fignums() == []
    assert capsys.readouterr().out == ""


# --- decision boundaries ---------------------------------------------------------------------

def linear_model(weight, bias):
    model = nn.Linear(2, len(weight))
    with torch.no_grad():
        model.weight.copy_(torch.tensor(weight, dtype=torch.float32))
        model.bias.copy_(torch.tensor(bias, dtype=torch.float32))
    return model


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 3.0]])
    y = np.repeat(np.arange(3), 20)
    X = centers[y] + rng.normal(scale=0.5, size=(60, 2))
    return X.astype(np.float32), y


def test_binary_logit_is_thresholded_at_zero():
    model = linear_model([[1.0, 0.0]], [0.0])  # logit = x0
    X = np.array([[-1.0, 5.0], [2.0, -3.0], [0.5, 0.0]])
    np.testing.assert_array_equal(plots.predict_classes(model, X), [0, 1, 1])
    np.testing.assert_array_equal(plots.predict_classes(torch.nn.Sequential(model, nn.Sigmoid()),
                                                        X, threshold=0.5), [0, 1, 1])


def test_multiclass_uses_argmax_for_logits_and_probabilities(blobs):
    X, y = blobs
    model = linear_model([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.5]], [0.0, 0.0, -1.0])
    logits_pred = plots.predict_classes(model, X)
    assert (logits_pred == y).mean() > 0.9
    probs = nn.Sequential(model, nn.Softmax(dim=1))
    np.testing.assert_array_equal(plots.predict_classes(probs, X), logits_pred)


def test_torch_boundary_runs_in_eval_mode_without_grad_and_restores_train_mode(blobs):
    X, y = blobs
    seen = []

    class Recorder(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = linear_model([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.5]], [0, 0, -1])

        def forward(self, x):
            seen.append((self.training, torch.is_grad_enabled(), x.device, x.dtype))
            return self.linear(x)

    model = Recorder().train()
    fig = plots.plot_decision_boundary(model, X, y, title="3 classes", resolution=50, show=False)
    assert model.training
    assert seen == [(False, False, torch.device("cpu"), torch.float32)]
    ax = fig.axes[0]
    assert ax.get_title() == "3 classes"
    assert len(ax.collections) >= 2  # filled contour and the scatter of points
    model.eval()
    plots.plot_decision_boundary(model, X, y, resolution=20, show=False)
    assert not model.training


def test_grid_follows_the_model_dtype(blobs):
    X, y = blobs
    model = linear_model([[1.0, 0.0]], [0.0]).double()
    fig = plots.plot_decision_boundary(model, X, y > 0, resolution=20, show=False)
    assert len(fig.axes) == 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_grid_moves_to_the_model_device(blobs):
    X, y = blobs
    model = linear_model([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.5]], [0, 0, -1]).cuda()
    np.testing.assert_array_equal(plots.predict_classes(model, X),
                                  plots.predict_classes(model.cpu(), X))


def test_sklearn_estimator_uses_predict(blobs):
    X, y = blobs
    estimator = LogisticRegression().fit(X, y)
    np.testing.assert_array_equal(plots.predict_classes(estimator, X), estimator.predict(X))
    fig = plots.plot_decision_boundary(estimator, X, y, resolution=30, show=False)
    (x_min, x_max), (y_min, y_max) = fig.axes[0].get_xlim(), fig.axes[0].get_ylim()
    assert x_min < X[:, 0].min() and x_max > X[:, 0].max()
    assert y_min < X[:, 1].min() and y_max > X[:, 1].max()


def test_decision_boundary_into_given_axes_is_not_closed(blobs):
    X, y = blobs
    fig, axes = plt.subplots(1, 2)
    returned = plots.plot_decision_boundary(LogisticRegression().fit(X, y), X, y, ax=axes[1],
                                            resolution=20)
    assert returned is fig and plt.fignum_exists(fig.number)


def test_train_test_boundaries_share_extent(blobs):
    X, y = blobs
    estimator = LogisticRegression().fit(X, y)
    fig = plots.plot_train_test_boundaries(estimator, X[:40], y[:40], X[40:], y[40:],
                                           resolution=20, show=False)
    train_ax, test_ax = fig.axes[:2]
    assert (train_ax.get_title(), test_ax.get_title()) == ("Train", "Test")
    assert train_ax.get_xlim() == test_ax.get_xlim()


def test_decision_boundary_rejects_bad_input(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        plots.plot_decision_boundary(LogisticRegression(), np.zeros((5, 3)), np.zeros(5),
                                     show=False)
    with pytest.raises(ValueError, match="rows"):
        plots.plot_decision_boundary(LogisticRegression(), X, y[:10], show=False)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        plots.plot_decision_boundary(object(), X, y, show=False)


# --- images and confusion matrices ------------------------------------------------------------

def test_image_grid_titles_are_coloured_by_correctness():
    images = torch.rand(4, 1, 8, 8)
    fig = plots.plot_image_grid(images, torch.tensor([0, 1, 2, 3]), predictions=[0, 1, 0, 3],
                                class_names=["zero", "one", "two", "three"], show=False)
    titles = [ax.title for ax in fig.axes]
    assert [t.get_text() for t in titles] == ["zero (zero)", "one (one)", "zero (two)",
                                              "three (three)"]
    colors = ["green", "green", "red", "green"]
    assert all(same_color(t.get_color(), c) for t, c in zip(titles, colors))


def test_image_grid_layout_and_label_only_titles():
    images = np.random.default_rng(0).integers(0, 256, (12, 6, 6), dtype=np.uint8)
    fig = plots.plot_image_grid(images, np.arange(12) % 10, ncols=5, show=False)
    assert len(fig.axes) == 15
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 12
    assert [ax.get_title() for ax in shown[:3]] == ["0", "1", "2"]
    assert shown[0].images[0].get_clim() == (0, 255)


def test_image_grid_rejects_normalized_images_and_bad_shapes():
    with pytest.raises(ValueError, match="Undo the normalization"):
        plots.plot_image_grid(torch.randn(3, 8, 8) * 2, [0, 1, 2], show=False)
    with pytest.raises(ValueError, match="images must have shape"):
        plots.plot_image_grid(np.zeros((3, 8)), [0, 1, 2], show=False)
    with pytest.raises(ValueError, match="labels"):
        plots.plot_image_grid(np.zeros((3, 8, 8)), [0, 1], show=False)


@pytest.mark.parametrize("normalize", [None, "true"])
def test_confusion_matrix_matches_sklearn(normalize):
    rng = np.random.default_rng(1)
    y_true, y_pred = rng.integers(0, 4, 50), rng.integers(0, 4, 50)
    fig = plots.plot_confusion_matrix(torch.as_tensor(y_true), y_pred, normalize=normalize,
                                      show=False)
    drawn = fig.axes[0].images[0].get_array()
    np.testing.assert_allclose(drawn, confusion_matrix(y_true, y_pred, normalize=normalize))


def test_confusion_matrix_keeps_classes_never_seen():
    names = ["a", "b", "c"]
    fig = plots.plot_confusion_matrix([0, 1, 1], [0, 1, 0], class_names=names, show=False)
    assert fig.axes[0].images[0].get_array().shape == (3, 3)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == names


# --- activation functions --------------------------------------------------------------------

def test_activation_derivatives_match_the_analytical_ones():
    fig = plots.plot_activations(show=False)
    functions, derivatives = fig.axes[:2]
    assert len(functions.lines) == len(derivatives.lines) == 3
    x = functions.lines[0].get_xdata()
    s, t = 1 / (1 + np.exp(-x)), np.tanh(x)
    np.testing.assert_allclose(functions.lines[0].get_ydata(), s, atol=1e-6)
    np.testing.assert_allclose(derivatives.lines[0].get_ydata(), s * (1 - s), atol=1e-6)
    np.testing.assert_allclose(derivatives.lines[1].get_ydata(), 1 - t ** 2, atol=1e-5)
    np.testing.assert_allclose(derivatives.lines[2].get_ydata(), (x > 0).astype(float))


def test_activations_accept_modules_and_functions_without_derivatives():
    x = np.linspace(-3, 3, 61)
    fig = plots.plot_activations([nn.Softplus(), torch.tanh], x=x, show=False)
    assert [line.get_label() for line in fig.axes[0].lines] == ["Softplus", "tanh"]
    softplus_grad = fig.axes[1].lines[0].get_ydata()
    np.testing.assert_allclose(softplus_grad, 1 / (1 + np.exp(-x)), atol=1e-6)
    fig = plots.plot_activations("relu", derivatives=False, show=False)
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) == 1


def test_unknown_activation_lists_the_known_ones():
    with pytest.raises(ValueError, match="sigmoid"):
        plots.plot_activations(["swishy"], show=False)
    with pytest.raises(ValueError, match="same shape"):
        plots.plot_activations([lambda x: x.sum()], show=False)


def test_every_helper_closes_its_figure_when_shown(notebook_display, blobs):
    X, y = blobs
    estimator = LogisticRegression().fit(X, y)
    plots.plot_decision_boundary(estimator, X, y, resolution=20)
    plots.plot_train_test_boundaries(estimator, X, y, X, y, resolution=20)
    plots.plot_image_grid(np.zeros((2, 4, 4)), [0, 1], predictions=[0, 0])
    plots.plot_confusion_matrix(y, estimator.predict(X))
    plots.plot_activations()
    assert len(notebook_display.shown) == 5
    assert plt.get_fignums() == []


# --- a real notebook kernel ------------------------------------------------------------------

NOTEBOOK_CELLS = [
    "import sys\nsys.path.insert(0, {repo!r})\n"
    "from course_utils.plots import LiveLossPlot, plot_history\n"
    "from course_utils.plots import show_gif\nimport imageio.v3 as iio\nimport numpy as np",
    "live = LiveLossPlot()\nhistory = {{'train_loss': [], 'val_loss': []}}\n"
    "for epoch in range(3):\n    print('epoch', epoch)\n"
    "    history['train_loss'].append(1 / (epoch + 1))\n"
    "    history['val_loss'].append(1.5 / (epoch + 1))\n    live(history)",
    "plot_history(history)",
    "iio.imwrite('a.gif', [np.full((8, 8, 3), v, np.uint8) for v in (0, 255)], extension='.gif')\n"
    "show_gif('a.gif')",
]


@pytest.mark.slow
def test_notebook_cells_keep_one_picture_each(tmp_path):
    """Executed like the autograder does: a live plot and a shown figure leave one image each
    and no ``<Figure ...>`` result text; a GIF is embedded."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from course_utils.settings import REPO_ROOT

    cells = [nbformat.v4.new_code_cell(source.format(repo=str(REPO_ROOT)))
             for source in NOTEBOOK_CELLS]
    notebook = nbformat.v4.new_notebook(cells=cells)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    live_outputs, history_outputs, gif_outputs = (cell.outputs for cell in notebook.cells[1:])
    pictures = [o for o in live_outputs if o.output_type == "display_data"]
    assert len(pictures) == 1 and "image/png" in pictures[0].data
    printed = "".join(o.text for o in live_outputs if o.output_type == "stream")
    assert printed == "epoch 0\nepoch 1\nepoch 2\n"  # other output is kept
    assert [o.output_type for o in history_outputs] == ["display_data"]
    assert [o.output_type for o in gif_outputs] == ["display_data"]
    assert "image/gif" in gif_outputs[0].data
